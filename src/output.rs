//! Stage 6, `output`: bytes → files under `out/`, atomically.
//!
//! Each file is written to a temporary file in the same directory
//! (`.<name>.<pid>.<n>.tmp`), flushed to disk, then renamed over the target: a
//! crash or a `kill -9` leaves either the previous good file or the new one,
//! never a truncated PDF under its final name. The next run removes the
//! temporary files a killed run left behind.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("impossible d'écrire {chemin} : {source}")]
    Ecriture {
        chemin: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `bytes` to `chemin` atomically (temp file + fsync + rename).
pub fn ecrire_atomique(chemin: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    ecrire_atomique_avec(chemin, |w| w.write_all(bytes))
}

/// Like [`ecrire_atomique`], for content produced by `ecrire` as it goes (a large manifest
/// is never held whole in memory).
pub fn ecrire_atomique_avec(
    chemin: &Path,
    ecrire: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    // Two writers in one process never share a temporary file.
    static COMPTEUR: AtomicU64 = AtomicU64::new(0);
    let err = |source| OutputError::Ecriture {
        chemin: chemin.to_path_buf(),
        source,
    };
    let dossier = chemin.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dossier).map_err(err)?;
    let nom = chemin
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("sortie");
    let tmp = dossier.join(format!(
        ".{nom}.{}.{}.tmp",
        std::process::id(),
        COMPTEUR.fetch_add(1, Ordering::Relaxed)
    ));
    let r = (|| {
        let mut f = BufWriter::with_capacity(1 << 16, File::create(&tmp)?);
        ecrire(&mut f)?;
        let f = f.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, chemin)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(dossier) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r.map_err(err)
}

/// Whether `nom` is one of our temporary files (`.<name>.<pid>[.<n>].tmp`).
fn est_temporaire(nom: &str) -> bool {
    nom.starts_with('.') && nom.ends_with(".tmp")
}

/// Removes temporary files left by an interrupted run, under `racine`.
pub fn nettoyer_temporaires(racine: &Path) {
    let Ok(entries) = fs::read_dir(racine) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            nettoyer_temporaires(&e.path());
        } else if e.file_name().to_str().is_some_and(est_temporaire) {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/doc.pdf");
        ecrire_atomique(&p, b"un").unwrap();
        ecrire_atomique(&p, b"deux").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"deux");
        let restes: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(restes.len(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_previous_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("doc.pdf");
        ecrire_atomique(&p, b"bon").unwrap();
        let r = ecrire_atomique_avec(&p, |w| {
            w.write_all(b"moi")?;
            Err(std::io::Error::other("coupure"))
        });
        assert!(r.unwrap_err().to_string().contains("impossible d'écrire"));
        assert_eq!(fs::read(&p).unwrap(), b"bon");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("2024/c");
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join(".convention.pdf.123.0.tmp"), b"%PDF-tronq").unwrap();
        fs::write(d.join(".annexe.pdf.123.tmp"), b"").unwrap();
        fs::write(d.join("convention.pdf"), b"%PDF").unwrap();
        nettoyer_temporaires(dir.path());
        let restes: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(restes, ["convention.pdf"]);
    }
}
