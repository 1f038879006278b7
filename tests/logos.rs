//! Logos (`logo:` of a party): a PNG next to the YAML file is printed on the
//! first page as an image XObject, the PDF stays PDF/A-2b, deterministic and
//! signable; changing the logo regenerates the documents; hostile paths and
//! files are refused with a French error and nothing written.
//!
//! Rerun alone: `cargo test --test logos`.

mod commun;

use std::fs;
use std::path::{Path, PathBuf};

use commun::{PNG_BLEU, PNG_ROUGE, convflux, s, stderr};
use lopdf::{Document, Object};

const SEED: &str = "data/territoire-ouest/sedre.yaml";
const CONVENTION: &str = "2024/territoire-ouest-sedre/convention.pdf";

/// `sedre.yaml` from data/ written under `dir`, its bailleur with `logo: <logo>`.
fn yaml_avec_logo(dir: &Path, logo: &str) -> PathBuf {
    let base = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED)).unwrap();
    let avant = "\nbailleur:\n  nom: SEDRE\n";
    assert!(base.contains(avant));
    let texte = base.replacen(avant, &format!("{avant}  logo: \"{logo}\"\n"), 1);
    let yaml = dir.join("sedre.yaml");
    fs::write(&yaml, texte).unwrap();
    yaml
}

fn generer(yaml: &Path, sortie: &Path) -> std::process::Output {
    convflux(&["generer", s(yaml), "--sortie", s(sortie), "-j", "1"])
}

/// Whether the PDF has an image XObject.
fn a_une_image(pdf: &Document) -> bool {
    pdf.objects.values().any(|o| match o {
        Object::Stream(st) => st
            .dict
            .get(b"Subtype")
            .is_ok_and(|t| t.as_name().is_ok_and(|n| n == b"Image")),
        _ => false,
    })
}

/// The number of `/FT /Sig` fields of the AcroForm.
fn champs_signature(pdf: &Document) -> usize {
    let Ok(form) = pdf.catalog().unwrap().get(b"AcroForm") else {
        return 0;
    };
    let form = pdf.dereference(form).unwrap().1.as_dict().unwrap();
    form.get(b"Fields")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let f = pdf.get_dictionary(r.as_reference().unwrap()).unwrap();
            f.get(b"FT").unwrap().as_name().unwrap() == b"Sig"
        })
        .count()
}

#[test]
fn a_png_logo_is_an_image_of_a_signable_deterministic_pdf_a() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("logos")).unwrap();
    fs::write(dir.path().join("logos/sedre.png"), PNG_ROUGE).unwrap();
    let yaml = yaml_avec_logo(dir.path(), "logos/sedre.png");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let o = generer(&yaml, out);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let octets = fs::read(a.join(CONVENTION)).unwrap();
    assert_eq!(
        octets,
        fs::read(b.join(CONVENTION)).unwrap(),
        "déterministe"
    );
    let pdf = Document::load_mem(&octets).unwrap();
    assert!(a_une_image(&pdf), "pas d'image XObject");
    let xmp = pdf
        .dereference(pdf.catalog().unwrap().get(b"Metadata").unwrap())
        .unwrap()
        .1
        .as_stream()
        .unwrap();
    let xmp = String::from_utf8_lossy(&xmp.content);
    assert!(xmp.contains("<pdfaid:part>2</pdfaid:part>"), "{xmp}");
    assert!(xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"));

    // The same convention without logo: as many signature fields (one per
    // block), and no image.
    let temoin = dir.path().join("temoin");
    let o = convflux(&["generer", SEED, "--sortie", s(&temoin), "-j", "1", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sans = Document::load(temoin.join(CONVENTION)).unwrap();
    assert!(!a_une_image(&sans));
    let n = champs_signature(&sans);
    assert!(n > 0);
    assert_eq!(champs_signature(&pdf), n);
    // An annex alone is the very pages it occupies in the convention
    // (compose once): the logos are on the convention's first page only.
    let annexe = fs::read_dir(a.join("2024/territoire-ouest-sedre"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("annexe-")
        })
        .unwrap();
    assert!(!a_une_image(&Document::load(annexe).unwrap()));
}

#[test]
fn changing_the_logo_regenerates_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    let logo = dir.path().join("logo.png");
    fs::write(&logo, PNG_ROUGE).unwrap();
    let yaml = yaml_avec_logo(dir.path(), "logo.png");
    let out = dir.path().join("out");
    let o = generer(&yaml, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let avant = fs::read(out.join(CONVENTION)).unwrap();
    let manifeste = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifeste.contains("logo.png"), "{manifeste}");

    let o = generer(&yaml, &out);
    let e = stderr(&o);
    assert!(resume(&e).starts_with("0 document produit"), "{e}");

    fs::write(&logo, PNG_BLEU).unwrap();
    let o = generer(&yaml, &out);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(resume(&e).starts_with("4 documents produits"), "{e}");
    assert_ne!(fs::read(out.join(CONVENTION)).unwrap(), avant);
}

/// A refused logo: exit code 1, the French reason, no document written.
fn refuse(dir: &Path, logo: &str, raison: &str) {
    let yaml = yaml_avec_logo(dir, logo);
    let out = dir.join("out");
    let o = generer(&yaml, &out);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{logo} : {e}");
    assert!(e.contains(raison), "{logo} : {e}");
    assert!(!out.join("2024").exists(), "{logo} : documents écrits");
}

#[test]
fn hostile_logos_are_refused_and_nothing_is_written() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("donnees");
    fs::create_dir(&dir).unwrap();
    fs::write(base.path().join("dehors.png"), PNG_ROUGE).unwrap();
    refuse(&dir, "../dehors.png", "`..`");
    refuse(&dir, s(&base.path().join("dehors.png")), "chemin absolu");
    refuse(&dir, "absent.png", "fichier introuvable");
    fs::write(dir.join("texte.png"), "ceci est du texte, pas une image\n").unwrap();
    refuse(&dir, "texte.png", "n'est pas une image PNG");
    let mut gros = PNG_ROUGE.to_vec();
    gros.resize(2 * 1024 * 1024 + 1, 0);
    fs::write(dir.join("gros.png"), gros).unwrap();
    refuse(&dir, "gros.png", "trop volumineux");
    fs::create_dir(dir.join("dossier.png")).unwrap();
    refuse(&dir, "dossier.png", "pas un fichier ordinaire");
    refuse(&dir, "logo.gif", "format d'image non pris en charge");
    refuse(
        &dir,
        "modele:images/logo.png",
        "convention › gabarits manque",
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(base.path().join("dehors.png"), dir.join("lien.png")).unwrap();
        refuse(&dir, "lien.png", "lien qui mène hors du dossier");
    }
}

/// What a legal service does with its territory's model, end to end: copy
/// the built-in model, change an article, add a clause and a logo, generate.
/// The PDF has the new text, the clause and the image, stays PDF/A-2b with a
/// signature field over every signature block, and a second run gives the
/// same bytes.
#[test]
fn a_copied_model_with_a_changed_article_a_clause_and_a_logo() {
    const ANCIENNE: &str = "La présente convention est conclue pour une durée";
    const NOUVELLE: &str = "Le présent accord local est conclu pour une durée";
    let dir = tempfile::tempdir().unwrap();
    let modele = dir.path().join("modeles/ouest");
    let o = convflux(&["modele", "copier", "intercommunal", s(&modele), "-q"]);
    assert!(o.status.success(), "{}", commun::stderr(&o));
    let corps = modele.join("intercommunal/_corps.typ.j2");
    let texte = fs::read_to_string(&corps).unwrap();
    assert!(texte.contains(ANCIENNE));
    fs::write(&corps, texte.replace(ANCIENNE, NOUVELLE)).unwrap();
    fs::create_dir_all(modele.join("images")).unwrap();
    fs::write(modele.join("images/logo.png"), PNG_ROUGE).unwrap();

    let yaml = yaml_avec_logo(dir.path(), "modele:images/logo.png");
    let base = fs::read_to_string(&yaml).unwrap();
    let base = base.replacen(
        "\n  modele: intercommunal\n",
        "\n  modele: intercommunal\n  gabarits: \"modeles/ouest\"\n",
        1,
    );
    let base = base.replacen(
        "\nbailleur:",
        &format!("\n{}bailleur:", commun::clauses_essai(10)),
        1,
    );
    fs::write(&yaml, base).unwrap();

    let sortie = dir.path().join("out");
    let o = generer(&yaml, &sortie);
    assert!(o.status.success(), "{}", commun::stderr(&o));
    let octets = fs::read(sortie.join(CONVENTION)).unwrap();
    let pdf = Document::load_mem(&octets).unwrap();
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    let texte = commun::plat(&pdf.extract_text(&pages).unwrap());
    assert!(texte.contains(&commun::plat(NOUVELLE)), "{texte}");
    assert!(!texte.contains(&commun::plat(ANCIENNE)), "{texte}");
    assert!(
        texte.contains("Relogement des ménages sinistrés"),
        "{texte}"
    );
    assert!(
        texte.contains("Nouveau texte de l’article remplacé"),
        "{texte}"
    );
    assert!(a_une_image(&pdf));
    let brut = String::from_utf8_lossy(&octets);
    assert!(brut.contains("<pdfaid:part>2</pdfaid:part>"));
    assert!(brut.contains("<pdfaid:conformance>B</pdfaid:conformance>"));

    // As many signature fields as the built-in model gives the same parties.
    let temoin = dir.path().join("temoin");
    let o = convflux(&["generer", SEED, "--sortie", s(&temoin), "-j", "1", "-q"]);
    assert!(o.status.success(), "{}", commun::stderr(&o));
    let sans = Document::load(temoin.join(CONVENTION)).unwrap();
    assert!(champs_signature(&sans) > 0);
    assert_eq!(champs_signature(&pdf), champs_signature(&sans));

    // The same inputs give the same bytes.
    let encore = dir.path().join("encore");
    let o = generer(&yaml, &encore);
    assert!(o.status.success(), "{}", commun::stderr(&o));
    assert!(fs::read(encore.join(CONVENTION)).unwrap() == octets);
}

/// The summary line (the output folder and the warnings by rule follow it).
fn resume(e: &str) -> &str {
    e.lines()
        .rfind(|l| l.contains(" produit") && l.contains(" en erreur"))
        .unwrap_or("")
}
