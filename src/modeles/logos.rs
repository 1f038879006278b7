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
            lisible(&octets, logo.format)?;
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

/// The most pixels of a PNG or JPEG logo: 16 million (4 000 × 4 000),
/// 64 MiB once decoded, where a logo printed 4 cm wide at 300 dpi has 500
/// pixels a side. A 2 MiB file can declare 120 000 × 120 000 pixels (a
/// bomb of 14 GB once decoded): it is refused before it is decoded.
pub const LOGO_PIXELS_MAX: u64 = 16_000_000;
/// The most pixels a side, for an image long and thin.
pub const LOGO_COTE_MAX: u32 = 8_000;
/// The most XML nodes of an SVG logo.
pub const SVG_NOEUDS_MAX: u32 = 20_000;
/// The most `<use>` elements of an SVG logo.
pub const SVG_USE_MAX: usize = 500;

/// What the documents will do with the logo, done once here so that what
/// `verifier` accepts `generer` can typeset within its bounds: a PNG or
/// JPEG decoded whole within [`LOGO_PIXELS_MAX`] (a truncated file, a
/// header declaring billions of pixels are refused); an SVG parsed as
/// Typst parses it (`usvg`, no fonts, no file beside it), without what
/// makes one slow or unprintable: filters (a 195-byte `feTurbulence` of
/// 10 000 octaves takes half a minute to draw), text the documents' fonts
/// cannot print, images inside, scripts, `<use>` pointing at `<use>`
/// (whose copies multiply), more than [`SVG_NOEUDS_MAX`] nodes.
fn lisible(octets: &[u8], format: FormatImage) -> Result<(), String> {
    match format {
        FormatImage::Png => matricielle(octets, image::ImageFormat::Png, "PNG"),
        FormatImage::Jpeg => matricielle(octets, image::ImageFormat::Jpeg, "JPEG"),
        FormatImage::Svg => vectorielle(octets),
    }
}

fn matricielle(octets: &[u8], format: image::ImageFormat, nom: &str) -> Result<(), String> {
    let lecteur = || image::ImageReader::with_format(std::io::Cursor::new(octets), format);
    let illisible = || format!("image {nom} illisible ou tronquée");
    let (l, h) = lecteur().into_dimensions().map_err(|_| illisible())?;
    if l == 0 || h == 0 {
        return Err(format!("image {nom} vide ({l} × {h} pixels)"));
    }
    if l > LOGO_COTE_MAX || h > LOGO_COTE_MAX || u64::from(l) * u64::from(h) > LOGO_PIXELS_MAX {
        return Err(format!(
            "image de {l} × {h} pixels : au plus {} millions de pixels et {} pixels de côté \
             (un logo imprimé sur 4 cm à 300 dpi en a 500 de côté) ; réduisez-la",
            LOGO_PIXELS_MAX / 1_000_000,
            LOGO_COTE_MAX
        ));
    }
    let mut limites = image::Limits::default();
    limites.max_image_width = Some(LOGO_COTE_MAX);
    limites.max_image_height = Some(LOGO_COTE_MAX);
    limites.max_alloc = Some(LOGO_PIXELS_MAX * 8);
    let mut r = lecteur();
    r.limits(limites);
    r.decode().map(|_| ()).map_err(|_| illisible())
}

fn vectorielle(octets: &[u8]) -> Result<(), String> {
    let texte =
        std::str::from_utf8(octets).map_err(|_| "SVG illisible (pas en UTF-8)".to_owned())?;
    let options = usvg::roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: SVG_NOEUDS_MAX,
        ..Default::default()
    };
    let doc = usvg::roxmltree::Document::parse_with_options(texte, options).map_err(|e| {
        let p = e.pos();
        match e {
            usvg::roxmltree::Error::NodesLimitReached => {
                format!("SVG de plus de {SVG_NOEUDS_MAX} nœuds")
            }
            usvg::roxmltree::Error::DtdDetected => {
                "SVG avec une déclaration DOCTYPE (entités) : non pris en charge".to_owned()
            }
            _ => format!(
                "SVG illisible (XML mal formé ligne {}, colonne {})",
                p.row, p.col
            ),
        }
    })?;
    let elements: Vec<usvg::roxmltree::Node> =
        doc.descendants().filter(|n| n.is_element()).collect();
    for n in &elements {
        let nom = n.tag_name().name();
        let refus = match nom {
            "filter" => Some("un filtre (`filter`), lent ou impossible à imprimer"),
            _ if nom.starts_with("fe") && nom.len() > 2 => {
                Some("un effet de filtre (`fe…`), lent ou impossible à imprimer")
            }
            "image" | "foreignObject" => {
                Some("une image ou un contenu inclus (`image`, `foreignObject`)")
            }
            "script" => Some("un script"),
            _ => None,
        };
        if let Some(r) = refus {
            let p = doc.text_pos_at(n.range().start);
            return Err(format!("SVG contenant {r} (ligne {})", p.row));
        }
        // Text is drawn with the documents' fonts: only what they print.
        if matches!(nom, "text" | "tspan" | "textPath")
            && let Some(c) = n
                .children()
                .filter_map(|t| t.text())
                .flat_map(str::chars)
                .find(|c| !crate::assets::caractere_imprimable(*c))
        {
            let p = doc.text_pos_at(n.range().start);
            return Err(format!(
                "SVG contenant du texte que les polices des documents n'impriment pas (« {c} », U+{:04X}, ligne {}) : convertissez ce texte en tracés",
                c as u32, p.row
            ));
        }
    }
    let uses: Vec<&usvg::roxmltree::Node> = elements
        .iter()
        .filter(|n| n.tag_name().name() == "use")
        .collect();
    if uses.len() > SVG_USE_MAX {
        return Err(format!("SVG de plus de {SVG_USE_MAX} éléments `use`"));
    }
    for u in &uses {
        let cible = u
            .attributes()
            .find(|a| a.name() == "href")
            .and_then(|a| a.value().strip_prefix('#'))
            .and_then(|id| elements.iter().find(|n| n.attribute("id") == Some(id)));
        if cible.is_some_and(|c| c.descendants().any(|d| d.tag_name().name() == "use")) {
            let p = doc.text_pos_at(u.range().start);
            return Err(format!(
                "SVG dont un `use` reprend un élément qui contient lui-même des `use` (ligne {}) : leurs copies se multiplient",
                p.row
            ));
        }
    }
    // As Typst reads it (typst-library, `SvgImage::new`): no default font,
    // no file beside it, images only inline (and none passed the check).
    let options = usvg::Options {
        font_family: String::new(),
        resources_dir: None,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..Default::default()
    };
    let arbre = usvg::Tree::from_xmltree(&doc, &options)
        .map_err(|_| "SVG que l'outil de composition ne sait pas lire".to_owned())?;
    let taille = arbre.size();
    if !(taille.width() > 0.0 && taille.height() > 0.0) {
        return Err("SVG de taille nulle".to_owned());
    }
    Ok(())
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

    /// A PNG of `l` × `h` black pixels, one byte each.
    fn png(l: u32, h: u32) -> Vec<u8> {
        let mut v = Vec::new();
        image::GrayImage::new(l, h)
            .write_to(&mut std::io::Cursor::new(&mut v), image::ImageFormat::Png)
            .unwrap();
        v
    }

    #[test]
    fn a_png_is_decoded_within_its_bounds() {
        assert_eq!(lisible(&png(500, 200), FormatImage::Png), Ok(()));
        let e = lisible(&png(8_001, 1), FormatImage::Png).unwrap_err();
        assert!(e.starts_with("image de 8001 × 1 pixels"), "{e}");
        let e = lisible(&png(4_001, 4_001), FormatImage::Png).unwrap_err();
        assert!(e.contains("au plus 16 millions de pixels"), "{e}");
        let entier = png(50, 50);
        let e = lisible(&entier[..entier.len() - 20], FormatImage::Png).unwrap_err();
        assert_eq!(e, "image PNG illisible ou tronquée");
        assert!(lisible(b"\xFF\xD8\xFF\xE0", FormatImage::Jpeg).is_err());
    }

    #[test]
    fn an_svg_without_what_makes_one_slow_or_unprintable() {
        let svg = |corps: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">{corps}</svg>"#
            )
        };
        let ok = |c: &str| lisible(svg(c).as_bytes(), FormatImage::Svg);
        assert_eq!(ok(r#"<rect width="10" height="10"/>"#), Ok(()));
        assert_eq!(
            ok(r#"<text x="1" y="8">Territoire de l’Ouest</text>"#),
            Ok(())
        );
        let refus = [
            (
                r#"<filter id="f"><feTurbulence numOctaves="10000"/></filter>"#,
                "filtre",
            ),
            ("<text>西</text>", "U+897F"),
            (r#"<image href="data:image/png;base64,AAAA"/>"#, "une image"),
            ("<script>x</script>", "un script"),
            (
                r##"<g id="a"><rect width="1" height="1"/></g><g id="b"><use href="#a"/><use href="#a"/></g><use xlink:href="#b"/>"##,
                "se multiplient",
            ),
        ];
        for (corps, attendu) in refus {
            let e = ok(corps).unwrap_err();
            assert!(e.contains(attendu), "{corps} : {e}");
        }
        let beaucoup = "<g/>".repeat(SVG_NOEUDS_MAX as usize);
        assert!(ok(&beaucoup).unwrap_err().contains("nœuds"));
        let dtd = r#"<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"/>"#;
        assert!(
            lisible(dtd.as_bytes(), FormatImage::Svg)
                .unwrap_err()
                .contains("DOCTYPE")
        );
        let nul = r#"<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>"#;
        assert!(lisible(nul.as_bytes(), FormatImage::Svg).is_err());
    }
}
