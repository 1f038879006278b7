//! Helpers shared by the integration tests: the real binary, its output,
//! one typesetter per test process, text of laid-out pages.
//!
//! Each test file uses a part of them only.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use convflux::typeset::Typesetter;

/// Runs the real `convflux` binary from the project's root. Fails the test
/// if what it printed has English words of clap, the YAML parser or Typst
/// ([`sans_anglais`]): every test that runs the binary checks it.
pub fn convflux(args: &[&str]) -> Output {
    convflux_depuis(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// [`convflux`] run from the folder `dossier`.
pub fn convflux_depuis(dossier: &Path, args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_convflux"))
        .args(args)
        .current_dir(dossier)
        .output()
        .expect("lancement de convflux");
    sans_anglais(args, &o);
    o
}

/// Words the user must never read: clap's, the YAML parser's and Typst's
/// English. Matched as whole words, case-insensitively, in stderr and in
/// stdout (the man page, JSON and CSV included) unless stdout is a
/// completion script.
pub const ANGLAIS: [&str; 5] = ["invalid", "expected", "found", "cannot", "error:"];

pub fn sans_anglais(args: &[&str], o: &Output) {
    let mut textes = vec![("stderr", String::from_utf8_lossy(&o.stderr).into_owned())];
    // A completion script is shell code for the shell, not text for the user.
    let donnees = args.first() == Some(&"completions");
    if !donnees {
        textes.push(("stdout", String::from_utf8_lossy(&o.stdout).into_owned()));
    }
    for (flux, texte) in textes {
        if let Some(mot) = anglais(&texte) {
            panic!("convflux {args:?} : « {mot} » (anglais) sur {flux} :\n{texte}");
        }
    }
}

/// The first English word of [`ANGLAIS`] in `texte`, if any.
pub fn anglais(texte: &str) -> Option<&'static str> {
    let bas = texte.to_lowercase();
    ANGLAIS.into_iter().find(|mot| {
        bas.match_indices(mot).any(|(i, _)| {
            let avant = bas[..i].chars().next_back();
            let apres = bas[i + mot.len()..].chars().next();
            !avant.is_some_and(char::is_alphanumeric)
                && (mot.ends_with(':') || !apres.is_some_and(char::is_alphanumeric))
        })
    })
}

#[test]
fn english_words_are_caught_and_french_ones_are_not() {
    assert_eq!(anglais("error: invalid value"), Some("invalid"));
    assert_eq!(anglais("Expected a map"), Some("expected"));
    assert_eq!(anglais("erreur : valeur refusée"), None);
    // « foundation » or « invalide » are not the English words.
    assert_eq!(anglais("Foundation, date invalide"), None);
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

/// The text of every page of a PDF file, spaces folded ([`plat`]).
pub fn texte_pdf(pdf: &Path) -> String {
    let doc = lopdf::Document::load(pdf).expect("PDF lisible");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    plat(&doc.extract_text(&pages).expect("texte du PDF"))
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

/// A 1×1 red PNG (69 bytes, made with zlib; CRCs checked by Typst's decoder).
pub const PNG_ROUGE: [u8; 69] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x38, 0x21, 0x27, 0x07,
    0x00, 0x02, 0xb6, 0x01, 0x05, 0x0a, 0x5b, 0xa6, 0x06, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The same, blue.
pub const PNG_BLEU: [u8; 69] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x90, 0x93, 0x3b, 0x01,
    0x00, 0x01, 0x62, 0x01, 0x05, 0x2f, 0xe6, 0x70, 0x8d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The family of [`police_essai`].
pub const FAMILLE_ESSAI: &str = "Libertinus Essai";

/// Replaces every occurrence of `avant` by `apres` (same length), in ASCII
/// and in UTF-16BE (the name table's Windows strings); how many.
pub fn renommer(octets: &mut [u8], avant: &str, apres: &str) -> usize {
    assert_eq!(avant.len(), apres.len());
    let mut n = 0;
    let formes = [
        (avant.as_bytes().to_vec(), apres.as_bytes().to_vec()),
        (
            avant.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            apres.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        ),
    ];
    for (a, b) in formes {
        let mut i = 0;
        while i + a.len() <= octets.len() {
            if octets[i..i + a.len()] == a[..] {
                octets[i..i + a.len()].copy_from_slice(&b);
                n += 1;
                i += a.len();
            } else {
                i += 1;
            }
        }
    }
    n
}

/// Libertinus Serif Regular renamed « Libertinus Essai ».
pub fn police_essai() -> Vec<u8> {
    let mut b = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts/LibertinusSerif-Regular.otf"),
    )
    .unwrap();
    assert!(renommer(&mut b, "Libertinus Serif", FAMILLE_ESSAI) >= 2);
    assert!(renommer(&mut b, "LibertinusSerif", "LibertinusEssai") >= 1);
    b
}
