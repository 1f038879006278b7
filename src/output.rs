//! Stage 6, `output`: bytes → files under `out/`, atomically.
//!
//! Each file is written to a temporary file in the same directory, flushed to
//! disk, then renamed over the target: a crash leaves either the previous good
//! file or the new one, never a truncated PDF where a good one is expected.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    let tmp = dossier.join(format!(".{nom}.{}.tmp", std::process::id()));
    let r = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
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

/// Removes temporary files left by an interrupted run (`.<name>.<pid>.tmp`).
pub fn nettoyer_temporaires(racine: &Path) {
    let Ok(entries) = fs::read_dir(racine) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            nettoyer_temporaires(&p);
        } else if let Some(n) = p.file_name().and_then(|n| n.to_str())
            && n.starts_with('.')
            && n.ends_with(".tmp")
        {
            let _ = fs::remove_file(&p);
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
}
