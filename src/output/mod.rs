//! Stage 6, `output`: bytes → files inside the output folder, atomically, and
//! only files convflux can prove are its own.
//!
//! The output folder's contents may be someone else's or hostile (a manifest
//! left by another run, links planted in it). So:
//!
//! - A run takes the folder with an OS advisory lock on `.convflux.verrou`
//!   ([`Dossier::prendre`]): a second run on the same folder stops with a
//!   French message naming the process that holds it; the OS drops the lock of
//!   a killed run, so a stale lock never blocks.
//! - Every output is named by a key relative to the folder (`2024/c/x.pdf`)
//!   made only of plain names: no `..`, no absolute path, and every folder on
//!   the way is a real folder, never a link (which could lead out).
//! - A file is written to a temporary file in the same folder
//!   (`.<name>.<run>-<n>.tmp`, created exclusively), flushed, then renamed
//!   over the target: a crash or a `kill -9` leaves either the previous good
//!   file or the new one. An output never replaces a link, a folder, a device,
//!   or one of the command's input files.
//! - The temporary files a killed run left are removed by the next run, and
//!   only those: their names carry the killed run's id, read from the lock
//!   file, and only the folders convflux writes are looked at.
//! - A file is deleted ([`Dossier::supprimer`]) only when it is a regular file
//!   at a valid key, of a type convflux writes, and still has the hash
//!   convflux recorded when it wrote it.

pub mod manifest;

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::input;
use crate::modeles::dossier as modele_dossier;

/// How the manifest names an input file (a source YAML, its project file, a
/// logo): its path from the output folder `sortie` (as resolved by the file
/// system; `None` if it could not be), the file resolved too, with `/`
/// separators. So `generer data` and `generer /home/…/projet/data`, run
/// from anywhere, find the same records, and a project moved or renamed whole
/// keeps them. A file that cannot be resolved, or that no relative path
/// reaches, keeps its path as given ([`input::normaliser`]).
pub fn cle_entree(sortie: Option<&Path>, fichier: &Path) -> String {
    let relatif = sortie.and_then(|s| {
        let f = fs::canonicalize(fichier).ok()?;
        pathdiff::diff_paths(f, s)
    });
    let p = relatif.unwrap_or_else(|| input::normaliser(fichier));
    let cle = p.display().to_string();
    if cfg!(windows) {
        cle.replace('\\', "/")
    } else {
        cle
    }
}

/// The path of the input file the manifest names `cle` ([`cle_entree`]).
pub fn entree(sortie: Option<&Path>, cle: &str) -> PathBuf {
    match sortie {
        Some(s) if Path::new(cle).is_relative() => s.join(cle),
        _ => PathBuf::from(cle),
    }
}

/// The lock file of an output folder.
pub const VERROU: &str = ".convflux.verrou";

/// Folder of the Typst library under the output folder (`--typst`), named as
/// under `templates/` so the sources' `#import "/lib/convflux.typ"` resolves.
pub const BIBLIOTHEQUE: &str = "lib";

/// How deep convflux writes under the output folder: `<annee>/<convention>/`
/// and a model's Typst files below it (`lib/…`, see `pipeline::Fabrique`).
const PROFONDEUR_MAX: usize = 10;

/// The file types convflux writes into an output folder, and so may delete.
const EXTENSIONS: &[&str] = &["pdf", "typ"];

/// Folder of a convention's logos under its output folder (`--typst`), as
/// the sources read them (`/logos/bailleur.png`, the convention's folder
/// being their Typst root).
pub const LOGOS: &str = "logos";
/// The image types written under a [`LOGOS`] folder (the formats a logo may
/// have), and only there.
const EXTENSIONS_LOGOS: &[&str] = &["png", "jpg", "jpeg", "svg"];

/// Folder of a copied model's fonts under a convention's output folder
/// (`--typst`), beside the model's Typst files: named as in the model.
pub use crate::modeles::dossier::POLICES;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("impossible d'écrire {} : {}", .chemin.display(), input::io_fr(.source))]
    Ecriture {
        chemin: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "le dossier de sortie {} est déjà utilisé par une autre exécution de convflux{} : \
         attendez qu'elle se termine, ou choisissez un autre dossier (--sortie)",
        .dossier.display(),
        .processus.map(|p| format!(" (processus {p})")).unwrap_or_default()
    )]
    Occupe {
        dossier: PathBuf,
        processus: Option<u32>,
    },
    #[error("{} : {raison} ; convflux n'y écrit pas", .chemin.display())]
    Refus { chemin: PathBuf, raison: String },
}

fn refus(chemin: &Path, raison: impl Into<String>) -> OutputError {
    OutputError::Refus {
        chemin: chemin.to_path_buf(),
        raison: raison.into(),
    }
}

/// Whether `cle` names a file inside an output folder by plain names only
/// (`2024/c/convention.pdf`): not empty, relative, no `.` or `..`.
pub fn cle_valide(cle: &str) -> bool {
    let p = Path::new(cle);
    !cle.is_empty()
        && !cle.contains('\\')
        && !cle.contains('\0')
        && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Whether `cle` is a valid key of a file type convflux writes (so may
/// delete), in a folder it writes (a year's, the library's): a PDF or a
/// Typst file anywhere there; an image only in a [`LOGOS`]
/// folder; a font or a licence file only in a [`POLICES`] folder. An image
/// or a text file of someone else's elsewhere is never one of them.
pub fn cle_produite(cle: &str) -> bool {
    if !cle_valide(cle) {
        return false;
    }
    // Only in the folders convflux writes: a year's (`2024/…`) or the
    // library's (`lib/…`), as [`nettoyer_temporaires`] looks at.
    let premier = cle.split('/').next().unwrap_or_default();
    let dossier_ecrit = premier == BIBLIOTHEQUE
        || !premier.is_empty() && premier.bytes().all(|b| b.is_ascii_digit());
    if !dossier_ecrit || !cle.contains('/') {
        return false;
    }
    let p = Path::new(cle);
    let nom = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let extension = nom.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    let dossier = p
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|d| d.to_str());
    let exacte = p.extension().and_then(|e| e.to_str());
    exacte.is_some_and(|e| EXTENSIONS.contains(&e))
        || dossier == Some(LOGOS) && EXTENSIONS_LOGOS.contains(&extension)
        || dossier == Some(POLICES) && modele_dossier::police_ou_licence(&nom)
}

/// An output folder taken by this run.
#[derive(Debug)]
pub struct Dossier {
    racine: PathBuf,
    /// `racine` resolved by the file system, from which the manifest names
    /// the input files ([`cle_entree`]); `None` if it could not be resolved.
    canonique: Option<PathBuf>,
    /// This run's id, in the names of its temporary files.
    execution: String,
    /// Identities of the command's input files, never overwritten; taken
    /// again by [`Dossier::renouveler_entrees`] (a file deleted and written
    /// anew gets a new inode, and its old one may go to an output).
    entrees: std::sync::RwLock<HashSet<(u64, u64)>>,
    /// What the manifest records of each output (key → SHA-256): an existing
    /// file is replaced only if it still has the hash recorded when convflux
    /// wrote it (or already has the new bytes). Read when the folder is
    /// taken, renewed each time the manifest is written.
    ecrits: std::sync::RwLock<std::collections::HashMap<String, String>>,
    /// The locked lock file (the main process of a run holds it).
    _verrou: Option<File>,
}

impl Dossier {
    /// Takes `racine` for this run: creates it, locks it, removes the
    /// temporary files of the previous run if it was killed. `entrees` are the
    /// command's input files.
    pub fn prendre(racine: &Path, entrees: &[PathBuf]) -> Result<Dossier, OutputError> {
        let err = |source| OutputError::Ecriture {
            chemin: racine.to_path_buf(),
            source,
        };
        match fs::metadata(racine) {
            Ok(m) if !m.is_dir() => return Err(refus(racine, "ce n'est pas un dossier")),
            Err(_) if fs::symlink_metadata(racine).is_ok() => {
                return Err(refus(racine, "c'est un lien qui ne mène à aucun dossier"));
            }
            _ => {}
        }
        fs::create_dir_all(racine).map_err(err)?;
        if !fs::metadata(racine).map_err(err)?.is_dir() {
            return Err(refus(racine, "ce n'est pas un dossier"));
        }
        let chemin = racine.join(VERROU);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Never through a link, never blocking on a FIFO.
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let mut f = options
            .open(&chemin)
            .map_err(|source| OutputError::Ecriture {
                chemin: chemin.clone(),
                source,
            })?;
        if !f.metadata().map_err(err)?.is_file() {
            return Err(refus(&chemin, "ce n'est pas un fichier ordinaire"));
        }
        let precedent = lire_verrou(&mut f);
        match f.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(OutputError::Occupe {
                    dossier: racine.to_path_buf(),
                    processus: precedent.and_then(|(_, pid)| pid),
                });
            }
            Err(fs::TryLockError::Error(source)) => {
                return Err(OutputError::Ecriture { chemin, source });
            }
        }
        // Read again under the lock: the run before may have just finished.
        if let Some((id, _)) = lire_verrou(&mut f) {
            nettoyer_temporaires(racine, &id);
        }
        let execution = nouvel_identifiant();
        let contenu = format!("execution={execution}\nprocessus={}\n", std::process::id());
        (|| {
            f.set_len(0)?;
            f.rewind()?;
            f.write_all(contenu.as_bytes())
        })()
        .map_err(|source| OutputError::Ecriture {
            chemin: chemin.clone(),
            source,
        })?;
        heriter(&f);
        let dossier = Dossier {
            racine: racine.to_path_buf(),
            canonique: fs::canonicalize(racine).ok(),
            execution,
            entrees: std::sync::RwLock::new(identites(entrees)),
            ecrits: Default::default(),
            _verrou: Some(f),
        };
        // Every run that writes rewrites the manifest at the end: a link or a
        // folder in its place is someone else's, refused before any work;
        // so is a file convflux cannot read as its manifest.
        dossier.controler(manifest::NOM)?;
        let ecrits = manifest::sorties_ecrites(racine)
            .map_err(|raison| refus(&racine.join(manifest::NOM), raison))?;
        dossier.connaitre(ecrits);
        Ok(dossier)
    }

    /// The command's input files as they are now (`surveiller`, before each
    /// regeneration).
    pub fn renouveler_entrees(&self, entrees: &[PathBuf]) {
        *self
            .entrees
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = identites(entrees);
    }

    /// What the manifest now records of each output (key → SHA-256): the
    /// files convflux may replace ([`Dossier::ecrits`]).
    pub fn connaitre(&self, ecrits: std::collections::HashMap<String, String>) {
        *self
            .ecrits
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = ecrits;
    }

    /// The folder as taken by the main process of run `execution`, for one of
    /// its worker processes (which does not lock it again).
    pub fn rejoindre(racine: &Path, execution: &str, entrees: &[PathBuf]) -> Dossier {
        let dossier = Dossier {
            racine: racine.to_path_buf(),
            canonique: fs::canonicalize(racine).ok(),
            execution: execution.to_owned(),
            entrees: std::sync::RwLock::new(identites(entrees)),
            ecrits: Default::default(),
            _verrou: None,
        };
        // The main process refused the run if the manifest was not one.
        dossier.connaitre(manifest::sorties_ecrites(racine).unwrap_or_default());
        dossier
    }

    pub fn racine(&self) -> &Path {
        &self.racine
    }

    /// How the manifest names the input file `fichier` ([`cle_entree`]).
    pub fn cle_entree(&self, fichier: &Path) -> String {
        cle_entree(self.canonique.as_deref(), fichier)
    }

    /// The input file the manifest names `cle` ([`cle_entree`]), to read it again.
    pub fn entree(&self, cle: &str) -> PathBuf {
        entree(self.canonique.as_deref(), cle)
    }

    /// This run's id (passed to worker processes).
    pub fn execution(&self) -> &str {
        &self.execution
    }

    /// The path of `cle` when every folder on the way is a real folder inside
    /// the output folder (or does not exist yet); `None` otherwise.
    pub fn chemin(&self, cle: &str) -> Option<PathBuf> {
        if !cle_valide(cle) {
            return None;
        }
        let mut p = self.racine.clone();
        let composants: Vec<_> = Path::new(cle).components().collect();
        let (dernier, dossiers) = composants.split_last()?;
        for c in dossiers {
            p.push(c);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return None,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(_) => return None,
            }
        }
        p.push(dernier);
        Some(p)
    }

    /// SHA-256 of the regular file at `cle` (never through a link), if any.
    pub fn empreinte(&self, cle: &str) -> Option<String> {
        let p = self.chemin(cle)?;
        if !fs::symlink_metadata(&p).ok()?.is_file() {
            return None;
        }
        sha256_fichier(&p)
    }

    /// Whether the regular file at `cle` (never through a link) is the one
    /// whose hash is `sha256`. When convflux recorded the file's [`Constat`]
    /// as it installed it and the file system still says the same, the
    /// file is not read again: nothing can write, replace or re-date a file
    /// without changing its change time (`ctime`), which no user can set.
    /// Only the decision that an output is up to date takes this shortcut;
    /// replacing or deleting a file always hashes it.
    pub fn intact(&self, cle: &str, sha256: &str, constat: Option<&Constat>) -> bool {
        let Some(p) = self.chemin(cle) else {
            return false;
        };
        let Ok(m) = fs::symlink_metadata(&p) else {
            return false;
        };
        if !m.is_file() {
            return false;
        }
        if constat.is_some_and(|c| Constat::de(&m).as_ref() == Some(c)) {
            return true;
        }
        sha256_fichier(&p).is_some_and(|h| h == sha256)
    }

    /// What the file system says now of the regular file at `cle`.
    pub fn constat(&self, cle: &str) -> Option<Constat> {
        let m = fs::symlink_metadata(self.chemin(cle)?).ok()?;
        if m.is_file() { Constat::de(&m) } else { None }
    }

    /// Whether [`Dossier::ecrire`] may write at `cle`, checked before any
    /// work so that a refused document leaves its siblings untouched too.
    pub fn controler(&self, cle: &str) -> Result<(), OutputError> {
        let p = self
            .chemin(cle)
            .ok_or_else(|| refus(&self.racine.join(cle), "chemin hors du dossier de sortie"))?;
        self.verifier_cible(&p)
    }

    /// Writes `bytes` at `cle` atomically.
    pub fn ecrire(&self, cle: &str, bytes: &[u8]) -> Result<(), OutputError> {
        self.ecrire_avec(cle, |w| w.write_all(bytes))
    }

    /// Like [`Dossier::ecrire`], for content produced as it goes.
    pub fn ecrire_avec(
        &self,
        cle: &str,
        ecrire: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        self.preparer_avec(cle, ecrire)?.installer()
    }

    /// The first half of [`Dossier::ecrire`]: `bytes` written and flushed to a
    /// temporary file beside `cle`, installed under its name by
    /// [`Prepare::installer`] (or removed if dropped). A batch of documents
    /// is thus written as each is finished, holding none in memory, and
    /// installed all together or not at all.
    pub fn preparer(&self, cle: &str, bytes: &[u8]) -> Result<Prepare, OutputError> {
        self.preparer_avec(cle, |w| w.write_all(bytes))
    }

    fn preparer_avec(
        &self,
        cle: &str,
        ecrire: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<Prepare, OutputError> {
        let hors = || refus(&self.racine.join(cle), "chemin hors du dossier de sortie");
        let p = self.chemin(cle).ok_or_else(hors)?;
        // Create the folders one by one, checking each is a real one.
        let mut d = self.racine.clone();
        let composants: Vec<_> = Path::new(cle).components().collect();
        for c in &composants[..composants.len() - 1] {
            d.push(c);
            match fs::create_dir(&d) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(source) => return Err(OutputError::Ecriture { chemin: d, source }),
            }
            if !fs::symlink_metadata(&d).is_ok_and(|m| m.is_dir()) {
                return Err(hors());
            }
        }
        self.verifier_cible(&p)?;
        let a_comparer = self.a_comparer(cle, &p)?;
        let prepare = preparer(&p, &self.execution, ecrire)?;
        if let Some(actuel) = a_comparer
            && sha256_fichier(&prepare.tmp).as_deref() != Some(actuel.as_str())
        {
            return Err(refus(
                &p,
                "ce fichier n'est pas celui que convflux a écrit, ou convflux ne peut pas \
                 prouver l'avoir écrit tel quel (absent du manifeste, ou modifié depuis, par \
                 exemple signé) : déplacez-le ou supprimez-le pour le régénérer",
            ));
        }
        Ok(prepare)
    }

    /// Whether the file at `cle` (path `p`) may be replaced: `None` when
    /// there is none, or when it still has the hash the manifest recorded
    /// as convflux wrote it; otherwise its hash, which the new bytes must
    /// have (the same document again, as after a run killed before it
    /// recorded its work). The manifest itself is checked when the folder
    /// is taken ([`Dossier::prendre`]).
    fn a_comparer(&self, cle: &str, p: &Path) -> Result<Option<String>, OutputError> {
        if cle == manifest::NOM || !fs::symlink_metadata(p).is_ok_and(|m| m.is_file()) {
            return Ok(None);
        }
        let actuel = sha256_fichier(p)
            .ok_or_else(|| refus(p, "fichier existant illisible : il n'est pas remplacé"))?;
        let note = self
            .ecrits
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(cle)
            .is_some_and(|h| *h == actuel);
        Ok((!note).then_some(actuel))
    }

    /// An output may replace only a regular file that is not an input.
    fn verifier_cible(&self, p: &Path) -> Result<(), OutputError> {
        match fs::symlink_metadata(p) {
            Err(_) => Ok(()),
            Ok(m) if !m.is_file() => Err(refus(
                p,
                "un élément qui n'est pas un fichier ordinaire (lien, dossier, périphérique…) \
                 occupe la place de ce document",
            )),
            Ok(_)
                if input::identite(p).is_some_and(|id| {
                    self.entrees
                        .read()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .contains(&id)
                }) =>
            {
                Err(refus(p, "c'est un fichier d'entrée de la commande"))
            }
            Ok(_) => Ok(()),
        }
    }

    /// Deletes the file at `cle` if convflux can prove it wrote it: a regular
    /// file of a type it writes, not an input, whose hash is still `sha256`.
    /// Whether it was deleted.
    pub fn supprimer(&self, cle: &str, sha256: &str) -> bool {
        if !cle_produite(cle) {
            return false;
        }
        let Some(p) = self.chemin(cle) else {
            return false;
        };
        if self.verifier_cible(&p).is_err() || self.empreinte(cle).as_deref() != Some(sha256) {
            return false;
        }
        if fs::remove_file(&p).is_err() {
            return false;
        }
        // The folders of the key it leaves empty go too, as git does, down
        // to a convention's own (`2024/c/logos/`, `2024/c/`) and the
        // library's (`lib/`, written by the main process alone): `remove_dir`
        // removes only an empty folder, so nothing of anyone else's. A
        // year's folder and the root stay: other conventions' writers of
        // this run may be creating their folders in them.
        for dossier in Path::new(cle).ancestors().skip(1) {
            let a_soi = dossier.components().count() >= 2 || dossier == Path::new(BIBLIOTHEQUE);
            if !a_soi || fs::remove_dir(self.racine.join(dossier)).is_err() {
                break;
            }
        }
        true
    }
}

/// Lets the worker processes this run starts inherit the locked file: the
/// OS keeps the lock while any of them lives, so even if the main process is
/// killed, no other run takes the folder before its workers have ended.
fn heriter(f: &File) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `fcntl(F_SETFD)` on a descriptor this `File` owns and keeps
        // open; it only clears the close-on-exec flag.
        unsafe {
            libc::fcntl(f.as_raw_fd(), libc::F_SETFD, 0);
        }
    }
    #[cfg(not(unix))]
    let _ = f;
}

/// Identities of files (device, inode).
fn identites(chemins: &[PathBuf]) -> HashSet<(u64, u64)> {
    chemins.iter().filter_map(|c| input::identite(c)).collect()
}

/// The run id and process recorded in a lock file, when it is ours.
fn lire_verrou(f: &mut File) -> Option<(String, Option<u32>)> {
    let mut texte = String::new();
    f.rewind().ok()?;
    f.take(256).read_to_string(&mut texte).ok()?;
    let mut id = None;
    let mut pid = None;
    for l in texte.lines() {
        if let Some(v) = l.strip_prefix("execution=") {
            id = Some(v.to_owned()).filter(|v| est_identifiant(v));
        } else if let Some(v) = l.strip_prefix("processus=") {
            pid = v.parse().ok();
        }
    }
    Some((id?, pid))
}

/// A run id: 16 lowercase hex digits.
fn est_identifiant(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A new run id, unique enough for temporary file names (process, time).
fn nouvel_identifiant() -> String {
    let mut h = Sha256::new();
    h.update(std::process::id().to_le_bytes());
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(t.as_nanos().to_le_bytes());
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `nom` is a temporary file of run `execution`:
/// `.<name>.<execution>-<n>.tmp`.
fn est_temporaire(nom: &str, execution: &str) -> bool {
    let Some(reste) = nom.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((avant, n)) = reste.rsplit_once('-') else {
        return false;
    };
    !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
        && avant
            .strip_suffix(execution)
            .and_then(|a| a.strip_suffix('.'))
            .is_some_and(|a| !a.is_empty())
}

/// Removes the temporary files of run `execution` in the folders convflux
/// writes: the root (manifest), `<annee>/` (reports), `<annee>/<convention>/`
/// and the folders under it of the files joined to the sources with
/// `--typst` (a library's `lib/`, `logos/`, a model's `polices/`), `lib/`
/// (the Typst library written with `--typst`).
fn nettoyer_temporaires(racine: &Path, execution: &str) {
    let walker = walkdir::WalkDir::new(racine)
        .max_depth(PROFONDEUR_MAX)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            e.depth() != 1
                || !e.file_type().is_dir()
                || e.file_name().to_str().is_some_and(|n| {
                    n == BIBLIOTHEQUE || !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
                })
        });
    for e in walker.flatten() {
        if e.file_type().is_file()
            && e.file_name()
                .to_str()
                .is_some_and(|n| est_temporaire(n, execution))
        {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// What the file system says of a file without reading it, as git's index
/// keeps it: size, modification and change times (to the nanosecond),
/// inode and device. Recorded by the manifest once convflux has installed
/// an output; any later write, replacement or `touch` changes the change
/// time. Unix only: elsewhere there is none and outputs are always hashed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constat {
    pub taille: u64,
    pub modifie: (i64, i64),
    pub change: (i64, i64),
    pub inode: u64,
    pub peripherique: u64,
}

impl Constat {
    #[cfg(unix)]
    pub(crate) fn de(m: &fs::Metadata) -> Option<Constat> {
        use std::os::unix::fs::MetadataExt;
        Some(Constat {
            taille: m.len(),
            modifie: (m.mtime(), m.mtime_nsec()),
            change: (m.ctime(), m.ctime_nsec()),
            inode: m.ino(),
            peripherique: m.dev(),
        })
    }

    #[cfg(not(unix))]
    pub(crate) fn de(_: &fs::Metadata) -> Option<Constat> {
        None
    }
}

/// A file written to its temporary name, waiting to be installed.
#[derive(Debug)]
pub struct Prepare {
    tmp: PathBuf,
    cible: PathBuf,
}

impl Prepare {
    /// Renames the temporary file over the target, durably.
    pub fn installer(self) -> Result<(), OutputError> {
        let r = fs::rename(&self.tmp, &self.cible);
        if r.is_ok() {
            // Make the rename itself durable.
            if let Some(d) = self.cible.parent()
                && let Ok(d) = File::open(d)
            {
                let _ = d.sync_all();
            }
        }
        r.map_err(|source| OutputError::Ecriture {
            chemin: self.cible.clone(),
            source,
        })
    }
}

impl Prepare {
    /// [`Prepare::installer`], then what the file system says of the file
    /// installed ([`Constat`]), for the manifest.
    pub fn installer_constate(self) -> Result<Option<Constat>, OutputError> {
        let cible = self.cible.clone();
        self.installer()?;
        Ok(fs::symlink_metadata(&cible)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| Constat::de(&m)))
    }
}

impl Drop for Prepare {
    /// A prepared file never installed (an error elsewhere) is removed.
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

/// Writes through a temporary file next to `chemin` (created exclusively),
/// flushed to disk: [`Prepare::installer`] then renames it over `chemin`.
fn preparer(
    chemin: &Path,
    execution: &str,
    ecrire: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<Prepare, OutputError> {
    // Two writers in one process never share a temporary file.
    static COMPTEUR: AtomicU64 = AtomicU64::new(0);
    let dossier = chemin.parent().unwrap_or(Path::new("."));
    let nom = chemin
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("sortie");
    let tmp = dossier.join(format!(
        ".{nom}.{execution}-{}.tmp",
        COMPTEUR.fetch_add(1, Ordering::Relaxed)
    ));
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|source| OutputError::Ecriture {
            chemin: chemin.to_path_buf(),
            source,
        })?;
    // From here on, dropping `prepare` removes the temporary file.
    let prepare = Prepare {
        tmp,
        cible: chemin.to_path_buf(),
    };
    (|| {
        let mut f = BufWriter::with_capacity(1 << 16, f);
        ecrire(&mut f)?;
        let f = f.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()
    })()
    .map_err(|source| OutputError::Ecriture {
        chemin: chemin.to_path_buf(),
        source,
    })?;
    Ok(prepare)
}

/// Writes through a temporary file next to `chemin`, then renames it.
fn ecrire_atomique(
    chemin: &Path,
    execution: &str,
    ecrire: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), OutputError> {
    preparer(chemin, execution, ecrire)?.installer()
}

/// Writes a file the user named outside the output folder (`rapport --xlsx`):
/// it must end in `.<extension>`, and may replace only a regular file (not a
/// link) that is not an input and already starts with `signature` (the same
/// kind of file, written before).
pub fn ecrire_fichier_nomme(
    chemin: &Path,
    extension: &str,
    signature: &[u8],
    entrees: &[PathBuf],
    bytes: &[u8],
) -> Result<(), OutputError> {
    controler_fichier_nomme(chemin, extension, signature, entrees)?;
    ecrire_atomique(chemin, &nouvel_identifiant(), |w| w.write_all(bytes))
}

/// The checks of [`ecrire_fichier_nomme`], to run before any work.
pub fn controler_fichier_nomme(
    chemin: &Path,
    extension: &str,
    signature: &[u8],
    entrees: &[PathBuf],
) -> Result<(), OutputError> {
    if chemin.extension().and_then(|e| e.to_str()) != Some(extension) {
        return Err(refus(
            chemin,
            format!("le nom doit se terminer par « .{extension} »"),
        ));
    }
    let parent = chemin
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !fs::metadata(parent).is_ok_and(|m| m.is_dir()) {
        return Err(refus(
            chemin,
            format!("le dossier {} n'existe pas", parent.display()),
        ));
    }
    match fs::symlink_metadata(chemin) {
        Err(_) => {}
        Ok(m) if !m.is_file() => {
            return Err(refus(chemin, "ce n'est pas un fichier ordinaire"));
        }
        Ok(_) => {
            if input::identite(chemin).is_some_and(|id| identites(entrees).contains(&id)) {
                return Err(refus(chemin, "c'est un fichier d'entrée de la commande"));
            }
            let mut debut = vec![0; signature.len()];
            let lu = input::ouvrir(chemin)
                .ok()
                .and_then(|mut f| f.read_exact(&mut debut).ok());
            if lu.is_none() || debut != signature {
                return Err(refus(
                    chemin,
                    format!("ce fichier existe et n'est pas un fichier .{extension}"),
                ));
            }
        }
    }
    Ok(())
}

/// SHA-256 of a regular file's bytes, read in blocks; `None` if it cannot be
/// read (or is not a regular file: a FIFO or a device is never read).
pub fn sha256_fichier(chemin: &Path) -> Option<String> {
    let mut f = input::ouvrir(chemin).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    )
}

/// Writes `fichiers` (`(key, bytes)`, keys of plain names) as the new folder
/// `cible`, all at once (`modele copier`): refused if `cible` is a link, not a
/// folder, or a folder that is not empty. The files are written (created
/// exclusively, never through a link, flushed) into a fresh hidden folder
/// beside `cible`, which is then renamed to `cible` (replacing it if it is an
/// empty folder): a crash leaves no half copy under the name asked for.
pub fn creer_dossier(cible: &Path, fichiers: &[(String, Vec<u8>)]) -> Result<(), OutputError> {
    let ecriture = |chemin: &Path| {
        let chemin = chemin.to_path_buf();
        move |source| OutputError::Ecriture { chemin, source }
    };
    if let Some((cle, _)) = fichiers.iter().find(|(cle, _)| !cle_valide(cle)) {
        return Err(refus(&cible.join(cle), "chemin hors du dossier"));
    }
    match fs::symlink_metadata(cible) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => return Err(ecriture(cible)(source)),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(refus(cible, "c'est un lien, que convflux ne suit pas"));
        }
        Ok(m) if !m.is_dir() => return Err(refus(cible, "existe et n'est pas un dossier")),
        Ok(_) => {
            if fs::read_dir(cible)
                .map_err(ecriture(cible))?
                .next()
                .is_some()
            {
                return Err(refus(
                    cible,
                    "le dossier existe et n'est pas vide ; choisissez un dossier nouveau ou vide",
                ));
            }
        }
    }
    let Some(nom) = cible.file_name() else {
        return Err(refus(cible, "nom de dossier invalide"));
    };
    let parent = match cible.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).map_err(ecriture(parent))?;
    let mut nom_tmp = std::ffi::OsString::from(".");
    nom_tmp.push(nom);
    nom_tmp.push(format!(".{}.tmp", nouvel_identifiant()));
    let tmp = parent.join(nom_tmp);
    fs::create_dir(&tmp).map_err(ecriture(&tmp))?;
    // Removes the hidden folder unless it became `cible`.
    struct Brouillon<'a>(&'a Path, bool);
    impl Drop for Brouillon<'_> {
        fn drop(&mut self) {
            if !self.1 {
                // `remove_dir_all` does not follow links.
                let _ = fs::remove_dir_all(self.0);
            }
        }
    }
    let mut brouillon = Brouillon(&tmp, false);
    for (cle, bytes) in fichiers {
        let p = tmp.join(cle);
        if let Some(d) = p.parent() {
            // Inside a folder this run just made: nobody else's links there.
            fs::create_dir_all(d).map_err(ecriture(d))?;
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
        }
        (|| {
            let mut f = options.open(&p)?;
            f.write_all(bytes)?;
            f.sync_all()
        })()
        .map_err(ecriture(&cible.join(cle)))?;
    }
    if let Ok(d) = File::open(&tmp) {
        let _ = d.sync_all();
    }
    match fs::rename(&tmp, cible) {
        Ok(()) => brouillon.1 = true,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists
            ) =>
        {
            return Err(refus(
                cible,
                "le dossier n'est plus vide (écrit pendant la copie)",
            ));
        }
        Err(source) => return Err(ecriture(cible)(source)),
    }
    if let Ok(d) = File::open(parent) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dossier(d: &Path) -> Dossier {
        Dossier::prendre(d, &[]).unwrap()
    }

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let o = dossier(dir.path());
        o.ecrire("a/b/doc.pdf", b"un").unwrap();
        // Recorded as the manifest does: then replaced.
        o.connaitre(std::collections::HashMap::from([(
            "a/b/doc.pdf".to_owned(),
            manifest::sha256(b"un"),
        )]));
        o.ecrire("a/b/doc.pdf", b"deux").unwrap();
        let p = dir.path().join("a/b/doc.pdf");
        assert_eq!(fs::read(&p).unwrap(), b"deux");
        assert_eq!(fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn a_file_not_recorded_as_written_is_replaced_only_by_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let o = dossier(dir.path());
        fs::write(dir.path().join("doc.pdf"), b"le mien").unwrap();
        let e = o.ecrire("doc.pdf", b"autre").unwrap_err().to_string();
        assert!(e.contains("ne peut pas prouver l'avoir écrit"), "{e}");
        assert_eq!(fs::read(dir.path().join("doc.pdf")).unwrap(), b"le mien");
        // The same bytes again (a run killed before it recorded its work).
        o.ecrire("doc.pdf", b"le mien").unwrap();
        // Recorded, then changed (signed in place): kept.
        o.connaitre(std::collections::HashMap::from([(
            "doc.pdf".to_owned(),
            manifest::sha256(b"le mien"),
        )]));
        fs::write(dir.path().join("doc.pdf"), b"le mien, signe").unwrap();
        assert!(o.ecrire("doc.pdf", b"autre").is_err());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "doc.pdf et le verrou"
        );
    }

    #[test]
    fn the_inputs_are_those_of_the_last_renewal() {
        let dir = tempfile::tempdir().unwrap();
        let entree = dir.path().join("doc.pdf");
        fs::write(&entree, b"x").unwrap();
        let o = Dossier::prendre(dir.path(), std::slice::from_ref(&entree)).unwrap();
        let e = o.ecrire("doc.pdf", b"x").unwrap_err().to_string();
        assert!(e.contains("fichier d'entrée"), "{e}");
        // No longer an input (deleted, its inode free for an output).
        o.renouveler_entrees(&[]);
        o.ecrire("doc.pdf", b"x").unwrap();
    }

    #[test]
    fn a_manifest_convflux_cannot_read_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(manifest::NOM), b"{ pas un manifeste").unwrap();
        let e = Dossier::prendre(dir.path(), &[]).unwrap_err().to_string();
        assert!(e.contains("pas un manifeste que convflux sait lire"), "{e}");
        assert!(e.contains("JSON invalide ligne 1"), "{e}");
        let futur = br#"{"format": 99, "version": "9.0.0", "sources": {}, "sorties": {}}"#;
        fs::write(dir.path().join(manifest::NOM), futur).unwrap();
        let e = Dossier::prendre(dir.path(), &[]).unwrap_err().to_string();
        assert!(e.contains("format 99 inconnu"), "{e}");
    }

    #[test]
    fn a_failed_write_keeps_the_previous_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let o = dossier(dir.path());
        o.ecrire("doc.pdf", b"bon").unwrap();
        let r = o.ecrire_avec("doc.pdf", |w| {
            w.write_all(b"moi")?;
            Err(io::Error::other("coupure"))
        });
        assert!(r.unwrap_err().to_string().contains("impossible d'écrire"));
        assert_eq!(fs::read(dir.path().join("doc.pdf")).unwrap(), b"bon");
        // The document and the lock file.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn prepared_files_appear_only_when_installed_and_vanish_if_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let o = dossier(dir.path());
        let a = o.preparer("2024/c/a.pdf", b"a").unwrap();
        let b = o.preparer("2024/c/b.pdf", b"b").unwrap();
        let c = dir.path().join("2024/c");
        assert!(!c.join("a.pdf").exists());
        a.installer().unwrap();
        drop(b);
        let restes: Vec<_> = fs::read_dir(&c)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(restes, ["a.pdf"]);
    }

    /// An output found as installed is trusted without being read; any
    /// change to it, even with its size and modification time put back, is
    /// seen (the change time moved) and the file is hashed.
    #[cfg(unix)]
    #[test]
    fn an_untouched_output_is_known_by_its_constat_and_a_changed_one_is_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let o = dossier(dir.path());
        let cle = "2024/c/convention.pdf";
        let constat = o
            .preparer(cle, b"%PDF-1.7 un")
            .unwrap()
            .installer_constate()
            .unwrap()
            .expect("constat");
        assert_eq!(o.constat(cle).as_ref(), Some(&constat));
        // Trusted as it is: not even hashed (a wrong hash is not noticed).
        assert!(o.intact(cle, "pas-la-bonne-empreinte", Some(&constat)));
        let sha = crate::output::manifest::sha256(b"%PDF-1.7 un");
        assert!(o.intact(cle, &sha, None));

        // Same size, modification time put back: the change time still moves.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let p = dir.path().join(cle);
        let avant = fs::metadata(&p).unwrap().modified().unwrap();
        fs::write(&p, b"%PDF-1.7 UN").unwrap();
        File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(avant)
            .unwrap();
        assert_ne!(o.constat(cle).as_ref(), Some(&constat));
        assert!(!o.intact(cle, &sha, Some(&constat)));
        // A link in its place is never followed.
        fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", &p).unwrap();
        assert!(!o.intact(cle, &sha, Some(&constat)));
        assert_eq!(o.constat(cle), None);
    }

    #[test]
    fn keys_are_plain_relative_names() {
        for bonne in ["2024/c/convention.pdf", "manifest.json", "a.typ"] {
            assert!(cle_valide(bonne), "{bonne}");
        }
        for mauvaise in [
            "",
            "../x.pdf",
            "/etc/x.pdf",
            "2024/../../x.pdf",
            "./a.pdf",
            "a\\..\\b",
        ] {
            assert!(!cle_valide(mauvaise), "{mauvaise}");
        }
        assert!(cle_produite("2024/c/a.pdf"));
        assert!(!cle_produite("2024/c/a.yaml"));
        // Images, fonts and licences only in the folders `--typst` writes.
        assert!(cle_produite("2024/c/logos/bailleur.png"));
        assert!(cle_produite("2024/c/logos/reservataire-2.svg"));
        assert!(!cle_produite("2024/c/bailleur.png"));
        assert!(!cle_produite("2024/c/logos/notes.txt"));
        assert!(cle_produite("2024/c/polices/Marianne-Bold.OTF"));
        assert!(cle_produite("2024/c/polices/OFL.txt"));
        assert!(cle_produite("2024/c/polices/LICENSE"));
        assert!(!cle_produite("2024/c/polices/notes.txt"));
        assert!(!cle_produite("2024/c/OFL.txt"));
        assert!(!cle_produite("2024/c/police.ttf"));
        // Only in a year's folder or the library's.
        assert!(cle_produite("lib/convflux.typ"));
        assert!(cle_produite("2024/rapport-le-port.pdf"));
        assert!(!cle_produite("archives/mine.pdf"));
        assert!(!cle_produite("mine.pdf"));
        assert!(!cle_produite("2024"));
    }

    #[test]
    fn only_the_killed_runs_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("2024/c");
        fs::create_dir_all(&d).unwrap();
        let id = "0123456789abcdef";
        fs::write(
            dir.path().join(VERROU),
            format!("execution={id}\nprocessus=1\n"),
        )
        .unwrap();
        fs::write(d.join(format!(".convention.pdf.{id}-0.tmp")), b"%PDF-tronq").unwrap();
        fs::write(dir.path().join(format!(".manifest.json.{id}-3.tmp")), b"{").unwrap();
        // Someone else's files that merely look like temporaries.
        fs::write(d.join(".notes.tmp"), b"a moi").unwrap();
        fs::write(d.join(".x.fedcba9876543210-0.tmp"), b"a moi").unwrap();
        fs::create_dir_all(dir.path().join("perso")).unwrap();
        fs::write(dir.path().join(format!("perso/.y.{id}-0.tmp")), b"a moi").unwrap();
        let _o = dossier(dir.path());
        let mut restes: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        restes.sort();
        assert_eq!(restes, [".notes.tmp", ".x.fedcba9876543210-0.tmp"]);
        assert!(
            !dir.path()
                .join(format!(".manifest.json.{id}-3.tmp"))
                .exists()
        );
        assert!(dir.path().join(format!("perso/.y.{id}-0.tmp")).exists());
    }

    #[test]
    fn a_second_run_on_the_folder_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let premier = dossier(dir.path());
        let e = Dossier::prendre(dir.path(), &[]).unwrap_err().to_string();
        assert!(e.contains("déjà utilisé"), "{e}");
        assert!(
            e.contains(&format!("processus {}", std::process::id())),
            "{e}"
        );
        drop(premier);
        assert!(Dossier::prendre(dir.path(), &[]).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn nothing_is_written_or_deleted_through_a_link_or_over_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let dehors = tempfile::tempdir().unwrap();
        let autre = dehors.path().join("a.pdf");
        fs::write(&autre, b"precieux").unwrap();
        let sha = sha256_fichier(&autre).unwrap();
        std::os::unix::fs::symlink(dehors.path(), dir.path().join("2024")).unwrap();
        std::os::unix::fs::symlink(&autre, dir.path().join("lien.pdf")).unwrap();
        let entree = dir.path().join("entree.pdf");
        fs::write(&entree, b"donnees").unwrap();
        let o = Dossier::prendre(dir.path(), std::slice::from_ref(&entree)).unwrap();
        assert!(!o.supprimer("2024/a.pdf", &sha));
        assert!(!o.supprimer("lien.pdf", &sha));
        assert!(o.ecrire("2024/b.pdf", b"x").is_err());
        assert!(o.ecrire("lien.pdf", b"x").is_err());
        assert!(o.ecrire("entree.pdf", b"x").is_err());
        assert_eq!(fs::read(&autre).unwrap(), b"precieux");
        assert_eq!(fs::read(&entree).unwrap(), b"donnees");
        assert!(!dehors.path().join("b.pdf").exists());
    }

    #[test]
    fn no_convention_id_can_name_the_library_folder() {
        assert!(crate::validate::IDENTIFIANTS_RESERVES.contains(&BIBLIOTHEQUE));
    }

    #[test]
    fn deleting_a_file_removes_the_convention_folders_it_leaves_empty_and_only_them() {
        let dir = tempfile::tempdir().unwrap();
        let o = Dossier::prendre(dir.path(), &[]).unwrap();
        o.ecrire("2024/c/logos/a.png", b"png").unwrap();
        o.ecrire("2024/c/convention.pdf", b"pdf").unwrap();
        o.ecrire("2025/d/logos/b.png", b"png").unwrap();
        fs::write(dir.path().join("2025/notes.txt"), b"a moi").unwrap();
        assert!(o.supprimer("2024/c/logos/a.png", &manifest::sha256(b"png")));
        assert!(!dir.path().join("2024/c/logos").exists());
        assert!(dir.path().join("2024/c/convention.pdf").exists());
        assert!(o.supprimer("2024/c/convention.pdf", &manifest::sha256(b"pdf")));
        assert!(!dir.path().join("2024/c").exists());
        assert!(dir.path().join("2024").exists());
        // A folder with someone else's file stays, with that file.
        assert!(o.supprimer("2025/d/logos/b.png", &manifest::sha256(b"png")));
        assert!(!dir.path().join("2025/d").exists());
        assert_eq!(
            fs::read(dir.path().join("2025/notes.txt")).unwrap(),
            b"a moi"
        );
        assert!(dir.path().exists());
    }

    #[test]
    fn a_new_folder_is_written_whole_and_only_where_nothing_is() {
        let dir = tempfile::tempdir().unwrap();
        let f = vec![
            ("a/b.txt".to_owned(), b"b".to_vec()),
            ("c.txt".to_owned(), b"c".to_vec()),
        ];
        let cible = dir.path().join("neuf");
        creer_dossier(&cible, &f).unwrap();
        assert_eq!(fs::read(cible.join("a/b.txt")).unwrap(), b"b");
        // Not empty now: refused, nothing changed, no hidden folder left.
        let e = creer_dossier(&cible, &f).unwrap_err().to_string();
        assert!(e.contains("n'est pas vide"), "{e}");
        let noms: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(noms.len(), 1, "{noms:?}");
        // An empty folder is taken.
        let vide = dir.path().join("vide");
        fs::create_dir(&vide).unwrap();
        creer_dossier(&vide, &f).unwrap();
        assert_eq!(fs::read(vide.join("c.txt")).unwrap(), b"c");
        // A file, a link (even to an empty folder), a key going out: refused.
        let fichier = dir.path().join("fichier");
        fs::write(&fichier, b"x").unwrap();
        assert!(creer_dossier(&fichier, &f).is_err());
        #[cfg(unix)]
        {
            let ailleurs = dir.path().join("ailleurs");
            fs::create_dir(&ailleurs).unwrap();
            let lien = dir.path().join("lien");
            std::os::unix::fs::symlink(&ailleurs, &lien).unwrap();
            let e = creer_dossier(&lien, &f).unwrap_err().to_string();
            assert!(e.contains("lien"), "{e}");
            assert_eq!(fs::read_dir(&ailleurs).unwrap().count(), 0);
        }
        let hors = vec![("../x".to_owned(), b"x".to_vec())];
        assert!(creer_dossier(&dir.path().join("autre"), &hors).is_err());
        assert!(!dir.path().join("x").exists());
    }
}
