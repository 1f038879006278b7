//! `convention.gabarits`: documents generated from a user's model folder, as
//! a legal service would do it: copy the built-in model with `convflux modele
//! copier`, change a sentence, point a convention at the copy, generate, and
//! read the PDF's text. Also: incremental runs follow the model's files, the
//! folder is a sandbox, errors name the template file and line, and a file
//! without the key keeps the built-in model.
//!
//! Rerun alone: `cargo test --test gabarits`.

mod commun;

use std::fs;
use std::path::{Path, PathBuf};

use commun::{convflux, plat, s, stderr, texte_pdf};

const ANCIENNE: &str = "La présente convention est conclue pour une durée";
const NOUVELLE: &str = "Le présent accord local est conclu pour une durée";
const CORPS: &str = "intercommunal/_corps.typ.j2";

/// A folder with `modeles/ouest` (the intercommunal model, copied by
/// `convflux modele copier`, its article on the duration rewritten), and
/// `sedre.yaml` (from data/) pointing at it.
fn projet() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let modele = dir.path().join("modeles/ouest");
    let o = convflux(&["modele", "copier", "intercommunal", s(&modele), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let corps = modele.join(CORPS);
    let texte = fs::read_to_string(&corps).unwrap();
    assert!(texte.contains(ANCIENNE));
    fs::write(&corps, texte.replace(ANCIENNE, NOUVELLE)).unwrap();
    let yaml = dir.path().join("sedre.yaml");
    ecrire_avec_gabarits(&yaml, "data/territoire-ouest/sedre.yaml", "modeles/ouest");
    (dir, modele, yaml)
}

/// `seed` from data/ with `gabarits: <gabarits>` under `convention:`.
fn ecrire_avec_gabarits(yaml: &Path, seed: &str, gabarits: &str) {
    let base = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(seed)).unwrap();
    assert!(base.contains("\n  modele: intercommunal\n"), "{seed}");
    let texte = base.replacen(
        "\n  modele: intercommunal\n",
        &format!("\n  modele: intercommunal\n  gabarits: \"{gabarits}\"\n"),
        1,
    );
    fs::write(yaml, texte).unwrap();
}

/// The summary line of `generer`.
/// The summary line (the output folder and the warnings by rule follow it).
fn resume(e: &str) -> &str {
    e.lines()
        .rfind(|l| l.contains(" produit") && l.contains(" en erreur"))
        .unwrap_or("")
}

fn generer(entrees: &[&Path], sortie: &Path) -> std::process::Output {
    let mut args = vec!["generer"];
    args.extend(entrees.iter().map(|p| s(p)));
    args.extend(["--sortie", s(sortie), "-j", "1"]);
    convflux(&args)
}

/// Every PDF under `dir`.
fn pdfs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entrees) = fs::read_dir(dir) {
        for e in entrees.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(pdfs(&p));
            } else if p.extension().is_some_and(|x| x == "pdf") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_edited_sentence_of_the_copied_model_is_in_the_pdf() {
    let (dir, modele, yaml) = projet();
    // In the same batch, a file without the key: the built-in model.
    let sans = dir.path().join("semader.yaml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/territoire-ouest/semader.yaml"),
        &sans,
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = generer(&[&yaml, &sans], &out);
    assert!(o.status.success(), "{}", stderr(&o));

    let sedre = texte_pdf(&out.join("2024/territoire-ouest-sedre/convention.pdf"));
    assert!(sedre.contains(&plat(NOUVELLE)), "{sedre}");
    assert!(!sedre.contains(&plat(ANCIENNE)), "{sedre}");
    let semader = texte_pdf(&out.join("2024/territoire-ouest-semader/convention.pdf"));
    assert!(semader.contains(&plat(ANCIENNE)), "{semader}");
    assert!(!semader.contains(&plat(NOUVELLE)), "{semader}");

    // Nothing changed: nothing regenerated.
    let o = generer(&[&yaml, &sans], &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        resume(&stderr(&o)).starts_with("0 document produit"),
        "{}",
        stderr(&o)
    );

    // The model's template edited again: only the convention using it.
    let corps = modele.join(CORPS);
    let texte = fs::read_to_string(&corps).unwrap();
    fs::write(
        &corps,
        texte.replace(
            NOUVELLE,
            "Le présent accord révisé est conclu pour une durée",
        ),
    )
    .unwrap();
    let o = generer(&[&yaml, &sans], &out);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    // The first year's documents use it; the avenant of 2025 does not.
    assert!(resume(&e).starts_with("2 documents produits"), "{e}");
    let sedre = texte_pdf(&out.join("2024/territoire-ouest-sedre/convention.pdf"));
    assert!(sedre.contains("accord révisé"), "{sedre}");

    // The model's Typst library, imported by every document: all four of
    // this convention, none of the other file.
    let lib = modele.join("lib/convflux.typ");
    let texte = fs::read_to_string(&lib).unwrap();
    fs::write(&lib, format!("{texte}\n#let essai-bibliotheque = 1\n")).unwrap();
    let o = generer(&[&yaml, &sans], &out);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    eprintln!("ETAPE {}", e.lines().last().unwrap_or(""));
    assert!(resume(&e).starts_with("4 documents produits"), "{e}");
}

#[test]
fn a_template_naming_a_file_outside_the_model_is_refused() {
    let (dir, modele, yaml) = projet();
    let corps = modele.join(CORPS);
    let texte = fs::read_to_string(&corps).unwrap();
    fs::write(
        &corps,
        format!("{texte}{{% include \"../../etc/passwd\" %}}\n"),
    )
    .unwrap();
    let autre = dir.path().join("semader.yaml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/territoire-ouest/semader.yaml"),
        &autre,
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = generer(&[&yaml, &autre], &out);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("« ../../etc/passwd » refusé"), "{e}");
    assert!(e.contains("ne peut pas sortir de son dossier"), "{e}");
    assert!(e.contains("aucun document produit"), "{e}");
    // Nothing for this convention; the other file of the batch is produced.
    assert!(pdfs(&out.join("2024/territoire-ouest-sedre")).is_empty());
    assert!(!pdfs(&out.join("2024/territoire-ouest-semader")).is_empty());

    // An absolute name, and a link leading out of the folder.
    fs::write(&corps, format!("{texte}{{% include \"/etc/passwd\" %}}\n")).unwrap();
    let e = stderr(&generer(&[&yaml], &out));
    assert!(e.contains("chemin absolu"), "{e}");
    #[cfg(unix)]
    {
        fs::write(dir.path().join("dehors.typ.j2"), "secret").unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("dehors.typ.j2"),
            modele.join("intercommunal/lien.typ.j2"),
        )
        .unwrap();
        fs::write(
            &corps,
            format!("{texte}{{% include \"intercommunal/lien.typ.j2\" %}}\n"),
        )
        .unwrap();
        let o = generer(&[&yaml], &out);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(e.contains("hors du dossier du modèle"), "{e}");
    }
    assert!(pdfs(&out.join("2024/territoire-ouest-sedre")).is_empty());
}

#[test]
fn template_errors_name_the_file_and_line_of_the_model() {
    let (dir, modele, yaml) = projet();
    let corps = modele.join(CORPS);
    let texte = fs::read_to_string(&corps).unwrap();
    let mut lignes: Vec<&str> = texte.lines().collect();
    // Line 9, after the opening comment.
    lignes.insert(8, "{% if %}");
    fs::write(&corps, lignes.join("\n")).unwrap();
    let out = dir.path().join("out");
    let o = generer(&[&yaml], &out);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    let lieu = format!(
        "{}:9:7 : erreur de syntaxe",
        modele.canonicalize().unwrap().join(CORPS).display()
    );
    assert!(e.contains(&lieu), "{lieu}\n{e}");
    assert!(pdfs(&out).is_empty());

    lignes[8] = "{{ variable_inconnue }}";
    fs::write(&corps, lignes.join("\n")).unwrap();
    let e = stderr(&generer(&[&yaml], &out));
    assert!(e.contains(":9:4 : variable ou attribut non défini"), "{e}");

    // A Typst error in the model's library: its file, line and column.
    fs::write(&corps, &texte).unwrap();
    let lib = modele.join("lib/convflux.typ");
    let t = fs::read_to_string(&lib).unwrap();
    let n = t.lines().count() + 1;
    fs::write(&lib, format!("{t}#let casse = 1 + \"a\"\n")).unwrap();
    let o = generer(&[&yaml], &out);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    let lieu = format!("lib/convflux.typ:{n}:14");
    assert!(e.contains("erreur de composition Typst"), "{e}");
    assert!(e.contains(&lieu), "{lieu}\n{e}");
    assert!(pdfs(&out).is_empty());
}

#[test]
fn a_folder_that_cannot_serve_the_convention_is_a_located_error() {
    let (dir, _modele, yaml) = projet();
    ecrire_avec_gabarits(&yaml, "data/territoire-ouest/sedre.yaml", "modeles/absent");
    let o = convflux(&["verifier", s(&yaml)]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("dossier de modèle introuvable"), "{e}");
    assert!(e.contains("sedre.yaml:14:13"), "{e}");

    let bi = dir.path().join("modeles/bi");
    let o = convflux(&["modele", "copier", "bilateral", s(&bi), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    ecrire_avec_gabarits(&yaml, "data/territoire-ouest/sedre.yaml", "modeles/bi");
    let e = stderr(&convflux(&["verifier", s(&yaml)]));
    assert!(
        e.contains("sert les conventions « bilateral », pas « intercommunal »"),
        "{e}"
    );

    fs::create_dir(dir.path().join("vide")).unwrap();
    ecrire_avec_gabarits(&yaml, "data/territoire-ouest/sedre.yaml", "vide");
    let e = stderr(&convflux(&["verifier", s(&yaml)]));
    assert!(e.contains("le dossier n'a pas de modele.yaml"), "{e}");
}

/// The model's Typst code is sandboxed like the built-in one: reading a file
/// outside the model (an absolute path) or importing a package is refused,
/// with nothing written for the convention.
#[test]
fn the_models_typst_code_reads_nothing_outside_and_imports_no_package() {
    let (dir, modele, yaml) = projet();
    let lib = modele.join("lib/convflux.typ");
    let t = fs::read_to_string(&lib).unwrap();
    let out = dir.path().join("out");
    for (piege, attendu) in [
        ("#let secret = read(\"/etc/passwd\")\n", "/etc/passwd"),
        ("#import \"@preview/cetz:0.3.0\"\n", "@preview/cetz"),
    ] {
        fs::write(&lib, format!("{t}{piege}")).unwrap();
        let o = generer(&[&yaml], &out);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{piege}: {e}");
        assert!(e.contains("erreur de composition Typst"), "{piege}: {e}");
        assert!(e.contains(attendu), "{piege}: {e}");
        assert!(e.contains("aucun document produit"), "{piege}: {e}");
        assert!(pdfs(&out).is_empty(), "{piege}");
    }
}

/// The full message of a mistake in a user's template: file, line and
/// column, the line itself and a caret under the mistake (snapshot).
#[test]
fn template_mistakes_are_shown_in_full_at_their_line_and_column() {
    let (dir, modele, yaml) = projet();
    let corps = modele.join(CORPS);
    let texte = fs::read_to_string(&corps).unwrap();
    let dossier = modele.canonicalize().unwrap();
    let fichier = dossier.join(CORPS);
    let out = dir.path().join("out");
    for (ligne, attendu) in [
        (
            "Texte {{ variable_inconnue }} fin",
            format!(
                "{y} : erreur de gabarit {f}:9:10 : variable ou attribut non défini : `variable_inconnue` n'est pas défini\n  │\n9 │ Texte {{{{ variable_inconnue }}}} fin\n  │          ^^^^^^^^^^^^^^^^^\n  = note : modèle {d} (`convention.gabarits`)\naucun document produit\n",
                y = yaml.display(),
                f = fichier.display(),
                d = dossier.display()
            ),
        ),
        (
            "{% if %}",
            format!(
                "{y} : erreur de gabarit {f}:9:7 : erreur de syntaxe : fin de bloc inattendue\n  │\n9 │ {{% if %}}\n  │       ^^\n  = note : modèle {d} (`convention.gabarits`)\naucun document produit\n",
                y = yaml.display(),
                f = fichier.display(),
                d = dossier.display()
            ),
        ),
    ] {
        let mut lignes: Vec<&str> = texte.lines().collect();
        lignes.insert(8, ligne);
        fs::write(&corps, lignes.join("\n")).unwrap();
        let o = convflux(&["generer", s(&yaml), "--sortie", s(&out), "-j", "1", "-q"]);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(stderr(&o), attendu);
    }
}

/// A tree whose `convflux.yaml` names the copied model, and one convention
/// (sedre.yaml, without `convention.gabarits`) two folders below it.
fn arbre() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, _modele, _yaml) = projet();
    let racine = dir.path().to_path_buf();
    fs::create_dir_all(racine.join("ouest/epci")).unwrap();
    let yaml = racine.join("ouest/epci/sedre.yaml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/territoire-ouest/sedre.yaml"),
        &yaml,
    )
    .unwrap();
    fs::remove_file(racine.join("sedre.yaml")).unwrap();
    let projet = racine.join("convflux.yaml");
    fs::write(&projet, "# projet\ngabarits: modeles/ouest\n").unwrap();
    (dir, projet, yaml)
}

#[test]
fn the_project_file_gives_the_model_of_the_tree_and_its_changes_regenerate() {
    let (dir, projet, yaml) = arbre();
    let out = dir.path().join("out");
    // The folder named: the project file and the model's modele.yaml are
    // not taken for conventions.
    let o = generer(&[dir.path()], &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let pdf = out.join("2024/territoire-ouest-sedre/convention.pdf");
    assert!(texte_pdf(&pdf).contains(&plat(NOUVELLE)));
    let manifeste = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifeste.contains("\"projet\":{\"chemin\":"), "{manifeste}");

    // The convention named alone: the search does not go above its folder.
    let o = generer(&[&yaml], &dir.path().join("seul"));
    assert!(o.status.success(), "{}", stderr(&o));
    let seul = texte_pdf(
        &dir.path()
            .join("seul/2024/territoire-ouest-sedre/convention.pdf"),
    );
    assert!(seul.contains(&plat(ANCIENNE)), "{seul}");

    // The project file no longer names a model: regenerated, built-in text.
    fs::write(&projet, "# projet\n").unwrap();
    let o = generer(&[dir.path()], &out);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(!resume(&e).starts_with("0 document"), "{e}");
    assert!(texte_pdf(&pdf).contains(&plat(ANCIENNE)));

    // `convention.gabarits` wins over the project file.
    fs::write(&projet, "gabarits: modeles/absent\n").unwrap();
    ecrire_avec_gabarits(
        &yaml,
        "data/territoire-ouest/sedre.yaml",
        "../../modeles/ouest",
    );
    let o = convflux(&["verifier", s(dir.path())]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn an_unknown_key_of_the_project_file_is_an_error_with_its_file_and_line() {
    let (dir, projet, _yaml) = arbre();
    fs::write(&projet, "# projet\ngabarit: modeles/ouest\n").unwrap();
    let o = convflux(&["verifier", s(dir.path())]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains(&format!(
            "fichier de projet {}:2:1 : clé inconnue : `gabarit`",
            projet.display()
        )),
        "{e}"
    );
    assert!(e.contains("vouliez-vous dire `gabarits` ?"), "{e}");

    // A model of the other family, named by the project file.
    let bi = dir.path().join("modeles/bi");
    let o = convflux(&["modele", "copier", "bilateral", s(&bi), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    fs::write(&projet, "gabarits: modeles/bi\n").unwrap();
    let e = stderr(&convflux(&["verifier", s(dir.path())]));
    assert!(e.contains("pas « intercommunal »"), "{e}");
    assert!(e.contains("fichier de projet"), "{e}");
}

/// The worked example of data/val-de-loue: its project file gives its model
/// folder (only `_corps.typ.j2` kept, article 10 rewritten), and the YAML adds
/// one disposition particulière.
#[test]
fn the_val_de_loue_example_uses_its_model_and_its_clause() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = generer(&[Path::new("data/val-de-loue")], &out);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(resume(&e).starts_with("3 documents produits"), "{e}");
    let texte = texte_pdf(&out.join("2024/val-de-loue-habitat-loue/convention.pdf"));
    for attendu in [
        "comité de suivi de la conférence intercommunale du logement de la Communauté",
        "Dispositions particulières",
        "Relogement des ménages exposés aux crues de la Loue",
    ] {
        assert!(texte.contains(&plat(attendu)), "{attendu} : {texte}");
    }
    assert!(
        !texte.contains(&plat("une première mise en demeure")),
        "{texte}"
    );
    let manifeste = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifeste.contains("val-de-loue/modele\""), "{manifeste}");
    // Named from the output folder (here in a temporary folder).
    assert!(
        manifeste.contains("\"chemin\":\"../")
            && manifeste.contains("/data/val-de-loue/convflux.yaml\""),
        "{manifeste}"
    );
}

/// The Typst mistakes an author of a copied model makes, as `generer`
/// prints them: in French with their file, line and column, Typst's type
/// names translated, no English word of Typst (checked by `convflux()`);
/// a message convflux cannot translate is said in French too, and Typst's
/// own words come only with CONVFLUX_TYPST_ORIGINAL=1 (snapshot).
#[test]
fn typst_mistakes_of_a_copied_model_are_said_in_french() {
    let (dir, modele, yaml) = projet();
    let corps = modele.join(CORPS);
    let texte = fs::read_to_string(&corps).unwrap();
    let out = dir.path().join("out");
    let racine = dir.path().canonicalize().unwrap();
    let mut rendu = String::new();
    let cas = [
        "#montant_total",
        "#text(taille: 12pt)[Texte]",
        "#text(size: \"grand\")[Texte]",
        "#par(leading: 2)[Texte]",
        "#calc.pow(2)",
        "#text.taille",
        "#(\"a\" + 1)",
        "#image(\"logo-absent.png\")",
        "#strong[Texte",
        "#let total = ",
        "#strong[Texte]]",
        "#str(1.5, base: 3)",
    ];
    for ligne in cas {
        let mut lignes: Vec<&str> = texte.lines().collect();
        lignes.insert(8, ligne);
        fs::write(&corps, lignes.join("\n")).unwrap();
        let o = convflux(&["generer", s(&yaml), "--sortie", s(&out), "-j", "1", "-q"]);
        assert_eq!(o.status.code(), Some(1), "{ligne}");
        let e = stderr(&o);
        assert!(
            e.contains("_corps.typ.j2:9:") || e.contains(".typ:"),
            "{ligne}: {e}"
        );
        rendu += &format!(
            "=== {ligne}\n{}\n",
            e.replace(&racine.display().to_string(), "<dossier>")
                .replace(&dir.path().display().to_string(), "<dossier>")
        );
    }
    insta::assert_snapshot!("typst-en-francais", rendu);

    // Typst's own words, on demand, for whoever helps the author.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_convflux"))
        .args(["generer", s(&yaml), "--sortie", s(&out), "-j", "1", "-q"])
        .env("CONVFLUX_TYPST_ORIGINAL", "1")
        .output()
        .unwrap();
    let e = stderr(&o);
    assert!(e.contains("Typst refuse ce passage du gabarit"), "{e}");
    assert!(
        e.contains("= Typst : base is only supported for integers"),
        "{e}"
    );
}

/// `avenant` treats a mistake of the user's model as `generer` does: its
/// file and line in French, exit code 1, no PDF written.
#[test]
fn avenant_model_errors_are_the_datas_exit_code_1() {
    let (dir, modele, yaml) = projet();
    let out = dir.path().join("out");
    let avenant = || convflux(&["avenant", s(&yaml), "--annee", "2025", "--sortie", s(&out)]);
    // A template of the model's own (folder first) with an unknown variable.
    let gabarit = modele.join("avenant/avenant.typ.j2");
    fs::create_dir_all(gabarit.parent().unwrap()).unwrap();
    fs::write(
        &gabarit,
        "#import \"/lib/convflux.typ\": *\n{{ variable_inconnue }}\n",
    )
    .unwrap();
    let o = avenant();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("avenant/avenant.typ.j2:2:4 : variable ou attribut non défini"),
        "{e}"
    );
    assert!(e.contains("avenant 2025 non produit"), "{e}");
    assert!(pdfs(&out).is_empty());
    commun::sans_anglais(&["avenant"], &o);

    // A Typst error in the model's library.
    fs::remove_file(&gabarit).unwrap();
    let lib = modele.join("lib/convflux.typ");
    let t = fs::read_to_string(&lib).unwrap();
    fs::write(&lib, format!("{t}#let casse = 1 + \"a\"\n")).unwrap();
    let o = avenant();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("erreur de composition Typst"), "{e}");
    assert!(e.contains("lib/convflux.typ:"), "{e}");
    assert!(pdfs(&out).is_empty());
}
