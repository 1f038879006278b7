//! Runs the real `convflux` binary on fixture files and checks what a user
//! sees: exit code, French message with its line, files written or not.

use std::path::{Path, PathBuf};

mod commun;
use commun::{convflux, s, stderr, stdout};

/// Every case of tests/catalogue states, in its header, the expected
/// fragment of the message and the line it must point at.
#[test]
fn every_malformed_input_gets_a_located_french_error_and_exit_1() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalogue");
    let mut cas: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cas.sort();
    assert!(cas.len() >= 40, "catalogue trop court : {}", cas.len());
    let mut echecs = Vec::new();
    for f in &cas {
        let texte = std::fs::read_to_string(f).unwrap();
        let mut lignes = texte.lines();
        lignes.next();
        let attendu = lignes
            .next()
            .unwrap()
            .trim_start_matches("# attendu : ")
            .to_string();
        let ligne = lignes
            .next()
            .unwrap()
            .trim_start_matches("# ligne : ")
            .to_string();
        let rel = format!(
            "tests/catalogue/{}",
            f.file_name().unwrap().to_string_lossy()
        );
        let o = convflux(&["verifier", &rel]);
        let err = stderr(&o);
        let mut problemes = Vec::new();
        if o.status.code() != Some(1) {
            problemes.push(format!("code de sortie {:?}", o.status.code()));
        }
        if err.contains("panicked") {
            problemes.push("panique".to_string());
        }
        if !err.contains("erreur") {
            problemes.push("pas de message « erreur »".to_string());
        }
        if !err.contains(&attendu) {
            problemes.push(format!("message sans « {attendu} »"));
        }
        if ligne != "-" && !err.contains(&format!("{rel}:{ligne}:")) {
            problemes.push(format!("pas de position {rel}:{ligne}:"));
        }
        if !problemes.is_empty() {
            echecs.push(format!("{rel} : {}\n{err}", problemes.join(", ")));
        }
    }
    assert!(echecs.is_empty(), "{}", echecs.join("\n\n"));
}

/// Every diagnostic of tests/catalogue in its full rendered form, as the
/// user reads it on stderr (message, place, source line, label, notes,
/// summary) with the exit code: any change of wording shows in review
/// (`cargo insta review`, snapshots in tests/snapshots/).
#[test]
fn every_catalogue_diagnostic_in_full() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalogue");
    let mut cas: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cas.sort();
    for f in &cas {
        let nom = f.file_stem().unwrap().to_string_lossy().into_owned();
        let rel = format!("tests/catalogue/{nom}.yaml");
        let o = convflux(&["verifier", &rel]);
        let rendu = format!(
            "code de sortie : {:?}\n--- stdout\n{}--- stderr\n{}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        );
        insta::assert_snapshot!(format!("catalogue-{nom}"), rendu);
    }
}

/// A file with three errors reports the three in one run.
#[test]
fn all_errors_of_a_file_at_once() {
    let o = convflux(&[
        "verifier",
        "tests/catalogue/44-trois-erreurs-a-la-fois.yaml",
    ]);
    let err = stderr(&o);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("erreur : ")).count(),
        3,
        "{err}"
    );
    assert!(
        err.contains("exercice 2024 › annexe ville-a › patrimoine › logements"),
        "{err}"
    );
    assert!(err.contains("convention › modele"), "{err}");
    assert!(err.contains("vouliez-vous dire `bilateral`"), "{err}");
}

#[test]
fn sample_data_is_valid() {
    let o = convflux(&["verifier", "data"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        // Five of seed 000, seed 004, and the fictitious Val de Loue; 20 of
        // the warnings are the blank names of the four other mayors, 2 the
        // figures SEDRE transmitted (235 and 14, corrected to 16 and 16).
        stderr(&o).contains("7 fichiers vérifiés, 0 en erreur : 0 erreur, 39 avertissements"),
        "{}",
        stderr(&o)
    );
}

/// Seed 000's SEDRE annex as printed: 235 forecast flow for a stock of 235
/// and 14 units to share where its own lines give 16.
#[test]
fn sedre_annex_as_printed_is_rejected_with_two_errors() {
    let o = convflux(&["verifier", "tests/fixtures/sedre-imprimee.yaml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err.lines().filter(|l| l.starts_with("erreur : ")).count(),
        2,
        "{err}"
    );
    assert!(err.contains("le flux prévisionnel déclaré (235) ne correspond pas au calcul (235 × 6,77 % = 15,9095 → 16)"));
    assert!(
        err.contains("tests/fixtures/sedre-imprimee.yaml:91:30"),
        "{err}"
    );
    assert!(
        err.contains("le flux mobilisable déclaré (14) ne correspond pas au calcul (16 - 0 = 16)")
    );
    assert!(
        err.contains("tests/fixtures/sedre-imprimee.yaml:92:25"),
        "{err}"
    );
    assert!(err.contains("calculé : 16 logements"));
}

/// The same figures of seed 000's SEDRE annex recorded as the bailleur
/// transmitted them (`transmis`), as data/territoire-ouest/sedre.yaml does:
/// two warnings of their own rule with the computed figure as suggestion,
/// exit code 0; under `declare` they stay errors (the test above).
#[test]
fn sedre_figures_as_transmitted_are_warnings_with_the_computed_figure() {
    let o = convflux(&[
        "verifier",
        "--format",
        "json",
        "data/territoire-ouest/sedre.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["fichiers"][0];
    assert_eq!(f["valide"], true);
    let transmis: Vec<&serde_json::Value> = f["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["regle"] == "chiffre transmis corrigé")
        .collect();
    assert_eq!(transmis.len(), 2, "{f}");
    for (d, message) in transmis.iter().zip([
        "`le-port` : le flux prévisionnel transmis par le bailleur (235) est corrigé par le calcul (235 × 6,77 % = 15,9095 → 16)",
        "`le-port` : les logements mobilisables transmis par le bailleur (14) sont corrigés par le calcul (16 - 0 = 16)",
    ]) {
        assert_eq!(d["gravite"], "avertissement", "{d}");
        assert_eq!(d["message"], message, "{d}");
        assert_eq!(d["suggestion"], "16", "{d}");
        assert_eq!(d["etiquette"], "calculé : 16 logements", "{d}");
    }
    // The text output says the same, with its place.
    let o = convflux(&["verifier", "data/territoire-ouest/sedre.yaml"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains(
            "avertissement : `le-port` : le flux prévisionnel transmis par le bailleur (235)"
        ),
        "{}",
        stderr(&o)
    );
    // The same figures under `declare` are errors (exit 1).
    let dir = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string("data/territoire-ouest/sedre.yaml").unwrap();
    let de = "transmis: { flux_previsionnel: 235, mobilisables: 14 }";
    assert!(yaml.contains(de), "{yaml}");
    let g = dir.path().join("sedre.yaml");
    std::fs::write(
        &g,
        yaml.replace(
            "declare: { flux_previsionnel: 16, mobilisables: 16, affectes: 1, taux_rapport: 8.51 }",
            "declare: { flux_previsionnel: 235, mobilisables: 14, affectes: 1, taux_rapport: 8.51 }",
        ),
    )
    .unwrap();
    let o = convflux(&["verifier", "--format", "json", s(&g)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let regles: Vec<(&str, &str)> = v["fichiers"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["gravite"] == "erreur")
        .map(|d| {
            (
                d["regle"].as_str().unwrap(),
                d["suggestion"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        regles,
        [
            ("flux prévisionnel déclaré", "16"),
            ("logements mobilisables déclarés", "16")
        ]
    );
}

fn annexe_json<'a>(v: &'a serde_json::Value, convention: &str) -> &'a serde_json::Value {
    &v["conventions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["convention"] == convention)
        .unwrap_or_else(|| panic!("{convention} absent"))["exercices"][0]["annexes"][0]
}

/// The figures of seed 000 (five Le Port annexes) and seed 004 (Le Cendre).
#[test]
fn calculer_reproduces_every_seed_figure() {
    let o = convflux(&["calculer", "data", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["version"], 1);
    let attendus = [
        ("territoire-ouest-sodiac", 17, 16, 2),
        ("territoire-ouest-semader", 93, 54, 10),
        ("territoire-ouest-sidr", 113, 62, 4),
        ("territoire-ouest-shlmr", 107, 90, 16),
        ("territoire-ouest-sedre", 16, 16, 1),
        ("le-cendre-assemblia", 3, 2, 0),
    ];
    let mut total_le_port = 0;
    for (c, flux, mob, aff) in attendus {
        let a = annexe_json(&v, c);
        assert_eq!(a["flux_previsionnel"], flux, "{c}");
        assert_eq!(a["mobilisables"], mob, "{c}");
        assert_eq!(a["affectes"], aff, "{c}");
        if a["reservataire"] == "le-port" {
            total_le_port += aff;
        }
    }
    // The council report of seed 000: 33 units for Le Port in 2024.
    assert_eq!(total_le_port, 33);
    let cendre = annexe_json(&v, "le-cendre-assemblia");
    assert_eq!(cendre["affectes_exact"], "0.14");
    assert_eq!(cendre["taux"], "7");
    assert_eq!(cendre["taux_source"], "etat_des_lieux");
    let edl = &v["conventions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["convention"] == "le-cendre-assemblia")
        .unwrap()["exercices"][0]["etat_des_lieux"];
    assert_eq!(
        edl["reserves"],
        serde_json::json!([["cam", 6], ["le-cendre", 3]])
    );
    assert_eq!(edl["taux"][0][1]["arrondi"], "14");
    assert_eq!(edl["taux"][1][1]["arrondi"], "7");
}

/// The figures SEDRE and SODIAC transmitted (seed 000) that the computation
/// corrects: `calculer` shows them in its three formats, beside the
/// computed ones, as the council report states them.
#[test]
fn calculer_shows_the_transmitted_figures_it_corrects() {
    let f = "data/territoire-ouest/sedre.yaml";
    let texte = stdout(&convflux(&["calculer", "--annee", "2024", f]));
    assert!(
        texte.contains("chiffres transmis par le bailleur, corrigés (l'annexe fait foi) :"),
        "{texte}"
    );
    assert!(
        texte.contains("flux prévisionnel                  transmis 235, calculé 16"),
        "{texte}"
    );
    assert!(
        texte.contains("logements mobilisables             transmis 14, calculé 16"),
        "{texte}"
    );
    let sodiac = stdout(&convflux(&[
        "calculer",
        "--annee",
        "2024",
        "data/territoire-ouest/sodiac.yaml",
    ]));
    assert!(
        sodiac.contains("transmis 13,5 %, annexe 13,55 %"),
        "{sodiac}"
    );
    let sidr = stdout(&convflux(&["calculer", "data/territoire-ouest/sidr.yaml"]));
    assert!(!sidr.contains("transmis"), "{sidr}");

    let o = convflux(&["calculer", "--format", "json", "--annee", "2024", f]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["conventions"][0]["exercices"][0]["corrections"],
        serde_json::json!([
            { "reservataire": "le-port", "chiffre": "flux_previsionnel", "transmis": 235, "calcule": 16 },
            { "reservataire": "le-port", "chiffre": "mobilisables", "transmis": 14, "calcule": 16 }
        ])
    );
    let o = convflux(&[
        "calculer",
        "--format",
        "json",
        "data/territoire-ouest/sidr.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["conventions"][0]["exercices"][0]
            .get("corrections")
            .is_none()
    );

    let csv = stdout(&convflux(&[
        "calculer", "--format", "csv", "--annee", "2024", f,
    ]));
    let lignes: Vec<&str> = csv.lines().collect();
    assert!(lignes[0].ends_with(";affectes;transmis_corriges"), "{csv}");
    assert!(
        lignes[1].ends_with(";flux_previsionnel : 235 → 16, mobilisables : 14 → 16"),
        "{csv}"
    );
}

#[test]
fn calculer_text_shows_the_exact_share_and_sources() {
    let o = convflux(&["calculer", "data/clermont-auvergne-metropole", "--detail"]);
    let out = stdout(&o);
    assert!(out.contains("(exact 0,14)"), "{out}");
    assert!(out.contains("source : CCH art. R. 441-5"), "{out}");
    assert!(out.contains("14 % (exact 13,9535 %)"), "{out}");
}

/// A rate computed from a history shows its exact fraction in `--detail`.
#[test]
fn calculer_detail_shows_the_sums_of_a_computed_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("historique.yaml");
    let texte = std::fs::read_to_string("tests/catalogue/68-rotation-annee-en-double.yaml")
        .unwrap()
        .replace(
            "{ annee: 2022, departs: 125, parc: 1870 }",
            "{ annee: 2023, departs: 125, parc: 1870 }",
        )
        .replace(
            "declare: { flux_previsionnel: 113, mobilisables: 62, affectes: 4 }",
            "declare: { flux_previsionnel: 112, mobilisables: 61, affectes: 4 }",
        );
    std::fs::write(&yaml, texte).unwrap();
    let o = convflux(&["calculer", "--detail", s(&yaml)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o).replace('\u{202f}', " ");
    assert!(
        out.contains("calcul : Σ départs 375 ÷ Σ parc 5 520 × 100, arrondi à 2 décimales"),
        "{out}"
    );
    assert!(
        out.contains("taux de rotation                       6,79 %"),
        "{out}"
    );
}

/// A rate is printed with the precision written, as the documents print
/// it: « 6,50 % » in the YAML is « 6,50 % » in `calculer`, not « 6,5 % ».
#[test]
fn calculer_prints_rates_as_written() {
    let o = convflux(&["calculer", "data/territoire-ouest/sidr.yaml"]);
    let out = stdout(&o);
    let rotation = out
        .lines()
        .filter(|l| l.contains("taux de rotation"))
        .collect::<Vec<_>>();
    assert_eq!(rotation.len(), 2, "{out}");
    assert!(rotation[1].ends_with("6,50\u{202f}%"), "{out}");
    assert!(
        out.contains("taux du réservataire                   6,89\u{202f}%"),
        "{out}"
    );
}

// Regression: `calculer --detail` printed "convention art. 2 (seed 000) /
// art. 2.1 (seed 004)" and notes "(seed 004 art. 2.1)": users read the names
// of our fixtures. Citations are now resolved for the convention's model.
#[test]
fn no_output_names_a_seed() {
    let mut sorties = Vec::new();
    for args in [
        &["verifier", "tests/catalogue", "tests/fixtures", "data"][..],
        &["calculer", "--detail", "data"],
        &["calculer", "--format", "json", "data"],
    ] {
        let o = convflux(args);
        sorties.push((args, stdout(&o) + &stderr(&o)));
    }
    for (args, texte) in &sorties {
        assert!(
            texte.contains("convention, art."),
            "{args:?} : aucune citation ?"
        );
        assert!(
            !texte.to_lowercase().contains("seed"),
            "{args:?} :\n{texte}"
        );
    }
}

#[test]
fn verifier_warns_about_a_positive_rate_allotted_nothing() {
    let o = convflux(&["verifier", "data/clermont-auvergne-metropole"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        err.contains(
            "avertissement : `le-cendre` : un taux de 7 % de 2 logements donne 0,14 logement"
        ),
        "{err}"
    );
}

#[test]
fn council_report_rate_differing_from_the_annex_is_a_warning() {
    let o = convflux(&["verifier", "data/territoire-ouest/sodiac.yaml"]);
    let err = stderr(&o);
    assert!(
        err.contains("le rapport au conseil indique 13,5 %, l'annexe 13,55 %"),
        "{err}"
    );
}

#[test]
fn csv_has_one_row_per_annex() {
    let o = convflux(&["calculer", "data", "--format", "csv", "--annee", "2024"]);
    let out = stdout(&o);
    // The byte-order mark Excel needs to read UTF-8.
    assert!(out.starts_with('\u{feff}'), "{out}");
    // A header, six annexes of the seeds, two of the Val de Loue.
    assert_eq!(out.lines().count(), 9, "{out}");
    assert!(
        out.lines().any(|l| l.contains(
            ";territoire-ouest-sidr;2024;le-port;1887;232;1655;6,82;112,871;113;51;62;6,89;4,2718;4"
        )),
        "{out}"
    );
}

#[test]
fn usage_error_exits_2() {
    let o = convflux(&["calculer"]);
    assert_eq!(o.status.code(), Some(2));
    let o = convflux(&["verifier", "n-existe-pas.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("introuvable"));
}

#[test]
fn generer_writes_nothing_for_an_invalid_file() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().to_str().unwrap();
    let o = convflux(&[
        "generer",
        "tests/fixtures/sedre-imprimee.yaml",
        "--sortie",
        sortie,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("aucun document produit"));
    // Nothing but the folder's lock file (convflux::output::VERROU).
    let fichiers: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|f| !f.ends_with(convflux::output::VERROU))
        .collect();
    assert!(fichiers.is_empty(), "{fichiers:?}");
}

pub fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn usage_errors_and_help_are_in_french() {
    let o = convflux(&["verifer", "data"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("erreur : commande inconnue « verifer »"),
        "{err}"
    );
    assert!(
        err.contains("des commandes voisines existent : « surveiller », « verifier »"),
        "{err}"
    );
    let o = convflux(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("Commandes :") && out.contains("Affiche cette aide"),
        "{out}"
    );
    assert!(!out.contains("Print help"), "{out}");
    // Every subcommand's help, defaults and possible values included.
    for commande in [
        "verifier", "calculer", "generer", "avenant", "rapport", "schema",
    ] {
        let o = convflux(&[commande, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{commande}");
        let out = stdout(&o);
        for anglais in [
            "[default:",
            "[possible values:",
            "Usage:",
            "Options:",
            "Print help",
        ] {
            assert!(!out.contains(anglais), "{commande} : « {anglais} »\n{out}");
        }
    }
    // The help in colour as the diagnostics: asked, or never off a terminal.
    let o = convflux(&["verifier", "--couleur", "toujours", "--help"]);
    let out = stdout(&o);
    assert!(
        out.contains("\x1b[1m\x1b[4mUtilisation :\x1b[0m"),
        "{out:?}"
    );
    assert!(!stdout(&convflux(&["verifier", "--help"])).contains('\x1b'));
    let o = convflux(&["generer", "-j", "0", "data"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("un nombre entier de 1 à 65535 est attendu"),
        "{}",
        stderr(&o)
    );
}

/// Bad invocations of every kind clap knows, and bad files of every kind the
/// YAML parser knows: each message is French (`commun::convflux` fails on
/// any English word of clap, the parser or Typst), on stderr, exit 2 or 1.
#[test]
fn bad_invocations_and_bad_files_get_french_messages() {
    let mauvais_appels: &[&[&str]] = &[
        &["verifer", "data"],
        &["verifier"],
        &["verifier", "--quiett", "data"],
        &["verifier", "-x", "data"],
        &["verifier", "--format", "xml", "data"],
        &["verifier", "--format", "json", "--format", "texte", "data"],
        &["calculer", "--annee", "deux-mille", "data"],
        &["calculer", "--annee", "", "data"],
        &["calculer", "--annee", "99999999999", "data"],
        &["generer", "--annee", "1999", "data"],
        &["generer", "-j", "abc", "data"],
        &["generer", "-j", "-1", "data"],
        &["generer", "--sortie"],
        &["generer", "--travailleur-interne", "x", "data"],
        &["avenant"],
        &["avenant", "a.yaml", "b.yaml"],
        &["rapport", "data"],
        &["modele"],
        &["modele", "copier"],
        &["completions", "tcsh"],
        &["--couleurs"],
        &["manuel", "en-trop"],
    ];
    for args in mauvais_appels {
        let o = convflux(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}\n{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.starts_with("erreur : ") || err.contains("Utilisation :"),
            "{args:?}\n{err}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let fichiers = [
        "a: [1, 2\nb: 3\n",
        "a: \"abc\nb: 3\n",
        "a: 'abc\n",
        "a: {x: 1\nb: 2\n",
        "a: ]\n",
        "a: b: c\n",
        "a:\n\t- b\n",
        "- a\nb: 1\n",
        "a: *inconnu\n",
        "a: 1\n  b: 2\n",
        "a: |\n x\n  y\n z\n",
        "%YAML 3.0\n---\na: 1\n",
        "a: \"\\q\"\n",
        "? [a\n",
        "a: 1\n---\nb: 2\n",
        "&a [*a]\n",
        "a: !!binary x\n",
        "\u{feff}a: 1\n\u{feff}b: 2\n",
    ];
    for (i, texte) in fichiers.iter().enumerate() {
        let f = dir.path().join(format!("cas-{i}.yaml"));
        std::fs::write(&f, texte).unwrap();
        let o = convflux(&["verifier", f.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{texte:?}\n{err}");
        assert!(err.contains(&format!("cas-{i}.yaml:")), "{texte:?}\n{err}");
    }
}

// Regression: an `ESC]0;…` in a name retitled the terminal and `ESC[31m`
// recoloured it, since the source line was printed raw under the error.
#[test]
fn control_characters_of_the_data_never_reach_the_terminal() {
    let o = convflux(&["verifier", "tests/catalogue/46-caractere-de-controle.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    // The same file with the characters written raw, in a value, a key and
    // a comment (the parser or the reader refuses them; either way the
    // line is printed).
    let texte = std::fs::read_to_string("tests/catalogue/46-caractere-de-controle.yaml")
        .unwrap()
        .replace("\\e", "\u{1b}")
        .replace("\\a", "\u{7}")
        .replace(
            "  sigle: TT",
            "  sigle: TT \u{9b}2J # \u{202e}\u{1b}[2J\n  cl\u{1b}e: 1",
        );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("brut\u{1b}[31m.yaml");
    std::fs::write(&f, texte).unwrap();
    for o in [o, convflux(&["verifier", commun::s(&f)])] {
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8(o.stderr.clone()).expect("stderr en UTF-8");
        let brut = err
            .chars()
            .find(|c| convflux::diagnostic::caractere_dangereux(*c) && *c != '\r');
        assert_eq!(brut, None, "{err:?}");
        assert!(err.contains("erreur"), "{err}");
    }
}

/// `calculer --detail` shows the avenant's figures with their sources: SODIAC
/// / Le Port 2024 → 2025 (the figures the avenant's PDF prints) and the bilan
/// 2024 against the 2 units allotted.
#[test]
fn calculer_detail_shows_the_avenant_differences_and_the_engagement() {
    let o = convflux(&[
        "calculer",
        "data/territoire-ouest/sodiac.yaml",
        "--detail",
        "--annee",
        "2025",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Columns are aligned: compare words only (U+202F before « % » included).
    let out: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for attendu in [
        "avenant : exercice 2024 → 2025",
        "Ville du Port (le-port)",
        "patrimoine 354 → 366 +12",
        "parc soumis 354 → 366 +12",
        "taux de rotation 4,80 % → 5,40 % +0,6 pt",
        "flux prévisionnel 17 → 20 +3",
        "logements mobilisables 16 → 19 +3",
        "taux du réservataire 13,55 % → 13,55 % 0",
        "logements affectés 2 → 3 +1",
        "source : convention art. 9 (avenant annuel : assiette et flux actualisés)",
        "bilan 2024 : engagement mesuré par les logements attribués suivis d'un bail signé et logements refusés par tous les candidats du réservataire",
        "Ville du Port (le-port) : engagés 2, proposés 3 (+1), attribués 2 (0), réalisé 2 (0) : engagement atteint",
        "source : CCH art. R. 441-5-1 ; convention art. 3 et 8",
    ] {
        assert!(
            out.iter().any(|l| l == attendu),
            "{attendu:?} absent :\n{}",
            out.join("\n")
        );
    }
    // The first exercise is the convention itself: no avenant.
    let o = convflux(&[
        "calculer",
        "data/territoire-ouest/sodiac.yaml",
        "--detail",
        "--annee",
        "2024",
    ]);
    assert!(!stdout(&o).contains("avenant :"), "{}", stdout(&o));
}

/// The bilatéral model measures the engagement by the units made available.
#[test]
fn calculer_detail_of_the_bilateral_avenant_counts_units_made_available() {
    let o = convflux(&[
        "calculer",
        "data/clermont-auvergne-metropole",
        "--detail",
        "--annee",
        "2025",
    ]);
    let out: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for attendu in [
        "taux de rotation 8 % → 9 % +1 pt",
        "dont déduit : relogements ANRU / NPNRU 1 → 0 −1",
        "source : convention art. 14 (bilan et avenant annuels)",
        "bilan 2024 : engagement mesuré par les logements mis à disposition du réservataire",
        "Ville du CENDRE (le-cendre) : engagés 0, proposés 1 (+1), attribués 1 (+1), réalisé 1 (+1) : engagement atteint",
        "source : CCH art. R. 441-5-1 ; convention art. 9 et 14",
    ] {
        assert!(
            out.iter().any(|l| l == attendu),
            "{attendu:?} absent :\n{}",
            out.join("\n")
        );
    }
}

/// `verifier --format json`: one document on standard output, each
/// diagnostic with its severity, message, place (line, column), rule and
/// suggestion (the computed figure, for a declared one that is wrong).
#[test]
fn verifier_json_gives_each_diagnostic_with_its_place() {
    let o = convflux(&[
        "verifier",
        "--format",
        "json",
        "tests/fixtures/sedre-imprimee.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], 2);
    assert_eq!(v["resume"]["en_erreur"], 1);
    let f = &v["fichiers"][0];
    assert_eq!(f["valide"], false);
    let erreurs: Vec<&serde_json::Value> = f["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["gravite"] == "erreur")
        .collect();
    assert_eq!(erreurs.len(), 2, "{f}");
    assert_eq!(erreurs[0]["position"]["ligne"], 91);
    assert_eq!(erreurs[0]["position"]["colonne"], 30);
    assert!(
        erreurs[0]["message"].as_str().unwrap().contains("235"),
        "{f}"
    );
    assert_eq!(erreurs[0]["regle"], "flux prévisionnel déclaré");
    assert_eq!(erreurs[0]["suggestion"], "16");
    assert_eq!(erreurs[1]["position"]["ligne"], 92);
}

/// The JSON of `verifier --format json` for a few catalogue cases, in
/// full: its keys are a contract (docs/format.md), so any change shows in
/// review. Cases with a suggestion of each kind (a key, a value of a list,
/// a date, a number) and a syntax error.
#[test]
fn verifier_json_of_catalogue_cases_in_full() {
    for nom in [
        "01-syntaxe-crochet-non-ferme",
        "15-cle-inconnue-suggestion",
        "44-trois-erreurs-a-la-fois",
        "61-cle-obligatoire-mal-ecrite",
        "62-date-en-lettres",
        "63-milliers-avec-espaces",
    ] {
        let rel = format!("tests/catalogue/{nom}.yaml");
        let o = convflux(&["verifier", "--format", "json", &rel]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_eq!(stderr(&o), "", "{nom}");
        insta::assert_snapshot!(format!("json-{nom}"), stdout(&o));
    }
}

/// Shell completions and the man page come from the same French command
/// description as `--help`.
#[test]
fn completions_and_man_page_are_written() {
    let o = convflux(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("verifier") && s.contains("generer"), "{s}");
    let o = convflux(&["manuel"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.starts_with(".ie") || s.contains(".TH"), "{s}");
    assert!(s.contains("Conventions de gestion en flux"), "{s}");
}

/// `--annee` takes only the years a file may hold: a typo is a usage error
/// in French, not an empty run.
#[test]
fn annee_out_of_the_possible_years_is_a_usage_error() {
    for (valeur, attendu) in [
        ("3000", "3000 est hors des années possibles (2000 à 2100)"),
        ("abc", "« abc » n'est pas une année"),
    ] {
        let o = convflux(&["generer", "data", "--annee", valeur]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(attendu), "{}", stderr(&o));
    }
}

/// Colours only when asked or on a terminal: piped output (as here) has no
/// escape sequence, `--couleur toujours` has them, `--couleur jamais` not.
#[test]
fn colours_follow_the_couleur_option() {
    let f = "tests/catalogue/44-trois-erreurs-a-la-fois.yaml";
    let sans = stderr(&convflux(&["verifier", f]));
    assert!(!sans.contains('\u{1b}'), "{sans}");
    let avec = stderr(&convflux(&["verifier", "--couleur", "toujours", f]));
    assert!(avec.contains("\u{1b}["), "{avec}");
    assert!(avec.contains("erreur"), "{avec}");
    let jamais = stderr(&convflux(&["--couleur", "jamais", "verifier", f]));
    assert_eq!(jamais, sans);
}

/// clap's usage errors follow `--couleur` and NO_COLOR like the
/// diagnostics: coloured with `--couleur toujours` (written before or after
/// the mistake), plain with `--couleur jamais`, when piped (as here), and
/// with NO_COLOR set under `auto`; the same words either way.
#[test]
fn usage_errors_follow_the_couleur_option_and_no_color() {
    let lancer = |args: &[&str], no_color: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_convflux"));
        c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        let o = c.output().unwrap();
        commun::sans_anglais(args, &o);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        stderr(&o)
    };
    let sans = lancer(&["verifer"], false);
    assert!(!sans.contains('\u{1b}'), "{sans}");
    assert!(
        sans.starts_with("erreur : commande inconnue « verifer »"),
        "{sans}"
    );
    for args in [
        &["--couleur", "toujours", "verifer"][..],
        &["verifier", "--format", "jsn", "--couleur=toujours", "data"][..],
    ] {
        let avec = lancer(args, false);
        assert!(
            avec.contains("\u{1b}[31m") || avec.contains("\u{1b}[1m\u{1b}[31m"),
            "{avec}"
        );
        // NO_COLOR gives way to an explicit `toujours`, as for diagnostics.
        assert_eq!(lancer(args, true), avec);
    }
    let avec = lancer(&["--couleur", "toujours", "verifer"], false);
    let sans_echappement: String = {
        // The coloured text without its escapes is the plain text.
        let mut t = String::new();
        let mut dans = false;
        for c in avec.chars() {
            match c {
                '\u{1b}' => dans = true,
                'm' if dans => dans = false,
                _ if dans => {}
                c => t.push(c),
            }
        }
        t
    };
    assert_eq!(sans_echappement, sans);
    assert_eq!(lancer(&["--couleur", "jamais", "verifer"], false), sans);
    assert_eq!(lancer(&["verifer"], true), sans);
    assert_eq!(lancer(&["--couleur", "auto", "verifer"], true), sans);
}

/// `nouveau` writes, for each model, a starting file that `verifier` passes
/// without an error or a warning, whose schema header names a file that
/// exists beside it (the schema `convflux schema` prints); it never
/// overwrites a file.
#[test]
fn nouveau_writes_a_valid_annotated_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    for modele in ["intercommunal", "bilateral"] {
        // The model's own schema (its texts as plain properties), named
        // after it.
        let schema = stdout(&convflux(&["schema", "--modele", modele]));
        let f = dir.path().join(format!("essai-{modele}.yaml"));
        let o = convflux(&["nouveau", "--modele", modele, s(&f)]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let texte = std::fs::read_to_string(&f).unwrap();
        let entete = texte.lines().next().unwrap();
        let cible = entete
            .strip_prefix("# yaml-language-server: $schema=")
            .expect(entete);
        assert_eq!(cible, format!("convflux-{modele}.schema.json"));
        let ecrit = std::fs::read_to_string(dir.path().join(cible)).unwrap();
        assert_eq!(ecrit.trim(), schema.trim());
        assert_eq!(
            ecrit,
            std::fs::read_to_string(format!("docs/{cible}")).unwrap()
        );
        assert!(texte.contains(&format!("id: essai-{modele}")), "{texte}");
        assert!(texte.contains(&format!("modele: {modele}")), "{texte}");
        // Annotated: a French comment on most fields.
        assert!(texte.matches("  # ").count() >= 10, "{texte}");
        let o = convflux(&["verifier", s(&f)]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(err.contains("0 erreur, 0 avertissement"), "{err}");

        let o = convflux(&["nouveau", "--modele", "intercommunal", s(&f)]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("existe déjà"), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&f).unwrap(), texte);
    }
}
