//! `convflux calculer`: the flow of each annex, step by step, as text, JSON
//! (documented, stable: docs/format.md § Sortie JSON) or CSV. With
//! `--detail`, the text also gives each step's source and, for an exercise
//! after the first, the avenant's differences N-1 → N and the engagement of
//! the bilan, as `compute::avenant` computed them.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::cli::{CalculerArgs, Format};
use crate::commands::Issue;
use crate::compute::avenant::{self, Avenant, Chiffre, Ecart, Mesure, Sens, Unite};
use crate::compute::{Flux, FluxAnnexe, rapport};
use crate::model::{Convention, Deduction, Exclusion};
use crate::pipeline::{self, Analyse};

/// Version of the JSON shape; bumped on any incompatible change.
pub const VERSION_JSON: u32 = 1;

#[derive(Serialize)]
struct SortieJson<'a> {
    version: u32,
    conventions: Vec<ConventionJson<'a>>,
}

#[derive(Serialize)]
struct ConventionJson<'a> {
    fichier: String,
    convention: &'a str,
    exercices: Vec<ExerciceJson<'a>>,
}

/// An exercise: its flow, and the figures the bailleur transmitted that the
/// computation corrects (field absent when there are none).
#[derive(Serialize)]
struct ExerciceJson<'a> {
    #[serde(flatten)]
    flux: &'a Flux,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    corrections: Vec<CorrectionJson<'a>>,
}

/// A correction in JSON: a count (`chiffre`: `flux_previsionnel`…) as
/// integers, the rate for the council report (`taux_rapport`) as exact
/// decimal strings (docs/format.md § calculer).
#[derive(Serialize)]
struct CorrectionJson<'a> {
    reservataire: &'a str,
    chiffre: &'static str,
    transmis: serde_json::Value,
    calcule: serde_json::Value,
}

/// A correction of the figures `reservataire`'s annex prints
/// ([`rapport::Correction`]), as `calculer` shows it.
struct Correction<'a> {
    reservataire: &'a str,
    c: rapport::Correction,
}

impl<'a> Correction<'a> {
    fn json(&self) -> CorrectionJson<'a> {
        let valeur = |d: Decimal| match self.c.chiffre {
            Some(_) => serde_json::Value::from(u64::try_from(d).unwrap_or_default()),
            None => serde_json::Value::from(d.normalize().to_string()),
        };
        CorrectionJson {
            reservataire: self.reservataire,
            chiffre: self.c.cle(),
            transmis: valeur(self.c.transmis),
            calcule: valeur(self.c.calcule),
        }
    }
}

/// The corrections of the transmitted figures of `x`, in the annex's order.
fn corrections<'a>(c: &Convention, annee: i32, x: &'a FluxAnnexe) -> Vec<Correction<'a>> {
    c.exercice(annee)
        .and_then(|e| {
            e.annexes
                .iter()
                .find(|a| a.reservataire.v == x.reservataire)
        })
        .map(|a| rapport::corrections(a, x))
        .unwrap_or_default()
        .into_iter()
        .map(|c| Correction {
            reservataire: &x.reservataire,
            c,
        })
        .collect()
}

use crate::francais::exact as fr;

pub fn executer(a: CalculerArgs) -> anyhow::Result<Issue> {
    let fichiers = crate::commands::lister(&a.entrees.chemins, false)?;
    let mut analyses: Vec<Analyse> = Vec::new();
    let mut echec = false;
    for f in &fichiers {
        let an = pipeline::analyser_dans(f, &crate::modeles::projet::borne(&a.entrees.chemins, f));
        if !an.valide() {
            echec = true;
            eprint!("{}", an.diagnostics_rendus());
            eprintln!("{} : données invalides, aucun calcul affiché", an.nom());
            continue;
        }
        analyses.push(an);
    }
    if let Some(annee) = a.annee {
        for an in &analyses {
            if !an.flux.iter().any(|f| f.annee == annee) {
                eprintln!("{} : pas d'exercice {annee}", an.nom());
                echec = true;
            }
        }
    }
    let garde = |f: &&Flux| a.annee.is_none_or(|y| f.annee == y);
    let mut out = String::new();
    match a.format {
        Format::Json => {
            let s = SortieJson {
                version: VERSION_JSON,
                conventions: analyses
                    .iter()
                    .filter_map(|an| {
                        let c = an.convention.as_ref()?;
                        Some(ConventionJson {
                            fichier: an.nom(),
                            convention: &c.id,
                            exercices: an
                                .flux
                                .iter()
                                .filter(garde)
                                .map(|f| ExerciceJson {
                                    flux: f,
                                    corrections: f
                                        .annexes
                                        .iter()
                                        .flat_map(|x| corrections(c, f.annee, x))
                                        .map(|k| k.json())
                                        .collect(),
                                })
                                .collect(),
                        })
                    })
                    .collect(),
            };
            out = serde_json::to_string_pretty(&s)?;
            out.push('\n');
        }
        Format::Csv => {
            // A UTF-8 byte-order mark: Excel on Windows reads the accents
            // right only with it (separator `;`, decimal comma: French Excel).
            out.push('\u{feff}');
            out.push_str(&csv_entete());
            for an in &analyses {
                for f in an.flux.iter().filter(garde) {
                    for x in &f.annexes {
                        let k = an
                            .convention
                            .as_ref()
                            .map_or(Vec::new(), |c| corrections(c, f.annee, x));
                        out.push_str(&csv_ligne(&an.nom(), f, x, &k));
                    }
                }
            }
        }
        Format::Texte => {
            for an in &analyses {
                let Some(c) = &an.convention else { continue };
                for f in an.flux.iter().filter(garde) {
                    let _ = writeln!(
                        out,
                        "{} — {} ({}), exercice {}",
                        an.nom(),
                        c.id,
                        c.modele.nom(),
                        f.annee
                    );
                    if let Some(e) = &f.etat_des_lieux {
                        let _ = writeln!(out, "  état des lieux : {} logements", e.total_logements);
                        for ((id, n), (_, t)) in e.reserves.iter().zip(&e.taux) {
                            let _ = writeln!(
                                out,
                                "    {id:<24} {n:>3} réservés = {} % (exact {} %)",
                                fr(t.arrondi),
                                fr(t.exact.round_dp(4))
                            );
                        }
                    }
                    for x in &f.annexes {
                        let nom = c
                            .reservataire(&x.reservataire)
                            .map_or(x.reservataire.as_str(), |r| r.designation.as_str());
                        let _ = writeln!(out, "  {nom} ({})", x.reservataire);
                        texte_annexe(&mut out, x, a.detail);
                        texte_corrections(&mut out, &corrections(c, f.annee, x));
                    }
                    if a.detail && c.premiere_annee().is_some_and(|p| f.annee != p) {
                        texte_avenant(&mut out, c, &avenant::calculer(c, f, &an.flux));
                    }
                    out.push('\n');
                }
            }
        }
    }
    print!("{out}");
    Ok(if echec {
        Issue::ErreursDeDonnees
    } else {
        Issue::Succes
    })
}

fn texte_annexe(out: &mut String, x: &FluxAnnexe, detail: bool) {
    let ligne =
        |out: &mut String, signe: &str, libelle: &str, valeur: String, exact: Option<String>| {
            let _ = write!(out, "    {signe} {libelle:<34} {valeur:>10}");
            if let Some(e) = exact {
                let _ = write!(out, "   (exact {e})");
            }
            out.push('\n');
        };
    let source = |out: &mut String, cle: &str| {
        if detail && let Some(e) = x.trace.iter().find(|e| e.cle == cle) {
            let _ = writeln!(out, "        source : {}", e.source);
        }
    };
    ligne(out, " ", "patrimoine", fr(x.logements.dec()), None);
    source(out, "logements");
    ligne(out, "−", "exclusions", fr(x.total_exclusions.dec()), None);
    if detail {
        for k in Exclusion::TOUTES {
            if let Some(v) = x.exclusions.get(&k) {
                let _ = writeln!(out, "        dont {} : {}", k.libelle(), v);
            }
        }
    }
    source(out, "exclusions");
    ligne(out, "=", "parc soumis", fr(x.parc_soumis.dec()), None);
    source(out, "parc_soumis");
    ligne(
        out,
        "×",
        "taux de rotation",
        crate::francais::taux(x.taux_rotation),
        None,
    );
    if detail && let Some(r) = &x.rotation_calculee {
        let _ = writeln!(
            out,
            "        calcul : Σ départs {} ÷ Σ parc {} × 100, arrondi à {} décimale{}",
            fr(r.departs.into()),
            fr(r.parc.into()),
            r.precision,
            if r.precision > 1 { "s" } else { "" }
        );
    }
    source(out, "taux_rotation");
    ligne(
        out,
        "=",
        "flux prévisionnel",
        fr(x.flux_previsionnel.dec()),
        Some(fr(x.flux_exact)),
    );
    source(out, "flux_previsionnel");
    ligne(out, "−", "déductions", fr(x.total_deductions.dec()), None);
    if detail {
        for k in Deduction::TOUTES {
            if let Some(v) = x.deductions.get(&k)
                && (v.0 > 0 || k == Deduction::Mutations)
            {
                let _ = writeln!(out, "        dont {} : {}", k.libelle(), v);
            }
        }
    }
    source(out, "deductions");
    ligne(
        out,
        "=",
        "logements mobilisables",
        fr(x.mobilisables.dec()),
        None,
    );
    source(out, "mobilisables");
    ligne(
        out,
        "×",
        "taux du réservataire",
        crate::francais::taux(x.taux),
        None,
    );
    source(out, "taux");
    ligne(
        out,
        "=",
        "logements affectés",
        fr(x.affectes.dec()),
        Some(fr(x.affectes_exact)),
    );
    source(out, "affectes");
}

/// The transmitted figures the computation corrects, under the annex's lines.
fn texte_corrections(out: &mut String, corrections: &[Correction]) {
    if corrections.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "    chiffres transmis par le bailleur, corrigés (l'annexe fait foi) :"
    );
    for k in corrections {
        let (transmis, calcule) = (fr(k.c.transmis), fr(k.c.calcule));
        let _ = match k.c.chiffre {
            Some(c) => writeln!(
                out,
                "      {:<34} transmis {transmis}, calculé {calcule}",
                c.libelle()
            ),
            None => writeln!(
                out,
                "      {:<34} transmis {transmis} %, annexe {calcule} %",
                "taux cité au rapport au conseil"
            ),
        };
    }
}

fn libelle(c: Chiffre) -> String {
    match c {
        Chiffre::Logements => "patrimoine".into(),
        Chiffre::Exclusion(x) => format!("dont exclus : {}", x.libelle()),
        Chiffre::TotalExclusions => "exclusions".into(),
        Chiffre::ParcSoumis => "parc soumis".into(),
        Chiffre::TauxRotation => "taux de rotation".into(),
        Chiffre::FluxPrevisionnel => "flux prévisionnel".into(),
        Chiffre::Deduction(x) => format!("dont déduit : {}", x.libelle()),
        Chiffre::TotalDeductions => "déductions".into(),
        Chiffre::Mobilisables => "logements mobilisables".into(),
        Chiffre::Taux => "taux du réservataire".into(),
        Chiffre::AffectesExact => "part du flux avant arrondi".into(),
        Chiffre::Affectes => "logements affectés".into(),
    }
}

/// « +12 », « −1 », « 0 »; « +0,6 pt » for a rate (points of percentage).
fn ecart_texte(e: Ecart, unite: Unite) -> String {
    let signe = match e.sens() {
        Sens::Hausse => "+",
        Sens::Baisse => "−",
        Sens::Stable => "",
    };
    let pt = match (unite, e.sens()) {
        (Unite::Taux, Sens::Hausse | Sens::Baisse) => " pt",
        _ => "",
    };
    format!("{signe}{}{pt}", fr(e.absolu()))
}

/// The avenant of an exercise after the first: every figure N-1 → N with its
/// difference, then the bilan of N-1 against the engagement.
fn texte_avenant(out: &mut String, c: &Convention, av: &Avenant) {
    let nom = |id: &str| {
        c.reservataire(id)
            .map_or(id.to_string(), |r| r.designation.clone())
    };
    let valeur = |d: Decimal, u: Unite| match u {
        Unite::Taux => crate::francais::taux(d),
        Unite::Logements => fr(d),
    };
    let _ = writeln!(
        out,
        "  avenant : exercice {} → {}",
        av.annee_precedente, av.annee
    );
    for x in &av.comparaisons {
        let etat = match (x.avant, x.apres) {
            (false, _) => " : annexe nouvelle",
            (_, false) => " : annexe supprimée",
            _ => "",
        };
        let _ = writeln!(
            out,
            "    {} ({}){etat}",
            nom(&x.reservataire),
            x.reservataire
        );
        for e in &x.ecarts {
            // Exclusions and deductions nil both years are left out.
            let detail = matches!(e.chiffre, Chiffre::Exclusion(_) | Chiffre::Deduction(_));
            if detail && e.avant.is_zero() && e.apres.is_zero() {
                continue;
            }
            let u = e.chiffre.unite();
            let _ = writeln!(
                out,
                "      {:<34} {:>10} → {:<10} {}",
                libelle(e.chiffre),
                valeur(e.avant, u),
                valeur(e.apres, u),
                ecart_texte(e.ecart, u)
            );
        }
        let _ = writeln!(out, "        source : {}", x.source);
    }
    let Some(b) = &av.bilan else { return };
    let _ = writeln!(
        out,
        "  bilan {}{} : engagement mesuré par les logements {}",
        b.annee,
        if b.en_retard {
            " (reçu après le 28 février)"
        } else {
            ""
        },
        match av.mesure {
            Mesure::BauxEtRefus =>
                "attribués suivis d'un bail signé et logements refusés par tous les candidats du réservataire",
            Mesure::Proposes => "mis à disposition du réservataire",
        }
    );
    for e in &b.engagements {
        let u = Unite::Logements;
        let ecart = |x: Option<Ecart>| x.map_or("—".to_string(), |x| ecart_texte(x, u));
        let _ = writeln!(
            out,
            "    {} ({}) : engagés {}, proposés {} ({}), attribués {} ({}), réalisé {} ({}) : {}",
            nom(&e.reservataire),
            e.reservataire,
            e.engages.map_or("—".to_string(), |n| n.to_string()),
            e.proposes,
            ecart(e.ecart_proposes),
            e.attribues,
            ecart(e.ecart_attribues),
            e.realise.map_or("—".to_string(), |n| n.to_string()),
            ecart(e.ecart_realise),
            match (e.atteint, e.engages) {
                (Some(true), _) => "engagement atteint",
                (Some(false), _) => "engagement non atteint",
                (None, None) => "pas d'annexe l'année du bilan",
                (None, Some(_)) => "baux signés absents du bilan : engagement non mesurable",
            }
        );
        let _ = writeln!(out, "        source : {}", e.source);
    }
}

fn csv_entete() -> String {
    "fichier;convention;annee;reservataire;logements;exclusions;parc_soumis;taux_rotation;flux_exact;\
     flux_previsionnel;deductions;mobilisables;taux;affectes_exact;affectes;transmis_corriges\n"
        .to_string()
}

fn csv_champ(s: &str) -> String {
    if s.contains([';', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_ligne(fichier: &str, f: &Flux, x: &FluxAnnexe, corrections: &[Correction]) -> String {
    let d = |v: Decimal| v.normalize().to_string().replace('.', ",");
    // « flux_previsionnel : 235 → 16, mobilisables : 14 → 16 »
    let corriges = corrections
        .iter()
        .map(|k| format!("{} : {} → {}", k.c.cle(), d(k.c.transmis), d(k.c.calcule)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{}\n",
        csv_champ(fichier),
        csv_champ(&f.convention),
        f.annee,
        csv_champ(&x.reservataire),
        x.logements,
        x.total_exclusions,
        x.parc_soumis,
        d(x.taux_rotation),
        d(x.flux_exact),
        x.flux_previsionnel,
        x.total_deductions,
        x.mobilisables,
        d(x.taux),
        d(x.affectes_exact),
        x.affectes,
        csv_champ(&corriges)
    )
}
