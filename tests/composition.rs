//! Compose once: a convention (or an avenant) is laid out once, and each of
//! its annexes is written alone as the very pages it occupies in it
//! (`Typesetter::extraire`). These tests hold that promise on every example
//! of `data/`, every year: the annex alone has the text of its pages in the
//! composition, page for page, and the same pages as its own Typst source
//! composed alone (what `generer --typst` writes for `typst compile`); the
//! body and each annex are numbered on their own; the bytes do not change
//! from one run to the next; a composition without part markers (a user's
//! model written before them) falls back to composing the annex alone.

use std::path::{Path, PathBuf};

use convflux::pipeline;
use convflux::render::{DocumentSource, Rendu};
use convflux::typeset::{self, Compiled};

mod commun;
use commun::ts;

/// Every YAML file of `data/`.
fn exemples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walk(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data")));
    out.sort();
    assert!(out.len() >= 7, "{out:?}");
    out
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "modele") {
                out.extend(walk(&p));
            }
        } else if p.extension().is_some_and(|x| x == "yaml")
            && p.file_name().is_some_and(|n| n != "convflux.yaml")
        {
            out.push(p);
        }
    }
    out
}

/// The documents of every year of a file, with the model it names.
fn documents(chemin: &Path) -> Vec<(i32, Vec<DocumentSource>)> {
    let an = pipeline::analyser(chemin);
    assert!(an.valide(), "{}", an.diagnostics_rendus());
    let c = an.convention.as_ref().unwrap();
    let rendu = Rendu::new();
    an.flux
        .iter()
        .map(|f| {
            (
                f.annee,
                rendu
                    .documents_du_modele(an.modele.as_ref(), c, f, &an.flux)
                    .expect("rendu"),
            )
        })
        .collect()
}

fn compile(doc: &DocumentSource) -> Compiled {
    ts().compile_modele(&doc.source, &doc.ident, doc.modele.as_deref())
        .unwrap_or_else(|e| panic!("{}: {e}", doc.fichier))
}

/// The text of each page, spaces folded.
fn pages(c: &Compiled) -> Vec<String> {
    typeset::texte(&c.document)
        .iter()
        .map(|p| commun::plat(p))
        .collect()
}

/// The "page x / n" of each page, in order.
fn numeros(pages: &[String]) -> Vec<String> {
    pages
        .iter()
        .map(|p| {
            let i = p.rfind("page ").expect("numéro de page");
            p[i..].to_owned()
        })
        .collect()
}

#[test]
fn each_annex_alone_is_the_pages_it_occupies_in_its_composition() {
    let mut annexes = 0;
    for chemin in exemples() {
        for (annee, docs) in documents(&chemin) {
            let mut composition: Option<(String, Compiled)> = None;
            for doc in &docs {
                let Some(p) = &doc.partie_de else {
                    composition = Some((doc.fichier.clone(), compile(doc)));
                    continue;
                };
                let (fichier, c) = composition.as_ref().expect("composition avant ses annexes");
                assert_eq!(*fichier, p.composition, "{}", chemin.display());
                let extrait = ts()
                    .extraire(c, &p.cle, &p.titre, &doc.ident)
                    .expect("extraction")
                    .unwrap_or_else(|| {
                        panic!("{} {annee} : partie {} absente", chemin.display(), p.cle)
                    });
                let (tout, seul) = (pages(c), pages(&extrait));
                let r = typeset::parties(&c.document)[&p.cle].clone();
                assert_eq!(
                    tout[*r.start() - 1..*r.end()],
                    seul[..],
                    "{} {annee} {}",
                    chemin.display(),
                    doc.fichier
                );
                // Its own source, composed alone, gives the same pages.
                assert_eq!(
                    pages(&compile(doc)),
                    seul,
                    "{} {annee} {} : source seule",
                    chemin.display(),
                    doc.fichier
                );
                // Numbered on its own: page 1 / n to n / n.
                let n = seul.len();
                let attendus: Vec<String> = (1..=n).map(|i| format!("page {i} / {n}")).collect();
                assert_eq!(numeros(&seul), attendus, "{}", doc.fichier);
                assert_eq!(extrait.pages, n);
                // Same bytes twice.
                let encore = ts()
                    .extraire(c, &p.cle, &p.titre, &doc.ident)
                    .unwrap()
                    .unwrap();
                assert_eq!(encore.pdf, extrait.pdf, "{}", doc.fichier);
                // Its own title.
                assert!(
                    String::from_utf8_lossy(&extrait.pdf).contains("Annexe"),
                    "{}",
                    doc.fichier
                );
                annexes += 1;
            }
        }
    }
    assert!(annexes >= 16, "{annexes} annexes seulement");
}

#[test]
fn the_body_is_numbered_on_its_own_before_its_annexes() {
    let chemin = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/clermont-auvergne-metropole/le-cendre-assemblia.yaml"
    ));
    let (_, docs) = documents(chemin).remove(0);
    let c = compile(&docs[0]);
    let n = numeros(&pages(&c));
    let parties = typeset::parties(&c.document);
    assert_eq!(parties.len(), 3, "{parties:?}");
    let premiere_annexe = parties.values().map(|r| *r.start()).min().unwrap();
    let corps = premiere_annexe - 1;
    let attendus: Vec<String> = (1..=corps).map(|i| format!("page {i} / {corps}")).collect();
    assert_eq!(n[..corps], attendus[..]);
    assert!(n[corps..].iter().all(|p| p == "page 1 / 1"), "{n:?}");
}

#[test]
fn a_composition_without_part_markers_has_no_part_to_cut() {
    let source = "#set document(date: datetime(year: 2024, month: 1, day: 1))\nCorps.\n#pagebreak()\nAnnexe.";
    let c = ts().compile(source, "essai/sans-parties").unwrap();
    assert!(typeset::parties(&c.document).is_empty());
    assert!(
        ts().extraire(&c, "annexe-le-port", "Annexe", "essai/annexe")
            .unwrap()
            .is_none()
    );
}

/// An intercommunal convention with `n` communes, each with its annex, on
/// the head and bailleur of `data/territoire-ouest/sidr.yaml`.
fn convention_de(n: usize) -> String {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/territoire-ouest/sidr.yaml"
    ))
    .unwrap();
    let mut y = src[..src.find("reservataires:").unwrap()].to_owned();
    y.push_str("reservataires:\n  - id: epci\n    nom: \"EPCI\"\n    nature: epci\n    signataire: { qualite: \"Président\", nom: ~ }\n");
    for i in 0..n {
        y.push_str(&format!(
            "  - id: c{i}\n    nom: \"Commune {i}\"\n    nature: commune\n    signataire: {{ qualite: \"Maire\", nom: ~ }}\n"
        ));
    }
    y.push_str("exercices:\n  - annee: 2024\n    annexes:\n");
    for i in 0..n {
        y.push_str(&format!(
            "      - reservataire: c{i}\n        perimetre: \"la commune {i}\"\n        patrimoine: {{ date: 2022-12-31, logements: {} }}\n        exclusions: {{ defense: 0, vente: 10, demolition: 5, habitat_inclusif: 0 }}\n        rotation: {{ taux: \"6,82 %\", annee: 2022 }}\n        deductions: {{ anru: 3, lhi: 0, mutations: 2 }}\n        taux: \"6,89 %\"\n",
            1000 + i
        ));
    }
    y
}

/// Past `render::ANNEXES_PAR_MORCEAU` annexes, a convention is laid out in
/// pieces (its body, then its annexes 16 at a time) so that memory holds one
/// piece: the pieces give the very pages of the whole composition, and
/// `generer` writes the convention and every annex from them.
#[test]
fn a_convention_with_many_annexes_is_laid_out_in_pieces_with_the_same_pages() {
    let n = convflux::render::ANNEXES_PAR_MORCEAU + 4;
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("grande.yaml");
    std::fs::write(&yaml, convention_de(n)).unwrap();
    let (_, docs) = documents(&yaml).remove(0);
    let m = docs[0].morceaux.as_ref().expect("en morceaux");
    assert_eq!(m.annexes.len(), 2);
    let tout = pages(&compile(&docs[0]));
    let mut morceaux = Vec::new();
    for source in std::iter::once(&m.corps).chain(&m.annexes) {
        morceaux.extend(pages(&ts().disposer_images(source, None, &[]).unwrap()));
    }
    assert_eq!(morceaux, tout);

    let sortie = dir.path().join("out");
    let o = commun::convflux(&["generer", commun::s(&yaml), "--sortie", commun::s(&sortie)]);
    assert!(o.status.success(), "{}", commun::stderr(&o));
    let conv = sortie.join("2024/territoire-ouest-sidr");
    let pdf = lopdf::Document::load(conv.join("convention.pdf")).unwrap();
    assert_eq!(pdf.get_pages().len(), tout.len());
    for i in 0..n {
        let a = lopdf::Document::load(conv.join(format!("annexe-c{i}.pdf"))).unwrap();
        assert!(!a.get_pages().is_empty(), "annexe-c{i}");
    }
}
