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

/// Spaces of any kind (U+202F in figures, line breaks) folded to one space.
pub fn plat(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
