//! The council report (seed 000, first pages) as a Typst document.
//!
//! Takes a [`Rapport`] (figures gathered across the réservataire's
//! conventions) and gives one [`DocumentSource`] built from
//! `templates/rapport/rapport.typ.j2`. The view model ([`RapportVue`],
//! contract in docs/vue-modele.md § Rapport) holds every figure already
//! computed, sums and differences included; the template words and places.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compute::avenant;
use crate::compute::rapport::{Precedent, Rapport, SourcePrecedent};
use crate::model::{DateEffet, Nature};
use crate::render::avenant::EcartSigne;
use crate::render::vue::{self, DateVue, DocumentVue};
use crate::render::{DocumentSource, RenderError, Rendu};

#[derive(Clone, Debug, Serialize)]
pub struct RapportVue {
    pub document: DocumentVue,
    pub reservataire: ReservataireRapportVue,
    pub annee: i32,
    pub annee_precedente: i32,
    /// Every convention starts this year: conventions to approve, not avenants.
    pub premiere_annee: bool,
    /// First year of flux management among the conventions.
    pub debut_flux: i32,
    /// Date of the CIL (ISO) or null.
    pub cil: Option<String>,
    pub illustratif: bool,
    /// The territory of the conventions (the first convention's), for the
    /// seed's « signée par l'ensemble des communes, le TO et le bailleur ».
    pub territoire: Option<vue::TerritoireVue>,
    pub lignes: Vec<LigneRapportVue>,
    pub totaux: TotauxRapportVue,
    pub precedent: Option<PrecedentVue>,
    /// Σ this year − Σ the year before.
    pub ecart_total: Option<EcartSigne>,
    pub durees: Vec<DureeVue>,
    /// Some convention carries a bilan this year.
    pub bilans: bool,
    /// Distinct avenant numbers of the year, ascending.
    pub avenants: Vec<u32>,
    /// The title every convention of the report shares (one model
    /// convention, « 1 projet de convention-type »); `null` when they differ.
    pub titre_commun: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReservataireRapportVue {
    pub id: String,
    pub nom: String,
    pub designation: String,
    pub nature: Nature,
    /// « la Ville » (a commune's report speaks of itself as the seed's does:
    /// the first word of its designation, « Ville » or « Commune »),
    /// « le Territoire de l’Ouest » (inside a sentence).
    pub la: String,
    /// The pronoun for `la`: « elle », « il », or `la` again when its
    /// gender is unknown.
    pub elle: String,
    /// « la commune du Port »: its name, lowercased initial, for a commune
    /// (the seed's « logements affectés à la commune de Le Port »); `la`
    /// otherwise.
    pub la_nom: String,
    /// The same with a capital, to start a sentence.
    pub la_maj: String,
    /// « conseil municipal », « conseil communautaire » or « organe délibérant ».
    pub conseil: &'static str,
    /// Who signs: « le Maire, ou tout adjoint habilité »…
    pub executif: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct BilanRapportVue {
    pub recu_le: String,
    pub en_retard: bool,
    pub engages: Option<u32>,
    pub proposes: u32,
    pub attribues: u32,
    /// What was done, counted as the convention's model says (leases +
    /// units refused by every candidate, or units made available); `null`
    /// when the bilan lacks the leases.
    pub realise: Option<u32>,
    /// réalisé − engagés.
    pub ecart_realise: Option<EcartSigne>,
    /// The engagement was not met (from `compute`).
    pub non_atteint: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct LigneRapportVue {
    /// The rate the bailleur transmitted when the annex corrected it
    /// (the annex's `taux` prevails); `null` otherwise.
    pub taux_transmis: Option<String>,
    /// Every figure the bailleur transmitted that the annex corrects, its
    /// counts in the annex's order, then its rate (`taux_transmis`).
    pub corrections: Vec<CorrectionVue>,
    pub convention: String,
    pub titre: String,
    pub bailleur: String,
    /// « la SODIAC » (with `bailleur.article`), to write « Pour la SODIAC ».
    pub bailleur_le: String,
    pub taux: String,
    /// The rate the list cites: as the bailleur transmitted it when it is
    /// the annex's (« 18.2 »), the annex's otherwise.
    pub taux_cite: String,
    pub parc_soumis: u32,
    pub flux_previsionnel: u32,
    pub mobilisables: u32,
    pub affectes: u32,
    pub affectes_precedent: Option<u32>,
    pub ecart: Option<EcartSigne>,
    pub avenant: Option<u32>,
    /// The document to attach, relative to the output folder.
    pub document: String,
    pub bilan: Option<BilanRapportVue>,
}

/// A figure as transmitted by the bailleur and as the annex prints it.
#[derive(Clone, Debug, Serialize)]
pub struct CorrectionVue {
    /// `parc_soumis`, `flux_previsionnel`, `mobilisables`, `affectes` (a
    /// count) or `taux` (a rate).
    pub chiffre: &'static str,
    pub transmis: String,
    pub corrige: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TotauxRapportVue {
    pub parc_soumis: u64,
    pub flux_previsionnel: u64,
    pub mobilisables: u64,
    pub affectes: u32,
    /// Σ of the year before over the same conventions, when all have it.
    pub affectes_precedent: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PrecedentVue {
    pub annee: i32,
    pub logements: u32,
    pub source: SourcePrecedent,
}

/// Conventions sharing the same duration clause.
#[derive(Clone, Debug, Serialize)]
pub struct DureeVue {
    pub bailleurs: Vec<String>,
    pub duree_ans: u32,
    pub a_la_signature: bool,
    pub debut: Option<String>,
    pub reconduction_duree_ans: u32,
    pub reconduction_max: u32,
    pub derniere_annee: Option<i32>,
    /// The day they end with every renewal (ISO), when their start date is known.
    pub date_fin: Option<String>,
}

/// Duration, start, renewals, last year and end date of a convention.
type CleDuree = (
    u32,
    bool,
    Option<String>,
    u32,
    u32,
    Option<i32>,
    Option<String>,
);

fn majuscule(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(p) => {
            let mut m: String = p.to_uppercase().collect();
            m.push_str(c.as_str());
            m
        }
        None => String::new(),
    }
}

/// Builds the report's context.
pub fn construire(r: &Rapport) -> RapportVue {
    let res = r.reservataire;
    let premiere = r.lignes.first().map(|l| l.convention);
    let mot = res
        .designation
        .split_whitespace()
        .next()
        .unwrap_or_default();
    let la = match res.nature {
        Nature::Commune if ["Ville", "Commune"].contains(&mot) => format!("la {mot}"),
        Nature::Commune => format!("la {}", res.designation),
        Nature::Epci => premiere.map_or(res.designation.clone(), |c| {
            crate::francais::formes(&c.territoire.article, &c.territoire.nom).le
        }),
        _ => res.designation.clone(),
    };
    let elle = match res.nature {
        Nature::Commune => "elle".to_string(),
        Nature::Epci => match premiere.map(|c| c.territoire.article.as_str()) {
            Some("le") => "il".to_string(),
            Some("la") => "elle".to_string(),
            _ => la.clone(),
        },
        _ => la.clone(),
    };
    let la_nom = match res.nature {
        Nature::Commune => {
            let mut c = res.nom.chars();
            let initiale: String = c.next().into_iter().flat_map(char::to_lowercase).collect();
            format!("la {initiale}{}", c.as_str())
        }
        _ => la.clone(),
    };
    let (conseil, executif) = match res.nature {
        Nature::Commune => ("conseil municipal", "le Maire, ou tout adjoint habilité"),
        Nature::Epci => (
            "conseil communautaire",
            "le Président, ou tout vice-président habilité",
        ),
        _ => ("organe délibérant", "son représentant habilité"),
    };
    let lignes: Vec<LigneRapportVue> = r
        .lignes
        .iter()
        .map(|l| {
            let c = l.convention;
            let document = match l.avenant {
                None => format!("{}/{}/convention.pdf", r.annee, c.id),
                Some(n) => format!("{}/{}/avenant-{n}.pdf", r.annee, c.id),
            };
            let corrections = l
                .corrections
                .iter()
                .map(|k| CorrectionVue {
                    chiffre: k.chiffre.map_or("taux", |c| c.cle()),
                    transmis: k.transmis.to_string(),
                    corrige: k.calcule.to_string(),
                })
                .collect();
            LigneRapportVue {
                taux_transmis: l.taux_transmis.map(|t| t.to_string()),
                corrections,
                convention: c.id.clone(),
                titre: c.titre.clone(),
                bailleur: c.bailleur.nom.clone(),
                bailleur_le: crate::francais::formes(&c.bailleur.article, &c.bailleur.nom).le,
                taux: l.flux.taux.to_string(),
                taux_cite: l.taux_cite.to_string(),
                parc_soumis: l.flux.parc_soumis.0,
                flux_previsionnel: l.flux.flux_previsionnel.0,
                mobilisables: l.flux.mobilisables.0,
                affectes: l.flux.affectes.0,
                affectes_precedent: l.precedent.map(|p| p.affectes.0),
                ecart: l.ecart.map(EcartSigne::from),
                avenant: l.avenant,
                document,
                bilan: l.bilan.map(|(b, br)| BilanRapportVue {
                    recu_le: b.recu_le.v.iso(),
                    en_retard: b.en_retard(),
                    engages: l.precedent.map(|p| p.affectes.0),
                    proposes: br.proposes.v.0,
                    attribues: br.attribues.v.0,
                    realise: avenant::realise(l.convention.modele, br).map(|n| n.0),
                    ecart_realise: l.ecart_bilan.map(EcartSigne::from),
                    non_atteint: l.non_atteint == Some(true),
                }),
            }
        })
        .collect();
    let totaux = TotauxRapportVue {
        parc_soumis: r.totaux.parc_soumis,
        flux_previsionnel: r.totaux.flux_previsionnel,
        mobilisables: r.totaux.mobilisables,
        affectes: r.total.0,
        affectes_precedent: r.totaux.affectes_precedent,
    };
    // Duration clauses, grouped when identical.
    let mut durees: BTreeMap<CleDuree, Vec<String>> = BTreeMap::new();
    for l in &r.lignes {
        let c = l.convention;
        let (a_la_signature, debut) = match &c.date_effet {
            DateEffet::Date(d) => (false, Some(d.iso())),
            DateEffet::ALaSignature => (true, None),
        };
        durees
            .entry((
                c.duree_ans,
                a_la_signature,
                debut,
                c.reconduction.duree_ans,
                c.reconduction.nombre_max,
                c.derniere_annee(),
                c.date_fin().map(|d| d.iso()),
            ))
            .or_default()
            .push(c.bailleur.nom.clone());
    }
    let durees = durees
        .into_iter()
        .map(
            |((d, s, debut, rd, rm, fin, date_fin), bailleurs)| DureeVue {
                bailleurs,
                duree_ans: d,
                a_la_signature: s,
                debut,
                reconduction_duree_ans: rd,
                reconduction_max: rm,
                derniere_annee: fin,
                date_fin,
            },
        )
        .collect();
    let mut avenants: Vec<u32> = r.lignes.iter().filter_map(|l| l.avenant).collect();
    avenants.sort_unstable();
    avenants.dedup();
    let debut_flux = r
        .lignes
        .iter()
        .filter_map(|l| l.convention.premiere_annee())
        .min()
        .unwrap_or(r.annee);
    let precedent = r.precedent.map(
        |Precedent {
             annee,
             logements,
             source,
         }| PrecedentVue {
            annee,
            logements: logements.0,
            source,
        },
    );
    let mut auteurs = vec![res.nom.clone()];
    for l in &r.lignes {
        if !auteurs.contains(&l.convention.bailleur.nom) {
            auteurs.push(l.convention.bailleur.nom.clone());
        }
    }
    let titre = format!(
        "Rapport au {conseil} — {} — gestion en flux des réservations, année {}",
        res.nom, r.annee
    );
    let mut vue = RapportVue {
        document: DocumentVue {
            titre: titre.clone(),
            sujet: format!(
                "Conventions de gestion en flux des contingents de réservation de logements sociaux : {} conventions, {} logements affectés en {}",
                r.lignes.len(),
                r.total,
                r.annee
            ),
            mots_cles: vec![
                "gestion en flux".into(),
                "logement social".into(),
                "rapport au conseil".into(),
                "loi ELAN".into(),
                "décret n° 2020-145".into(),
                res.nom.clone(),
                r.annee.to_string(),
            ],
            auteurs,
            date: DateVue {
                annee: r.annee,
                mois: 1,
                jour: 1,
            },
            pied: titre,
            // A report spans several conventions: no party's logo.
            logos: Vec::new(),
            parties: Default::default(),
            annexes_a_part: false,
        },
        reservataire: ReservataireRapportVue {
            id: res.id.v.clone(),
            nom: res.nom.clone(),
            designation: res.designation.clone(),
            nature: res.nature,
            la_maj: majuscule(&la),
            la,
            elle,
            la_nom,
            conseil,
            executif,
        },
        annee: r.annee,
        annee_precedente: r.annee_precedente,
        premiere_annee: r.premiere_annee(),
        debut_flux,
        cil: r.cil.map(|d| d.iso()),
        illustratif: r.illustratif(),
        territoire: r
            .lignes
            .first()
            .map(|l| vue::territoire(&l.convention.territoire)),
        ecart_total: r.ecart_total.map(EcartSigne::from),
        titre_commun: r
            .lignes
            .first()
            .map(|l| l.convention.titre.clone())
            .filter(|t| r.lignes.iter().all(|l| &l.convention.titre == t)),
        bilans: lignes.iter().any(|l| l.bilan.is_some()),
        lignes,
        totaux,
        precedent,
        durees,
        avenants,
    };
    if vue.illustratif {
        vue::marquer_illustratif(&mut vue.document);
    }
    vue
}

/// The report as a Typst document (`rapport-<réservataire>.pdf`).
pub fn document(r: &Rendu, rapport: &Rapport) -> Result<DocumentSource, RenderError> {
    let ctx = construire(rapport);
    let tpl = "rapport/rapport.typ.j2";
    Ok(DocumentSource {
        fichier: format!("rapport-{}.pdf", ctx.reservataire.id),
        description: format!("rapport au {}", ctx.reservataire.conseil),
        template: tpl,
        source: r.rendre(tpl, &ctx)?,
        ident: format!("convflux/rapport/{}/{}", ctx.reservataire.id, ctx.annee),
        modele: r.modele.clone(),
        partie_de: None,
        morceaux: None,
    })
}
