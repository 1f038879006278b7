//! Field paths as a jurist reads them. The readers name a field by its path
//! in the file (`exercices[0].annexes[1].perimetre`), which is exact but a
//! programmer's notation; before the diagnostics leave `validate`, every
//! path quoted in a message, label or note is said in words, each list item
//! by what identifies it in the file: « exercice 2024 › annexe le-port ›
//! perimetre ».

use crate::diagnostic::Diagnostics;
use crate::load::{Node, Value};

/// The separator between the steps of a path in words.
pub const SEPARATEUR: &str = " › ";

/// Rewrites every path between backquotes of `diags` in words (paths are
/// recognised by their first key, one of the file's top-level keys).
pub fn en_mots(diags: &mut Diagnostics, racine: &Node, premieres: &[&str]) {
    let dire = |t: &str| remplacer(t, racine, premieres);
    for d in &mut diags.0 {
        d.message = dire(&d.message);
        d.label = dire(&d.label);
        for n in &mut d.notes {
            *n = dire(n);
        }
    }
}

/// `texte` with each `` `chemin` `` that is a path of the file said in words.
fn remplacer(texte: &str, racine: &Node, premieres: &[&str]) -> String {
    let mut out = String::with_capacity(texte.len());
    let mut reste = texte;
    while let Some(debut) = reste.find('`') {
        let Some(fin) = reste[debut + 1..].find('`') else {
            break;
        };
        let cite = &reste[debut + 1..debut + 1 + fin];
        out.push_str(&reste[..debut]);
        match dire(cite, racine, premieres) {
            Some(mots) => out.push_str(&mots),
            None => {
                out.push('`');
                out.push_str(cite);
                out.push('`');
            }
        }
        reste = &reste[debut + fin + 2..];
    }
    out.push_str(reste);
    out
}

/// One step of a path: a key, or an item of a list.
#[derive(Debug, PartialEq)]
enum Pas<'a> {
    Cle(&'a str),
    Element(usize),
}

/// `exercices[0].annexes` → [Cle(exercices), Element(0), Cle(annexes)];
/// `None` unless the text is a path (plain keys, dots, indices).
fn pas(chemin: &str) -> Option<Vec<Pas<'_>>> {
    let mut v = Vec::new();
    for morceau in chemin.split('.') {
        let (cle, indices) = match morceau.find('[') {
            Some(i) => (&morceau[..i], &morceau[i..]),
            None => (morceau, ""),
        };
        if cle.is_empty()
            || !cle
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return None;
        }
        v.push(Pas::Cle(cle));
        let mut r = indices;
        while let Some(x) = r.strip_prefix('[') {
            let f = x.find(']')?;
            v.push(Pas::Element(x[..f].parse().ok()?));
            r = &x[f + 1..];
        }
        if !r.is_empty() {
            return None;
        }
    }
    Some(v)
}

/// A path in words, or `None` if `cite` is not a path of the file (a key
/// alone, a value, a command).
fn dire(cite: &str, racine: &Node, premieres: &[&str]) -> Option<String> {
    let p = pas(cite)?;
    match p.first() {
        Some(Pas::Cle(c)) if premieres.contains(c) => {}
        _ => return None,
    }
    // A key alone (`convention`) stays as written: nothing to say in words.
    if p.len() < 2 {
        return None;
    }
    let mut mots: Vec<String> = Vec::new();
    let mut noeud = Some(racine);
    let mut derniere_cle = "";
    for s in &p {
        match s {
            Pas::Cle(c) => {
                mots.push((*c).to_string());
                derniere_cle = c;
                noeud = noeud.and_then(|n| valeur(n, c));
            }
            Pas::Element(i) => {
                let item = noeud.and_then(|n| match &n.value {
                    Value::Seq(v) => v.get(*i),
                    _ => None,
                });
                let nom = element(derniere_cle, *i, item);
                // « exercices › exercice 2024 »: the item replaces its list.
                mots.pop();
                mots.push(nom);
                noeud = item;
            }
        }
    }
    Some(mots.join(SEPARATEUR))
}

/// The value of `cle` in a mapping node.
fn valeur<'n>(n: &'n Node, cle: &str) -> Option<&'n Node> {
    match &n.value {
        Value::Map(e) => e.iter().find(|e| e.key == cle).map(|e| &e.value),
        _ => None,
    }
}

/// A scalar written in the file, as text (at most 40 characters).
fn scalaire(n: Option<&Node>) -> Option<String> {
    match &n?.value {
        Value::Nombre(t) | Value::Texte(t) if !t.is_empty() => {
            Some(t.chars().take(40).collect::<String>())
        }
        _ => None,
    }
}

/// An item of the list `liste`, named by what identifies it in the file:
/// an exercise by its year, an annex by its réservataire, a party by its id;
/// any other by its rank (« historique n° 2 »).
fn element(liste: &str, i: usize, item: Option<&Node>) -> String {
    let (nom, cle) = match liste {
        "exercices" => ("exercice", "annee"),
        "annexes" => ("annexe", "reservataire"),
        "reservataires" => ("réservataire", "id"),
        "historique" => ("année de rotation", "annee"),
        "dispositions_particulieres" => ("disposition particulière", ""),
        "remplacer" => ("article remplacé", "article"),
        _ => ("", ""),
    };
    let id = if cle.is_empty() {
        None
    } else {
        item.and_then(|n| scalaire(valeur(n, cle)))
    };
    match (nom, id) {
        ("", _) => format!("{liste} n° {}", i + 1),
        (nom, Some(v)) => format!("{nom} {v}"),
        (nom, None) => format!("{nom} n° {}", i + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;

    const SRC: &str = "exercices:\n  - annee: 2024\n    annexes:\n      - reservataire: le-port\n        perimetre: x\n      - perimetre: y\nconvention: { id: a }\n";

    fn mots(message: &str) -> String {
        let racine = crate::load::charger(SRC).unwrap();
        let mut d = Diagnostics(vec![Diagnostic::erreur(message, None).note(message)]);
        en_mots(&mut d, &racine, &["exercices", "convention"]);
        assert_eq!(d.0[0].message, d.0[0].notes[0]);
        d.0[0].message.clone()
    }

    #[test]
    fn items_are_named_by_what_identifies_them() {
        assert_eq!(
            mots("clé inconnue : `exercices[0].annexes[0].perimetre`"),
            "clé inconnue : exercice 2024 › annexe le-port › perimetre"
        );
        assert_eq!(
            mots("`exercices[0].annexes[1].perimetre` : vide"),
            "exercice 2024 › annexe n° 2 › perimetre : vide"
        );
        assert_eq!(mots("`convention.id` manque"), "convention › id manque");
        // An item the file does not have (a path built for a message).
        assert_eq!(mots("`exercices[3].annee`"), "exercice n° 4 › annee");
    }

    #[test]
    fn what_is_not_a_path_of_the_file_stays_quoted() {
        for m in [
            "ajoutez `nom:`",
            "vouliez-vous dire `annexes` ?",
            "`convflux verifier` détaille",
            "`autre.cle` inconnue",
            "un `",
        ] {
            assert_eq!(mots(m), m);
        }
    }
}
