//! Rules that compare the data with the computation (after `compute`):
//! every declared figure equals the computed one, deductions stay within the
//! flux, rates of one perimeter sum to at most 100 %, a positive rate that
//! yields no dwelling is flagged. Each diagnostic names both figures.
//!
//! One function per rule, its source in the doc comment above it and its
//! tests in the module under it; [`controler`] runs them in a fixed order.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::compute::{self, DroitsProgramme, Flux, FluxAnnexe, TauxExact};
use crate::diagnostic::{Diagnostic, Diagnostics, Sp};
use crate::model::{Annexe, Convention, EtatDesLieux, Logements, Modele, Programme};

use crate::francais::exact as fr;

fn logements(n: u32) -> String {
    crate::francais::compte(n, "logement")
}

/// The intercommunal test convention of `validate::regles`, its 2024 flow.
#[cfg(test)]
mod essai {
    pub use crate::validate::regles::essai::{bilaterale, intercommunale, textes};

    pub fn flux_2024(c: &crate::model::Convention) -> crate::compute::Flux {
        crate::compute::calculer(c, 2024)
    }
}

/// Checks one year's computed flow against the data.
pub fn controler(c: &Convention, flux: &Flux) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let Some(ex) = c.exercice(flux.annee) else {
        return diags;
    };
    let m = flux.modele;
    let mut par_perimetre: BTreeMap<&str, (Decimal, Vec<String>)> = BTreeMap::new();
    for (a, f) in ex.annexes.iter().zip(&flux.annexes) {
        let ds = [
            parc_soumis_declare(m, a, f),
            flux_previsionnel_declare(m, a, f),
            mobilisables_declare(m, a, f),
            affectes_declare(m, a, f),
            taux_declare(a, f),
            taux_du_rapport(a, f),
            deductions_dans_le_flux(m, a, f),
            taux_positif_sans_logement(a, f),
        ];
        ds.into_iter().flatten().for_each(|d| diags.push(d));
        let e = par_perimetre.entry(a.perimetre.as_str()).or_default();
        e.0 += f.taux;
        e.1.push(format!("{} : {} %", a.reservataire.v, fr(f.taux)));
    }
    for d in somme_des_taux_par_assiette(flux.annee, ex.annee.span, par_perimetre) {
        diags.push(d);
    }
    if let (Some(e), Some(d)) = (&c.etat_des_lieux, &flux.etat_des_lieux) {
        for (p, dp) in e.programmes.iter().zip(&d.programmes) {
            for d in reserves_declares(e, p, dp) {
                diags.push(d);
            }
        }
        for d in taux_derives_declares(e, &d.taux) {
            diags.push(d);
        }
    }
    diags
}

/// A figure printed by the bailleur that the computation contradicts: the
/// message names both, the note the rule and its source.
fn chiffre_declare(
    d: &Option<Sp<Logements>>,
    calcule: Logements,
    quoi: &str,
    calcul: impl FnOnce() -> String,
    note: String,
) -> Option<Diagnostic> {
    let d = d.as_ref().filter(|d| d.v != calcule)?;
    Some(
        Diagnostic::erreur(
            format!(
                "{quoi} déclaré ({}) ne correspond pas au calcul ({})",
                d.v,
                calcul()
            ),
            Some(d.span),
        )
        .label(format!("calculé : {}", logements(calcule.0)))
        .note(note),
    )
}

/// The declared parc soumis = patrimoine − exclusions.
/// [`compute::PARC_SOUMIS`]: CCH art. R. 441-5 ; convention, art. 2 / art. 2.1.
fn parc_soumis_declare(m: Modele, a: &Annexe, f: &FluxAnnexe) -> Option<Diagnostic> {
    chiffre_declare(
        &a.declare.parc_soumis,
        f.parc_soumis,
        "le parc soumis",
        || {
            format!(
                "{} - {} = {}",
                f.logements, f.total_exclusions, f.parc_soumis
            )
        },
        compute::PARC_SOUMIS
            .pour(m)
            .note("« parc soumis à la gestion en flux » = patrimoine − exclusions"),
    )
}

#[cfg(test)]
mod test_parc_soumis_declare {
    use super::essai::*;
    use super::*;

    #[test]
    fn a_wrong_parc_soumis_names_both_figures_and_the_model_article() {
        let mut c = intercommunale();
        let f = flux_2024(&c);
        let a = &mut c.exercices[0].annexes[0];
        a.declare.parc_soumis = Some(Sp::new(Logements(1655), a.span));
        assert!(parc_soumis_declare(c.modele, a, &f.annexes[0]).is_none());
        a.declare.parc_soumis = Some(Sp::new(Logements(1887), a.span));
        let d = parc_soumis_declare(c.modele, a, &f.annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "le parc soumis déclaré (1887) ne correspond pas au calcul (1887 - 232 = 1655) | « parc soumis à la gestion en flux » = patrimoine − exclusions (CCH art. R. 441-5 ; convention, art. 2)"
            ]
        );
        let d = parc_soumis_declare(Modele::Bilateral, a, &f.annexes[0]).unwrap();
        assert!(d.notes[0].ends_with("(CCH art. R. 441-5 ; convention, art. 2.1)"));
    }
}

/// The declared flux prévisionnel = parc soumis × taux de rotation, rounded.
/// [`compute::FLUX_PREVISIONNEL`]: CCH art. R. 441-5 ; convention, art. 2 / art. 3.1.
fn flux_previsionnel_declare(m: Modele, a: &Annexe, f: &FluxAnnexe) -> Option<Diagnostic> {
    chiffre_declare(
        &a.declare.flux_previsionnel,
        f.flux_previsionnel,
        "le flux prévisionnel",
        || {
            format!(
                "{} × {} % = {} → {}",
                f.parc_soumis,
                fr(f.taux_rotation),
                fr(f.flux_exact),
                f.flux_previsionnel
            )
        },
        compute::FLUX_PREVISIONNEL
            .pour(m)
            .note("« flux prévisionnel » = parc soumis × taux de rotation"),
    )
}

#[cfg(test)]
mod test_flux_previsionnel_declare {
    use super::essai::*;
    use super::*;

    // 1655 × 6,82 % = 112,871 → 113 (declared 113 in the fixture).
    #[test]
    fn a_wrong_flux_shows_the_exact_product() {
        let mut c = intercommunale();
        let f = flux_2024(&c);
        assert!(
            flux_previsionnel_declare(c.modele, &c.exercices[0].annexes[0], &f.annexes[0])
                .is_none()
        );
        let a = &mut c.exercices[0].annexes[0];
        a.declare.flux_previsionnel.as_mut().unwrap().v = Logements(112);
        let d = flux_previsionnel_declare(c.modele, a, &f.annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "le flux prévisionnel déclaré (112) ne correspond pas au calcul (1655 × 6,82 % = 112,871 → 113) | « flux prévisionnel » = parc soumis × taux de rotation (CCH art. R. 441-5 ; convention, art. 2)"
            ]
        );
    }
}

/// The declared logements mobilisables = flux prévisionnel − déductions.
/// [`compute::MOBILISABLES`]: CCH art. R. 441-5 ; convention, annexe
/// individuelle / art. 3.2.
fn mobilisables_declare(m: Modele, a: &Annexe, f: &FluxAnnexe) -> Option<Diagnostic> {
    chiffre_declare(
        &a.declare.mobilisables,
        f.mobilisables,
        "le flux mobilisable",
        || {
            format!(
                "{} - {} = {}",
                f.flux_previsionnel, f.total_deductions, f.mobilisables
            )
        },
        compute::MOBILISABLES
            .pour(m)
            .note("« logements mobilisables à répartir entre réservataires »"),
    )
}

#[cfg(test)]
mod test_mobilisables_declare {
    use super::essai::*;
    use super::*;

    // 113 − (31 + 20) = 62 (declared 62 in the fixture).
    #[test]
    fn a_wrong_mobilisable_flow_is_an_error() {
        let mut c = intercommunale();
        let f = flux_2024(&c);
        assert!(
            mobilisables_declare(c.modele, &c.exercices[0].annexes[0], &f.annexes[0]).is_none()
        );
        let a = &mut c.exercices[0].annexes[0];
        a.declare.mobilisables.as_mut().unwrap().v = Logements(14);
        let d = mobilisables_declare(c.modele, a, &f.annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "le flux mobilisable déclaré (14) ne correspond pas au calcul (113 - 51 = 62) | « logements mobilisables à répartir entre réservataires » (CCH art. R. 441-5 ; convention, annexe individuelle)"
            ]
        );
    }
}

/// The declared logements affectés = mobilisables × taux, rounded.
/// [`compute::AFFECTES`]: CCH art. R. 441-5 ; convention, art. 3 / art. 4.
fn affectes_declare(m: Modele, a: &Annexe, f: &FluxAnnexe) -> Option<Diagnostic> {
    chiffre_declare(
        &a.declare.affectes,
        f.affectes,
        "le nombre de logements affectés",
        || {
            format!(
                "{} × {} % = {} → {}",
                f.mobilisables,
                fr(f.taux),
                fr(f.affectes_exact),
                f.affectes
            )
        },
        compute::AFFECTES
            .pour(m)
            .note("logements affectés = mobilisables × taux du réservataire"),
    )
}

#[cfg(test)]
mod test_affectes_declare {
    use super::essai::*;
    use super::*;

    // 62 × 6,89 % = 4,2718 → 4 (declared 4 in the fixture).
    #[test]
    fn a_wrong_allotment_is_an_error_citing_the_model_article() {
        let mut c = intercommunale();
        let f = flux_2024(&c);
        assert!(affectes_declare(c.modele, &c.exercices[0].annexes[0], &f.annexes[0]).is_none());
        let a = &mut c.exercices[0].annexes[0];
        a.declare.affectes.as_mut().unwrap().v = Logements(5);
        let d = affectes_declare(c.modele, a, &f.annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "le nombre de logements affectés déclaré (5) ne correspond pas au calcul (62 × 6,89 % = 4,2718 → 4) | logements affectés = mobilisables × taux du réservataire (CCH art. R. 441-5 ; convention, art. 3)"
            ]
        );
    }
}

/// A declared rate different from the one kept (given or derived from the
/// état des lieux): the annex's rate prevails. A rule of the documents.
fn taux_declare(a: &Annexe, f: &FluxAnnexe) -> Option<Diagnostic> {
    let t = a.declare.taux.as_ref().filter(|t| t.v.0 != f.taux)?;
    Some(
        Diagnostic::erreur(
            format!(
                "le taux déclaré ({} %) ne correspond pas au taux retenu ({} %)",
                fr(t.v.0),
                fr(f.taux)
            ),
            Some(t.span),
        )
        .label(format!("retenu : {} %", fr(f.taux)))
        .note("le taux de l'annexe fait foi ; le rapport au conseil reprend celui de l'annexe"),
    )
}

#[cfg(test)]
mod test_taux_declare {
    use super::essai::*;
    use super::*;

    #[test]
    fn a_declared_rate_other_than_the_annex_one_is_an_error() {
        let mut c = intercommunale();
        let f = flux_2024(&c);
        let a = &mut c.exercices[0].annexes[0];
        assert!(taux_declare(a, &f.annexes[0]).is_none());
        a.declare.taux = Some(Sp::new(crate::model::Taux(Decimal::new(69, 1)), a.span));
        let d = taux_declare(a, &f.annexes[0]).unwrap();
        assert_eq!(
            d.message,
            "le taux déclaré (6,9 %) ne correspond pas au taux retenu (6,89 %)"
        );
    }
}

/// The council report's rate differs from the annex's: a warning, the annex
/// prevails (seed 000's report wrote 13,5 % for 13,55 %). No legal rule.
fn taux_du_rapport(a: &Annexe, f: &FluxAnnexe) -> Option<Diagnostic> {
    let t = a
        .declare
        .taux_rapport
        .as_ref()
        .filter(|t| t.v.0 != f.taux)?;
    Some(
        Diagnostic::avertissement(
            format!(
                "`{}` : le rapport au conseil indique {} %, l'annexe {} % ; le taux de l'annexe est retenu",
                a.reservataire.v,
                fr(t.v.0),
                fr(f.taux)
            ),
            Some(t.span),
        )
        .label(format!("annexe : {} %", fr(f.taux)))
        .note("le rapport au conseil municipal reprend le taux de l'annexe individuelle, qui fait foi"),
    )
}

#[cfg(test)]
mod test_taux_du_rapport {
    use super::essai::*;
    use super::*;

    // Seed 000: the council report wrote 13,5 % where the annex said 13,55 %.
    #[test]
    fn another_rate_in_the_council_report_is_a_warning() {
        let mut c = intercommunale();
        let f = flux_2024(&c);
        let a = &mut c.exercices[0].annexes[0];
        a.declare.taux_rapport = Some(Sp::new(crate::model::Taux(Decimal::new(69, 1)), a.span));
        let d = taux_du_rapport(a, &f.annexes[0]).unwrap();
        assert_eq!(d.severity, crate::diagnostic::Severity::Avertissement);
        assert_eq!(
            d.message,
            "`ville-a` : le rapport au conseil indique 6,9 %, l'annexe 6,89 % ; le taux de l'annexe est retenu"
        );
    }
}

/// Deductions within the forecast flow: what is not counted in the flow
/// comes out of it. [`compute::DEDUCTIONS`]: CCH art. R. 441-5 ; convention,
/// art. 2 / art. 3.2.
fn deductions_dans_le_flux(m: Modele, a: &Annexe, f: &FluxAnnexe) -> Option<Diagnostic> {
    if f.total_deductions <= f.flux_previsionnel {
        return None;
    }
    let span = a
        .deductions
        .values()
        .map(|v| v.span)
        .max_by_key(|s| s.start)
        .or(Some(a.span));
    Some(
        Diagnostic::erreur(
            format!(
                "les déductions ({}) dépassent le flux prévisionnel ({})",
                f.total_deductions, f.flux_previsionnel
            ),
            span,
        )
        .label(format!(
            "flux prévisionnel : {}",
            logements(f.flux_previsionnel.0)
        ))
        .note(
            compute::DEDUCTIONS
                .pour(m)
                .note("on ne peut soustraire du flux plus de logements qu'il n'en libère"),
        ),
    )
}

#[cfg(test)]
mod test_deductions_dans_le_flux {
    use super::essai::*;
    use super::*;

    #[test]
    fn deductions_above_the_flux_are_an_error() {
        let c = intercommunale();
        let mut f = flux_2024(&c);
        let a = &c.exercices[0].annexes[0];
        assert!(deductions_dans_le_flux(c.modele, a, &f.annexes[0]).is_none());
        f.annexes[0].total_deductions = Logements(114);
        let d = deductions_dans_le_flux(c.modele, a, &f.annexes[0]).unwrap();
        assert_eq!(
            textes(&[d]),
            [
                "les déductions (114) dépassent le flux prévisionnel (113) | on ne peut soustraire du flux plus de logements qu'il n'en libère (CCH art. R. 441-5 ; convention, art. 2)"
            ]
        );
    }
}

/// A positive rate rounded to no dwelling this year: a warning; the exact
/// share is in `calculer` and in the avenants' comparison table (the
/// convention's annexes print the model's text only). No legal rule (rounding is the
/// convention's, DROIT.md).
fn taux_positif_sans_logement(a: &Annexe, f: &FluxAnnexe) -> Option<Diagnostic> {
    if f.taux <= Decimal::ZERO || f.affectes.0 != 0 {
        return None;
    }
    let span = a.taux.as_ref().map_or(a.span, |t| t.span);
    Some(
        Diagnostic::avertissement(
            format!(
                "`{}` : un taux de {} % de {} donne {} logement, arrondi à 0",
                a.reservataire.v,
                fr(f.taux),
                logements(f.mobilisables.0),
                fr(f.affectes_exact)
            ),
            Some(span),
        )
        .label(format!("part exacte : {}", fr(f.affectes_exact)))
        .note("le réservataire a des droits mais aucun logement ne lui est affecté cette année : la part exacte est donnée par `convflux calculer` et dans le tableau de comparaison des avenants ; les annexes de la convention n'impriment que le texte du modèle"),
    )
}

#[cfg(test)]
mod test_taux_positif_sans_logement {
    use super::essai::*;
    use super::*;

    // Le Cendre 2024: 7 % of 2 units = 0,14 → 0.
    #[test]
    fn a_positive_rate_allotted_nothing_is_a_warning() {
        let c = bilaterale();
        let f = flux_2024(&c);
        let d = taux_positif_sans_logement(&c.exercices[0].annexes[0], &f.annexes[0]);
        let d = d.expect("7 % de 2 logements");
        assert!(
            d.message.contains("donne 0,14 logement, arrondi à 0"),
            "{}",
            d.message
        );
        let c = intercommunale();
        let f = flux_2024(&c);
        assert!(taux_positif_sans_logement(&c.exercices[0].annexes[0], &f.annexes[0]).is_none());
    }
}

/// The rates of the réservataires of one assiette sum to at most 100 %:
/// the flow cannot be shared beyond itself. Arithmetic, no article to cite.
/// `par_perimetre`: Σ rates and the detail, per perimeter.
fn somme_des_taux_par_assiette(
    annee: i32,
    span: crate::diagnostic::Span,
    par_perimetre: BTreeMap<&str, (Decimal, Vec<String>)>,
) -> Vec<Diagnostic> {
    par_perimetre
        .into_iter()
        .filter(|(_, (somme, _))| *somme > Decimal::ONE_HUNDRED)
        .map(|(perimetre, (somme, detail))| {
            Diagnostic::erreur(
                format!(
                    "exercice {annee} : les taux des réservataires sur « {perimetre} » totalisent {} %",
                    fr(somme)
                ),
                Some(span),
            )
            .note(format!("détail : {}", detail.join(", ")))
            .note("la somme des taux des réservataires d'une même assiette est au plus 100 %")
        })
        .collect()
}

#[cfg(test)]
mod test_somme_des_taux_par_assiette {
    use super::*;

    #[test]
    fn rates_above_100_percent_on_one_perimeter_are_an_error() {
        let span = crate::diagnostic::Span::default();
        let mut p = BTreeMap::new();
        p.insert(
            "la commune",
            (Decimal::from(100), vec!["a : 100 %".to_string()]),
        );
        assert!(somme_des_taux_par_assiette(2024, span, p.clone()).is_empty());
        p.insert(
            "l'EPCI",
            (
                Decimal::new(1005, 1),
                vec!["a : 60 %".into(), "b : 40,5 %".into()],
            ),
        );
        let ds = somme_des_taux_par_assiette(2024, span, p);
        assert_eq!(ds.len(), 1);
        assert_eq!(
            ds[0].message,
            "exercice 2024 : les taux des réservataires sur « l'EPCI » totalisent 100,5 %"
        );
        assert_eq!(ds[0].notes[0], "détail : a : 60 %, b : 40,5 %");
    }
}

/// The reserved units printed for a programme equal units × quotité ×
/// guarantee share, rounded to the nearest. Practice of the bilateral
/// model's annex 1 (the état des lieux of former rights), no legal formula.
fn reserves_declares(e: &EtatDesLieux, p: &Programme, dp: &DroitsProgramme) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (g, n) in &p.reserves_declares {
        if let Some((_, calc)) = dp.reserves.iter().find(|(id, _)| id == g)
            && *calc != n.v
        {
            let exact = dp
                .reserves_exacts
                .iter()
                .find(|(id, _)| id == g)
                .map_or(String::new(), |(_, x)| x.replace('.', ","));
            out.push(
                Diagnostic::erreur(
                    format!(
                        "programme {} : {} logements réservés déclarés pour `{g}`, le calcul donne {}",
                        p.code, n.v, calc
                    ),
                    Some(n.span),
                )
                .label(format!(
                    "calculé : {} ({} × {} % × part)",
                    calc,
                    dp.total,
                    fr(e.quotite.v.0)
                ))
                .note(format!(
                    "logements × quotité × part de garantie = {exact}, arrondi au plus proche"
                )),
            );
        }
    }
    out
}

#[cfg(test)]
mod test_reserves_declares {
    use super::essai::*;
    use super::*;

    // Le Cendre, programme 592C01: 26 × 20 % × 68 % = 3,536 → 4 for CAM.
    #[test]
    fn reserved_units_other_than_computed_are_an_error() {
        let mut c = bilaterale();
        let f = flux_2024(&c);
        let (e, d) = (
            c.etat_des_lieux.as_mut().unwrap(),
            f.etat_des_lieux.unwrap(),
        );
        assert!(reserves_declares(e, &e.programmes[0], &d.programmes[0]).is_empty());
        e.programmes[0].reserves_declares[0].1.v = Logements(3);
        let ds = reserves_declares(e, &e.programmes[0], &d.programmes[0]);
        assert_eq!(
            textes(&ds),
            [
                "programme 592C01 : 3 logements réservés déclarés pour `cam`, le calcul donne 4 | logements × quotité × part de garantie = 3,536, arrondi au plus proche"
            ]
        );
    }
}

/// The rates printed in the état des lieux equal Σ reserved units ÷ units
/// of the programmes, at its precision. Practice of the bilateral model's
/// annex 1, no legal formula.
fn taux_derives_declares(e: &EtatDesLieux, derives: &[(String, TauxExact)]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (g, t) in &e.taux_declares {
        if let Some((_, calc)) = derives.iter().find(|(id, _)| id == g)
            && calc.arrondi != t.v.0
        {
            out.push(
                Diagnostic::erreur(
                    format!(
                        "taux déclaré de `{g}` ({} %) différent du taux dérivé ({} %)",
                        fr(t.v.0),
                        fr(calc.arrondi)
                    ),
                    Some(t.span),
                )
                .label(format!(
                    "dérivé : {} % (exact {} %)",
                    fr(calc.arrondi),
                    fr(calc.exact.round_dp(4))
                ))
                .note("taux = logements réservés / logements des programmes, à la précision de l'état des lieux"),
            );
        }
    }
    out
}

#[cfg(test)]
mod test_taux_derives_declares {
    use super::essai::*;
    use super::*;

    // Le Cendre: 6 / 43 = 13,95 % → 14 % for CAM.
    #[test]
    fn a_printed_rate_other_than_derived_is_an_error() {
        let mut c = bilaterale();
        let f = flux_2024(&c);
        let (e, d) = (
            c.etat_des_lieux.as_mut().unwrap(),
            f.etat_des_lieux.unwrap(),
        );
        assert!(taux_derives_declares(e, &d.taux).is_empty());
        e.taux_declares[0].1.v.0 = Decimal::from(13);
        let ds = taux_derives_declares(e, &d.taux);
        assert_eq!(
            ds[0].message,
            "taux déclaré de `cam` (13 %) différent du taux dérivé (14 %)"
        );
    }
}
