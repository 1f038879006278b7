//! Rules that compare the data with the computation (after `compute`):
//! every declared figure equals the computed one, deductions stay within the
//! flux, rates of one perimeter sum to at most 100 %, a positive rate that
//! yields no dwelling is flagged. Each diagnostic names both figures.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::compute::Flux;
use crate::diagnostic::{Diagnostic, Diagnostics, Sp};
use crate::model::{Convention, Logements};

use crate::francais::exact as fr;

fn logements(n: u32) -> String {
    crate::francais::compte(n, "logement")
}

fn declare(
    diags: &mut Diagnostics,
    d: &Option<Sp<Logements>>,
    calcule: Logements,
    quoi: &str,
    calcul: String,
    note: &str,
) {
    if let Some(d) = d
        && d.v != calcule
    {
        diags.push(
            Diagnostic::erreur(
                format!(
                    "{quoi} déclaré ({}) ne correspond pas au calcul ({calcul})",
                    d.v
                ),
                Some(d.span),
            )
            .label(format!("calculé : {}", logements(calcule.0)))
            .note(note.to_string()),
        );
    }
}

/// Checks one year's computed flow against the data.
pub fn controler(c: &Convention, flux: &Flux) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let Some(ex) = c.exercice(flux.annee) else {
        return diags;
    };
    let mut par_perimetre: BTreeMap<&str, (Decimal, Vec<String>)> = BTreeMap::new();
    for (a, f) in ex.annexes.iter().zip(&flux.annexes) {
        declare(
            &mut diags,
            &a.declare.parc_soumis,
            f.parc_soumis,
            "le parc soumis",
            format!(
                "{} - {} = {}",
                f.logements, f.total_exclusions, f.parc_soumis
            ),
            "annexe individuelle, « parc soumis à la gestion en flux » = patrimoine − exclusions",
        );
        declare(
            &mut diags,
            &a.declare.flux_previsionnel,
            f.flux_previsionnel,
            "le flux prévisionnel",
            format!(
                "{} × {} % = {} → {}",
                f.parc_soumis,
                fr(f.taux_rotation),
                fr(f.flux_exact),
                f.flux_previsionnel
            ),
            "annexe individuelle, « flux prévisionnel » = parc soumis × taux de rotation (CCH art. R. 441-5)",
        );
        declare(
            &mut diags,
            &a.declare.mobilisables,
            f.mobilisables,
            "le flux mobilisable",
            format!(
                "{} - {} = {}",
                f.flux_previsionnel, f.total_deductions, f.mobilisables
            ),
            "annexe individuelle, « logements mobilisables à répartir entre réservataires »",
        );
        declare(
            &mut diags,
            &a.declare.affectes,
            f.affectes,
            "le nombre de logements affectés",
            format!(
                "{} × {} % = {} → {}",
                f.mobilisables,
                fr(f.taux),
                fr(f.affectes_exact),
                f.affectes
            ),
            "état des droits de réservation : mobilisables × taux du réservataire",
        );
        if let Some(t) = &a.declare.taux
            && t.v.0 != f.taux
        {
            diags.push(
                Diagnostic::erreur(
                    format!("le taux déclaré ({} %) ne correspond pas au taux retenu ({} %)", fr(t.v.0), fr(f.taux)),
                    Some(t.span),
                )
                .label(format!("retenu : {} %", fr(f.taux)))
                .note("le taux de l'annexe fait foi ; le rapport au conseil reprend celui de l'annexe"),
            );
        }
        if let Some(t) = &a.declare.taux_rapport
            && t.v.0 != f.taux
        {
            diags.push(
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
            );
        }
        if f.total_deductions > f.flux_previsionnel {
            let span = a
                .deductions
                .values()
                .map(|v| v.span)
                .max_by_key(|s| s.start)
                .or(Some(a.span));
            diags.push(
                Diagnostic::erreur(
                    format!(
                        "les déductions ({}) dépassent le flux prévisionnel ({})",
                        f.total_deductions, f.flux_previsionnel
                    ),
                    span,
                )
                .label(format!("flux prévisionnel : {}", logements(f.flux_previsionnel.0)))
                .note("on ne peut soustraire du flux plus de logements qu'il n'en libère (CCH art. R. 441-5)"),
            );
        }
        if f.taux > Decimal::ZERO && f.affectes.0 == 0 {
            let span = a.taux.as_ref().map_or(a.span, |t| t.span);
            diags.push(
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
                .note("le réservataire a des droits mais aucun logement ne lui est affecté cette année : la part exacte est imprimée dans les documents"),
            );
        }
        let e = par_perimetre.entry(a.perimetre.as_str()).or_default();
        e.0 += f.taux;
        e.1.push(format!("{} : {} %", a.reservataire.v, fr(f.taux)));
    }
    for (perimetre, (somme, detail)) in par_perimetre {
        if somme > Decimal::ONE_HUNDRED {
            diags.push(
                Diagnostic::erreur(
                    format!(
                        "exercice {} : les taux des réservataires sur « {perimetre} » totalisent {} %",
                        flux.annee,
                        fr(somme)
                    ),
                    Some(ex.annee.span),
                )
                .note(format!("détail : {}", detail.join(", ")))
                .note("la somme des taux des réservataires d'une même assiette est au plus 100 %"),
            );
        }
    }
    if let (Some(e), Some(d)) = (&c.etat_des_lieux, &flux.etat_des_lieux) {
        for (p, dp) in e.programmes.iter().zip(&d.programmes) {
            for (g, n) in &p.reserves_declares {
                if let Some((_, calc)) = dp.reserves.iter().find(|(id, _)| id == g)
                    && *calc != n.v
                {
                    let exact = dp
                        .reserves_exacts
                        .iter()
                        .find(|(id, _)| id == g)
                        .map_or(String::new(), |(_, x)| x.replace('.', ","));
                    diags.push(
                        Diagnostic::erreur(
                            format!(
                                "programme {} : {} logements réservés déclarés pour `{g}`, le calcul donne {}",
                                p.code, n.v, calc
                            ),
                            Some(n.span),
                        )
                        .label(format!("calculé : {} ({} × {} % × part)", calc, dp.total, fr(e.quotite.v.0)))
                        .note(format!("logements × quotité × part de garantie = {exact}, arrondi au plus proche")),
                    );
                }
            }
        }
        for (g, t) in &e.taux_declares {
            if let Some((_, calc)) = d.taux.iter().find(|(id, _)| id == g)
                && calc.arrondi != t.v.0
            {
                diags.push(
                    Diagnostic::erreur(
                        format!("taux déclaré de `{g}` ({} %) différent du taux dérivé ({} %)", fr(t.v.0), fr(calc.arrondi)),
                        Some(t.span),
                    )
                    .label(format!("dérivé : {} % (exact {} %)", fr(calc.arrondi), fr(calc.exact.round_dp(4))))
                    .note("taux = logements réservés / logements des programmes, à la précision de l'état des lieux"),
                );
            }
        }
    }
    diags
}
