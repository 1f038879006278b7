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
    let monde = MondeDisque::new(racine, fichier);
    let Warned { output, warnings } = typst::compile::<PagedDocument>(&monde);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.message.contains("unknown font family"))
    {
        return Err(w.message.to_string());
    }
    output
        .map(|doc| doc.pages().len())
        .map_err(|e| format!("{:?}", e.iter().map(|d| &d.message).collect::<Vec<_>>()))
}

/// Every `.typ` document written under `racine` (not the library).
fn sources(racine: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(racine)
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "typ"))
        .filter(|p| !p.starts_with(racine.join("lib")))
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
