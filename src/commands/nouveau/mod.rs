//! `convflux nouveau`: writes a starting convention file for a model, each
//! field annotated in French, valid as written (`verifier` passes on it, see
//! the tests), with the editor's schema header. Writes the model's schema
//! (`convflux-<modele>.schema.json`, `convflux schema --modele`) beside it
//! when absent, so the header points to a file that exists. Never
//! overwrites a file.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::Path;

use anyhow::{Context, bail};

use crate::cli::{ModeleNouveau, NouveauArgs};
use crate::commands::Issue;

/// The file name of the model's schema, beside the new file.
pub fn schema(m: ModeleNouveau) -> String {
    crate::validate::schema::fichier_du_modele(m.modele())
}

/// The starting file of a model, its placeholders still in.
pub fn gabarit(m: ModeleNouveau) -> &'static str {
    match m {
        ModeleNouveau::Intercommunal => include_str!("intercommunal.yaml"),
        ModeleNouveau::Bilateral => include_str!("bilateral.yaml"),
    }
}

/// The starting file for `fichier`: its id from the file's name when it is
/// one (`le-port.yaml` → `le-port`), the header pointing to [`schema`].
pub fn contenu(m: ModeleNouveau, fichier: &Path) -> String {
    let nom = fichier
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let id = if !nom.is_empty()
        && nom.len() <= 60
        && nom
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !nom.starts_with('-')
        // Not a reserved id (`lib.yaml`), nor a number YAML would read as
        // one (`2025.yaml`).
        && !crate::validate::IDENTIFIANTS_RESERVES.contains(&nom)
        && !nom.bytes().all(|b| b.is_ascii_digit())
    {
        nom
    } else {
        "ma-convention"
    };
    let affiche = fichier
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    gabarit(m)
        .replace("{schema}", &schema(m))
        .replace("{id}", id)
        .replace("{fichier}", &affiche)
}

/// Creates `chemin` with `octets`; `Ok(false)` if it already exists.
fn creer(chemin: &Path, octets: &[u8]) -> anyhow::Result<bool> {
    // `create_new` refuses any existing path, a link included.
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(chemin)
    {
        Ok(mut f) => {
            f.write_all(octets)
                .and_then(|()| f.sync_all())
                .with_context(|| format!("écriture de {}", chemin.display()))?;
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e).with_context(|| format!("création de {}", chemin.display())),
    }
}

pub fn executer(a: NouveauArgs) -> anyhow::Result<Issue> {
    let f = &a.fichier;
    if !f.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        bail!(
            "{} : le fichier d'une convention se termine par .yaml (par exemple ma-convention.yaml)",
            f.display()
        );
    }
    if fs::symlink_metadata(f).is_ok() {
        bail!(
            "{} existe déjà : `convflux nouveau` n'écrase aucun fichier ; choisissez un autre nom",
            f.display()
        );
    }
    let dossier = match f.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    if !dossier.is_dir() {
        bail!(
            "dossier introuvable : {} (créez-le d'abord)",
            dossier.display()
        );
    }
    if !creer(f, contenu(a.modele, f).as_bytes())? {
        bail!(
            "{} existe déjà : `convflux nouveau` n'écrase aucun fichier ; choisissez un autre nom",
            f.display()
        );
    }
    let schema = f.with_file_name(schema(a.modele));
    let texte = serde_json::to_string_pretty(&crate::validate::schema::schema_du_modele(
        a.modele.modele(),
    ))? + "\n";
    let schema_ecrit = creer(&schema, texte.as_bytes())?;
    if !a.quiet {
        eprintln!("écrit : {}", f.display());
        if schema_ecrit {
            eprintln!("écrit : {} (schéma pour l'éditeur)", schema.display());
        } else {
            eprintln!(
                "note : {} existe déjà et a été gardé tel quel (`convflux schema --modele {} > {}` le met à jour)",
                schema.display(),
                a.modele.modele().nom(),
                schema.display()
            );
        }
        eprintln!(
            "ensuite : remplacez les valeurs d'exemple, puis lancez `convflux verifier {}`",
            f.display()
        );
    }
    Ok(Issue::Succes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_comes_from_the_file_name_when_verifier_would_accept_it() {
        let id = |f: &str| {
            let c = contenu(ModeleNouveau::Intercommunal, Path::new(f));
            let ligne = c
                .lines()
                .find(|l| l.trim_start().starts_with("id:"))
                .unwrap();
            ligne.split_whitespace().nth(1).unwrap().to_owned()
        };
        assert_eq!(id("le-port.yaml"), "le-port");
        assert_eq!(id("lib.yaml"), "ma-convention");
        assert_eq!(id("2025.yaml"), "ma-convention");
        assert_eq!(id("Le Port.yaml"), "ma-convention");
        assert_eq!(id("ouest-2025.yaml"), "ouest-2025");
    }
}
