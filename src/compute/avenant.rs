//! The avenant's figures: year N-1 compared with year N, and the bilan of
//! N-1 against the engagement.
//!
//! Takes the convention and the flows of every exercise; gives an
//! [`Avenant`]: for each annex, the signed exact difference N-1 → N of every
//! figure (dwellings, or points for a rate), and for each réservataire of the
//! bilan the engagement (units allotted for N-1) against what was done,
//! measured as the convention's model says, and whether it is met. Each
//! figure carries its source, for `calculer --detail` and the documents.
//! Nothing is rounded (a difference of exact values is exact) and no string
//! is formatted for the user here.
//!
//! The law: the intercommunal model's art. 8 (annual evaluation: « examiner
//! les éventuels écarts entre les engagements pris et la réalité de la
//! mobilisation du parc ») and art. 9 (yearly avenant updating the assiette
//! and the flow); the bilatéral model's art. 14 (bilan and avenant) and art. 9
//! (units made available count as attributions); CCH art. R. 441-5-1 (bilan
//! before 28 February).

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::compute::{Flux, FluxAnnexe};
use crate::model::bilan::{self, BilanReservataire, Critere};
use crate::model::{Convention, Date, Deduction, Exclusion, Logements, Modele};

/// A signed exact difference `après − avant`: dwellings, or points of
/// percentage for a rate (4,80 % → 5,40 % is +0,60 point).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ecart(#[serde(with = "rust_decimal::serde::str")] pub Decimal);

/// Which way a difference goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sens {
    Hausse,
    Baisse,
    Stable,
}

impl Ecart {
    /// No difference (a figure 0 both years).
    pub const NUL: Ecart = Ecart(Decimal::ZERO);

    /// `apres − avant`, exact. Validated figures (counts below 2³², rates ≤
    /// 100) never overflow `Decimal`; the fallback keeps the stage total.
    pub fn de(avant: Decimal, apres: Decimal) -> Ecart {
        Ecart(apres.checked_sub(avant).unwrap_or(Decimal::MAX))
    }

    pub fn sens(self) -> Sens {
        if self.0 > Decimal::ZERO {
            Sens::Hausse
        } else if self.0 < Decimal::ZERO {
            Sens::Baisse
        } else {
            Sens::Stable
        }
    }

    /// The size of the difference, without its sign.
    pub fn absolu(self) -> Decimal {
        self.0.abs()
    }
}

/// A figure of an annex, as compared N-1 → N.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chiffre {
    Logements,
    Exclusion(Exclusion),
    TotalExclusions,
    ParcSoumis,
    TauxRotation,
    FluxPrevisionnel,
    Deduction(Deduction),
    TotalDeductions,
    Mobilisables,
    Taux,
    /// The réservataire's exact share of the flow, before rounding.
    AffectesExact,
    Affectes,
}

/// The unit of a figure and of its difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unite {
    Logements,
    /// A rate in percent; its difference is in points.
    Taux,
}

impl Chiffre {
    /// The figure's value in an annex (an exclusion or deduction the annex
    /// does not list is 0).
    pub fn valeur(self, f: &FluxAnnexe) -> Decimal {
        match self {
            Chiffre::Logements => f.logements.dec(),
            Chiffre::Exclusion(x) => f.exclusions.get(&x).map_or(Decimal::ZERO, |l| l.dec()),
            Chiffre::TotalExclusions => f.total_exclusions.dec(),
            Chiffre::ParcSoumis => f.parc_soumis.dec(),
            Chiffre::TauxRotation => f.taux_rotation,
            Chiffre::FluxPrevisionnel => f.flux_previsionnel.dec(),
            Chiffre::Deduction(x) => f.deductions.get(&x).map_or(Decimal::ZERO, |l| l.dec()),
            Chiffre::TotalDeductions => f.total_deductions.dec(),
            Chiffre::Mobilisables => f.mobilisables.dec(),
            Chiffre::Taux => f.taux,
            Chiffre::AffectesExact => f.affectes_exact,
            Chiffre::Affectes => f.affectes.dec(),
        }
    }

    pub fn unite(self) -> Unite {
        match self {
            Chiffre::TauxRotation | Chiffre::Taux => Unite::Taux,
            _ => Unite::Logements,
        }
    }
}

/// One figure of an annex compared N-1 → N.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EcartChiffre {
    pub chiffre: Chiffre,
    #[serde(with = "rust_decimal::serde::str")]
    pub avant: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub apres: Decimal,
    pub ecart: Ecart,
}

/// One annex compared N-1 → N.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComparaisonAnnexe {
    pub reservataire: String,
    /// The annex exists in N-1 (else it is new in N).
    pub avant: bool,
    /// The annex exists in N (else it is gone in N).
    pub apres: bool,
    /// Every figure of the annex, when it exists both years (else empty).
    pub ecarts: Vec<EcartChiffre>,
    pub source: &'static str,
}

impl ComparaisonAnnexe {
    /// The difference of a figure; `None` unless the annex exists both years.
    /// An exclusion or deduction neither year lists is 0 both years.
    pub fn ecart(&self, chiffre: Chiffre) -> Option<Ecart> {
        if !(self.avant && self.apres) {
            return None;
        }
        Some(
            self.ecarts
                .iter()
                .find(|e| e.chiffre == chiffre)
                .map_or(Ecart::NUL, |e| e.ecart),
        )
    }
}

/// Where the avenant's comparison comes from, per model.
fn source_actualisation(m: Modele) -> &'static str {
    match m {
        Modele::Intercommunal => "convention art. 9 (avenant annuel : assiette et flux actualisés)",
        Modele::Bilateral => "convention art. 14 (bilan et avenant annuels)",
    }
}

/// The differences N-1 → N of every figure of one annex: patrimoine, each
/// exclusion listed either year, total, parc soumis, rotation (in points),
/// flux, each deduction listed either year, total, mobilisables, taux (in
/// points), affectés. Intercommunal model art. 9, bilatéral model art. 14:
/// the yearly avenant updates the assiette and the flow.
pub fn comparer_annexe(
    modele: Modele,
    reservataire: &str,
    avant: Option<&FluxAnnexe>,
    apres: Option<&FluxAnnexe>,
) -> ComparaisonAnnexe {
    let mut ecarts = Vec::new();
    if let (Some(a), Some(b)) = (avant, apres) {
        let exclusions: BTreeSet<Exclusion> = a
            .exclusions
            .keys()
            .chain(b.exclusions.keys())
            .copied()
            .collect();
        let deductions: BTreeSet<Deduction> = a
            .deductions
            .keys()
            .chain(b.deductions.keys())
            .copied()
            .collect();
        let chiffres = [Chiffre::Logements]
            .into_iter()
            .chain(exclusions.into_iter().map(Chiffre::Exclusion))
            .chain([
                Chiffre::TotalExclusions,
                Chiffre::ParcSoumis,
                Chiffre::TauxRotation,
                Chiffre::FluxPrevisionnel,
            ])
            .chain(deductions.into_iter().map(Chiffre::Deduction))
            .chain([
                Chiffre::TotalDeductions,
                Chiffre::Mobilisables,
                Chiffre::Taux,
                Chiffre::AffectesExact,
                Chiffre::Affectes,
            ]);
        for chiffre in chiffres {
            let (x, y) = (chiffre.valeur(a), chiffre.valeur(b));
            ecarts.push(EcartChiffre {
                chiffre,
                avant: x,
                apres: y,
                ecart: Ecart::de(x, y),
            });
        }
    }
    ComparaisonAnnexe {
        reservataire: reservataire.to_string(),
        avant: avant.is_some(),
        apres: apres.is_some(),
        ecarts,
        source: source_actualisation(modele),
    }
}

/// What measures the engagement in the bilan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mesure {
    /// Attributions followed by a signed lease, plus units attributed in
    /// CALEOL and refused by every candidate of the réservataire.
    BauxEtRefus,
    /// Units made available (proposed to the réservataire).
    Proposes,
}

/// The bilan figure that counts against the engagement. Intercommunal model
/// art. 3: « les engagements des bailleurs portent sur les attributions
/// suivies de baux signés, ainsi que sur les logements ayant fait l'objet
/// d'une attribution en CALEOL mais qui ont été refusés par tous les
/// candidats positionnés par le réservataire »; bilatéral model art. 9:
/// « seront retenues les mises à disposition de logements du bailleur auprès
/// du réservataire ».
pub fn mesure(m: Modele) -> Mesure {
    match m {
        Modele::Intercommunal => Mesure::BauxEtRefus,
        Modele::Bilateral => Mesure::Proposes,
    }
}

/// What the bilan says was done, counted as the model's article says
/// ([`mesure`]): baux signés + units refused by every candidate
/// (intercommunal art. 3; a bilan that gives no refusals counts none), or
/// units made available (bilatéral art. 9). `None` when the bilan lacks the
/// leases the intercommunal measure needs: the engagement cannot be judged.
pub fn realise(m: Modele, r: &BilanReservataire) -> Option<Logements> {
    match mesure(m) {
        Mesure::Proposes => Some(r.proposes.v),
        Mesure::BauxEtRefus => r.baux_signes.as_ref().map(|b| {
            let refus = r.refus_tous_candidats.as_ref().map_or(0, |x| x.v.0);
            Logements(b.v.0.saturating_add(refus))
        }),
    }
}

fn source_engagement(m: Modele) -> &'static str {
    match m {
        Modele::Intercommunal => "CCH art. R. 441-5-1 ; convention art. 3 et 8",
        Modele::Bilateral => "CCH art. R. 441-5-1 ; convention art. 9 et 14",
    }
}

/// The totals of one distribution of the bilan (by criterion).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TotalRepartition {
    pub critere: Critere,
    pub proposes: u64,
    pub attribues: u64,
}

/// One réservataire's engagement for N-1 against its bilan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Engagement {
    pub reservataire: String,
    /// Units allotted for N-1 (`None` without an annex that year).
    pub engages: Option<Logements>,
    pub proposes: Logements,
    pub attribues: Logements,
    pub mesure: Mesure,
    /// What the bilan says was done, counted as the model says ([`realise`]);
    /// `None` when the bilan lacks a figure the measure needs.
    pub realise: Option<Logements>,
    /// réalisé − engagés.
    pub ecart_realise: Option<Ecart>,
    /// proposés − engagés.
    pub ecart_proposes: Option<Ecart>,
    /// attribués − engagés.
    pub ecart_attribues: Option<Ecart>,
    /// The engagement is met: réalisé ≥ engagés (`None` without an
    /// engagement or without a measure).
    pub atteint: Option<bool>,
    /// Σ of each distribution of the bilan, in the bilan's order.
    pub repartitions: Vec<TotalRepartition>,
    pub source: &'static str,
}

/// The engagement of one réservataire (units allotted for N-1, from its
/// annex of N-1) against what its bilan reports, measured by [`mesure`]:
/// met when the measured figure reaches the units allotted. Intercommunal
/// model art. 8 (« les éventuels écarts entre les engagements pris et la
/// réalité »), bilatéral model art. 14; CCH art. R. 441-5-1 (the bilan).
pub fn engagement(m: Modele, r: &BilanReservataire, engage: Option<&FluxAnnexe>) -> Engagement {
    let engages = engage.map(|f| f.affectes);
    let (proposes, attribues) = (r.proposes.v, r.attribues.v);
    let mesure = mesure(m);
    let realise = realise(m, r);
    Engagement {
        reservataire: r.reservataire.v.clone(),
        engages,
        proposes,
        attribues,
        mesure,
        realise,
        ecart_realise: engages
            .zip(realise)
            .map(|(e, x)| Ecart::de(e.dec(), x.dec())),
        ecart_proposes: engages.map(|e| Ecart::de(e.dec(), proposes.dec())),
        ecart_attribues: engages.map(|e| Ecart::de(e.dec(), attribues.dec())),
        atteint: engages.zip(realise).map(|(e, x)| x.0 >= e.0),
        repartitions: r
            .repartitions
            .iter()
            .map(|p| TotalRepartition {
                critere: p.critere,
                proposes: p.total_proposes(),
                attribues: p.total_attribues(),
            })
            .collect(),
        source: source_engagement(m),
    }
}

/// The bilan of N-1 carried by the exercise N.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BilanAvenant {
    /// The year the bilan reports on.
    pub annee: i32,
    /// Received after 28 February of the next year (CCH art. R. 441-5-1).
    pub en_retard: bool,
    /// One per réservataire of the bilan, in its order.
    pub engagements: Vec<Engagement>,
}

/// Everything the avenant of year N computes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Avenant {
    pub annee: i32,
    /// The exercise compared with: the previous exercise of the data
    /// (normally `annee - 1`).
    pub annee_precedente: i32,
    pub mesure: Mesure,
    /// N's annexes in order, then N-1's annexes gone in N.
    pub comparaisons: Vec<ComparaisonAnnexe>,
    pub bilan: Option<BilanAvenant>,
}

impl Avenant {
    /// The comparison of `reservataire`'s annex (`supprimee`: gone in N).
    pub fn comparaison(&self, reservataire: &str, supprimee: bool) -> Option<&ComparaisonAnnexe> {
        self.comparaisons
            .iter()
            .find(|x| x.reservataire == reservataire && x.apres != supprimee)
    }
}

/// The avenant takes effect before it is signed: its effective date precedes
/// its signature date, or, the signature date unknown, precedes the receipt
/// of the bilan the avenant cites (it is signed after it). An act whose
/// effect is retroactive must say so.
pub fn effet_retroactif(effet: Option<Date>, signature: Option<Date>, bilan: Option<Date>) -> bool {
    let Some(effet) = effet else { return false };
    match signature {
        Some(s) => effet < s,
        None => bilan.is_some_and(|b| effet < b),
    }
}

/// The exercise an avenant of `annee` compares with: the previous exercise
/// of the data, or `annee - 1` when there is none.
pub fn annee_precedente(c: &Convention, annee: i32) -> i32 {
    bilan::precedent(c, annee).map_or(annee - 1, |p| p.annee.v)
}

/// The avenant of `flux.annee` (`tous`: the flows of every exercise).
/// Intercommunal model art. 8 and 9, bilatéral model art. 14.
pub fn calculer(c: &Convention, flux: &Flux, tous: &[Flux]) -> Avenant {
    let annee = flux.annee;
    let ex = c.exercice(annee);
    let precedent = bilan::precedent(c, annee);
    let annee_precedente = annee_precedente(c, annee);
    let flux_avant = tous.iter().find(|f| f.annee == annee_precedente);

    let mut comparaisons = Vec::new();
    let mut vus = BTreeSet::new();
    for a in ex.map(|e| e.annexes.as_slice()).unwrap_or_default() {
        let id = a.reservataire.v.as_str();
        vus.insert(id);
        let avant = flux_avant.and_then(|f| f.annexe(id));
        comparaisons.push(comparer_annexe(c.modele, id, avant, flux.annexe(id)));
    }
    if let (Some(p), Some(fa)) = (precedent, flux_avant) {
        for a in &p.annexes {
            let id = a.reservataire.v.as_str();
            if !vus.contains(id) {
                comparaisons.push(comparer_annexe(c.modele, id, fa.annexe(id), None));
            }
        }
    }
    let bilan = ex.and_then(|e| e.bilan.as_ref()).map(|b| {
        let engage = tous.iter().find(|f| f.annee == b.annee);
        BilanAvenant {
            annee: b.annee,
            en_retard: b.en_retard(),
            engagements: b
                .reservataires
                .iter()
                .map(|r| {
                    engagement(
                        c.modele,
                        r,
                        engage.and_then(|f| f.annexe(&r.reservataire.v)),
                    )
                })
                .collect(),
        }
    });
    Avenant {
        annee,
        annee_precedente,
        mesure: mesure(c.modele),
        comparaisons,
        bilan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn signed_differences_are_exact() {
        let e = Ecart::de(d("4.55"), d("4.80"));
        assert_eq!(e, Ecart(d("0.25")));
        assert_eq!(e.sens(), Sens::Hausse);
        let e = Ecart::de(d("17"), d("16"));
        assert_eq!((e.sens(), e.absolu()), (Sens::Baisse, d("1")));
        assert_eq!(Ecart::de(d("16"), d("16")).sens(), Sens::Stable);
        // A rate difference keeps the data's scale: 5,40 − 4,80 = 0,60 point.
        assert_eq!(Ecart::de(d("4.80"), d("5.40")).0.to_string(), "0.60");
    }

    fn avenant(fichier: &str, annee: i32) -> Avenant {
        let chemin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(fichier);
        let an = crate::pipeline::analyser(&chemin);
        let c = an.convention.as_ref().unwrap();
        let f = an.flux.iter().find(|f| f.annee == annee).unwrap();
        calculer(c, f, &an.flux)
    }

    // SODIAC / Le Port, 2024 → 2025 (the figures tests/cycle.rs reads in the
    // PDF): parc soumis 354 → 366 = +12, rotation 4,80 % → 5,40 % = +0,60
    // point, flux 17 → 20 = +3, affectés 2 → 3 = +1; bilan 2024: 2 engagés,
    // 3 proposés (+1), 2 attribués (0), measured by attributions: met.
    #[test]
    fn sodiac_2025_differences_and_engagement() {
        let av = avenant("data/territoire-ouest/sodiac.yaml", 2025);
        assert_eq!(av.annee_precedente, 2024);
        assert_eq!(av.comparaisons.len(), 1);
        let x = &av.comparaisons[0];
        assert_eq!(
            (x.reservataire.as_str(), x.avant, x.apres),
            ("le-port", true, true)
        );
        let e = |c: Chiffre| x.ecart(c).unwrap().0;
        assert_eq!(e(Chiffre::Logements), d("12"));
        assert_eq!(e(Chiffre::ParcSoumis), d("12"));
        assert_eq!(e(Chiffre::TauxRotation).to_string(), "0.60");
        assert_eq!(e(Chiffre::FluxPrevisionnel), d("3"));
        assert_eq!(e(Chiffre::Deduction(Deduction::Mutations)), d("0"));
        assert_eq!(e(Chiffre::Mobilisables), d("3"));
        assert_eq!(e(Chiffre::Taux), d("0"));
        assert_eq!(e(Chiffre::Affectes), d("1"));
        // An exclusion neither year lists differs by nothing.
        assert_eq!(e(Chiffre::Exclusion(Exclusion::Associations)), d("0"));
        let r = x
            .ecarts
            .iter()
            .find(|l| l.chiffre == Chiffre::TauxRotation)
            .unwrap();
        assert_eq!((r.avant, r.apres), (d("4.80"), d("5.40")));
        assert_eq!(
            x.source,
            "convention art. 9 (avenant annuel : assiette et flux actualisés)"
        );

        let b = av.bilan.as_ref().unwrap();
        assert_eq!((b.annee, b.en_retard), (2024, false));
        let g = &b.engagements[0];
        assert_eq!(g.engages, Some(Logements(2)));
        assert_eq!((g.proposes, g.attribues), (Logements(3), Logements(2)));
        // Art. 3: 2 baux signés + no unit refused by every candidate.
        assert_eq!(
            (g.mesure, g.realise),
            (Mesure::BauxEtRefus, Some(Logements(2)))
        );
        assert_eq!(g.ecart_realise, Some(Ecart(d("0"))));
        assert_eq!(g.ecart_proposes, Some(Ecart(d("1"))));
        assert_eq!(g.ecart_attribues, Some(Ecart(d("0"))));
        assert_eq!(g.atteint, Some(true));
        let totaux: Vec<(u64, u64)> = g
            .repartitions
            .iter()
            .map(|t| (t.proposes, t.attribues))
            .collect();
        assert_eq!(totaux, vec![(3, 2); 5]);
        assert_eq!(g.source, "CCH art. R. 441-5-1 ; convention art. 3 et 8");
    }

    // Le Cendre (bilatéral model), 2024 → 2025: rotation 8 % → 9 % = +1
    // point, ANRU 1 → 0 = −1; the bilan counts units made available: 1
    // proposed against 0 allotted, met.
    #[test]
    fn le_cendre_2025_counts_units_made_available() {
        let av = avenant(
            "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
            2025,
        );
        let x = &av.comparaisons[0];
        assert_eq!(x.ecart(Chiffre::TauxRotation), Some(Ecart(d("1"))));
        let anru = x.ecart(Chiffre::Deduction(Deduction::Anru)).unwrap();
        assert_eq!((anru.sens(), anru.absolu()), (Sens::Baisse, d("1")));
        assert_eq!(x.source, "convention art. 14 (bilan et avenant annuels)");
        let g = &av.bilan.as_ref().unwrap().engagements[0];
        assert_eq!(
            (g.mesure, g.realise),
            (Mesure::Proposes, Some(Logements(1)))
        );
        assert_eq!((g.engages, g.atteint), (Some(Logements(0)), Some(true)));
    }

    // Territoire de l'Ouest: from 1 January 2024, 3 years + 2 × 1 year →
    // 31 December 2028. Le Cendre: 3 years + 3 × 1 year from its
    // signature; unknown in the data → no date; signed 3 July 2024 → 2 July
    // 2030.
    #[test]
    fn the_convention_ends_on_a_date_computed_from_its_real_start() {
        let lire = |f: &str| {
            let chemin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
            crate::pipeline::analyser(&chemin).convention.unwrap()
        };
        let to = lire("data/territoire-ouest/sidr.yaml");
        let date = |annee, mois, jour| Date { annee, mois, jour };
        assert_eq!(to.date_fin(), Some(date(2028, 12, 31)));
        let mut cendre = lire("data/clermont-auvergne-metropole/le-cendre-assemblia.yaml");
        assert_eq!(cendre.date_fin(), None);
        cendre.date_signature = Some(date(2024, 7, 3));
        assert_eq!(cendre.date_fin(), Some(date(2030, 7, 2)));
    }

    #[test]
    fn an_effect_before_the_signature_is_retroactive() {
        let date = |annee, mois, jour| Some(Date { annee, mois, jour });
        let effet = date(2025, 1, 1);
        // Signed after the bilan of 27 February 2025, effective 1 January.
        assert!(effet_retroactif(effet, None, date(2025, 2, 27)));
        assert!(effet_retroactif(effet, date(2025, 3, 10), None));
        assert!(!effet_retroactif(
            effet,
            date(2024, 12, 20),
            date(2025, 2, 27)
        ));
        assert!(!effet_retroactif(None, None, date(2025, 2, 27)));
        assert!(!effet_retroactif(effet, None, None));
    }

    #[test]
    fn the_measure_follows_the_model() {
        assert_eq!(mesure(Modele::Intercommunal), Mesure::BauxEtRefus);
        assert_eq!(mesure(Modele::Bilateral), Mesure::Proposes);
    }

    // SHLMR / Le Port, bilan 2024: 15 attribués but 14 baux signés. Art. 3
    // counts the leases (14) and the units refused by every candidate (none
    // declared), not the attributions: 14 against 16 engaged, −2, not met.
    #[test]
    fn shlmr_2024_engagement_counts_signed_leases_not_attributions() {
        let av = avenant("data/territoire-ouest/shlmr.yaml", 2025);
        let g = &av.bilan.as_ref().unwrap().engagements[0];
        assert_eq!(
            (g.attribues, g.engages),
            (Logements(15), Some(Logements(16)))
        );
        assert_eq!(g.realise, Some(Logements(14)));
        assert_eq!(g.ecart_realise, Some(Ecart(d("-2"))));
        assert_eq!(g.atteint, Some(false));
    }

    fn bilan_reservataire(baux: Option<u32>, refus: Option<u32>) -> BilanReservataire {
        use crate::diagnostic::{Sp, Span};
        fn sp<T>(v: T) -> Sp<T> {
            Sp::new(v, Span::new(0, 0))
        }
        BilanReservataire {
            reservataire: sp("le-port".to_string()),
            proposes: sp(Logements(17)),
            attribues: sp(Logements(15)),
            refus_menages: None,
            refus_caleol: None,
            baux_signes: baux.map(|b| sp(Logements(b))),
            refus_tous_candidats: refus.map(|b| sp(Logements(b))),
            anciennete_mois: None,
            repartitions: Vec::new(),
            span: Span::new(0, 0),
        }
    }

    // Art. 3 adds the units refused by every candidate to the leases; without
    // the leases the intercommunal engagement cannot be measured; the
    // bilatéral art. 9 counts units made available whatever the leases.
    #[test]
    fn the_realised_figure_is_counted_as_each_article_says() {
        let r = bilan_reservataire(Some(14), Some(1));
        assert_eq!(realise(Modele::Intercommunal, &r), Some(Logements(15)));
        assert_eq!(realise(Modele::Bilateral, &r), Some(Logements(17)));
        let r = bilan_reservataire(None, Some(1));
        assert_eq!(realise(Modele::Intercommunal, &r), None);
        assert_eq!(realise(Modele::Bilateral, &r), Some(Logements(17)));
        let e = engagement(Modele::Intercommunal, &r, None);
        assert_eq!((e.realise, e.atteint, e.ecart_realise), (None, None, None));
    }
}
