//! The council report of one réservataire across its conventions (seed 000,
//! first pages: « rapport au conseil municipal »).
//!
//! Takes validated conventions with their computed flows (after `compute` and
//! `controle`), gives a [`Rapport`]: for one year, one line per convention
//! holding an annex of the réservataire, the total quota, the quota of the year
//! before (computed from the data when every convention has that year,
//! otherwise the figure declared in `reservataires[].rapport`), and the bilans
//! received, with every sum and difference the report prints. Only sums and
//! differences of already rounded figures are made here; nothing is rounded
//! and nothing is formatted for the user except the messages.

use crate::compute::avenant::{self, Ecart};
use crate::compute::{Flux, FluxAnnexe};
use crate::model::bilan::{self, Bilan, BilanReservataire};
use crate::model::rapport::FicheRapport;
use crate::model::{Chiffre, Convention, Date, Logements, Modele, Reservataire};

/// One convention of the réservataire in the report's year.
#[derive(Debug)]
pub struct LigneRapport<'a> {
    pub fichier: String,
    pub convention: &'a Convention,
    /// The réservataire's annex of the year.
    pub flux: &'a FluxAnnexe,
    /// Its annex of the year before, when the data has it.
    pub precedent: Option<&'a FluxAnnexe>,
    /// The avenant number of the year (`None` the first year: the convention).
    pub avenant: Option<u32>,
    /// The bilan of the year before, received this year.
    pub bilan: Option<(&'a Bilan, &'a BilanReservataire)>,
    /// Illustrative figures in this convention's exercise.
    pub illustratif: bool,
    /// Units allotted this year − the year before ([`ecart_affectes`]).
    pub ecart: Option<Ecart>,
    /// The rate the bailleur transmitted for the council report when it
    /// differs from the annex's, which prevails ([`taux_corrige`]).
    pub taux_transmis: Option<rust_decimal::Decimal>,
    /// The figures the bailleur transmitted that the annex corrects, its
    /// rate last ([`corrections`]).
    pub corrections: Vec<Correction>,
    /// The rate the report's list cites ([`taux_cite`]).
    pub taux_cite: rust_decimal::Decimal,
    /// What the bilan says was done, measured as the model says, − units
    /// allotted the year before ([`ecart_bilan`]).
    pub ecart_bilan: Option<Ecart>,
    /// The engagement of the year before is not met (réalisé < engagés):
    /// the report says so (intercommunal model art. 8: « un point est
    /// opéré » with the bailleur). `None` without a measure.
    pub non_atteint: Option<bool>,
}

/// The change of a réservataire's units in one convention: affectés N −
/// affectés N-1. Intercommunal model art. 9 (the avenant updates the flow).
pub fn ecart_affectes(flux: &FluxAnnexe, precedent: Option<&FluxAnnexe>) -> Option<Ecart> {
    precedent.map(|p| Ecart::de(p.affectes.dec(), flux.affectes.dec()))
}

/// The rate the bailleur transmitted (`declare.taux_rapport`) when the
/// annex's rate differs from it: the annex prevails, the report says the
/// figure was corrected (SODIAC 2024: 13,5 % transmitted, 13,55 % in the
/// annex). Intercommunal model, annexe individuelle.
pub fn taux_corrige(a: &crate::model::Annexe, f: &FluxAnnexe) -> Option<rust_decimal::Decimal> {
    a.declare
        .taux_rapport
        .as_ref()
        .map(|t| t.v.0)
        .filter(|t| *t != f.taux)
}

/// A figure the bailleur transmitted and the annex's, which prevails: a
/// count the computation corrects (`chiffre`), or the rate given for the
/// council report (`chiffre` none) when the annex's differs. The council
/// report, its spreadsheet and `calculer` print the same list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Correction {
    pub chiffre: Option<Chiffre>,
    pub transmis: rust_decimal::Decimal,
    pub calcule: rust_decimal::Decimal,
}

impl Correction {
    /// The key of the figure: `flux_previsionnel`…, `taux_rapport` for the rate.
    pub fn cle(&self) -> &'static str {
        self.chiffre.map_or("taux_rapport", Chiffre::cle)
    }
}

/// The figures the bailleur transmitted that the annex corrects, in the
/// annex's order, then the rate ([`taux_corrige`]). A count is corrected
/// when the computation gives another (`transmis`; SEDRE 2024: flux
/// prévisionnel 235 → 16, logements mobilisables 14 → 16): the annex prints
/// the computed one, the report says the correction. CCH art. R. 441-5 and
/// the annex's computation; `controle` warns of the same figures
/// (« chiffre transmis corrigé »).
pub fn corrections(a: &crate::model::Annexe, f: &FluxAnnexe) -> Vec<Correction> {
    a.transmis
        .0
        .iter()
        .map(|(&chiffre, t)| Correction {
            chiffre: Some(chiffre),
            transmis: t.v.dec(),
            calcule: f.chiffre(chiffre).dec(),
        })
        .filter(|c| c.transmis != c.calcule)
        .chain(taux_corrige(a, f).map(|t| Correction {
            chiffre: None,
            transmis: t,
            calcule: f.taux,
        }))
        .collect()
}

/// Puts the report's lines in the order `reservataires[].rapport.ordre`
/// names their bailleurs (seed 000 lists SODIAC, SEMADER, SIDR, SHLMR,
/// SEDRE); bailleurs it does not name follow, in the files' order. Gives a
/// warning for each name no line has.
pub fn ordonner(lignes: &mut [LigneRapport<'_>], ordre: &[String]) -> Vec<String> {
    lignes.sort_by_key(|l| {
        ordre
            .iter()
            .position(|b| *b == l.convention.bailleur.nom)
            .unwrap_or(ordre.len())
    });
    ordre
        .iter()
        .filter(|b| !lignes.iter().any(|l| l.convention.bailleur.nom == **b))
        .map(|b| format!("`rapport.ordre` nomme le bailleur « {b} », qui n'a pas de convention dans les fichiers du rapport pour cette année"))
        .collect()
}

/// The rate the report's list cites: the one the bailleur transmitted when
/// it is the annex's in value, as the bailleur wrote it (SHLMR 2024:
/// « 18,2 % », the annex « 18,20 % »), the annex's otherwise ([`taux_corrige`]).
pub fn taux_cite(a: Option<&crate::model::Annexe>, f: &FluxAnnexe) -> rust_decimal::Decimal {
    a.and_then(|a| a.declare.taux_rapport.as_ref())
        .map(|t| t.v.0)
        .filter(|t| *t == f.taux)
        .unwrap_or(f.taux)
}

/// The bilan against the engagement, as the council report prints it: what
/// was done, counted as the model's article says ([`avenant::realise`]:
/// leases + units refused by every candidate, intercommunal art. 3; units
/// made available, bilatéral art. 9) − units allotted the year before.
/// Intercommunal model art. 8; CCH art. R. 441-5-1 (the bilan).
pub fn ecart_bilan(
    m: Modele,
    r: &BilanReservataire,
    precedent: Option<&FluxAnnexe>,
) -> Option<Ecart> {
    precedent
        .zip(avenant::realise(m, r))
        .map(|(p, x)| Ecart::de(p.affectes.dec(), x.dec()))
}

/// Σ of a column of counts over the report's lines (the workbook's total
/// row); `None` when a line has no value (a convention without the year
/// before), as for [`Totaux::affectes_precedent`].
pub fn somme(valeurs: impl IntoIterator<Item = Option<u64>>) -> Option<u64> {
    valeurs
        .into_iter()
        .try_fold(0u64, |s, v| v.map(|v| s.saturating_add(v)))
}

/// Σ of the report's columns over its lines (the quota itself is
/// [`Rapport::total`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totaux {
    pub parc_soumis: u64,
    pub flux_previsionnel: u64,
    pub mobilisables: u64,
    /// Σ units allotted the year before, when every line has that year.
    pub affectes_precedent: Option<u64>,
}

/// The totals row of the council report: Σ parc soumis, Σ flux, Σ
/// mobilisables over the réservataire's conventions (CCH art. R. 441-5), and
/// Σ of the previous year's units when each convention has that year.
pub fn totaux(lignes: &[LigneRapport]) -> Totaux {
    let somme = |f: fn(&FluxAnnexe) -> u32| lignes.iter().map(|l| u64::from(f(l.flux))).sum();
    Totaux {
        parc_soumis: somme(|f| f.parc_soumis.0),
        flux_previsionnel: somme(|f| f.flux_previsionnel.0),
        mobilisables: somme(|f| f.mobilisables.0),
        affectes_precedent: lignes
            .iter()
            .map(|l| l.precedent.map(|p| u64::from(p.affectes.0)))
            .sum(),
    }
}

/// Where the previous year's quota comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourcePrecedent {
    /// Σ units allotted in the exercises of the year before.
    Calcule,
    /// `reservataires[].rapport.quota_precedent` (stock management).
    Declare,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Precedent {
    pub annee: i32,
    pub logements: Logements,
    pub source: SourcePrecedent,
}

/// The council report's figures for one réservataire and one year.
#[derive(Debug)]
pub struct Rapport<'a> {
    pub reservataire: &'a Reservataire,
    pub annee: i32,
    /// The year compared with: `annee - 1`.
    pub annee_precedente: i32,
    /// File order (paths sorted).
    pub lignes: Vec<LigneRapport<'a>>,
    /// Σ units allotted this year (« le quota réservataire de la Ville »).
    pub total: Logements,
    pub totaux: Totaux,
    pub precedent: Option<Precedent>,
    /// The quota this year − the quota the year before, when known.
    pub ecart_total: Option<Ecart>,
    pub cil: Option<Date>,
    /// Things the reader should know (French, printed as warnings).
    pub avertissements: Vec<String>,
}

impl Rapport<'_> {
    /// The first flux year of every convention is this year: conventions to
    /// approve (else avenants).
    pub fn premiere_annee(&self) -> bool {
        self.lignes.iter().all(|l| l.avenant.is_none())
    }

    pub fn illustratif(&self) -> bool {
        self.lignes.iter().any(|l| l.illustratif)
    }
}

/// One analysed file: its name, convention and flows.
pub type Source<'a> = (String, &'a Convention, &'a [Flux]);

/// Gathers the report of `reservataire` for `annee` (by default the last
/// year of its annexes). Errors are French sentences (no location: they
/// span several files).
pub fn assembler<'a>(
    sources: &[Source<'a>],
    reservataire: &str,
    annee: Option<i32>,
) -> Result<Rapport<'a>, Vec<String>> {
    let a_annexe = |c: &Convention| {
        c.exercices
            .iter()
            .any(|e| e.annexes.iter().any(|a| a.reservataire.v == reservataire))
    };
    let siens: Vec<&Source<'a>> = sources.iter().filter(|(_, c, _)| a_annexe(c)).collect();
    if siens.is_empty() {
        let connus: std::collections::BTreeSet<&str> = sources
            .iter()
            .flat_map(|(_, c, _)| {
                c.exercices
                    .iter()
                    .flat_map(|e| e.annexes.iter().map(|a| a.reservataire.v.as_str()))
            })
            .collect();
        let liste: Vec<String> = connus.iter().map(|i| format!("`{i}`")).collect();
        return Err(vec![format!(
            "aucune annexe du réservataire `{reservataire}` dans les fichiers donnés ; réservataires ayant une annexe : {}",
            if liste.is_empty() {
                "aucun".to_string()
            } else {
                liste.join(", ")
            }
        )]);
    }
    let annee = annee.unwrap_or_else(|| {
        siens
            .iter()
            .flat_map(|(_, c, _)| {
                c.exercices
                    .iter()
                    .filter(|e| e.annexes.iter().any(|a| a.reservataire.v == reservataire))
                    .map(|e| e.annee.v)
            })
            .max()
            .unwrap_or_default()
    });
    let mut erreurs = Vec::new();
    let mut lignes = Vec::new();
    for (fichier, c, flux) in siens.iter().copied() {
        let courant = flux
            .iter()
            .find(|f| f.annee == annee)
            .and_then(|f| f.annexe(reservataire));
        let Some(courant) = courant else {
            let fin = c.derniere_annee().unwrap_or(annee);
            if c.premiere_annee().is_some_and(|p| p <= annee) && annee <= fin {
                erreurs.push(format!(
                    "{fichier} : la convention `{}` n'a pas d'annexe de `{reservataire}` pour {annee} : le rapport serait incomplet (ajoutez l'exercice {annee})",
                    c.id
                ));
            }
            continue;
        };
        let precedent = flux
            .iter()
            .find(|f| f.annee == annee - 1)
            .and_then(|f| f.annexe(reservataire));
        let ex = c.exercice(annee);
        let bilan = ex
            .and_then(|e| e.bilan.as_ref())
            .and_then(|b| b.reservataire(reservataire).map(|r| (b, r)));
        let annexe = ex.and_then(|e| e.annexes.iter().find(|a| a.reservataire.v == reservataire));
        lignes.push(LigneRapport {
            fichier: fichier.clone(),
            convention: c,
            flux: courant,
            precedent,
            avenant: bilan::numero(c, annee),
            bilan,
            illustratif: ex.is_some_and(|e| e.illustratif),
            ecart: ecart_affectes(courant, precedent),
            taux_transmis: annexe.and_then(|a| taux_corrige(a, courant)),
            corrections: annexe.map(|a| corrections(a, courant)).unwrap_or_default(),
            taux_cite: taux_cite(annexe, courant),
            ecart_bilan: bilan.and_then(|(_, r)| ecart_bilan(c.modele, r, precedent)),
            non_atteint: bilan
                .and_then(|(_, r)| ecart_bilan(c.modele, r, precedent))
                .map(|e| e.0 < rust_decimal::Decimal::ZERO),
        });
    }
    if lignes.is_empty() && erreurs.is_empty() {
        erreurs.push(format!(
            "aucune convention de `{reservataire}` n'a d'exercice {annee}"
        ));
    }
    // The réservataire's entry and its `rapport` data: the same in every file.
    let mut fiche: Option<(&str, &FicheRapport)> = None;
    for (fichier, c, _) in siens.iter() {
        let Some(f) = c
            .reservataire(reservataire)
            .and_then(|r| r.rapport.as_ref())
        else {
            continue;
        };
        match fiche {
            None => fiche = Some((fichier.as_str(), f)),
            Some((premier, g)) => {
                let qa = f
                    .quota_precedent
                    .as_ref()
                    .map(|q| (q.annee.v, q.logements.v));
                let qb = g
                    .quota_precedent
                    .as_ref()
                    .map(|q| (q.annee.v, q.logements.v));
                if qa != qb || f.cil != g.cil || f.ordre != g.ordre {
                    erreurs.push(format!(
                        "`reservataires[].rapport` de `{reservataire}` diffère entre {premier} et {fichier} : donnez les mêmes valeurs (quota de l'année précédente, date de la CIL, ordre des bailleurs) dans chaque convention"
                    ));
                }
            }
        }
    }
    if !erreurs.is_empty() {
        return Err(erreurs);
    }
    let mut avertissements = Vec::new();
    if let Some((_, f)) = fiche {
        avertissements.extend(ordonner(&mut lignes, &f.ordre));
    }
    let total: u64 = lignes.iter().map(|l| u64::from(l.flux.affectes.0)).sum();
    let total = Logements(u32::try_from(total).unwrap_or(u32::MAX));
    let calcule = lignes
        .iter()
        .map(|l| l.precedent.map(|p| u64::from(p.affectes.0)))
        .sum::<Option<u64>>()
        .map(|n| Logements(u32::try_from(n).unwrap_or(u32::MAX)));
    let declare = fiche
        .and_then(|(_, f)| f.quota_precedent.as_ref())
        .filter(|q| q.annee.v == annee - 1);
    let precedent = match (calcule, declare) {
        (Some(n), d) => {
            if let Some(d) = d
                && d.logements.v != n
            {
                avertissements.push(format!(
                    "quota {} de `{reservataire}` : {} logements déclarés dans `rapport.quota_precedent`, {} calculés à partir des exercices {} ; le calcul est retenu",
                    annee - 1,
                    d.logements.v,
                    n,
                    annee - 1
                ));
            }
            Some(Precedent {
                annee: annee - 1,
                logements: n,
                source: SourcePrecedent::Calcule,
            })
        }
        (None, Some(d)) => Some(Precedent {
            annee: annee - 1,
            logements: d.logements.v,
            source: SourcePrecedent::Declare,
        }),
        (None, None) => {
            avertissements.push(format!(
                "quota {} de `{reservataire}` inconnu : ni exercice {} dans chaque convention, ni `rapport.quota_precedent` ; le rapport laisse un blanc",
                annee - 1,
                annee - 1
            ));
            None
        }
    };
    // The réservataire as described by the first file.
    let reservataire_modele = siens
        .iter()
        .find_map(|(_, c, _)| c.reservataire(reservataire))
        .ok_or_else(|| vec![format!("réservataire `{reservataire}` introuvable")])?;
    Ok(Rapport {
        reservataire: reservataire_modele,
        annee,
        annee_precedente: annee - 1,
        totaux: totaux(&lignes),
        ecart_total: precedent.map(|p| Ecart::de(p.logements.dec(), total.dec())),
        lignes,
        total,
        precedent,
        cil: fiche.and_then(|(_, f)| f.cil),
        avertissements,
    })
}
