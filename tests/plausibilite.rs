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

/// The warnings the sample data give on purpose, by rule and file: blank
/// signatories' names (the seeds leave them blank), the rate SODIAC
/// transmitted for the council report and the two figures SEDRE transmitted
/// (seed 000: 13,5 % for 13,55 %; 235 and 14 for 16 and 16), which the
/// council report corrects, and Le Cendre's 7 % of 2 units (seed 004).
/// Any other warning on data/ is a slip in the data or a new rule to
/// judge here.
#[test]
fn the_sample_data_warn_only_of_what_they_record_on_purpose() {
    let o = convflux(&["verifier", "--format", "json", "data"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut vus = std::collections::BTreeMap::new();
    for f in v["fichiers"].as_array().unwrap() {
        let fichier = f["fichier"].as_str().unwrap().rsplit('/').next().unwrap();
        for d in f["diagnostics"].as_array().unwrap() {
            assert_eq!(d["gravite"], "avertissement", "{d}");
            let regle = d["regle"].as_str().unwrap_or("(sans règle)");
            if regle == "signataire sans nom" {
                continue;
            }
            *vus.entry((regle.to_string(), fichier.to_string()))
                .or_insert(0) += 1;
        }
    }
    let attendus: std::collections::BTreeMap<(String, String), i32> = [
        ("chiffre transmis corrigé", "sedre.yaml", 2),
        (
            "taux du rapport au conseil différent de l'annexe",
            "sodiac.yaml",
            1,
        ),
        (
            "taux qui n'affecte aucun logement",
            "le-cendre-assemblia.yaml",
            2,
        ),
    ]
    .into_iter()
    .map(|(r, f, n)| ((r.to_string(), f.to_string()), n))
    .collect();
    assert_eq!(vus, attendus);
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
