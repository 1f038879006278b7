//! The typeset stage on small Typst documents: PDF/A-2b output, determinism, the sandbox,
//! fonts, and reading text and positions back from the laid-out pages.
//!
//! Needs nothing but the Rust toolchain: no system fonts, no pdftotext, no qpdf.

use std::sync::OnceLock;
use std::time::Instant;

use convflux::assets;
use convflux::typeset::{self, Compiled, TypesetError, Typesetter};

mod commun;

/// One typesetter for the whole test binary, as in a batch.
fn typesetter() -> &'static Typesetter {
    static TYPESETTER: OnceLock<Typesetter> = OnceLock::new();
    TYPESETTER.get_or_init(|| Typesetter::new().expect("typesetter"))
}

/// Document metadata and French text settings, as the render stage writes them.
const PREAMBULE: &str = r#"#set document(
  title: "Convention d'essai",
  author: ("Bailleur", "Réservataire"),
  description: "Document de test",
  keywords: ("convention", "essai"),
  date: datetime(year: 2025, month: 3, day: 14),
)
#set text(font: "Libertinus Serif", lang: "fr", region: "FR", size: 11pt)
#set page(paper: "a4", margin: 2cm)
"#;

fn source(body: &str) -> String {
    format!("{PREAMBULE}\n{body}\n")
}

fn compile(body: &str) -> Result<Compiled, TypesetError> {
    typesetter().compile(&source(body), "essai")
}

/// The error message of a document that must fail.
fn error_of(body: &str) -> String {
    match compile(body) {
        Ok(_) => panic!("la composition aurait dû échouer : {body}"),
        Err(err) => err.to_string(),
    }
}

/// A catalog entry of the PDF, dereferenced.
fn catalog_entry<'a>(pdf: &'a lopdf::Document, key: &[u8]) -> &'a lopdf::Object {
    let entry = pdf.catalog().unwrap().get(key).unwrap();
    pdf.dereference(entry).unwrap().1
}

#[test]
fn small_document_is_a_french_pdf_a_2b() {
    let compiled = compile("= Article 1\n\nLe bailleur s’engage.").unwrap();
    assert!(compiled.pdf.starts_with(b"%PDF"));
    assert_eq!(compiled.pages, 1);
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);

    let pdf = lopdf::Document::load_mem(&compiled.pdf).unwrap();
    assert_eq!(pdf.get_pages().len(), compiled.pages);
    assert_eq!(catalog_entry(&pdf, b"Lang").as_str().unwrap(), b"fr-FR");

    let xmp = catalog_entry(&pdf, b"Metadata").as_stream().unwrap();
    let xmp = String::from_utf8(xmp.decompressed_content().unwrap_or(xmp.content.clone())).unwrap();
    let field = |name: &str| {
        // krilla writes `<pdfaid:part>2</pdfaid:part>`; accept the attribute form too.
        let element = format!("<{name}>");
        let attribute = format!("{name}=\"");
        if let Some(i) = xmp.find(&element) {
            let rest = &xmp[i + element.len()..];
            rest[..rest.find('<').unwrap()].to_owned()
        } else if let Some(i) = xmp.find(&attribute) {
            let rest = &xmp[i + attribute.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        } else {
            panic!("{name} absent du XMP :\n{xmp}")
        }
    };
    assert_eq!(field("pdfaid:part"), "2");
    assert_eq!(field("pdfaid:conformance"), "B");
    assert!(xmp.contains("Convention d&apos;essai"), "{xmp}");
    assert!(xmp.contains("2025-03-14"), "{xmp}");
}

#[test]
fn ten_pages_document_reads_back_with_lopdf() {
    let compiled = compile(&dix_pages()).unwrap();
    assert!(compiled.pages >= 10, "{} pages", compiled.pages);
    let pdf = lopdf::Document::load_mem(&compiled.pdf).unwrap();
    assert_eq!(pdf.get_pages().len(), compiled.pages);
    assert_eq!(typeset::texte(&compiled.document).len(), compiled.pages);

    // Batch-like timing (caches freed between documents, each one a little different);
    // printed with `cargo test --test typeset -- --nocapture`.
    for i in 0..3 {
        typeset::liberer_caches();
        let source = source(&dix_pages().replace("Objet", &format!("Objet {i}")));
        let started = Instant::now();
        let compiled = typesetter().compile(&source, "essai").unwrap();
        eprintln!(
            "{} pages composées (PDF compris) en {:?}",
            compiled.pages,
            started.elapsed()
        );
    }
    typeset::liberer_caches();
}

#[test]
fn same_source_and_ident_give_the_same_bytes() {
    let body = "= Article 2\n\nDurée de la convention : trois ans.";
    let first = compile(body).unwrap().pdf;
    typeset::liberer_caches();
    let second = compile(body).unwrap().pdf;
    assert_eq!(first, second);

    let other_ident = typesetter().compile(&source(body), "autre").unwrap().pdf;
    assert_ne!(first, other_ident);

    let from_threads: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| compile(body).unwrap().pdf))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for pdf in from_threads {
        assert!(pdf == first, "PDF différent selon le fil d'exécution");
    }
}

#[test]
fn nothing_outside_the_embedded_templates_is_read() {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for body in [
        r#"#read("/etc/passwd")"#,
        r#"#read("../Cargo.toml")"#,
        r#"#read("/Cargo.toml")"#,
        r#"#read("Cargo.toml")"#,
        r#"#read("/src/lib.rs")"#,
        r#"#image("../x.png")"#,
        r#"#image("/fonts/OFL.txt")"#,
        r#"#import "@preview/foo:0.1.0": *"#,
        r#"#include "/etc/hosts""#,
    ] {
        let err = error_of(body);
        assert!(
            err.starts_with("erreur de composition Typst : "),
            "{body}: {err}"
        );
        assert!(err.contains("main.typ:"), "{body}: {err}");
        if let Some(line) = passwd.lines().next() {
            assert!(!err.contains(line), "{body}: {err}");
        }
        assert!(!err.contains("[package]"), "{body}: {err}");
    }
    assert!(error_of(r#"#import "@preview/foo:0.1.0": *"#).contains("paquets Typst"));
}

#[test]
fn embedded_typ_templates_are_served_and_jinja_sources_are_not() {
    for (path, bytes) in assets::templates() {
        let body = format!("#let contenu = read(\"/{path}\")\n#assert(contenu.len() > 0)");
        let served = compile(&body);
        if path.ends_with(".typ") {
            let text = std::str::from_utf8(bytes).unwrap();
            // A `.typ` file is served verbatim (empty files excepted by the assert).
            assert!(
                text.is_empty() || served.is_ok(),
                "{path}: {:?}",
                served.err()
            );
        } else if path.ends_with(".j2") {
            assert!(served.is_err(), "{path} ne doit pas être servi");
        }
    }
}

#[test]
fn clock_is_never_read() {
    let err = error_of("#datetime.today().display()");
    assert!(err.contains("main.typ:"), "{err}");
}

#[test]
fn unknown_font_family_is_an_error() {
    let err = error_of(
        r#"#set text(font: "Arial")
Texte."#,
    );
    assert!(err.starts_with("erreur de composition Typst : "), "{err}");
    assert!(
        err.contains("police de caractères inconnue : arial"),
        "{err}"
    );
    assert!(err.contains("main.typ:"), "{err}");
}

#[test]
fn template_errors_are_located_with_their_source_line() {
    let err = error_of("Ligne un.\n\n#let total = 1 + \"deux\"");
    let first_line = PREAMBULE.lines().count() + 1 + 3;
    assert!(err.contains(&format!("main.typ:{first_line}:14")), "{err}");
    assert!(err.contains("#let total = 1 + \"deux\""), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn texte_finds_french_sentences_and_grouped_figures() {
    let compiled = compile(
        "Le réservataire dispose de *1\u{202f}887* logements, soit 12,5\u{a0}% du parc.\n\n\
         #table(columns: 2, [Année], [Flux], [2025], [1\u{202f}887])\n\n\
         #pagebreak()\nDeuxième page : « fin ».",
    )
    .unwrap();
    let pages = typeset::texte(&compiled.document);
    assert_eq!(pages.len(), 2);
    // Only ASCII whitespace is normalised: U+202F and U+00A0 must survive as they are.
    let normalised = pages[0]
        .split_ascii_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        normalised.contains("Le réservataire dispose de 1\u{202f}887 logements, soit 12,5"),
        "{pages:?}"
    );
    assert!(pages[0].contains("2025 1\u{202f}887"), "{pages:?}");
    assert!(pages[1].contains("Deuxième page : « fin »."), "{pages:?}");
}

#[test]
fn positions_give_page_and_pdf_coordinates_of_labelled_metadata() {
    let compiled = compile(
        "#place(top + left)[#metadata(\"x\")<sig-a-hg>]\n\
         #place(bottom + right)[#metadata(\"x\")<sig-a-bd>]\n\
         #metadata(\"ignoré\")<autre>\n\
         Texte.\n#pagebreak()\n\
         #v(5cm)\n#box[#place(top + left)[#metadata(\"y\")<sig-b-hg>]]",
    )
    .unwrap();
    let positions = typeset::positions(&compiled.document, "sig-");
    let labels: Vec<&str> = positions.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["sig-a-hg", "sig-a-bd", "sig-b-hg"]);

    // A4 is 595.28 × 841.89 pt, margins 2 cm = 56.69 pt; PDF's origin is bottom-left.
    let near = |a: f64, b: f64| (a - b).abs() < 0.5;
    let (hg, bd, b) = (&positions[0], &positions[1], &positions[2]);
    assert_eq!((hg.page, bd.page, b.page), (1, 1, 2));
    assert!(near(hg.x, 56.69) && near(hg.y, 841.89 - 56.69), "{hg:?}");
    assert!(near(bd.x, 595.28 - 56.69) && near(bd.y, 56.69), "{bd:?}");
    assert!(near(b.x, 56.69) && b.y < 841.89 - 56.69 - 100.0, "{b:?}");
    assert!(typeset::positions(&compiled.document, "rien-").is_empty());
}

/// A convention-like document of about ten pages: headings, paragraphs and tables.
fn dix_pages() -> String {
    let mut body = String::new();
    for article in 1..=24 {
        body.push_str(&format!("= Article {article} -- Objet\n\n"));
        for _ in 0..3 {
            body.push_str(
                "Le bailleur met à la disposition du réservataire, dans le cadre de la gestion \
                 en flux, une part des logements libérés au cours de l’exercice, selon le taux \
                 de rotation constaté et les engagements pris à l’article précédent. \
                 Les désignations sont réalisées dans le respect des priorités légales.\n\n",
            );
        }
        body.push_str("#table(columns: (1fr, auto, auto), [Réservataire], [Taux], [Logements],\n");
        for row in 0..6 {
            body.push_str(&format!(
                "[Commune n° {row}], [6,82 %], [1\u{202f}{row}87],\n"
            ));
        }
        body.push_str(")\n\n");
    }
    body
}

/// Typst's messages a model's author can meet, each said in French (the
/// first line of the error and its hints), Typst's English never shown:
/// an unknown message is a French sentence (snapshot of the whole list).
#[test]
fn typst_messages_are_said_in_french() {
    let cas = [
        "#montant",
        "#let d = (a: 1)\n#d.b",
        "#let d = (a: 1)\n#d.at(\"b\")",
        "#\"a\".foo",
        "#\"a\".foo()",
        "#text.foo",
        "#text(size: \"grand\")[x]",
        "#box(width: 3)[a]",
        "#counter(page).display(1)",
        "#text(weight: \"tres-gras\")[a]",
        "#par(leading: 1)[a]",
        "#let f(x) = x\n#f()",
        "#text(taille: 1pt)[x]",
        "#let f(x) = x\n#f(1, 2)",
        "#include \"x.typ\"",
        "#let x = (1, 2",
        "#let x = ",
        "#let = 1",
        "#(a b)",
        "#)",
        "#strong[a]]",
        "#\"abc",
        "#`abc",
        "#(1 + \"a\")",
        "#(1 - \"a\")",
        "#(1pt * \"a\")",
        "#(1 / 0)",
        "#((1,2).at(5))",
        "#\"a\".at(3)",
        "#ref(<nulle>)",
        "#panic(\"arrêt\")",
        "#assert(1 == 2)",
        "#let x = 12abc",
        "#for x in 5 [a]",
        "#[#break]",
        "#return 1",
        "#let f() = { f() }\n#f()",
        "#let (a, b) = (1, 2, 3)",
        "#int(\"abc\")",
        "#numbering(\"x\", 1)",
        "#datetime.today().display()",
        "#text(font: \"Arial\")[a]",
        "#import \"@preview/foo:0.1.0\": *",
        "#str(1.5, base: 3)",
    ];
    let mut rendu = String::new();
    for c in cas {
        let err = error_of(c);
        assert!(
            err.starts_with("erreur de composition Typst : "),
            "{c}: {err}"
        );
        assert_eq!(commun::anglais(&err), None, "{c}: {err}");
        // The message and its hints; the place and source line are the
        // test harness's own (main.typ), checked elsewhere.
        let lignes: Vec<&str> = err
            .lines()
            .filter(|l| !l.contains('│') && !l.contains('┌'))
            .collect();
        rendu += &format!("{c}\n  {}\n", lignes.join("\n  "));
    }
    insta::assert_snapshot!("typst-messages", rendu);
}
