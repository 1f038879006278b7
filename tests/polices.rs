//! A model's fonts (`polices/`): a freely licensed font carried by a copied
//! model, with its licence, serves that model's documents only (the built-in
//! documents keep the embedded fonts), gives the same bytes twice, and
//! editing it regenerates exactly that model's documents. Hostile font
//! folders are refused with a French error and nothing written.
//!
//! The font is Libertinus Serif Regular from `fonts/` (SIL OFL 1.1, its
//! `OFL.txt` beside it) with its family renamed « Libertinus Essai » (same
//! length, so every table offset stays valid): a family the embedded fonts
//! lack, so a document asking for it compiles only with the model's font.
//!
//! Rerun alone: `cargo test --test polices`.

mod commun;

use std::fs;
use std::path::{Path, PathBuf};

use commun::{convflux, police_essai, s, stderr};
use lopdf::{Document, Object};

const FAMILLE: &str = commun::FAMILLE_ESSAI;
const SEDRE: &str = "2024/territoire-ouest-sedre";
const SHLMR: &str = "2024/territoire-ouest-shlmr";

fn depot(chemin: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(chemin)
}

/// A folder with `modeles/ouest` (the intercommunal model copied, its
/// library asking for « Libertinus Essai », the font in `polices/` with its
/// licence), `sedre.yaml` using it and `shlmr.yaml` with the built-in model.
fn projet() -> (tempfile::TempDir, PathBuf, [PathBuf; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let modele = dir.path().join("modeles/ouest");
    let o = convflux(&["modele", "copier", "intercommunal", s(&modele), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lib = modele.join("lib/convflux.typ");
    let texte = fs::read_to_string(&lib).unwrap();
    let avant = "#let police = \"Libertinus Serif\"";
    assert!(texte.contains(avant));
    fs::write(
        &lib,
        texte.replace(avant, &format!("#let police = \"{FAMILLE}\"")),
    )
    .unwrap();
    fs::create_dir(modele.join("polices")).unwrap();
    fs::write(
        modele.join("polices/LibertinusEssai-Regular.otf"),
        police_essai(),
    )
    .unwrap();
    fs::copy(depot("fonts/OFL.txt"), modele.join("polices/OFL.txt")).unwrap();

    let cle = "\n  modele: intercommunal\n";
    let sedre = fs::read_to_string(depot("data/territoire-ouest/sedre.yaml")).unwrap();
    assert!(sedre.contains(cle));
    let yaml = dir.path().join("sedre.yaml");
    fs::write(
        &yaml,
        sedre.replacen(cle, &format!("{cle}  gabarits: modeles/ouest\n"), 1),
    )
    .unwrap();
    let shlmr = dir.path().join("shlmr.yaml");
    fs::copy(depot("data/territoire-ouest/shlmr.yaml"), &shlmr).unwrap();
    (dir, modele, [yaml, shlmr])
}

fn generer(entrees: &[PathBuf], sortie: &Path, force: bool) -> std::process::Output {
    let mut args = vec!["generer"];
    args.extend(entrees.iter().map(|p| s(p)));
    args.extend(["--sortie", s(sortie), "-j", "1"]);
    if force {
        args.push("--force");
    }
    convflux(&args)
}

/// The `BaseFont` of every font dictionary of a PDF.
fn polices_pdf(pdf: &Path) -> Vec<String> {
    let doc = Document::load(pdf).expect("PDF lisible");
    let mut out: Vec<String> = doc
        .objects
        .values()
        .filter_map(|o| match o {
            Object::Dictionary(d) => d
                .get(b"BaseFont")
                .ok()?
                .as_name()
                .ok()
                .map(|n| String::from_utf8_lossy(n).into_owned()),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The summary line of `generer`.
fn resume(o: &std::process::Output) -> String {
    // The summary line (the output folder is named after it).
    stderr(o)
        .lines()
        .rev()
        .find(|l| l.contains(" produit"))
        .unwrap_or("")
        .to_owned()
}

/// Every PDF under `dir`, sorted.
fn pdfs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    out.sort();
    out
}

#[test]
fn a_models_fonts_serve_its_documents_only_deterministically() {
    let (dir, modele, entrees) = projet();
    let out = dir.path().join("out");
    let o = generer(&entrees, &out, false);
    assert!(o.status.success(), "{}", stderr(&o));

    let sedre = polices_pdf(&out.join(SEDRE).join("convention.pdf"));
    assert!(
        sedre.iter().any(|f| f.contains("LibertinusEssai")),
        "{sedre:?}"
    );
    let shlmr = polices_pdf(&out.join(SHLMR).join("convention.pdf"));
    assert!(
        shlmr.iter().any(|f| f.contains("LibertinusSerif")),
        "{shlmr:?}"
    );
    assert!(
        !shlmr.iter().any(|f| f.contains("LibertinusEssai")),
        "{shlmr:?}"
    );
    let manifeste = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifeste.contains("modeles/ouest"), "{manifeste}");

    // Same bytes twice, from another process and another output folder.
    let autre = dir.path().join("autre");
    let o = generer(&entrees, &autre, true);
    assert!(o.status.success(), "{}", stderr(&o));
    for p in pdfs(&out) {
        let rel = p.strip_prefix(&out).unwrap();
        assert_eq!(
            fs::read(&p).unwrap(),
            fs::read(autre.join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }

    // Up to date: nothing produced; the font edited: exactly the model's
    // documents again (every year of sedre), none of shlmr.
    let o = generer(&entrees, &out, false);
    assert!(
        resume(&o).starts_with("0 document produit"),
        "{}",
        stderr(&o)
    );
    let police = modele.join("polices/LibertinusEssai-Regular.otf");
    let mut b = fs::read(&police).unwrap();
    // Bytes after the last table: the font reads the same, its hash differs.
    b.extend_from_slice(&[0; 4]);
    fs::write(&police, b).unwrap();
    let o = generer(&entrees, &out, false);
    assert!(o.status.success(), "{}", stderr(&o));
    let n = pdfs(&out)
        .iter()
        .filter(|p| s(p).contains("territoire-ouest-sedre"))
        .count();
    assert!(n >= 2);
    assert!(
        resume(&o).starts_with(&format!("{n} documents produits")),
        "{}",
        stderr(&o)
    );

    // Without the model's font, the family is unknown: an error, as Typst's
    // silent fallback would otherwise hide it.
    fs::remove_file(&police).unwrap();
    let o = generer(&entrees[..1], &dir.path().join("sans"), false);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("police de caractères inconnue"),
        "{}",
        stderr(&o)
    );
}

/// A refused font folder: exit code 1, the French reason, nothing written
/// for that convention, the built-in one of the batch still produced.
fn refuse(dir: &Path, entrees: &[PathBuf], raison: &str) {
    let out = dir.join("refus");
    let _ = fs::remove_dir_all(&out);
    let o = generer(entrees, &out, false);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("modèle inutilisable"), "{e}");
    assert!(e.contains(raison), "{raison} : {e}");
    assert!(pdfs(&out.join(SEDRE)).is_empty(), "{e}");
    assert!(!pdfs(&out.join(SHLMR)).is_empty(), "{e}");
}

#[test]
fn hostile_font_folders_are_refused_with_nothing_written() {
    let (dir, modele, entrees) = projet();
    let polices = modele.join("polices");
    let police = polices.join("LibertinusEssai-Regular.otf");
    let bonne = fs::read(&police).unwrap();

    // No licence beside the fonts.
    fs::rename(polices.join("OFL.txt"), dir.path().join("OFL.txt")).unwrap();
    refuse(
        dir.path(),
        &entrees,
        "polices/ n'a pas de fichier de licence",
    );
    fs::rename(dir.path().join("OFL.txt"), polices.join("LICENSE.txt")).unwrap();

    // A `.ttf` that is text.
    fs::write(polices.join("fausse.ttf"), "ceci n'est pas une police\n").unwrap();
    refuse(
        dir.path(),
        &entrees,
        "« polices/fausse.ttf » refusé : ce n'est pas une police TrueType ou OpenType",
    );
    // Right first bytes, nothing after: Typst cannot read it.
    fs::write(polices.join("fausse.ttf"), b"OTTO\0\0\0\0").unwrap();
    refuse(
        dir.path(),
        &entrees,
        "« polices/fausse.ttf » refusé : police illisible",
    );
    fs::remove_file(polices.join("fausse.ttf")).unwrap();

    // An oversized font.
    let mut grosse = bonne.clone();
    grosse.resize(4 * 1024 * 1024 + 1, 0);
    fs::write(&police, &grosse).unwrap();
    refuse(dir.path(), &entrees, "trop volumineux");
    fs::write(&police, &bonne).unwrap();

    #[cfg(unix)]
    {
        // A link leading out of the model, for a font and for the folder.
        let dehors = dir.path().join("dehors.otf");
        fs::write(&dehors, &bonne).unwrap();
        std::os::unix::fs::symlink(&dehors, polices.join("lien.otf")).unwrap();
        refuse(dir.path(), &entrees, "hors du dossier du modèle");
        fs::remove_file(polices.join("lien.otf")).unwrap();

        let ailleurs = dir.path().join("ailleurs");
        fs::rename(&polices, &ailleurs).unwrap();
        std::os::unix::fs::symlink(&ailleurs, &polices).unwrap();
        refuse(dir.path(), &entrees, "polices/ refusé : c'est un lien");
        fs::remove_file(&polices).unwrap();
        fs::rename(&ailleurs, &polices).unwrap();
    }

    // Too many fonts.
    for i in 0..17 {
        fs::write(polices.join(format!("p{i:02}.otf")), &bonne).unwrap();
    }
    refuse(dir.path(), &entrees, "attendu : 16 au plus");
    for i in 0..17 {
        fs::remove_file(polices.join(format!("p{i:02}.otf"))).unwrap();
    }

    // Back to a sound folder (licence renamed LICENSE.txt): produced.
    let o = generer(&entrees, &dir.path().join("bon"), false);
    assert!(o.status.success(), "{}", stderr(&o));
}
