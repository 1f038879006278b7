//! docs/modeles.md lists every variable and filter offered to the templates
//! of a convention and its annexes, and this test keeps the list exact: it
//! builds the view (`render::vue::construire`, as `Rendu::documents` does) of
//! every sample convention of data/, serialises it to JSON, collects every
//! key path with the JSON types seen, and compares them with the table
//! between `<!-- variables -->` and `<!-- fin variables -->`; the filters
//! registered in src/render/mod.rs (`add_filter`) with the table between
//! `<!-- filtres -->` and `<!-- fin filtres -->`. The meanings are written by
//! hand in the tables; each path must have one.
//!
//! `CONVFLUX_METTRE_A_JOUR=1 cargo test --test variables` rewrites both
//! tables, keeping the meanings already written (a new path gets « à décrire »,
//! which a plain run refuses).

use std::collections::{BTreeMap, BTreeSet};

use convflux::render::vue;
use serde_json::Value;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/modeles.md");
const A_DECRIRE: &str = "à décrire";

/// Maps whose keys are data, not names: their entries are listed once as `<clé>`.
const CLES_LIBRES: &[&str] = &[
    "textes",
    "clauses.remplacements",
    "document.parties",
    "etat_des_lieux.taux",
    "etat_des_lieux.programmes[].financements",
    "etat_des_lieux.programmes[].parts",
    "etat_des_lieux.programmes[].reserves",
    "etat_des_lieux.totaux.financements",
    "etat_des_lieux.totaux.reserves",
];

fn nature(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "booléen",
        Value::Number(_) => "entier",
        Value::String(_) => "texte",
        Value::Array(_) => "liste",
        Value::Object(_) => "table",
    }
}

fn collecter(chemin: &str, v: &Value, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    if !chemin.is_empty() {
        out.entry(chemin.to_owned()).or_default().insert(nature(v));
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let cle = if CLES_LIBRES.contains(&chemin) {
                    "<clé>"
                } else {
                    k.as_str()
                };
                let p = if chemin.is_empty() {
                    cle.to_owned()
                } else {
                    format!("{chemin}.{cle}")
                };
                collecter(&p, x, out);
            }
        }
        Value::Array(l) => {
            for x in l {
                collecter(&format!("{chemin}[]"), x, out);
            }
        }
        _ => {}
    }
}

/// Every key path of the views of data/'s conventions (the convention and
/// each annex alone, every exercise), with the JSON types seen.
fn chemins() -> BTreeMap<String, BTreeSet<&'static str>> {
    let mut out = BTreeMap::new();
    let liste = convflux::input::lister(&["data".into()]).unwrap();
    for f in &liste.fichiers {
        let an = convflux::pipeline::analyser(f);
        let c = an.convention.as_ref().expect("données valides");
        for flux in &an.flux {
            let mut vues = vec![vue::construire(c, flux, None, "")];
            for a in &flux.annexes {
                vues.push(vue::construire(c, flux, Some(&a.reservataire), "Annexe"));
            }
            for v in vues {
                collecter("", &serde_json::to_value(&v).unwrap(), &mut out);
            }
        }
    }
    out
}

fn filtres() -> Vec<String> {
    let src = include_str!("../src/render/mod.rs");
    src.split("add_filter(\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The meanings written in the table between `debut` and `fin`: first
/// column (without backquotes) → last column.
fn sens(table: &str) -> BTreeMap<String, String> {
    table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cols: Vec<&str> = l.trim_matches('|').split(" | ").collect();
            Some((
                cols.first()?.trim().trim_matches('`').to_owned(),
                cols.last()?.trim().to_owned(),
            ))
        })
        .collect()
}

fn entre(doc: &str, nom: &str) -> (usize, usize) {
    let debut = format!("<!-- {nom} -->\n");
    let i = doc
        .find(&debut)
        .unwrap_or_else(|| panic!("marqueur {debut} absent de docs/modeles.md"))
        + debut.len();
    let j = i + doc[i..]
        .find(&format!("<!-- fin {nom} -->"))
        .expect("marqueur de fin absent");
    (i, j)
}

#[test]
fn docs_modeles_lists_every_variable_and_filter_of_the_templates() {
    let mut doc = std::fs::read_to_string(DOC).unwrap();
    let ecrire = std::env::var_os("CONVFLUX_METTRE_A_JOUR").is_some();

    let (i, j) = entre(&doc, "variables");
    let connus = sens(&doc[i..j]);
    let mut variables =
        String::from("| chemin | valeurs vues dans data/ | sens |\n|---|---|---|\n");
    for (p, types) in chemins() {
        let t: Vec<&str> = types.into_iter().collect();
        let s = connus.get(&p).map_or(A_DECRIRE, String::as_str);
        variables.push_str(&format!("| `{p}` | {} | {s} |\n", t.join(" ou ")));
    }
    let (k, l) = entre(&doc, "filtres");
    let connus = sens(&doc[k..l]);
    let mut filtres_md = String::from("| filtre | effet |\n|---|---|\n");
    for f in filtres() {
        let s = connus.get(&f).map_or(A_DECRIRE, String::as_str);
        filtres_md.push_str(&format!("| `{f}` | {s} |\n"));
    }

    if ecrire {
        doc.replace_range(k..l, &filtres_md);
        let (i, j) = entre(&doc, "variables");
        doc.replace_range(i..j, &variables);
        std::fs::write(DOC, doc).unwrap();
        return;
    }
    let regenerer = "CONVFLUX_METTRE_A_JOUR=1 cargo test --test variables la régénère";
    assert_eq!(
        &doc[i..j],
        variables,
        "docs/modeles.md, variables : {regenerer}"
    );
    assert_eq!(
        &doc[k..l],
        filtres_md,
        "docs/modeles.md, filtres : {regenerer}"
    );
    assert!(
        !doc.contains(&format!("| {A_DECRIRE} |")),
        "docs/modeles.md : un chemin ou un filtre n'a pas de sens écrit"
    );
}
