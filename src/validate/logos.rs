//! Reads a party's `logo:` key: the form of the path only (relative to the
//! YAML file's folder, or `modele:images/…` in the model folder of
//! `convention.gabarits`; no `..`, no absolute path, a PNG, JPEG or SVG
//! extension). The file itself (it exists, is a regular file inside the
//! folder, is small enough, its bytes are the format named) is checked by the
//! pipeline (`modeles::logos`), which knows where the YAML file lies.

use std::path::{Component, Path};

use crate::diagnostic::{Diagnostic, Sp};
use crate::load::{Node, Value};
use crate::model::{Convention, FormatImage, Logo, OrigineLogo};
use crate::validate::lecteur::{Lecteur, Table, joindre};
use crate::validate::limites::LOGOS_MAX;

/// Prefix of a path into the model folder's `images/`.
pub const PREFIXE_MODELE: &str = "modele:";

/// The rule, shown under every error of a logo path.
const REGLE: &str = "`logo` nomme une image PNG, JPEG ou SVG placée à côté du fichier YAML \
     (chemin relatif à ce fichier, sans `..`), ou `modele:images/<fichier>` dans le dossier \
     du modèle de `convention.gabarits`";

/// The optional `logo` of the table `t` (a party).
pub fn lire(l: &mut Lecteur, t: &mut Table<'_>) -> Option<Option<Logo>> {
    let chemin = joindre(&t.chemin, "logo");
    let n = match l.champ(t, "logo") {
        Some(n) if n.value != Value::Null => n,
        _ => return Some(None),
    };
    let texte = l.texte(n, &chemin)?;
    match forme(&texte) {
        Ok((origine, relatif, format)) => Some(Some(Logo {
            chemin: Sp::new(relatif.to_owned(), n.span),
            origine,
            format,
        })),
        Err(pourquoi) => {
            l.erreur(erreur(n, &chemin, pourquoi));
            None
        }
    }
}

fn erreur(n: &Node, chemin: &str, pourquoi: &str) -> Diagnostic {
    Diagnostic::erreur_de(
        "chemin de logo refusé",
        format!("`{chemin}` : {pourquoi}"),
        Some(n.span),
    )
    .label("chemin du logo refusé")
    .note(REGLE)
}

/// Where a logo path starts from, the path without its prefix and the
/// format its extension names; or why the path is refused.
fn forme(texte: &str) -> Result<(OrigineLogo, &str, FormatImage), &'static str> {
    let (origine, relatif) = match texte.strip_prefix(PREFIXE_MODELE) {
        Some(r) => (OrigineLogo::Modele, r),
        None => (OrigineLogo::Donnees, texte),
    };
    if relatif.trim().is_empty() || relatif.contains(['\\', '\0']) {
        return Err("chemin de fichier invalide");
    }
    if relatif.starts_with('/') || Path::new(relatif).is_absolute() {
        return Err("chemin absolu refusé : le logo se place à côté du fichier YAML");
    }
    if Path::new(relatif)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err("`..` (ou `.`) refusé : le logo ne peut pas sortir du dossier des données");
    }
    if origine == OrigineLogo::Modele && !relatif.starts_with("images/") {
        return Err("un logo du modèle se trouve sous `images/` (`modele:images/<fichier>`)");
    }
    let extension = relatif
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let format = match extension.as_str() {
        "png" => FormatImage::Png,
        "jpg" | "jpeg" => FormatImage::Jpeg,
        "svg" => FormatImage::Svg,
        _ => return Err("format d'image non pris en charge (attendu : .png, .jpg, .jpeg ou .svg)"),
    };
    Ok((origine, relatif, format))
}

/// Rules across the parties: at most [`LOGOS_MAX`] logos, and a
/// `modele:` logo only with `convention.gabarits`.
pub fn controler(l: &mut Lecteur, c: &Convention) {
    let logos = c.logos();
    if let Some((_, trop)) = logos.get(LOGOS_MAX) {
        l.erreur(
            Diagnostic::erreur_de(
                "trop de logos",
                format!("trop de logos : {}, au plus {LOGOS_MAX}", logos.len()),
                Some(trop.chemin.span),
            )
            .label(format!("logo n° {}", LOGOS_MAX + 1))
            .note(format!(
                "les logos tiennent sur une ligne au-dessus du titre : au plus {LOGOS_MAX} par convention"
            )),
        );
    }
    if c.gabarits.is_none() {
        for (_, logo) in logos
            .iter()
            .filter(|(_, l)| l.origine == OrigineLogo::Modele)
        {
            l.erreur(
                Diagnostic::erreur_de(
                    "logo d'un modèle sans modèle",
                    "logo `modele:…` sans modèle : `convention.gabarits` manque",
                    Some(logo.chemin.span),
                )
                .label("logo du dossier du modèle")
                .note(REGLE),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_leading_out_or_of_unknown_format_are_refused() {
        for refuse in [
            "../logo.png",
            "logos/../../logo.png",
            "/etc/logo.png",
            "./logo.png",
            "a\\b.png",
            "",
            "logo.gif",
            "logo",
            "modele:logo.png",
            "modele:images/../../x.png",
        ] {
            assert!(forme(refuse).is_err(), "{refuse}");
        }
        assert_eq!(
            forme("logos/Sedre.PNG"),
            Ok((OrigineLogo::Donnees, "logos/Sedre.PNG", FormatImage::Png))
        );
        assert_eq!(
            forme("modele:images/ouest.svg"),
            Ok((OrigineLogo::Modele, "images/ouest.svg", FormatImage::Svg))
        );
        assert_eq!(forme("a.jpeg").unwrap().2, FormatImage::Jpeg);
    }
}
