//! The pipeline is the architecture: each top-level module of `src/` is a
//! floor, and a module may use only the floors below it. This test reads the
//! `crate::…` paths of every source file (outside its tests) and fails on any
//! edge that goes up or sideways, which also rules out cycles.
//!
//! Rerun alone: `cargo test --test architecture`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The floors, bottom first. Modules on one line share a floor and may not
/// use each other.
const ETAGES: &[&[&str]] = &[
    // Infrastructure that knows nothing of the stages.
    &["diagnostic", "assets", "francais"],
    // The domain types: the ground floor of the pipeline.
    &["model"],
    // The stages, in pipeline order.
    &["input"],
    &["load"],
    &["validate"],
    &["compute"],
    &["controle"],
    &["render"],
    &["typeset"],
    &["output"],
    // Wiring.
    &["pipeline"],
    &["cli"],
    &["commands"],
];

fn etage(module: &str) -> Option<usize> {
    ETAGES.iter().position(|e| e.contains(&module))
}

/// The top-level module a source file belongs to.
fn module_de(rel: &Path) -> String {
    let premier = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    premier.trim_end_matches(".rs").to_string()
}

/// The top-level modules named by `crate::…` paths in `code`.
fn utilises(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for ligne in code.lines() {
        let l = ligne.trim_start();
        if l.starts_with("//") {
            continue;
        }
        let mut reste = l;
        while let Some(i) = reste.find("crate::") {
            reste = &reste[i + "crate::".len()..];
            if let Some(groupe) = reste.strip_prefix('{') {
                // `use crate::{a, b::c}`: every first name of the group.
                let fin = groupe.find('}').unwrap_or(groupe.len());
                for membre in groupe[..fin].split(',') {
                    let nom: String = membre
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !nom.is_empty() {
                        out.insert(nom);
                    }
                }
            } else {
                let nom: String = reste
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !nom.is_empty() {
                    out.insert(nom);
                }
            }
        }
    }
    out
}

fn sources(d: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in fs::read_dir(d).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every edge module → module used, with the files that make it.
fn graphe() -> BTreeMap<(String, String), Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut fichiers = Vec::new();
    sources(&src, &mut fichiers);
    let mut aretes: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for f in fichiers {
        let rel = f.strip_prefix(&src).unwrap();
        let a = module_de(rel);
        if a == "lib" || a == "main" {
            continue;
        }
        let texte = fs::read_to_string(&f).unwrap();
        // Tests may reach anywhere; the code may not.
        let code = texte.split("#[cfg(test)]").next().unwrap();
        for b in utilises(code) {
            if b != a {
                aretes
                    .entry((a.clone(), b))
                    .or_default()
                    .push(rel.display().to_string());
            }
        }
    }
    aretes
}

#[test]
fn every_module_has_a_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for e in fs::read_dir(&src).unwrap().flatten() {
        let m = module_de(Path::new(&e.file_name()));
        if m != "lib" && m != "main" {
            assert!(etage(&m).is_some(), "module `{m}` sans étage dans ETAGES");
        }
    }
}

#[test]
fn no_module_uses_a_floor_above_or_beside_it() {
    let mut fautes = Vec::new();
    for ((a, b), ou) in graphe() {
        let (Some(ea), Some(eb)) = (etage(&a), etage(&b)) else {
            fautes.push(format!("{a} → {b} : module inconnu ({ou:?})"));
            continue;
        };
        if eb >= ea {
            fautes.push(format!("{a} → {b} ({ou:?})"));
        }
    }
    assert!(
        fautes.is_empty(),
        "dépendances vers le haut ou de côté :\n{}",
        fautes.join("\n")
    );
}

#[test]
fn the_model_uses_nothing_of_the_stages() {
    let g = graphe();
    let du_modele: Vec<_> = g.keys().filter(|(a, _)| a == "model").collect();
    for (_, b) in &du_modele {
        assert_eq!(b, "diagnostic", "model utilise {b}");
    }
}

#[test]
fn the_scanner_sees_grouped_and_plain_paths() {
    let u = utilises(
        "use crate::{compute::Flux, model};\nlet x = crate::render::f();\n// crate::output\n",
    );
    assert_eq!(
        u.into_iter().collect::<Vec<_>>(),
        ["compute", "model", "render"]
    );
}
