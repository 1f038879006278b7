//! Before `load`: the files a command is given, listed once each and read
//! with a bound.
//!
//! Everything here may be hostile or someone else's: a data folder can hold
//! symbolic links that loop or lead elsewhere, a FIFO or a device named
//! `*.yaml`, the same file under two names. Listing visits each real file once
//! (a maintained walker, `walkdir`, detects the loops; files are told apart by
//! device and inode, not by name). Reading opens without blocking, checks that
//! what was opened is a regular file, and never reads more than its limit plus
//! one byte, so `/dev/zero`, a FIFO or a 2 GB file ends at once with a French
//! message instead of a hang or unbounded memory.
//!
//! This module reads only; it never writes.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ErreurLecture {
    #[error("ce n'est pas un fichier ordinaire mais {0}")]
    PasUnFichier(&'static str),
    #[error("fichier trop volumineux (plus de {limite} octets)")]
    TropGrand { limite: u64 },
    #[error("{}", io_fr(.0))]
    Io(#[from] io::Error),
}

/// What kind of non-regular file a path names, in words.
fn nature(t: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "un tube nommé (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "un périphérique";
        }
        if t.is_socket() {
            return "une socket";
        }
    }
    if t.is_dir() {
        "un dossier"
    } else {
        "un fichier spécial"
    }
}

/// An I/O error in French (the system's own text is English).
pub fn io_fr(e: &io::Error) -> String {
    use io::ErrorKind as K;
    let quoi = match e.kind() {
        K::NotFound => "fichier introuvable",
        K::PermissionDenied => "accès refusé",
        K::IsADirectory => "c'est un dossier",
        K::NotADirectory => "un élément du chemin n'est pas un dossier",
        K::AlreadyExists => "le fichier existe déjà",
        K::StorageFull => "disque plein",
        K::ReadOnlyFilesystem => "système de fichiers en lecture seule",
        K::WouldBlock => "lecture bloquante refusée",
        K::CrossesDevices => "déplacement entre deux systèmes de fichiers impossible",
        _ if e.raw_os_error() == Some(40) => "boucle de liens symboliques",
        _ => "erreur d'entrée-sortie",
    };
    match e.raw_os_error() {
        Some(code) => format!("{quoi} (erreur système {code})"),
        None => quoi.to_owned(),
    }
}

/// An error and its causes as `{e:#}` joins them (« a : b »), without the
/// system's own English text: an I/O error below one of convflux's French
/// messages (which already says it, [`crate::input::io_fr`]) is left out;
/// alone, it is said in French.
pub fn en_francais(e: &anyhow::Error) -> String {
    let mut parties: Vec<String> = Vec::new();
    for c in e.chain() {
        match c.downcast_ref::<std::io::Error>() {
            Some(io) if parties.is_empty() => parties.push(io_fr(io)),
            Some(_) => {}
            None => parties.push(c.to_string()),
        }
    }
    parties.join(" : ")
}

/// Opens `chemin` for reading without ever blocking (a FIFO with no writer
/// would block `open` forever) and checks that it is a regular file.
pub fn ouvrir(chemin: &Path) -> Result<File, ErreurLecture> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let f = options.open(chemin)?;
    let t = f.metadata()?.file_type();
    if !t.is_file() {
        return Err(ErreurLecture::PasUnFichier(nature(t)));
    }
    Ok(f)
}

/// Reads a whole regular file of at most `limite` bytes.
pub fn lire(chemin: &Path, limite: u64) -> Result<Vec<u8>, ErreurLecture> {
    let f = ouvrir(chemin)?;
    let taille = f.metadata()?.len();
    if taille > limite {
        return Err(ErreurLecture::TropGrand { limite });
    }
    // The size may change under us: never read more than the limit + 1.
    let mut bytes = Vec::with_capacity(usize::try_from(taille).unwrap_or(0));
    f.take(limite.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limite {
        return Err(ErreurLecture::TropGrand { limite });
    }
    Ok(bytes)
}

/// The identity of a file (device and inode where there are such), to tell
/// whether two paths name the same file.
pub fn identite(chemin: &Path) -> Option<(u64, u64)> {
    let m = fs::metadata(chemin).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        let c = fs::canonicalize(chemin).ok()?;
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&c, &mut h);
        Some((0, std::hash::Hasher::finish(&h)))
    }
}

/// `chemin` without its `.` components: `./data/x.yaml` and `data/./x.yaml`
/// are `data/x.yaml`, so one file has one name in messages and in the
/// manifest. `..` is kept (resolving it lexically is wrong across links).
pub fn normaliser(chemin: &Path) -> PathBuf {
    let p: PathBuf = chemin
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

/// The YAML files of a command's arguments, and what was passed over.
#[derive(Debug, Default)]
pub struct Liste {
    /// Each real file once, sorted by name (a file named twice keeps its
    /// first name in that order).
    pub fichiers: Vec<PathBuf>,
    /// Links that loop, folders that cannot be read: said to the user as
    /// warnings; the files around them are still listed.
    pub avertissements: Vec<String>,
}

/// Whether a walked path is one of ours to read.
fn est_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// The name of a project file (`modeles::projet::NOM`, which this stage
/// cannot import): found in a folder walked, it is not a convention.
const PROJET: &str = "convflux.yaml";

/// The description of a model folder (`modeles::DESCRIPTION`): a folder
/// holding it is a model copied by `modele copier`, not conventions, and is
/// not walked.
const DESCRIPTION_MODELE: &str = "modele.yaml";

/// Whether a walked entry is passed over: a project file, or a model
/// folder below the folder named (the folder named itself is walked).
fn ignore(e: &walkdir::DirEntry) -> bool {
    if e.file_type().is_dir() {
        e.depth() > 0 && e.path().join(DESCRIPTION_MODELE).is_file()
    } else {
        e.file_name() == PROJET
    }
}

/// Expands files and folders into the YAML files to process. A path that
/// does not exist is an error (the user named it); inside folders, a loop of
/// links or an unreadable entry is a warning and the walk goes on. A FIFO or
/// a device named `*.yaml` is listed: reading it is refused with its reason.
pub fn lister(chemins: &[PathBuf]) -> Result<Liste, String> {
    let mut liste = Liste::default();
    let mut trouves = Vec::new();
    for c in chemins {
        let c = normaliser(c);
        match fs::metadata(&c) {
            Ok(m) if m.is_dir() => parcourir(&c, &mut trouves, &mut liste.avertissements),
            Ok(_) => trouves.push(c),
            // A link to nowhere, or a path naming nothing.
            Err(e) if fs::symlink_metadata(&c).is_ok() => {
                return Err(format!("{} : {}", c.display(), io_fr(&e)));
            }
            Err(_) => {
                return Err(format!("fichier ou dossier introuvable : {}", c.display()));
            }
        }
    }
    trouves.sort();
    let mut vus = HashSet::new();
    for p in trouves {
        // A path whose identity cannot be read stays (reading it will say why).
        if identite(&p).is_none_or(|id| vus.insert(id)) {
            liste.fichiers.push(p);
        }
    }
    Ok(liste)
}

fn parcourir(racine: &Path, out: &mut Vec<PathBuf>, avertissements: &mut Vec<String>) {
    let walker = walkdir::WalkDir::new(racine)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !ignore(e));
    for entree in walker {
        match entree {
            Ok(e) => {
                if !e.file_type().is_dir() && est_yaml(e.path()) {
                    out.push(normaliser(e.path()));
                }
            }
            Err(e) => {
                let chemin = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| racine.display().to_string());
                if let Some(ancetre) = e.loop_ancestor() {
                    avertissements.push(format!(
                        "{chemin} : lien symbolique vers un dossier parent ({}), déjà parcouru : ignoré",
                        ancetre.display()
                    ));
                } else if let Some(p) = e.path().filter(|p| est_yaml(p)) {
                    // A YAML entry that cannot be followed (a link that loops
                    // on itself, a dangling link): listed, its reading says why.
                    out.push(normaliser(p));
                } else {
                    let detail = e.io_error().map(io_fr).unwrap_or_default();
                    avertissements.push(format!("{chemin} : {detail} : ignoré"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_components_are_dropped() {
        assert_eq!(
            normaliser(Path::new("./data/./x.yaml")),
            Path::new("data/x.yaml")
        );
        assert_eq!(normaliser(Path::new("./")), Path::new("."));
        assert_eq!(normaliser(Path::new("../a")), Path::new("../a"));
    }

    #[test]
    fn reading_stops_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, b"0123456789").unwrap();
        assert_eq!(lire(&p, 10).unwrap().len(), 10);
        assert!(matches!(
            lire(&p, 9),
            Err(ErreurLecture::TropGrand { limite: 9 })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_folders_are_refused_without_reading() {
        let e = lire(Path::new("/dev/zero"), 100).unwrap_err().to_string();
        assert!(e.contains("périphérique"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = lire(dir.path(), 100).unwrap_err().to_string();
        assert!(e.contains("dossier"), "{e}");
    }

    #[test]
    fn project_files_and_model_folders_are_not_conventions() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("t/modele/intercommunal")).unwrap();
        fs::write(d.join("t/a.yaml"), b"x").unwrap();
        fs::write(d.join("t").join(PROJET), b"x").unwrap();
        fs::write(d.join("t/modele").join(DESCRIPTION_MODELE), b"x").unwrap();
        fs::write(d.join("t/modele/intercommunal/b.yaml"), b"x").unwrap();
        let l = lister(&[d.to_path_buf()]).unwrap();
        assert_eq!(l.fichiers, [d.join("t/a.yaml")]);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_named_twice_or_through_a_link_is_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.yaml"), b"x").unwrap();
        std::os::unix::fs::symlink(d.join("a.yaml"), d.join("b.yaml")).unwrap();
        std::os::unix::fs::symlink(d, d.join("boucle")).unwrap();
        let l = lister(&[d.to_path_buf(), d.join("a.yaml")]).unwrap();
        assert_eq!(l.fichiers, [d.join("a.yaml")]);
        assert_eq!(l.avertissements.len(), 1, "{:?}", l.avertissements);
        assert!(l.avertissements[0].contains("boucle"));
    }
}
