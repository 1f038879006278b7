//! Empty signature fields over the signing areas of a typeset document.
//!
//! Takes the laid-out Typst document and the PDF/A-2b bytes that `typst-pdf` wrote for it;
//! gives the same file followed by one incremental update (ISO 32000-1, 7.5.6) that adds, for
//! each signing area, an unsigned AcroForm signature field (`/FT /Sig`) merged with its widget.
//! A parapheur or a PDF reader can then sign each field in place, in turn.
//!
//! The signing areas are not hard-coded: the Typst library's `bloc-signature` places two
//! labelled `metadata` (label [`LABEL`], value `(champ:, coin: "hg" | "bd", infobulle:)`) at the
//! top-left and bottom-right corners of each area, and [`champs`] reads them back through the
//! introspector, so a block that moves to another page takes its field with it.
//!
//! What the update keeps to, so that the file stays PDF/A-2b (ISO 19005-2, 6.3 and 6.4) and
//! byte-reproducible:
//! - every widget is printable (`/F 4`) and has an appearance (`/AP` with only `/N`, an empty
//!   Form XObject the size of the field: the printed page is the same with or without fields);
//! - no action, no JavaScript, no `/NeedAppearances`; the XMP, `/Info` and `/ID` are untouched;
//! - the original bytes are kept as they are; new objects are numbered after the last one in
//!   document order, and the cross-reference section has the same form as the original one
//!   (`typst-pdf` 0.15 writes a classic table, no object streams);
//! - nothing depends on the clock, the machine or a hash-map order.
//!
//! This module knows nothing of the domain: a field's name and tooltip are the strings the
//! template gave; it only makes names safe and unique.

use std::collections::BTreeMap;
use std::collections::HashMap;

use lopdf::{Dictionary, IncrementalDocument, Object, ObjectId, Stream, StringFormat};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use typst::foundations::{Dict, Value};
use typst::introspection::{Introspector, MetadataElem};
use typst_layout::PagedDocument;

/// Label of the corner markers placed by `bloc-signature` in `templates/lib/convflux.typ`.
pub const LABEL: &str = "convflux-signature";

/// Digits kept after the point in a field's rectangle (hundredths of a point, 3.5 µm).
const DECIMALES: u32 = 2;

/// `/SigFlags` of the form: bit 1, SignaturesExist (ISO 32000-1, table 219). Not AppendOnly:
/// that bit is for the first signer's tool to set.
const SIG_FLAGS: i64 = 1;

/// `/F` of each widget: bit 3, Print (ISO 32000-1, 12.5.3); PDF/A-2 6.3.2 requires it and
/// forbids Hidden, Invisible, NoView and ToggleNoView.
const ANNOTATION_PRINT: i64 = 4;

/// A signature field to add: where it goes and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Champ {
    /// Fully qualified field name (`/T`), unique in the document: `signature-le-port`.
    pub nom: String,
    /// Tooltip (`/TU`): the signatory's quality and name; empty when the template gave none.
    pub infobulle: String,
    /// The page, starting at 1.
    pub page: usize,
    /// The rectangle in PDF points (origin bottom-left), rounded inwards to the hundredth of a
    /// point so that it lies inside the signing area: `[gauche, bas, droite, haut]`.
    pub rect: [Decimal; 4],
}

/// A signing area or a PDF the fields cannot be added to (a template or typesetter bug).
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The corner markers of a signature block do not make one rectangle on one page.
    #[error("bloc de signature incohérent : {0}")]
    Bloc(String),
    /// The PDF written by Typst could not be read or updated.
    #[error("champs de signature impossibles à ajouter au PDF : {0}")]
    Pdf(String),
}

impl From<lopdf::Error> for SignatureError {
    fn from(err: lopdf::Error) -> Self {
        Self::Pdf(err.to_string())
    }
}

/// One corner marker as laid out.
struct Coin {
    champ: String,
    coin: String,
    infobulle: String,
    page: usize,
    /// PDF coordinates, in points.
    x: f64,
    y: f64,
}

/// The signature fields of a laid-out document, in document order, with unique names.
///
/// Each block gives a pair of markers, top-left (`hg`) then bottom-right (`bd`), with the same
/// `champ`, on the same page (a block never splits across pages). The first block named
/// `signature-x` keeps that name; the n-th one, in document order, becomes `signature-x-n`
/// (a convention repeats a signatory in its body and in each annex).
pub fn champs(doc: &PagedDocument) -> Result<Vec<Champ>, SignatureError> {
    let coins = coins(doc)?;
    let mut vus: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut reste = coins.into_iter();
    while let Some(hg) = reste.next() {
        if hg.coin != "hg" {
            return Err(SignatureError::Bloc(format!(
                "coin « {} » du champ « {} » sans coin haut-gauche avant lui",
                hg.coin, hg.champ
            )));
        }
        let Some(bd) = reste
            .next()
            .filter(|bd| bd.coin == "bd" && bd.champ == hg.champ)
        else {
            return Err(SignatureError::Bloc(format!(
                "le champ « {} » n’a pas de coin bas-droit juste après son coin haut-gauche",
                hg.champ
            )));
        };
        if bd.page != hg.page {
            return Err(SignatureError::Bloc(format!(
                "le champ « {} » commence page {} et finit page {}",
                hg.champ, hg.page, bd.page
            )));
        }
        let base = nom_sur(&hg.champ)?;
        let rang = vus.entry(base.clone()).or_insert(0);
        *rang += 1;
        let nom = if *rang == 1 {
            base
        } else {
            format!("{base}-{rang}")
        };
        let rect = [
            arrondi(hg.x, RoundingStrategy::ToPositiveInfinity)?,
            arrondi(bd.y, RoundingStrategy::ToPositiveInfinity)?,
            arrondi(bd.x, RoundingStrategy::ToNegativeInfinity)?,
            arrondi(hg.y, RoundingStrategy::ToNegativeInfinity)?,
        ];
        if rect[2] <= rect[0] || rect[3] <= rect[1] {
            return Err(SignatureError::Bloc(format!(
                "la zone de signature du champ « {nom} » est vide ({rect:?})"
            )));
        }
        out.push(Champ {
            nom,
            infobulle: hg.infobulle,
            page: hg.page,
            rect,
        });
    }
    // A name made unique by a suffix may still meet a block named that way on purpose.
    let mut noms: Vec<&str> = out.iter().map(|c| c.nom.as_str()).collect();
    noms.sort_unstable();
    if let Some(double) = noms.windows(2).find(|w| w[0] == w[1]) {
        return Err(SignatureError::Bloc(format!(
            "deux champs s’appellent « {} »",
            double[0]
        )));
    }
    Ok(out)
}

/// The corner markers of every signature block, in document order.
fn coins(doc: &PagedDocument) -> Result<Vec<Coin>, SignatureError> {
    let introspector = doc.introspector();
    let mut out = Vec::new();
    for content in introspector.query_labelled().iter() {
        if content
            .label()
            .is_none_or(|l| l.resolve().as_str() != LABEL)
        {
            continue;
        }
        let Some(meta) = content.to_packed::<MetadataElem>() else {
            continue;
        };
        let Value::Dict(valeur) = &meta.value else {
            return Err(SignatureError::Bloc(format!(
                "la valeur de <{LABEL}> n’est pas un dictionnaire : {:?}",
                meta.value
            )));
        };
        let position = content
            .location()
            .and_then(|loc| introspector.position(loc))
            .ok_or_else(|| SignatureError::Bloc(format!("<{LABEL}> sans position")))?;
        let page = position.page.get();
        let hauteur = doc
            .pages()
            .get(page - 1)
            .ok_or_else(|| SignatureError::Bloc(format!("<{LABEL}> hors des pages ({page})")))?
            .frame
            .height();
        out.push(Coin {
            champ: texte(valeur, "champ")?,
            coin: texte(valeur, "coin")?,
            infobulle: texte(valeur, "infobulle").unwrap_or_default(),
            page,
            x: position.point.x.to_pt(),
            // PDF's origin is the bottom-left corner, Typst's the top-left one.
            y: (hauteur - position.point.y).to_pt(),
        });
    }
    Ok(out)
}

/// A string entry of a marker's value.
fn texte(valeur: &Dict, cle: &str) -> Result<String, SignatureError> {
    match valeur.get(cle) {
        Ok(Value::Str(s)) => Ok(s.as_str().to_owned()),
        _ => Err(SignatureError::Bloc(format!(
            "<{LABEL}> sans chaîne « {cle} » : {valeur:?}"
        ))),
    }
}

/// A field name safe for `/T`: ASCII letters, digits, `-` and `_`; anything else (a `.` would
/// make a hierarchical name) becomes `-`.
fn nom_sur(champ: &str) -> Result<String, SignatureError> {
    let nom: String = champ
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if nom.trim_matches('-').is_empty() {
        return Err(SignatureError::Bloc(format!(
            "bloc de signature sans nom de champ utilisable (« {champ} »)"
        )));
    }
    Ok(nom)
}

/// A coordinate in points, rounded to [`DECIMALES`] digits in the direction given.
fn arrondi(pt: f64, sens: RoundingStrategy) -> Result<Decimal, SignatureError> {
    Decimal::from_f64_retain(pt)
        .map(|d| d.round_dp_with_strategy(DECIMALES, sens))
        .ok_or_else(|| SignatureError::Bloc(format!("coordonnée invalide : {pt}")))
}

/// The PDF with a signature field over each signing area of `doc`, or the same bytes when the
/// document has no signature block.
pub fn ajouter_champs(pdf: &[u8], doc: &PagedDocument) -> Result<Vec<u8>, SignatureError> {
    let champs = champs(doc)?;
    if champs.is_empty() {
        return Ok(pdf.to_vec());
    }
    ajouter(pdf, &champs)
}

/// Appends to `pdf` an incremental update adding `champs` (an empty list changes nothing).
pub fn ajouter(pdf: &[u8], champs: &[Champ]) -> Result<Vec<u8>, SignatureError> {
    if champs.is_empty() {
        return Ok(pdf.to_vec());
    }
    let precedent = lopdf::Document::load_mem_with_options(
        pdf,
        lopdf::LoadOptions::with_filter(structure_des_pages),
    )?;
    if precedent.is_encrypted() {
        return Err(SignatureError::Pdf("document chiffré".into()));
    }
    let pages = precedent.get_pages();
    let racine = precedent.trailer.get(b"Root")?.as_reference()?;
    let mut maj = IncrementalDocument::create_from(pdf.to_vec(), precedent);

    // New objects in document order: each field's appearance, then the field itself.
    let mut champs_par_page: BTreeMap<u32, Vec<ObjectId>> = BTreeMap::new();
    let mut champs_ids = Vec::with_capacity(champs.len());
    for champ in champs {
        let numero = u32::try_from(champ.page).unwrap_or(u32::MAX);
        let page = *pages.get(&numero).ok_or_else(|| {
            SignatureError::Pdf(format!(
                "la page {} du champ « {} » n’existe pas",
                champ.page, champ.nom
            ))
        })?;
        let apparence = maj.new_document.add_object(apparence_vide(champ)?);
        let id = maj.new_document.add_object(widget(champ, page, apparence)?);
        champs_par_page.entry(numero).or_default().push(id);
        champs_ids.push(id);
    }

    // New versions of the pages that get a widget, keeping their existing annotations.
    for (numero, ids) in &champs_par_page {
        let page_id = pages[numero];
        maj.opt_clone_object_to_new_document(page_id)?;
        let annots = maj
            .new_document
            .get_object(page_id)?
            .as_dict()?
            .get(b"Annots")
            .ok()
            .cloned();
        let nouvelles: Vec<Object> = ids.iter().map(|&id| Object::Reference(id)).collect();
        match annots {
            None => {
                maj.new_document
                    .get_object_mut(page_id)?
                    .as_dict_mut()?
                    .set("Annots", Object::Array(nouvelles));
            }
            Some(Object::Array(mut existantes)) => {
                existantes.extend(nouvelles);
                maj.new_document
                    .get_object_mut(page_id)?
                    .as_dict_mut()?
                    .set("Annots", Object::Array(existantes));
            }
            Some(Object::Reference(tableau)) => {
                maj.opt_clone_object_to_new_document(tableau)?;
                maj.new_document
                    .get_object_mut(tableau)?
                    .as_array_mut()?
                    .extend(nouvelles);
            }
            Some(autre) => {
                return Err(SignatureError::Pdf(format!(
                    "/Annots de la page {numero} inattendu : {autre:?}"
                )));
            }
        }
    }

    // A new catalog with the form. Typst never writes one; refuse rather than merge blindly.
    maj.opt_clone_object_to_new_document(racine)?;
    let catalogue = maj.new_document.get_object_mut(racine)?.as_dict_mut()?;
    if catalogue.has(b"AcroForm") {
        return Err(SignatureError::Pdf(
            "le document a déjà un formulaire".into(),
        ));
    }
    let mut formulaire = Dictionary::new();
    formulaire.set(
        "Fields",
        Object::Array(champs_ids.iter().map(|&id| Object::Reference(id)).collect()),
    );
    formulaire.set("SigFlags", SIG_FLAGS);
    catalogue.set("AcroForm", Object::Dictionary(formulaire));

    let mut out = Vec::with_capacity(pdf.len() + 1024 * champs.len());
    maj.save_to(&mut out)
        .map_err(|err| SignatureError::Pdf(err.to_string()))?;
    // ISO 19005-2, 6.1.3 allows one end-of-line marker after the last %%EOF.
    out.push(b'\n');
    Ok(out)
}

/// Keeps, of the PDF being updated, only what the update reads or rewrites: the catalog, the
/// page tree, the pages, and arrays (a page's `/Annots` may be an indirect one). The rest, the
/// bulk of a tagged PDF (content and font streams, one structure element per table cell), is
/// dropped as it is read: the update appends after the original bytes and needs only their
/// cross-reference table, so memory stays that of the pages (measured on an avenant of 336
/// pages and 14 000 table cells: 648 → 530 MiB at the peak of `generer`).
fn structure_des_pages(id: ObjectId, objet: &mut Object) -> Option<(ObjectId, Object)> {
    let garder = match objet {
        Object::Array(_) => true,
        Object::Dictionary(d) => matches!(
            d.get(b"Type").and_then(Object::as_name),
            Ok(b"Catalog" | b"Pages" | b"Page")
        ),
        _ => false,
    };
    // lopdf keeps the object read (`objet`) when the filter answers `Some`; what the
    // answer holds is not used.
    garder.then_some((id, Object::Null))
}

/// The merged field and widget dictionary of one signature field, unsigned (no `/V`).
fn widget(
    champ: &Champ,
    page: ObjectId,
    apparence: ObjectId,
) -> Result<Dictionary, SignatureError> {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Annot".to_vec()));
    d.set("Subtype", Object::Name(b"Widget".to_vec()));
    d.set("FT", Object::Name(b"Sig".to_vec()));
    d.set(
        "T",
        Object::String(champ.nom.as_bytes().to_vec(), StringFormat::Literal),
    );
    if !champ.infobulle.is_empty() {
        d.set(
            "TU",
            Object::String(texte_pdf(&champ.infobulle), StringFormat::Hexadecimal),
        );
    }
    d.set(
        "Rect",
        Object::Array(
            champ
                .rect
                .iter()
                .map(|&v| reel(v))
                .collect::<Result<_, _>>()?,
        ),
    );
    d.set("F", ANNOTATION_PRINT);
    d.set("P", Object::Reference(page));
    let mut ap = Dictionary::new();
    ap.set("N", Object::Reference(apparence));
    d.set("AP", Object::Dictionary(ap));
    Ok(d)
}

/// An empty Form XObject the size of the field: the normal appearance of an unsigned field,
/// which draws nothing (the signing area is already laid out by Typst).
fn apparence_vide(champ: &Champ) -> Result<Stream, SignatureError> {
    let [gauche, bas, droite, haut] = champ.rect;
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"XObject".to_vec()));
    d.set("Subtype", Object::Name(b"Form".to_vec()));
    d.set(
        "BBox",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(0),
            reel(droite - gauche)?,
            reel(haut - bas)?,
        ]),
    );
    d.set("Resources", Object::Dictionary(Dictionary::new()));
    // The same stream every time: never compressed, so no compressor version shows in the bytes.
    let mut s = Stream::new(d, Vec::new());
    s.allows_compression = false;
    Ok(s)
}

/// A PDF real from a rounded coordinate (`lopdf` prints the shortest text that reads back as
/// the same `f32`, so `65.2` is written `65.2`).
fn reel(v: Decimal) -> Result<Object, SignatureError> {
    v.to_f32()
        .map(Object::Real)
        .ok_or_else(|| SignatureError::Pdf(format!("coordonnée hors limites : {v}")))
}

/// A PDF text string: UTF-16BE with its byte order mark (ISO 32000-1, 7.9.2.2), which holds
/// any French text (`é`, `’`, `—`) that PDFDocEncoding may not.
fn texte_pdf(s: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    for unite in s.encode_utf16() {
        out.extend_from_slice(&unite.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_letters_digits_and_dashes() {
        assert_eq!(nom_sur("signature-le-port").unwrap(), "signature-le-port");
        assert_eq!(nom_sur("signature.a b/é").unwrap(), "signature-a-b--");
        assert!(nom_sur("").is_err());
        assert!(nom_sur("..").is_err());
    }

    #[test]
    fn rectangle_is_rounded_inwards() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            arrondi(65.19685, RoundingStrategy::ToPositiveInfinity).unwrap(),
            d("65.20")
        );
        assert_eq!(
            arrondi(65.19685, RoundingStrategy::ToNegativeInfinity).unwrap(),
            d("65.19")
        );
        assert!(arrondi(f64::NAN, RoundingStrategy::ToZero).is_err());
    }

    /// A one-page PDF whose page has an annotation in an indirect `/Annots` array, a
    /// content stream, and a structure element: what the filtered reading keeps and drops.
    fn pdf_d_essai() -> Vec<u8> {
        let mut doc = lopdf::Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let contenu = doc.add_object(Stream::new(Dictionary::new(), b"0 0 m".to_vec()));
        let mut note = Dictionary::new();
        note.set("Type", Object::Name(b"Annot".to_vec()));
        note.set("Subtype", Object::Name(b"Text".to_vec()));
        let note = doc.add_object(note);
        let annots = doc.add_object(Object::Array(vec![Object::Reference(note)]));
        let mut page = Dictionary::new();
        page.set("Type", Object::Name(b"Page".to_vec()));
        page.set("Parent", Object::Reference(pages_id));
        page.set("Contents", Object::Reference(contenu));
        page.set("Annots", Object::Reference(annots));
        let page = doc.add_object(page);
        let mut pages = Dictionary::new();
        pages.set("Type", Object::Name(b"Pages".to_vec()));
        pages.set("Kids", Object::Array(vec![Object::Reference(page)]));
        pages.set("Count", 1);
        doc.objects.insert(pages_id, Object::Dictionary(pages));
        let mut element = Dictionary::new();
        element.set("S", Object::Name(b"TD".to_vec()));
        doc.add_object(element);
        let mut catalogue = Dictionary::new();
        catalogue.set("Type", Object::Name(b"Catalog".to_vec()));
        catalogue.set("Pages", Object::Reference(pages_id));
        let catalogue = doc.add_object(catalogue);
        doc.trailer.set("Root", Object::Reference(catalogue));
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn the_update_reads_only_the_catalog_the_pages_and_arrays() {
        let pdf = pdf_d_essai();
        let genres = |lu: lopdf::Document| {
            let mut g: Vec<&str> = lu
                .objects
                .values()
                .map(|o| match o {
                    Object::Array(_) => "tableau",
                    Object::Dictionary(d) => match d.get(b"Type").and_then(Object::as_name) {
                        Ok(b"Catalog") => "catalogue",
                        Ok(b"Pages") => "arbre",
                        Ok(b"Page") => "page",
                        _ => "autre dictionnaire",
                    },
                    Object::Stream(_) => "flux",
                    _ => "autre",
                })
                .collect();
            g.sort_unstable();
            g.dedup();
            g
        };
        let filtre = lopdf::LoadOptions::with_filter(structure_des_pages);
        let lu = lopdf::Document::load_mem_with_options(&pdf, filtre).unwrap();
        assert_eq!(genres(lu), ["arbre", "catalogue", "page", "tableau"]);
        // The file holds the others: they were read and dropped.
        let tout = genres(lopdf::Document::load_mem(&pdf).unwrap());
        assert!(
            tout.contains(&"flux") && tout.contains(&"autre dictionnaire"),
            "{tout:?}"
        );
    }

    #[test]
    fn a_field_joins_the_annotations_of_an_indirect_array() {
        let pdf = pdf_d_essai();
        let champ = Champ {
            nom: "signature-essai".into(),
            infobulle: String::new(),
            page: 1,
            rect: [
                Decimal::from(10),
                Decimal::from(10),
                Decimal::from(90),
                Decimal::from(40),
            ],
        };
        let avec = ajouter(&pdf, &[champ]).unwrap();
        assert!(
            avec.starts_with(&pdf),
            "the original bytes are kept as they are"
        );
        let lu = lopdf::Document::load_mem(&avec).unwrap();
        let page = lu.get_pages()[&1];
        let annots = lu.get_dictionary(page).unwrap().get(b"Annots").unwrap();
        let tableau = lu.get_object(annots.as_reference().unwrap()).unwrap();
        let genres: Vec<Vec<u8>> = tableau
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let d = lu.get_dictionary(r.as_reference().unwrap()).unwrap();
                d.get(b"Subtype").unwrap().as_name().unwrap().to_vec()
            })
            .collect();
        assert_eq!(genres, [b"Text".to_vec(), b"Widget".to_vec()]);
    }

    #[test]
    fn tooltip_is_utf16_with_bom() {
        assert_eq!(texte_pdf("é’"), vec![0xFE, 0xFF, 0x00, 0xE9, 0x20, 0x19]);
    }
}
