//! How faithfully the generated bodies follow the seed conventions, word for
//! word: the bodies, every annex and the council report. The seed text (PDF
//! extraction, kept in tests/fixtures/seeds) and the text of the laid-out
//! document are reduced to words; their longest common subsequence gives a
//! similarity ratio 2·LCS / (|seed| + |generated|), at least 0.98 for each
//! passage. The words of each side outside the LCS are printed by
//! `cargo test --test fidelite -- --nocapture`; each passage's comment says
//! what they are (data-filled: names, blanks, figures; or intended).

use std::path::Path;

use convflux::pipeline;
use convflux::render::Rendu;
use convflux::typeset::{self, Typesetter};

/// Words, lowercased, apostrophes unified, punctuation and extraction
/// artefacts (page counters "4/11", version stamps "V.211224") removed.
fn mots(s: &str) -> Vec<String> {
    s.replace(['’', '\''], "' ")
        .split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .filter(|w| {
            !(w.starts_with("v.")
                || w.contains('/') && w.chars().all(|c| c.is_ascii_digit() || c == '/'))
        })
        .collect()
}

fn lcs(a: &[String], b: &[String]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn seed(fichier: &str, debut: usize, fin: usize) -> String {
    let t = std::fs::read_to_string(Path::new("tests/fixtures/seeds").join(fichier)).unwrap();
    t.lines()
        .skip(debut - 1)
        .take(fin - debut + 1)
        .collect::<Vec<_>>()
        .join("\n")
}

fn texte_document(yaml: &str, fichier: &str) -> String {
    let an = pipeline::analyser(Path::new(yaml));
    assert!(an.valide(), "{}", an.diagnostics_rendus());
    let c = an.convention.as_ref().unwrap();
    let docs = Rendu::new().documents(c, &an.flux[0], &an.flux).unwrap();
    let d = docs.iter().find(|d| d.fichier == fichier).expect(fichier);
    let compiled = Typesetter::new()
        .unwrap()
        .compile(&d.source, &d.ident)
        .unwrap();
    sans_pied(&typeset::texte(&compiled.document))
}

/// The laid-out text without the running footer (« titre — bailleur »,
/// « page 1 / 2 »: artefacts like the seed's « 4/11 »), hyphenated words
/// joined back (a soft hyphen ends their first half).
fn sans_pied(pages: &[String]) -> String {
    // Each page's last line is its footer, ending « page 1 / 2 ».
    let pied = |l: &str| {
        l.rsplit_once("page ").is_some_and(|(_, r)| {
            !r.is_empty()
                && r.chars().all(|c| {
                    c.is_ascii_digit() || c == ' ' || c == '/' || c == '\u{a0}' || c == '\u{202f}'
                })
        })
    };
    pages
        .iter()
        .map(|p| {
            let mut l: Vec<&str> = p.lines().collect();
            if l.last().is_some_and(|d| pied(d)) {
                l.pop();
            }
            l.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\u{ad}\n", "")
        .replace('\u{ad}', "")
}

fn corps_genere(yaml: &str, jusqua: &str) -> String {
    let t = texte_document(yaml, "convention.pdf");
    match t.find(jusqua) {
        Some(i) => t[..i].to_string(),
        None => t,
    }
}

fn ratio(a: &[String], b: &[String]) -> f64 {
    #[allow(clippy::float_arithmetic)]
    let r = 2.0 * lcs(a, b) as f64 / (a.len() + b.len()) as f64;
    r
}

/// The words of `a` and of `b` outside one longest common subsequence.
fn differences(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let (n, m) = (a.len(), b.len());
    let mut t = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut da, mut db) = (0, 0, Vec::new(), Vec::new());
    while i < n && j < m {
        if a[i] == b[j] {
            i += 1;
            j += 1;
        } else if t[i + 1][j] >= t[i][j + 1] {
            da.push(a[i].clone());
            i += 1;
        } else {
            db.push(b[j].clone());
            j += 1;
        }
    }
    da.extend(a[i..].iter().cloned());
    db.extend(b[j..].iter().cloned());
    (da, db)
}

/// Compares one passage, prints its measure and differences, and checks
/// its floor (0.98, the target; lower only where the text is not
/// yet there, said at the call).
fn passage(nom: &str, s: &[String], g: &[String], plancher: f64) -> f64 {
    let r = ratio(s, g);
    let (ds, dg) = differences(s, g);
    println!(
        "{nom} : modèle {} mots, généré {} mots, LCS = {}, similarité = {r:.4}\n  seulement dans le modèle : {}\n  seulement dans le document : {}",
        s.len(),
        g.len(),
        lcs(s, g),
        ds.join(" "),
        dg.join(" ")
    );
    assert!(r >= plancher, "{nom} : similarité {r:.4} < {plancher}");
    r
}

/// Seed 000, the five individual annexes of Le Port (one per bailleur),
/// each against its generated annex. Differences: data-filled: figures and
/// names (dates, bailleur, signatories: « Le Maire …, Monsieur » and « La
/// Directrice Générale … » set as signature blocks, the qualité and the
/// name in their own order), the blanks « A….., le …….. » (the data's
/// place and date, blank here too); intended: the seed's multiplication
/// sign « x » drawn as the table's operator, SEMADER's « 18.48 » and
/// SHLMR's « 2977 », « 2543 » written as French does (« 18,48 »,
/// « 2 977 »); the page counters.
#[test]
fn intercommunal_annexes_follow_seed_000_word_for_word() {
    for (bailleur, debut, fin) in [
        ("sodiac", 935, 1014),
        ("semader", 1015, 1094),
        ("sidr", 1095, 1174),
        ("shlmr", 1175, 1254),
        ("sedre", 1255, 1331),
    ] {
        // SEDRE: the bailleur's printed annex gave 235 (its stock) as the
        // flow and 14 mobilisables; the computation gives 16 and 16. The
        // data records those two figures as transmitted and corrected
        // (`transmis`, checked here), the council report says so: the
        // seed is compared with these two figures corrected. Intended
        // differences left: the singular « 0 logement mobilisé » (the
        // seed writes « 0 logements mobilisés » twice), « × » for « x ».
        let mut texte_seed = seed("le-port-territoire-ouest-2024.txt", debut, fin);
        if bailleur == "sedre" {
            let an = pipeline::analyser(Path::new("data/territoire-ouest/sedre.yaml"));
            let t = &an.convention.as_ref().unwrap().exercices[0].annexes[0].transmis;
            use convflux::model::Chiffre;
            let v = |c: Chiffre| t.0.get(&c).map(|x| x.v.0);
            assert_eq!(v(Chiffre::FluxPrevisionnel), Some(235));
            assert_eq!(v(Chiffre::Mobilisables), Some(14));
            for (transmis, corrige) in [
                (
                    "gestion en flux soit 235 logements \n\n Dont",
                    "gestion en flux soit 16 logements \n\n Dont",
                ),
                ("= 14 logements mobilisables", "= 16 logements mobilisables"),
            ] {
                assert!(texte_seed.contains(transmis), "{transmis}");
                texte_seed = texte_seed.replace(transmis, corrige);
            }
        }
        let s = mots(&texte_seed);
        let t = texte_document(
            &format!("data/territoire-ouest/{bailleur}.yaml"),
            "annexe-le-port.pdf",
        );
        let g = mots(&t);
        let plancher = 0.98;
        passage(&format!("annexe Le Port / {bailleur}"), &s, &g, plancher);
    }
}

/// Seed 004, annexes 1 to 3, each against its own PDF. Differences: annex
/// 1 none (its table has the seed's one header row and merges the
/// commune's cell over its programmes); annex 2's blanks the data fill
/// with 0 (data-filled); annex 3's « n°24/07/03/003 » is the data's
/// deliberation number printed « n° 24/07/03/003 » (the counter-like
/// number is dropped by `mots`; data-filled).
#[test]
fn bilateral_annexes_follow_seed_004_word_for_word() {
    let yaml = "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml";
    for (fichier, debut, fin, plancher) in [
        ("annexe-1-etat-des-lieux.pdf", 312, 321, 1.0),
        ("annexe-2-assiette.pdf", 322, 355, 0.99),
        ("annexe-3-indicateurs.pdf", 356, 394, 0.99),
    ] {
        let s = mots(&seed("le-cendre-assemblia-2024.txt", debut, fin));
        let g = mots(&texte_document(yaml, fichier));
        passage(&format!("Le Cendre {fichier}"), &s, &g, plancher);
    }
}

/// Seed 000, the council report of Le Port (2024), without the section
/// convflux adds for the council (« Chiffres par bailleur », up to the
/// heading « Décisions »: figures per bailleur with their total, the
/// correction of a transmitted rate, the quota of 2023 under stock
/// management, the conventions' last day), which is checked apart.
/// Differences: data-filled: the subtitle naming the council, the commune
/// and the year; « la Ville du Port », « le TO » (the data's designation
/// and acronym) for the seed's « la Ville de Le Port », « le TCO », « la
/// commune du Port » for « la commune de Le Port »; the bailleurs of the
/// attachments in the report's order. Intended: « réservation » with its
/// accent in the title, « pré-identifiés », « première » for « 1ère »,
/// « convention-type » in one word, 13,55 % for SODIAC (the annex's rate;
/// the correction is said in the added section, with SEDRE's transmitted
/// 235 and 14 corrected to 16 and 16), the heading « Décisions ».
#[test]
fn council_report_follows_seed_000_word_for_word() {
    use convflux::compute::rapport;
    // Read in the files' order, as `convflux rapport data/territoire-ouest`
    // does: `rapport.ordre` gives the seed's order of the bailleurs.
    let analyses: Vec<_> = ["sedre", "semader", "shlmr", "sidr", "sodiac"]
        .iter()
        .map(|b| pipeline::analyser(Path::new(&format!("data/territoire-ouest/{b}.yaml"))))
        .collect();
    let sources: Vec<rapport::Source> = analyses
        .iter()
        .map(|an| {
            (
                an.nom(),
                an.convention.as_ref().unwrap(),
                an.flux.as_slice(),
            )
        })
        .collect();
    let r = rapport::assembler(&sources, "le-port", Some(2024)).unwrap();
    let doc = convflux::render::rapport::document(&Rendu::new(), &r).unwrap();
    let compiled = Typesetter::new()
        .unwrap()
        .compile(&doc.source, &doc.ident)
        .unwrap();
    let t = sans_pied(&typeset::texte(&compiled.document));
    // The section convflux adds, from its heading to the next one: compared
    // apart, it must hold the figures per bailleur with their total, the
    // correction of the rate SODIAC transmitted and of the figures SEDRE
    // transmitted (its annex: a flux of 235, its stock, and 14 mobilisables).
    let debut = t.find("Chiffres par bailleur").expect("section ajoutée");
    let fin = debut + t[debut..].find("Décisions").expect("section suivante");
    let ajout = t[debut..fin]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for attendu in [
        "Total 6 340 346 238 33",
        "pour le bailleur SODIAC, le taux de réservation transmis (13,5 %) est corrigé en 13,55 %, taux de l’annexe individuelle qui fait foi ;",
        "pour le bailleur SEDRE, le flux prévisionnel transmis (235 logements) est corrigé en 16 et les logements mobilisables transmis (14) en 16, chiffres de l’annexe individuelle qui fait foi.",
        "au plus tard jusqu’au 31 décembre 2028",
    ] {
        assert!(
            ajout.contains(attendu),
            "« {attendu} » absent de la section ajoutée :\n{ajout}"
        );
    }
    let reste = format!("{}\n{}", &t[..debut], &t[fin..]);
    let s = mots(&seed("le-port-territoire-ouest-2024.txt", 1, 162));
    let g = mots(&reste);
    passage("rapport au conseil 2024", &s, &g, 0.98);
}

/// Seed 000: the model convention, from its title to its signatures.
/// Differences: data-filled: the parties the model leaves blank (« N° … »,
/// SIRET, the bailleur, each commune of the Territoire de l'Ouest, « le
/// Territoire de l'Ouest » for « le TO ») and the signatories' qualities;
/// intended: « article 10 » and « non-conformité » as French writes them,
/// one signatory group per party instead of « Les bailleurs » over one
/// signatory; the first annex's heading (« Annexe … Ville du Port SIDR »)
/// before the cut.
#[test]
fn intercommunal_body_follows_seed_000_word_for_word() {
    let s = mots(&seed("le-port-territoire-ouest-2024.txt", 163, 858));
    let g = mots(&corps_genere(
        "data/territoire-ouest/sidr.yaml",
        "Annexe individuelle",
    ));
    passage("corps seed 000", &s, &g, 0.98);
}

/// Seed 004: the bilateral convention, from its title to its signatures.
/// Differences: data-filled: « Hervé PRONONCE » for the blank « XXX », the
/// signatories under the signatures (Rachid KANDER, Directeur Général;
/// Maire); layout, not wording: « CLERMONT-FERRAND » broken at its hyphen
/// at a line's end, the footnote at the foot of its page with its number
/// set against its text (« 1les »), cells of several lines read line by
/// line across a row (« rotation », « 0 », article 8's « mois », « par le
/// bailleur »…); the seed's stray « SLO » after article 8's table (not the
/// model's text) is not printed.
#[test]
fn bilateral_body_follows_seed_004_word_for_word() {
    let s = mots(&seed("le-cendre-assemblia-2024.txt", 3, 308));
    let g = mots(&corps_genere(
        "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        "Annexe 1\nEtat des lieux avec le réservataire",
    ));
    passage("corps seed 004", &s, &g, 0.98);
}
