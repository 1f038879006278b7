//! The yearly cycle after the first exercise: the bilan of year N-1 and the
//! avenant of year N (part of stage 2, `validate`).
//!
//! Takes the `bilan`, `avenant` and `illustratif` keys of one exercise (read
//! with the [`Lecteur`] API, every problem collected) and gives the [`Bilan`]
//! and [`Avenant`] stored on [`Exercice`]; [`regles`] checks what needs the
//! whole convention (réservataires known, first exercise without bilan,
//! avenant numbers). Nothing is computed here: the gap between the units
//! allotted for N-1 and the units proposed or attributed is worked out by the
//! render stage from `compute`'s flows.
//!
//! The law: before 28 February of each year the bailleur sends every
//! réservataire the bilan of the units proposed and attributed the year before,
//! by réservataire, typology, financing, location in or outside a QPV, commune
//! and construction period (CCH art. R. 441-5-1; seed 000 art. 8, seed 004
//! art. 14 and annex 3). In view of it, an avenant updates the assiette and the
//! flow (seed 000 art. 9, seed 004 art. 14).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::diagnostic::{Diagnostic, Sp};
use crate::load::{Node, Value};
use crate::model::bilan::{
    Avenant, Bilan, BilanReservataire, Critere, LigneRepartition, Repartition, Suivi, numero,
    precedent,
};
use crate::model::citation::{Citation, Source, Texte};
use crate::model::{Convention, Date, Exercice};
use crate::validate::lecteur::{Lecteur, Table, joindre, parse_decimal};

/// Reads `bilan`, `avenant` and `illustratif` from an exercise table.
/// `annee` is the exercise's year when it could be read.
pub fn lire(l: &mut Lecteur, t: &mut Table<'_>, chemin: &str, annee: Option<i32>) -> Option<Suivi> {
    let bilan = match l.champ(t, "bilan") {
        Some(n) if n.value != Value::Null => {
            bilan(l, n, &joindre(chemin, "bilan"), annee).map(Some)
        }
        _ => Some(None),
    };
    let avenant = match l.champ(t, "avenant") {
        Some(n) if n.value != Value::Null => avenant(l, n, &joindre(chemin, "avenant")).map(Some),
        _ => Some(None),
    };
    let illustratif = match l.champ(t, "illustratif") {
        Some(n) if n.value != Value::Null => l.booleen(n, &joindre(chemin, "illustratif")),
        _ => Some(false),
    };
    Some(Suivi {
        bilan: bilan?,
        avenant: avenant?,
        illustratif: illustratif?,
    })
}

const CLES_BILAN: &[&str] = &["annee", "recu_le", "source", "reservataires"];
const CLES_BILAN_RESERVATAIRE: &[&str] = &[
    "reservataire",
    "proposes",
    "attribues",
    "refus_menages",
    "refus_caleol",
    "baux_signes",
    "refus_tous_candidats",
    "anciennete_mois",
    "repartition",
];

fn bilan(l: &mut Lecteur, n: &Node, chemin: &str, annee: Option<i32>) -> Option<Bilan> {
    let mut t = l.table(n, chemin)?;
    let span = t.span();
    let declaree = match l.champ(&mut t, "annee") {
        Some(n) if n.value != Value::Null => l.annee(n, &joindre(chemin, "annee")).map(Some),
        _ => Some(None),
    };
    let recu_le = l
        .requis(&mut t, "recu_le", "la date de réception du bilan")
        .and_then(|n| l.date(n, &joindre(chemin, "recu_le")));
    let source = l.opt_texte(&mut t, "source");
    let reservataires = l
        .requis(
            &mut t,
            "reservataires",
            "les chiffres du bilan de chaque réservataire",
        )
        .and_then(|n| {
            let c = joindre(chemin, "reservataires");
            let items = l.liste(n, &c)?;
            let mut out = Vec::new();
            let mut ok = true;
            for (i, it) in items.iter().enumerate() {
                match bilan_reservataire(l, it, &format!("{c}[{i}]")) {
                    Some(b) => out.push(b),
                    None => ok = false,
                }
            }
            if ok && out.is_empty() {
                l.erreur(
                    Diagnostic::erreur_de(
                        "liste vide",
                        format!("`{c}` : la liste est vide"),
                        Some(n.span),
                    )
                    .note(BILAN.note(
                        "le bilan donne les logements proposés et attribués de chaque réservataire",
                    )),
                );
                ok = false;
            }
            ok.then_some(out)
        });
    l.fin(t, CLES_BILAN);
    let (declaree, recu_le, reservataires) = (declaree?, recu_le?, reservataires?);
    let annee = annee?;
    // The bilan of exercise N is the one of year N-1 (seed 000 art. 8).
    let revue = annee - 1;
    if let Some(d) = declaree
        && d.v != revue
    {
        l.erreur(
            Diagnostic::erreur_de(
                "bilan d'une autre année",
                format!(
                    "le bilan porté par l'exercice {annee} doit être celui de {revue}, pas de {}",
                    d.v
                ),
                Some(d.span),
            )
            .label(format!("attendu : {revue}"))
            .note(BILAN.note("l'avenant de l'année N se fonde sur le bilan de l'année N-1")),
        );
        return None;
    }
    let fin_revue = Date {
        annee: revue,
        mois: 12,
        jour: 31,
    };
    if recu_le.v <= fin_revue {
        l.erreur(
            Diagnostic::erreur_de(
                "bilan reçu avant la fin de l'année",
                format!(
                    "bilan de {revue} reçu le {}, avant la fin de l'année qu'il dresse",
                    fr_date(recu_le.v)
                ),
                Some(recu_le.span),
            )
            .label(format!("attendu : après le 31/12/{revue}"))
            .note("le bilan porte sur l'année écoulée : il est transmis entre le 1er janvier et le 28 février suivants"),
        );
        return None;
    }
    let b = Bilan {
        annee: revue,
        recu_le,
        source,
        reservataires,
        span,
    };
    // Rule: the bilan is sent before 28 February (CCH art. R. 441-5-1;
    // seed 000 art. 8, seed 004 art. 14). Late is not void: a warning.
    if b.en_retard() {
        l.erreur(
            Diagnostic::avertissement_de(
                "bilan reçu après le 28 février",
                format!(
                    "bilan de {revue} reçu le {}, après le 28 février {annee}",
                    fr_date(b.recu_le.v)
                ),
                Some(b.recu_le.span),
            )
            .label(format!("au plus tard le 28/02/{annee}"))
            .note(
                BILAN.note(
                    "le bailleur transmet le bilan annuel avant le 28 février de chaque année",
                ),
            ),
        );
    }
    Some(b)
}

fn bilan_reservataire(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<BilanReservataire> {
    let mut t = l.table(n, chemin)?;
    let span = t.span();
    let reservataire = l
        .requis(&mut t, "reservataire", "l'identifiant d'un réservataire")
        .and_then(|n| l.identifiant(n, &joindre(chemin, "reservataire")));
    let proposes = l.req_logements(&mut t, "proposes");
    let attribues = l.req_logements(&mut t, "attribues");
    let refus_menages = l.opt_logements(&mut t, "refus_menages");
    let refus_caleol = l.opt_logements(&mut t, "refus_caleol");
    let baux_signes = l.opt_logements(&mut t, "baux_signes");
    let refus_tous_candidats = l.opt_logements(&mut t, "refus_tous_candidats");
    let anciennete = match l.champ(&mut t, "anciennete_mois") {
        Some(n) if n.value != Value::Null => {
            mois(l, n, &joindre(chemin, "anciennete_mois")).map(Some)
        }
        _ => Some(None),
    };
    // Breakdowns read well are checked below even when another one is not.
    let (repartitions, repartitions_ok) = match l.champ(&mut t, "repartition") {
        Some(n) if n.value != Value::Null => repartitions(l, n, &joindre(chemin, "repartition")),
        _ => (Vec::new(), true),
    };
    l.fin(t, CLES_BILAN_RESERVATAIRE);
    let b = BilanReservataire {
        reservataire: reservataire?,
        proposes: proposes?,
        attribues: attribues?,
        refus_menages,
        refus_caleol,
        baux_signes,
        refus_tous_candidats,
        anciennete_mois: anciennete?,
        repartitions,
        span,
    };
    let mut ok = repartitions_ok;
    // A unit attributed to the réservataire's candidate was first proposed to it.
    if b.attribues.v > b.proposes.v {
        ok = false;
        l.erreur(
            Diagnostic::erreur_de(
                "attribués au-delà des proposés",
                format!(
                    "`{}` : {} logements attribués pour {} proposés",
                    b.reservataire.v, b.attribues.v, b.proposes.v
                ),
                Some(b.attribues.span),
            )
            .label(format!("au plus {}", b.proposes.v))
            .note("un logement attribué au contingent du réservataire lui a d'abord été proposé : attribués ≤ proposés"),
        );
    }
    if let Some(baux) = &b.baux_signes
        && baux.v > b.attribues.v
    {
        ok = false;
        l.erreur(
            Diagnostic::erreur_de(
                "baux au-delà des attribués",
                format!(
                    "`{}` : {} baux signés pour {} logements attribués",
                    b.reservataire.v, baux.v, b.attribues.v
                ),
                Some(baux.span),
            )
            .label(format!("au plus {}", b.attribues.v))
            .note("un bail suit une attribution en CALEOL : baux signés ≤ attribués"),
        );
    }
    // Each breakdown adds up to the totals it breaks down.
    for r in &b.repartitions {
        for (quoi, somme, total) in [
            ("proposés", r.total_proposes(), b.proposes.v),
            ("attribués", r.total_attribues(), b.attribues.v),
        ] {
            if somme != u64::from(total.0) {
                ok = false;
                l.erreur(
                    Diagnostic::erreur_de(
                        "répartition différente du total",
                        format!(
                            "`{}` : la répartition par {} des logements {quoi} totalise {somme}, le bilan en compte {}",
                            b.reservataire.v,
                            r.critere.libelle().to_lowercase(),
                            total
                        ),
                        Some(r.span),
                    )
                    .label(format!("total attendu : {total}"))
                    .note(format!(
                        "chaque répartition ventile tous les logements {quoi} : ajoutez la catégorie manquante ou corrigez le total"
                    )),
                );
            }
        }
    }
    ok.then_some(b)
}

/// An average in months: a non-negative decimal (`31`, `31.5`), exact.
fn mois(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<Sp<Decimal>> {
    let texte = match &n.value {
        Value::Nombre(t) | Value::Texte(t) => t.trim().replace(',', "."),
        _ => String::new(),
    };
    match parse_decimal(&texte) {
        Some(d) if d >= Decimal::ZERO && d <= Decimal::from(1200) => Some(Sp::new(d, n.span)),
        _ => {
            l.erreur(
                Diagnostic::erreur_de(
                    "valeur d'une autre forme",
                    format!("`{chemin}` : une durée en mois est attendue (par exemple 31 ou 31.5)"),
                    Some(n.span),
                )
                .label("attendu : un nombre de mois entre 0 et 1200")
                .note("ancienneté moyenne de la demande des ménages logés, en mois"),
            );
            None
        }
    }
}

fn repartitions(l: &mut Lecteur, n: &Node, chemin: &str) -> (Vec<Repartition>, bool) {
    let Some(mut t) = l.table(n, chemin) else {
        return (Vec::new(), false);
    };
    let mut out = Vec::new();
    let mut ok = true;
    for c in Critere::TOUS {
        let Some(v) = l.champ(&mut t, c.cle()) else {
            continue;
        };
        if v.value == Value::Null {
            continue;
        }
        match repartition(l, v, &joindre(chemin, c.cle()), c) {
            Some(r) => out.push(r),
            None => ok = false,
        }
    }
    let cles: Vec<&str> = Critere::TOUS.iter().map(|c| c.cle()).collect();
    l.fin(t, &cles);
    (out, ok)
}

fn repartition(l: &mut Lecteur, n: &Node, chemin: &str, critere: Critere) -> Option<Repartition> {
    let t = l.table(n, chemin)?;
    let span = n.span;
    let mut lignes = Vec::new();
    let mut ok = true;
    for e in t.cles() {
        let c = joindre(chemin, &e.key);
        if let Some(permises) = critere.categories()
            && !permises.contains(&e.key.as_str())
        {
            ok = false;
            let proche = permises
                .iter()
                .map(|k| (strsim::jaro_winkler(k, &e.key), *k))
                .filter(|(s, _)| *s > 0.75)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let mut d = Diagnostic::erreur_de(
                "catégorie inconnue",
                format!("`{chemin}` : catégorie inconnue « {} »", e.key),
                Some(e.key_span),
            )
            .label("catégorie inconnue")
            .note(format!(
                "catégories attendues : {}",
                permises
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            if let Some((_, k)) = proche {
                d = d.note(format!("vouliez-vous dire `{k}` ?")).suggestion(k);
            }
            l.erreur(d);
            continue;
        }
        let Some(mut x) = l.table(&e.value, &c) else {
            ok = false;
            continue;
        };
        let p = l.req_logements(&mut x, "proposes");
        let a = l.req_logements(&mut x, "attribues");
        l.fin(x, &["proposes", "attribues"]);
        match (p, a) {
            (Some(p), Some(a)) => {
                if a.v > p.v {
                    ok = false;
                    l.erreur(
                        Diagnostic::erreur_de(
                            "attribués au-delà des proposés",
                            format!("`{c}` : {} attribués pour {} proposés", a.v, p.v),
                            Some(a.span),
                        )
                        .label(format!("au plus {}", p.v))
                        .note("attribués ≤ proposés dans chaque catégorie"),
                    );
                }
                lignes.push(LigneRepartition {
                    categorie: e.key.clone(),
                    proposes: p.v,
                    attribues: a.v,
                });
            }
            _ => ok = false,
        }
    }
    ok.then_some(Repartition {
        critere,
        lignes,
        span,
    })
}

fn avenant(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<Avenant> {
    let mut t = l.table(n, chemin)?;
    let span = t.span();
    let numero = match l.champ(&mut t, "numero") {
        Some(n) if n.value != Value::Null => l
            .entier(
                n,
                &joindre(chemin, "numero"),
                99,
                "un numéro d'avenant (1 à 99)",
            )
            .and_then(|v| {
                if v == 0 {
                    l.erreur(
                        Diagnostic::erreur_de(
                            "numéro d'avenant",
                            format!(
                                "`{}` : les avenants sont numérotés à partir de 1",
                                joindre(chemin, "numero")
                            ),
                            Some(n.span),
                        )
                        .label("au moins 1"),
                    );
                    None
                } else {
                    Some(Some(Sp::new(v as u32, n.span)))
                }
            }),
        _ => Some(None),
    };
    let date_effet = match l.champ(&mut t, "date_effet") {
        Some(n) if n.value != Value::Null => {
            l.date_effet(n, &joindre(chemin, "date_effet")).map(Some)
        }
        _ => Some(None),
    };
    let (lieu, date) = l.signature(&mut t, &joindre(chemin, "signature"));
    l.fin(t, &["numero", "date_effet", "signature"]);
    Some(Avenant {
        numero: numero?,
        date_effet: date_effet?,
        lieu_signature: lieu,
        date_signature: date,
        span,
    })
}

fn fr_date(d: Date) -> String {
    crate::francais::date_courte(d.jour, d.mois, d.annee)
}

/// Rules across exercises for bilans and avenants (called by `validate`).
/// The yearly bilan, while reading (the model is not known yet): CCH
/// art. R. 441-5-1, units proposed and allotted the previous year, sent to
/// every réservataire before 28 February.
const BILAN: Citation = Citation::loi(&[Texte::R441_5_1]);

/// The yearly bilan: CCH art. R. 441-5-1; convention, intercommunal art. 8,
/// bilateral art. 14.
const BILAN_ANNUEL: Source = Source::avec(&[Texte::R441_5_1], "art. 8", "art. 14");

/// The bilan, then the avenant it grounds: convention, intercommunal art. 8
/// (évaluation annuelle) and 9 (actualisation), bilateral art. 14 (bilan).
const BILAN_ET_AVENANT: Source = Source::convention("art. 8 et 9", "art. 14");

/// What the bilan measures against the engagement: intercommunal art. 8
/// (with art. 3: attributions followed by a lease), bilateral art. 9
/// (units made available count) and 14.
const DECOMPTE: Source = Source::convention("art. 8", "art. 9 et 14");

/// A yearly avenant updates the assiette: intercommunal art. 9, bilateral
/// art. 14.
const ACTUALISATION: Source = Source::convention("art. 9", "art. 14");

pub fn regles(l: &mut Lecteur, c: &Convention) {
    let Some(premiere) = c.premiere_annee() else {
        return;
    };
    let ids: BTreeSet<&str> = c.reservataires.iter().map(|r| r.id.v.as_str()).collect();
    let mut ordre: Vec<&Exercice> = c.exercices.iter().collect();
    ordre.sort_by_key(|e| e.annee.v);
    let mut numeros: BTreeMap<u32, i32> = BTreeMap::new();
    let mut dernier_numero = 0u32;
    for e in &ordre {
        let annee = e.annee.v;
        if annee == premiere {
            // The first exercise is the convention itself: no bilan, no avenant.
            if let Some(b) = &e.bilan {
                l.erreur(
                    Diagnostic::erreur_de(
                        "bilan au premier exercice",
                        format!("l'exercice {annee} est le premier : il n'a pas de bilan"),
                        Some(b.span),
                    )
                    .label("bilan inattendu")
                    .note(BILAN_ET_AVENANT.pour(c.modele).note("le premier exercice donne la convention ; le bilan de son année est porté par l'exercice suivant, qui donne l'avenant")),
                );
            }
            if let Some(a) = &e.avenant {
                l.erreur(
                    Diagnostic::erreur_de(
                        "avenant au premier exercice",
                        format!("l'exercice {annee} est le premier : il donne la convention, pas un avenant"),
                        Some(a.span),
                    )
                    .label("avenant inattendu")
                    .note("les avenants commencent à l'exercice suivant"),
                );
            }
            continue;
        }
        match &e.bilan {
            None => l.erreur(
                Diagnostic::avertissement_de("exercice sans bilan de l'année précédente", 
                    format!(
                        "exercice {annee} sans bilan de {} : l'avenant n'en donnera ni le résumé ni la date",
                        annee - 1
                    ),
                    Some(e.annee.span),
                )
                .label("`bilan` absent")
                .note(format!(
                    "l'avenant annuel se fonde sur le bilan reçu avant le 28 février ({}) : ajoutez `bilan:` à l'exercice",
                    BILAN_ANNUEL.pour(c.modele)
                )),
            ),
            Some(b) => {
                let avant = precedent(c, annee);
                let mut vus: BTreeSet<&str> = BTreeSet::new();
                for r in &b.reservataires {
                    let id = r.reservataire.v.as_str();
                    if !ids.contains(id) {
                        let liste: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
                        l.erreur(
                            Diagnostic::erreur_de(
                                "bilan d'un réservataire inconnu",
                                format!("bilan d'un réservataire inconnu : `{id}`"),
                                Some(r.reservataire.span),
                            )
                            .label("absent de `reservataires`")
                            .note(format!("réservataires déclarés : {}", liste.join(", "))),
                        );
                    } else if !vus.insert(id) {
                        l.erreur(
                            Diagnostic::erreur_de(
                                "deux bilans pour un réservataire",
                                format!("exercice {annee} : deux bilans pour `{id}`"),
                                Some(r.reservataire.span),
                            )
                            .note("un seul bilan par réservataire et par année"),
                        );
                    } else if avant.is_some_and(|p| {
                        p.annee.v == b.annee && !p.annexes.iter().any(|a| a.reservataire.v == id)
                    }) {
                        l.erreur(
                            Diagnostic::avertissement_de("bilan d'un réservataire sans annexe", 
                                format!(
                                    "bilan de `{id}` sans annexe en {} : aucun engagement auquel le comparer",
                                    b.annee
                                ),
                                Some(r.reservataire.span),
                            )
                            .note(DECOMPTE.pour(c.modele).note("l'avenant compare les logements affectés en N-1 aux logements proposés et attribués")),
                        );
                    }
                }
            }
        }
        if let Some(p) = precedent(c, annee)
            && p.annee.v != annee - 1
        {
            l.erreur(
                Diagnostic::avertissement_de(
                    "exercice précédent absent",
                    format!(
                        "exercice {annee} : pas d'exercice {} ; l'avenant compare avec {}",
                        annee - 1,
                        p.annee.v
                    ),
                    Some(e.annee.span),
                )
                .note(
                    ACTUALISATION
                        .pour(c.modele)
                        .note("la convention est actualisée chaque année par avenant"),
                ),
            );
        }
        // Avenant numbers: unique, increasing with the years.
        let n = numero(c, annee).unwrap_or(0);
        let span = e
            .avenant
            .as_ref()
            .and_then(|a| a.numero.as_ref().map(|n| n.span))
            .unwrap_or(e.annee.span);
        if let Some(autre) = numeros.insert(n, annee) {
            l.erreur(
                Diagnostic::erreur_de(
                    "avenant en double",
                    format!("avenant n° {n} en double (exercices {autre} et {annee})"),
                    Some(span),
                )
                .label("numéro déjà utilisé")
                .note("chaque exercice après le premier a son propre avenant : donnez `avenant.numero` distincts ou retirez-les (numérotation par année)"),
            );
        } else if n <= dernier_numero {
            l.erreur(
                Diagnostic::erreur_de(
                    "numéros d'avenant dans le désordre",
                    format!("avenant n° {n} de {annee} après l'avenant n° {dernier_numero} d'une année antérieure"),
                    Some(span),
                )
                .note("les avenants sont numérotés dans l'ordre des années"),
            );
        }
        dernier_numero = dernier_numero.max(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::charger;
    use crate::validate::valider;

    const BASE: &str = include_str!("../../data/territoire-ouest/sodiac.yaml");

    fn avec(suite: &str) -> crate::diagnostic::Diagnostics {
        let src = format!("{BASE}{suite}");
        let n = charger(&src).unwrap();
        valider(&n).1
    }

    fn exercice_2026(bilan: &str) -> String {
        format!(
            "  - annee: 2026\n    {bilan}\n    annexes:\n      - reservataire: le-port\n        perimetre: \"la commune\"\n        patrimoine: {{ date: 2025-12-31, logements: 360 }}\n        rotation: 4.8\n        taux: 13.55\n"
        )
    }

    fn messages(d: &crate::diagnostic::Diagnostics) -> String {
        d.0.iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }

    // Rule: bilan after 28 February → warning (CCH art. R. 441-5-1).
    #[test]
    fn bilan_after_28_february_is_a_warning() {
        let d = avec(&exercice_2026(
            "bilan: { recu_le: 2026-03-02, reservataires: [ { reservataire: le-port, proposes: 3, attribues: 2 } ] }",
        ));
        let m = messages(&d);
        assert!(
            m.contains("reçu le 02/03/2026, après le 28 février 2026"),
            "{m}"
        );
        assert!(!d.a_des_erreurs(), "{m}");
        let d = avec(&exercice_2026(
            "bilan: { recu_le: 2026-02-28, reservataires: [ { reservataire: le-port, proposes: 3, attribues: 2 } ] }",
        ));
        assert!(!messages(&d).contains("après le 28 février"));
    }

    #[test]
    fn bilan_received_before_the_year_ends_is_an_error() {
        let d = avec(&exercice_2026(
            "bilan: { recu_le: 2025-11-30, reservataires: [ { reservataire: le-port, proposes: 3, attribues: 2 } ] }",
        ));
        assert!(messages(&d).contains("avant la fin de l'année qu'il dresse"));
        assert!(d.a_des_erreurs());
    }

    #[test]
    fn attributed_above_proposed_is_an_error() {
        let d = avec(&exercice_2026(
            "bilan: { recu_le: 2026-02-10, reservataires: [ { reservataire: le-port, proposes: 1, attribues: 2 } ] }",
        ));
        assert!(messages(&d).contains("2 logements attribués pour 1 proposés"));
    }

    #[test]
    fn breakdown_must_add_up_and_use_known_categories() {
        let d = avec(&exercice_2026(
            "bilan: { recu_le: 2026-02-10, reservataires: [ { reservataire: le-port, proposes: 3, attribues: 2, repartition: { typologie: { T2: { proposes: 1, attribues: 1 }, T3: { proposes: 1, attribues: 1 } }, financement: { PLIA: { proposes: 3, attribues: 2 } } } } ] }",
        ));
        let m = messages(&d);
        assert!(
            m.contains(
                "répartition par typologie des logements proposés totalise 2, le bilan en compte 3"
            ),
            "{m}"
        );
        assert!(m.contains("catégorie inconnue « PLIA »"), "{m}");
        assert!(
            d.0.iter()
                .any(|d| d.notes.iter().any(|n| n.contains("`PLAI`")))
        );
    }

    #[test]
    fn unknown_reservataire_in_bilan_is_an_error() {
        let d = avec(&exercice_2026(
            "bilan: { recu_le: 2026-02-10, reservataires: [ { reservataire: saint-denis, proposes: 3, attribues: 2 } ] }",
        ));
        assert!(messages(&d).contains("bilan d'un réservataire inconnu : `saint-denis`"));
    }

    #[test]
    fn exercise_after_the_first_without_bilan_is_a_warning() {
        let d = avec(&exercice_2026(""));
        let m = messages(&d);
        assert!(m.contains("exercice 2026 sans bilan de 2025"), "{m}");
    }

    #[test]
    fn schema_fragments_describe_the_keys_read_here() {
        let b = crate::validate::schema::schema_bilan();
        assert_eq!(
            b["properties"]["bilan"]["required"],
            serde_json::json!(["recu_le", "reservataires"])
        );
        assert!(b["properties"]["avenant"]["properties"]["numero"].is_object());
        let r = crate::validate::schema::schema_rapport();
        assert!(r["properties"]["rapport"]["properties"]["quota_precedent"].is_object());
    }

    #[test]
    fn avenant_numbers_are_counted_from_exercises() {
        let src = format!(
            "{BASE}{}",
            exercice_2026(
                "avenant: { numero: 3 }\n    bilan: { recu_le: 2026-02-10, reservataires: [ { reservataire: le-port, proposes: 3, attribues: 2 } ] }"
            )
        );
        let (c, d) = valider(&charger(&src).unwrap());
        let c = c.unwrap_or_else(|| panic!("{}", messages(&d)));
        assert_eq!(numero(&c, 2024), None);
        assert_eq!(numero(&c, 2026), Some(3));
        let (c, _) = valider(&charger(BASE).unwrap());
        assert_eq!(numero(&c.unwrap(), 2024), None);
    }
}
