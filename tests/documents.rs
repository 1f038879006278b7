//! The produced documents, checked through the text of the laid-out Typst
//! document (no pdftotext needed): seed figures in French format, hostile
//! text printed literally, byte-identical output, PDF/A markers.

use std::path::Path;

use convflux::pipeline;
use convflux::render::{DocumentSource, Rendu};
use convflux::typeset;

mod commun;
use commun::{avec_clauses, clauses_essai, plat, ts};

fn documents(chemin: &str) -> Vec<DocumentSource> {
    let an = pipeline::analyser(Path::new(chemin));
    assert!(an.valide(), "{}", an.diagnostics_rendus());
    let c = an.convention.as_ref().unwrap();
    Rendu::new()
        .documents(c, &an.flux[0], &an.flux)
        .expect("rendu")
}

fn texte(doc: &DocumentSource) -> String {
    let compiled = ts()
        .compile(&doc.source, &doc.ident)
        .unwrap_or_else(|e| panic!("{}: {e}", doc.fichier));
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
    typeset::texte(&compiled.document).join("\n")
}

#[test]
fn sidr_annex_shows_every_seed_figure_in_french_format() {
    let docs = documents("data/territoire-ouest/sidr.yaml");
    let annexe = docs
        .iter()
        .find(|d| d.fichier == "annexe-le-port.pdf")
        .expect("annexe");
    let t = texte(annexe);
    // Narrow no-break space as thousands separator.
    assert!(t.contains("1\u{202f}887"), "{t}");
    assert!(t.contains("1\u{202f}655"), "{t}");
    let p = plat(&t);
    for attendu in [
        "soit 1 887 logements",
        "134 Ventes",
        "98 Démolitions",
        "soit 1 655 logements",
        "(6,82 %)",
        "soit 113 logements",
        "31 logements mobilisés pour des opérations de relogement ANRU",
        "20 logements mobilisés pour répondre à des demandes de mutations internes",
        "62 logements mobilisables",
        "6,89 %",
        "est donc de 4",
    ] {
        assert!(p.contains(attendu), "« {attendu} » absent de :\n{p}");
    }
}

#[test]
fn sedre_annex_shows_the_corrected_figures() {
    let docs = documents("data/territoire-ouest/sedre.yaml");
    let p = plat(&texte(
        docs.iter()
            .find(|d| d.fichier == "annexe-le-port.pdf")
            .unwrap(),
    ));
    assert!(p.contains("soit 16 logements"), "{p}");
    assert!(p.contains("16 logements mobilisables"), "{p}");
    assert!(p.contains("est donc de 1"), "{p}");
    assert!(!p.contains("235 logements mobilisables") && !p.contains("14 logements mobilisables"));
}

#[test]
fn convention_body_follows_the_seed_text() {
    let docs = documents("data/territoire-ouest/shlmr.yaml");
    let p = plat(&texte(&docs[0]));
    for phrase in [
        "Du 1er janvier 2024 au 31 décembre 2026",
        "Le passage à la gestion en flux des contingents de réservation de logements sociaux, encadré par le décret n° 2020-145 du 20 février 2020",
        "Article 1 – Le parc locatif social concerné par la gestion en flux",
        "Article 12 – Durée de la convention",
        "La présente convention est conclue pour une durée de trois ans",
        "La Possession, Le Port et Saint-Paul",
        "Le premier bilan aura lieu en 2025",
        "Fait en 3 exemplaires",
        // the annex follows the body in the document to sign
        "Etat des droits de réservation",
        "18,20 %",
    ] {
        assert!(p.contains(phrase), "« {phrase} » absent");
    }
}

#[test]
fn two_runs_give_byte_identical_pdfs_with_pdfa_markers() {
    let docs = documents("data/territoire-ouest/sodiac.yaml");
    let a = ts().compile(&docs[1].source, &docs[1].ident).unwrap().pdf;
    let b = ts().compile(&docs[1].source, &docs[1].ident).unwrap().pdf;
    assert_eq!(a, b);
    let s = String::from_utf8_lossy(&a);
    assert!(s.contains("<pdfaid:part>2</pdfaid:part>"), "PDF/A-2 absent");
    assert!(
        s.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "PDF/A-2b absent"
    );
    assert!(s.contains("fr-FR") || s.contains("(fr)"), "langue absente");
}

/// User text is data, never code: every hostile string prints literally.
#[test]
fn hostile_text_prints_literally_and_compiles() {
    let hostiles = [
        "#read(\"/etc/passwd\")",
        "*gras*",
        "_x_",
        "$x$",
        "= Titre",
        "- item",
        "<l>",
        "@ref",
        "[a]",
        "\\",
        "fin\\",
        "\"guillemets\"",
        "// commentaire",
        "/* bloc",
        "http://exemple.fr",
    ];
    let base = std::fs::read_to_string("data/territoire-ouest/sidr.yaml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (i, h) in hostiles.iter().enumerate() {
        let yaml_str = format!("'{}'", h.replace('\'', "''"));
        let s = base
            .replace("nom: SIDR", &format!("nom: {yaml_str}"))
            .replace(
                "designation: \"Ville du Port\"",
                &format!("designation: {yaml_str}"),
            )
            .replace(
                "secteurs_tendus: \"La Possession, Le Port et Saint-Paul\"",
                &format!("secteurs_tendus: {yaml_str}"),
            )
            .replace(
                "perimetre: \"la commune\"",
                &format!("perimetre: {yaml_str}"),
            );
        let f = dir.path().join(format!("h{i}.yaml"));
        std::fs::write(&f, s).unwrap();
        let an = pipeline::analyser(&f);
        assert!(an.valide(), "{h}: {}", an.diagnostics_rendus());
        let c = an.convention.as_ref().unwrap();
        for doc in Rendu::new().documents(c, &an.flux[0], &an.flux).unwrap() {
            let compiled = ts()
                .compile(&doc.source, &doc.ident)
                .unwrap_or_else(|e| panic!("{h} ne compile pas : {e}"));
            let t = typeset::texte(&compiled.document).join("\n");
            assert!(!t.contains("root:x:0"), "{h} a lu /etc/passwd");
            let p = plat(&t);
            let attendu = plat(h);
            assert!(
                p.contains(&attendu),
                "« {h} » non imprimé tel quel dans {} :\n{p}",
                doc.fichier
            );
        }
    }
}

/// Seed 004: the tables of the bilateral body and of annexes 1 and 2.
#[test]
fn bilateral_documents_carry_the_seed_004_figures() {
    let docs = documents("data/clermont-auvergne-metropole/le-cendre-assemblia.yaml");
    let corps = plat(&texte(&docs[0]));
    for attendu in [
        "au 31/12/2023 43",
        "Le taux de rotation moyen sur les trois dernières années, sur le département est de : 8 %",
        "Stock de logements (cf art. 2.1) 43",
        "Pour l'année 2024, 2025 et 2026 l'organisme s'engage à affecter au réservataire 7 %",
        "Tribunal Administratif de Clermont-Fd",
        "Vu et annexé à la délibération du Conseil Municipal n° 24/07/03/003 en date du 3 juillet 2024",
    ] {
        assert!(
            corps.contains(&plat(attendu).replace('\'', "’")) || corps.contains(&plat(attendu)),
            "« {attendu} » absent de :\n{corps}"
        );
    }
    let a1 = plat(&texte(
        docs.iter()
            .find(|d| d.fichier == "annexe-1-etat-des-lieux.pdf")
            .unwrap(),
    ));
    for attendu in [
        "592C01 16 10 26 2023 68 % 32 % 4 2",
        "721C01 7 9 16 2021 66 % 34 % 2 1",
        "728A01 1",
        "75 % 25 % 0 0",
        "24 19 43",
        "6 3",
        "14 % 7 %",
    ] {
        assert!(
            a1.contains(attendu),
            "annexe 1 : « {attendu} » absent de :\n{a1}"
        );
    }
    let a2 = plat(&texte(
        docs.iter()
            .find(|d| d.fichier == "annexe-2-assiette.pdf")
            .unwrap(),
    ));
    for attendu in [
        "est de 43 logements",
        "L'assiette de calcul du flux est de 43",
        "des années N-3 à N-1 est : 8 %",
        "disponibles à la location est donc de : 3",
        "(14 % des logements disponibles) : 0",
        "renouvellement urbain (logements concernés par une convention pluriannuelle ANRU, estimation de l'organisme de logement social sur l'année concernée) : 1",
        "Le flux (N) représente donc 2 logements",
    ] {
        let a = plat(attendu);
        assert!(
            a2.contains(&a) || a2.contains(&a.replace('\'', "’")),
            "annexe 2 : « {attendu} » absent de :\n{a2}"
        );
    }
    // The model's annex 2 (approved by deliberation) stops at the flow: the
    // exact share (0,14) and its rounding are `calculer`'s and the avenant's.
    for ajout in ["0,14", "après arrondi", "Le flux affecté au réservataire"] {
        assert!(
            !a2.contains(ajout),
            "annexe 2 : « {ajout} » ajouté au modèle :\n{a2}"
        );
    }
}

/// The Le Cendre article 8 table merges the cells the model merges: a
/// text shared by adjacent columns is printed once, not once per column
/// (it was printed three times).
#[test]
fn article_8_table_prints_merged_cells_once() {
    let docs = documents("data/clermont-auvergne-metropole/le-cendre-assemblia.yaml");
    let corps = plat(&texte(&docs[0]));
    for (fragment, fois) in [
        ("dès traitement du", 1),
        ("s’autorise à", 1),
        ("considéré comme remis au bailleur", 1),
        ("Au plus tard", 2),
    ] {
        assert_eq!(
            corps.matches(fragment).count(),
            fois,
            "« {fragment} » dans :\n{corps}"
        );
    }
}

/// « 1er » of the models' own text is set with « er » in superscript, as
/// the dates' are (it was plain « 1er »).
#[test]
fn template_text_sets_1er_in_superscript() {
    // Le Cendre has no « 1er » in its data; the Territoire de l'Ouest's
    // orientations (data text, article 4) keep theirs as written.
    let cendre = documents("data/clermont-auvergne-metropole/le-cendre-assemblia.yaml");
    assert!(cendre[0].source.contains("pour le 1#super[er] tour"));
    assert!(cendre[0].source.contains("(1#super[er] quartiles"));
    assert!(!cendre[0].source.contains("1er "), "« 1er » sans exposant");
    let sidr = documents("data/territoire-ouest/sidr.yaml");
    assert!(
        sidr[0]
            .source
            .contains("(1#super[er] quartile et attributions en QPV)")
    );
}

/// `clauses`: the disposition particulière is an article after the model's
/// last one, before the signatures; the replaced article keeps its heading
/// and loses the model's text; every text prints literally.
#[test]
fn clauses_add_an_article_and_replace_one_in_both_models() {
    let dir = tempfile::tempdir().unwrap();
    for (seed, numero, remplace, ancien, dernier) in [
        (
            "data/territoire-ouest/sidr.yaml",
            10,
            "Article 10 – Inexécution",
            "Une information des manquements est communiquée à l’Etat.",
            "Article 13 – Relogement des ménages sinistrés",
        ),
        (
            "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
            13,
            "Article 13 – Inexécution des obligations",
            "elles pourront porter le litige devant le tribunal compétent",
            "Article 18 – Relogement des ménages sinistrés",
        ),
    ] {
        let f = avec_clauses(seed, &clauses_essai(numero), dir.path(), "c.yaml");
        let docs = documents(f.to_str().unwrap());
        let t = texte(&docs[0]);
        assert!(!t.contains("root:x:0"), "{seed} a lu /etc/passwd");
        let p = plat(&t);
        for attendu in [
            remplace,
            "Nouveau texte de l’article remplacé, propre à cette convention.",
            "Dispositions particulières",
            dernier,
            "Après un cyclone, #read(\"/etc/passwd\") et *gras* et $x$ restent du texte.",
            "Premier engagement [a]",
            "Second engagement _b_",
        ] {
            assert!(
                p.contains(attendu),
                "{seed} : « {attendu} » absent de :\n{p}"
            );
        }
        assert!(
            !p.contains(ancien),
            "{seed} : le texte du modèle reste imprimé"
        );
        // Before the signatures: the added article precedes « Fait … ».
        let (article, fait) = (p.find(dernier).unwrap(), p.rfind("Fait ").unwrap());
        assert!(
            article < fait,
            "{seed} : la disposition suit les signatures"
        );
    }
}

/// The intercommunal convention is multi-party: every commune of the
/// Territoire, the Territoire and the bailleur are parties and signatories,
/// whether or not a commune has an annex with this bailleur; unknown names
/// are blanks; each signature group's label agrees with its count.
#[test]
fn every_party_of_the_intercommunal_convention_is_named_and_signs() {
    let docs = documents("data/territoire-ouest/sidr.yaml");
    let conv = docs.iter().find(|d| d.fichier == "convention.pdf").unwrap();
    let t = plat(&texte(conv));
    for partie in [
        "Et le Territoire de l’Ouest",
        "Et la Commune du Port",
        "Et la Commune de La Possession",
        "Et la Commune de Saint-Paul",
        "Et la Commune de Trois-Bassins",
        "Et la Commune de Saint-Leu",
        "ci-après dénommé « le réservataire » ou ensemble « les réservataires »",
    ] {
        assert!(t.contains(partie), "« {partie} » absent de :\n{t}");
    }
    let signatures = &t[t.rfind("Fait en").unwrap()..];
    for signataire in [
        "Le Président",
        "Président du Territoire de l’Ouest",
        "Les Maires",
        "Maire de la commune du Port",
        "Maire de la commune de La Possession",
        "Maire de la commune de Saint-Paul",
        "Maire de la commune de Trois-Bassins",
        "Maire de la commune de Saint-Leu",
        "Le Bailleur",
    ] {
        assert!(
            signatures.contains(signataire),
            "« {signataire} » absent des signatures :\n{signatures}"
        );
    }
    assert!(!signatures.contains("Les Bailleurs"), "{signatures}");
}

/// French typography of merged values: « 1er » in superscript, a count and
/// its word and the parts of a date held by no-break spaces, headings
/// never hyphenated.
#[test]
fn merged_dates_and_counts_follow_french_typography() {
    let docs = documents("data/territoire-ouest/sidr.yaml");
    let conv = docs.iter().find(|d| d.fichier == "convention.pdf").unwrap();
    assert!(conv.source.contains("1#super[er]\u{a0}janvier\u{a0}2024"));
    // « L. 441-1 » never breaks after « L. » (Typst's `~`).
    assert!(conv.source.contains("L.~441-1") && !conv.source.contains("L. 441-1"));
    let annexe = docs
        .iter()
        .find(|d| d.fichier == "annexe-le-port.pdf")
        .unwrap();
    for attendu in ["887\u{a0}logements", "113\u{a0}logements"] {
        assert!(annexe.source.contains(attendu), "{attendu:?}");
    }
    let lib = std::fs::read_to_string("templates/lib/convflux.typ").unwrap();
    assert!(lib.contains("show heading: set text(hyphenate: false)"));
}

/// A party's name never breaks across lines in a title or a visa (« …
/// locatifs sociaux Ville du / CENDRE »): its spaces are no-break spaces
/// in the convention's title, in the avenant's subtitle and in its visa.
#[test]
fn party_names_in_titles_hold_together() {
    let chemin = "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml";
    let lie = "Ville\u{a0}du\u{a0}CENDRE";
    let an = pipeline::analyser(Path::new(chemin));
    assert!(an.valide(), "{}", an.diagnostics_rendus());
    let c = an.convention.as_ref().unwrap();
    let conv = documents(chemin);
    let conv = conv.iter().find(|d| d.fichier == "convention.pdf").unwrap();
    assert!(conv.source.contains(&format!("sociaux {lie}")), "titre");
    let avenant = Rendu::new()
        .documents(c, &an.flux[1], &an.flux)
        .expect("rendu");
    let avenant = avenant
        .iter()
        .find(|d| d.fichier == "avenant-1.pdf")
        .expect("avenant");
    assert_eq!(avenant.source.matches(lie).count(), 2, "sous-titre et visa");
    let t = texte(avenant);
    assert!(t.lines().any(|l| l.contains("Ville du CENDRE")), "{t}");
}
