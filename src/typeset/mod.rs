//! Typeset stage: Typst source text in, PDF/A-2b bytes out.
//!
//! Takes the Typst source built by `render` and the embedded assets (templates and fonts from
//! [`crate::assets`]); gives a [`Compiled`] document: the PDF bytes, the laid-out pages and
//! Typst's warnings. It knows nothing of the domain and must never read the disk, the clock,
//! the network or the system fonts: the same source and `ident` always give the same bytes.
//!
//! A [`Typesetter`] is built once and shared by worker threads; each [`Typesetter::compile`]
//! call makes a short-lived [`World`] that serves the main source at one fixed file id
//! (`/main.typ`) and the embedded `.typ` templates (and images) at `/<path under templates/>`,
//! so a template imports the library with `#import "/lib/convflux.typ": *`. Every other path,
//! and every `@preview/…` package, is refused.
//!
//! A document rendered from a user's model folder ([`Typesetter::compile_modele`]) is served
//! the folder's `.typ` files first, at the same paths (`/lib/convflux.typ`…), read through
//! [`crate::modeles::dossier::Dossier`], which alone touches the disk and only inside the
//! folder; a `.typ` the folder lacks comes from the embedded ones. File ids stay one per
//! path, whatever the folder: ids are never minted per document.
//!
//! A model folder with fonts (`polices/`) gets its own font set, built once
//! per folder and process ([`Typesetter::compile_modele`]): the embedded fonts
//! at their indices, then the folder's, sorted by name. The embedded fonts
//! stay; system fonts are never read.
//!
//! Images given with the document ([`Typesetter::compile_images`], a party's logo) are served
//! at their fixed paths under [`IMAGES_PREFIX`] (`/logos/bailleur.png`): the caller names a
//! bounded set of such paths, the same for every document, so their ids stay fixed too.
//!
//! Unless turned off with [`Typesetter::champs_signature`], the PDF gets an empty signature field
//! over each signature block (see [`crate::typeset::signature`]), appended as an incremental update.
//!
//! [`texte`] and [`positions`] read the laid-out pages: the first gives the text of each page
//! for tests, the second the places marked with labelled `metadata` (signature fields).

mod messages;
pub mod signature;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use typst::diag::{FileError, FileResult, PackageError, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Duration, Smart, Value};
use typst::introspection::{Introspector, MetadataElem};
use typst::layout::{Abs, Frame, FrameItem, Point, Transform};
use typst::syntax::{DiagSpan, FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use crate::assets;
use crate::modeles::dossier::Dossier as DossierModele;
use signature::SignatureError;

/// Virtual path of the main source of every document.
const MAIN_PATH: &str = "/main.typ";
/// Name of the main source in messages.
const MAIN_NAME: &str = "main.typ";
/// Prefix of every rendered error diagnostic.
const ERROR_PREFIX: &str = "erreur de composition Typst : ";
/// Prefix of every rendered warning.
const WARNING_PREFIX: &str = "avertissement Typst : ";
/// Start of Typst's warning for a font family that is not in the book.
const UNKNOWN_FONT: &str = "unknown font family";
/// Extensions of the template files served as images (besides `.typ` sources).
const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "gif", "svg", "webp"];

/// The folder of the images given with a document (see [`Typesetter::compile_images`]).
pub const IMAGES_PREFIX: &str = "/logos/";

/// An error of the typeset stage; messages are in French and locate each problem.
#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    /// Typst reported errors while compiling or exporting; one rendered diagnostic each,
    /// starting with « erreur de composition Typst : ».
    #[error("{}", .0.join("\n"))]
    Composition(Vec<String>),
    /// The embedded assets cannot be used (no font, invalid template path).
    #[error("ressources embarquées inutilisables : {0}")]
    Assets(String),
    /// A font of a model's `polices/` cannot be used; the message names it.
    #[error("{0}")]
    Police(String),
    /// The signature fields could not be placed (a template or library bug).
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

/// A compiled document.
#[derive(Debug)]
pub struct Compiled {
    /// The PDF/A-2b file, with its signature fields unless they were turned off.
    pub pdf: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
    /// The laid-out pages, for [`texte`] and [`positions`].
    pub document: PagedDocument,
    /// Typst's warnings, rendered like errors (« avertissement Typst : … »).
    pub warnings: Vec<String>,
}

/// The parts of a composed document, by key: the pages from each part's
/// marker (`<convflux-partie>`, a dictionary with `partie`) to the page
/// before the next part's, the last one to the end. Markers on one page
/// with another part (no page break) make the earlier part empty: it is
/// left out, and its annex composed alone.
pub fn parties(doc: &PagedDocument) -> HashMap<String, std::ops::RangeInclusive<usize>> {
    let introspector = doc.introspector();
    let mut debuts: Vec<(String, usize)> = Vec::new();
    for content in introspector.query_labelled().iter() {
        if content
            .label()
            .is_none_or(|l| l.resolve().as_str() != PARTIE_LABEL)
        {
            continue;
        }
        let Some(meta) = content.to_packed::<MetadataElem>() else {
            continue;
        };
        let Value::Dict(valeur) = &meta.value else {
            continue;
        };
        let Some(Value::Str(cle)) = valeur.get("partie").ok() else {
            continue;
        };
        let Some(page) = content
            .location()
            .and_then(|loc| introspector.position(loc))
            .map(|p| p.page.get())
        else {
            continue;
        };
        debuts.push((cle.as_str().to_owned(), page));
    }
    debuts.sort_by_key(|(_, page)| *page);
    let derniere = doc.pages().len();
    let mut out = HashMap::new();
    for (i, (cle, debut)) in debuts.iter().enumerate() {
        let fin = debuts
            .get(i + 1)
            .map_or(derniere, |(_, p)| p.saturating_sub(1));
        if fin >= *debut && !out.contains_key(cle) {
            out.insert(cle.clone(), *debut..=fin);
        }
    }
    out
}

/// The label of the part markers of the library (`marque-partie`).
const PARTIE_LABEL: &str = "convflux-partie";

/// The page and point of a labelled `metadata` element, in PDF coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelPosition {
    /// The element's label, without angle brackets.
    pub label: String,
    /// The page, starting at 1.
    pub page: usize,
    /// Distance from the page's left edge, in points.
    pub x: f64,
    /// Distance from the page's bottom edge, in points (PDF's origin is bottom-left).
    pub y: f64,
}

/// An embedded template file served to Typst.
struct Served {
    /// Path relative to `templates/`, for messages.
    path: &'static str,
    bytes: Bytes,
    /// The parsed source, for `.typ` files only.
    source: Option<FileResult<Source>>,
}

/// A font book and its fonts: the embedded ones, or those plus a model's.
struct JeuPolices {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

/// The typeset stage's shared state: standard library, embedded fonts and templates.
///
/// Built once, then shared by reference (it is `Send + Sync`) by all the worker threads.
pub struct Typesetter {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    files: HashMap<FileId, Served>,
    standards: PdfStandards,
    /// Whether [`Typesetter::compile`] adds the signature fields.
    champs_signature: bool,
    /// The font set of each model folder with fonts, by folder: built once.
    polices_modeles: Mutex<HashMap<std::path::PathBuf, Arc<JeuPolices>>>,
}

impl Typesetter {
    /// Loads the standard library, the embedded fonts and the embedded templates.
    pub fn new() -> Result<Self, TypesetError> {
        Self::with_templates(assets::templates())
    }

    /// Like [`Typesetter::new`] with other templates (paths relative to `templates/`).
    fn with_templates(
        templates: impl Iterator<Item = (&'static str, &'static [u8])>,
    ) -> Result<Self, TypesetError> {
        // `assets::fonts()` is sorted, so font indices and the book are the same everywhere.
        let fonts: Vec<Font> = assets::fonts()
            .flat_map(|(_, bytes)| Font::iter(Bytes::new(bytes)))
            .collect();
        if fonts.is_empty() {
            return Err(TypesetError::Assets("aucune police sous fonts/".into()));
        }
        let book = FontBook::from_fonts(&fonts);

        let mut files = HashMap::new();
        for (path, bytes) in templates {
            let extension = path.rsplit_once('.').map_or("", |(_, ext)| ext);
            let is_source = extension == "typ";
            if !is_source && !IMAGE_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str()) {
                continue;
            }
            let id = file_id(&format!("/{path}")).map_err(|err| {
                TypesetError::Assets(format!("chemin de gabarit invalide « {path} » : {err}"))
            })?;
            let source = is_source.then(|| {
                std::str::from_utf8(bytes)
                    .map(|text| Source::new(id, text.to_owned()))
                    .map_err(FileError::from)
            });
            files.insert(
                id,
                Served {
                    path,
                    bytes: Bytes::new(bytes),
                    source,
                },
            );
        }

        let main = file_id(MAIN_PATH).expect("valid main path");
        let standards = PdfStandards::new(&[PdfStandard::A_2b])
            .map_err(|err| TypesetError::Assets(format!("PDF/A-2b : {}", err.message())))?;

        Ok(Self {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(book),
            fonts,
            main,
            files,
            standards,
            champs_signature: true,
            polices_modeles: Mutex::default(),
        })
    }

    /// The font set of `modele`'s documents: `None` when it has no fonts
    /// (the embedded set serves), else the embedded fonts followed by the
    /// folder's, built on first use and kept for the process.
    fn polices_du_modele(
        &self,
        modele: Option<&DossierModele>,
    ) -> Result<Option<Arc<JeuPolices>>, TypesetError> {
        let Some(m) = modele.filter(|m| !m.polices().is_empty()) else {
            return Ok(None);
        };
        let mut jeux = self
            .polices_modeles
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(jeu) = jeux.get(m.racine()) {
            return Ok(Some(Arc::clone(jeu)));
        }
        let mut fonts = self.fonts.clone();
        fonts.extend(polices_lisibles(m.polices()).map_err(TypesetError::Police)?);
        let jeu = Arc::new(JeuPolices {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        });
        jeux.insert(m.racine().to_path_buf(), Arc::clone(&jeu));
        Ok(Some(jeu))
    }

    /// Turns the empty signature fields on (the default) or off (paper-only workflow).
    #[must_use]
    pub fn champs_signature(mut self, oui: bool) -> Self {
        self.champs_signature = oui;
        self
    }

    /// Compiles `main` (Typst markup) into a PDF/A-2b whose document id derives from `ident`.
    ///
    /// The source must set `#set document(date: datetime(..))` (PDF/A needs a date; the
    /// clock is never read). A warning about an unknown font family is an error here.
    /// Each `bloc-signature` of the library gets an empty signature field, unless turned off.
    pub fn compile(&self, main: &str, ident: &str) -> Result<Compiled, TypesetError> {
        self.compile_modele(main, ident, None)
    }

    /// [`Typesetter::compile`] with the `.typ` files of a user's model folder served first.
    pub fn compile_modele(
        &self,
        main: &str,
        ident: &str,
        modele: Option<&DossierModele>,
    ) -> Result<Compiled, TypesetError> {
        self.compile_images(main, ident, modele, &[])
    }

    /// [`Typesetter::compile_modele`] with images served at the given paths, each under
    /// [`IMAGES_PREFIX`]: a fixed, bounded set of names (one per party and format), never
    /// one per document, since file ids are never freed.
    pub fn compile_images(
        &self,
        main: &str,
        ident: &str,
        modele: Option<&DossierModele>,
        images: &[(String, Arc<[u8]>)],
    ) -> Result<Compiled, TypesetError> {
        let world = self.monde(main, modele, images)?;
        let (document, warnings) = disposer(&world)?;
        let compiled = self.exporter(document, ident, |diag| render(&world, diag, ERROR_PREFIX))?;
        Ok(Compiled {
            warnings,
            ..compiled
        })
    }

    /// [`Typesetter::compile_images`] stopped after layout: the pages, no
    /// PDF (`pdf` is empty). For the pieces of a composition laid out in
    /// pieces, whose pages are then cut ([`Typesetter::extraire`]) and
    /// assembled ([`Typesetter::assembler`]).
    pub fn disposer_images(
        &self,
        main: &str,
        modele: Option<&DossierModele>,
        images: &[(String, Arc<[u8]>)],
    ) -> Result<Compiled, TypesetError> {
        let world = self.monde(main, modele, images)?;
        let (document, warnings) = disposer(&world)?;
        Ok(Compiled {
            pdf: Vec::new(),
            pages: document.pages().len(),
            warnings,
            document,
        })
    }

    /// The world of one document: `main`, the model's files and fonts, and
    /// the images at their fixed paths under [`IMAGES_PREFIX`].
    fn monde<'a>(
        &'a self,
        main: &str,
        modele: Option<&'a DossierModele>,
        images: &[(String, Arc<[u8]>)],
    ) -> Result<DocumentWorld<'a>, TypesetError> {
        let mut servies = HashMap::new();
        for (chemin, octets) in images {
            if !chemin.starts_with(IMAGES_PREFIX) || chemin.contains("..") {
                return Err(TypesetError::Assets(format!(
                    "chemin d'image invalide « {chemin} » (attendu sous {IMAGES_PREFIX})"
                )));
            }
            let id = file_id(chemin).map_err(|err| {
                TypesetError::Assets(format!("chemin d'image invalide « {chemin} » : {err}"))
            })?;
            servies.insert(id, Bytes::new(Arc::clone(octets)));
        }
        let polices = self.polices_du_modele(modele)?;
        Ok(DocumentWorld {
            typesetter: self,
            main: Source::new(self.main, main.to_owned()),
            modele,
            polices,
            sources: Mutex::default(),
            images: servies,
        })
    }

    /// Lays `main` out and stops there: no PDF, no signature field. The
    /// floor `bench/run.sh` measures convflux against (the cost of the pages
    /// alone).
    pub fn composer(&self, main: &str) -> Result<PagedDocument, TypesetError> {
        let world = DocumentWorld {
            typesetter: self,
            main: Source::new(self.main, main.to_owned()),
            modele: None,
            sources: Mutex::default(),
            images: HashMap::new(),
            polices: None,
        };
        disposer(&world).map(|(document, _)| document)
    }

    /// The pages of part `cle` of a composed document (the annex marked by
    /// `marque-partie` in the library) as a document of its own: the same
    /// pages, exported alone with their own title and PDF identifier, and
    /// the signature fields of their blocks. `None`: the composition has no
    /// such part (a user's model that does not mark its annexes), so the
    /// caller composes the annex alone.
    pub fn extraire(
        &self,
        composition: &Compiled,
        cle: &str,
        titre: &str,
        ident: &str,
    ) -> Result<Option<Compiled>, TypesetError> {
        let Some(pages) = parties(&composition.document).remove(cle) else {
            return Ok(None);
        };
        let (debut, fin) = (*pages.start(), *pages.end());
        let Some(seules) = composition.document.pages().get(debut - 1..fin) else {
            return Ok(None);
        };
        let mut info = composition.document.clone().info_mut().clone();
        info.title = Some(titre.into());
        // A document of these pages alone (typst-pdf cannot export a page
        // range of a tagged PDF): the same frames, so the same layout.
        let document = PagedDocument::new(seules.iter().cloned().collect(), info);
        self.exporter(document, ident, |diag| {
            format!(
                "{ERROR_PREFIX}{} (annexe « {cle} »)",
                messages::message(&diag.message)
            )
        })
        .map(Some)
    }

    /// One document made of the pages of several compositions, in order,
    /// with the metadata of the first: a convention whose annexes were laid
    /// out apart from its body, a few at a time (memory stays bounded by the
    /// largest of them; the pages are the same, since each annex starts a
    /// page and is numbered on its own).
    pub fn assembler(&self, morceaux: &[&Compiled], ident: &str) -> Result<Compiled, TypesetError> {
        let Some(premier) = morceaux.first() else {
            return Err(TypesetError::Assets("aucune page à assembler".into()));
        };
        let info = premier.document.clone().info_mut().clone();
        let pages = morceaux
            .iter()
            .flat_map(|m| m.document.pages().iter().cloned())
            .collect();
        self.exporter(PagedDocument::new(pages, info), ident, |diag| {
            format!("{ERROR_PREFIX}{}", messages::message(&diag.message))
        })
    }

    /// The PDF/A-2b of laid-out pages, with its signature fields; `erreur`
    /// renders an error of the export.
    fn exporter(
        &self,
        document: PagedDocument,
        ident: &str,
        erreur: impl Fn(&SourceDiagnostic) -> String,
    ) -> Result<Compiled, TypesetError> {
        let options = PdfOptions {
            ident: Smart::Custom(ident.to_owned()),
            timestamp: None,
            standards: self.standards.clone(),
            ..PdfOptions::default()
        };
        let mut pdf = typst_pdf::pdf(&document, &options)
            .map_err(|errors| TypesetError::Composition(errors.iter().map(&erreur).collect()))?;
        if self.champs_signature {
            pdf = signature::ajouter_champs(&pdf, &document)?;
        }
        Ok(Compiled {
            pdf,
            pages: document.pages().len(),
            document,
            warnings: Vec::new(),
        })
    }

    /// Looks up an embedded template file by id.
    fn served(&self, id: FileId) -> FileResult<&Served> {
        if let VirtualRoot::Package(spec) = id.root() {
            return Err(FileError::Package(PackageError::Other(Some(
                format!("les paquets Typst sont désactivés dans convflux : {spec}").into(),
            ))));
        }
        // In French: Typst's own text for a missing file is English.
        self.files.get(&id).ok_or_else(|| {
            FileError::Other(Some(
                format!(
                    "fichier introuvable ou hors d'atteinte : {} (seuls les gabarits du modèle et leur bibliothèque sont lisibles)",
                    id.vpath().get_with_slash()
                )
                .into(),
            ))
        })
    }

    /// The name of an embedded file in messages: `main.typ` or its path under `templates/`.
    fn display_name(&self, id: FileId) -> String {
        if id == self.main {
            MAIN_NAME.to_owned()
        } else if let Some(served) = self.files.get(&id) {
            format!("templates/{}", served.path)
        } else {
            format!("{:?}", id.get())
        }
    }
}

/// Typst's layout of the world's main source, with its warnings rendered.
fn disposer(world: &DocumentWorld) -> Result<(PagedDocument, Vec<String>), TypesetError> {
    let Warned { output, warnings } = typst::compile::<PagedDocument>(world);
    // A missing family silently falls back to another font: treat it as a bug.
    let (font_errors, warnings): (Vec<_>, Vec<_>) = warnings
        .iter()
        .partition(|w| w.message.starts_with(UNKNOWN_FONT));
    match output {
        Ok(document) if font_errors.is_empty() => Ok((
            document,
            warnings
                .into_iter()
                .map(|diag| render(world, diag, WARNING_PREFIX))
                .collect(),
        )),
        output => {
            let errors = output.err().unwrap_or_default();
            Err(TypesetError::Composition(
                errors
                    .iter()
                    .chain(font_errors)
                    .map(|diag| render(world, diag, ERROR_PREFIX))
                    .collect(),
            ))
        }
    }
}

/// Frees Typst's memoization caches; call it between documents so memory stays flat.
pub fn liberer_caches() {
    typst::comemo::evict(0);
}

/// The fonts in `polices` (`(name, bytes)`, a model's `polices/`), in
/// order, or a French message naming the first file Typst cannot read as a
/// font. `pipeline` calls it when it opens a model, so that such a model is
/// refused before anything is typeset.
pub fn polices_lisibles(polices: &[crate::modeles::dossier::Fichier]) -> Result<Vec<Font>, String> {
    let mut out = Vec::new();
    for (nom, octets) in polices {
        let avant = out.len();
        out.extend(Font::iter(Bytes::new(Arc::clone(octets))));
        if out.len() == avant {
            return Err(format!(
                "« {} » refusé : police illisible (attendu : une police TrueType ou OpenType valide)",
                crate::diagnostic::affichable(nom)
            ));
        }
    }
    Ok(out)
}

/// Interns the project file id of a virtual path. Ids are process-wide and never freed, so
/// only fixed paths (the main source, the embedded templates) go through here.
fn file_id(path: &str) -> Result<FileId, typst::syntax::PathError> {
    Ok(RootedPath::new(VirtualRoot::Project, VirtualPath::new(path)?).intern())
}

/// The world of one compilation: the shared state plus this document's main source.
struct DocumentWorld<'a> {
    typesetter: &'a Typesetter,
    main: Source,
    /// The user's model folder whose `.typ` files come first.
    modele: Option<&'a DossierModele>,
    /// The model's font set, when it has fonts; else the embedded one.
    polices: Option<Arc<JeuPolices>>,
    /// The folder's sources parsed in this compilation, by id.
    sources: Mutex<HashMap<FileId, FileResult<Source>>>,
    /// The images given with this document, at their fixed ids.
    images: HashMap<FileId, Bytes>,
}

impl DocumentWorld<'_> {
    /// The bytes of a `.typ` file of the model folder: `None` when there is no
    /// folder, the path is not a project `.typ` or the folder lacks it (the
    /// embedded file serves), an error when the folder refuses it.
    fn du_modele(&self, id: FileId) -> Option<FileResult<Bytes>> {
        let m = self.modele?;
        if id == self.main.id() || !matches!(id.root(), VirtualRoot::Project) {
            return None;
        }
        let nom = id.vpath().get_without_slash();
        if !nom.ends_with(".typ") {
            return None;
        }
        match m.lire(nom) {
            Ok(Some(b)) => Some(Ok(Bytes::new(b))),
            Ok(None) => None,
            Err(e) => Some(Err(FileError::Other(Some(e.into())))),
        }
    }

    /// The name of a file in messages: in the model folder, or embedded.
    fn display_name(&self, id: FileId) -> String {
        match self.modele {
            Some(m) if matches!(self.du_modele(id), Some(Ok(_))) => {
                m.chemin(id.vpath().get_without_slash())
            }
            _ => self.typesetter.display_name(id),
        }
    }
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.typesetter.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        match &self.polices {
            Some(jeu) => &jeu.book,
            None => &self.typesetter.book,
        }
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        if let Some(bytes) = self.du_modele(id) {
            let mut sources = self.sources.lock().unwrap_or_else(PoisonError::into_inner);
            return sources
                .entry(id)
                .or_insert_with(|| {
                    let bytes = bytes?;
                    std::str::from_utf8(bytes.as_slice())
                        .map(|text| Source::new(id, text.to_owned()))
                        .map_err(FileError::from)
                })
                .clone();
        }
        match &self.typesetter.served(id)?.source {
            Some(source) => source.clone(),
            None => Err(FileError::NotSource),
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.text().to_owned()));
        }
        if let Some(bytes) = self.images.get(&id) {
            return Ok(bytes.clone());
        }
        if let Some(bytes) = self.du_modele(id) {
            return bytes;
        }
        Ok(self.typesetter.served(id)?.bytes.clone())
    }

    fn font(&self, index: usize) -> Option<Font> {
        match &self.polices {
            Some(jeu) => jeu.fonts.get(index).cloned(),
            None => self.typesetter.fonts.get(index).cloned(),
        }
    }

    /// No clock: `datetime.today()` fails, dates come from the data.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// Renders a diagnostic in French with its file, line:column and source line.
///
/// ```text
/// erreur de composition Typst : unknown variable: montant
///    ┌─ templates/lib/convflux.typ:12:10
///    │
/// 12 │ #let x = montant
///    │          ^^^^^^^
///    = indice : …
///    = trace : while calling `signatures` (main.typ:40:2)
/// ```
fn render(world: &DocumentWorld, diag: &SourceDiagnostic, prefix: &str) -> String {
    let mut out = format!("{prefix}{}", messages::message(&diag.message));
    let original = messages::original();
    let located = locate(world, diag.span);
    let width = located.as_ref().map_or(1, |l| l.line.to_string().len());
    let pad = " ".repeat(width);
    if let Some(l) = &located {
        let _ = write!(
            out,
            "\n{pad} ┌─ {}:{}:{}\n{pad} │\n{:>width$} │ {}\n{pad} │ {}{}",
            l.file,
            l.line,
            l.column,
            l.line,
            l.text,
            " ".repeat(l.column - 1),
            "^".repeat(l.width.max(1)),
        );
    }
    if let Some(g) = located
        .as_ref()
        .filter(|_| diag.span.id() == Some(world.main.id()))
        .and_then(|l| ligne_du_gabarit(world, &l.text))
    {
        let _ = write!(out, "\n{pad} = gabarit : {g}");
    }
    if original {
        let _ = write!(out, "\n{pad} = Typst : {}", diag.message);
    }
    // Typst's hints about the CLI's `--root` do not apply: the sandbox is
    // fixed here. A hint convflux cannot say in French is left out.
    for hint in diag.hints.iter().filter(|hint| !hint.v.contains("--root")) {
        let texte = match messages::indice(&hint.v) {
            Some(fr) => fr,
            None if original => hint.v.to_string(),
            None => continue,
        };
        let _ = write!(out, "\n{pad} = indice : {texte}");
        if let Some(l) = locate(world, hint.span) {
            let _ = write!(out, " ({}:{}:{})", l.file, l.line, l.column);
        }
    }
    for point in &diag.trace {
        let point_en = point.v.to_string();
        let texte = match messages::trace(&point_en) {
            Some(fr) => fr,
            None if original => point_en,
            None => "lors d'un appel".to_string(),
        };
        let _ = write!(out, "\n{pad} = trace : {texte}");
        if let Some(l) = locate(world, point.span.into()) {
            let _ = write!(out, " ({}:{}:{})", l.file, l.line, l.column);
        }
    }
    out
}

/// Where a diagnostic points, ready to print.
struct Located {
    file: String,
    /// 1-based line.
    line: usize,
    /// 1-based column, in characters.
    column: usize,
    /// The source line, tabs shown as spaces.
    text: String,
    /// Width of the underline, in characters (clipped to the line).
    width: usize,
}

/// Resolves a span to its file, line, column and source line.
fn locate(world: &DocumentWorld, span: DiagSpan) -> Option<Located> {
    let id = span.id()?;
    let range = world.range(span)?;
    let text: String = match world.source(id) {
        Ok(source) => source.text().to_owned(),
        Err(_) => String::from_utf8_lossy(world.file(id).ok()?.as_slice()).into_owned(),
    };
    let start = floor_char_boundary(&text, range.start.min(text.len()));
    let end = floor_char_boundary(&text, range.end.clamp(start, text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    Some(Located {
        file: world.display_name(id),
        line: text[..start].matches('\n').count() + 1,
        column: text[line_start..start].chars().count() + 1,
        text: line_text.replace('\t', " "),
        width: text[start..end.min(line_end)].chars().count(),
    })
}

/// Where a line of `main.typ` was written in the user's model: the one
/// line of the folder's templates read so far that is the same text
/// (`<file>:<line>`). `None` without a model folder, for a line too short to
/// tell (`]`), one with merged data (no template has it as it is), or one
/// written in several places.
fn ligne_du_gabarit(world: &DocumentWorld, ligne: &str) -> Option<String> {
    let m = world.modele?;
    let cherchee = ligne.trim();
    if cherchee.chars().filter(|c| c.is_alphanumeric()).count() < 3 {
        return None;
    }
    let mut trouvees = m.gabarits_lus().into_iter().flat_map(|(nom, octets)| {
        let texte = String::from_utf8_lossy(&octets).into_owned();
        texte
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim() == cherchee)
            .map(|(i, _)| format!("{}:{}", m.chemin(&nom), i + 1))
            .collect::<Vec<_>>()
    });
    let premiere = trouvees.next()?;
    trouvees.next().is_none().then_some(premiere)
}

/// The largest char boundary of `text` at or before `index`.
fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The text of each page, in reading order: runs on one baseline joined (with a space where
/// there is a gap between them), lines separated by `\n`.
///
/// Approximate, for tests: a sentence broken across lines has a `\n` (and maybe a hyphen)
/// where the line breaks, so compare with whitespace normalised.
pub fn texte(doc: &PagedDocument) -> Vec<String> {
    doc.pages()
        .iter()
        .map(|page| {
            let mut runs = Vec::new();
            collect_runs(&page.frame, Transform::identity(), &mut runs);
            page_text(runs)
        })
        .collect()
}

/// A run of shaped text placed on a page.
struct Run {
    /// Baseline start, from the page's top-left.
    start: Point,
    /// Horizontal end of the run.
    end: Abs,
    /// Font size.
    size: Abs,
    text: String,
}

/// Collects the text runs of `frame` with their page coordinates.
fn collect_runs(frame: &Frame, ts: Transform, runs: &mut Vec<Run>) {
    for (pos, item) in frame.items() {
        match item {
            FrameItem::Group(group) => {
                let ts = ts
                    .pre_concat(Transform::translate(pos.x, pos.y))
                    .pre_concat(group.transform);
                collect_runs(&group.frame, ts, runs);
            }
            FrameItem::Text(text) => runs.push(Run {
                start: pos.transform(ts),
                end: Point::new(pos.x + text.width(), pos.y).transform(ts).x,
                size: text.size,
                text: text.text.to_string(),
            }),
            _ => {}
        }
    }
}

/// Groups runs into lines (baselines within 0.4 em) and lines into text.
fn page_text(mut runs: Vec<Run>) -> String {
    runs.sort_by_key(|run| (run.start.y, run.start.x));
    let mut lines: Vec<Vec<Run>> = Vec::new();
    for run in runs {
        match lines.last_mut() {
            Some(line)
                if (run.start.y - line[0].start.y).abs() <= line[0].size.max(run.size) * 0.4 =>
            {
                line.push(run)
            }
            _ => lines.push(vec![run]),
        }
    }
    let mut out = String::new();
    for mut line in lines {
        line.sort_by_key(|run| run.start.x);
        if !out.is_empty() {
            out.push('\n');
        }
        let mut previous: Option<&Run> = None;
        for run in &line {
            if let Some(prev) = previous {
                let gap = run.start.x - prev.end;
                let spaced = prev.text.ends_with(char::is_whitespace)
                    || run.text.starts_with(char::is_whitespace);
                if gap > prev.size * 0.1 && !spaced {
                    out.push(' ');
                }
            }
            out.push_str(&run.text);
            previous = Some(run);
        }
    }
    out
}

/// Every labelled `metadata` whose label starts with `prefixe`, in document order, with its
/// page and point in PDF coordinates (points, origin bottom-left).
///
/// Put `#place(top + left)[#metadata(..)<sig-…>]` at each corner of a signature box.
pub fn positions(doc: &PagedDocument, prefixe: &str) -> Vec<LabelPosition> {
    let introspector = doc.introspector();
    introspector
        .query_labelled()
        .iter()
        .filter(|content| content.is::<MetadataElem>())
        .filter_map(|content| {
            let label = content.label()?.resolve().as_str().to_owned();
            if !label.starts_with(prefixe) {
                return None;
            }
            let position = introspector.position(content.location()?)?;
            let page = position.page.get();
            let height = doc.pages().get(page - 1)?.frame.height();
            Some(LabelPosition {
                label,
                page,
                x: position.point.x.to_pt(),
                y: (height - position.point.y).to_pt(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typesetter_is_shareable() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Typesetter>();
    }

    #[test]
    fn error_points_at_file_line_and_column() {
        let typesetter = Typesetter::new().unwrap();
        let err = typesetter
            .compile("Bonjour\n\n#let x = montant_inconnu\n", "t")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(ERROR_PREFIX), "{err}");
        assert!(err.contains("variable inconnue : montant_inconnu"), "{err}");
        assert!(err.contains("main.typ:3:10"), "{err}");
        assert!(err.contains("3 │ #let x = montant_inconnu"), "{err}");
        assert!(err.ends_with("  │          ^^^^^^^^^^^^^^^"), "{err}");
    }

    #[test]
    fn template_bug_names_the_template_and_the_call_site() {
        let typesetter = Typesetter::with_templates(
            [
                (
                    "lib/essai.typ",
                    &b"// Essai\n#let total(x) = {\n  x + \"a\"\n}\n"[..],
                ),
                ("lib/essai.typ.j2", &b"{{ x }}"[..]),
            ]
            .into_iter(),
        )
        .unwrap();
        let main = "#import \"/lib/essai.typ\": total\n\n#total(1)\n";
        let err = typesetter.compile(main, "t").unwrap_err().to_string();
        assert!(err.contains("templates/lib/essai.typ:3:3"), "{err}");
        assert!(err.contains("3 │   x + \"a\""), "{err}");
        assert!(
            err.contains("= trace : lors de l'appel de `total` (main.typ:3:2)"),
            "{err}"
        );

        let err = typesetter
            .compile("#import \"/lib/essai.typ.j2\": *", "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("fichier introuvable ou hors d'atteinte"),
            "{err}"
        );
        assert!(
            typesetter
                .compile("#import \"lib/essai.typ\": total\n#total(1)", "t")
                .is_err()
        );
    }

    #[test]
    fn lines_keep_runs_on_one_baseline_together() {
        let run = |x: f64, y: f64, w: f64, text: &str| Run {
            start: Point::new(Abs::pt(x), Abs::pt(y)),
            end: Abs::pt(x) + Abs::pt(w),
            size: Abs::pt(10.0),
            text: text.into(),
        };
        let text = page_text(vec![
            run(100.0, 50.5, 20.0, "cellule"),
            run(10.0, 50.0, 30.0, "Total "),
            run(40.0, 50.0, 10.0, "gras"),
            run(10.0, 70.0, 30.0, "suite"),
        ]);
        assert_eq!(text, "Total gras cellule\nsuite");
    }
}
