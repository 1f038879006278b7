//! The pipeline is the architecture: each top-level module of `src/` is a
//! floor, and a module may use only the floors below it. This test reads the
//! `crate::…` paths of every source file (outside its tests) and fails on any
//! edge that goes up or sideways, which also rules out cycles. It also reads
//! `src/render/` for arithmetic and comparisons on figures, which belong to
//! `compute`.
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
    // The built-in models: which templates, which documents (assets only).
    &["modeles"],
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

/// What `render` may not write outside its tests: arithmetic on figures and
/// comparisons (sums, differences, « engagement atteint ») belong to
/// `compute`, with a source in the trace.
const INTERDITS_RENDU: &[&str] = &[
    ".sum(",
    ".sum::<",
    ".product(",
    ".abs(",
    "checked_",
    "saturating_",
    "wrapping_",
    "overflowing_",
    "Ecart::de(",
    "EcartSigne::de(",
    "+=",
    "-=",
    "*=",
    "/=",
    " + ",
    " - ",
    " * ",
    " / ",
    " % ",
    " < ",
    " > ",
    " <= ",
    " >= ",
];

/// Lines of `render` allowed to compute, each with why: layout, calendar
/// years and number-to-words, never a figure of the flow. Each must still
/// match a line (the list does not rot).
const PERMIS_RENDU: &[(&str, &str, &str)] = &[
    // Calendar: the year of the first bilan and the years of the initial period.
    ("vue.rs", "premier_bilan: premiere + 1", "année civile"),
    (
        "vue.rs",
        "annees: (annee_debut..annee_debut + c.duree_ans as i32)",
        "années civiles",
    ),
    // Type bounds, not arithmetic.
    (
        "vue.rs",
        "fn lignes<T: Copy + PartialEq>(",
        "bornes de type",
    ),
    // Cutting a composition into pieces (memory, not figures).
    (
        "mod.rs",
        "pub(crate) fn morceaux<C: Clone + serde::Serialize>(",
        "bornes de type",
    ),
    (
        "mod.rs",
        "if annexes.len() <= ANNEXES_PAR_MORCEAU {",
        "taille des morceaux de mise en page",
    ),
    // Workbook layout: row numbers and column widths.
    ("tableur.rs", "u32::try_from(i + 1)", "numéro de ligne"),
    (
        "tableur.rs",
        "u32::try_from(lignes.len() + 1)",
        "numéro de ligne",
    ),
    (
        "tableur.rs",
        "if j < 5 { 22 } else { 12 }",
        "largeur de colonne",
    ),
    (
        "tableur.rs",
        "if j < 2 { 24 } else { 13 }",
        "largeur de colonne",
    ),
    // Formatting: buffer sizes and numbers written in words.
    (
        "filtres.rs",
        "String::with_capacity(s.len() + ",
        "taille de tampon",
    ),
    ("filtres.rs", "(n - 10)", "nombre en lettres"),
    ("filtres.rs", "(n / 10, n % 10)", "nombre en lettres"),
    ("filtres.rs", "en_lettres(n - 60)", "nombre en lettres"),
    ("filtres.rs", "en_lettres(n - 80)", "nombre en lettres"),
];

/// `code` with string and char literals emptied and `//` comments removed,
/// line by line (line numbers kept).
fn sans_litteraux(code: &str) -> String {
    let c: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '"' => {
                out.push('"');
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '\\' {
                        i += 1;
                    }
                    if c.get(i) == Some(&'\n') {
                        out.push('\n');
                    }
                    i += 1;
                }
                out.push('"');
                i += 1;
            }
            // A char literal ('x', '\n'), not a lifetime ('a).
            '\'' if c.get(i + 2) == Some(&'\'') => {
                out.push_str("' '");
                i += 3;
            }
            '\'' if c.get(i + 1) == Some(&'\\') => {
                let fin = c[i + 2..].iter().position(|&x| x == '\'').unwrap_or(0);
                out.push_str("' '");
                i += fin + 3;
            }
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            x => {
                out.push(x);
                i += 1;
            }
        }
    }
    out
}

/// Every `(file, line number, line)` of `src/render/` (outside tests) that
/// computes, allowed lines excepted.
fn calculs_dans_render() -> (Vec<String>, BTreeSet<usize>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/render");
    let mut fichiers = Vec::new();
    sources(&dir, &mut fichiers);
    fichiers.sort();
    let mut fautes = Vec::new();
    let mut permis_vus = BTreeSet::new();
    for f in fichiers {
        let nom = f.file_name().unwrap().to_string_lossy().to_string();
        let texte = fs::read_to_string(&f).unwrap();
        let code = texte.split("#[cfg(test)]").next().unwrap();
        for (n, (ligne, brute)) in sans_litteraux(code).lines().zip(code.lines()).enumerate() {
            let Some(motif) = INTERDITS_RENDU.iter().find(|m| ligne.contains(**m)) else {
                continue;
            };
            match PERMIS_RENDU
                .iter()
                .position(|(fichier, extrait, _)| *fichier == nom && brute.contains(extrait))
            {
                Some(p) => {
                    permis_vus.insert(p);
                }
                None => fautes.push(format!(
                    "src/render/{nom}:{} : « {motif} » dans `{}`",
                    n + 1,
                    brute.trim()
                )),
            }
        }
    }
    (fautes, permis_vus)
}

#[test]
fn render_copies_figures_and_computes_none() {
    let (fautes, permis_vus) = calculs_dans_render();
    assert!(
        fautes.is_empty(),
        "calcul dans render (à faire dans compute, avec sa source) :\n{}",
        fautes.join("\n")
    );
    let inutiles: Vec<_> = PERMIS_RENDU
        .iter()
        .enumerate()
        .filter(|(i, _)| !permis_vus.contains(i))
        .map(|(_, p)| p)
        .collect();
    assert!(
        inutiles.is_empty(),
        "lignes permises qui n'existent plus : {inutiles:?}"
    );
}

#[test]
fn the_render_scanner_sees_sums_and_differences_not_strings() {
    let code = sans_litteraux(
        "let t = a.iter().sum();\nlet s = format!(\"{} - {}\", a, b); // a - b\nlet c = '-';\nlet d = apres - avant;\n",
    );
    let touches: Vec<usize> = code
        .lines()
        .enumerate()
        .filter(|(_, l)| INTERDITS_RENDU.iter().any(|m| l.contains(m)))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(touches, [0, 3]);
}
