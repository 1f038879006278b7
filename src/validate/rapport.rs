//! Reads the `rapport` section of a réservataire entry (part of stage 2,
//! `validate`).

use crate::load::Value;
use crate::model::rapport::{FicheRapport, QuotaPrecedent};
use crate::validate::lecteur::{Lecteur, Table, joindre};

/// Reads `rapport` in a réservataire table: `Some(None)` when absent, `None`
/// on error.
pub fn lire_fiche(
    l: &mut Lecteur,
    t: &mut Table<'_>,
    chemin: &str,
) -> Option<Option<FicheRapport>> {
    let n = match l.champ(t, "rapport") {
        Some(n) if n.value != Value::Null => n,
        _ => return Some(None),
    };
    let c = joindre(chemin, "rapport");
    let mut r = l.table(n, &c)?;
    let quota = match l.champ(&mut r, "quota_precedent") {
        Some(q) if q.value != Value::Null => {
            let cq = joindre(&c, "quota_precedent");
            l.table(q, &cq).and_then(|mut q| {
                let annee = l
                    .requis(&mut q, "annee", "l'année du quota")
                    .and_then(|n| l.annee(n, &joindre(&cq, "annee")));
                let logements = l.req_logements(&mut q, "logements");
                l.fin(q, &["annee", "logements"]);
                Some(Some(QuotaPrecedent {
                    annee: annee?,
                    logements: logements?,
                }))
            })
        }
        _ => Some(None),
    };
    let cil = l.opt_date(&mut r, "cil").map(|d| d.v);
    let ordre = match l.champ(&mut r, "ordre") {
        Some(n) if n.value != Value::Null => {
            let co = joindre(&c, "ordre");
            l.liste(n, &co).and_then(|items| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| l.texte(x, &format!("{co}[{i}]")))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
            })
        }
        _ => Some(Vec::new()),
    };
    l.fin(r, &["quota_precedent", "cil", "ordre"]);
    Some(Some(FicheRapport {
        quota_precedent: quota?,
        cil,
        ordre: ordre?,
    }))
}
