//! The project file (`convflux.yaml`) at a data root: the default model
//! folder of every convention below it, in the spirit of mdBook's
//! `book.toml`.
//!
//! Takes a convention's path and the folder the user named on the command
//! line (the bound: the search never goes above it); gives the nearest
//! project file from the convention's folder up to that bound, read bounded
//! ([`input::lire`]), loaded ([`load::charger`]) and checked with the same
//! error-collecting reader as conventions (unknown keys, types). It opens no
//! model folder: the pipeline does, after validate.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::diagnostic::{self, Diagnostic};
use crate::input;
use crate::load::{self, Value};
use crate::validate::lecteur::Lecteur;

/// The project file's name.
pub const NOM: &str = "convflux.yaml";

/// The largest project file read: a few lines are expected.
pub const TAILLE_MAX: u64 = 64 * 1024;

/// The keys a project file may hold.
const CLES: &[&str] = &["gabarits"];

/// A project file, read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projet {
    /// The file, as found (the bound joined with relative names).
    pub chemin: PathBuf,
    /// SHA-256 of its bytes (hex): the manifest records it.
    pub sha256: String,
    /// `gabarits`, resolved against the project file's folder.
    pub gabarits: Option<PathBuf>,
}

/// The folder the search for `fichier`'s project file stops at: the longest
/// folder named on the command line that holds it, else the file's own
/// folder (a file named directly sees only the project file beside it).
pub fn borne(nommes: &[PathBuf], fichier: &Path) -> PathBuf {
    let fichier = input::normaliser(fichier);
    nommes
        .iter()
        .map(|n| input::normaliser(n))
        .filter(|n| n.is_dir())
        .map(|n| {
            if n == Path::new(".") {
                PathBuf::new()
            } else {
                n
            }
        })
        .filter(|n| fichier.starts_with(n) && fichier != *n)
        .max_by_key(|n| n.components().count())
        .unwrap_or_else(|| fichier.parent().unwrap_or(Path::new("")).to_path_buf())
}

/// The nearest project file from `fichier`'s folder up to `borne`
/// (included), if any. Only looks for names; reads nothing.
pub fn trouver(fichier: &Path, borne: &Path) -> Option<PathBuf> {
    let fichier = input::normaliser(fichier);
    let mut dossier = fichier.parent()?;
    loop {
        let p = dossier.join(NOM);
        if p.exists() {
            return Some(p);
        }
        if dossier == borne || !dossier.starts_with(borne) {
            return None;
        }
        dossier = dossier.parent()?;
    }
}

/// The project file that governs `fichier` and the SHA-256 of its bytes,
/// without checking it (what the manifest compares); an unreadable file
/// has an empty hash, which matches no record.
pub fn reperer(fichier: &Path, borne: &Path) -> Option<(PathBuf, String)> {
    let chemin = trouver(fichier, borne)?;
    let sha = input::lire(&chemin, TAILLE_MAX)
        .map(|b| hex(&Sha256::digest(&b)))
        .unwrap_or_default();
    Some((chemin, sha))
}

/// The project file that governs `fichier` (searched up to `borne`): `Ok(None)`
/// when there is none; its problems, each a French sentence naming the file,
/// line and column, otherwise.
pub fn charger(fichier: &Path, borne: &Path) -> Result<Option<Projet>, Vec<Diagnostic>> {
    match trouver(fichier, borne) {
        None => Ok(None),
        Some(chemin) => lire(&chemin).map(Some),
    }
}

/// The rule of every problem of a project file (`Diagnostic::regle`).
const FICHIER_DE_PROJET: &str = "fichier de projet";

/// Reads and checks the project file `chemin`.
pub fn lire(chemin: &Path) -> Result<Projet, Vec<Diagnostic>> {
    let nom = diagnostic::affichable(&chemin.display().to_string()).into_owned();
    let note = format!(
        "{NOM} (fichier de projet) donne le modèle par défaut des conventions de son dossier \
         et de ses sous-dossiers ; clé attendue : `gabarits`"
    );
    let seul = |message: String| {
        vec![Diagnostic::erreur_de(FICHIER_DE_PROJET, message, None).note(note.clone())]
    };
    let bytes = input::lire(chemin, TAILLE_MAX)
        .map_err(|e| seul(format!("fichier de projet {nom} illisible : {e}")))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let source = String::from_utf8(bytes)
        .map_err(|_| seul(format!("le fichier de projet {nom} n'est pas en UTF-8")))?;
    let situer = |d: Diagnostic| {
        let lieu = match d.span {
            Some(s) => {
                let (l, c) = diagnostic::ligne_colonne(&source, s.start);
                format!("{nom}:{l}:{c}")
            }
            None => nom.clone(),
        };
        let mut e = Diagnostic::erreur_de(
            FICHIER_DE_PROJET,
            format!("fichier de projet {lieu} : {}", d.message),
            None,
        );
        e.notes = d.notes;
        e.note(note.clone())
    };
    // A file of comments only is a project file without keys: built-in models.
    let vide = source.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    });
    let racine = if vide {
        None
    } else {
        Some(load::charger(&source).map_err(|d| vec![situer(d)])?)
    };
    let mut l = Lecteur::default();
    let mut gabarits = None;
    if let Some(racine) = racine.as_ref().filter(|r| r.value != Value::Null)
        && let Some(mut t) = l.table(racine, "")
    {
        if let Some(n) = l.champ(&mut t, "gabarits")
            && n.value != Value::Null
        {
            gabarits = l.texte(n, "gabarits");
        }
        l.fin(t, CLES);
    }
    if !l.diags.0.is_empty() {
        return Err(l.diags.0.into_iter().map(situer).collect());
    }
    let base = chemin.parent().unwrap_or(Path::new(""));
    Ok(Projet {
        chemin: chemin.to_path_buf(),
        sha256,
        gabarits: gabarits.map(|g| base.join(g)),
    })
}

fn hex(octets: &[u8]) -> String {
    octets.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn the_search_stops_at_the_folder_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("a/b")).unwrap();
        fs::write(d.join(NOM), "gabarits: m\n").unwrap();
        let f = d.join("a/b/x.yaml");
        assert_eq!(trouver(&f, d), Some(d.join(NOM)));
        assert_eq!(trouver(&f, &d.join("a")), None);
        fs::write(d.join("a").join(NOM), "").unwrap();
        assert_eq!(trouver(&f, d), Some(d.join("a").join(NOM)));
    }

    #[test]
    fn the_bound_is_the_longest_folder_named_that_holds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("a/b")).unwrap();
        let f = d.join("a/b/x.yaml");
        let nommes = [d.to_path_buf(), d.join("a")];
        assert_eq!(borne(&nommes, &f), d.join("a"));
        assert_eq!(borne(std::slice::from_ref(&f), &f), d.join("a/b"));
        assert_eq!(
            borne(&[PathBuf::from(".")], Path::new("data/x.yaml")),
            PathBuf::new()
        );
    }

    #[test]
    fn gabarits_is_relative_to_the_project_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(NOM);
        fs::write(&p, "gabarits: modeles/ouest\n").unwrap();
        let projet = lire(&p).unwrap();
        assert_eq!(projet.gabarits, Some(dir.path().join("modeles/ouest")));
        assert_eq!(projet.sha256.len(), 64);
    }

    #[test]
    fn a_file_of_comments_only_names_no_model() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(NOM);
        fs::write(&p, "# rien encore\n").unwrap();
        assert_eq!(lire(&p).unwrap().gabarits, None);
    }

    #[test]
    fn an_unknown_key_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(NOM);
        fs::write(&p, "# projet\ngabarit: modeles/ouest\n").unwrap();
        let e = lire(&p).unwrap_err();
        assert_eq!(e.len(), 1);
        let attendu = format!(
            "fichier de projet {}:2:1 : clé inconnue : `gabarit`",
            p.display()
        );
        assert_eq!(e[0].message, attendu);
        assert!(e[0].notes.iter().any(|n| n.contains("`gabarits`")));
    }

    #[test]
    fn a_wrong_type_is_located_too() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(NOM);
        fs::write(&p, "gabarits: [a, b]\n").unwrap();
        let e = lire(&p).unwrap_err();
        assert!(e[0].message.contains(":1:11 : "), "{}", e[0].message);
    }
}
