//! `convflux modele`: the built-in models listed and copied as a user sees
//! it, and the catalogue kept in step with what `render` produces.
//!
//! Rerun alone: `cargo test --test modeles`.

mod commun;

use std::fs;
use std::path::Path;

use commun::{convflux, s, stderr, stdout};
use convflux::modeles;
use convflux::render::Rendu;

/// Every file under `d`, relative, sorted.
fn arbre(d: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(d)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(d).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn copier_intercommunal_writes_the_model_commun_lib_and_its_description() {
    let dir = tempfile::tempdir().unwrap();
    let cible = dir.path().join("x");
    let o = convflux(&["modele", "copier", "intercommunal", s(&cible)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        arbre(&cible),
        [
            "commun/_blocs.typ.j2",
            "commun/_entete.typ.j2",
            "intercommunal/_annexe.typ.j2",
            "intercommunal/_corps.typ.j2",
            "intercommunal/annexe.typ.j2",
            "intercommunal/convention.typ.j2",
            "lib/convflux.typ",
            "modele.yaml",
        ]
    );
    // Exact copies of the embedded templates.
    for f in arbre(&cible).iter().filter(|f| *f != "modele.yaml") {
        assert_eq!(
            fs::read(cible.join(f)).unwrap(),
            convflux::assets::template(f).unwrap(),
            "{f}"
        );
    }
    let e = stderr(&o);
    assert!(e.contains("modèle « intercommunal » copié"), "{e}");
    assert!(e.contains("gabarits:"), "{e}");
    // The description is YAML convflux itself reads, with its fields.
    let yaml = fs::read_to_string(cible.join("modele.yaml")).unwrap();
    assert!(
        yaml.starts_with("# Modèle de convention « intercommunal »"),
        "{yaml}"
    );
    convflux::load::charger(&yaml).expect("modele.yaml est du YAML valide");
    for champ in [
        "nom: \"intercommunal\"",
        "famille: \"intercommunal\"",
        "  - fichier: \"convention.pdf\"",
        "    gabarit: \"intercommunal/annexe.typ.j2\"",
        "  - \"lib/convflux.typ\"",
    ] {
        assert!(yaml.contains(champ), "{champ} absent :\n{yaml}");
    }
    // No hidden work folder left beside the copy.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn copier_refuses_a_folder_that_is_not_empty_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("convention.typ.j2"), "à moi").unwrap();
    let o = convflux(&["modele", "copier", "bilateral", s(dir.path())]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.starts_with("erreur : "), "{e}");
    assert!(e.contains("n'est pas vide"), "{e}");
    assert_eq!(arbre(dir.path()), ["convention.typ.j2"]);
    // An empty folder is fine.
    let vide = dir.path().join("vide");
    fs::create_dir(&vide).unwrap();
    let o = convflux(&["modele", "copier", "bilateral", s(&vide), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty());
    assert!(vide.join("bilateral/convention.typ.j2").is_file());
}

#[cfg(unix)]
#[test]
fn copier_never_writes_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let ailleurs = dir.path().join("ailleurs");
    fs::create_dir(&ailleurs).unwrap();
    let lien = dir.path().join("lien");
    std::os::unix::fs::symlink(&ailleurs, &lien).unwrap();
    let o = convflux(&["modele", "copier", "rapport", s(&lien)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("lien"), "{}", stderr(&o));
    assert!(arbre(&ailleurs).is_empty());
}

#[test]
fn an_unknown_model_is_named_with_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let o = convflux(&["modele", "copier", "intercomunal", s(&dir.path().join("x"))]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("modèle inconnu « intercomunal »") && e.contains("avenant, rapport"),
        "{e}"
    );
    assert!(!dir.path().join("x").exists());
}

#[test]
fn liste_names_every_model_and_its_documents() {
    let o = convflux(&["modele", "liste"]);
    assert_eq!(o.status.code(), Some(0));
    let t = stdout(&o);
    for attendu in [
        "intercommunal (famille : intercommunal)",
        "bilateral (famille : bilateral)",
        "avenant (famille : toutes)",
        "rapport (famille : toutes)",
        "annexe-1-etat-des-lieux.pdf",
        "avenant/annexe-2.typ.j2 [bilateral seulement]",
    ] {
        assert!(t.contains(attendu), "{attendu} absent :\n{t}");
    }
    let aide = stdout(&convflux(&["modele", "--help"]));
    assert!(
        aide.contains("Commandes :") && aide.contains("copier"),
        "{aide}"
    );
}

/// The catalogue says what `render` produces: every document rendered from
/// data/ (first years and avenants, both families) has its entry, and every
/// entry template of a model folder is listed.
#[test]
fn the_catalogue_matches_the_documents_render_produces() {
    let correspond = |motif: &str, nom: &str| match (motif.find('<'), motif.find('>')) {
        (Some(i), Some(j)) => {
            nom.starts_with(&motif[..i]) && nom.ends_with(&motif[j + 1..]) && nom.len() > i
        }
        _ => motif == nom,
    };
    let rendu = Rendu::new();
    let mut vus = std::collections::BTreeSet::new();
    // The conventions as commands list them (not data/val-de-loue's project
    // file nor its model's modele.yaml).
    let liste = convflux::input::lister(&["data".into()]).unwrap();
    for f in &liste.fichiers {
        let an = convflux::pipeline::analyser(f);
        let c = an.convention.as_ref().expect("données valides");
        for f in &an.flux {
            for doc in rendu.documents(c, f, &an.flux).unwrap() {
                let trouve = modeles::MODELES.iter().flat_map(|m| m.documents).find(|d| {
                    d.gabarit == doc.template
                        && correspond(d.fichier, &doc.fichier)
                        && d.famille.is_none_or(|x| x == c.modele.nom())
                });
                assert!(
                    trouve.is_some(),
                    "{} ({}) absent du catalogue",
                    doc.fichier,
                    doc.template
                );
                vus.insert(doc.template);
            }
        }
    }
    assert!(vus.len() >= 8, "{vus:?}");
    for m in modeles::MODELES {
        let entrees: Vec<&str> = convflux::assets::templates()
            .map(|(t, _)| t)
            .filter(|t| t.starts_with(&format!("{}/", m.nom)) && !t.contains("/_"))
            .collect();
        for t in entrees {
            assert!(
                m.documents.iter().any(|d| d.gabarit == t),
                "{t} n'est pas un document du modèle {}",
                m.nom
            );
        }
    }
}
