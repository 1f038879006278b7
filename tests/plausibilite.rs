//! Plausibility warnings (issue 15): a rate written as a fraction, a rate
//! that jumps from one year to the next; none on the sample data.

use std::fs;

mod commun;
use commun::{convflux, s, stderr};

#[test]
fn no_plausibility_warning_on_the_sample_data() {
    let o = convflux(&["verifier", "data"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("vouliez-vous dire"), "{err}");
    assert!(!err.contains("ressemble à une fraction"), "{err}");
    assert!(!err.contains(" passe de "), "{err}");
}

// The case: `0.0682` taken as 0,0682 % gave a flux of 1, silently.
#[test]
fn a_rotation_rate_written_as_a_fraction_gets_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.yaml");
    let texte = fs::read_to_string("tests/catalogue/04-logements-negatif.yaml")
        .unwrap()
        .replace("logements: -12", "logements: 1887")
        .replace(
            "rotation: { taux: 6.82, annee: 2022 }",
            "rotation: { taux: 0.0682, annee: 2022 }",
        )
        .replace(
            "anru: 31, lhi: 0, mutations: 20",
            "anru: 0, lhi: 0, mutations: 0",
        )
        .replace(
            "declare: { flux_previsionnel: 113, mobilisables: 62, affectes: 4 }",
            "",
        );
    fs::write(&f, texte).unwrap();
    let o = convflux(&["verifier", s(&f)]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("0,0682 % ressemble à une fraction : vouliez-vous dire 6,82 % ?"),
        "{err}"
    );
    // Written with its sign, it is what the user meant: no warning.
    fs::write(
        &f,
        fs::read_to_string(&f)
            .unwrap()
            .replace("taux: 0.0682,", "taux: \"0,0682 %\","),
    )
    .unwrap();
    let o = convflux(&["verifier", s(&f)]);
    assert!(!stderr(&o).contains("vouliez-vous dire"), "{}", stderr(&o));
}

// A rotation rate that jumps between two exercises of one file.
#[test]
fn a_rotation_rate_jumping_from_one_year_to_the_next_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sodiac.yaml");
    let texte = fs::read_to_string("data/territoire-ouest/sodiac.yaml").unwrap();
    let i = texte.find("  - annee: 2025").unwrap();
    let (debut, fin) = texte.split_at(i);
    let de = "rotation: { taux: \"5,40 %\", annee: 2023 }";
    assert!(fin.contains(de), "{fin}");
    let vers = "rotation: { taux: \"54 %\", annee: 2023 }";
    fs::write(&f, format!("{debut}{}", fin.replacen(de, vers, 1))).unwrap();
    let o = convflux(&["verifier", s(&f)]);
    let err = stderr(&o);
    assert!(
        err.contains("`le-port` : le taux de rotation passe de 4,8 % en 2024 à 54 % en 2025"),
        "{err}"
    );
}
