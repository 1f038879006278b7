//! The rules of a read convention that need no computation, one function per
//! rule: its source in the doc comment above it, its tests in the module
//! right under it. Each rule returns its diagnostics and pushes nothing;
//! [`regles`] runs them in a fixed order, so a file's problems are always
//! reported in the same order. Rules that compare with computed figures live
//! in `controle`; the bilan and avenant rules in `validate::bilan`.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::diagnostic::{Diagnostic, Span};
use crate::model::citation::{Source, Texte};
use crate::model::{Annexe, Convention, DateEffet, Exercice, Modele, Nature, Signataire};
use crate::validate::bilan;
use crate::validate::lecteur::Lecteur;

/// Conventions to test the rules on: a valid intercommunal one (one
/// réservataire's annex, 2024) and the bilateral one of data/.
#[cfg(test)]
pub(crate) mod essai {
    use crate::diagnostic::Diagnostic;
    use crate::load::charger;
    use crate::model::Convention;

    const INTERCOMMUNALE: &str = include_str!("../../tests/catalogue/04-logements-negatif.yaml");
    const BILATERALE: &str =
        include_str!("../../data/clermont-auvergne-metropole/le-cendre-assemblia.yaml");

    fn lire(yaml: &str) -> Convention {
        let (c, d) = super::super::valider(&charger(yaml).unwrap());
        c.unwrap_or_else(|| panic!("{d:?}"))
    }

    pub fn intercommunale() -> Convention {
        lire(&INTERCOMMUNALE.replace("logements: -12", "logements: 1887"))
    }

    pub fn bilaterale() -> Convention {
        lire(BILATERALE)
    }

    /// The messages and notes of `ds`, one string each.
    pub fn textes(ds: &[Diagnostic]) -> Vec<String> {
        ds.iter()
            .map(|d| format!("{} | {}", d.message, d.notes.join(" | ")))
            .collect()
    }
}

/// Runs every rule on a convention whose fields were all read. Each rule's
/// diagnostics carry its name in a few French words (`Diagnostic::regle`,
/// given by `verifier --format json`) unless they name their own.
pub fn regles(l: &mut Lecteur, c: &Convention) {
    let pousser = |l: &mut Lecteur, regle: &'static str, ds: Vec<Diagnostic>| {
        ds.into_iter()
            .for_each(|d| l.erreur(d.regle_par_defaut(regle)))
    };
    pousser(l, "exercice en double", exercices_uniques(c));
    pousser(l, "patrimoine qui recule", patrimoine_qui_avance(c));
    bilan::regles(l, c);
    pousser(l, "exercice hors de la durée", exercices_dans_la_duree(c));
    pousser(
        l,
        "exercice avant l'entrée en vigueur",
        exercices_apres_l_entree_en_vigueur(c),
    );
    let ids: BTreeSet<&str> = c.reservataires.iter().map(|r| r.id.v.as_str()).collect();
    let garants: BTreeSet<&str> = c
        .etat_des_lieux
        .iter()
        .flat_map(|e| e.garants.iter().map(|g| g.id.v.as_str()))
        .collect();
    for e in &c.exercices {
        let mut vus: BTreeSet<&str> = BTreeSet::new();
        for a in &e.annexes {
            let ds = [
                ("réservataire non déclaré", reservataire_declare(&ids, a)),
                (
                    "deux annexes pour un réservataire",
                    une_annexe_par_reservataire(&mut vus, e, a),
                ),
                (
                    "patrimoine postérieur à l'exercice",
                    patrimoine_anterieur_a_l_exercice(c.modele, e, a),
                ),
                (
                    "exclusions au-delà du patrimoine",
                    exclusions_dans_le_patrimoine(c.modele, a),
                ),
                ("taux du réservataire absent", taux_donne(&garants, a)),
                ("taux du préfet", taux_du_prefet(c, a)),
                ("taux des agents de l'État", taux_des_agents(c, a)),
            ];
            for (regle, d) in ds {
                pousser(l, regle, d.into_iter().collect());
            }
        }
    }
    pousser(l, "signataire sans nom", signataires_nommes(c));
    pousser(l, "modèle bilatéral : une annexe", bilateral_une_annexe(c));
    pousser(
        l,
        "modèle bilatéral : un réservataire",
        bilateral_un_reservataire(c),
    );
}

/// One exercise per year. A rule of the file format: the avenant of a year
/// is one document, so two exercises of one year could not both be printed.
fn exercices_uniques(c: &Convention) -> Vec<Diagnostic> {
    let mut annees: BTreeMap<i32, Span> = BTreeMap::new();
    let mut out = Vec::new();
    for e in &c.exercices {
        if annees.insert(e.annee.v, e.annee.span).is_some() {
            out.push(
                Diagnostic::erreur(
                    format!("exercice {} en double", e.annee.v),
                    Some(e.annee.span),
                )
                .label("année déjà présente")
                .note("un seul exercice par année : fusionnez les deux ou corrigez l'année"),
            );
        }
    }
    out
}

#[cfg(test)]
mod test_exercices_uniques {
    use super::essai::*;
    use super::*;

    #[test]
    fn a_second_exercise_of_one_year_is_an_error() {
        let mut c = intercommunale();
        assert!(exercices_uniques(&c).is_empty());
        c.exercices.push(c.exercices[0].clone());
        let ds = exercices_uniques(&c);
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].message, "exercice 2024 en double");
    }
}

/// Each avenant updates the assiette: a réservataire's patrimoine date moves
/// forward from one exercise to the next. Convention, intercommunal art. 9
/// (« mise à jour de l'assiette » by a yearly avenant), bilateral art. 14.
fn patrimoine_qui_avance(c: &Convention) -> Vec<Diagnostic> {
    let mut ordre: Vec<&Exercice> = c.exercices.iter().collect();
    ordre.sort_by_key(|e| e.annee.v);
    let mut out = Vec::new();
    for w in ordre.windows(2) {
        for a in &w[1].annexes {
            if let Some(avant) = w[0]
                .annexes
                .iter()
                .find(|b| b.reservataire.v == a.reservataire.v)
                && a.patrimoine.date.v <= avant.patrimoine.date.v
            {
                out.push(
                    Diagnostic::erreur(
                        format!(
                            "exercice {} : la date du patrimoine de `{}` n'avance pas ({} contre {} en {})",
                            w[1].annee.v,
                            a.reservataire.v,
                            a.patrimoine.date.v.iso(),
                            avant.patrimoine.date.v.iso(),
                            w[0].annee.v
                        ),
                        Some(a.patrimoine.date.span),
                    )
                    .label("date antérieure ou égale à celle de l'exercice précédent")
                    .note("chaque avenant met à jour l'assiette : le patrimoine est pris au 31/12 de l'année précédant l'exercice"),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod test_patrimoine_qui_avance {
    use super::essai::*;
    use super::*;

    #[test]
    fn the_next_exercise_needs_a_later_patrimoine() {
        let mut c = intercommunale();
        let mut suivant = c.exercices[0].clone();
        suivant.annee.v = 2025;
        c.exercices.push(suivant.clone());
        let ds = patrimoine_qui_avance(&c);
        assert_eq!(
            textes(&ds),
            [
                "exercice 2025 : la date du patrimoine de `ville-a` n'avance pas (2022-12-31 contre 2022-12-31 en 2024) | chaque avenant met à jour l'assiette : le patrimoine est pris au 31/12 de l'année précédant l'exercice"
            ]
        );
        c.exercices[1].annexes[0].patrimoine.date.v.annee = 2023;
        assert!(patrimoine_qui_avance(&c).is_empty());
    }
}

/// Exercises within the convention's period, every tacit renewal included.
/// The law sets no duration: the convention's own (intercommunal art. 12,
/// bilateral art. 6 and 15), read from `duree_ans` and `reconduction`.
fn exercices_dans_la_duree(c: &Convention) -> Vec<Diagnostic> {
    let Some(fin) = c.derniere_annee() else {
        return Vec::new();
    };
    // From the real start date when known: the exercise of the year the
    // convention ends in is its last one (a part of a year).
    let limite = match c.date_fin() {
        Some(d) => format!(
            "dernière année possible {fin} (fin au plus tard le {})",
            crate::francais::date_longue(d.jour, d.mois, d.annee).unwrap_or_else(|| d.iso())
        ),
        None => format!("dernière année possible {fin}"),
    };
    c.exercices
        .iter()
        .filter(|e| e.annee.v > fin)
        .map(|e| {
            Diagnostic::erreur(
                format!(
                    "exercice {} hors de la durée de la convention : {limite}",
                    e.annee.v
                ),
                Some(e.annee.span),
            )
            .label(format!("au plus {fin}"))
            .note(format!(
                "durée {} + {} de {} au plus",
                crate::francais::compte(c.duree_ans, "an"),
                crate::francais::compte(c.reconduction.nombre_max, "reconduction"),
                crate::francais::compte(c.reconduction.duree_ans, "an")
            ))
        })
        .collect()
}

#[cfg(test)]
mod test_exercices_dans_la_duree {
    use super::essai::*;
    use super::*;

    // 2024 + 3 years + 2 renewals of 1 year: 2028 is the last year.
    #[test]
    fn renewals_included_and_no_further() {
        let mut c = intercommunale();
        c.exercices[0].annee.v = 2028;
        assert!(exercices_dans_la_duree(&c).is_empty());
        c.exercices[0].annee.v = 2029;
        assert_eq!(
            textes(&exercices_dans_la_duree(&c)),
            [
                "exercice 2029 hors de la durée de la convention : dernière année possible 2028 (fin au plus tard le 31 décembre 2028) | durée 3 ans + 2 reconductions de 1 an au plus"
            ]
        );
    }

    // Three years + three renewals of one year from signature on 3 July
    // 2024 (bilateral model, art. 6 and 15): ends on 2 July 2030, so 2030
    // is an exercise (in part) and 2031 is not.
    #[test]
    fn counted_from_the_real_date_of_signature() {
        let mut c = bilaterale();
        assert_eq!(c.date_effet, DateEffet::ALaSignature);
        c.date_signature = crate::model::Date::parse("2024-07-03");
        assert_eq!(c.date_fin().map(|d| d.iso()).as_deref(), Some("2030-07-02"));
        assert_eq!(c.derniere_annee(), Some(2030));
        c.exercices.truncate(1);
        c.exercices[0].annee.v = 2030;
        assert!(exercices_dans_la_duree(&c).is_empty());
        c.exercices[0].annee.v = 2031;
        assert_eq!(
            exercices_dans_la_duree(&c)[0].message,
            "exercice 2031 hors de la durée de la convention : dernière année possible 2030 (fin au plus tard le 2 juillet 2030)"
        );
        // Signature date unknown: calendar years from the first exercise.
        c.date_signature = None;
        c.exercices[0].annee.v = 2024;
        assert_eq!(c.date_fin(), None);
        assert_eq!(c.derniere_annee(), Some(2029));
    }
}

/// Exercises not before the convention takes effect (its date of effect, or
/// of signature): a 2024 exercise of a convention effective in 2200 would
/// print "du 1er juin 2200 au …". The convention's own dates, no legal rule.
fn exercices_apres_l_entree_en_vigueur(c: &Convention) -> Vec<Diagnostic> {
    let (debut, quoi) = match (&c.date_effet, c.date_signature) {
        (DateEffet::Date(d), _) => (d.annee, "la date d'effet"),
        (DateEffet::ALaSignature, Some(d)) => (d.annee, "la date de signature"),
        (DateEffet::ALaSignature, None) => return Vec::new(),
    };
    c.exercices
        .iter()
        .filter(|e| e.annee.v < debut)
        .map(|e| {
            Diagnostic::erreur(
                format!(
                    "exercice {} antérieur à l'entrée en vigueur de la convention ({debut})",
                    e.annee.v
                ),
                Some(e.annee.span),
            )
            .label(format!("au plus tôt {debut}"))
            .note(format!(
                "la convention court à partir de {quoi} ({debut}) : corrigez l'année de l'exercice ou la date"
            ))
        })
        .collect()
}

#[cfg(test)]
mod test_exercices_apres_l_entree_en_vigueur {
    use super::essai::*;
    use super::*;

    #[test]
    fn an_exercise_before_the_date_of_effect_is_an_error() {
        let mut c = intercommunale();
        assert!(exercices_apres_l_entree_en_vigueur(&c).is_empty());
        c.exercices[0].annee.v = 2023;
        let ds = exercices_apres_l_entree_en_vigueur(&c);
        assert_eq!(
            ds[0].message,
            "exercice 2023 antérieur à l'entrée en vigueur de la convention (2024)"
        );
        // Effective at signature, no date of signature: nothing to compare with.
        c.date_effet = DateEffet::ALaSignature;
        c.date_signature = None;
        assert!(exercices_apres_l_entree_en_vigueur(&c).is_empty());
    }
}

/// An annex belongs to a réservataire declared in `reservataires`. A rule of
/// the file format (references between sections).
fn reservataire_declare(ids: &BTreeSet<&str>, a: &Annexe) -> Option<Diagnostic> {
    let id = a.reservataire.v.as_str();
    if ids.contains(id) {
        return None;
    }
    let liste: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
    Some(
        Diagnostic::erreur(
            format!("annexe d'un réservataire inconnu : `{id}`"),
            Some(a.reservataire.span),
        )
        .label("absent de `reservataires`")
        .note(format!("réservataires déclarés : {}", liste.join(", "))),
    )
}

#[cfg(test)]
mod test_reservataire_declare {
    use super::essai::*;
    use super::*;

    #[test]
    fn an_annex_names_a_declared_reservataire() {
        let mut c = intercommunale();
        let ids: BTreeSet<&str> = ["epci", "ville-a"].into();
        assert!(reservataire_declare(&ids, &c.exercices[0].annexes[0]).is_none());
        c.exercices[0].annexes[0].reservataire.v = "ville-b".into();
        let d = reservataire_declare(&ids, &c.exercices[0].annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "annexe d'un réservataire inconnu : `ville-b` | réservataires déclarés : `epci`, `ville-a`"
            ]
        );
    }
}

/// One annex per réservataire and per year: one assiette a year for each.
/// A rule of the file format. `vus` holds the réservataires of the exercise's annexes seen so far.
fn une_annexe_par_reservataire<'c>(
    vus: &mut BTreeSet<&'c str>,
    e: &Exercice,
    a: &'c Annexe,
) -> Option<Diagnostic> {
    let id = a.reservataire.v.as_str();
    if vus.insert(id) {
        return None;
    }
    Some(
        Diagnostic::erreur(
            format!("exercice {} : deux annexes pour `{id}`", e.annee.v),
            Some(a.reservataire.span),
        )
        .note("une seule annexe par réservataire et par année"),
    )
}

#[cfg(test)]
mod test_une_annexe_par_reservataire {
    use super::essai::*;
    use super::*;

    #[test]
    fn the_second_annex_of_one_reservataire_is_an_error() {
        let c = intercommunale();
        let (e, a) = (&c.exercices[0], &c.exercices[0].annexes[0]);
        let mut vus = BTreeSet::new();
        assert!(une_annexe_par_reservataire(&mut vus, e, a).is_none());
        let d = une_annexe_par_reservataire(&mut vus, e, a).unwrap();
        assert_eq!(d.message, "exercice 2024 : deux annexes pour `ville-a`");
    }
}

/// The patrimoine of exercise N is taken at 31 December of a year before N.
/// Convention, bilateral art. 2.1 (« pris au 31 décembre de l'année N-1 »);
/// the intercommunal model dates its assiette without saying so (art. 2).
const PATRIMOINE_AU_31_DECEMBRE: Source = Source::bilateral("art. 2.1");

fn patrimoine_anterieur_a_l_exercice(m: Modele, e: &Exercice, a: &Annexe) -> Option<Diagnostic> {
    if a.patrimoine.date.v.annee < e.annee.v {
        return None;
    }
    Some(
        Diagnostic::erreur(
            format!(
                "patrimoine daté du {} pour l'exercice {} : il doit être antérieur à l'exercice",
                a.patrimoine.date.v.iso(),
                e.annee.v
            ),
            Some(a.patrimoine.date.span),
        )
        .label(format!("attendu : au plus le 31/12/{}", e.annee.v - 1))
        .note(
            PATRIMOINE_AU_31_DECEMBRE
                .pour(m)
                .note("le patrimoine est pris au 31 décembre de l'année N-1"),
        ),
    )
}

#[cfg(test)]
mod test_patrimoine_anterieur_a_l_exercice {
    use super::essai::*;
    use super::*;

    #[test]
    fn patrimoine_of_the_exercise_year_is_an_error_citing_the_model() {
        let mut c = intercommunale();
        let e = c.exercices[0].clone();
        assert!(patrimoine_anterieur_a_l_exercice(c.modele, &e, &e.annexes[0]).is_none());
        c.exercices[0].annexes[0].patrimoine.date.v.annee = 2024;
        let (e, a) = (&c.exercices[0], &c.exercices[0].annexes[0]);
        let d = patrimoine_anterieur_a_l_exercice(Modele::Intercommunal, e, a).unwrap();
        assert_eq!(
            d.message,
            "patrimoine daté du 2024-12-31 pour l'exercice 2024 : il doit être antérieur à l'exercice"
        );
        assert_eq!(
            d.notes,
            ["le patrimoine est pris au 31 décembre de l'année N-1"]
        );
        let d = patrimoine_anterieur_a_l_exercice(Modele::Bilateral, e, a).unwrap();
        assert_eq!(
            d.notes,
            ["le patrimoine est pris au 31 décembre de l'année N-1 (convention, art. 2.1)"]
        );
    }
}

/// Exclusions within the patrimoine: what is excluded from the flow is part
/// of the bailleur's stock. CCH art. R. 441-5 (defence and internal security
/// outside the flow); convention, intercommunal art. 1, bilateral art. 2.1
/// (the same source as the `exclusions` step of `compute`).
const EXCLUSIONS: Source = Source::avec(&[Texte::R441_5], "art. 1", "art. 2.1");

fn exclusions_dans_le_patrimoine(m: Modele, a: &Annexe) -> Option<Diagnostic> {
    let ex: u64 = a.exclusions.values().map(|v| u64::from(v.v.0)).sum();
    if ex <= u64::from(a.patrimoine.logements.v.0) {
        return None;
    }
    let span = a
        .exclusions
        .values()
        .map(|v| v.span)
        .max_by_key(|s| s.start);
    Some(
        Diagnostic::erreur(
            format!(
                "les exclusions ({ex}) dépassent le patrimoine ({} logements)",
                a.patrimoine.logements.v
            ),
            span,
        )
        .label(format!("total des exclusions : {ex}"))
        .note(
            EXCLUSIONS
                .pour(m)
                .note("on ne peut exclure plus de logements que le bailleur n'en possède"),
        ),
    )
}

#[cfg(test)]
mod test_exclusions_dans_le_patrimoine {
    use super::essai::*;
    use super::*;

    // 134 + 98 excluded of 1887; then of 200.
    #[test]
    fn exclusions_above_the_patrimoine_are_an_error() {
        let mut c = intercommunale();
        assert!(exclusions_dans_le_patrimoine(c.modele, &c.exercices[0].annexes[0]).is_none());
        c.exercices[0].annexes[0].patrimoine.logements.v.0 = 200;
        let d = exclusions_dans_le_patrimoine(c.modele, &c.exercices[0].annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "les exclusions (232) dépassent le patrimoine (200 logements) | on ne peut exclure plus de logements que le bailleur n'en possède (CCH art. R. 441-5 ; convention, art. 1)"
            ]
        );
    }
}

/// A réservataire's rate is given in its annex, or derived from the état des
/// lieux when it is one of its guarantors. A rule of the file format.
fn taux_donne(garants: &BTreeSet<&str>, a: &Annexe) -> Option<Diagnostic> {
    let id = a.reservataire.v.as_str();
    if a.taux.is_some() || garants.contains(id) {
        return None;
    }
    Some(
        Diagnostic::erreur(format!("taux du réservataire `{id}` absent"), Some(a.span))
            .label("`taux` manque")
            .note("donnez `taux:` dans l'annexe, ou un `etat_des_lieux` dont `garants` contient ce réservataire"),
    )
}

#[cfg(test)]
mod test_taux_donne {
    use super::essai::*;
    use super::*;

    #[test]
    fn a_rate_is_given_or_derived_from_the_etat_des_lieux() {
        let mut c = intercommunale();
        let a = &mut c.exercices[0].annexes[0];
        assert!(taux_donne(&BTreeSet::new(), a).is_none());
        a.taux = None;
        assert!(taux_donne(&["ville-a"].into(), a).is_none());
        let d = taux_donne(&BTreeSet::new(), a).unwrap();
        assert_eq!(d.message, "taux du réservataire `ville-a` absent");
    }
}

/// The préfet's reservations: 30 % at most of the bailleur's annual flow.
/// CCH art. R. 441-5-2, I (the exceptional one-year derogation by
/// prefectoral order is not modelled).
const PREFET_30_POUR_CENT: Source = Source::loi(&[Texte::R441_5_2]);

fn taux_du_prefet(c: &Convention, a: &Annexe) -> Option<Diagnostic> {
    let r = c.reservataire(&a.reservataire.v)?;
    let t = a.taux.as_ref()?;
    if r.nature != Nature::Prefet || t.v.0 <= Decimal::from(30) {
        return None;
    }
    Some(
        Diagnostic::erreur(
            format!("taux du préfet de {} % : au plus 30 %", t.v.0),
            Some(t.span),
        )
        .label("au plus 30 %")
        .note(
            PREFET_30_POUR_CENT
                .pour(c.modele)
                .note("les réservations du préfet portent sur 30 % au plus du flux annuel"),
        ),
    )
}

#[cfg(test)]
mod test_taux_du_prefet {
    use super::essai::*;
    use super::*;

    #[test]
    fn the_prefet_has_30_percent_at_most() {
        let mut c = intercommunale();
        c.reservataires[1].nature = Nature::Prefet;
        let t = &mut c.exercices[0].annexes[0].taux.as_mut().unwrap().v;
        t.0 = Decimal::from(30);
        assert!(taux_du_prefet(&c, &c.exercices[0].annexes[0]).is_none());
        c.exercices[0].annexes[0].taux.as_mut().unwrap().v.0 = Decimal::new(301, 1);
        let d = taux_du_prefet(&c, &c.exercices[0].annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "taux du préfet de 30.1 % : au plus 30 % | les réservations du préfet portent sur 30 % au plus du flux annuel (CCH art. R. 441-5-2)"
            ]
        );
        // Another réservataire may have more.
        c.reservataires[1].nature = Nature::Commune;
        assert!(taux_du_prefet(&c, &c.exercices[0].annexes[0]).is_none());
    }
}

/// The préfet's sub-share for civil and military State agents: 5 % at most
/// of the flow, within the préfet's share, and only a préfet has one.
/// CCH art. R. 441-5-2, I.
const AGENTS_5_POUR_CENT: Source = Source::loi(&[Texte::R441_5_2]);

fn taux_des_agents(c: &Convention, a: &Annexe) -> Option<Diagnostic> {
    let ta = a.taux_agents.as_ref()?;
    let r = c.reservataire(&a.reservataire.v)?;
    let fr = crate::francais::exact;
    let (message, label) = if r.nature != Nature::Prefet {
        (
            format!(
                "`taux_agents` : seul un réservataire de nature `prefet` a une part réservée aux agents de l'État, `{}` est de nature `{}`",
                r.id.v,
                nature_cle(r.nature)
            ),
            "réservé au préfet".to_owned(),
        )
    } else if ta.v.0 > Decimal::from(5) {
        (
            format!(
                "part du préfet pour les agents de l'État de {} % : au plus 5 %",
                fr(ta.v.0)
            ),
            "au plus 5 %".to_owned(),
        )
    } else if let Some(t) = a.taux.as_ref().filter(|t| ta.v.0 > t.v.0) {
        (
            format!(
                "part du préfet pour les agents de l'État de {} %, supérieure à sa part totale ({} %)",
                fr(ta.v.0),
                fr(t.v.0)
            ),
            format!("au plus {} %", fr(t.v.0)),
        )
    } else {
        return None;
    };
    Some(
        Diagnostic::erreur(message, Some(ta.span))
            .label(label)
            .note(AGENTS_5_POUR_CENT.pour(c.modele).note(
                "le préfet réserve 30 % au plus du flux annuel, dont 5 % au plus au bénéfice des agents civils et militaires de l'État",
            )),
    )
}

fn nature_cle(n: Nature) -> &'static str {
    match n {
        Nature::Commune => "commune",
        Nature::Epci => "epci",
        Nature::Prefet => "prefet",
        Nature::ActionLogement => "action_logement",
        Nature::Autre => "autre",
    }
}

#[cfg(test)]
mod test_taux_des_agents {
    use super::essai::*;
    use super::*;
    use crate::diagnostic::Sp;
    use crate::model::Taux;

    #[test]
    fn five_percent_at_most_within_the_prefets_share_and_for_the_prefet_only() {
        let mut c = intercommunale();
        c.reservataires[1].nature = Nature::Prefet;
        let a = &mut c.exercices[0].annexes[0];
        a.taux.as_mut().unwrap().v.0 = Decimal::from(26);
        a.taux_agents = Some(Sp::new(Taux(Decimal::from(5)), a.span));
        assert!(taux_des_agents(&c, &c.exercices[0].annexes[0]).is_none());
        c.exercices[0].annexes[0].taux_agents.as_mut().unwrap().v.0 = Decimal::new(501, 2);
        let d = taux_des_agents(&c, &c.exercices[0].annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "part du préfet pour les agents de l'État de 5,01 % : au plus 5 % | le préfet réserve 30 % au plus du flux annuel, dont 5 % au plus au bénéfice des agents civils et militaires de l'État (CCH art. R. 441-5-2)"
            ]
        );
        let a = &mut c.exercices[0].annexes[0];
        a.taux.as_mut().unwrap().v.0 = Decimal::from(4);
        a.taux_agents.as_mut().unwrap().v.0 = Decimal::from(5);
        let d = taux_des_agents(&c, &c.exercices[0].annexes[0]).unwrap();
        assert!(
            d.message.contains("supérieure à sa part totale (4 %)"),
            "{}",
            d.message
        );
        c.reservataires[1].nature = Nature::Commune;
        let d = taux_des_agents(&c, &c.exercices[0].annexes[0]).unwrap();
        assert!(d.message.contains("de nature `commune`"), "{}", d.message);
    }
}

/// Signatories without a name: a blank line will be printed where the name
/// goes. A warning of the documents, no legal rule.
fn signataires_nommes(c: &Convention) -> Vec<Diagnostic> {
    let mut sigs: Vec<(&str, &Signataire)> = vec![("bailleur", &c.bailleur.signataire)];
    for r in &c.reservataires {
        sigs.push((r.id.v.as_str(), &r.signataire));
    }
    sigs.into_iter()
        .filter(|(_, s)| s.nom.is_none())
        .map(|(qui, s)| {
            Diagnostic::avertissement_de(
                "signataire sans nom",
                format!(
                    "signataire sans nom ({qui}, {}) : une ligne vide sera imprimée",
                    s.qualite
                ),
                Some(s.span),
            )
            .label("`nom` absent")
            .note("ajoutez `nom:` au signataire si le nom est connu")
        })
        .collect()
}

#[cfg(test)]
mod test_signataires_nommes {
    use super::essai::*;
    use super::*;

    #[test]
    fn a_signatory_without_a_name_is_a_warning() {
        let mut c = intercommunale();
        assert!(signataires_nommes(&c).is_empty());
        c.reservataires[0].signataire.nom = None;
        let ds = signataires_nommes(&c);
        assert_eq!(ds[0].severity, crate::diagnostic::Severity::Avertissement);
        assert_eq!(
            ds[0].message,
            "signataire sans nom (epci, Président) : une ligne vide sera imprimée"
        );
    }
}

/// The bilateral model has one annex a year: the assiette of its one
/// réservataire. Convention, bilateral annex 2.
const BILATERAL_UNE_ANNEXE: Source = Source::bilateral("annexe 2");

fn bilateral_une_annexe(c: &Convention) -> Vec<Diagnostic> {
    if c.modele != Modele::Bilateral {
        return Vec::new();
    }
    c.exercices
        .iter()
        .filter(|e| e.annexes.len() != 1)
        .map(|e| {
            Diagnostic::erreur(
                format!(
                    "exercice {} : le modèle bilatéral a une annexe, pas {}",
                    e.annee.v,
                    e.annexes.len()
                ),
                Some(e.annee.span),
            )
            .note(BILATERAL_UNE_ANNEXE.pour(c.modele).note(
                "une convention bilatérale porte l'assiette d'un seul réservataire par année",
            ))
        })
        .collect()
}

#[cfg(test)]
mod test_bilateral_une_annexe {
    use super::essai::*;
    use super::*;

    #[test]
    fn a_bilateral_exercise_has_one_annex() {
        let mut c = bilaterale();
        assert!(bilateral_une_annexe(&c).is_empty());
        let a = c.exercices[0].annexes[0].clone();
        c.exercices[0].annexes.push(a);
        let annee = c.exercices[0].annee.v;
        assert_eq!(
            textes(&bilateral_une_annexe(&c)),
            [format!(
                "exercice {annee} : le modèle bilatéral a une annexe, pas 2 | une convention bilatérale porte l'assiette d'un seul réservataire par année (convention, annexe 2)"
            )]
        );
        // The intercommunal model has one annex per commune.
        c.modele = Modele::Intercommunal;
        assert!(bilateral_une_annexe(&c).is_empty());
    }
}

/// The bilateral model binds a bailleur and one réservataire: the model's
/// definition (its parties), no article to cite.
fn bilateral_un_reservataire(c: &Convention) -> Vec<Diagnostic> {
    if c.modele != Modele::Bilateral || c.reservataires.len() == 1 {
        return Vec::new();
    }
    vec![
        Diagnostic::erreur(
            format!(
                "modèle bilatéral avec {} réservataires : un seul est attendu",
                c.reservataires.len()
            ),
            c.reservataires.get(1).map(|r| r.id.span),
        )
        .note("une convention bilatérale lie un bailleur et un réservataire"),
    ]
}

#[cfg(test)]
mod test_bilateral_un_reservataire {
    use super::essai::*;
    use super::*;

    #[test]
    fn a_bilateral_convention_has_one_reservataire() {
        let mut c = bilaterale();
        assert!(bilateral_un_reservataire(&c).is_empty());
        let r = c.reservataires[0].clone();
        c.reservataires.push(r);
        let ds = bilateral_un_reservataire(&c);
        assert_eq!(
            textes(&ds),
            [
                "modèle bilatéral avec 2 réservataires : un seul est attendu | une convention bilatérale lie un bailleur et un réservataire"
            ]
        );
    }
}
