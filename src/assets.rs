//! Files embedded in the binary at build time: the templates and the fonts.
//!
//! `build.rs` walks `templates/` and `fonts/` and generates a sorted `include_bytes!` table,
//! so a running `convflux` never reads templates or fonts from disk and every machine sees
//! the same set. This module only looks things up in that table; it knows nothing of Typst
//! or minijinja.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Prefix of template paths in the generated table.
const TEMPLATES: &str = "templates/";
/// Prefix of font paths in the generated table.
const FONTS: &str = "fonts/";
/// Extensions of the files under `fonts/` that are font files (the rest is licence text).
const FONT_EXTENSIONS: [&str; 4] = [".otf", ".ttf", ".otc", ".ttc"];

/// The bytes of the template at `path`, relative to `templates/` with forward slashes
/// (e.g. `"lib/convflux.typ"`, `"intercommunal/convention.typ.j2"`).
pub fn template(path: &str) -> Option<&'static [u8]> {
    let full = format!("{TEMPLATES}{path}");
    generated::FILES
        .binary_search_by(|(name, _)| (*name).cmp(full.as_str()))
        .ok()
        .map(|i| generated::FILES[i].1)
}

/// Every embedded template as `(path relative to templates/, bytes)`, sorted by path.
pub fn templates() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    generated::FILES
        .iter()
        .filter_map(|&(name, bytes)| Some((name.strip_prefix(TEMPLATES)?, bytes)))
}

/// `template` and every embedded template it names, transitively, sorted by
/// path (minijinja `include`/`import`/`extends`, Typst `#import "/lib/…"`);
/// empty for an unknown template. A template is found by its path written
/// literally between quotes, which is how every template refers to another:
/// this reads quotes, not minijinja or Typst.
pub fn gabarits_cites(template: &str) -> Vec<&'static str> {
    let Some(depart) = templates().find(|(t, _)| *t == template) else {
        return Vec::new();
    };
    let mut vues = std::collections::BTreeSet::from([depart.0]);
    let mut a_voir = vec![depart];
    while let Some((_, bytes)) = a_voir.pop() {
        let texte = String::from_utf8_lossy(bytes);
        for cite in entre_guillemets(&texte) {
            let cite = cite.trim_start_matches('/');
            if let Some(d) = templates().find(|(t, _)| *t == cite)
                && vues.insert(d.0)
            {
                a_voir.push(d);
            }
        }
    }
    vues.into_iter().collect()
}

/// Every text between a pair of `"` or `'` on one line.
pub fn entre_guillemets(texte: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for ligne in texte.lines() {
        for q in ['"', '\''] {
            let mut reste = ligne;
            while let Some(i) = reste.find(q) {
                let apres = &reste[i + 1..];
                let Some(j) = apres.find(q) else { break };
                out.push(&apres[..j]);
                reste = &apres[j + 1..];
            }
        }
    }
    out
}

/// Every embedded font file as `(path relative to fonts/, bytes)`, sorted by path.
pub fn fonts() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    generated::FILES.iter().filter_map(|&(name, bytes)| {
        let name = name.strip_prefix(FONTS)?;
        let lower = name.to_ascii_lowercase();
        FONT_EXTENSIONS
            .iter()
            .any(|ext| lower.ends_with(ext))
            .then_some((name, bytes))
    })
}

/// Every embedded file as `(path relative to the crate root, bytes)`, sorted by path:
/// templates, fonts, and the fonts' licence text.
pub fn files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    generated::FILES.iter().copied()
}

/// SHA-256 (lowercase hex) of every embedded file, names and bytes, in sorted order.
///
/// Changes whenever a template or a font is added, removed, renamed or edited; an
/// incremental build uses it to know that every document must be regenerated.
pub fn empreinte() -> String {
    static EMPREINTE: OnceLock<String> = OnceLock::new();
    EMPREINTE
        .get_or_init(|| empreinte_fichiers(files()))
        .clone()
}

/// Hashes `(name, bytes)` pairs unambiguously: each name and content is length-prefixed.
pub fn empreinte_fichiers<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut hasher = Sha256::new();
    for (name, bytes) in files {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// Whether the documents can print `c`: the embedded regular font has a glyph
/// for it (or it is a space or line break, which need none). User text with a
/// character outside the font would make a whole document fail at typesetting;
/// `validate` uses this to point at the offending value instead.
pub fn caractere_imprimable(c: char) -> bool {
    static COUVERTURE: OnceLock<Option<typst::text::Coverage>> = OnceLock::new();
    if c.is_whitespace() || c.is_ascii() {
        return true;
    }
    let couverture = COUVERTURE.get_or_init(|| {
        let (_, bytes) = fonts().find(|(name, _)| name.contains("Regular"))?;
        let font = typst::text::Font::iter(typst::foundations::Bytes::new(bytes)).next()?;
        Some(font.info().coverage.clone())
    });
    match couverture {
        Some(cov) => cov.contains(c as u32),
        // No font embedded (never in a real build): do not block the data.
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        let names: Vec<&str> = files().map(|(name, _)| name).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    }

    #[test]
    fn every_template_is_found_by_path() {
        for (path, bytes) in templates() {
            assert_eq!(template(path), Some(bytes), "{path}");
        }
        assert_eq!(template("absent.typ"), None);
        assert_eq!(template(""), None);
        assert_eq!(template("../fonts/OFL.txt"), None);
    }

    #[test]
    fn cited_templates_are_followed_transitively() {
        let d = gabarits_cites("intercommunal/convention.typ.j2");
        for attendu in [
            "commun/_entete.typ.j2",
            "commun/_blocs.typ.j2",
            "intercommunal/_corps.typ.j2",
            "intercommunal/convention.typ.j2",
            "lib/convflux.typ",
        ] {
            assert!(d.contains(&attendu), "{attendu} absent de {d:?}");
        }
        assert!(!d.iter().any(|t| t.starts_with("bilateral/")), "{d:?}");
        // Across folders: the avenant reuses both families' annexes.
        let d = gabarits_cites("avenant/avenant.typ.j2");
        assert!(d.contains(&"intercommunal/_annexe.typ.j2"), "{d:?}");
        assert!(d.contains(&"bilateral/_annexe2.typ.j2"), "{d:?}");
        assert!(gabarits_cites("absent.typ.j2").is_empty());
    }

    #[test]
    fn quoted_texts_are_found() {
        assert_eq!(
            entre_guillemets("{% include \"a/b.j2\" %} #import '/lib/x.typ': *\n\"c\""),
            ["a/b.j2", "/lib/x.typ", "c"]
        );
    }

    #[test]
    fn libertinus_is_embedded_with_its_licence() {
        let fonts: Vec<&str> = fonts().map(|(name, _)| name).collect();
        assert_eq!(
            fonts,
            [
                "LibertinusSerif-Bold.otf",
                "LibertinusSerif-BoldItalic.otf",
                "LibertinusSerif-Italic.otf",
                "LibertinusSerif-Regular.otf",
                "LibertinusSerif-Semibold.otf",
                "LibertinusSerif-SemiboldItalic.otf",
            ]
        );
        assert!(files().any(|(name, _)| name == "fonts/OFL.txt"));
    }

    #[test]
    fn empreinte_depends_on_names_and_bytes() {
        let a = empreinte_fichiers([("a", &b"xy"[..]), ("b", &b""[..])].into_iter());
        let b = empreinte_fichiers([("a", &b"x"[..]), ("b", &b"y"[..])].into_iter());
        let c = empreinte_fichiers([("ax", &b"y"[..]), ("b", &b""[..])].into_iter());
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(empreinte().len(), 64);
        assert_eq!(empreinte(), empreinte());
    }
}
