//! The pipeline: [`analyser`] runs load → validate → compute → controle for
//! one file (`verifier` stops there, `calculer` prints the flows), and
//! [`Fabrique`] runs the back half, typeset → output, for the documents
//! render gives, recording each output for the manifest. Every command that
//! writes goes through it: one write path.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compute::{self, Flux};
use crate::controle;
use crate::diagnostic::{self, Diagnostic, Diagnostics};
use crate::input;
use crate::load;
use crate::model::Convention;
use crate::modeles::dossier::{self as modele_dossier, Dossier as DossierModele};
use crate::modeles::logos::{self, Image};
use crate::modeles::projet::{self, Projet};
use crate::output::{
    self,
    manifest::{self, Contexte, ProjetSource, Sortie},
};
use crate::render::{DocumentSource, Morceaux};
use crate::typeset::{self, Typesetter};
use crate::validate;

/// One file after analysis.
pub struct Analyse {
    pub chemin: PathBuf,
    pub source: String,
    pub convention: Option<Convention>,
    /// Computed flows, one per exercise (file order), when valid.
    pub flux: Vec<Flux>,
    pub diags: Diagnostics,
    /// The model folder named by `convention.gabarits`, or else by the
    /// project file, opened; `None`: the built-in models.
    pub modele: Option<Arc<DossierModele>>,
    /// The parties' logos, read and checked (`logo:`).
    pub images: Vec<Image>,
    /// The project file (`convflux.yaml`) above the file, when there is one.
    pub projet: Option<Projet>,
}

impl Analyse {
    /// A file that stopped before validation (unreadable, not UTF-8, not YAML).
    fn echec(chemin: &Path, source: String, diags: Diagnostics) -> Analyse {
        Analyse {
            chemin: chemin.to_path_buf(),
            source,
            convention: None,
            flux: Vec::new(),
            diags,
            modele: None,
            images: Vec::new(),
            projet: None,
        }
    }

    /// The file's name as printed (control characters of a hostile file
    /// name escaped, see [`diagnostic::affichable`]).
    pub fn nom(&self) -> String {
        diagnostic::affichable(&self.chemin.display().to_string()).into_owned()
    }

    pub fn valide(&self) -> bool {
        !self.diags.a_des_erreurs() && self.convention.is_some()
    }

    /// The diagnostics as the user reads them.
    pub fn diagnostics_rendus(&self) -> String {
        self.diags.rendre(&self.nom(), &self.source)
    }
}

/// Reads and analyses one file named alone (the project file searched for
/// is the one beside it). Never panics, whatever the bytes.
pub fn analyser(chemin: &Path) -> Analyse {
    analyser_dans(chemin, &projet::borne(&[chemin.to_path_buf()], chemin))
}

/// Analyses file contents already read, of a file named alone.
pub fn analyser_octets(chemin: &Path, bytes: Vec<u8>) -> Analyse {
    analyser_octets_dans(
        chemin,
        &projet::borne(&[chemin.to_path_buf()], chemin),
        bytes,
    )
}

/// Reads and analyses one file. Never panics, whatever the bytes. `borne`:
/// the folder the search for a project file stops at ([`projet::borne`]).
pub fn analyser_dans(chemin: &Path, borne: &Path) -> Analyse {
    let mut diags = Diagnostics::default();
    let bytes = match input::lire(chemin, load::TAILLE_MAX as u64) {
        Ok(b) => b,
        Err(e) => {
            let mut d = Diagnostic::erreur(format!("lecture impossible : {e}"), None)
                .regle("fichier illisible");
            if let input::ErreurLecture::TropGrand { .. } = e {
                d = d.note(format!(
                    "attendu : un fichier YAML de moins de {} Mio ; une convention tient en quelques kilooctets",
                    load::TAILLE_MAX / (1024 * 1024)
                ));
            }
            diags.push(d);
            return Analyse::echec(chemin, String::new(), diags);
        }
    };
    analyser_octets_dans(chemin, borne, bytes)
}

/// Analyses file contents already read; `borne` as for [`analyser_dans`].
pub fn analyser_octets_dans(chemin: &Path, borne: &Path, mut bytes: Vec<u8>) -> Analyse {
    let mut diags = Diagnostics::default();
    normaliser(&mut bytes);
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let pos = e.utf8_error().valid_up_to();
            let source = String::from_utf8_lossy(e.as_bytes()).into_owned();
            diags.push(
                Diagnostic::erreur(
                    format!("le fichier n'est pas en UTF-8 (octet invalide à la position {pos})"),
                    None,
                )
                .note(
                    "enregistrez le fichier en UTF-8 (l'encodage par défaut des éditeurs récents)",
                )
                .regle("fichier hors UTF-8"),
            );
            return Analyse::echec(chemin, source, diags);
        }
    };
    let racine = match load::charger(&source) {
        Ok(n) => n,
        Err(d) => {
            diags.push(d.regle_par_defaut("syntaxe YAML"));
            return Analyse::echec(chemin, source, diags);
        }
    };
    let (convention, d) = validate::valider(&racine);
    diags.extend(d);
    // A broken project file is an error for every convention below it,
    // whether or not it names its own model.
    let projet = match projet::charger(chemin, borne) {
        Ok(p) => p,
        Err(ds) => {
            ds.into_iter().for_each(|d| diags.push(d));
            None
        }
    };
    let modele = convention
        .as_ref()
        .and_then(|c| ouvrir_modele(chemin, c, projet.as_ref(), &mut diags));
    let images = match &convention {
        Some(c) => logos::lire(chemin, c, modele.as_deref(), &mut diags),
        None => Vec::new(),
    };
    let mut flux = Vec::new();
    if let Some(c) = &convention {
        for e in &c.exercices {
            let f = compute::calculer(c, e.annee.v);
            diags.extend(controle::controler(c, &f));
            flux.push(f);
        }
        diags.extend(controle::sauts(c, &flux));
        // The caps over the annexes of this file (one bailleur, one
        // assiette, one year); across files: [`controler_ensemble`].
        let parts: Vec<_> = controle::parts(c, &flux)
            .into_iter()
            .map(|p| (0, p))
            .collect();
        let lieu = |_: usize, s: diagnostic::Span| {
            format!("ligne {}", diagnostic::ligne_colonne(&source, s.start).0)
        };
        for (_, d) in controle::plafonds(&parts, &lieu, false) {
            diags.push(d);
        }
    }
    let convention = if diags.a_des_erreurs() {
        None
    } else {
        convention
    };
    Analyse {
        chemin: chemin.to_path_buf(),
        source,
        convention,
        flux,
        diags,
        modele,
        images,
        projet,
    }
}

/// What the checks across files need of one valid file.
pub struct Resume {
    /// The file's name as printed.
    pub nom: String,
    pub source: String,
    pub convention: String,
    pub parts: Vec<controle::Part>,
}

impl Analyse {
    /// What the checks across files need, when the file is valid.
    pub fn resume(&self) -> Option<Resume> {
        let c = self.convention.as_ref().filter(|_| self.valide())?;
        Some(Resume {
            nom: self.nom(),
            source: self.source.clone(),
            convention: c.id.clone(),
            parts: controle::parts(c, &self.flux),
        })
    }

    /// Adds diagnostics found across files; an error makes the file invalid.
    pub fn ajouter(&mut self, ds: Diagnostics) {
        self.diags.extend(ds);
        if self.diags.a_des_erreurs() {
            self.convention = None;
        }
    }
}

/// The stage across files, after each file's own analysis: the caps on
/// what one bailleur grants on one assiette in one year, over every valid
/// file of a run ([`controle::plafonds`]): each file of a group over a cap
/// gets the error, citing every contribution by file and line. Two files
/// of one convention id are one convention: only the first counts (the
/// second is refused by `generer` anyway). Returns the new diagnostics of
/// each file, by its index in `resumes`.
pub fn controler_ensemble(resumes: &[Option<Resume>]) -> BTreeMap<usize, Diagnostics> {
    let mut vus = std::collections::BTreeSet::new();
    let mut parts = Vec::new();
    for (i, r) in resumes.iter().enumerate() {
        let Some(r) = r else { continue };
        if vus.insert(r.convention.as_str()) {
            parts.extend(r.parts.iter().cloned().map(|p| (i, p)));
        }
    }
    let lieu = |i: usize, s: diagnostic::Span| match &resumes[i] {
        Some(r) => format!(
            "{}:{}",
            r.nom,
            diagnostic::ligne_colonne(&r.source, s.start).0
        ),
        None => String::new(),
    };
    let mut out: BTreeMap<usize, Diagnostics> = BTreeMap::new();
    for (i, d) in controle::plafonds(&parts, &lieu, true) {
        out.entry(i).or_default().push(d);
    }
    out
}

/// Analyses every file of a run for the stage across files alone (one
/// thread per core): what [`controler_ensemble`] finds, by file index,
/// with the file's text (to render them). `generer` runs it before its
/// workers, which analyse each file again.
pub fn controler_fichiers(
    fichiers: &[PathBuf],
    borne: &(dyn Fn(&Path) -> PathBuf + Sync),
) -> BTreeMap<usize, (Diagnostics, String)> {
    if fichiers.len() < 2 {
        return BTreeMap::new();
    }
    let travailleurs = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, fichiers.len());
    let suivant = std::sync::atomic::AtomicUsize::new(0);
    let resumes: Vec<std::sync::Mutex<Option<Resume>>> = fichiers
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    std::thread::scope(|s| {
        for _ in 0..travailleurs {
            s.spawn(|| {
                loop {
                    let i = suivant.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(f) = fichiers.get(i) else { break };
                    // A panic is this file's: the worker reports it later.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        analyser_dans(f, &borne(f)).resume()
                    }))
                    .ok()
                    .flatten();
                    if let Ok(mut m) = resumes[i].lock() {
                        *m = r;
                    }
                }
            });
        }
    });
    let resumes: Vec<Option<Resume>> = resumes
        .into_iter()
        .map(|m| m.into_inner().ok().flatten())
        .collect();
    controler_ensemble(&resumes)
        .into_iter()
        .filter_map(|(i, ds)| Some((i, (ds, resumes[i].as_ref()?.source.clone()))))
        .collect()
}

/// Opens the model folder of a convention, in this order: the one named by
/// `convention.gabarits`, relative to the folder of the YAML file (a folder
/// that cannot serve this convention is a located error); else the one of
/// the project file ([`ouvrir_modele_du_projet`]); else the built-in models
/// (`None`, no error).
fn ouvrir_modele(
    chemin: &Path,
    c: &Convention,
    projet: Option<&Projet>,
    diags: &mut Diagnostics,
) -> Option<Arc<DossierModele>> {
    let Some(g) = c.gabarits.as_ref() else {
        return ouvrir_modele_du_projet(c, projet?, diags);
    };
    let dossier = chemin.parent().unwrap_or(Path::new("")).join(&g.v);
    let erreur = |message: String, label: &str| {
        Diagnostic::erreur_de("modèle inutilisable", message, Some(g.span))
            .label(label.to_owned())
            .note(
                "`convention.gabarits` nomme le dossier d'un modèle copié par \
                 `convflux modele copier`, relatif au fichier YAML ; sans cette clé, \
                 les modèles intégrés servent",
            )
    };
    match ouvrir_dossier(&dossier) {
        Ok(m) if m.sert(c.modele.nom()) => Some(m),
        Ok(m) => {
            diags.push(erreur(
                format!(
                    "le modèle {} sert les conventions « {} », pas « {} » (`convention.modele`)",
                    m.racine().display(),
                    m.famille(),
                    c.modele.nom()
                ),
                &format!("modèle {}", m.famille()),
            ));
            None
        }
        Err(e) => {
            diags.push(erreur(
                format!("modèle inutilisable ({}) : {e}", dossier.display()),
                "dossier de modèle",
            ));
            None
        }
    }
}

/// Opens the model folder named by the project file's `gabarits`; one that
/// cannot serve this convention is an error naming the project file.
fn ouvrir_modele_du_projet(
    c: &Convention,
    projet: &Projet,
    diags: &mut Diagnostics,
) -> Option<Arc<DossierModele>> {
    let dossier = projet.gabarits.as_ref()?;
    let note = format!(
        "modèle par défaut donné par `gabarits` dans le fichier de projet {} ;          `convention.gabarits` dans le fichier YAML l'emporte sur lui",
        diagnostic::affichable(&projet.chemin.display().to_string())
    );
    let message = match ouvrir_dossier(dossier) {
        Ok(m) if m.sert(c.modele.nom()) => return Some(m),
        Ok(m) => format!(
            "le modèle {} sert les conventions « {} », pas « {} » (`convention.modele`)",
            m.racine().display(),
            m.famille(),
            c.modele.nom()
        ),
        Err(e) => format!("modèle inutilisable ({}) : {e}", dossier.display()),
    };
    diags.push(Diagnostic::erreur_de("modèle inutilisable", message, None).note(note));
    None
}

/// The model a document made from several files is composed with (the
/// council report): theirs, when every file resolves to the same one (one
/// model folder, or the built-in models for all). Files with different
/// models: why, in French, each model with its files, for the caller to
/// print; a report whose text and style would follow one convention's model
/// and not another's is refused rather than chosen for the user.
pub fn modele_commun(analyses: &[&Analyse]) -> Result<Option<Arc<DossierModele>>, String> {
    // Models in the order of the files, each with the files it serves.
    let mut modeles: Vec<(Option<Arc<DossierModele>>, Vec<String>)> = Vec::new();
    for an in analyses {
        let racine = an.modele.as_ref().map(|m| m.racine());
        match modeles
            .iter_mut()
            .find(|(m, _)| m.as_ref().map(|m| m.racine()) == racine)
        {
            Some((_, fichiers)) => fichiers.push(an.nom()),
            None => modeles.push((an.modele.clone(), vec![an.nom()])),
        }
    }
    if modeles.len() <= 1 {
        return Ok(modeles.pop().and_then(|(m, _)| m));
    }
    let mut texte = String::from(
        "les conventions du rapport sont faites avec des modèles différents ; \
         le rapport se compose avec le modèle de ses conventions, qui doit donc être le même pour toutes :",
    );
    for (m, fichiers) in &modeles {
        let modele = match m {
            Some(m) => format!(
                "modèle {}",
                diagnostic::affichable(&m.racine().display().to_string())
            ),
            None => "modèles intégrés".to_owned(),
        };
        texte.push_str(&format!("\n  {modele} : {}", fichiers.join(", ")));
    }
    texte.push_str(
        "\n  = note : donnez le même modèle à ces conventions (`convention.gabarits` dans chacune, \
         ou `gabarits` dans un fichier de projet convflux.yaml au-dessus d'elles), puis relancez ; \
         `--sans-pdf --xlsx <fichier>` donne le classeur des chiffres sans composer le rapport",
    );
    Err(texte)
}

/// Opens a model folder ([`modele_dossier::ouvrir`]) whose fonts, if it has
/// any, Typst can read: a model is refused before anything is typeset.
fn ouvrir_dossier(dossier: &Path) -> Result<Arc<DossierModele>, String> {
    let m = modele_dossier::ouvrir(dossier)?;
    crate::typeset::polices_lisibles(m.polices())?;
    Ok(m)
}

/// Makes line ends and the byte-order mark harmless, in place and without
/// moving any byte, so spans stay valid: a leading BOM becomes three spaces,
/// a lone CR (old Mac line end, which YAML counts as a line break) becomes LF,
/// so that diagnostics count lines as the YAML parser does.
fn normaliser(bytes: &mut [u8]) {
    if let Some(debut) = bytes.get_mut(..3)
        && debut == [0xEF, 0xBB, 0xBF]
    {
        debut.copy_from_slice(b"   ");
    }
    for i in 0..bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            bytes[i] = b'\n';
        }
    }
}

/// The back half of the pipeline, shared by every command that writes:
/// render's documents → typeset → output, recorded for the manifest.
///
/// Each document is typeset, then written to its temporary file at once
/// ([`output::Dossier::preparer`]), so memory holds one document; a [`Lot`]
/// is installed all together or not at all.
pub struct Fabrique<'a> {
    pub ts: &'a Typesetter,
    pub dossier: &'a output::Dossier,
    /// What the manifest records of this run's fonts, version and options.
    pub ctx: &'a Contexte,
    /// Also write the Typst sources (`--typst`).
    pub typst: bool,
    /// Called after each document is typeset (frees Typst's caches; a worker
    /// process whose parent died stops there).
    pub apres_document: &'a dyn Fn(),
}

/// Where the documents of a lot come from, as the manifest records it.
pub struct Provenance<'a> {
    /// The source file(s), as the manifest keys them.
    pub source: &'a str,
    /// SHA-256 of the source.
    pub sha256: &'a str,
    pub annee: i32,
    /// The logos the documents may print (served to typeset, hashed in
    /// the manifest so that changing one regenerates the documents).
    pub images: &'a [Image],
    /// The project file above the source, if any ([`Analyse::projet`]).
    pub projet: Option<&'a Projet>,
}

/// A Typst file the documents import, with the user's model it comes from
/// (`None`: the built-in models).
type FichierTypst = (Arc<[u8]>, Option<Arc<DossierModele>>);

/// Documents typeset and written to their temporary files, not yet installed.
#[derive(Default)]
pub struct Lot {
    prepares: Vec<(String, output::Prepare, Sortie)>,
    /// PDF documents and their pages.
    pub documents: usize,
    pub pages: usize,
}

impl Fabrique<'_> {
    /// Typesets `docs` and writes each under `<dossier>/<nom>` to its
    /// temporary file, adding them to `lot`; the keys written, in order.
    pub fn preparer(
        &self,
        docs: Vec<DocumentSource>,
        dossier: &str,
        p: &Provenance,
        lot: &mut Lot,
    ) -> anyhow::Result<Vec<String>> {
        let mut cles = Vec::new();
        let images: Vec<(String, Arc<[u8]>)> = p
            .images
            .iter()
            .map(|i| (i.virtuel.clone(), Arc::clone(&i.octets)))
            .collect();
        let images_sha256: std::collections::BTreeMap<String, String> = p
            .images
            .iter()
            .map(|i| {
                (
                    self.dossier.cle_entree(&i.fichier),
                    manifest::sha256(&i.octets),
                )
            })
            .collect();
        // The last composition typeset (a convention, an avenant): its
        // annexes alone are its pages, exported again without new layout.
        let mut composition: Option<(String, &'static str, typeset::Compiled)> = None;
        // A composition laid out in pieces cuts its annexes as it goes:
        // here until their turn comes.
        let mut extraits: HashMap<String, typeset::Compiled> = HashMap::new();
        let parties: HashMap<String, (String, String)> = docs
            .iter()
            .filter_map(|d| {
                let p = d.partie_de.as_ref()?;
                Some((p.cle.clone(), (p.titre.clone(), d.ident.clone())))
            })
            .collect();
        // With `--typst`, the Typst files the documents import, written
        // under the convention's folder (see [`Fabrique::preparer_modele`]):
        // a user's model's always, the built-in library when the documents
        // may print a logo (that folder is then their root, see
        // [`Fabrique::preparer_joints`]).
        let mut du_modele: BTreeMap<String, FichierTypst> = BTreeMap::new();
        // The record of the lot's first document: what the files joined to
        // its sources (logos, fonts) are recorded as made from.
        let mut premier: Option<(Sortie, Option<Arc<DossierModele>>)> = None;
        for doc in docs {
            if self.typst {
                let fichiers: Vec<(String, Arc<[u8]>)> = match &doc.modele {
                    Some(m) => m.fichiers_typst(doc.template),
                    None if !p.images.is_empty() => crate::assets::gabarits_cites(doc.template)
                        .into_iter()
                        .filter(|n| n.ends_with(".typ"))
                        .filter_map(|n| {
                            Some((n.to_owned(), Arc::from(crate::assets::template(n)?)))
                        })
                        .collect(),
                    None => Vec::new(),
                };
                for (nom, octets) in fichiers {
                    du_modele
                        .entry(nom)
                        .or_insert_with(|| (octets, doc.modele.clone()));
                }
            }
            let cle = format!("{dossier}/{}", doc.fichier);
            // A place that cannot be written: refused before typesetting.
            self.dossier.controler(&cle)?;
            let extrait = match (&doc.partie_de, &composition) {
                (Some(p), _) if extraits.contains_key(&p.cle) => {
                    extraits.remove(&p.cle).map(|x| (x, doc.template))
                }
                (Some(p), Some((fichier, tpl, c))) if *fichier == p.composition => self
                    .ts
                    .extraire(c, &p.cle, &p.titre, &doc.ident)?
                    .map(|x| (x, *tpl)),
                _ => None,
            };
            // The template whose text the pages come from, for the manifest:
            // an extracted annex depends on its composition's.
            let (compile, template) = match extrait {
                Some(x) => x,
                None => match &doc.morceaux {
                    Some(m) => (
                        self.en_morceaux(&doc, m, &images, &parties, &mut extraits)?,
                        doc.template,
                    ),
                    None => {
                        let compile = self.ts.compile_images(
                            &doc.source,
                            &doc.ident,
                            doc.modele.as_deref(),
                            &images,
                        );
                        (self.apres_document)();
                        (compile?, doc.template)
                    }
                },
            };
            let gabarits_sha256 = match &doc.modele {
                None => manifest::empreinte_gabarit(template).map(str::to_owned),
                Some(m) => m.empreinte(template),
            }
            .unwrap_or_default();
            lot.pages += compile.pages;
            lot.documents += 1;
            let sortie = |bytes: &[u8], pages| Sortie {
                sha256: manifest::sha256(bytes),
                pages,
                source: p.source.to_owned(),
                source_sha256: p.sha256.to_owned(),
                annee: p.annee,
                gabarit: template.to_owned(),
                gabarits_sha256: gabarits_sha256.clone(),
                modele: doc
                    .modele
                    .as_ref()
                    .map(|m| self.dossier.cle_entree(m.racine())),
                images: images_sha256.clone(),
                projet: p
                    .projet
                    .map(|p| ProjetSource::de(self.dossier, &p.chemin, &p.sha256)),
                polices_sha256: manifest::empreinte_polices_modele(
                    &self.ctx.polices_sha256,
                    doc.modele.as_deref(),
                ),
                version: self.ctx.version.clone(),
                options: self.ctx.options.clone(),
                constat: None,
            };
            if self.typst {
                let typ = manifest::typ_de(&cle);
                let o = sortie(doc.source.as_bytes(), 0);
                let prepare = self.dossier.preparer(&typ, doc.source.as_bytes())?;
                cles.push(typ.clone());
                lot.prepares.push((typ, prepare, o));
            }
            let o = sortie(&compile.pdf, compile.pages);
            if premier.is_none() {
                premier = Some((o.clone(), doc.modele.clone()));
            }
            let prepare = self.dossier.preparer(&cle, &compile.pdf)?;
            cles.push(cle.clone());
            lot.prepares.push((cle, prepare, o));
            if doc.partie_de.is_none() {
                let mut compile = compile;
                compile.pdf = Vec::new();
                composition = Some((doc.fichier, template, compile));
            }
        }
        for (nom, (octets, m)) in du_modele {
            let cle = self.preparer_modele(dossier, &nom, &octets, m.as_deref(), &cles, p, lot)?;
            cles.push(cle);
        }
        if self.typst
            && let Some((base, modele)) = premier
        {
            self.preparer_joints(dossier, &base, modele.as_deref(), p, &mut cles, lot)?;
        }
        Ok(cles)
    }

    /// With `--typst`, writes beside the sources of `<dossier>` the files
    /// they read that are neither Typst nor convflux's own: the logos the
    /// documents may print, at `<dossier>/logos/…` (the sources read them at
    /// `/logos/bailleur.png`…, the same text the embedded compiler read: the
    /// convention's folder is their Typst root, so two conventions never
    /// share a logo's name), and the fonts of a user's model with their
    /// licence at `<dossier>/polices/…` (for `typst compile --font-path`).
    /// Each is recorded as made from the lot's first document (`base`): a
    /// changed logo or font makes that document, and so them, out of date.
    fn preparer_joints(
        &self,
        dossier: &str,
        base: &Sortie,
        modele: Option<&DossierModele>,
        p: &Provenance,
        cles: &mut Vec<String>,
        lot: &mut Lot,
    ) -> anyhow::Result<()> {
        let mut joints: BTreeMap<String, Arc<[u8]>> = BTreeMap::new();
        for i in p.images {
            let nom = i.virtuel.trim_start_matches('/');
            joints.insert(format!("{dossier}/{nom}"), Arc::clone(&i.octets));
        }
        if let Some(m) = modele {
            for (nom, octets) in m.polices().iter().chain(m.licences()) {
                joints.insert(format!("{dossier}/{nom}"), Arc::clone(octets));
            }
        }
        for (cle, octets) in joints {
            let o = Sortie {
                sha256: manifest::sha256(&octets),
                pages: 0,
                constat: None,
                ..base.clone()
            };
            self.preparer_fichier(&cle, &octets, o, cles, lot)?;
            cles.push(cle);
        }
        Ok(())
    }

    /// Lays a composition with many annexes out in pieces (its body, then
    /// its annexes a few at a time, `render::Morceaux`), so that memory holds
    /// one piece at a time; cuts each piece's annexes into `extraits` (their
    /// title and identifier from `parties`, by key) and assembles the
    /// pages into the whole document. A model whose body still prints its
    /// annexes (it ignores `document.annexes_a_part`) gives the whole
    /// composition at once: it is used as such.
    fn en_morceaux(
        &self,
        doc: &DocumentSource,
        m: &Morceaux,
        images: &[(String, Arc<[u8]>)],
        parties: &HashMap<String, (String, String)>,
        extraits: &mut HashMap<String, typeset::Compiled>,
    ) -> Result<typeset::Compiled, typeset::TypesetError> {
        let modele = doc.modele.as_deref();
        let corps = self.ts.disposer_images(&m.corps, modele, images);
        (self.apres_document)();
        let corps = corps?;
        if !typeset::parties(&corps.document).is_empty() {
            return self.ts.assembler(&[&corps], &doc.ident);
        }
        let mut pieces = vec![corps];
        for source in &m.annexes {
            let piece = self.ts.disposer_images(source, modele, images);
            (self.apres_document)();
            let piece = piece?;
            for cle in typeset::parties(&piece.document).into_keys() {
                if let Some((titre, ident)) = parties.get(&cle)
                    && let Some(x) = self.ts.extraire(&piece, &cle, titre, ident)?
                {
                    extraits.insert(cle, x);
                }
            }
            pieces.push(piece);
        }
        let pieces: Vec<&typeset::Compiled> = pieces.iter().collect();
        self.ts.assembler(&pieces, &doc.ident)
    }

    /// Writes one Typst file of a user's model (`m`), or of the built-in
    /// models (`None`), at `<dossier>/<nom>` (with `--typst`): the
    /// convention's folder is then a Typst project by itself, whose
    /// `#import "/lib/convflux.typ"` reads the model's library, not the
    /// built-in one of `<sortie>/lib/`. Refused as [`Fabrique::preparer_fichier`] refuses.
    #[allow(clippy::too_many_arguments)]
    fn preparer_modele(
        &self,
        dossier: &str,
        nom: &str,
        octets: &[u8],
        m: Option<&DossierModele>,
        documents: &[String],
        p: &Provenance,
        lot: &mut Lot,
    ) -> anyhow::Result<String> {
        let cle = format!("{dossier}/{nom}");
        if documents.contains(&cle) {
            let modele = match m {
                Some(m) => format!("du modèle {}", m.racine().display()),
                None => "des modèles intégrés".to_owned(),
            };
            anyhow::bail!(
                "{} : le fichier Typst « {nom} » {modele} porte le nom d'un document de la convention ; \
                 attendu : un nom de fichier du modèle qui n'est pas celui d'un document (placez-le sous lib/)",
                self.affichable(&cle),
            );
        }
        let o = Sortie {
            sha256: manifest::sha256(octets),
            pages: 0,
            source: p.source.to_owned(),
            source_sha256: p.sha256.to_owned(),
            annee: p.annee,
            gabarit: nom.to_owned(),
            gabarits_sha256: match m {
                Some(m) => m.empreinte(nom),
                None => manifest::empreinte_gabarit(nom).map(str::to_owned),
            }
            .unwrap_or_default(),
            modele: m.map(|m| self.dossier.cle_entree(m.racine())),
            images: BTreeMap::new(),
            projet: p
                .projet
                .map(|p| ProjetSource::de(self.dossier, &p.chemin, &p.sha256)),
            polices_sha256: manifest::empreinte_polices_modele(&self.ctx.polices_sha256, m),
            version: self.ctx.version.clone(),
            options: self.ctx.options.clone(),
            constat: None,
        };
        self.preparer_fichier(&cle, octets, o, documents, lot)?;
        Ok(cle)
    }

    /// The path of `cle` as printed.
    fn affichable(&self, cle: &str) -> String {
        diagnostic::affichable(&self.dossier.racine().join(cle).display().to_string()).into_owned()
    }

    /// Writes a file joined to the sources (`--typst`) at `cle`, recorded
    /// as `o` says. Refused when it would take the place of a document of the
    /// lot (`documents`); a file convflux did not write is never replaced
    /// ([`output::Dossier`], as for every output).
    fn preparer_fichier(
        &self,
        cle: &str,
        octets: &[u8],
        o: Sortie,
        documents: &[String],
        lot: &mut Lot,
    ) -> anyhow::Result<()> {
        if documents.iter().any(|d| d == cle) {
            anyhow::bail!(
                "{} : ce nom est déjà celui d'un autre fichier de la convention ; convflux n'y écrit pas",
                self.affichable(cle)
            );
        }
        self.dossier.controler(cle)?;
        let prepare = self.dossier.preparer(cle, octets)?;
        lot.prepares.push((cle.to_owned(), prepare, o));
        Ok(())
    }
}

impl Lot {
    /// Installs every prepared file under its name; the manifest records.
    pub fn installer(self) -> Result<Vec<(String, Sortie)>, output::OutputError> {
        let mut sorties = Vec::with_capacity(self.prepares.len());
        for (cle, prepare, mut o) in self.prepares {
            o.constat = prepare.installer_constate()?;
            sorties.push((cle, o));
        }
        Ok(sorties)
    }
}

/// After a run without `--typst`: removes the library [`ecrire_bibliotheque`]
/// wrote at `<sortie>/lib/` once no source the manifest records is left to
/// import it (`--force` replaced them all by PDFs alone), each file only if
/// it is still what convflux wrote. Whether the manifest changed.
pub fn retirer_bibliotheque_orpheline(
    dossier: &output::Dossier,
    m: &mut manifest::Manifeste,
) -> bool {
    let prefixe = format!("{}/", output::BIBLIOTHEQUE);
    if m.sorties
        .keys()
        .any(|k| k.ends_with(".typ") && !k.starts_with(&prefixe))
    {
        return false;
    }
    let cles: Vec<String> = m
        .sorties
        .keys()
        .filter(|k| k.starts_with(&prefixe))
        .cloned()
        .collect();
    for k in &cles {
        if let Some(o) = m.sorties.remove(k) {
            dossier.supprimer(k, &o.sha256);
        }
    }
    !cles.is_empty()
}

/// With `--typst`: writes the Typst library the sources import
/// (`#import "/lib/convflux.typ"`) at `<sortie>/lib/`, so that
/// `typst compile --root <sortie> <sortie>/<annee>/<convention>/convention.typ`
/// compiles them as they are. The sources themselves are not changed (the
/// embedded compiler reads the same text, the PDFs keep their bytes). A file
/// already there with the same bytes is left alone. Gives the records for the
/// manifest; the files belong to no source.
pub fn ecrire_bibliotheque(
    dossier: &output::Dossier,
    ctx: &Contexte,
) -> Result<Vec<(String, Sortie)>, output::OutputError> {
    let prefixe = format!("{}/", output::BIBLIOTHEQUE);
    let mut sorties = Vec::new();
    for (chemin, bytes) in crate::assets::templates().filter(|(t, _)| t.starts_with(&prefixe)) {
        let sha256 = manifest::sha256(bytes);
        if dossier.empreinte(chemin).as_deref() != Some(sha256.as_str()) {
            dossier.ecrire(chemin, bytes)?;
        }
        sorties.push((
            chemin.to_owned(),
            Sortie {
                sha256,
                pages: 0,
                source: String::new(),
                source_sha256: String::new(),
                annee: 0,
                gabarit: chemin.to_owned(),
                gabarits_sha256: manifest::empreinte_gabarit(chemin)
                    .unwrap_or_default()
                    .to_owned(),
                modele: None,
                images: Default::default(),
                projet: None,
                polices_sha256: ctx.polices_sha256.clone(),
                version: ctx.version.clone(),
                options: ctx.options.clone(),
                constat: None,
            },
        ));
    }
    Ok(sorties)
}

/// Removes the files of an earlier run that the exercises just produced no
/// longer produce (an annex whose réservataire left, a Typst source without
/// `--typst`), when they are still exactly what convflux wrote.
pub fn retirer_anciennes(
    dossier: &output::Dossier,
    anciennes: &[(String, Sortie)],
    sorties: &[(String, Sortie)],
) {
    let nouvelles: std::collections::HashSet<&str> =
        sorties.iter().map(|(k, _)| k.as_str()).collect();
    for (cle, o) in anciennes {
        if !nouvelles.contains(cle.as_str()) {
            dossier.supprimer(cle, &o.sha256);
        }
    }
}
