//! `convflux generer` on whole trees, through the real binary: files and
//! folders mixed, a bad file reported while every other one is produced, the
//! final summary, and incremental runs driven by `<sortie>/manifest.json`.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;

mod commun;
use commun::{PNG_BLEU, PNG_ROUGE, convflux, convflux_depuis, s, stderr};

#[allow(dead_code)]
#[path = "../bench/synthese.rs"]
mod synthese;

/// Every file under `d`, recursively, sorted.
fn fichiers(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(fichiers(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The PDFs under `d` with their inode: a rewritten file (temp + rename) gets
/// a new inode, an untouched one keeps it.
fn inodes(d: &Path) -> BTreeMap<PathBuf, u64> {
    fichiers(d)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .map(|p| {
            let ino = fs::metadata(&p).unwrap().ino();
            (p.strip_prefix(d).unwrap().to_path_buf(), ino)
        })
        .collect()
}

/// Three synthetic conventions (two intercommunal, one bilateral) under `d`.
fn trois_conventions(d: &Path) -> Vec<PathBuf> {
    (0..3)
        .map(|i| {
            synthese::ecrire(d, i, 7, i == 2)
                .unwrap_or_else(|e| panic!("{e}"))
                .0
        })
        .collect()
}

/// The summary line: the last line of stderr that counts documents
/// (the output folder and the warnings by rule follow it).
fn resume(o: &Output) -> String {
    let e = stderr(o);
    e.lines()
        .rfind(|l| l.contains(" produit") && l.contains(" en erreur"))
        .unwrap_or("")
        .to_string()
}

fn resume_commence(o: &Output, debut: &str) {
    assert!(resume(o).starts_with(debut), "{}", resume(o));
}

fn resume_contient(o: &Output, fragment: &str) {
    assert!(resume(o).contains(fragment), "{}", resume(o));
}

#[test]
fn mixed_tree_bad_file_reported_others_produced_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    trois_conventions(&donnees);
    let mauvais = donnees.join("sous/dossier/mauvais.yaml");
    fs::create_dir_all(mauvais.parent().unwrap()).unwrap();
    fs::copy("tests/catalogue/23-flux-declare-faux.yaml", &mauvais).unwrap();
    let sortie = dir.path().join("out");
    let o = convflux(&[
        "generer",
        s(&donnees),
        "data/territoire-ouest/sidr.yaml",
        "--sortie",
        s(&sortie),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{} : données invalides, aucun document produit",
            mauvais.display()
        )),
        "{err}"
    );
    assert!(err.contains("progression : 5/5 fichiers"), "{err}");
    let pdfs = inodes(&sortie);
    // 4 conventions produced, each with its convention (or avenant) and annexes.
    let dossiers: std::collections::BTreeSet<_> = pdfs
        .keys()
        .filter_map(|p| p.iter().nth(1).map(|c| c.to_owned()))
        .collect();
    assert_eq!(dossiers.len(), 4, "{dossiers:?}");
    let r = resume(&o);
    assert!(
        r.starts_with(&format!("{} documents produits (", pdfs.len())),
        "{r}"
    );
    assert!(r.contains(" pages) en "), "{r}");
    assert!(r.contains("1 fichier en erreur"), "{r}");
    assert!(r.contains("avertissement"), "{r}");
}

#[test]
fn second_run_rebuilds_nothing_and_one_changed_yaml_only_its_documents() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    let yamls = trois_conventions(&donnees);
    let sortie = dir.path().join("out");
    let args = ["generer", s(&donnees), "--sortie", s(&sortie)];
    let o = convflux(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let avant = inodes(&sortie);

    let o = convflux(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = resume(&o);
    assert!(
        r.starts_with(&format!(
            "0 document produit (0 page), {} documents à jour non régénérés",
            avant.len()
        )),
        "{r}"
    );
    assert_eq!(inodes(&sortie), avant, "un document a été réécrit");

    // A change in one file: its documents only.
    let texte = fs::read_to_string(&yamls[1]).unwrap();
    fs::write(
        &yamls[1],
        texte.replace("Directeur général", "Directrice générale"),
    )
    .unwrap();
    let o = convflux(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let apres = inodes(&sortie);
    let id = yamls[1].file_stem().unwrap().to_str().unwrap();
    for (p, ino) in &apres {
        let refait = avant[p] != *ino;
        let de_lui = p.components().any(|c| c.as_os_str() == id);
        assert_eq!(refait, de_lui, "{}", p.display());
    }
    let n = apres
        .keys()
        .filter(|p| p.components().any(|c| c.as_os_str() == id))
        .count();
    resume_commence(&o, &format!("{n} documents produits"));
}

#[test]
fn force_rebuilds_a_deleted_output_is_rebuilt_an_edited_one_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let args = [
        "generer",
        "data/territoire-ouest/sidr.yaml",
        "--sortie",
        s(&sortie),
    ];
    assert_eq!(convflux(&args).status.code(), Some(0));
    let avant = inodes(&sortie);
    assert_eq!(avant.len(), 4, "{avant:?}");

    let mut force = args.to_vec();
    force.push("--force");
    assert_eq!(convflux(&force).status.code(), Some(0));
    let apres = inodes(&sortie);
    assert!(avant.iter().all(|(p, i)| apres[p] != *i), "--force");

    // A deleted PDF is rebuilt (the regeneration is per exercise: the two
    // documents of 2025 are redone).
    let supprime = sortie.join("2025/territoire-ouest-sidr/annexe-le-port.pdf");
    fs::remove_file(&supprime).unwrap();
    let o = convflux(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(supprime.exists());
    resume_commence(&o, "2 documents produits");

    // An edited PDF (signed in place, say) is not convflux's to replace, even
    // with --force: its exercise is refused, the file kept as it is.
    let edite = sortie.join("2024/territoire-ouest-sidr/convention.pdf");
    let signe = [fs::read(&edite).unwrap(), b"% signature".to_vec()].concat();
    fs::write(&edite, &signe).unwrap();
    for a in [&args[..], &force[..]] {
        let o = convflux(a);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("ne peut pas prouver l'avoir écrit tel quel"),
            "{e}"
        );
        assert!(
            e.contains("2024/territoire-ouest-sidr/convention.pdf"),
            "{e}"
        );
        assert_eq!(fs::read(&edite).unwrap(), signe);
    }
    // Moved away, it is made again.
    fs::remove_file(&edite).unwrap();
    let o = convflux(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(fs::read(&edite).unwrap().len() > 10_000);
}

#[test]
fn manifest_records_hashes_of_pdf_source_templates_fonts_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let source = "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml";
    let o = convflux(&["generer", source, "--sortie", s(&sortie)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(sortie.join("manifest.json")).unwrap()).unwrap();
    let yaml = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(source)).unwrap();
    let sha_yaml = convflux::output::manifest::sha256(&yaml);
    assert_eq!(m["format"], 2);
    // Sources are named from the output folder.
    let cle_source = convflux::output::cle_entree(
        Some(&fs::canonicalize(&sortie).unwrap()),
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(source),
    );
    assert!(
        cle_source.starts_with("../") && cle_source.ends_with(source),
        "{cle_source}"
    );
    assert_eq!(m["sources"][&cle_source]["sha256"], sha_yaml.as_str());
    let pdfs = inodes(&sortie);
    let sorties = m["sorties"].as_object().unwrap();
    assert_eq!(sorties.len(), pdfs.len());
    for p in pdfs.keys() {
        let cle = p.to_str().unwrap();
        let e = &sorties[cle];
        let bytes = fs::read(sortie.join(p)).unwrap();
        assert_eq!(
            e["sha256"],
            convflux::output::manifest::sha256(&bytes).as_str()
        );
        assert_eq!(e["source"], cle_source.as_str());
        assert_eq!(e["source_sha256"], sha_yaml.as_str());
        assert_eq!(e["version"], env!("CARGO_PKG_VERSION"));
        for k in ["gabarits_sha256", "polices_sha256"] {
            let h = e[k].as_str().unwrap();
            assert!(
                h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()),
                "{k}"
            );
        }
        assert!(e["pages"].as_u64().unwrap() >= 1);
    }
}

/// Copies the folder `de` into `vers`, recursively.
fn copier(de: &Path, vers: &Path) {
    fs::create_dir_all(vers).unwrap();
    for e in fs::read_dir(de).unwrap().flatten() {
        if e.path().is_dir() {
            copier(&e.path(), &vers.join(e.file_name()));
        } else {
            fs::copy(e.path(), vers.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn sources_named_from_another_folder_or_a_moved_project_are_up_to_date() {
    // A project: a model with its project file, and a convention with a logo.
    let dir = tempfile::tempdir().unwrap();
    let projet = dir.path().join("projet");
    let racine = Path::new(env!("CARGO_MANIFEST_DIR"));
    copier(
        &racine.join("data/val-de-loue"),
        &projet.join("donnees/val-de-loue"),
    );
    let sedre = fs::read_to_string(racine.join("data/territoire-ouest/sedre.yaml")).unwrap();
    let avant = "\nbailleur:\n  nom: SEDRE\n";
    assert!(sedre.contains(avant));
    let sedre = sedre.replacen(avant, &format!("{avant}  logo: logo.png\n"), 1);
    fs::create_dir_all(projet.join("donnees/sedre")).unwrap();
    fs::write(projet.join("donnees/sedre/sedre.yaml"), sedre).unwrap();
    fs::write(projet.join("donnees/sedre/logo.png"), PNG_BLEU).unwrap();

    let o = convflux_depuis(&projet, &["generer", "donnees", "--sortie", "sortie"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sortie = projet.join("sortie");
    let produits = inodes(&sortie);
    assert!(produits.len() > 4);

    // The manifest names each input from the output folder.
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(sortie.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["format"], 2);
    let sources: Vec<&String> = m["sources"].as_object().unwrap().keys().collect();
    assert_eq!(
        sources,
        [
            "../donnees/sedre/sedre.yaml",
            "../donnees/val-de-loue/habitat-loue.yaml"
        ]
    );
    let sorties = m["sorties"].as_object().unwrap().values();
    let projets: Vec<&serde_json::Value> = sorties.clone().map(|o| &o["projet"]).collect();
    assert!(
        projets.contains(&&serde_json::json!({
            "chemin": "../donnees/val-de-loue/convflux.yaml",
            "sha256": convflux::output::manifest::sha256(
                &fs::read(projet.join("donnees/val-de-loue/convflux.yaml")).unwrap()
            ),
        })),
        "{projets:?}"
    );
    assert!(
        sorties
            .clone()
            .any(|o| o["images"].get("../donnees/sedre/logo.png").is_some())
    );

    // The same sources, named from elsewhere: nothing is rebuilt.
    let absolu = |p: &Path| p.display().to_string();
    for (depuis, donnees, vers) in [
        (
            dir.path().to_path_buf(),
            "projet/donnees".to_owned(),
            "projet/sortie".to_owned(),
        ),
        (
            PathBuf::from("/"),
            absolu(&projet.join("donnees")),
            absolu(&sortie),
        ),
        (
            projet.join("donnees"),
            "../donnees/./sedre/../val-de-loue/../".to_owned(),
            "../sortie".to_owned(),
        ),
    ] {
        let o = convflux_depuis(&depuis, &["generer", &donnees, "--sortie", &vers]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        resume_commence(&o, "0 document produit");
        assert_eq!(inodes(&sortie), produits, "depuis {depuis:?}");
    }

    // The project moved whole: still up to date; then a changed logo
    // rebuilds the documents of its convention only.
    let deplace = dir.path().join("deplace");
    fs::rename(&projet, &deplace).unwrap();
    let args = ["generer", "donnees", "--sortie", "sortie"];
    let o = convflux_depuis(&deplace, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    resume_commence(&o, "0 document produit");
    fs::write(deplace.join("donnees/sedre/logo.png"), PNG_ROUGE).unwrap();
    let o = convflux_depuis(&deplace, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let apres = inodes(&deplace.join("sortie"));
    for (p, ino) in &apres {
        let refait = produits[p] != *ino;
        let de_sedre = p
            .components()
            .any(|c| c.as_os_str() == "territoire-ouest-sedre");
        assert_eq!(refait, de_sedre, "{}", p.display());
    }
}

#[test]
fn a_manifest_of_the_previous_format_keeps_its_documents_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let projet = dir.path().join("projet");
    fs::create_dir_all(projet.join("donnees")).unwrap();
    let racine = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::copy(
        racine.join("data/territoire-ouest/sedre.yaml"),
        projet.join("donnees/sedre.yaml"),
    )
    .unwrap();
    let args = ["generer", "donnees", "--sortie", "sortie"];
    let o = convflux_depuis(&projet, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sortie = projet.join("sortie");
    let produits = inodes(&sortie);
    // The manifest as format 1 wrote it: inputs named as typed.
    let chemin = sortie.join("manifest.json");
    let texte = fs::read_to_string(&chemin).unwrap();
    assert!(texte.contains("\"format\": 2,") && texte.contains("\"../donnees/sedre.yaml\""));
    let ancien = texte
        .replace("\"format\": 2,", "\"format\": 1,")
        .replace("\"../donnees/", "\"donnees/");
    fs::write(&chemin, ancien).unwrap();

    // Run from the same folder: up to date, and the manifest written anew.
    let o = convflux_depuis(&projet, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    resume_commence(&o, "0 document produit");
    assert_eq!(fs::read_to_string(&chemin).unwrap(), texte);
    // So that a run from elsewhere finds them up to date too.
    let o = convflux_depuis(
        dir.path(),
        &["generer", "projet/donnees", "--sortie", "projet/sortie"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    resume_commence(&o, "0 document produit");
    assert_eq!(inodes(&sortie), produits);
}

#[test]
fn annual_filter_then_full_run_builds_only_the_missing_year() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let source = "data/territoire-ouest/sedre.yaml";
    let o = convflux(&["generer", source, "--annee", "2024", "--sortie", s(&sortie)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let avant = inodes(&sortie);
    assert!(avant.keys().all(|p| p.starts_with("2024")), "{avant:?}");
    let o = convflux(&["generer", source, "--sortie", s(&sortie)]);
    let apres = inodes(&sortie);
    assert!(avant.iter().all(|(p, i)| apres[p] == *i));
    assert!(apres.keys().any(|p| p.starts_with("2025")), "{apres:?}");
    resume_commence(
        &o,
        &format!("{} documents produits", apres.len() - avant.len()),
    );
}

#[test]
fn typst_sources_are_expected_only_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let source = "data/territoire-ouest/sodiac.yaml";
    assert_eq!(
        convflux(&["generer", source, "--sortie", s(&sortie)])
            .status
            .code(),
        Some(0)
    );
    let o = convflux(&["generer", source, "--typst", "--sortie", s(&sortie)]);
    resume_commence(&o, "4 documents produits");
    let typ = fichiers(&sortie)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "typ"))
        .filter(|p| !p.starts_with(sortie.join("lib")))
        .count();
    assert_eq!(typ, 4);
    // The library the sources import, for `typst compile --root <sortie>`.
    assert!(sortie.join("lib/convflux.typ").is_file());
    let o = convflux(&["generer", source, "--sortie", s(&sortie)]);
    resume_commence(&o, "0 document produit");
    let o = convflux(&["generer", source, "--typst", "--sortie", s(&sortie)]);
    resume_commence(&o, "0 document produit");
}

#[test]
fn an_annex_no_longer_produced_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let yaml = dir.path().join("sidr.yaml");
    fs::copy("data/territoire-ouest/sidr.yaml", &yaml).unwrap();
    let args = ["generer", s(&yaml), "--sortie", s(&sortie)];
    assert_eq!(convflux(&args).status.code(), Some(0));
    let ancienne = sortie.join("2024/territoire-ouest-sidr/annexe-le-port.pdf");
    assert!(ancienne.exists());
    // The réservataire changes its id: its annex gets another file name.
    let texte = fs::read_to_string(&yaml).unwrap();
    fs::write(&yaml, texte.replace("le-port", "ville-du-port")).unwrap();
    let o = convflux(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!ancienne.exists(), "ancienne annexe laissée");
    assert!(
        sortie
            .join("2024/territoire-ouest-sidr/annexe-ville-du-port.pdf")
            .exists()
    );
    let m = fs::read_to_string(sortie.join("manifest.json")).unwrap();
    assert!(!m.contains("annexe-le-port.pdf"), "{m}");
}

#[test]
fn two_files_with_the_same_id_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for d in ["a", "b"] {
        fs::create_dir_all(dir.path().join(d)).unwrap();
        fs::copy(
            "data/territoire-ouest/sodiac.yaml",
            dir.path().join(d).join("sodiac.yaml"),
        )
        .unwrap();
    }
    let sortie = dir.path().join("out");
    // Two worker processes: the claim goes through the main process.
    let o = convflux(&["generer", s(dir.path()), "--sortie", s(&sortie), "-j", "2"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("la convention « territoire-ouest-sodiac » est déjà produite par"),
        "{err}"
    );
    resume_contient(&o, "1 fichier en erreur");
}

#[test]
fn worker_processes_and_a_single_worker_write_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let seul = dir.path().join("seul");
    let deux = dir.path().join("deux");
    let o = convflux(&[
        "generer",
        "data",
        "--sortie",
        s(&seul),
        "-j",
        "1",
        "--typst",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = convflux(&[
        "generer",
        "data",
        "--sortie",
        s(&deux),
        "-j",
        "2",
        "--typst",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    resume_contient(&o, "mémoire max.");
    let a = fichiers(&seul);
    let b = fichiers(&deux);
    let relatifs = |v: &[PathBuf], r: &Path| -> Vec<PathBuf> {
        v.iter()
            .map(|p| p.strip_prefix(r).unwrap().to_path_buf())
            .collect()
    };
    assert_eq!(relatifs(&a, &seul), relatifs(&b, &deux));
    assert!(a.len() > 20, "{a:?}");
    for (x, y) in a.iter().zip(&b) {
        // The manifest is compared below; the lock file names its run.
        if x.file_name()
            .is_some_and(|n| n == "manifest.json" || n == convflux::output::VERROU)
        {
            continue;
        }
        assert!(
            fs::read(x).unwrap() == fs::read(y).unwrap(),
            "{} diffère",
            x.display()
        );
    }
    // The manifests record the same outputs (but for what the file system
    // says of each file, its inode and times).
    let m = |r: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(r.join("manifest.json")).unwrap()).unwrap();
        for (k, o) in v["sorties"].as_object_mut().unwrap() {
            let o = o.as_object_mut().unwrap();
            let constat = o.remove("constat").is_some();
            assert!(constat || !k.ends_with(".pdf") || cfg!(not(unix)), "{k}");
        }
        v
    };
    assert_eq!(m(&seul), m(&deux));
}

#[test]
fn warnings_of_up_to_date_files_are_still_counted() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let args = ["generer", "data", "--sortie", s(&sortie)];
    let avertissements = |o: &Output| -> usize {
        let r = resume(o);
        let n = r.split(" ; ").nth(1).unwrap_or_else(|| panic!("{r}"));
        n.split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("{r}"))
    };
    let premier = convflux(&args);
    assert_eq!(premier.status.code(), Some(0), "{}", stderr(&premier));
    let n = avertissements(&premier);
    assert!(n > 0, "{}", resume(&premier));
    let second = convflux(&args);
    assert_eq!(avertissements(&second), n, "{}", resume(&second));
    resume_contient(&second, &format!("(dont {n} de fichiers à jour"));
}

#[test]
fn quiet_prints_only_errors() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let o = convflux(&[
        "generer",
        "-q",
        "data/territoire-ouest/sodiac.yaml",
        "tests/catalogue/23-flux-declare-faux.yaml",
        "--sortie",
        s(&sortie),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("erreur"), "{err}");
    assert!(err.contains("aucun document produit"), "{err}");
    for absent in ["avertissement", "progression", "documents produits"] {
        assert!(!err.contains(absent), "« {absent} » avec -q :\n{err}");
    }
}

#[test]
fn a_manifest_convflux_cannot_read_stops_the_run_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let source = "data/territoire-ouest/sodiac.yaml";
    assert_eq!(
        convflux(&["generer", source, "--sortie", s(&sortie)])
            .status
            .code(),
        Some(0)
    );
    let avant = inodes(&sortie);
    let tronque = b"{\"format\": 1, \"sour";
    fs::write(sortie.join("manifest.json"), tronque).unwrap();
    let o = convflux(&["generer", source, "--sortie", s(&sortie)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("pas un manifeste que convflux sait lire"), "{e}");
    assert!(e.contains("JSON invalide ligne 1, colonne 19"), "{e}");
    assert_eq!(fs::read(sortie.join("manifest.json")).unwrap(), tronque);
    assert_eq!(inodes(&sortie), avant);
}

/// `avenant` and `rapport` write through the same path as `generer` and record
/// what they write: the next `generer` finds the avenant up to date, and the
/// council report is in the manifest (so convflux can prove it wrote it).
#[test]
fn avenant_and_rapport_outputs_are_recorded_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("sodiac.yaml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/territoire-ouest/sodiac.yaml"),
        &yaml,
    )
    .unwrap();
    let sortie = dir.path().join("out");
    let o = convflux(&[
        "avenant",
        s(&yaml),
        "--annee",
        "2025",
        "--sortie",
        s(&sortie),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(sortie.join("manifest.json")).unwrap()).unwrap();
    let cles: Vec<&String> = m["sorties"].as_object().unwrap().keys().collect();
    assert!(
        cles.iter()
            .any(|k| k.starts_with("2025/") && k.contains("avenant")),
        "{cles:?}"
    );
    let o = convflux(&[
        "generer",
        s(&yaml),
        "--annee",
        "2025",
        "--sortie",
        s(&sortie),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    resume_commence(&o, "0 document produit");
    resume_contient(&o, "à jour non régénéré");
    let o = convflux(&[
        "rapport",
        "--reservataire",
        "le-port",
        "--annee",
        "2024",
        "--sortie",
        s(&sortie),
        s(&yaml),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(sortie.join("manifest.json")).unwrap()).unwrap();
    let rapport = &m["sorties"]["2024/rapport-le-port.pdf"];
    assert_eq!(
        rapport["sha256"],
        convflux::output::manifest::sha256(
            &fs::read(sortie.join("2024/rapport-le-port.pdf")).unwrap()
        )
        .as_str()
    );
    // The avenant's records are still there.
    assert!(m["sources"].as_object().unwrap().len() == 1, "{m}");
}

/// A batch of 300 files with warnings (every signatory without a name):
/// the warnings are counted by rule, not printed one by one, and the whole
/// output (progress and summary) stays under 30 lines, naming the output
/// folder. With `--detail-avertissements`, each warning is printed.
#[test]
fn a_300_file_batch_with_warnings_prints_at_most_30_lines() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    for i in 0..300 {
        let (p, _) = synthese::ecrire(&donnees, i, 5, i % 3 == 2).unwrap_or_else(|e| panic!("{e}"));
        let t = fs::read_to_string(&p).unwrap();
        // Every signatory's name left blank: one warning each.
        let mut sans_nom = String::new();
        for l in t.lines() {
            match l.find("signataire: {").zip(l.rfind(", nom: ")) {
                Some((_, n)) => sans_nom.push_str(&format!("{}, nom: ~ }}", &l[..n])),
                None => sans_nom.push_str(l),
            }
            sans_nom.push('\n');
        }
        fs::write(&p, sans_nom).unwrap();
    }
    let sortie = dir.path().join("out");
    let o = convflux(&[
        "generer",
        s(&donnees),
        "--sortie",
        s(&sortie),
        "--annee",
        "2024",
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    let lignes = e.lines().count();
    eprintln!("lot de 300 fichiers : {lignes} lignes\n{e}");
    assert!(lignes <= 30, "{lignes} lignes :\n{e}");
    assert!(e.contains("avertissements par règle"), "{e}");
    let regle = e
        .lines()
        .find(|l| l.starts_with("  signataire sans nom : "))
        .unwrap_or_else(|| panic!("{e}"));
    let n: usize = regle
        .rsplit(" : ")
        .next()
        .unwrap()
        .replace('\u{202f}', "")
        .parse()
        .unwrap();
    assert!(n >= 600, "{regle}");
    assert!(e.contains(&format!("documents dans {}", s(&sortie))), "{e}");
    assert!(!e.contains("`nom` absent"), "{e}");
}

/// On several files, warnings are counted by rule; `--detail-avertissements`
/// prints each one; a single file named prints them too.
#[test]
fn warnings_in_detail_on_request_or_for_a_single_file() {
    let dir = tempfile::tempdir().unwrap();
    let sortie = dir.path().join("out");
    let o = convflux(&["generer", "data/territoire-ouest", "--sortie", s(&sortie)]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(!e.contains("`nom` absent"), "{e}");
    // The five conventions of data/territoire-ouest leave 34 signatories
    // unnamed (a blank line is printed for each).
    assert!(e.contains("  signataire sans nom : 34"), "{e}");
    for args in [
        &[
            "generer",
            "data/territoire-ouest",
            "--detail-avertissements",
            "--force",
        ][..],
        &["generer", "data/territoire-ouest/sidr.yaml", "--force"][..],
    ] {
        let o = convflux(&[args, &["--sortie", s(&sortie)]].concat());
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{e}");
        assert!(e.contains("`nom` absent"), "{args:?}\n{e}");
        assert!(!e.contains("avertissements par règle"), "{args:?}\n{e}");
    }
}
