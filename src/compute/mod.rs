//! Stage 3, `compute`: validated model → the flow of each annex, exact.
//!
//! stock − exclusions = parc soumis → × rotation = flux prévisionnel →
//! − déductions = logements mobilisables → × taux = logements affectés.
//! Every step is a [`Etape`] carrying its exact value, its rounded value and
//! its source (CCH article or the convention's own article), so
//! `calculer --detail` and the documents show "valeur — source". No string is
//! formatted for the user here and nothing is rounded outside `arrondi`.
//! This stage is total: it never fails and never panics on a validated model;
//! inconsistencies (deductions above the flux…) are reported by `controle`.

pub mod arrondi;
pub mod avenant;
pub mod rapport;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::citation::{Citation, Source, Texte};
use crate::model::{
    Annexe, Arrondi, Convention, Deduction, EtatDesLieux, Exclusion, Logements, Modele, Mutations,
    Programme, Rotation, Taux,
};

/// One step of the computation, with its legal source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Etape {
    pub cle: &'static str,
    pub libelle: &'static str,
    /// Exact value (a count, a rate in percent, or an exact share).
    #[serde(with = "rust_decimal::serde::str")]
    pub exact: Decimal,
    /// Rounded value in dwellings, where the step yields dwellings.
    pub arrondi: Option<u32>,
    /// Where the step comes from, for this convention's model.
    pub source: Citation,
}

/// The sums behind a turnover rate computed from a history: the exact
/// fraction, before the rate's rounding (`precision` decimals).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RotationCalculee {
    pub departs: u64,
    pub parc: u64,
    pub precision: u32,
}

/// The computed flow of one annex (one réservataire, one year).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FluxAnnexe {
    pub reservataire: String,
    pub annee: i32,
    pub logements: Logements,
    pub exclusions: BTreeMap<Exclusion, Logements>,
    pub total_exclusions: Logements,
    pub parc_soumis: Logements,
    #[serde(with = "rust_decimal::serde::str")]
    pub taux_rotation: Decimal,
    /// A rate computed from a history (seed 004 art. 2.2): Σ departures and
    /// Σ stock, whose quotient `taux_rotation` rounds to its precision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_calculee: Option<RotationCalculee>,
    #[serde(with = "rust_decimal::serde::str")]
    pub flux_exact: Decimal,
    pub flux_previsionnel: Logements,
    pub deductions: BTreeMap<Deduction, Logements>,
    #[serde(with = "rust_decimal::serde::str")]
    pub mutations_exact: Decimal,
    pub total_deductions: Logements,
    pub mobilisables: Logements,
    #[serde(with = "rust_decimal::serde::str")]
    pub taux: Decimal,
    pub taux_source: TauxSource,
    #[serde(with = "rust_decimal::serde::str")]
    pub affectes_exact: Decimal,
    pub affectes: Logements,
    pub trace: Vec<Etape>,
}

impl FluxAnnexe {
    /// One of the annex's four counts as computed.
    pub fn chiffre(&self, c: crate::model::Chiffre) -> Logements {
        use crate::model::Chiffre;
        match c {
            Chiffre::ParcSoumis => self.parc_soumis,
            Chiffre::FluxPrevisionnel => self.flux_previsionnel,
            Chiffre::Mobilisables => self.mobilisables,
            Chiffre::Affectes => self.affectes,
        }
    }

    fn exclus(&self, x: Exclusion) -> u32 {
        self.exclusions.get(&x).map_or(0, |l| l.0)
    }

    fn deduit(&self, x: Deduction) -> u32 {
        self.deductions.get(&x).map_or(0, |l| l.0)
    }

    /// Logements spécifiques excluded as one line of the bilatéral model's
    /// art. 2.1: gens du voyage + habitat inclusif + art. 109 ELAN +
    /// associations. CCH art. R. 441-5.
    pub fn exclusions_specifiques(&self) -> u64 {
        [
            Exclusion::GensDuVoyage,
            Exclusion::HabitatInclusif,
            Exclusion::Art109Elan,
            Exclusion::Associations,
        ]
        .into_iter()
        .map(|x| u64::from(self.exclus(x)))
        .sum()
    }

    /// « Financements spécifiques et dédiés à des publics précis » of the
    /// bilatéral model's annex 2: gens du voyage + habitat inclusif + art. 109
    /// ELAN. CCH art. R. 441-5.
    pub fn exclusions_financements_specifiques(&self) -> u64 {
        [
            Exclusion::GensDuVoyage,
            Exclusion::HabitatInclusif,
            Exclusion::Art109Elan,
        ]
        .into_iter()
        .map(|x| u64::from(self.exclus(x)))
        .sum()
    }

    /// ORCOD + LHI relogements, one line of the bilatéral model's annex 2
    /// (art. 3.2). Décret n° 2020-145.
    pub fn orcod_lhi(&self) -> u64 {
        u64::from(self.deduit(Deduction::Orcod)) + u64::from(self.deduit(Deduction::Lhi))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TauxSource {
    Donne,
    EtatDesLieux,
}

/// Reserved units and derived rates of the état des lieux (seed 004, annex 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DroitsEtatDesLieux {
    /// Per programme (file order): total units and reserved units per guarantor.
    pub programmes: Vec<DroitsProgramme>,
    pub total_logements: Logements,
    pub totaux_financements: Vec<(String, Logements)>,
    /// Σ reserved units per guarantor (guarantor order).
    pub reserves: Vec<(String, Logements)>,
    /// Derived rate per guarantor, percent, rounded to the convention's precision.
    pub taux: Vec<(String, TauxExact)>,
    /// The programmes first let this year (`exercices[].programmes_nouveaux`,
    /// in stock for that letting): their rights, computed as the others'.
    pub premiere_location: Vec<DroitsProgramme>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TauxExact {
    #[serde(with = "rust_decimal::serde::str")]
    pub exact: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub arrondi: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DroitsProgramme {
    pub total: Logements,
    pub reserves: Vec<(String, Logements)>,
    pub reserves_exacts: Vec<(String, String)>,
}

/// The whole computation for one convention and one year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flux {
    pub convention: String,
    pub modele: Modele,
    pub annee: i32,
    pub arrondi: Arrondi,
    pub etat_des_lieux: Option<DroitsEtatDesLieux>,
    pub annexes: Vec<FluxAnnexe>,
}

impl Flux {
    pub fn annexe(&self, reservataire: &str) -> Option<&FluxAnnexe> {
        self.annexes.iter().find(|a| a.reservataire == reservataire)
    }
}

/// Computes every annex of the exercise `annee` (none if the year is absent).
pub fn calculer(c: &Convention, annee: i32) -> Flux {
    let edl = c.etat_des_lieux.as_ref().map(|e| {
        let mut d = droits_etat_des_lieux(e, &c.programmes_etat_des_lieux(annee));
        d.premiere_location = c.exercice(annee).map_or(Vec::new(), |x| {
            x.programmes_nouveaux
                .iter()
                .map(|p| droits_programme(e, p).0)
                .collect()
        });
        d
    });
    let annexes = c
        .exercice(annee)
        .map(|e| {
            e.annexes
                .iter()
                .map(|a| flux_annexe(a, annee, c.modele, c.arrondi, edl.as_ref()))
                .collect()
        })
        .unwrap_or_default();
    Flux {
        convention: c.id.clone(),
        modele: c.modele,
        annee,
        arrondi: c.arrondi,
        etat_des_lieux: edl,
        annexes,
    }
}

/// Patrimoine du bailleur sur le territoire: the convention covers the
/// bailleur's whole social stock (CCH art. R. 441-5) at the date the model
/// says (intercommunal art. 2, bilateral art. 2.1).
pub const PATRIMOINE: Source = Source::avec(&[Texte::R441_5], "art. 2", "art. 2.1");

/// Logements exclus: defence and internal security are managed in stock
/// (CCH art. R. 441-5); the other categories are the convention's
/// (intercommunal art. 1, bilateral art. 2.1).
pub const EXCLUSIONS: Source = Source::avec(&[Texte::R441_5], "art. 1", "art. 2.1");

/// Parc soumis à la gestion en flux : patrimoine − logements exclus.
/// CCH art. R. 441-5 ; convention, art. 2 (intercommunal), art. 2.1 (bilatéral).
pub const PARC_SOUMIS: Source = Source::avec(&[Texte::R441_5], "art. 2", "art. 2.1");

/// Taux de rotation: no legal method; the convention's own (intercommunal
/// individual annex, bilateral art. 2.2).
pub const ROTATION: Source = Source::convention("annexe individuelle", "art. 2.2");

/// Flux prévisionnel: the annual flow of CCH art. R. 441-5, computed as the
/// convention says (intercommunal art. 2, bilateral art. 3.1).
pub const FLUX_PREVISIONNEL: Source = Source::avec(&[Texte::R441_5], "art. 2", "art. 3.1");

/// Mutations as a share of the flow: not counted in the flow (CCH
/// art. R. 441-5); the share is the convention's (bilateral art. 3.2 and
/// annex 2; intercommunal art. 2).
pub const MUTATIONS: Source = Source::avec(&[Texte::R441_5], "art. 2", "art. 3.2 et annexe 2");

/// Déductions: mutations, urban renewal, degraded condominiums, unfit
/// housing and sales are not counted in the flow (CCH art. R. 441-5);
/// emergencies only where the convention says so (bilateral art. 3.2).
pub const DEDUCTIONS: Source = Source::avec(&[Texte::R441_5], "art. 2", "art. 3.2");

/// Logements mobilisables: the flow left to share between réservataires.
pub const MOBILISABLES: Source = Source::avec(&[Texte::R441_5], "annexe individuelle", "art. 3.2");

/// Taux du réservataire as given: reservations are a share of the flow (CCH
/// art. R. 441-5); the rate is the convention's (intercommunal individual
/// annex, « état des droits de réservation »; bilateral art. 4).
pub const TAUX_DONNE: Source = Source::avec(
    &[Texte::R441_5],
    "annexe individuelle, état des droits de réservation",
    "art. 4",
);

/// Taux du réservataire derived from the état des lieux of former rights
/// (intercommunal art. 3; bilateral art. 4 and annex 1).
pub const TAUX_ETAT_DES_LIEUX: Source =
    Source::avec(&[Texte::R441_5], "art. 3", "art. 4 et annexe 1");

/// Logements affectés: the réservataire's share of the flow (CCH art.
/// R. 441-5; intercommunal art. 3, bilateral art. 4).
pub const AFFECTES: Source = Source::avec(&[Texte::R441_5], "art. 3", "art. 4");

/// Parc soumis à la gestion en flux : patrimoine − logements exclus.
/// [`PARC_SOUMIS`]: CCH art. R. 441-5 ; convention, art. 2 / art. 2.1.
pub fn parc_soumis(logements: Logements, exclusions: Logements) -> Logements {
    Logements(logements.0.saturating_sub(exclusions.0))
}

/// Flux prévisionnel : parc soumis × taux de rotation, exact then rounded.
/// [`FLUX_PREVISIONNEL`]: CCH art. R. 441-5 ; convention, art. 2 / art. 3.1.
pub fn flux_previsionnel(parc: Logements, rotation: Taux, regle: Arrondi) -> (Decimal, Logements) {
    let exact = produit(parc.dec(), rotation.fraction());
    (exact, arrondi::logements(exact, regle))
}

/// Mutations given as a share of the forecast flow (seed 004 annex 2:
/// « 14 % des logements disponibles »), rounded by the convention's rule.
/// [`MUTATIONS`]: CCH art. R. 441-5 ; convention, art. 2 / art. 3.2 et annexe 2.
pub fn mutations_en_pourcentage(
    flux: Logements,
    part: Taux,
    regle: Arrondi,
) -> (Decimal, Logements) {
    let exact = produit(flux.dec(), part.fraction());
    (exact, arrondi::logements(exact, regle))
}

/// Logements mobilisables : flux prévisionnel − déductions (never below 0;
/// `controle` reports deductions above the flux).
/// [`MOBILISABLES`]: CCH art. R. 441-5 ; convention, annexe individuelle / art. 3.2.
pub fn logements_mobilisables(flux: Logements, deductions: Logements) -> Logements {
    Logements(flux.0.saturating_sub(deductions.0))
}

/// Logements affectés au réservataire : mobilisables × taux du réservataire.
/// [`AFFECTES`]: CCH art. R. 441-5 ; convention, art. 3 / art. 4.
pub fn logements_affectes(
    mobilisables: Logements,
    taux: Taux,
    regle: Arrondi,
) -> (Decimal, Logements) {
    let exact = produit(mobilisables.dec(), taux.fraction());
    (exact, arrondi::logements(exact, regle))
}

/// Three-year rotation rate: Σ departures / Σ stock at 31/12, in percent,
/// rounded to `precision` decimals (seed 004 art. 2.2). 0 when Σ stock is 0.
pub fn rotation_calculee(historique: &[crate::model::AnneeRotation], precision: u32) -> Decimal {
    let (departs, parc) = sommes_historique(historique);
    arrondi::pourcentage(departs, parc, precision)
}

/// Σ departures and Σ stock of a rotation history.
fn sommes_historique(historique: &[crate::model::AnneeRotation]) -> (u64, u64) {
    historique.iter().fold((0, 0), |(d, p), h| {
        (d.saturating_add(h.departs), p.saturating_add(h.parc))
    })
}

/// `a × b`, exact. Validated inputs (counts below 2³², rates ≤ 100 with at
/// most `limites::TAUX_DECIMALES_MAX` decimals) keep every product of this
/// stage within the 28 digits of `Decimal`, so no product is ever rounded
/// before the named rule of `arrondi`; debug builds check it.
fn produit(a: Decimal, b: Decimal) -> Decimal {
    let p = a.checked_mul(b).unwrap_or(Decimal::MAX);
    // `Decimal` keeps the scale sa + sb of an exact product (a zero product
    // excepted); a smaller scale means digits were dropped.
    debug_assert!(
        p.is_zero() || p.scale() == a.scale() + b.scale(),
        "produit inexact : {a} × {b}"
    );
    p
}

/// The rotation rate of an annex, in percent.
pub fn taux_rotation(r: &Rotation) -> Decimal {
    match r {
        Rotation::Annuelle { taux, .. } | Rotation::Moyenne { taux, .. } => taux.v.0,
        Rotation::Calculee {
            historique,
            precision,
            ..
        } => rotation_calculee(historique, *precision),
    }
}

/// Reserved units of each guarantor in one programme: total × quotité ×
/// share, made whole by the état des lieux' rule (nearest, halves up, by
/// default: seed 004 annex 1, 26 × 20 % × 68 % = 3,536 → 4; down in the
/// Rouen deliberation of 2019, 114 × 20 % = 22,8 → 22). No legal formula
/// (DROIT.md: practice). Returns the programme's rights and its units.
pub fn droits_programme(e: &EtatDesLieux, p: &Programme) -> (DroitsProgramme, u64) {
    let t: u64 = p.financements.iter().map(|(_, n)| u64::from(n.0)).sum();
    let mut res = Vec::new();
    let mut exacts = Vec::new();
    for g in &e.garants {
        let part = p
            .parts
            .iter()
            .find(|(id, _)| *id == g.id.v)
            .map_or(Decimal::ZERO, |(_, t)| t.v.fraction());
        let exact = produit(produit(Decimal::from(t), e.quotite.v.fraction()), part);
        let n = arrondi::logements(exact, e.arrondi);
        res.push((g.id.v.clone(), n));
        exacts.push((g.id.v.clone(), exact.normalize().to_string()));
    }
    (
        DroitsProgramme {
            total: Logements(sature(t)),
            reserves: res,
            reserves_exacts: exacts,
        },
        t,
    )
}

/// The état des lieux of one year, over `programmes`
/// ([`Convention::programmes_etat_des_lieux`]): each programme's rights
/// ([`droits_programme`]); derived rate = Σ reserved / Σ units, rounded to
/// the état des lieux' precision by its `arrondi_taux` (nearest by
/// default: seed 004 annex 1, 6 / 43 = 13,95 % → 14 %).
pub fn droits_etat_des_lieux(e: &EtatDesLieux, liste: &[&Programme]) -> DroitsEtatDesLieux {
    let mut programmes = Vec::new();
    let mut total = 0u64;
    let mut par_fin: Vec<(String, u64)> = Vec::new();
    let mut reserves: Vec<(String, u64)> = e.garants.iter().map(|g| (g.id.v.clone(), 0)).collect();
    for p in liste {
        let (droits, t) = droits_programme(e, p);
        total += t;
        for (f, n) in &p.financements {
            match par_fin.iter_mut().find(|(k, _)| k == f) {
                Some((_, s)) => *s += u64::from(n.0),
                None => par_fin.push((f.clone(), u64::from(n.0))),
            }
        }
        for (id, n) in &droits.reserves {
            if let Some((_, s)) = reserves.iter_mut().find(|(k, _)| k == id) {
                *s += u64::from(n.0);
            }
        }
        programmes.push(droits);
    }
    let taux = reserves
        .iter()
        .map(|(id, n)| {
            let exact = if total == 0 {
                Decimal::ZERO
            } else {
                Decimal::from(*n) * Decimal::ONE_HUNDRED / Decimal::from(total)
            };
            (
                id.clone(),
                TauxExact {
                    exact,
                    arrondi: arrondi::pourcentage_selon(*n, total, e.precision, e.arrondi_taux),
                },
            )
        })
        .collect();
    DroitsEtatDesLieux {
        programmes,
        total_logements: Logements(sature(total)),
        totaux_financements: par_fin
            .into_iter()
            .map(|(k, v)| (k, Logements(sature(v))))
            .collect(),
        reserves: reserves
            .into_iter()
            .map(|(k, v)| (k, Logements(sature(v))))
            .collect(),
        taux,
        premiere_location: Vec::new(),
    }
}

fn sature(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn flux_annexe(
    a: &Annexe,
    annee: i32,
    m: Modele,
    regle: Arrondi,
    edl: Option<&DroitsEtatDesLieux>,
) -> FluxAnnexe {
    let mut trace = Vec::new();
    let logements = a.patrimoine.logements.v;
    trace.push(Etape {
        cle: "logements",
        libelle: "patrimoine du bailleur sur le territoire",
        exact: logements.dec(),
        arrondi: Some(logements.0),
        source: PATRIMOINE.pour(m),
    });
    let exclusions: BTreeMap<Exclusion, Logements> =
        a.exclusions.iter().map(|(k, v)| (*k, v.v)).collect();
    let total_ex: u64 = exclusions.values().map(|l| u64::from(l.0)).sum();
    let total_exclusions = Logements(sature(total_ex));
    trace.push(Etape {
        cle: "exclusions",
        libelle: "logements exclus de la gestion en flux",
        exact: Decimal::from(total_ex),
        arrondi: Some(total_exclusions.0),
        source: EXCLUSIONS.pour(m),
    });
    let parc = parc_soumis(logements, total_exclusions);
    trace.push(Etape {
        cle: "parc_soumis",
        libelle: "parc soumis à la gestion en flux",
        exact: parc.dec(),
        arrondi: Some(parc.0),
        source: PARC_SOUMIS.pour(m),
    });
    let rotation = taux_rotation(&a.rotation);
    trace.push(Etape {
        cle: "taux_rotation",
        libelle: "taux de rotation (%)",
        exact: rotation,
        arrondi: None,
        source: ROTATION.pour(m),
    });
    let (flux_exact, flux) = flux_previsionnel(parc, Taux(rotation), regle);
    trace.push(Etape {
        cle: "flux_previsionnel",
        libelle: "flux prévisionnel (parc soumis × taux de rotation)",
        exact: flux_exact,
        arrondi: Some(flux.0),
        source: FLUX_PREVISIONNEL.pour(m),
    });

    let mut deductions: BTreeMap<Deduction, Logements> =
        a.deductions.iter().map(|(k, v)| (*k, v.v)).collect();
    let mutations_exact = match &a.mutations {
        Some(Mutations::Nombre(n)) => {
            deductions.insert(Deduction::Mutations, n.v);
            n.v.dec()
        }
        Some(Mutations::Pourcentage(p)) => {
            let (exact, n) = mutations_en_pourcentage(flux, p.v, regle);
            deductions.insert(Deduction::Mutations, n);
            trace.push(Etape {
                cle: "mutations",
                libelle: "mutations internes (part du flux prévisionnel)",
                exact,
                arrondi: Some(n.0),
                source: MUTATIONS.pour(m),
            });
            exact
        }
        None => Decimal::ZERO,
    };
    for d in Deduction::TOUTES {
        deductions.entry(d).or_default();
    }
    let total_ded: u64 = deductions.values().map(|l| u64::from(l.0)).sum();
    let total_deductions = Logements(sature(total_ded));
    trace.push(Etape {
        cle: "deductions",
        libelle: "logements soustraits du flux (mutations, ANRU, ORCOD, LHI…)",
        exact: Decimal::from(total_ded),
        arrondi: Some(total_deductions.0),
        source: DEDUCTIONS.pour(m),
    });
    let mobilisables = logements_mobilisables(flux, total_deductions);
    trace.push(Etape {
        cle: "mobilisables",
        libelle: "logements mobilisables à répartir entre réservataires",
        exact: mobilisables.dec(),
        arrondi: Some(mobilisables.0),
        source: MOBILISABLES.pour(m),
    });

    let (taux, taux_source) = match (&a.taux, edl) {
        (Some(t), _) => (t.v.0, TauxSource::Donne),
        (None, Some(e)) => (
            e.taux
                .iter()
                .find(|(id, _)| *id == a.reservataire.v)
                .map_or(Decimal::ZERO, |(_, t)| t.arrondi),
            TauxSource::EtatDesLieux,
        ),
        (None, None) => (Decimal::ZERO, TauxSource::Donne),
    };
    trace.push(Etape {
        cle: "taux",
        libelle: "taux du réservataire (%)",
        exact: taux,
        arrondi: None,
        source: match taux_source {
            TauxSource::Donne => TAUX_DONNE,
            TauxSource::EtatDesLieux => TAUX_ETAT_DES_LIEUX,
        }
        .pour(m),
    });
    let (affectes_exact, affectes) = logements_affectes(mobilisables, Taux(taux), regle);
    trace.push(Etape {
        cle: "affectes",
        libelle: "logements affectés au réservataire (mobilisables × taux)",
        exact: affectes_exact,
        arrondi: Some(affectes.0),
        source: AFFECTES.pour(m),
    });

    FluxAnnexe {
        reservataire: a.reservataire.v.clone(),
        annee,
        logements,
        exclusions,
        total_exclusions,
        parc_soumis: parc,
        taux_rotation: rotation,
        rotation_calculee: match &a.rotation {
            Rotation::Calculee {
                historique,
                precision,
                ..
            } => {
                let (departs, parc) = sommes_historique(historique);
                Some(RotationCalculee {
                    departs,
                    parc,
                    precision: *precision,
                })
            }
            _ => None,
        },
        flux_exact,
        flux_previsionnel: flux,
        deductions,
        mutations_exact,
        total_deductions,
        mobilisables,
        taux,
        taux_source,
        affectes_exact,
        affectes,
        trace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    // Seed 000, annex SIDR / Le Port: 1887 − 134 − 98 = 1655; × 6,82 % =
    // 112,871 → 113; − 31 − 20 = 62; × 6,89 % = 4,2718 → 4.
    #[test]
    fn sidr_every_intermediate() {
        let parc = parc_soumis(Logements(1887), Logements(134 + 98));
        assert_eq!(parc, Logements(1655));
        let (exact, flux) = flux_previsionnel(parc, Taux(d("6.82")), Arrondi::PlusProche);
        assert_eq!(exact, d("112.8710"));
        assert_eq!(flux, Logements(113));
        let mob = logements_mobilisables(flux, Logements(31 + 20));
        assert_eq!(mob, Logements(62));
        let (exact, aff) = logements_affectes(mob, Taux(d("6.89")), Arrondi::PlusProche);
        assert_eq!(exact, d("4.2718"));
        assert_eq!(aff, Logements(4));
    }

    // Regression: 4294967286 × 99.34567890401331120431919383 % was truncated
    // to 28 digits, shown 4 266 864 178,5 and rounded up. Rates now have at
    // most 4 decimals (limites.rs) and the extreme product is exact.
    #[test]
    fn largest_count_times_most_precise_rate_is_exact() {
        let (exact, flux) = flux_previsionnel(
            Logements(4294967286),
            Taux(d("99.3457")),
            Arrondi::PlusProche,
        );
        assert_eq!(exact, d("4266865315.047702"));
        assert_eq!(flux, Logements(4266865315));
        let (exact, _) =
            logements_affectes(Logements(u32::MAX), Taux(d("0.0001")), Arrondi::Superieur);
        assert_eq!(exact, d("4294.967295"));
    }

    // Seed 000, SEDRE: 235 × 6,77 % = 15,9095 → 16 (the annex printed 235).
    #[test]
    fn sedre_flux_is_16_not_235() {
        let (exact, flux) = flux_previsionnel(Logements(235), Taux(d("6.77")), Arrondi::PlusProche);
        assert_eq!(exact, d("15.9095"));
        assert_eq!(flux, Logements(16));
        let (exact, aff) = logements_affectes(Logements(16), Taux(d("8.51")), Arrondi::PlusProche);
        assert_eq!(exact, d("1.3616"));
        assert_eq!(aff, Logements(1));
    }

    // Seed 004: 43 × 8 % = 3,44 → 3; mutations 14 % × 3 = 0,42 → 0; − 1 ANRU = 2;
    // × 7 % = 0,14 → 0.
    #[test]
    fn le_cendre_every_intermediate() {
        let (exact, flux) = flux_previsionnel(Logements(43), Taux(d("8")), Arrondi::PlusProche);
        assert_eq!(exact, d("3.44"));
        assert_eq!(flux, Logements(3));
        let (m_exact, m) = mutations_en_pourcentage(flux, Taux(d("14")), Arrondi::PlusProche);
        assert_eq!(m_exact, d("0.42"));
        assert_eq!(m, Logements(0));
        let mob = logements_mobilisables(flux, Logements(m.0 + 1));
        assert_eq!(mob, Logements(2));
        let (exact, aff) = logements_affectes(mob, Taux(d("7")), Arrondi::PlusProche);
        assert_eq!(exact, d("0.14"));
        assert_eq!(aff, Logements(0));
    }

    #[test]
    fn rounding_rule_changes_the_allotment() {
        let (_, f) = flux_previsionnel(Logements(1553), Taux(d("6")), Arrondi::Superieur);
        assert_eq!(f, Logements(94)); // 93,18 up
        let (_, f) = flux_previsionnel(Logements(354), Taux(d("4.80")), Arrondi::Inferieur);
        assert_eq!(f, Logements(16)); // 16,992 down
    }

    #[test]
    fn deductions_above_flux_saturate_at_zero() {
        assert_eq!(
            logements_mobilisables(Logements(3), Logements(5)),
            Logements(0)
        );
    }

    // Seed 004, annex 1: 20 % of each programme, split by guarantee share.
    // 26 × 20 % × 68 % = 3,536 → 4 and × 32 % = 1,664 → 2; 16 → 2 and 1;
    // 1 → 0 and 0; totals 6 and 3 of 43 units: 13,95 % → 14 %, 6,98 % → 7 %.
    #[test]
    fn etat_des_lieux_of_seed_004() {
        use crate::diagnostic::{Sp, Span};
        use crate::model::{EtatDesLieux, Garant, Programme};
        let sp = |t: &str| Sp::new(Taux(d(t)), Span::default());
        let prog = |code: &str, fin: &[(&str, u32)], cam: &str, lc: &str| Programme {
            contrepartie: crate::model::Contrepartie::Garantie,
            commune: "LE CENDRE".into(),
            residence: code.into(),
            code: code.into(),
            financements: fin
                .iter()
                .map(|(k, n)| (k.to_string(), Logements(*n)))
                .collect(),
            mise_en_location: None,
            parts: vec![("cam".into(), sp(cam)), ("le-cendre".into(), sp(lc))],
            reserves_declares: vec![],
            span: Span::default(),
        };
        let e = EtatDesLieux {
            quotite: sp("20"),
            precision: 0,
            arrondi: Arrondi::PlusProche,
            arrondi_taux: Arrondi::PlusProche,
            garants: ["cam", "le-cendre"]
                .iter()
                .map(|g| Garant {
                    id: Sp::new(g.to_string(), Span::default()),
                    nom: g.to_string(),
                })
                .collect(),
            programmes: vec![
                prog("592C01", &[("PLAI", 16), ("PLUS", 10)], "68", "32"),
                prog("721C01", &[("PLAI", 7), ("PLUS", 9)], "66", "34"),
                prog("728A01", &[("PLAI", 1)], "75", "25"),
            ],
            taux_declares: vec![],
        };
        let r = droits_etat_des_lieux(&e, &e.programmes.iter().collect::<Vec<_>>());
        let reserves: Vec<Vec<u32>> = r
            .programmes
            .iter()
            .map(|p| p.reserves.iter().map(|(_, n)| n.0).collect())
            .collect();
        assert_eq!(reserves, vec![vec![4, 2], vec![2, 1], vec![0, 0]]);
        assert_eq!(r.programmes[0].reserves_exacts[0].1, "3.536");
        assert_eq!(r.programmes[0].reserves_exacts[1].1, "1.664");
        assert_eq!(r.total_logements, Logements(43));
        assert_eq!(
            r.totaux_financements,
            vec![
                ("PLAI".into(), Logements(24)),
                ("PLUS".into(), Logements(19))
            ]
        );
        assert_eq!(
            r.reserves,
            vec![
                ("cam".into(), Logements(6)),
                ("le-cendre".into(), Logements(3))
            ]
        );
        assert_eq!(r.taux[0].1.arrondi, d("14"));
        assert_eq!(r.taux[1].1.arrondi, d("7"));
        assert_eq!(r.taux[0].1.exact.round_dp(4), d("13.9535"));

        // The Rouen deliberation of 2019: 114 units × 20 % = 22,8, « soit
        // 22 logements »: rounded down by the état des lieux' rule.
        let mut rouen = e.clone();
        rouen.garants.truncate(1);
        rouen.arrondi = Arrondi::Inferieur;
        let mut p = prog("ROUEN", &[("PLUS", 114)], "100", "0");
        p.parts.truncate(1);
        let r = droits_etat_des_lieux(&rouen, &[&p]);
        assert_eq!(r.programmes[0].reserves_exacts[0].1, "22.8");
        assert_eq!(r.reserves[0].1, Logements(22));
        // 22 / 114 = 19,30 %: 19 % to the nearest, 20 % rounded up.
        assert_eq!(r.taux[0].1.arrondi, d("19"));
        rouen.arrondi_taux = Arrondi::Superieur;
        let r = droits_etat_des_lieux(&rouen, &[&p]);
        assert_eq!(r.taux[0].1.arrondi, d("20"));
        rouen.arrondi = Arrondi::PlusProche;
        let r = droits_etat_des_lieux(&rouen, &[&p]);
        assert_eq!(r.reserves[0].1, Logements(23));
    }

    // Every step cites something in either model, resolved for the model:
    // `calculer --detail` once printed both models' articles, named after
    // our test fixtures, whatever the convention's model.
    #[test]
    fn every_step_cites_its_source_for_the_model() {
        let toutes = [
            PATRIMOINE,
            EXCLUSIONS,
            PARC_SOUMIS,
            ROTATION,
            FLUX_PREVISIONNEL,
            MUTATIONS,
            DEDUCTIONS,
            MOBILISABLES,
            TAUX_DONNE,
            TAUX_ETAT_DES_LIEUX,
            AFFECTES,
        ];
        for s in toutes {
            for m in [Modele::Intercommunal, Modele::Bilateral] {
                let c = s.pour(m);
                assert!(!c.est_vide(), "{s:?}");
                assert!(!c.to_string().contains("seed"), "{c}");
            }
        }
        assert_eq!(
            AFFECTES.pour(Modele::Intercommunal).to_string(),
            "CCH art. R. 441-5 ; convention, art. 3"
        );
        assert_eq!(
            AFFECTES.pour(Modele::Bilateral).to_string(),
            "CCH art. R. 441-5 ; convention, art. 4"
        );
        assert_eq!(
            ROTATION.pour(Modele::Bilateral).to_string(),
            "convention, art. 2.2"
        );
    }

    // The bilatéral annex's subtotals: 2 + 3 + 5 + 7 = 17 « spécifiques »,
    // 2 + 3 + 5 = 10 « financements spécifiques »; ORCOD 4 + LHI 6 = 10.
    #[test]
    fn subtotals_of_the_bilateral_annex() {
        let chemin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/clermont-auvergne-metropole/le-cendre-assemblia.yaml");
        let an = crate::pipeline::analyser(&chemin);
        let mut f = an.flux[0].annexes[0].clone();
        for (x, n) in [
            (Exclusion::GensDuVoyage, 2),
            (Exclusion::HabitatInclusif, 3),
            (Exclusion::Art109Elan, 5),
            (Exclusion::Associations, 7),
            (Exclusion::Vente, 11),
        ] {
            f.exclusions.insert(x, Logements(n));
        }
        f.deductions.insert(Deduction::Orcod, Logements(4));
        f.deductions.insert(Deduction::Lhi, Logements(6));
        assert_eq!(f.exclusions_specifiques(), 17);
        assert_eq!(f.exclusions_financements_specifiques(), 10);
        assert_eq!(f.orcod_lhi(), 10);
        // No overflow where the view's u32 sum used to overflow.
        f.deductions.insert(Deduction::Orcod, Logements(u32::MAX));
        assert_eq!(f.orcod_lhi(), u64::from(u32::MAX) + 6);
    }

    #[test]
    fn three_year_rotation_is_sum_over_sum() {
        use crate::model::AnneeRotation;
        let h = vec![
            AnneeRotation {
                annee: 2021,
                departs: 80,
                parc: 1000,
            },
            AnneeRotation {
                annee: 2022,
                departs: 90,
                parc: 1010,
            },
            AnneeRotation {
                annee: 2023,
                departs: 70,
                parc: 1020,
            },
        ];
        // 240 / 3030 = 7,9207… % → 7,92 %
        assert_eq!(rotation_calculee(&h, 2), d("7.92"));
        assert_eq!(rotation_calculee(&[], 2), Decimal::ZERO);
    }
}
