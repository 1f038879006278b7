//! The logos of a convention's parties (`logo:`), read from the disk once
//! validate has checked the form of their paths.
//!
//! Takes the YAML file's path, the convention and its model folder; gives
//! each logo's bytes with the fixed path the documents find it at
//! ([`crate::model::Partie::chemin_logo`]), or located French errors. A path
//! relative to the YAML file must stay inside that file's folder (a link
//! leading out is refused: the real path is compared with the folder), name a
//! regular file of at most [`LOGO_TAILLE_MAX`] bytes whose first bytes are
//! those of the format its extension names. A `modele:images/…` path is read
//! through [`Dossier::lire`], with that folder's own sandbox. Nothing else
//! is read; it knows nothing of Typst.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::input;
use crate::model::{Convention, FormatImage, Logo, OrigineLogo};
use crate::modeles::dossier::Dossier;
use crate::validate::limites::LOGO_TAILLE_MAX;

/// A logo read and checked.
#[derive(Clone, Debug)]
pub struct Image {
    /// The fixed path the documents find it at (`/logos/bailleur.png`).
    pub virtuel: String,
    /// The file read, for the manifest (it is hashed again by later runs).
    pub fichier: PathBuf,
    pub octets: Arc<[u8]>,
}

/// Reads every logo of `c`; `yaml` is the convention's file, `modele` its
/// opened model folder (for `modele:` paths).
pub fn lire(
    yaml: &Path,
    c: &Convention,
    modele: Option<&Dossier>,
    diags: &mut Diagnostics,
) -> Vec<Image> {
    let mut images = Vec::new();
    for (partie, logo) in c.logos() {
        let lu = match logo.origine {
            OrigineLogo::Donnees => lire_donnees(yaml, logo),
            OrigineLogo::Modele => match modele {
                // `validate` refused `modele:` without `convention.gabarits`;
                // a folder that could not be opened has its own error.
                None => continue,
                Some(m) => lire_modele(m, logo),
            },
        }
        .and_then(|(fichier, octets)| {
            reconnaitre(&octets, logo.format)?;
            Ok((fichier, octets))
        });
        match lu {
            Ok((fichier, octets)) => images.push(Image {
                virtuel: partie.chemin_logo(logo.format),
                fichier,
                octets,
            }),
            Err(pourquoi) => diags.push(
                Diagnostic::erreur_de(
                    "logo refusé",
                    format!(
                        "logo « {} » refusé : {pourquoi}",
                        crate::diagnostic::affichable(&logo.chemin.v)
                    ),
                    Some(logo.chemin.span),
                )
                .label("logo")
                .note(format!(
                    "un logo est une image PNG, JPEG ou SVG d'au plus {} Mio, placée dans le dossier du fichier YAML ou dessous (chemin relatif, sans `..` ni lien qui en sort), ou `modele:images/<fichier>`",
                    LOGO_TAILLE_MAX / (1024 * 1024)
                )),
            ),
        }
    }
    images
}

/// A logo next to the YAML file: inside its folder, links included.
fn lire_donnees(yaml: &Path, logo: &Logo) -> Result<(PathBuf, Arc<[u8]>), String> {
    let dossier = yaml.parent().unwrap_or(Path::new(""));
    let dossier = if dossier.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dossier
    };
    let racine = std::fs::canonicalize(dossier).map_err(|e| {
        format!(
            "dossier du fichier YAML inaccessible : {}",
            input::io_fr(&e)
        )
    })?;
    let chemin = racine.join(&logo.chemin.v);
    let reel = std::fs::canonicalize(&chemin).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => {
            "fichier introuvable".to_owned()
        }
        _ => input::io_fr(&e),
    })?;
    if !reel.starts_with(&racine) {
        return Err("c'est un lien qui mène hors du dossier du fichier YAML".to_owned());
    }
    let octets = input::lire(&reel, LOGO_TAILLE_MAX).map_err(|e| e.to_string())?;
    Ok((reel, octets.into()))
}

/// A logo of the model folder (`modele:images/…`), through its sandbox.
fn lire_modele(m: &Dossier, logo: &Logo) -> Result<(PathBuf, Arc<[u8]>), String> {
    match m.lire(&logo.chemin.v)? {
        Some(octets) => Ok((PathBuf::from(m.chemin(&logo.chemin.v)), octets)),
        None => Err(format!(
            "fichier introuvable dans le modèle {}",
            m.racine().display()
        )),
    }
}

/// Checks that `octets` begin as `format` files do (its magic bytes).
fn reconnaitre(octets: &[u8], format: FormatImage) -> Result<(), String> {
    let ok = match format {
        FormatImage::Png => octets.starts_with(b"\x89PNG\r\n\x1a\n"),
        FormatImage::Jpeg => octets.starts_with(&[0xFF, 0xD8, 0xFF]),
        FormatImage::Svg => est_svg(octets),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "le contenu n'est pas une image {} (ses premiers octets ne sont pas ceux de ce format)",
            match format {
                FormatImage::Png => "PNG",
                FormatImage::Jpeg => "JPEG",
                FormatImage::Svg => "SVG",
            }
        ))
    }
}

/// An SVG file: UTF-8 text starting with `<` whose start names an `<svg`
/// element (after an optional XML declaration, comments or doctype).
fn est_svg(octets: &[u8]) -> bool {
    let debut = &octets[..octets.len().min(4096)];
    let texte = String::from_utf8_lossy(debut);
    let texte = texte.trim_start_matches('\u{feff}').trim_start();
    texte.starts_with('<') && texte.contains("<svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_their_first_bytes() {
        assert!(reconnaitre(b"\x89PNG\r\n\x1a\n....", FormatImage::Png).is_ok());
        assert!(reconnaitre(b"\xFF\xD8\xFF\xE0", FormatImage::Jpeg).is_ok());
        assert!(reconnaitre(b"<?xml version=\"1.0\"?>\n<svg/>", FormatImage::Svg).is_ok());
        assert!(reconnaitre(b"pas une image", FormatImage::Png).is_err());
        assert!(reconnaitre(b"\x89PNG\r\n\x1a\n", FormatImage::Jpeg).is_err());
        assert!(reconnaitre(b"texte <svg", FormatImage::Svg).is_err());
    }
}
