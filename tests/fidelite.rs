//! How faithfully the generated bodies follow the seed conventions, word for
//! word. The seed text (PDF extraction, kept in tests/fixtures/seeds) and the
//! text of the laid-out document are reduced to words; their longest common
//! subsequence gives a similarity ratio 2·LCS / (|seed| + |generated|). The
//! differences are the data-filled parts (names, blanks the seed leaves as
//! "…", figures) and are printed by `cargo test -- --nocapture`.

use std::path::Path;

use convflux::pipeline;
use convflux::render::Rendu;
use convflux::typeset::{self, Typesetter};

/// Words, lowercased, apostrophes unified, punctuation and extraction
/// artefacts (page counters "4/11", version stamps "V.211224") removed.
fn mots(s: &str) -> Vec<String> {
    s.replace(['’', '\''], "' ")
        .split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .filter(|w| {
            !(w.starts_with("v.")
                || w.contains('/') && w.chars().all(|c| c.is_ascii_digit() || c == '/'))
        })
        .collect()
}

fn lcs(a: &[String], b: &[String]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn seed(fichier: &str, debut: usize, fin: usize) -> String {
    let t = std::fs::read_to_string(Path::new("tests/fixtures/seeds").join(fichier)).unwrap();
    t.lines()
        .skip(debut - 1)
        .take(fin - debut + 1)
        .collect::<Vec<_>>()
        .join("\n")
}

fn corps_genere(yaml: &str, jusqua: &str) -> String {
    let an = pipeline::analyser(Path::new(yaml));
    assert!(an.valide(), "{}", an.diagnostics_rendus());
    let c = an.convention.as_ref().unwrap();
    let docs = Rendu::new().documents(c, &an.flux[0], &an.flux).unwrap();
    let compiled = Typesetter::new()
        .unwrap()
        .compile(&docs[0].source, &docs[0].ident)
        .unwrap();
    let t = typeset::texte(&compiled.document).join("\n");
    match t.find(jusqua) {
        Some(i) => t[..i].to_string(),
        None => t,
    }
}

fn ratio(a: &[String], b: &[String]) -> f64 {
    #[allow(clippy::float_arithmetic)]
    let r = 2.0 * lcs(a, b) as f64 / (a.len() + b.len()) as f64;
    r
}

/// Seed 000: the model convention, from its title to "Les Bailleurs".
#[test]
fn intercommunal_body_follows_seed_000_word_for_word() {
    let s = mots(&seed("le-port-territoire-ouest-2024.txt", 163, 858));
    let g = mots(&corps_genere(
        "data/territoire-ouest/sidr.yaml",
        "Annexe individuelle",
    ));
    let r = ratio(&s, &g);
    println!(
        "seed 000 : {} mots, généré : {} mots, LCS = {}, similarité = {r:.4}",
        s.len(),
        g.len(),
        lcs(&s, &g)
    );
    assert!(r >= 0.97, "similarité {r:.4} < 0.97");
}

/// Seed 004: the bilateral convention, from its title to its signatures.
#[test]
fn bilateral_body_follows_seed_004_word_for_word() {
    let s = mots(&seed("le-cendre-assemblia-2024.txt", 3, 308));
    let g = mots(&corps_genere(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "Etat des lieux avec le réservataire",
    ));
    let r = ratio(&s, &g);
    println!(
        "seed 004 : {} mots, généré : {} mots, LCS = {}, similarité = {r:.4}",
        s.len(),
        g.len(),
        lcs(&s, &g)
    );
    assert!(r >= 0.95, "similarité {r:.4} < 0.95");
}
