//! Helpers shared by the integration tests: the real binary, its output,
//! one typesetter per test process, text of laid-out pages.
//!
//! Each test file uses a part of them only.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use convflux::typeset::Typesetter;

/// Runs the real `convflux` binary from the project's root.
pub fn convflux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convflux"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("lancement de convflux")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// One typesetter for the whole test process (fonts and templates loaded once).
pub fn ts() -> &'static Typesetter {
    static TS: OnceLock<Typesetter> = OnceLock::new();
    TS.get_or_init(|| Typesetter::new().expect("typesetter"))
}

/// Spaces of any kind (U+202F in figures, line breaks) folded to one space;
/// a word hyphenated at a line end (soft hyphen) joined back.
pub fn plat(s: &str) -> String {
    s.replace("\u{ad}\n", "")
        .replace('\u{ad}', "")
        .split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A seed of `data/` with `clauses` added before its `bailleur:` key,
/// written as `nom` under `dir` (the seeds themselves have no clauses).
pub fn avec_clauses(seed: &str, clauses: &str, dir: &Path, nom: &str) -> std::path::PathBuf {
    let base =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(seed)).expect("seed");
    assert!(base.contains("\nbailleur:"), "{seed}");
    let yaml = base.replacen("\nbailleur:", &format!("\n{clauses}bailleur:"), 1);
    let chemin = dir.join(nom);
    std::fs::write(&chemin, yaml).expect("écriture");
    chemin
}

/// Clauses for tests: one disposition particulière and one replaced article
/// (`article`), every text hostile Typst markup that must print literally.
pub fn clauses_essai(article: u32) -> String {
    format!(
        r#"clauses:
  dispositions_particulieres:
    - titre: "Relogement des ménages sinistrés"
      texte:
        - 'Après un cyclone, #read("/etc/passwd") et *gras* et $x$ restent du texte.'
        - liste: ["Premier engagement [a]", "Second engagement _b_"]
  remplacer:
    - article: {article}
      texte:
        - "Nouveau texte de l'article remplacé, propre à cette convention."
"#
    )
}
