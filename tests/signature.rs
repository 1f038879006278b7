//! Signature fields of the generated PDFs, read back with lopdf and compared with the layout:
//! one field per signature block, named after the signatory, inside the block, on its page;
//! the file still PDF/A-2b and byte-reproducible; `--sans-champs-signature` turns them off.
//!
//! Rust only: no qpdf or pyHanko here (see scripts/signer-essai.sh and docs/signature.md).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use convflux::pipeline;
use convflux::render::{DocumentSource, Rendu};
use convflux::typeset::signature;
use convflux::typeset::{self, Compiled, LabelPosition, TypesetError, Typesetter};
use lopdf::{Dictionary, Document, Object, ObjectId};

mod commun;
use commun::{avec_clauses, clauses_essai, ts};

/// The f32 precision of a PDF real around 842 pt, with margin: the only slack allowed.
const EPS: f64 = 1e-3;

fn ts_sans_champs() -> &'static Typesetter {
    static TS: OnceLock<Typesetter> = OnceLock::new();
    TS.get_or_init(|| {
        Typesetter::new()
            .expect("typesetter")
            .champs_signature(false)
    })
}

fn seeds() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["data/territoire-ouest", "data/clermont-auvergne-metropole"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 6, "{out:?}");
    // Dispositions particulières push the signatures further down: the
    // fields must follow them.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    out.push(avec_clauses(
        "data/territoire-ouest/sidr.yaml",
        &clauses_essai(10),
        dir,
        "signature-sidr-clauses.yaml",
    ));
    out.push(avec_clauses(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        &clauses_essai(13),
        dir,
        "signature-le-cendre-clauses.yaml",
    ));
    out
}

/// The documents of the first exercise (the convention to sign and its annexes).
fn documents(chemin: &Path) -> Vec<DocumentSource> {
    let an = pipeline::analyser(chemin);
    assert!(an.valide(), "{}", an.diagnostics_rendus());
    let c = an.convention.as_ref().unwrap();
    Rendu::new()
        .documents(c, &an.flux[0], &an.flux)
        .expect("rendu")
}

/// The documents of every exercise: also the avenants and updated annexes of later years.
fn tous_documents(chemin: &Path) -> Vec<DocumentSource> {
    let an = pipeline::analyser(chemin);
    assert!(an.valide(), "{}", an.diagnostics_rendus());
    let c = an.convention.as_ref().unwrap();
    let rendu = Rendu::new();
    an.flux
        .iter()
        .flat_map(|f| rendu.documents(c, f, &an.flux).expect("rendu"))
        .collect()
}

fn compile(doc: &DocumentSource) -> Compiled {
    ts().compile(&doc.source, &doc.ident)
        .unwrap_or_else(|e| panic!("{}: {e}", doc.fichier))
}

/// A field as read back from the PDF.
#[derive(Debug)]
struct Lu {
    nom: String,
    infobulle: Option<String>,
    page: usize,
    rect: [f64; 4],
}

fn chaine(o: &Object) -> String {
    let b = o.as_str().unwrap();
    if let Some(utf16) = b.strip_prefix(&[0xFE, 0xFF]) {
        let unites: Vec<u16> = utf16
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&unites).unwrap()
    } else {
        String::from_utf8(b.to_vec()).unwrap()
    }
}

fn dict<'a>(pdf: &'a Document, o: &'a Object) -> &'a Dictionary {
    pdf.dereference(o).unwrap().1.as_dict().unwrap()
}

fn nombre(o: &Object) -> f64 {
    match o {
        Object::Integer(i) => *i as f64,
        Object::Real(r) => f64::from(*r),
        autre => panic!("pas un nombre : {autre:?}"),
    }
}

/// Every field of the AcroForm, checked for what PDF/A-2b and signing need on the way.
fn champs_lus(bytes: &[u8]) -> Vec<Lu> {
    let pdf = Document::load_mem(bytes).unwrap();
    let numeros: HashMap<ObjectId, usize> = pdf
        .get_pages()
        .into_iter()
        .map(|(n, id)| (id, n as usize))
        .collect();
    let catalogue = pdf.catalog().unwrap();
    let Ok(form) = catalogue.get(b"AcroForm") else {
        return Vec::new();
    };
    let form = dict(&pdf, form);
    assert!(!form.has(b"NeedAppearances"), "PDF/A-2 6.4.2");
    assert_eq!(form.get(b"SigFlags").unwrap().as_i64().unwrap(), 1);
    let mut out = Vec::new();
    for r in form.get(b"Fields").unwrap().as_array().unwrap() {
        let id = r.as_reference().unwrap();
        let f = pdf.get_dictionary(id).unwrap();
        let nom = chaine(f.get(b"T").unwrap());
        assert_eq!(f.get(b"FT").unwrap().as_name().unwrap(), b"Sig", "{nom}");
        assert_eq!(
            f.get(b"Subtype").unwrap().as_name().unwrap(),
            b"Widget",
            "{nom}"
        );
        assert!(!f.has(b"V"), "{nom} : déjà signé");
        // PDF/A-2 6.3.2: printable, not hidden; 6.3.3: an appearance with /N only; 6.4.1: no action.
        assert_eq!(f.get(b"F").unwrap().as_i64().unwrap(), 4, "{nom}");
        let ap = dict(&pdf, f.get(b"AP").unwrap());
        assert_eq!(ap.len(), 1, "{nom}");
        let n = pdf
            .dereference(ap.get(b"N").unwrap())
            .unwrap()
            .1
            .as_stream()
            .unwrap();
        assert_eq!(n.dict.get(b"Subtype").unwrap().as_name().unwrap(), b"Form");
        assert!(n.dict.has(b"BBox"));
        assert!(!f.has(b"A") && !f.has(b"AA"), "{nom}");
        let page_id = f.get(b"P").unwrap().as_reference().unwrap();
        let annots = pdf.get_dictionary(page_id).unwrap().get(b"Annots").unwrap();
        let annots = pdf.dereference(annots).unwrap().1.as_array().unwrap();
        assert!(
            annots.contains(&Object::Reference(id)),
            "{nom} absent des /Annots de sa page"
        );
        let rect: Vec<f64> = f
            .get(b"Rect")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(nombre)
            .collect();
        out.push(Lu {
            nom,
            infobulle: f.get(b"TU").ok().map(chaine),
            page: numeros[&page_id],
            rect: rect.try_into().unwrap(),
        });
    }
    out
}

/// The field names a source asks for, in source order (`champ: "…"` of each `bloc-signature`),
/// made unique by the documented rule: the n-th repeat of a name gets `-n`.
fn noms_attendus(source: &str) -> Vec<String> {
    let mut vus: HashMap<String, usize> = HashMap::new();
    source
        .split("bloc-signature(")
        .skip(1)
        .map(|appel| {
            let debut = appel.find("champ: \"").expect("champ:") + "champ: \"".len();
            let nom = appel[debut..][..appel[debut..].find('"').unwrap()].to_owned();
            let n = vus.entry(nom.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { nom } else { format!("{nom}-{n}") }
        })
        .collect()
}

/// The (top-left, bottom-right) corners of every signing area, from the layout.
fn blocs(c: &Compiled) -> Vec<(LabelPosition, LabelPosition)> {
    let coins = typeset::positions(&c.document, signature::LABEL);
    assert!(coins.len().is_multiple_of(2), "{coins:?}");
    coins
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

/// The acceptance test: every block of every seed document, every exercise.
#[test]
fn every_signature_block_of_the_seeds_has_one_field_inside_it() {
    let mut total = 0;
    for seed in seeds() {
        for doc in tous_documents(&seed) {
            let compiled = compile(&doc);
            let quoi = format!("{} / {}", seed.display(), doc.ident);
            let blocs = blocs(&compiled);
            let lus = champs_lus(&compiled.pdf);
            let noms: Vec<&str> = lus.iter().map(|l| l.nom.as_str()).collect();
            // An illustrative document must not be signed: blocks, no field.
            if doc.source.contains("#show: filigrane") {
                assert!(noms.is_empty(), "{quoi} : {noms:?}");
                continue;
            }
            assert_eq!(noms, noms_attendus(&doc.source), "{quoi}");
            assert_eq!(lus.len(), blocs.len(), "{quoi} : un champ par bloc");
            for (lu, (hg, bd)) in lus.iter().zip(&blocs) {
                assert_eq!(
                    (lu.page, lu.page),
                    (hg.page, bd.page),
                    "{quoi} : {} mauvaise page",
                    lu.nom
                );
                let [gauche, bas, droite, haut] = lu.rect;
                // Inside the block...
                assert!(
                    gauche >= hg.x - EPS && droite <= bd.x + EPS,
                    "{quoi} : {lu:?} {hg:?} {bd:?}"
                );
                assert!(
                    bas >= bd.y - EPS && haut <= hg.y + EPS,
                    "{quoi} : {lu:?} {hg:?} {bd:?}"
                );
                // ...and over all of it, to the hundredth of a point.
                for (a, b) in [(gauche, hg.x), (droite, bd.x), (bas, bd.y), (haut, hg.y)] {
                    assert!((a - b).abs() <= 0.01 + EPS, "{quoi} : {lu:?} {hg:?} {bd:?}");
                }
                assert!(
                    lu.infobulle.as_deref().is_some_and(|t| !t.is_empty()),
                    "{quoi} : {lu:?}"
                );
            }
            total += lus.len();
        }
    }
    assert!(total >= 40, "{total} champs seulement");
}

/// An annex written alone is cut from its composition (compose once): its
/// fields are those of its own blocks, named, placed and described exactly
/// as when its source is composed alone.
#[test]
fn annexes_cut_from_their_composition_have_the_fields_of_their_own_blocks() {
    let mut total = 0;
    for seed in seeds() {
        let mut composition: Option<(String, Compiled)> = None;
        for doc in tous_documents(&seed) {
            let Some(p) = &doc.partie_de else {
                composition = Some((doc.fichier.clone(), compile(&doc)));
                continue;
            };
            let (fichier, c) = composition.as_ref().unwrap();
            assert_eq!(*fichier, p.composition);
            let quoi = format!("{} / {}", seed.display(), doc.ident);
            let extrait = ts()
                .extraire(c, &p.cle, &p.titre, &doc.ident)
                .unwrap()
                .unwrap_or_else(|| panic!("{quoi} : partie absente"));
            let seul = compile(&doc);
            let (lus, attendus) = (champs_lus(&extrait.pdf), champs_lus(&seul.pdf));
            assert_eq!(
                lus.len(),
                blocs(&extrait).len(),
                "{quoi} : un champ par bloc"
            );
            assert_eq!(lus.len(), attendus.len(), "{quoi}");
            for (lu, a) in lus.iter().zip(&attendus) {
                assert_eq!(
                    (&lu.nom, &lu.infobulle, lu.page),
                    (&a.nom, &a.infobulle, a.page),
                    "{quoi}"
                );
                for (x, y) in lu.rect.iter().zip(&a.rect) {
                    assert!((x - y).abs() <= EPS, "{quoi} : {lu:?} {a:?}");
                }
            }
            total += lus.len();
        }
    }
    assert!(total >= 10, "{total} champs seulement");
}

#[test]
fn convention_repeats_a_signatory_with_a_numbered_name() {
    let docs = documents(Path::new("data/territoire-ouest/sidr.yaml"));
    let convention = champs_lus(&compile(&docs[0]).pdf);
    let noms: Vec<&str> = convention.iter().map(|l| l.nom.as_str()).collect();
    assert_eq!(
        noms,
        [
            "signature-territoire-ouest",
            "signature-le-port",
            "signature-la-possession",
            "signature-saint-paul",
            "signature-trois-bassins",
            "signature-saint-leu",
            "signature-bailleur",
            "signature-le-port-2",
            "signature-bailleur-2",
        ]
    );
    let annexe = docs
        .iter()
        .find(|d| d.fichier == "annexe-le-port.pdf")
        .unwrap();
    let annexe = champs_lus(&compile(annexe).pdf);
    let noms: Vec<&str> = annexe.iter().map(|l| l.nom.as_str()).collect();
    assert_eq!(noms, ["signature-le-port", "signature-bailleur"]);
    // No name in the seed: the tooltip is the quality alone.
    assert_eq!(
        annexe[0].infobulle.as_deref(),
        Some("Maire de la commune du Port")
    );
}

#[test]
fn tooltip_gives_quality_and_name() {
    let docs = documents(Path::new(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
    ));
    let lus = champs_lus(&compile(&docs[0]).pdf);
    let bulles: Vec<&str> = lus.iter().filter_map(|l| l.infobulle.as_deref()).collect();
    assert!(
        bulles.contains(&"Directeur Général — Rachid KANDER"),
        "{lus:?}"
    );
    assert!(bulles.contains(&"Maire — M. Hervé PRONONCE"), "{lus:?}");
}

#[test]
fn fields_are_an_incremental_update_that_keeps_pdfa_and_reproducibility() {
    let docs = documents(Path::new("data/territoire-ouest/sodiac.yaml"));
    let doc = &docs[0];
    let a = compile(doc).pdf;
    let b = compile(doc).pdf;
    assert_eq!(a, b, "deux compilations, deux fichiers différents");

    // The file Typst wrote is kept byte for byte; the fields follow it.
    let sans = ts_sans_champs()
        .compile(&doc.source, &doc.ident)
        .unwrap()
        .pdf;
    assert!(champs_lus(&sans).is_empty());
    assert!(
        a.len() > sans.len() && a.starts_with(&sans),
        "pas une mise à jour incrémentale"
    );
    let ajout = String::from_utf8_lossy(&a[sans.len()..]);
    assert!(ajout.contains("/Prev "), "{ajout}");
    assert!(ajout.ends_with("%%EOF\n"), "{ajout}");
    for interdit in [
        "/JavaScript",
        "/JS",
        "/AA",
        "/NeedAppearances",
        "/OpenAction",
    ] {
        assert!(!ajout.contains(interdit), "{interdit} dans la mise à jour");
    }

    // The catalog is new, its metadata the same: still PDF/A-2b.
    let pdf = Document::load_mem(&a).unwrap();
    let xmp = pdf
        .dereference(pdf.catalog().unwrap().get(b"Metadata").unwrap())
        .unwrap()
        .1
        .as_stream()
        .unwrap();
    let xmp = String::from_utf8_lossy(&xmp.content);
    assert!(xmp.contains("<pdfaid:part>2</pdfaid:part>"), "{xmp}");
    assert!(
        xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{xmp}"
    );
    assert!(pdf.trailer.has(b"ID"));
}

/// A Typst document using the library's signature block directly.
fn essai(corps: &str) -> String {
    format!(
        "#import \"/lib/convflux.typ\": *\n#set document(date: datetime(year: 2025, month: 1, day: 1))\n#show: mise-en-page\n{corps}\n"
    )
}

#[test]
fn a_block_pushed_to_the_next_page_takes_its_field_with_it() {
    let bloc = "#bloc-signature(champ: \"signature-x\", qualite: [Maire], infobulle: \"Maire\")";
    let haut = ts().compile(&essai(bloc), "essai").unwrap();
    let bas = ts()
        .compile(&essai(&format!("#v(23cm)\n{bloc}")), "essai")
        .unwrap();
    let (haut, bas) = (champs_lus(&haut.pdf), champs_lus(&bas.pdf));
    assert_eq!((haut.len(), bas.len()), (1, 1));
    assert_eq!((haut[0].page, bas[0].page), (1, 2));
    assert_eq!(bas[0].nom, "signature-x");
}

#[test]
fn a_document_without_signature_block_is_left_as_typst_wrote_it() {
    let source = essai("Bonjour.");
    let avec = ts().compile(&source, "essai").unwrap().pdf;
    let sans = ts_sans_champs().compile(&source, "essai").unwrap().pdf;
    assert_eq!(avec, sans);
}

#[test]
fn a_malformed_signature_block_is_a_typeset_error() {
    let seul = essai("#place([#metadata((champ: \"s\", coin: \"hg\"))<convflux-signature>])");
    match ts().compile(&seul, "essai") {
        Err(TypesetError::Signature(e)) => {
            assert!(e.to_string().contains("bas-droit"), "{e}")
        }
        autre => panic!("{autre:?}"),
    }
    let sans_nom = essai("#bloc-signature(qualite: [Maire])");
    let err = ts().compile(&sans_nom, "essai").unwrap_err().to_string();
    assert!(err.contains("sans nom de champ"), "{err}");
}

#[test]
fn sans_champs_signature_option_writes_paper_only_pdfs() {
    let dir = tempfile::tempdir().unwrap();
    for (sortie, option) in [("avec", None), ("sans", Some("--sans-champs-signature"))] {
        let sortie = dir.path().join(sortie);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_convflux"));
        cmd.args(["generer", "-q", "--sortie"])
            .arg(&sortie)
            .arg("data/territoire-ouest/sidr.yaml");
        cmd.args(option);
        let o = cmd.output().unwrap();
        commun::sans_anglais(&["generer", "--sans-champs-signature"], &o);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let pdf = std::fs::read(sortie.join("2024/territoire-ouest-sidr/convention.pdf")).unwrap();
        let n = champs_lus(&pdf).len();
        assert_eq!(n, if option.is_some() { 0 } else { 9 }, "{sortie:?}");
    }
}

/// Illustrative documents (the 2025 exercise of the samples) say in their
/// metadata that they are examples not to be signed, and carry no
/// signature field; each document has its own title; the unsigned
/// avenant is dated by the bilan it cites, not 1 January.
#[test]
fn illustrative_documents_are_flagged_and_have_no_signature_field() {
    let mut titres = std::collections::BTreeSet::new();
    for seed in seeds() {
        for doc in tous_documents(&seed) {
            let compiled = compile(&doc);
            let xmp = String::from_utf8_lossy(&compiled.pdf).into_owned();
            let quoi = format!("{} / {}", seed.display(), doc.ident);
            let illustratif = doc.source.contains("#show: filigrane");
            assert_eq!(
                xmp.contains("chiffres illustratifs non réels, à ne pas signer"),
                illustratif,
                "{quoi} : Subject"
            );
            assert_eq!(
                xmp.contains("chiffres illustratifs, document d’exemple</pdf:Keywords>"),
                illustratif,
                "{quoi} : Keywords"
            );
            if illustratif {
                assert!(champs_lus(&compiled.pdf).is_empty(), "{quoi}");
            }
            let titre = xmp
                .split("<dc:title>")
                .nth(1)
                .and_then(|t| t.split("</dc:title>").next())
                .unwrap_or_default()
                .to_string();
            // (seeds() adds a copy of the SIDR file with clauses: same title.)
            if seed.starts_with("data") {
                assert!(
                    titres.insert(titre.clone()),
                    "{quoi} : titre en double {titre}"
                );
            }
            if doc.ident.ends_with("/2025/avenant-1") && seed.ends_with("shlmr.yaml") {
                assert!(xmp.contains("2025-02-27"), "{quoi} : date du bilan");
            }
        }
    }
}
