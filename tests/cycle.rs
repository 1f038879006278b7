//! The yearly cycle: bilan of N-1, avenant of N, council report and its
//! workbook. Runs the real binary where the user would, and reads the PDFs
//! through the laid-out Typst text (no pdftotext): both years' figures of the
//! avenant against `calculer`, the seed 000 council report (33 units, 49 the
//! year before, five rates), the period rule, the XLSX read back.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use std::str::FromStr;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use convflux::pipeline::{self, Analyse};
use convflux::render::{DocumentSource, Rendu};
use convflux::typeset;
use rust_decimal::Decimal;

mod commun;
use commun::{convflux, plat, stderr, stdout, ts};

fn racine(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn analyse(rel: &str) -> Analyse {
    let an = pipeline::analyser(&racine(rel));
    assert!(an.valide(), "{}", an.diagnostics_rendus());
    an
}

fn texte(doc: &DocumentSource) -> String {
    let compiled = ts()
        .compile(&doc.source, &doc.ident)
        .unwrap_or_else(|e| panic!("{}: {e}", doc.fichier));
    typeset::texte(&compiled.document).join("\n")
}

/// French figure as the documents print it (decimal comma, no grouping
/// once spaces are folded).
fn fr(d: Decimal) -> String {
    convflux::render::filtres::nombre_fr(d)
}

fn dec(v: &serde_json::Value) -> Decimal {
    match v {
        serde_json::Value::String(s) => Decimal::from_str(s).unwrap(),
        serde_json::Value::Number(n) => Decimal::from_str(&n.to_string()).unwrap(),
        _ => panic!("nombre attendu : {v}"),
    }
}

/// The annex of `reservataire` for each year, as `calculer --format json` prints it.
fn calculer_json(fichier: &str, reservataire: &str) -> Vec<(i64, serde_json::Value)> {
    let o = convflux(&["calculer", "--format", "json", fichier]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    v["conventions"][0]["exercices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let a = e["annexes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["reservataire"] == reservataire)
                .unwrap()
                .clone();
            (e["annee"].as_i64().unwrap(), a)
        })
        .collect()
}

fn ecart(apres: Decimal, avant: Decimal, taux: bool) -> String {
    let d = apres - avant;
    let s = if d.is_zero() {
        "0".to_string()
    } else if d > Decimal::ZERO {
        format!("+{}", fr(d.normalize()))
    } else {
        format!("−{}", fr(d.abs().normalize()))
    };
    if taux { format!("{s} pt") } else { s }
}

/// Checks that the avenant of 2025 prints, for every line of the annex, the
/// 2024 and 2025 figures of `calculer` and their difference, and that its
/// annexes are the 2025 ones.
fn avenant_conforme(fichier: &str, reservataire: &str, annexe_2025: &[&str]) {
    let an = analyse(fichier);
    let c = an.convention.as_ref().unwrap();
    let f2025 = an.flux.iter().find(|f| f.annee == 2025).unwrap();
    let docs = Rendu::new().documents(c, f2025, &an.flux).expect("rendu");
    let av = docs
        .iter()
        .find(|d| d.fichier == "avenant-1.pdf")
        .expect("avenant-1.pdf");
    let t = plat(&texte(av));
    let json = calculer_json(fichier, reservataire);
    let (a, b) = (&json[0], &json[1]);
    assert_eq!((a.0, b.0), (2024, 2025));
    let lignes: [(&str, &str, bool); 9] = [
        (
            "Patrimoine du bailleur sur le territoire",
            "logements",
            false,
        ),
        (
            "Logements exclus de la gestion en flux",
            "total_exclusions",
            false,
        ),
        ("Parc soumis à la gestion en flux", "parc_soumis", false),
        ("Taux de rotation", "taux_rotation", true),
        ("Flux prévisionnel", "flux_previsionnel", false),
        ("Logements soustraits du flux", "total_deductions", false),
        (
            "Logements mobilisables à répartir entre réservataires",
            "mobilisables",
            false,
        ),
        ("Taux du réservataire", "taux", true),
        ("Logements affectés au réservataire", "affectes", false),
    ];
    for (libelle, cle, taux) in lignes {
        let (x, y) = (dec(&a.1[cle]), dec(&b.1[cle]));
        // Rates keep the data's scale in the documents ("4,80 %").
        let v = |d: Decimal, brut: &serde_json::Value| {
            if taux {
                format!(
                    "{} %",
                    fr(Decimal::from_str(brut.as_str().unwrap()).unwrap())
                )
            } else {
                fr(d)
            }
        };
        let attendu = plat(&format!(
            "{libelle} {} {} {}",
            v(x, &a.1[cle]),
            v(y, &b.1[cle]),
            ecart(y, x, taux)
        ));
        assert!(
            t.contains(&attendu),
            "« {attendu} » absent de l'avenant :\n{t}"
        );
    }
    for x in annexe_2025 {
        assert!(
            t.contains(&plat(x)),
            "« {x} » absent des annexes 2025 :\n{t}"
        );
    }
    assert!(t.contains("Avenant n° 1"));
    assert!(t.contains("CHIFFRES ILLUSTRATIFS") || t.contains("chiffres illustratifs"));
}

/// The avenant of the illustrative 2025 exercise (intercommunal model, seed
/// 000) shows both years' figures and their differences, each matching
/// `calculer`; its annex is the 2025 annex.
#[test]
fn intercommunal_avenant_2025_matches_calculer_for_both_years() {
    avenant_conforme(
        "data/territoire-ouest/sodiac.yaml",
        "le-port",
        &[
            "au 31/12/2023",
            "le patrimoine considéré pour le calcul de la gestion en flux en 2025",
            "soit 366 logements",
            "19 logements mobilisables à répartir entre réservataires",
            "Le nombre prévisionnel de logements affectés est donc de 3.",
            // The bilan and the gap between committed and done (seed 000 art. 8).
            "reçu le 14 février 2025",
            "Ville du Port 2 2 0 2 0",
        ],
    );
}

/// The same for the bilateral model (seed 004): annex 2 of 2025 follows.
#[test]
fn bilateral_avenant_2025_matches_calculer_for_both_years() {
    avenant_conforme(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "le-cendre",
        &[
            "Annexe 2",
            "au 31 décembre 2024",
            "est de 51 logements",
            "Le flux (N) représente donc 4 logements",
            "article 14",
        ],
    );
}

/// The command writes the avenant and the updated annex where `generer` would.
#[test]
fn avenant_command_writes_the_avenant_and_its_annexes() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().to_str().unwrap();
    let o = convflux(&[
        "avenant",
        "data/territoire-ouest/sodiac.yaml",
        "--annee",
        "2025",
        "--sortie",
        sortie,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["avenant-1.pdf", "annexe-le-port.pdf"] {
        let p = dir.path().join("2025/territoire-ouest-sodiac").join(f);
        let b = std::fs::read(&p).unwrap_or_else(|_| panic!("{} absent", p.display()));
        assert!(b.starts_with(b"%PDF-"));
    }
    // The first year gives the convention, not an avenant.
    let o = convflux(&[
        "avenant",
        "data/territoire-ouest/sodiac.yaml",
        "--annee",
        "2024",
        "--sortie",
        sortie,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("premier exercice"), "{}", stderr(&o));
}

/// Seed 000 art. 12: 3 years from 2024 + 2 renewals of 1 year: the last
/// possible year is 2028; an avenant for 2029 is refused and says so.
#[test]
fn avenant_2029_of_a_seed_000_convention_is_refused_naming_2028() {
    let o = convflux(&[
        "avenant",
        "data/territoire-ouest/sodiac.yaml",
        "--annee",
        "2029",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("dernière année possible 2028"), "{e}");
    assert!(!e.contains("panicked"));

    // With a 2029 exercise in the data, the validation rule refuses it,
    // located at the year.
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(racine("data/territoire-ouest/sodiac.yaml")).unwrap();
    let ajout = "  - annee: 2029\n    bilan: { recu_le: 2029-02-10, reservataires: [ { reservataire: le-port, proposes: 2, attribues: 2 } ] }\n    annexes:\n      - reservataire: le-port\n        perimetre: \"la commune\"\n        patrimoine: { date: 2028-12-31, logements: 380 }\n        rotation: 5\n        taux: 13.55\n";
    let f = dir.path().join("sodiac-2029.yaml");
    std::fs::write(&f, format!("{src}{ajout}")).unwrap();
    let ligne = src.lines().count() + 1;
    let o = convflux(&["avenant", f.to_str().unwrap(), "--annee", "2029"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains(
            "exercice 2029 hors de la durée de la convention : dernière année possible 2028"
        ),
        "{e}"
    );
    assert!(e.contains(&format!("sodiac-2029.yaml:{ligne}:")), "{e}");
    assert!(e.contains("aucun avenant produit"), "{e}");
}

/// Seed 004 art. 15: 3 years + 3 renewals: the last possible year is 2029.
#[test]
fn avenant_2030_of_the_seed_004_convention_is_refused_naming_2029() {
    let o = convflux(&[
        "avenant",
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "--annee",
        "2030",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("dernière année possible 2029"),
        "{}",
        stderr(&o)
    );
}

fn variante(rel: &str, de: &str, vers: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(racine(rel)).unwrap();
    assert!(src.contains(de), "« {de} » absent de {rel}");
    let f = dir.path().join("variante.yaml");
    std::fs::write(&f, src.replacen(de, vers, 1)).unwrap();
    (dir, f)
}

/// An exercise whose patrimoine date does not move forward is an error.
#[test]
fn patrimoine_date_that_does_not_move_forward_is_an_error() {
    let (_d, f) = variante(
        "data/territoire-ouest/sodiac.yaml",
        "patrimoine: { date: 2023-12-31",
        "patrimoine: { date: 2022-12-31",
    );
    let o = convflux(&["verifier", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("la date du patrimoine de `le-port` n'avance pas"),
        "{}",
        stderr(&o)
    );
}

/// A bilan received after 28 February is a warning, located, not an error.
#[test]
fn bilan_after_28_february_is_a_located_warning() {
    let (_d, f) = variante(
        "data/territoire-ouest/sodiac.yaml",
        "recu_le: 2025-02-14",
        "recu_le: 2025-03-03",
    );
    let o = convflux(&["verifier", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("avertissement : bilan de 2024 reçu le 03/03/2025, après le 28 février 2025"),
        "{e}"
    );
    assert!(e.contains("R. 441-5-1"), "{e}");
    // The avenant says it too.
    let an = pipeline::analyser(&f);
    let c = an.convention.as_ref().unwrap();
    let f2025 = an.flux.iter().find(|f| f.annee == 2025).unwrap();
    let docs = Rendu::new().documents(c, f2025, &an.flux).unwrap();
    let t = plat(&texte(&docs[0]));
    assert!(t.contains("après le 28 février 2025"), "{t}");
}

/// A breakdown that does not add up is an error naming both totals.
#[test]
fn bilan_breakdown_that_does_not_add_up_is_an_error() {
    let (_d, f) = variante(
        "data/territoire-ouest/sodiac.yaml",
        "T3: { proposes: 2, attribues: 1 }",
        "T3: { proposes: 1, attribues: 1 }",
    );
    let o = convflux(&["verifier", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "la répartition par typologie des logements proposés totalise 2, le bilan en compte 3"
        ),
        "{}",
        stderr(&o)
    );
}

/// Seed 000's council report for Le Port, 2024: 33 units, 49 the year
/// before, the five annex rates (13,55 % for SODIAC, not the report's 13,5 %).
#[test]
fn council_report_le_port_2024_says_33_units_49_before_and_five_rates() {
    let dir = tempfile::tempdir().unwrap();
    let o = convflux(&[
        "rapport",
        "--reservataire",
        "le-port",
        "data/territoire-ouest",
        "--annee",
        "2024",
        "--sortie",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("quota 2024 : 33 logements ; 2023 : 49 logements"),
        "{s}"
    );
    // `verifier` says where the council report and the annex disagree.
    assert!(stderr(&o).contains("avertissements dans les fichiers du rapport"));
    let v = convflux(&["verifier", "data/territoire-ouest/sodiac.yaml"]);
    assert!(
        stderr(&v).contains("le rapport au conseil indique 13,5 %, l'annexe 13,55 %"),
        "{}",
        stderr(&v)
    );
    let pdf = std::fs::read(dir.path().join("2024/rapport-le-port.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    let analyses = territoire_ouest();
    let sources = sources_du_rapport(&analyses);
    let r = convflux::compute::rapport::assembler(&sources, "le-port", Some(2024)).unwrap();
    assert_eq!(r.total.0, 33);
    assert_eq!(r.precedent.map(|p| p.logements.0), Some(49));
    let doc = convflux::render::rapport::document(&Rendu::new(), &r).unwrap();
    let t = plat(&texte(&doc));
    assert!(
        t.contains("le quota réservataire de la Ville s’élève à 33 logements"),
        "{t}"
    );
    assert!(t.contains("le quota était de 49 logements en 2023"), "{t}");
    for (bailleur, taux) in [
        ("SODIAC", "13,55"),
        ("SEMADER", "18,48"),
        ("SIDR", "6,89"),
        // As SHLMR transmitted it (the annex prints 18,20 %).
        ("SHLMR", "18,2"),
        ("SEDRE", "8,51"),
    ] {
        let attendu = format!(
            "Pour la {bailleur} : le taux de réservation pour la Ville représente {taux} %"
        );
        assert!(t.contains(&attendu), "« {attendu} » absent :\n{t}");
    }
    // The rate the bailleur transmitted is not the rate: the report says it
    // was corrected, in a paragraph of its own.
    assert!(
        t.contains("pour le bailleur SODIAC, le taux de réservation transmis (13,5 %) est corrigé en 13,55 %, taux de l’annexe individuelle qui fait foi ;"),
        "{t}"
    );
    assert!(!t.contains("représente 13,5 %"), "{t}");
    // So are the figures SEDRE transmitted (`transmis`: 235, its stock, for
    // the flux, and 14 mobilisables), in the same paragraph.
    assert!(
        t.contains("pour le bailleur SEDRE, le flux prévisionnel transmis (235 logements) est corrigé en 16 et les logements mobilisables transmis (14) en 16, chiffres de l’annexe individuelle qui fait foi."),
        "{t}"
    );
    for x in [
        "loi ELAN",
        "décret n° 2020-145 du 20 février 2020",
        "Lors de la Commission Intercommunale du Logement qui s’est tenue le 21 décembre 2023, les partenaires se sont mis d’accord pour établir des conventions partenariales avec chaque bailleur à l’échelle du territoire de l’agglomération tout en y annexant des fiches techniques par commune. Chaque convention doit être signée par l’ensemble des communes, le TO et le bailleur concerné.",
        "avec tacite reconduction pour une période d’un an, dans la limite de deux ans",
        "durée de trois ans, à compter du 1er janvier 2024",
        "au plus tard jusqu’au 31 décembre 2028",
        "28 février",
        "d’approuver les conventions relatives à chaque bailleur",
        "d’autoriser le Maire, ou tout adjoint habilité",
    ] {
        assert!(t.contains(x), "« {x} » absent :\n{t}");
    }
    // The documents to attach, in the report's words, not a file path.
    for x in [
        "1 projet de convention-type entre la Ville du Port, le TO et les bailleurs ;",
        // In the order `rapport.ordre` gives (the files are read
        // alphabetically).
        "Les annexes liant la Ville avec chaque bailleur (SODIAC, SEMADER, SIDR, SHLMR, SEDRE).",
    ] {
        assert!(t.contains(x), "« {x} » absent :\n{t}");
    }
    assert!(!t.contains("convention.pdf"), "{t}");
}

/// The next year's report compares with the quota computed from the 2024
/// exercises (33), not the declared stock quota, and lists the bilans.
#[test]
fn council_report_2025_compares_with_2024_from_the_data() {
    let o = convflux(&[
        "rapport",
        "--reservataire",
        "le-port",
        "data/territoire-ouest",
        "--sans-pdf",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("année 2025"), "{s}");
    assert!(
        s.contains("quota 2025 : 36 logements ; 2024 : 33 logements\n"),
        "{s}"
    );
    assert!(s.contains("(avenant n° 1)"), "{s}");
}

#[test]
fn council_report_of_an_unknown_reservataire_lists_the_known_ones() {
    let o = convflux(&[
        "rapport",
        "--reservataire",
        "saint-paul",
        "data",
        "--sans-pdf",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("aucune annexe du réservataire `saint-paul`"),
        "{e}"
    );
    assert!(e.contains("`le-port`"), "{e}");
}

fn cellule(d: &Data) -> String {
    match d {
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        x => format!("{x:?}"),
    }
}

/// The workbook opens, and holds for every annex the same figures as
/// `calculer --format csv` (both years), with the quota as total.
#[test]
fn xlsx_of_the_report_holds_the_figures_of_calculer() {
    let dir = tempfile::tempdir().unwrap();
    for (annee, quota) in [("2024", "33"), ("2025", "36")] {
        let x = dir.path().join(format!("le-port-{annee}.xlsx"));
        let o = convflux(&[
            "rapport",
            "--reservataire",
            "le-port",
            "data/territoire-ouest",
            "--annee",
            annee,
            "--sans-pdf",
            "--xlsx",
            x.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let octets = std::fs::read(&x).unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(octets)).expect("xlsx lisible");
        let feuille = wb
            .worksheet_range(&format!("Flux {annee}"))
            .expect("feuille Flux");
        let lignes: Vec<Vec<String>> = feuille
            .rows()
            .map(|r| r.iter().map(cellule).collect())
            .collect();
        let entete = &lignes[0];
        let col = |nom: &str| {
            entete
                .iter()
                .position(|h| h == nom)
                .unwrap_or_else(|| panic!("colonne « {nom} » absente : {entete:?}"))
        };
        let csv = convflux(&[
            "calculer",
            "--format",
            "csv",
            "--annee",
            annee,
            "data/territoire-ouest",
        ]);
        let csv = stdout(&csv);
        let mut lues = 0;
        for l in csv.lines().skip(1) {
            let v: Vec<&str> = l.split(';').collect();
            let ligne = lignes
                .iter()
                .find(|r| r[col("Convention")] == v[1])
                .unwrap_or_else(|| panic!("convention {} absente du classeur", v[1]));
            let paires = [
                ("Année", v[2]),
                ("Réservataire", v[3]),
                ("Patrimoine", v[4]),
                ("Total des exclusions", v[5]),
                ("Parc soumis", v[6]),
                ("Taux de rotation (%)", v[7]),
                ("Flux exact", v[8]),
                ("Flux prévisionnel", v[9]),
                ("Total des déductions", v[10]),
                ("Logements mobilisables", v[11]),
                ("Taux du réservataire (%)", v[12]),
                ("Affectés exact", v[13]),
                ("Logements affectés", v[14]),
            ];
            // A transmitted figure the computation corrects, in both.
            assert_eq!(
                ligne[col("Chiffres transmis corrigés")].is_empty(),
                v[15].is_empty(),
                "{} : chiffres transmis corrigés",
                v[1]
            );
            for (nom, attendu) in paires {
                assert_eq!(
                    ligne[col(nom)],
                    attendu.replace(',', "."),
                    "{} : colonne « {nom} »",
                    v[1]
                );
            }
            lues += 1;
        }
        assert_eq!(lues, 5);
        let total = lignes
            .iter()
            .find(|r| r[0] == "Total")
            .expect("ligne Total");
        assert_eq!(total[col("Logements affectés")], quota);
        if annee == "2024" {
            let corrige = |c: &str| {
                lignes
                    .iter()
                    .find(|r| r[col("Convention")] == c)
                    .map(|r| r[col("Chiffres transmis corrigés")].clone())
                    .unwrap()
            };
            assert_eq!(
                corrige("territoire-ouest-sedre"),
                "flux prévisionnel : 235 → 16 ; logements mobilisables : 14 → 16"
            );
            assert_eq!(
                corrige("territoire-ouest-sodiac"),
                "taux : 13,5 % → 13,55 %"
            );
            assert_eq!(corrige("territoire-ouest-sidr"), "");
        }
        if annee == "2025" {
            assert_eq!(total[col("Logements affectés N-1")], "33");
            let bilan = wb
                .worksheet_range("Bilan 2024")
                .expect("feuille Bilan 2024");
            assert_eq!(bilan.rows().count(), 6);
        }
    }
}

/// Seed 004 art. 6 and 15: three years from signature and three renewals of
/// one year. Signed on 3 July 2024, the convention ends on 2 July 2030: the
/// avenant says so (not « 31 décembre 2029 »), and `avenant --annee 2031`
/// is refused naming 2030.
#[test]
fn a_convention_from_signature_ends_on_the_day_before_its_anniversary() {
    let (d, f) = variante(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "signature: { lieu: LE CENDRE, date: ~ }",
        "signature: { lieu: LE CENDRE, date: 2024-07-03 }",
    );
    let sortie = d.path().join("sortie");
    let o = convflux(&[
        "avenant",
        f.to_str().unwrap(),
        "--annee",
        "2025",
        "--typst",
        "--sortie",
        sortie.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sources: Vec<String> = walk(&sortie)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "typ"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    // Dates are written with no-break spaces.
    let texte = sources.join("\n").replace('\u{a0}', " ");
    assert!(texte.contains("2 juillet 2030"), "{texte}");
    assert!(!texte.contains("31 décembre 2029"));
    let o = convflux(&["avenant", f.to_str().unwrap(), "--annee", "2031"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("dernière année possible 2030 (fin au plus tard le 2 juillet 2030 ;"),
        "{e}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Seed 004 art. 7 and seed 000's council report: a programme first let in
/// 2024 is managed in stock for that letting (its reservations recorded
/// with the exercise), then joins the état des lieux, in flux, in 2025.
#[test]
fn a_new_programme_joins_the_etat_des_lieux_the_next_year() {
    let (_d, f) = variante(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "        declare: { parc_soumis: 43, flux_previsionnel: 3, mobilisables: 2 }\n",
        "        declare: { parc_soumis: 43, flux_previsionnel: 3, mobilisables: 2 }\n    programmes_nouveaux:\n      - commune: LE CENDRE\n        residence: \"NOUVELLE RÉSIDENCE\"\n        code: 999N01\n        logements: { PLUS: 10 }\n        mise_en_location: 2024\n        garanties: { cam: 50, le-cendre: 50 }\n        reserves: { cam: 1, le-cendre: 1 }\n",
    );
    let o = convflux(&["calculer", f.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // 2024: 43 units, 6 and 3 reserved (14 % and 7 %); 2025: 53 units,
    // 7 and 4 reserved (13 % and 8 %).
    let annees: Vec<&str> = out.split("exercice ").skip(1).collect();
    assert!(annees[0].contains("état des lieux : 43 logements"), "{out}");
    assert!(annees[0].contains("6 réservés = 14 %"), "{out}");
    assert!(annees[0].contains("3 réservés = 7 %"), "{out}");
    assert!(annees[1].contains("état des lieux : 53 logements"), "{out}");
    assert!(annees[1].contains("7 réservés = 13 %"), "{out}");
    assert!(annees[1].contains("4 réservés = 8 %"), "{out}");
    // A stock reservation other than the formula's is refused, as for the
    // programmes of the état des lieux.
    let (_d, g) = variante(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "        declare: { parc_soumis: 43, flux_previsionnel: 3, mobilisables: 2 }\n",
        "        declare: { parc_soumis: 43, flux_previsionnel: 3, mobilisables: 2 }\n    programmes_nouveaux:\n      - commune: LE CENDRE\n        residence: \"NOUVELLE RÉSIDENCE\"\n        code: 999N01\n        logements: { PLUS: 10 }\n        garanties: { cam: 50, le-cendre: 50 }\n        reserves: { cam: 2, le-cendre: 1 }\n",
    );
    let o = convflux(&["verifier", g.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "programme 999N01 : 2 logements réservés déclarés pour `cam`, le calcul donne 1"
        ),
        "{}",
        stderr(&o)
    );
}

/// The text of `fichier` (a document of the 2025 exercise) of `yaml`.
fn texte_2025(yaml: &str, fichier: &str) -> String {
    let an = analyse(yaml);
    let c = an.convention.as_ref().unwrap();
    let f2025 = an.flux.iter().find(|f| f.annee == 2025).unwrap();
    let docs = Rendu::new().documents(c, f2025, &an.flux).expect("rendu");
    let d = docs.iter().find(|d| d.fichier == fichier).expect(fichier);
    // Hyphenation breaks words with a soft hyphen: join them back.
    plat(&texte(d).replace("\u{ad}\n", "").replace('\u{ad}', ""))
}

/// The intercommunal art. 3 counts attributions followed by a signed lease
/// plus units refused by every candidate: SHLMR's bilan 2024 has 15
/// attributions but 14 leases, so 14 are set against the 16 engaged.
#[test]
fn shlmr_avenant_measures_the_engagement_by_signed_leases() {
    let t = texte_2025("data/territoire-ouest/shlmr.yaml", "avenant-1.pdf");
    for attendu in [
        "les engagements pris et la réalité de la mobilisation du parc",
        "attributions suivies de baux signés, ainsi que sur les logements ayant fait l’objet d’une attribution en CALEOL mais qui ont été refusés par tous les candidats positionnés par le réservataire (article 3)",
        "Ville du Port 16 14 0 14 −2",
        "l’engagement de 16 logements n’est pas atteint (14 logements au sens de l’article 3)",
    ] {
        assert!(t.contains(attendu), "« {attendu} » absent de :\n{t}");
    }
    assert!(!t.contains("15 logements attribués)"), "{t}");
}

/// Nothing is added to the approved annex 2 of the bilatéral model; the
/// exact share before rounding is in the avenant's comparison table, and the
/// avenant does not call an engagement of 0 unit « atteint ».
#[test]
fn le_cendre_exact_share_is_in_the_avenant_table_not_in_the_annex() {
    let yaml = "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml";
    let t = texte_2025(yaml, "avenant-1.pdf");
    assert!(
        t.contains("Part du flux avant arrondi 0,14 0,28 +0,14"),
        "{t}"
    );
    assert!(!t.contains("l’engagement de 0 logement est atteint"), "{t}");
    assert!(
        t.contains("Aucun logement n’était affecté à la Ville du CENDRE pour l’année 2024"),
        "{t}"
    );
    let a2 = texte_2025(yaml, "annexe-2-assiette.pdf");
    for ajout in ["0,28", "après arrondi", "Le flux affecté au réservataire"] {
        assert!(
            !a2.contains(ajout),
            "« {ajout} » ajouté à l'annexe 2 :\n{a2}"
        );
    }
}

/// The avenant has its convention's party clause (identity, siège, RCS,
/// representative, habilitation by deliberation), the visas of the
/// convention with its signature date and of the authorising deliberations
/// (blanks where unknown), the model's words for the parties, an end date
/// computed from the convention's start, and says its effect is retroactive.
#[test]
fn avenants_carry_the_formalities_of_the_convention_they_amend() {
    let t = texte_2025("data/territoire-ouest/shlmr.yaml", "avenant-1.pdf");
    for attendu in [
        "Entre SHLMR, société anonyme au capital de",
        "inscrite au RCS de Saint-Denis sous le n°",
        "Directrice Générale de la SHLMR, dûment habilité à cet effet par délibération n°",
        "ci-après dénommé « le bailleur »",
        "Et le Territoire de l’Ouest, représenté par",
        "Et la Commune de Saint-Leu, représentée par",
        "ci-après dénommé « le réservataire » ou ensemble « les réservataires »",
        "Collectivités, signée par les parties le",
        "conclue à compter du 1er janvier 2024, notamment ses articles 8 et 9 ;",
        "du conseil communautaire du Territoire de l’Ouest autorisant la signature du présent avenant ;",
        "du conseil municipal de la Commune du Port autorisant la signature du présent avenant ;",
        "de l’organe compétent du bailleur autorisant la signature du présent avenant ;",
        "(article 12), soit au plus tard jusqu’au 31 décembre 2028.",
        "Le présent avenant prend effet le 1er janvier 2025. Cette date étant antérieure à sa signature, le présent avenant s’applique rétroactivement à compter du 1er janvier 2025",
    ] {
        assert!(t.contains(attendu), "« {attendu} » absent de :\n{t}");
    }
    let t = texte_2025(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "avenant-1.pdf",
    );
    for attendu in [
        "Entre ASSEMBLIA, Société à économie mixte",
        "dont le siège social est situé 14 rue Buffon 63100 CLERMONT-FERRAND",
        "représentée par Rachid KANDER, Directeur Général, dûment habilité à cet effet par délibération n°",
        "Désigné ci-dessous comme « l’organisme »",
        "Et la Ville du CENDRE, sise 7 rue de la Mairie 63670 LE CENDRE, représentée par M. Hervé PRONONCE, Maire, dûment habilité par délibération n°",
        "conclue à compter de sa signature, notamment son article 14 ;",
        "transmis par l’organisme le 25 février 2025",
        "(trois ans à compter de sa signature, puis trois reconductions d’un an).",
        "rétroactivement à compter du 1er janvier 2025",
        "Pour l’organisme",
    ] {
        assert!(t.contains(attendu), "« {attendu} » absent de :\n{t}");
    }
    for absent in [
        "31 décembre 2029",
        "« le bailleur »",
        "notamment ses articles 14",
    ] {
        assert!(!t.contains(absent), "« {absent} » dans :\n{t}");
    }
}

/// The council report of 2025 tells the council, in paragraphs of their
/// own, how each bailleur's quota changed and which engagements of 2024
/// were not met, measured as the conventions' art. 3 says (SEMADER: 10
/// engaged, 9 proposed, 7 leases; SHLMR: 16 engaged, 14 leases); the totals
/// row is there.
#[test]
fn council_report_2025_explains_changes_and_shortfalls() {
    let analyses = territoire_ouest();
    let sources = sources_du_rapport(&analyses);
    let r = convflux::compute::rapport::assembler(&sources, "le-port", Some(2025)).unwrap();
    let semader = r
        .lignes
        .iter()
        .find(|l| l.convention.bailleur.nom == "SEMADER")
        .unwrap();
    assert_eq!(semader.non_atteint, Some(true));
    let doc = convflux::render::rapport::document(&Rendu::new(), &r).unwrap();
    let t = plat(&texte(&doc));
    for attendu in [
        "SODIAC : 2 → 3 (+1) ; SEMADER : 10 → 10 (0) ; SIDR : 4 → 4 (0) ; SHLMR : 16 → 18 (+2) ; SEDRE : 1 → 1 (0).",
        "Engagements non atteints en 2024 : pour le bailleur SEMADER, 10 logements étaient affectés à la Ville, 9 logements ont été proposés et 7 logements sont retenus au titre des engagements ; pour le bailleur SHLMR, 16 logements étaient affectés à la Ville, 17 logements ont été proposés et 14 logements sont retenus",
        "un point est opéré avec ces bailleurs",
        "Total",
    ] {
        assert!(t.contains(attendu), "« {attendu} » absent :\n{t}");
    }
}

/// The avenant's council report corrects the figures transmitted for its
/// own year: SEDRE's `transmis` of 2024 are not repeated in 2025, and a
/// figure transmitted in 2025 (2 units allotted for 1) is said in the same
/// words as 2024's.
#[test]
fn council_report_2025_corrects_the_figures_transmitted_for_2025() {
    let analyses = territoire_ouest();
    let sources = sources_du_rapport(&analyses);
    let r = convflux::compute::rapport::assembler(&sources, "le-port", Some(2025)).unwrap();
    let t = plat(&texte(
        &convflux::render::rapport::document(&Rendu::new(), &r).unwrap(),
    ));
    assert!(!t.contains("pour le bailleur SEDRE, le flux"), "{t}");

    let dir = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string(racine("data/territoire-ouest/sedre.yaml")).unwrap();
    let de = "        declare: { flux_previsionnel: 17, mobilisables: 16, affectes: 1 }\n";
    assert!(yaml.contains(de), "{yaml}");
    let f = dir.path().join("sedre.yaml");
    std::fs::write(
        &f,
        yaml.replace(de, &format!("{de}        transmis: {{ affectes: 2 }}\n")),
    )
    .unwrap();
    let mut analyses = territoire_ouest();
    analyses[0] = pipeline::analyser(&f);
    assert!(analyses[0].valide(), "{}", analyses[0].diagnostics_rendus());
    let sources = sources_du_rapport(&analyses);
    let r = convflux::compute::rapport::assembler(&sources, "le-port", Some(2025)).unwrap();
    let t = plat(&texte(
        &convflux::render::rapport::document(&Rendu::new(), &r).unwrap(),
    ));
    assert!(
        t.contains("Correction des chiffres transmis par les bailleurs : pour le bailleur SEDRE, les logements affectés transmis (2 logements) sont corrigés en 1, chiffre de l’annexe individuelle qui fait foi."),
        "{t}"
    );
}

/// The report lists the bailleurs in `rapport.ordre` (seed 000's order,
/// not the files'); those it does not name follow in their previous order,
/// and a name without a convention is a warning.
#[test]
fn council_report_orders_bailleurs_as_rapport_ordre_says() {
    let analyses = territoire_ouest();
    let sources = sources_du_rapport(&analyses);
    let mut r = convflux::compute::rapport::assembler(&sources, "le-port", Some(2024)).unwrap();
    let noms = |r: &convflux::compute::rapport::Rapport| {
        r.lignes
            .iter()
            .map(|l| l.convention.bailleur.nom.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(noms(&r), ["SODIAC", "SEMADER", "SIDR", "SHLMR", "SEDRE"]);
    let avertissements =
        convflux::compute::rapport::ordonner(&mut r.lignes, &["SEDRE".into(), "SIDOM".into()]);
    assert_eq!(noms(&r), ["SEDRE", "SODIAC", "SEMADER", "SIDR", "SHLMR"]);
    assert_eq!(avertissements.len(), 1);
    assert!(
        avertissements[0].contains("« SIDOM »"),
        "{avertissements:?}"
    );
}

/// The five conventions of the Territoire de l'Ouest, analysed.
fn territoire_ouest() -> Vec<Analyse> {
    ["sedre", "semader", "shlmr", "sidr", "sodiac"]
        .iter()
        .map(|b| analyse(&format!("data/territoire-ouest/{b}.yaml")))
        .collect()
}

/// What the council report reads of each analysed convention.
fn sources_du_rapport(analyses: &[Analyse]) -> Vec<convflux::compute::rapport::Source<'_>> {
    analyses
        .iter()
        .map(|an| {
            (
                an.nom(),
                an.convention.as_ref().unwrap(),
                an.flux.as_slice(),
            )
        })
        .collect()
}
