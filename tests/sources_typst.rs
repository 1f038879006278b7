//! The Typst sources `--typst` writes compile by themselves, the way
//! `typst compile --root <sortie> --ignore-system-fonts <fichier>.typ` reads
//! them: through a World that reads every file from disk under the output
//! folder (no embedded template), with the fonts the Typst CLI embeds
//! (Libertinus Serif, the same bytes as `fonts/`). A source whose
//! `#import "/lib/convflux.typ"` cannot be resolved from the written files
//! fails here.
//!
//! Rerun alone: `cargo test --test sources_typst`.

mod commun;

use std::fs;
use std::path::{Path, PathBuf};

use commun::{convflux, s, stderr};
use typst::diag::{FileError, FileResult, Warned};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// A World like the Typst CLI's with `--root`: files read from disk under
/// `racine`, no package, no clock (the documents carry their date).
struct MondeDisque {
    racine: PathBuf,
    principal: FileId,
    bibliotheque: LazyHash<Library>,
    livre: LazyHash<FontBook>,
    polices: Vec<Font>,
}

impl MondeDisque {
    fn new(racine: &Path, principal: &Path) -> Self {
        let polices: Vec<Font> = convflux::assets::fonts()
            .flat_map(|(_, b)| Font::iter(Bytes::new(b)))
            .collect();
        let vpath = VirtualPath::virtualize(racine, principal).expect("source sous la racine");
        MondeDisque {
            racine: racine.to_path_buf(),
            principal: RootedPath::new(VirtualRoot::Project, vpath).intern(),
            bibliotheque: LazyHash::new(Library::default()),
            livre: LazyHash::new(FontBook::from_fonts(&polices)),
            polices,
        }
    }

    /// The same, with the fonts of `dossier` too (`.ttf`, `.otf`), as
    /// `typst compile --font-path <dossier>` adds them.
    fn avec_polices(racine: &Path, principal: &Path, dossier: &Path) -> Self {
        let mut monde = Self::new(racine, principal);
        for e in fs::read_dir(dossier).expect("dossier de polices") {
            let p = e.unwrap().path();
            let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase());
            if matches!(ext.as_deref(), Some("ttf" | "otf")) {
                monde
                    .polices
                    .extend(Font::iter(Bytes::new(fs::read(&p).unwrap())));
            }
        }
        monde.livre = LazyHash::new(FontBook::from_fonts(&monde.polices));
        monde
    }

    fn lire(&self, id: FileId) -> FileResult<Vec<u8>> {
        let chemin = id.get();
        if *chemin.root() != VirtualRoot::Project {
            return Err(FileError::AccessDenied);
        }
        let p = chemin
            .vpath()
            .realize(&self.racine)
            .map_err(|_| FileError::AccessDenied)?;
        fs::read(&p).map_err(|e| FileError::from_io(e, &p))
    }
}

impl World for MondeDisque {
    fn library(&self) -> &LazyHash<Library> {
        &self.bibliotheque
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.livre
    }
    fn main(&self) -> FileId {
        self.principal
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        let texte = String::from_utf8(self.lire(id)?).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, texte))
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        Ok(Bytes::new(self.lire(id)?))
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.polices.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// Compiles `fichier` read from disk under `racine`; the error as text.
fn compiler(racine: &Path, fichier: &Path) -> Result<usize, String> {
    compiler_texte(racine, fichier).map(|pages| pages.len())
}

/// [`compiler`], giving the text of each page.
fn compiler_texte(racine: &Path, fichier: &Path) -> Result<Vec<String>, String> {
    compiler_monde(&MondeDisque::new(racine, fichier))
}

/// Compiles the main file of `monde`: the text of each page.
fn compiler_monde(monde: &MondeDisque) -> Result<Vec<String>, String> {
    let Warned { output, warnings } = typst::compile::<PagedDocument>(monde);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.message.contains("unknown font family"))
    {
        return Err(w.message.to_string());
    }
    output
        .map(|doc| convflux::typeset::texte(&doc))
        .map_err(|e| format!("{:?}", e.iter().map(|d| &d.message).collect::<Vec<_>>()))
}

/// Every `.typ` document written under `racine` (not the libraries: the
/// built-in one under `<racine>/lib/`, a model's under `<convention>/lib/`).
fn sources(racine: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(racine)
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "typ"))
        .filter(|p| {
            !p.strip_prefix(racine)
                .unwrap()
                .components()
                .any(|c| c.as_os_str() == "lib")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn generer_typst_sources_compile_from_the_written_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("sortie");
    let o = convflux(&["generer", "data", "--sortie", s(&sortie), "--typst", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The library the sources import, written once at the root.
    let lib = fs::read(sortie.join("lib/convflux.typ")).expect("lib/convflux.typ écrit");
    assert_eq!(lib, convflux::assets::template("lib/convflux.typ").unwrap());
    let manifeste = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    assert!(manifeste.contains("\"lib/convflux.typ\""), "{manifeste}");

    let typ = sources(&sortie);
    // Both families and both kinds of year (convention, avenant).
    assert!(typ.len() >= 20, "{typ:?}");
    assert!(typ.iter().any(|p| s(p).contains("avenant-")), "{typ:?}");
    for f in &typ {
        assert!(
            fs::read_to_string(f)
                .unwrap()
                .contains("#import \"/lib/convflux.typ\""),
            "{}",
            f.display()
        );
        let pages = compiler(&sortie, f).unwrap_or_else(|e| panic!("{} : {e}", f.display()));
        assert!(pages > 0, "{}", f.display());
    }
}

/// Regression: the sources used to import a library that was not written, so
/// they compiled only inside convflux.
#[test]
fn a_source_without_its_library_does_not_compile() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("sortie");
    let o = convflux(&[
        "generer",
        "data/clermont-auvergne-metropole",
        "--sortie",
        s(&sortie),
        "--typst",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let f = sources(&sortie).into_iter().next().expect("une source");
    assert!(compiler(&sortie, &f).is_ok());
    fs::remove_file(sortie.join("lib/convflux.typ")).unwrap();
    let e = compiler(&sortie, &f).unwrap_err();
    assert!(
        e.contains("not found") || e.contains("lib/convflux.typ"),
        "{e}"
    );
}

#[test]
fn avenant_and_rapport_typst_write_the_library_too() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("rapport");
    let o = convflux(&[
        "rapport",
        "--reservataire",
        "le-port",
        "data/territoire-ouest",
        "--annee",
        "2024",
        "--sortie",
        s(&sortie),
        "--typst",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let typ = sources(&sortie);
    assert_eq!(typ.len(), 1, "{typ:?}");
    compiler(&sortie, &typ[0]).unwrap();

    let sortie = dir.path().join("avenant");
    let o = convflux(&[
        "avenant",
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "--sortie",
        s(&sortie),
        "--typst",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let typ = sources(&sortie);
    assert!(!typ.is_empty());
    for f in &typ {
        compiler(&sortie, f).unwrap_or_else(|e| panic!("{} : {e}", f.display()));
    }
}

/// `modele copier intercommunal <dossier>`, then: its library imports
/// `lib/marque.typ` (a relative import) for `marque-modele`, which the
/// convention's body prints: compiled against any other library, the source
/// fails (unknown variable), and the text tells which library served.
fn modele_marque(dossier: &Path, marque: &str) {
    modele_marque_de(
        "intercommunal",
        "intercommunal/_corps.typ.j2",
        dossier,
        marque,
    );
}

/// [`modele_marque`] for the built-in model `modele`, whose template
/// `gabarit` prints the mark.
fn modele_marque_de(modele: &str, gabarit: &str, dossier: &Path, marque: &str) {
    let o = convflux(&["modele", "copier", modele, s(dossier), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lib = dossier.join("lib/convflux.typ");
    let texte = fs::read_to_string(&lib).unwrap();
    fs::write(
        &lib,
        format!("{texte}\n#import \"marque.typ\": marque\n#let marque-modele = marque\n"),
    )
    .unwrap();
    fs::write(
        dossier.join("lib/marque.typ"),
        format!("#let marque = [{marque}]\n"),
    )
    .unwrap();
    let corps = dossier.join(gabarit);
    let texte = fs::read_to_string(&corps).unwrap();
    fs::write(&corps, format!("{texte}\n#marque-modele\n")).unwrap();
}

/// `seed` from data/ written under `dir` as `nom`, with `gabarits: <gabarits>`.
fn avec_gabarits(dir: &Path, seed: &str, nom: &str, gabarits: Option<&str>) -> PathBuf {
    let base = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(seed)).unwrap();
    let cle = "\n  modele: intercommunal\n";
    assert!(base.contains(cle), "{seed}");
    let texte = match gabarits {
        Some(g) => base.replacen(cle, &format!("{cle}  gabarits: \"{g}\"\n"), 1),
        None => base,
    };
    let yaml = dir.join(nom);
    fs::write(&yaml, texte).unwrap();
    yaml
}

/// The text of every page, spaces folded.
fn plat_pages(pages: &[String]) -> String {
    commun::plat(&pages.join("\n"))
}

/// Two conventions made from two copied models whose libraries differ, and a
/// third from the built-in model, in one output folder: each source written
/// by `--typst` compiles from the written files alone against its own
/// model's library (the convention's folder is its root), and the built-in
/// one against `<sortie>/lib/`.
#[test]
fn sources_of_copied_models_compile_against_their_own_library() {
    let dir = tempfile::tempdir().unwrap();
    modele_marque(
        &dir.path().join("modeles/ouest"),
        "Bibliothèque du modèle Ouest",
    );
    modele_marque(
        &dir.path().join("modeles/est"),
        "Bibliothèque du modèle Est",
    );
    let sedre = avec_gabarits(
        dir.path(),
        "data/territoire-ouest/sedre.yaml",
        "sedre.yaml",
        Some("modeles/ouest"),
    );
    let semader = avec_gabarits(
        dir.path(),
        "data/territoire-ouest/semader.yaml",
        "semader.yaml",
        Some("modeles/est"),
    );
    let shlmr = avec_gabarits(
        dir.path(),
        "data/territoire-ouest/shlmr.yaml",
        "shlmr.yaml",
        None,
    );
    let sortie = dir.path().join("sortie");
    let generer = || generer_typst(&[&sedre, &semader, &shlmr], &sortie);
    let o = generer();
    assert!(o.status.success(), "{}", stderr(&o));

    // The built-in library stays at the root, for the built-in documents.
    let integree = convflux::assets::template("lib/convflux.typ").unwrap();
    assert_eq!(fs::read(sortie.join("lib/convflux.typ")).unwrap(), integree);
    for (convention, marque, autre) in [
        (
            "territoire-ouest-sedre",
            "Bibliothèque du modèle Ouest",
            "Est",
        ),
        (
            "territoire-ouest-semader",
            "Bibliothèque du modèle Est",
            "Ouest",
        ),
    ] {
        let racine = sortie.join("2024").join(convention);
        // The model's library and the file it imports, as the model has them.
        let modele = if autre == "Est" { "ouest" } else { "est" };
        for f in ["lib/convflux.typ", "lib/marque.typ"] {
            assert_eq!(
                fs::read(racine.join(f)).unwrap(),
                fs::read(dir.path().join("modeles").join(modele).join(f)).unwrap(),
                "{convention}/{f}"
            );
        }
        let typ = sources(&racine);
        assert!(typ.len() >= 2, "{typ:?}");
        for f in &typ {
            let pages =
                compiler_texte(&racine, f).unwrap_or_else(|e| panic!("{} : {e}", f.display()));
            assert!(!pages.is_empty());
        }
        let convention_typ = racine.join("convention.typ");
        let texte = plat_pages(&compiler_texte(&racine, &convention_typ).unwrap());
        assert!(texte.contains(marque), "{convention} : {texte}");
        assert!(!texte.contains(&format!("modèle {autre}")), "{convention}");
        // Against the built-in library of `<sortie>/lib/` (what `--root
        // <sortie>` would read), the source does not compile.
        let e = compiler(&sortie, &convention_typ).unwrap_err();
        assert!(e.contains("marque-modele"), "{e}");
    }
    // The built-in convention: no library in its folder, `--root <sortie>`.
    let racine = sortie.join("2024/territoire-ouest-shlmr");
    assert!(!racine.join("lib").exists());
    for f in sources(&racine) {
        compiler(&sortie, &f).unwrap_or_else(|e| panic!("{} : {e}", f.display()));
    }
    // The manifest records the model's files as outputs of their convention.
    let manifeste = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    assert!(
        manifeste.contains("\"2024/territoire-ouest-sedre/lib/marque.typ\""),
        "{manifeste}"
    );

    // Up to date: nothing is produced again.
    let o = generer();
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(
        e.lines().any(|l| l.starts_with("0 document produit")),
        "{e}"
    );

    // Editing the file the library imports regenerates that model's
    // documents, and rewrites the copy beside them.
    let marque = dir.path().join("modeles/ouest/lib/marque.typ");
    fs::write(&marque, "#let marque = [Bibliothèque révisée]\n").unwrap();
    let o = generer();
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(
        !e.lines().any(|l| l.starts_with("0 document produit")),
        "{e}"
    );
    let racine = sortie.join("2024/territoire-ouest-sedre");
    assert_eq!(
        fs::read(racine.join("lib/marque.typ")).unwrap(),
        fs::read(&marque).unwrap()
    );
    let texte = plat_pages(&compiler_texte(&racine, &racine.join("convention.typ")).unwrap());
    assert!(texte.contains("Bibliothèque révisée"), "{texte}");

    // Back to the built-in model: the model's files convflux wrote are gone.
    avec_gabarits(
        dir.path(),
        "data/territoire-ouest/sedre.yaml",
        "sedre.yaml",
        None,
    );
    let o = generer();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!racine.join("lib/convflux.typ").exists());
    assert!(!racine.join("lib/marque.typ").exists());
    compiler(&sortie, &racine.join("convention.typ")).unwrap();
}

/// A file in the place of a model's library that convflux did not write is
/// never replaced: the convention fails with a French message, nothing of it
/// is written, the other file of the batch is produced.
#[test]
fn a_library_convflux_did_not_write_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    modele_marque(
        &dir.path().join("modeles/ouest"),
        "Bibliothèque du modèle Ouest",
    );
    let sedre = avec_gabarits(
        dir.path(),
        "data/territoire-ouest/sedre.yaml",
        "sedre.yaml",
        Some("modeles/ouest"),
    );
    let shlmr = avec_gabarits(
        dir.path(),
        "data/territoire-ouest/shlmr.yaml",
        "shlmr.yaml",
        None,
    );
    let sortie = dir.path().join("sortie");
    let racine = sortie.join("2024/territoire-ouest-sedre");
    refuse_le_fichier_d_autrui(
        &[&sedre, &shlmr],
        &sortie,
        "2024/territoire-ouest-sedre/lib/convflux.typ",
        "// à moi\n".as_bytes(),
    );
    assert!(!racine.join("convention.pdf").exists());
    assert!(!racine.join("lib/marque.typ").exists());
    assert!(
        sortie
            .join("2024/territoire-ouest-shlmr/convention.pdf")
            .is_file()
    );
}

/// `seed` from data/ written under `dir` as `nom`, its bailleur (`nom:
/// <bailleur>`) with `logo: <logo>`.
fn avec_logo(dir: &Path, seed: &str, nom: &str, bailleur: &str, logo: &str) -> PathBuf {
    let base = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(seed)).unwrap();
    let avant = format!("\nbailleur:\n  nom: {bailleur}\n");
    assert!(base.contains(&avant), "{seed}");
    let yaml = dir.join(nom);
    fs::write(
        &yaml,
        base.replacen(&avant, &format!("{avant}  logo: \"{logo}\"\n"), 1),
    )
    .unwrap();
    yaml
}

/// The pages of the PDF at `pdf`.
fn pages_pdf(pdf: &Path) -> usize {
    lopdf::Document::load(pdf).unwrap().get_pages().len()
}

/// Identity and modification time of a file: the same after a run that
/// rewrote nothing.
fn etat(p: &Path) -> (u64, std::time::SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(p).unwrap();
    (m.ino(), m.modified().unwrap())
}

/// Two conventions whose bailleurs have two different logos, both written
/// `logos/bailleur.png` by the sources: each logo is written in its own
/// convention's folder with the library, so that folder is the sources'
/// root and the two never meet; each source compiles from the written files
/// alone into the pages convflux composed (same text as the embedded
/// compiler gives from the same source and logo, as many pages as the
/// PDF), and not from `<sortie>` (no logo there). A second run rewrites
/// nothing; a convention that drops its logo gets its files removed.
#[test]
fn logos_are_written_in_each_conventions_folder_and_its_sources_compile_there() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("rouge.png"), commun::PNG_ROUGE).unwrap();
    fs::write(dir.path().join("bleu.png"), commun::PNG_BLEU).unwrap();
    let sedre = avec_logo(
        dir.path(),
        "data/territoire-ouest/sedre.yaml",
        "sedre.yaml",
        "SEDRE",
        "rouge.png",
    );
    let semader = avec_logo(
        dir.path(),
        "data/territoire-ouest/semader.yaml",
        "semader.yaml",
        "SEMADER",
        "bleu.png",
    );
    let sortie = dir.path().join("sortie");
    let generer = || generer_typst(&[&sedre, &semader], &sortie);
    let o = generer();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!sortie.join("logos").exists());
    let manifeste = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    let integree = convflux::assets::template("lib/convflux.typ").unwrap();
    for (convention, png) in [
        ("territoire-ouest-sedre", &commun::PNG_ROUGE),
        ("territoire-ouest-semader", &commun::PNG_BLEU),
    ] {
        for annee in ["2024", "2025"] {
            let racine = sortie.join(annee).join(convention);
            assert_eq!(fs::read(racine.join("logos/bailleur.png")).unwrap(), png);
            assert_eq!(fs::read(racine.join("lib/convflux.typ")).unwrap(), integree);
            for cle in ["logos/bailleur.png", "lib/convflux.typ"] {
                let cle = format!("\"{annee}/{convention}/{cle}\"");
                assert!(manifeste.contains(&cle), "{cle} : {manifeste}");
            }
            for f in sources(&racine) {
                compiler(&racine, &f).unwrap_or_else(|e| panic!("{} : {e}", f.display()));
            }
        }
        let racine = sortie.join("2024").join(convention);
        let typ = racine.join("convention.typ");
        let source = fs::read_to_string(&typ).unwrap();
        assert!(source.contains("/logos/bailleur.png"), "{convention}");
        let pages = compiler_texte(&racine, &typ).unwrap();
        let logo: std::sync::Arc<[u8]> = std::sync::Arc::from(&png[..]);
        let embarque = commun::ts()
            .disposer_images(&source, None, &[("/logos/bailleur.png".to_owned(), logo)])
            .unwrap();
        assert_eq!(pages, convflux::typeset::texte(&embarque.document));
        assert_eq!(pages.len(), pages_pdf(&racine.join("convention.pdf")));
        // From `<sortie>` (`--root <sortie>`), no logo is found.
        let e = compiler(&sortie, &typ).unwrap_err();
        assert!(e.contains("not found"), "{e}");
        // The logo written is the one read: without it, no compilation.
        let ecrit = racine.join("logos/bailleur.png");
        fs::rename(&ecrit, racine.join("ailleurs.png")).unwrap();
        assert!(compiler(&racine, &typ).is_err());
        fs::rename(racine.join("ailleurs.png"), &ecrit).unwrap();
    }

    // Up to date: nothing produced, the logo not even rewritten.
    let logo = sortie.join("2024/territoire-ouest-sedre/logos/bailleur.png");
    let avant = etat(&logo);
    let o = generer();
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(
        e.lines().any(|l| l.starts_with("0 document produit")),
        "{e}"
    );
    assert_eq!(etat(&logo), avant);

    // Without its logo, the convention's files for it are removed; its
    // sources compile from `<sortie>` again.
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/territoire-ouest/sedre.yaml"),
        &sedre,
    )
    .unwrap();
    let o = generer();
    assert!(o.status.success(), "{}", stderr(&o));
    let racine = sortie.join("2024/territoire-ouest-sedre");
    assert!(!logo.exists());
    assert!(!racine.join("lib/convflux.typ").exists());
    compiler(&sortie, &racine.join("convention.typ")).unwrap();
    let semader_logo = sortie.join("2024/territoire-ouest-semader/logos/bailleur.png");
    assert!(semader_logo.is_file());

    // Produced again without `--typst`: the files joined to the sources go
    // with them.
    let o = convflux(&[
        "generer",
        s(&sedre),
        s(&semader),
        "--sortie",
        s(&sortie),
        "--force",
        "-j",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!semader_logo.exists());
    assert!(
        !sortie
            .join("2024/territoire-ouest-semader/lib/convflux.typ")
            .exists()
    );
    assert!(
        sortie
            .join("2024/territoire-ouest-semader/convention.pdf")
            .is_file()
    );
}

/// A file at a logo's place that convflux did not write is never replaced:
/// the convention fails with a French message and nothing of it is written.
#[test]
fn a_logo_convflux_did_not_write_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("rouge.png"), commun::PNG_ROUGE).unwrap();
    let sedre = avec_logo(
        dir.path(),
        "data/territoire-ouest/sedre.yaml",
        "sedre.yaml",
        "SEDRE",
        "rouge.png",
    );
    let sortie = dir.path().join("sortie");
    let racine = sortie.join("2024/territoire-ouest-sedre");
    refuse_le_fichier_d_autrui(
        &[&sedre],
        &sortie,
        "2024/territoire-ouest-sedre/logos/bailleur.png",
        &commun::PNG_BLEU,
    );
    assert!(!racine.join("convention.pdf").exists());
    assert!(!racine.join("lib/convflux.typ").exists());
}

/// `modele copier intercommunal <dossier>`, its library asking for
/// [`commun::FAMILLE_ESSAI`], the font in `polices/` with its licence.
fn modele_avec_police(dossier: &Path) {
    let o = convflux(&["modele", "copier", "intercommunal", s(dossier), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lib = dossier.join("lib/convflux.typ");
    let texte = fs::read_to_string(&lib).unwrap();
    let avant = "#let police = \"Libertinus Serif\"";
    assert!(texte.contains(avant));
    let apres = format!("#let police = \"{}\"", commun::FAMILLE_ESSAI);
    fs::write(&lib, texte.replace(avant, &apres)).unwrap();
    fs::create_dir(dossier.join("polices")).unwrap();
    fs::write(
        dossier.join("polices/LibertinusEssai-Regular.otf"),
        commun::police_essai(),
    )
    .unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts/OFL.txt"),
        dossier.join("polices/OFL.txt"),
    )
    .unwrap();
}

/// A copied model's fonts and their licence are written in the
/// convention's `polices/`: with them (`typst compile --font-path
/// <convention>/polices`) the sources compile into the pages convflux
/// composed; without them, the family is unknown. Recorded in the
/// manifest, not rewritten by a second run, and a licence file convflux
/// did not write is never replaced.
#[test]
fn a_models_fonts_are_written_beside_the_sources_with_their_licence() {
    let dir = tempfile::tempdir().unwrap();
    let modele = dir.path().join("modeles/ouest");
    modele_avec_police(&modele);
    let sedre = avec_gabarits(
        dir.path(),
        "data/territoire-ouest/sedre.yaml",
        "sedre.yaml",
        Some("modeles/ouest"),
    );
    let sortie = dir.path().join("sortie");
    let generer = || generer_typst(&[&sedre], &sortie);
    let o = generer();
    assert!(o.status.success(), "{}", stderr(&o));
    let racine = sortie.join("2024/territoire-ouest-sedre");
    let polices = racine.join("polices");
    for f in ["LibertinusEssai-Regular.otf", "OFL.txt"] {
        assert_eq!(
            fs::read(polices.join(f)).unwrap(),
            fs::read(modele.join("polices").join(f)).unwrap(),
            "{f}"
        );
    }
    let manifeste = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    for cle in ["polices/LibertinusEssai-Regular.otf", "polices/OFL.txt"] {
        let cle = format!("\"2024/territoire-ouest-sedre/{cle}\"");
        assert!(manifeste.contains(&cle), "{cle}");
    }
    let typ = racine.join("convention.typ");
    let e = compiler(&racine, &typ).unwrap_err();
    assert!(e.contains("unknown font family"), "{e}");
    let pages = compiler_monde(&MondeDisque::avec_polices(&racine, &typ, &polices)).unwrap();
    let m = convflux::modeles::dossier::ouvrir(&modele).unwrap();
    let embarque = commun::ts()
        .disposer_images(&fs::read_to_string(&typ).unwrap(), Some(&m), &[])
        .unwrap();
    assert_eq!(pages, convflux::typeset::texte(&embarque.document));
    assert_eq!(pages.len(), pages_pdf(&racine.join("convention.pdf")));
    for f in sources(&racine) {
        compiler_monde(&MondeDisque::avec_polices(&racine, &f, &polices))
            .unwrap_or_else(|e| panic!("{} : {e}", f.display()));
    }

    let avant = etat(&polices.join("OFL.txt"));
    let o = generer();
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(
        e.lines().any(|l| l.starts_with("0 document produit")),
        "{e}"
    );
    assert_eq!(etat(&polices.join("OFL.txt")), avant);

    // A licence of someone else's in the place of the one convflux would
    // write (for another run's output folder): refused, kept.
    let autre = dir.path().join("autre");
    let place = autre.join("2024/territoire-ouest-sedre/polices");
    refuse_le_fichier_d_autrui(
        &[&sedre],
        &autre,
        "2024/territoire-ouest-sedre/polices/OFL.txt",
        "à moi\n".as_bytes(),
    );
    assert!(!place.join("LibertinusEssai-Regular.otf").exists());
}

/// A file of someone else's at `cle` under `sortie`, where `generer
/// --typst` on `entrees` would write one of its own: the run is refused
/// (exit 1) naming the file, which keeps its bytes.
fn refuse_le_fichier_d_autrui(entrees: &[&Path], sortie: &Path, cle: &str, octets: &[u8]) {
    let chemin = sortie.join(cle);
    fs::create_dir_all(chemin.parent().unwrap()).unwrap();
    fs::write(&chemin, octets).unwrap();
    let o = generer_typst(entrees, sortie);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    // The message names the file by its folder and name (`lib/convflux.typ`).
    let mut fin: Vec<&str> = cle.rsplit('/').take(2).collect();
    fin.reverse();
    let attendu = format!(
        "{} : ce fichier n'est pas celui que convflux a écrit",
        fin.join("/")
    );
    assert!(e.contains(&attendu), "{e}");
    assert_eq!(fs::read(&chemin).unwrap(), octets);
}

/// `generer --typst -j 1` on `entrees` into `sortie`.
fn generer_typst(entrees: &[&Path], sortie: &Path) -> std::process::Output {
    let mut args = vec!["generer"];
    args.extend(entrees.iter().map(|e| s(e)));
    args.extend(["--sortie", s(sortie), "--typst", "-j", "1"]);
    convflux(&args)
}

/// The conventions of data/territoire-ouest copied under `dir/<nom>`, with a
/// project file giving them the model `gabarits` (relative to that folder).
fn donnees_ouest(dir: &Path, nom: &str, gabarits: &str) -> PathBuf {
    let data = dir.join(nom);
    fs::create_dir(&data).unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/territoire-ouest");
    for f in ["sedre", "semader", "shlmr", "sidr", "sodiac"] {
        fs::copy(
            seed.join(f).with_extension("yaml"),
            data.join(f).with_extension("yaml"),
        )
        .unwrap();
    }
    fs::write(
        data.join("convflux.yaml"),
        format!("gabarits: {gabarits}\n"),
    )
    .unwrap();
    data
}

/// `rapport --typst` for conventions of a copied model: the model's Typst
/// files are written under `<sortie>/<annee>/`, the root the report's source
/// then compiles from (against `<sortie>/lib/`, the built-in library, it
/// does not). A report of the same year made with another model does not
/// write over them.
#[test]
fn rapport_typst_of_a_copied_model_compiles_against_its_library() {
    let dir = tempfile::tempdir().unwrap();
    let ouest = dir.path().join("modeles/ouest");
    modele_marque_de(
        "rapport",
        "rapport/rapport.typ.j2",
        &ouest,
        "Bibliothèque du modèle Ouest",
    );
    let data = donnees_ouest(dir.path(), "data", "../modeles/ouest");
    let sortie = dir.path().join("sortie");
    let rapport = |data: &Path| {
        convflux(&[
            "rapport",
            "--reservataire",
            "le-port",
            s(data),
            "--annee",
            "2024",
            "--sortie",
            s(&sortie),
            "--typst",
            "-q",
        ])
    };
    let o = rapport(&data);
    assert!(o.status.success(), "{}", stderr(&o));
    let annee = sortie.join("2024");
    for f in ["lib/convflux.typ", "lib/marque.typ"] {
        assert_eq!(
            fs::read(annee.join(f)).unwrap(),
            fs::read(ouest.join(f)).unwrap(),
            "{f}"
        );
    }
    let typ = annee.join("rapport-le-port.typ");
    let texte = plat_pages(&compiler_texte(&annee, &typ).unwrap());
    assert!(texte.contains("Bibliothèque du modèle Ouest"), "{texte}");
    assert!(texte.contains("Rapport au conseil municipal"), "{texte}");
    let e = compiler(&sortie, &typ).unwrap_err();
    assert!(e.contains("marque-modele"), "{e}");
    let manifeste = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    assert!(manifeste.contains("\"2024/lib/marque.typ\""), "{manifeste}");

    // Again with the same model: its files are rewritten, no refusal.
    let o = rapport(&data);
    assert!(o.status.success(), "{}", stderr(&o));

    // Another model for the same year and output folder: refused, in
    // French, the first report's library left as it was.
    let est = dir.path().join("modeles/est");
    modele_marque_de(
        "rapport",
        "rapport/rapport.typ.j2",
        &est,
        "Bibliothèque du modèle Est",
    );
    let autres = donnees_ouest(dir.path(), "autres", "../modeles/est");
    let o = rapport(&autres);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("un rapport de 2024 l'a écrit avec le modèle"),
        "{e}"
    );
    assert!(e.contains("--sortie"), "{e}");
    assert_eq!(
        fs::read(annee.join("lib/marque.typ")).unwrap(),
        fs::read(ouest.join("lib/marque.typ")).unwrap()
    );
    let texte = plat_pages(&compiler_texte(&annee, &typ).unwrap());
    assert!(texte.contains("Bibliothèque du modèle Ouest"), "{texte}");
}

/// The library `--typst` wrote at the root goes with the last source that
/// imports it (a run with `--force` and without `--typst` replaces them by
/// PDFs alone), its folder too; never while a source is left, never when
/// someone changed it (it is no longer convflux's file).
#[test]
fn the_root_library_goes_with_the_last_source_importing_it() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("sortie");
    let sidr = Path::new("data/territoire-ouest/sidr.yaml");
    let sedre = Path::new("data/territoire-ouest/sedre.yaml");
    let o = generer_typst(&[sidr, sedre], &sortie);
    assert!(o.status.success(), "{}", stderr(&o));
    let lib = sortie.join("lib/convflux.typ");
    assert!(lib.exists());
    let sans_typst = |f: &Path| {
        let o = convflux(&["generer", s(f), "--sortie", s(&sortie), "--force", "-q"]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    // SEDRE's sources are left: the library stays.
    sans_typst(sidr);
    assert!(
        !sortie
            .join("2024/territoire-ouest-sidr/convention.typ")
            .exists()
    );
    assert!(
        sortie
            .join("2024/territoire-ouest-sedre/convention.typ")
            .exists()
    );
    assert!(lib.exists());
    sans_typst(sedre);
    assert!(
        !sortie
            .join("2024/territoire-ouest-sedre/convention.typ")
            .exists()
    );
    assert!(!lib.exists());
    assert!(!sortie.join("lib").exists());
    let manifeste = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    assert!(!manifeste.contains("\"lib/convflux.typ\""), "{manifeste}");

    // Changed by someone: kept, and no longer recorded as convflux's.
    let o = generer_typst(&[sidr], &sortie);
    assert!(o.status.success(), "{}", stderr(&o));
    fs::write(&lib, "// à moi\n").unwrap();
    sans_typst(sidr);
    assert_eq!(fs::read_to_string(&lib).unwrap(), "// à moi\n");
    let manifeste = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    assert!(!manifeste.contains("\"lib/convflux.typ\""), "{manifeste}");
}
