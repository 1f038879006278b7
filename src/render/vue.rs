//! View models: plain `Serialize` structs built for the templates
//! (contract: docs/vue-modele.md). Every figure here comes from `compute`;
//! templates only format and place them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compute::{Flux, FluxAnnexe, TauxSource};
use crate::model::vocabulaire::{DEDUCTIONS, EXCLUSIONS, Terme};
use crate::model::*;

#[derive(Clone, Debug, Serialize)]
pub struct Vue {
    pub document: DocumentVue,
    pub convention: ConventionVue,
    pub territoire: TerritoireVue,
    pub textes: BTreeMap<String, Bloc>,
    pub clauses: ClausesVue,
    pub bailleur: BailleurVue,
    pub reservataires: Vec<ReservataireVue>,
    pub exercice: ExerciceVue,
    pub annexes: Vec<AnnexeVue>,
    pub etat_des_lieux: Option<EtatDesLieuxVue>,
}

/// This convention's own clauses: articles added before the signatures, and
/// new bodies of the model's articles keyed by their number as text (`"10"`).
#[derive(Clone, Debug, Serialize)]
pub struct ClausesVue {
    pub dispositions: Vec<Disposition>,
    pub remplacements: BTreeMap<String, Bloc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DateVue {
    pub annee: i32,
    pub mois: u8,
    pub jour: u8,
}

#[derive(Clone, Debug, Serialize)]
pub struct DocumentVue {
    pub titre: String,
    pub sujet: String,
    pub mots_cles: Vec<String>,
    pub auteurs: Vec<String>,
    pub date: DateVue,
    pub pied: String,
    /// The fixed paths of the logos printed above the title of the first
    /// page (territoire, bailleur, réservataires); empty: no logo row.
    pub logos: Vec<String>,
    /// The parts of the composition, by the name templates look them up
    /// with (an intercommunal annex: its réservataire's id; bilatéral:
    /// `annexe-1` to `annexe-3`): each annex is also written alone as the
    /// pages it occupies (see [`parties`]).
    pub parties: BTreeMap<String, PartieVue>,
    /// The annexes are laid out apart (a convention with many annexes,
    /// `render::Morceaux`): the composition prints its body only, and
    /// convflux adds the annexes' pages after it.
    pub annexes_a_part: bool,
}

/// A part of the composition: an annex, written alone as the pages from its
/// start marker to the next part (`debut-annexe(partie: …)` in the library).
#[derive(Clone, Debug, Serialize)]
pub struct PartieVue {
    /// The file it is written to, without `.pdf` (`annexe-le-port`).
    pub cle: String,
    /// Its footer's left text (its pages are numbered on their own).
    pub pied: String,
}

/// The annexes of one year of a convention that are also written alone:
/// template name → file and footer. The file names are the render stage's
/// (`Rendu::documents`), so the composition and the files always agree.
pub fn parties(c: &Convention, flux: &Flux) -> BTreeMap<String, PartieVue> {
    match c.modele {
        Modele::Intercommunal => flux
            .annexes
            .iter()
            .map(|a| {
                let nom = c
                    .reservataire(&a.reservataire)
                    .map_or(a.reservataire.as_str(), |r| r.designation.as_str());
                (
                    a.reservataire.clone(),
                    PartieVue {
                        cle: format!("annexe-{}", a.reservataire),
                        pied: format!("{} — Annexe {nom}", c.titre),
                    },
                )
            })
            .collect(),
        Modele::Bilateral => ANNEXES_BILATERAL
            .iter()
            .map(|(nom, cle, titre)| {
                (
                    (*nom).to_owned(),
                    PartieVue {
                        cle: (*cle).to_owned(),
                        pied: format!("{} — {titre}", c.titre),
                    },
                )
            })
            .collect(),
    }
}

/// The bilatéral model's annexes: template name, file (without `.pdf`), title.
pub const ANNEXES_BILATERAL: [(&str, &str, &str); 3] = [
    (
        "annexe-1",
        "annexe-1-etat-des-lieux",
        "Annexe 1 : état des lieux",
    ),
    (
        "annexe-2",
        "annexe-2-assiette",
        "Annexe 2 : assiette prévisionnelle",
    ),
    (
        "annexe-3",
        "annexe-3-indicateurs",
        "Annexe 3 : indicateurs du bilan",
    ),
];

#[derive(Clone, Debug, Serialize)]
pub struct ConventionVue {
    pub id: String,
    pub modele: Modele,
    pub titre: String,
    pub a_la_signature: bool,
    pub debut: Option<String>,
    pub fin: Option<String>,
    pub duree_ans: u32,
    pub reconduction_duree_ans: u32,
    pub reconduction_max: u32,
    pub derniere_annee: Option<i32>,
    /// The day it ends with every renewal (ISO), when its start date is
    /// known ([`Convention::date_fin`]).
    pub date_fin: Option<String>,
    pub premiere_annee: i32,
    /// Year of the first bilan: the year after the first exercise (seed 000 art. 8).
    pub premier_bilan: i32,
    /// The years of the initial period (seed 004 art. 4: "2024, 2025 et 2026").
    pub annees: Vec<i32>,
    pub exemplaires: Option<u32>,
    pub lieu_signature: Option<String>,
    pub date_signature: Option<String>,
    pub tribunal: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TerritoireVue {
    pub nom: String,
    pub le: String,
    pub du: String,
    pub sigle: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SignataireVue {
    pub civilite: Option<String>,
    pub nom: Option<String>,
    pub qualite: String,
    pub champ: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BailleurVue {
    pub nom: String,
    pub denomination: Option<String>,
    pub forme_juridique: Option<String>,
    pub capital: Option<String>,
    pub siege: Option<String>,
    pub rcs_ville: Option<String>,
    pub rcs_numero: Option<String>,
    pub siret: Option<String>,
    pub sem: bool,
    pub signataire: SignataireVue,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeliberationVue {
    pub numero: Option<String>,
    pub date: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReservataireVue {
    pub id: String,
    pub nom: String,
    pub designation: String,
    pub nature: Nature,
    pub adresse: Option<String>,
    pub signataire: SignataireVue,
    pub deliberation: Option<DeliberationVue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExerciceVue {
    pub annee: i32,
}

#[derive(Clone, Debug, Serialize)]
pub struct PatrimoineVue {
    pub date: String,
    pub source: Option<String>,
    pub logements: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct RotationVue {
    pub taux: String,
    pub methode: &'static str,
    pub libelle_methode: Option<String>,
    pub annee: Option<i32>,
    pub annees: Vec<i32>,
    pub historique: Vec<AnneeRotation>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AnnexeVue {
    pub reservataire: ReservataireVue,
    pub perimetre: String,
    pub annee: i32,
    pub patrimoine: PatrimoineVue,
    pub exclusions: BTreeMap<&'static str, u32>,
    pub exclusions_specifiques: u64,
    /// gens du voyage + habitat inclusif + art. 109 ELAN (seed 004 annex 2,
    /// "financements spécifiques et dédiés à des publics précis").
    pub exclusions_financements_specifiques: u64,
    pub total_exclusions: u32,
    pub parc_soumis: u32,
    pub rotation: RotationVue,
    pub flux_exact: String,
    pub flux_previsionnel: u32,
    pub deductions: BTreeMap<&'static str, u32>,
    /// The same, as lines in vocabulary order (for templates that list them).
    pub lignes_exclusions: Vec<LigneCategorieVue>,
    pub lignes_deductions: Vec<LigneCategorieVue>,
    pub mutations_pourcentage: Option<String>,
    pub orcod_lhi: u64,
    pub total_deductions: u32,
    pub mobilisables: u32,
    pub taux: String,
    pub taux_source: TauxSource,
    pub affectes_exact: String,
    pub affectes: u32,
}

/// One category of a vocabulary (exclusion, deduction) and its count.
#[derive(Clone, Debug, Serialize)]
pub struct LigneCategorieVue {
    pub cle: &'static str,
    pub libelle: &'static str,
    pub nombre: u32,
    /// The model's annex prints this line: always for the categories it
    /// names, otherwise only when not 0 (so that the lines add up).
    pub imprimee: bool,
}

fn lignes<T: Copy + PartialEq>(
    table: &[Terme<T>],
    toujours: &[T],
    nombre: impl Fn(T) -> u32,
) -> Vec<LigneCategorieVue> {
    table
        .iter()
        .map(|t| {
            let n = nombre(t.valeur);
            LigneCategorieVue {
                cle: t.cle,
                libelle: t.libelle,
                nombre: n,
                imprimee: n != 0 || toujours.contains(&t.valeur),
            }
        })
        .collect()
}

/// Exclusions and deductions each model's annex always prints (the others
/// are printed when not 0 in either year).
pub fn toujours(m: Modele) -> (&'static [Exclusion], &'static [Deduction]) {
    match m {
        Modele::Intercommunal => (
            &[
                Exclusion::Defense,
                Exclusion::Vente,
                Exclusion::Demolition,
                Exclusion::HabitatInclusif,
            ],
            &[Deduction::Anru, Deduction::Lhi, Deduction::Mutations],
        ),
        Modele::Bilateral => (
            &[
                Exclusion::Defense,
                Exclusion::Vente,
                Exclusion::Demolition,
                Exclusion::Associations,
                Exclusion::PlaiAdaptes,
            ],
            &[
                Deduction::Mutations,
                Deduction::Anru,
                Deduction::Orcod,
                Deduction::Lhi,
                Deduction::VenteDemolition,
            ],
        ),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct GarantVue {
    pub id: String,
    pub nom: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProgrammeVue {
    pub commune: String,
    pub residence: String,
    pub code: String,
    pub financements: BTreeMap<String, u32>,
    pub total: u32,
    pub mise_en_location: Option<i32>,
    pub parts: BTreeMap<String, String>,
    pub reserves: BTreeMap<String, u32>,
    /// The rows the commune's cell spans, on the first programme of a run
    /// of programmes of the same commune; `None` on the others (the seed's
    /// table merges these cells).
    pub lignes_commune: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TotauxVue {
    pub financements: BTreeMap<String, u32>,
    pub total: u32,
    pub reserves: BTreeMap<String, u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EtatDesLieuxVue {
    pub quotite: String,
    pub garants: Vec<GarantVue>,
    pub programmes: Vec<ProgrammeVue>,
    pub financements: Vec<String>,
    pub totaux: TotauxVue,
    pub taux: BTreeMap<String, String>,
}

fn signataire(s: &Signataire, id: &str) -> SignataireVue {
    SignataireVue {
        civilite: s.civilite.clone(),
        nom: s.nom.clone(),
        qualite: s.qualite.clone(),
        champ: format!("signature-{id}"),
    }
}

fn reservataire(r: &Reservataire) -> ReservataireVue {
    ReservataireVue {
        id: r.id.v.clone(),
        nom: r.nom.clone(),
        designation: r.designation.clone(),
        nature: r.nature,
        adresse: r.adresse.clone(),
        signataire: signataire(&r.signataire, &r.id.v),
        deliberation: r.deliberation.as_ref().map(|d| DeliberationVue {
            numero: d.numero.clone(),
            date: d.date.map(|d| d.iso()),
        }),
    }
}

pub fn territoire(t: &Territoire) -> TerritoireVue {
    let f = crate::francais::formes(&t.article, &t.nom);
    let (le, du) = (f.le, f.de_le);
    TerritoireVue {
        nom: t.nom.clone(),
        le,
        du,
        sigle: t.sigle.clone(),
    }
}

fn annexe(c: &Convention, a: &Annexe, f: &FluxAnnexe) -> AnnexeVue {
    let r = c
        .reservataire(&a.reservataire.v)
        .map(reservataire)
        .unwrap_or_else(|| ReservataireVue {
            id: a.reservataire.v.clone(),
            nom: a.reservataire.v.clone(),
            designation: a.reservataire.v.clone(),
            nature: Nature::Autre,
            adresse: None,
            signataire: SignataireVue {
                civilite: None,
                nom: None,
                qualite: String::new(),
                champ: format!("signature-{}", a.reservataire.v),
            },
            deliberation: None,
        });
    let (ex_toujours, de_toujours) = toujours(c.modele);
    let ex = |x: Exclusion| f.exclusions.get(&x).map_or(0, |l| l.0);
    let de = |x: Deduction| f.deductions.get(&x).map_or(0, |l| l.0);
    let rotation = match &a.rotation {
        Rotation::Annuelle { taux, annee } => RotationVue {
            taux: taux.v.0.to_string(),
            methode: "annuelle",
            libelle_methode: None,
            annee: *annee,
            annees: annee.iter().copied().collect(),
            historique: Vec::new(),
        },
        Rotation::Moyenne {
            taux,
            annees,
            methode,
        } => RotationVue {
            taux: taux.v.0.to_string(),
            methode: "moyenne_triennale",
            libelle_methode: methode.clone(),
            annee: annees.last().copied(),
            annees: annees.clone(),
            historique: Vec::new(),
        },
        Rotation::Calculee { historique, .. } => RotationVue {
            taux: f.taux_rotation.to_string(),
            methode: "calculee",
            libelle_methode: None,
            annee: historique.last().map(|h| h.annee),
            annees: historique.iter().map(|h| h.annee).collect(),
            historique: historique.clone(),
        },
    };
    AnnexeVue {
        reservataire: r,
        perimetre: a.perimetre.clone(),
        annee: f.annee,
        patrimoine: PatrimoineVue {
            date: a.patrimoine.date.v.iso(),
            source: a.patrimoine.source.clone(),
            logements: f.logements.0,
        },
        exclusions: Exclusion::TOUTES
            .iter()
            .map(|x| (x.cle(), ex(*x)))
            .collect(),
        exclusions_specifiques: f.exclusions_specifiques(),
        exclusions_financements_specifiques: f.exclusions_financements_specifiques(),
        total_exclusions: f.total_exclusions.0,
        parc_soumis: f.parc_soumis.0,
        rotation,
        flux_exact: f.flux_exact.normalize().to_string(),
        flux_previsionnel: f.flux_previsionnel.0,
        deductions: Deduction::TOUTES
            .iter()
            .map(|x| (x.cle(), de(*x)))
            .collect(),
        lignes_exclusions: lignes(EXCLUSIONS, ex_toujours, ex),
        lignes_deductions: lignes(DEDUCTIONS, de_toujours, de),
        mutations_pourcentage: match &a.mutations {
            Some(Mutations::Pourcentage(p)) => Some(p.v.0.to_string()),
            _ => None,
        },
        orcod_lhi: f.orcod_lhi(),
        total_deductions: f.total_deductions.0,
        mobilisables: f.mobilisables.0,
        taux: f.taux.to_string(),
        taux_source: f.taux_source,
        affectes_exact: f.affectes_exact.normalize().to_string(),
        affectes: f.affectes.0,
    }
}

fn etat_des_lieux(c: &Convention, f: &Flux) -> Option<EtatDesLieuxVue> {
    let (e, d) = (c.etat_des_lieux.as_ref()?, f.etat_des_lieux.as_ref()?);
    // The état des lieux of this year: with the new programmes of earlier
    // exercises, now in flux (Convention::programmes_etat_des_lieux).
    let programmes = c.programmes_etat_des_lieux(f.annee);
    let mut financements: Vec<String> = Vec::new();
    for p in &programmes {
        for (k, _) in &p.financements {
            if !financements.contains(k) {
                financements.push(k.clone());
            }
        }
    }
    let mut vue = EtatDesLieuxVue {
        quotite: e.quotite.v.0.to_string(),
        garants: e
            .garants
            .iter()
            .map(|g| GarantVue {
                id: g.id.v.clone(),
                nom: g.nom.clone(),
            })
            .collect(),
        programmes: programmes
            .iter()
            .zip(&d.programmes)
            .map(|(p, dp)| ProgrammeVue {
                commune: p.commune.clone(),
                residence: p.residence.clone(),
                code: p.code.clone(),
                financements: p
                    .financements
                    .iter()
                    .map(|(k, v)| (k.clone(), v.0))
                    .collect(),
                total: dp.total.0,
                mise_en_location: p.mise_en_location,
                parts: p
                    .parts
                    .iter()
                    .map(|(k, v)| (k.clone(), v.v.0.to_string()))
                    .collect(),
                reserves: dp.reserves.iter().map(|(k, v)| (k.clone(), v.0)).collect(),
                lignes_commune: None,
            })
            .collect(),
        financements,
        totaux: TotauxVue {
            financements: d
                .totaux_financements
                .iter()
                .map(|(k, v)| (k.clone(), v.0))
                .collect(),
            total: d.total_logements.0,
            reserves: d.reserves.iter().map(|(k, v)| (k.clone(), v.0)).collect(),
        },
        taux: d
            .taux
            .iter()
            .map(|(k, t)| (k.clone(), t.arrondi.to_string()))
            .collect(),
    };
    // The commune's cell merged over its consecutive programmes (layout).
    for suite in vue.programmes.chunk_by_mut(|a, b| a.commune == b.commune) {
        suite[0].lignes_commune = Some(suite.len());
    }
    Some(vue)
}

/// Builds the template context for one year of a convention. `seule` keeps
/// only the annex of that réservataire (an annex printed alone).
/// The logos the first page of a convention or avenant prints: every party's
/// (an annex alone prints none: its pages are the convention's).
fn logos(c: &Convention) -> Vec<String> {
    c.logos()
        .into_iter()
        .map(|(p, l)| p.chemin_logo(l.format))
        .collect()
}

/// Flags an illustrative document in its metadata (Subject and Keywords),
/// as its text and watermark already do: it must not be signed.
pub fn marquer_illustratif(doc: &mut DocumentVue) {
    doc.sujet = format!(
        "Document d’exemple, chiffres illustratifs non réels, à ne pas signer — {}",
        doc.sujet
    );
    doc.mots_cles.push("chiffres illustratifs".into());
    doc.mots_cles.push("document d’exemple".into());
}

pub fn construire(c: &Convention, flux: &Flux, seule: Option<&str>, titre_doc: &str) -> Vue {
    let premiere = c.premiere_annee().unwrap_or(flux.annee);
    let (debut, fin, a_la_signature) = match &c.date_effet {
        DateEffet::Date(d) => (Some(d.iso()), Some(d.fin_periode(c.duree_ans).iso()), false),
        DateEffet::ALaSignature => (None, None, true),
    };
    let annee_debut = match &c.date_effet {
        DateEffet::Date(d) => d.annee,
        DateEffet::ALaSignature => c.date_signature.map_or(premiere, |d| d.annee),
    };
    let annexes: Vec<AnnexeVue> = c
        .exercice(flux.annee)
        .map(|e| {
            e.annexes
                .iter()
                .zip(&flux.annexes)
                .filter(|(a, _)| seule.is_none_or(|id| a.reservataire.v == id))
                .map(|(a, f)| annexe(c, a, f))
                .collect()
        })
        .unwrap_or_default();
    let mut auteurs = vec![c.bailleur.nom.clone()];
    auteurs.extend(c.reservataires.iter().map(|r| r.nom.clone()));
    let date = c
        .date_signature
        .or(match &c.date_effet {
            DateEffet::Date(d) if d.annee == flux.annee => Some(*d),
            _ => None,
        })
        .unwrap_or(Date {
            annee: flux.annee,
            mois: 1,
            jour: 1,
        });
    // One title per document: the Territoire de l'Ouest's five conventions
    // share their title, their bailleur tells them apart.
    let titre = if titre_doc.is_empty() {
        format!("{} — {}", c.titre, c.bailleur.nom)
    } else {
        format!("{} — {} — {titre_doc}", c.titre, c.bailleur.nom)
    };
    Vue {
        document: DocumentVue {
            titre,
            sujet: format!(
                "Convention de gestion en flux des réservations de logements sociaux — {} — exercice {}",
                c.bailleur.nom, flux.annee
            ),
            mots_cles: vec![
                "gestion en flux".into(),
                "logement social".into(),
                "réservation".into(),
                "loi ELAN".into(),
                "décret n° 2020-145".into(),
                c.bailleur.nom.clone(),
                flux.annee.to_string(),
            ],
            auteurs,
            date: DateVue {
                annee: date.annee,
                mois: date.mois,
                jour: date.jour,
            },
            pied: format!("{} — {}", c.titre, c.bailleur.nom),
            // Only the composition's first page has them: an annex alone
            // is the very pages it occupies in the convention.
            logos: if seule.is_none() && titre_doc.is_empty() {
                logos(c)
            } else {
                Vec::new()
            },
            parties: parties(c, flux),
            annexes_a_part: false,
        },
        convention: ConventionVue {
            id: c.id.clone(),
            modele: c.modele,
            // Printed in titles and visas: a party's name never breaks.
            titre: crate::francais::lier_noms(
                &c.titre,
                std::iter::once(c.territoire.nom.as_str())
                    .chain(std::iter::once(c.bailleur.nom.as_str()))
                    .chain(c.reservataires.iter().map(|r| r.nom.as_str())),
            ),
            a_la_signature,
            debut,
            fin,
            duree_ans: c.duree_ans,
            reconduction_duree_ans: c.reconduction.duree_ans,
            reconduction_max: c.reconduction.nombre_max,
            derniere_annee: c.derniere_annee(),
            date_fin: c.date_fin().map(|d| d.iso()),
            premiere_annee: premiere,
            premier_bilan: premiere + 1,
            annees: (annee_debut..annee_debut + c.duree_ans as i32).collect(),
            exemplaires: c.exemplaires,
            lieu_signature: c.lieu_signature.clone(),
            date_signature: c.date_signature.map(|d| d.iso()),
            tribunal: c.tribunal.clone(),
        },
        territoire: territoire(&c.territoire),
        textes: c.textes.clone(),
        clauses: ClausesVue {
            dispositions: c.clauses.dispositions.clone(),
            remplacements: c
                .clauses
                .remplacements
                .iter()
                .map(|(n, b)| (n.to_string(), b.clone()))
                .collect(),
        },
        bailleur: BailleurVue {
            nom: c.bailleur.nom.clone(),
            denomination: c.bailleur.denomination.clone(),
            forme_juridique: c.bailleur.forme_juridique.clone(),
            capital: c.bailleur.capital.map(|d| d.to_string()),
            siege: c.bailleur.siege.clone(),
            rcs_ville: c.bailleur.rcs_ville.clone(),
            rcs_numero: c.bailleur.rcs_numero.clone(),
            siret: c.bailleur.siret.clone(),
            sem: c.bailleur.sem,
            signataire: signataire(&c.bailleur.signataire, "bailleur"),
        },
        reservataires: c.reservataires.iter().map(reservataire).collect(),
        exercice: ExerciceVue { annee: flux.annee },
        annexes,
        etat_des_lieux: etat_des_lieux(c, flux),
    }
}
