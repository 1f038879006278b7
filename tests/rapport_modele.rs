//! `convflux rapport` with a copied model: the council report of a
//! réservataire is composed with the model folder of the conventions it
//! gathers (its `rapport/rapport.typ.j2`, its library), as a territory that
//! adapted its model expects; an error in that template is located in the
//! folder; conventions of different models give no report but a French
//! error naming each model with its files.
//!
//! Rerun alone: `cargo test --test rapport_modele`.

mod commun;

use std::fs;
use std::path::{Path, PathBuf};

use commun::{convflux, plat, s, stderr, texte_pdf};

const ANCIENNE: &str = "En contrepartie des garanties d’emprunt octroyées aux bailleurs";
const NOUVELLE: &str = "En contrepartie des garanties d’emprunt que la commune a accordées";
const GABARIT: &str = "rapport/rapport.typ.j2";
const CONVENTIONS: [&str; 5] = [
    "sedre.yaml",
    "semader.yaml",
    "shlmr.yaml",
    "sidr.yaml",
    "sodiac.yaml",
];

/// A folder with `modeles/ouest` (the `rapport` model, copied by `convflux
/// modele copier`, one sentence rewritten) and `data/`: the conventions of
/// data/territoire-ouest, given that model by `data/convflux.yaml`, except
/// sedre.yaml which names it itself (`convention.gabarits`): two ways to the
/// same folder.
fn projet() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let modele = dir.path().join("modeles/ouest");
    let o = convflux(&["modele", "copier", "rapport", s(&modele), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    remplacer(&modele.join(GABARIT), ANCIENNE, NOUVELLE);
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    for f in CONVENTIONS {
        let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/territoire-ouest");
        fs::copy(seed.join(f), data.join(f)).unwrap();
    }
    remplacer(
        &data.join("sedre.yaml"),
        "\n  modele: intercommunal\n",
        "\n  modele: intercommunal\n  gabarits: ../modeles/ouest\n",
    );
    fs::write(data.join("convflux.yaml"), "gabarits: ../modeles/ouest\n").unwrap();
    (dir, modele, data)
}

fn remplacer(fichier: &Path, avant: &str, apres: &str) {
    let texte = fs::read_to_string(fichier).unwrap();
    assert!(texte.contains(avant), "{}", fichier.display());
    fs::write(fichier, texte.replacen(avant, apres, 1)).unwrap();
}

fn rapport(data: &Path, sortie: &Path, plus: &[&str]) -> std::process::Output {
    let mut args = vec![
        "rapport",
        "--reservataire",
        "le-port",
        s(data),
        "--annee",
        "2024",
        "--sortie",
        s(sortie),
    ];
    args.extend(plus);
    convflux(&args)
}

#[test]
fn the_report_of_copied_model_conventions_prints_the_models_sentence() {
    let (dir, modele, data) = projet();
    let sortie = dir.path().join("out");
    let o = rapport(&data, &sortie, &["-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pdf = sortie.join("2024/rapport-le-port.pdf");
    let texte = texte_pdf(&pdf);
    assert!(texte.contains(&plat(NOUVELLE)), "{texte}");
    assert!(!texte.contains(&plat(ANCIENNE)));
    // The manifest says which model made it (named from the output folder),
    // with the hash of its files.
    let manifeste = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    assert!(
        manifeste.contains("\"modele\":\"../modeles/ouest\""),
        "{manifeste}"
    );

    // The template edited again: the next report follows it.
    remplacer(
        &modele.join(GABARIT),
        NOUVELLE,
        "En contrepartie des garanties d’emprunt votées par le conseil",
    );
    let o = rapport(&data, &sortie, &["-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let texte = texte_pdf(&pdf);
    assert!(texte.contains("votées par le conseil"), "{texte}");
    let apres = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    assert_ne!(manifeste, apres, "l'empreinte du gabarit a changé");
}

/// Without the réservataire's model, the built-in text (same data, same
/// command): the sentence above really comes from the copy.
#[test]
fn conventions_without_a_copied_model_keep_the_built_in_report() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let o = rapport(Path::new("data/territoire-ouest"), &sortie, &["-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let texte = texte_pdf(&sortie.join("2024/rapport-le-port.pdf"));
    assert!(texte.contains(&plat(ANCIENNE)), "{texte}");
}

#[test]
fn an_error_in_the_models_report_template_is_located_and_writes_nothing() {
    let (dir, modele, data) = projet();
    let gabarit = modele.join(GABARIT);
    let texte = fs::read_to_string(&gabarit).unwrap();
    let ligne = texte
        .lines()
        .position(|l| l.contains(NOUVELLE))
        .expect("la phrase modifiée")
        + 1;
    remplacer(&gabarit, NOUVELLE, "{{ r.inconnu }}");
    let sortie = dir.path().join("out");
    let o = rapport(&data, &sortie, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    let lieu = format!("{}:{ligne}:", fs::canonicalize(&gabarit).unwrap().display());
    assert!(e.contains("erreur de gabarit"), "{e}");
    assert!(e.contains(&lieu), "{lieu} : {e}");
    assert!(e.contains("rapport non produit"), "{e}");
    commun::sans_anglais(&["rapport"], &o);
    assert!(!sortie.join("2024/rapport-le-port.pdf").exists());
}

/// A Typst mistake in the model's library: said in French with its file,
/// exit code 1, nothing written.
#[test]
fn a_typst_error_in_the_models_library_is_located_and_writes_nothing() {
    let (dir, modele, data) = projet();
    let lib = modele.join("lib/convflux.typ");
    let texte = fs::read_to_string(&lib).unwrap();
    fs::write(&lib, format!("{texte}\n#let casse = 1 + \"a\"\n")).unwrap();
    let sortie = dir.path().join("out");
    let o = rapport(&data, &sortie, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("erreur de composition Typst"), "{e}");
    assert!(e.contains("lib/convflux.typ"), "{e}");
    assert!(!sortie.join("2024/rapport-le-port.pdf").exists());
}

/// One convention of the report with a copied model, the others with the
/// built-in ones: no report, the models named with their files; the
/// workbook alone (`--sans-pdf --xlsx`) needs no model and is produced.
#[test]
fn conventions_of_different_models_give_no_report_and_name_each_model() {
    let (dir, modele, data) = projet();
    fs::remove_file(data.join("convflux.yaml")).unwrap();
    let sortie = dir.path().join("out");
    let o = rapport(&data, &sortie, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("modèles différents"), "{e}");
    let racine = fs::canonicalize(&modele).unwrap();
    let ligne_modele = e
        .lines()
        .find(|l| l.contains(&format!("modèle {}", racine.display())))
        .unwrap_or_else(|| panic!("{e}"));
    assert!(ligne_modele.contains("sedre.yaml"), "{ligne_modele}");
    assert!(!ligne_modele.contains("semader.yaml"), "{ligne_modele}");
    let ligne_integres = e
        .lines()
        .find(|l| l.contains("modèles intégrés :"))
        .unwrap_or_else(|| panic!("{e}"));
    for f in ["semader.yaml", "shlmr.yaml", "sidr.yaml", "sodiac.yaml"] {
        assert!(ligne_integres.contains(f), "{f} : {ligne_integres}");
    }
    commun::sans_anglais(&["rapport"], &o);
    assert!(!sortie.join("2024/rapport-le-port.pdf").exists());

    let xlsx = dir.path().join("le-port.xlsx");
    let o = rapport(&data, &sortie, &["--sans-pdf", "--xlsx", s(&xlsx), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(xlsx.exists());
}

/// A file named on the command line whose convention does not concern the
/// réservataire is not gathered: its model does not matter.
#[test]
fn a_file_the_report_does_not_gather_does_not_choose_its_model() {
    let (dir, _modele, data) = projet();
    let autre = dir.path().join("autre");
    fs::create_dir(&autre).unwrap();
    // Another territory's convention, without a copied model.
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/clermont-auvergne-metropole/le-cendre-assemblia.yaml"),
        autre.join("le-cendre.yaml"),
    )
    .unwrap();
    let sortie = dir.path().join("out");
    let args = [
        "rapport",
        "--reservataire",
        "le-port",
        s(&data),
        s(&autre),
        "--annee",
        "2024",
        "--sortie",
        s(&sortie),
        "-q",
    ];
    let o = convflux(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let texte = texte_pdf(&sortie.join("2024/rapport-le-port.pdf"));
    assert!(texte.contains(&plat(NOUVELLE)), "{texte}");
}
