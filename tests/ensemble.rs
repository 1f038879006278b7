//! The stage across files: what one bailleur grants on one assiette, one
//! year, over every file given to `verifier` or `generer` (issue 15).

use std::fs;
use std::path::Path;

mod commun;
use commun::{convflux, s, stderr};

/// A valid intercommunal convention: one commune's annex, 2024.
fn convention(id: &str, taux: &str) -> String {
    fs::read_to_string("tests/catalogue/04-logements-negatif.yaml")
        .unwrap()
        .replace("logements: -12", "logements: 1887")
        .replace("id: cas-test", &format!("id: {id}"))
        .replace("taux: 6.89", &format!("taux: {taux}"))
        .replace(
            "declare: { flux_previsionnel: 113, mobilisables: 62, affectes: 4 }",
            "declare: { flux_previsionnel: 113, mobilisables: 62 }",
        )
}

fn ecrire(dir: &Path, nom: &str, texte: &str) {
    fs::write(dir.join(nom), texte).unwrap();
}

/// The line of `dir/nom` where `texte` is written (from 1).
fn ligne(dir: &Path, nom: &str, texte: &str) -> usize {
    fs::read_to_string(dir.join(nom))
        .unwrap()
        .lines()
        .position(|l| l.contains(texte))
        .unwrap()
        + 1
}

// Two conventions of one bailleur on one commune: 60 % + 40,01 % = 100,01 %.
#[test]
fn two_conventions_over_100_percent_on_one_commune_are_refused_citing_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    ecrire(dir.path(), "a.yaml", &convention("conv-a", "60"));
    ecrire(dir.path(), "b.yaml", &convention("conv-b", "40"));
    let o = convflux(&["verifier", s(dir.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    ecrire(dir.path(), "b.yaml", &convention("conv-b", "40.01"));
    // Each file alone is valid.
    for f in ["a.yaml", "b.yaml"] {
        let o = convflux(&["verifier", s(&dir.path().join(f))]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = convflux(&["verifier", s(dir.path())]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "exercice 2024 : chez BAILLEUR, sur la commune Commune A, les taux des réservataires totalisent 100,01 %, au plus 100 %"
        ),
        "{err}"
    );
    let (la, lb) = (
        ligne(dir.path(), "a.yaml", "taux: 60"),
        ligne(dir.path(), "b.yaml", "taux: 40.01"),
    );
    let a = format!("{}:{la}", dir.path().join("a.yaml").display());
    let b = format!("{}:{lb}", dir.path().join("b.yaml").display());
    assert!(
        err.contains(&format!(
            "détail : {a} : `ville-a` 60 %, {b} : `ville-a` 40,01 %"
        )),
        "{err}"
    );
    // Each file is in error, at its own line.
    assert!(err.contains(&format!("{a}:")), "{err}");
    assert!(err.contains(&format!("{b}:")), "{err}");
    assert!(err.contains("2 en erreur"), "{err}");

    // `generer` refuses both and writes nothing for them.
    let sortie = dir.path().join("sortie");
    let o = convflux(&["generer", s(dir.path()), "--sortie", s(&sortie)]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("totalisent 100,01 %"), "{err}");
    assert!(!sortie.join("2024").exists(), "{err}");
}

// Another bailleur, or one file copied under the same convention id, adds nothing.
#[test]
fn other_bailleurs_and_copies_of_one_convention_are_not_summed() {
    let dir = tempfile::tempdir().unwrap();
    ecrire(dir.path(), "a.yaml", &convention("conv-a", "60"));
    ecrire(
        dir.path(),
        "b.yaml",
        &convention("conv-b", "60").replace("nom: BAILLEUR", "nom: AUTRE"),
    );
    ecrire(dir.path(), "copie.yaml", &convention("conv-a", "60"));
    let o = convflux(&["verifier", s(dir.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// An explicit assiette: two communes of one file, then the same commune
// named by its INSEE code in two files.
#[test]
fn an_explicit_assiette_decides_what_is_summed() {
    let dir = tempfile::tempdir().unwrap();
    let sur = |id: &str, taux: &str, assiette: &str| {
        convention(id, taux).replace(
            "        perimetre: \"la commune\"\n",
            &format!("        perimetre: \"la commune\"\n        assiette: {assiette}\n"),
        )
    };
    ecrire(
        dir.path(),
        "a.yaml",
        &sur("conv-a", "60", "{ commune: \"Le Port\", insee: \"97407\" }"),
    );
    ecrire(
        dir.path(),
        "b.yaml",
        &sur(
            "conv-b",
            "60",
            "{ commune: \"Saint-Paul\", insee: \"97415\" }",
        ),
    );
    let o = convflux(&["verifier", s(dir.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    ecrire(
        dir.path(),
        "b.yaml",
        &sur(
            "conv-b",
            "60",
            "{ commune: \"Ville du Port\", insee: 97407 }",
        ),
    );
    let o = convflux(&["verifier", s(dir.path())]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("sur la commune Le Port (97407), les taux des réservataires totalisent 120 %"),
        "{err}"
    );
}

// CCH art. R. 441-5-2, I: the préfet's 30 %, of which 5 % for State agents,
// across conventions too.
#[test]
fn the_prefets_caps_hold_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let prefet = |id: &str, extra: &str| {
        convention(id, "26")
            .replace("nature: commune", "nature: prefet")
            .replace("        taux: 26\n", &format!("        taux: 26\n{extra}"))
    };
    ecrire(
        dir.path(),
        "a.yaml",
        &prefet("conv-a", "        taux_agents: 5\n"),
    );
    let o = convflux(&["verifier", s(dir.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    ecrire(
        dir.path(),
        "a.yaml",
        &prefet("conv-a", "        taux_agents: 5.01\n"),
    );
    let o = convflux(&["verifier", s(dir.path())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("au plus 5 %"), "{}", stderr(&o));
    // 26 % here and 5 % in another convention of the préfet: 31 %.
    ecrire(
        dir.path(),
        "a.yaml",
        &prefet("conv-a", "        taux_agents: 5\n"),
    );
    ecrire(
        dir.path(),
        "b.yaml",
        &prefet("conv-b", "").replace("taux: 26", "taux: 5"),
    );
    let o = convflux(&["verifier", s(dir.path())]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("les taux du préfet totalisent 31 %, au plus 30 %"),
        "{err}"
    );
    assert!(err.contains("(CCH art. R. 441-5-2)"), "{err}");
}

// Seven communes of one intercommunal convention, each its own parc and
// each writing `perimetre: "la commune"`: 7 × 20 % is not one assiette
// (the Σ was once grouped by the perimetre text: 140 %, refused).
#[test]
fn seven_communes_with_their_own_parcs_in_one_file_are_accepted() {
    let base = convention("conv-sept", "20");
    let (tete, _) = base.split_once("exercices:").unwrap();
    let annexe = base.split_once("    annexes:\n").unwrap().1.to_string();
    let mut reservataires = String::new();
    let mut annexes = String::new();
    for i in 0..7 {
        reservataires.push_str(&format!(
            "  - id: ville-{i}\n    nom: \"Commune {i}\"\n    nature: commune\n    signataire: {{ qualite: \"Maire\", nom: \"Paul DURAND\" }}\n"
        ));
        annexes.push_str(
            &annexe.replace("reservataire: ville-a", &format!("reservataire: ville-{i}")),
        );
    }
    let texte = format!(
        "{}exercices:\n  - annee: 2024\n    annexes:\n{annexes}",
        tete.replace(
            "reservataires:\n",
            &format!("reservataires:\n{reservataires}")
        )
    );
    let dir = tempfile::tempdir().unwrap();
    ecrire(dir.path(), "sept.yaml", &texte);
    let o = convflux(&["verifier", s(dir.path())]);
    assert_eq!(o.status.code(), Some(0), "{}\n{texte}", stderr(&o));
    assert_eq!(texte.matches("perimetre: \"la commune\"").count(), 7);
    // Named on one assiette, the same seven are refused.
    let une = texte.replace(
        "        perimetre: \"la commune\"\n",
        "        perimetre: \"la commune\"\n        assiette: { commune: \"Commune A\" }\n",
    );
    ecrire(dir.path(), "sept.yaml", &une);
    let o = convflux(&["verifier", s(dir.path())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("totalisent 140 %"), "{}", stderr(&o));
}
