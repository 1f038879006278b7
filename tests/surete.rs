//! convflux touches only its own files and bounds every read: each test is a
//! way a hostile or careless user broke an earlier version (the issue
//! « Sûreté »), tried through the real binary in a temporary folder.

use std::fs;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod commun;
use commun::{s, stderr};

const RACINE: &str = env!("CARGO_MANIFEST_DIR");

/// Runs `convflux args…` under a 2 GiB address-space limit and a time limit
/// (a hang or unbounded growth fails the test instead of the machine).
fn borne(args: &[&str], limite: Duration) -> Output {
    let mut enfant = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_convflux"))
        .args(args)
        .current_dir(RACINE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lancement de convflux");
    let mut e = enfant.stderr.take().unwrap();
    let mut o = enfant.stdout.take().unwrap();
    let le = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = e.read_to_end(&mut v);
        v
    });
    let lo = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = o.read_to_end(&mut v);
        v
    });
    let debut = Instant::now();
    let status = loop {
        if let Some(st) = enfant.try_wait().unwrap() {
            break st;
        }
        if debut.elapsed() > limite {
            let _ = enfant.kill();
            let _ = enfant.wait();
            panic!("convflux {args:?} dépasse {limite:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let o = Output {
        status,
        stdout: lo.join().unwrap(),
        stderr: le.join().unwrap(),
    };
    commun::sans_anglais(args, &o);
    o
}

fn vite(args: &[&str]) -> Output {
    borne(args, Duration::from_secs(60))
}

/// One sample convention copied into `d` (its name, its path).
fn une_convention(d: &Path) -> PathBuf {
    fs::create_dir_all(d).unwrap();
    let p = d.join("sedre.yaml");
    fs::copy(
        Path::new(RACINE).join("data/territoire-ouest/sedre.yaml"),
        &p,
    )
    .unwrap();
    p
}

/// Every file under `d`, relative, sorted.
fn arbre(d: &Path) -> Vec<String> {
    let mut out: Vec<String> = walk(d)
        .into_iter()
        .map(|p| p.strip_prefix(d).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn manifeste(sortie: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(sortie.join("manifest.json")).unwrap()).unwrap()
}

/// Item 1: a manifest naming `../x` or an absolute path, with the right hash,
/// used to have those files removed as « no longer produced ».
#[test]
fn a_crafted_manifest_cannot_delete_files_outside_the_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = une_convention(&dir.path().join("donnees"));
    let sortie = dir.path().join("out");
    let o = vite(&["generer", s(&yaml), "--sortie", s(&sortie), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let victime_rel = dir.path().join("precieux.pdf");
    let victime_abs = dir.path().join("absolu.pdf");
    fs::write(&victime_rel, b"precieux").unwrap();
    fs::write(&victime_abs, b"absolu").unwrap();
    let pieges = [
        ("../precieux.pdf".to_string(), victime_rel.clone()),
        (s(&victime_abs).to_string(), victime_abs.clone()),
    ];
    pieger(&sortie, &pieges);
    // --force regenerates and used to remove what the record lists.
    let o = vite(&["generer", s(&yaml), "--sortie", s(&sortie), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read(&victime_rel).unwrap(), b"precieux");
    assert_eq!(fs::read(&victime_abs).unwrap(), b"absolu");
    // After an edit of the YAML too, and the user is told.
    pieger(&sortie, &pieges);
    fs::write(&yaml, fs::read_to_string(&yaml).unwrap() + "\n# modifié\n").unwrap();
    let o = vite(&["generer", s(&yaml), "--sortie", s(&sortie)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("hors du dossier de sortie"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(&victime_rel).unwrap(), b"precieux");
    assert_eq!(fs::read(&victime_abs).unwrap(), b"absolu");
}

/// Adds to the manifest of `sortie` outputs of its source's 2024 exercise at
/// these keys, each recorded with the hash of the file it names.
fn pieger(sortie: &Path, pieges: &[(String, PathBuf)]) {
    let mut m = manifeste(sortie);
    let source = m["sources"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let modele = m["sorties"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    for (cle, p) in pieges {
        let mut e = modele.clone();
        e["sha256"] = convflux::output::manifest::sha256(&fs::read(p).unwrap()).into();
        m["sorties"][cle] = e;
        m["sources"][&source]["annees"]["2024"]
            .as_array_mut()
            .unwrap()
            .push(cle.clone().into());
    }
    fs::write(sortie.join("manifest.json"), m.to_string()).unwrap();
}

/// Item 1 (links): a folder of the output replaced by a link leading out is
/// never written through, nor are files deleted through it.
#[test]
fn a_link_inside_the_output_folder_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = une_convention(&dir.path().join("donnees"));
    let sortie = dir.path().join("out");
    let ailleurs = dir.path().join("ailleurs");
    fs::create_dir_all(&ailleurs).unwrap();
    fs::create_dir_all(&sortie).unwrap();
    symlink(&ailleurs, sortie.join("2024")).unwrap();
    let o = vite(&["generer", s(&yaml), "--sortie", s(&sortie)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("hors du dossier de sortie"),
        "{}",
        stderr(&o)
    );
    assert!(arbre(&ailleurs).is_empty(), "{:?}", arbre(&ailleurs));
}

/// Item 2: every `.*.tmp` at any depth used to be removed at start-up, even
/// when nothing was generated.
#[test]
fn files_that_only_look_temporary_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = une_convention(&dir.path().join("donnees"));
    let sortie = dir.path().join("out");
    fs::create_dir_all(sortie.join("2024/territoire-ouest-sedre")).unwrap();
    fs::create_dir_all(sortie.join("perso/a/b")).unwrap();
    let a_moi = [
        ".brouillon.tmp",
        "perso/a/b/.sauvegarde.tmp",
        "2024/territoire-ouest-sedre/.notes.123.0.tmp",
    ];
    for f in a_moi {
        fs::write(sortie.join(f), b"a moi").unwrap();
    }
    for args in [
        vec![
            "generer",
            s(&yaml),
            "--sortie",
            s(&sortie),
            "--annee",
            "2031",
        ],
        vec!["generer", s(&yaml), "--sortie", s(&sortie)],
    ] {
        vite(&args);
        for f in a_moi {
            assert_eq!(fs::read(sortie.join(f)).unwrap(), b"a moi", "{f}");
        }
    }
}

/// Item 3: `rapport --xlsx` used to overwrite whatever it was given.
#[test]
fn rapport_xlsx_never_overwrites_an_input_or_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = une_convention(&dir.path().join("donnees"));
    let avant = fs::read(&yaml).unwrap();
    let sortie = dir.path().join("out");
    let base = ["rapport", "--reservataire", "le-port", "--sans-pdf"];
    let mut cas = vec![(yaml.clone(), "xlsx"), (PathBuf::from("/dev/null"), "xlsx")];
    // An input under an `.xlsx` name (a link to it), and someone's text file.
    let lien = dir.path().join("lien.xlsx");
    symlink(&yaml, &lien).unwrap();
    let texte = dir.path().join("notes.xlsx");
    fs::write(&texte, b"mes notes").unwrap();
    cas.push((lien.clone(), "fichier ordinaire"));
    cas.push((texte.clone(), "n'est pas un fichier .xlsx"));
    for (cible, _) in &cas {
        let mut args = base.to_vec();
        args.extend(["--sortie", s(&sortie), "--xlsx", s(cible), s(&yaml)]);
        let o = vite(&args);
        assert_ne!(o.status.code(), Some(0), "{cible:?}");
        assert!(
            stderr(&o).contains("convflux n'y écrit pas"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(fs::read(&yaml).unwrap(), avant);
    assert_eq!(fs::read(&texte).unwrap(), b"mes notes");
    // A new .xlsx, then the same one again: written.
    let bon = dir.path().join("chiffres.xlsx");
    for _ in 0..2 {
        let mut args = base.to_vec();
        args.extend(["--sortie", s(&sortie), "--xlsx", s(&bon), s(&yaml)]);
        let o = vite(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(fs::read(&bon).unwrap().starts_with(b"PK"));
}

/// An output folder that is a file, a device or a dead link, an `--xlsx`
/// in a folder that does not exist: a French message (no system English,
/// checked by `borne`), nothing written, not even the report's PDF.
#[test]
fn an_output_that_cannot_be_is_said_in_french_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = une_convention(&dir.path().join("donnees"));
    let fichier = dir.path().join("un-fichier");
    fs::write(&fichier, b"x").unwrap();
    let mort = dir.path().join("lien-mort");
    symlink(dir.path().join("absent"), &mort).unwrap();
    for (sortie, attendu) in [
        (fichier.as_path(), "ce n'est pas un dossier"),
        (Path::new("/dev/null"), "ce n'est pas un dossier"),
        (mort.as_path(), "lien qui ne mène à aucun dossier"),
    ] {
        let o = vite(&["generer", s(&yaml), "--sortie", s(sortie)]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(attendu), "{}", stderr(&o));
    }
    assert_eq!(fs::read(&fichier).unwrap(), b"x");
    let sortie = dir.path().join("out");
    let xlsx = dir.path().join("absent/x.xlsx");
    let o = vite(&[
        "rapport",
        "--reservataire",
        "le-port",
        "--sortie",
        s(&sortie),
        "--xlsx",
        s(&xlsx),
        s(&yaml),
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("n'existe pas"), "{}", stderr(&o));
    assert!(!sortie.exists(), "le rapport a été écrit avant le refus");
}

/// Item 4: a device, a FIFO, a link to a device, a huge manifest: each ends
/// at once with a French message (the limits of [`borne`]: 2 GiB, seconds).
#[test]
fn unbounded_or_blocking_inputs_end_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    une_convention(&donnees);
    let fifo = donnees.join("tube.yaml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    symlink("/dev/zero", donnees.join("zero.yaml")).unwrap();
    let dix = Duration::from_secs(20);

    let o = borne(&["verifier", "/dev/zero"], dix);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("périphérique"), "{}", stderr(&o));

    let o = borne(&["verifier", s(&donnees)], dix);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("tube nommé"), "{e}");
    assert!(e.contains("périphérique"), "{e}");
    assert!(e.contains("3 fichiers vérifiés, 2 en erreur"), "{e}");

    // generer: the good file is produced and recorded, the others reported.
    let sortie = dir.path().join("out");
    let o = borne(&["generer", s(&donnees), "--sortie", s(&sortie)], dix * 3);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let m = manifeste(&sortie);
    assert!(m["sources"].get("../donnees/sedre.yaml").is_some(), "{m}");

    // The manifest: a link to a device, then a 2 GB file.
    fs::remove_file(&fifo).unwrap();
    fs::remove_file(donnees.join("zero.yaml")).unwrap();
    fs::remove_file(sortie.join("manifest.json")).unwrap();
    symlink("/dev/zero", sortie.join("manifest.json")).unwrap();
    let avant = arbre(&sortie);
    let o = borne(&["generer", s(&donnees), "--sortie", s(&sortie)], dix * 3);
    // Not ours to replace: refused before any work.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("manifest.json"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("pas un fichier ordinaire"),
        "{}",
        stderr(&o)
    );
    assert_eq!(arbre(&sortie), avant);
    fs::remove_file(sortie.join("manifest.json")).unwrap();
    let f = fs::File::create(sortie.join("manifest.json")).unwrap();
    f.set_len(2_000_000_000).unwrap();
    drop(f);
    let avant = arbre(&sortie);
    let o = borne(&["generer", s(&donnees), "--sortie", s(&sortie)], dix * 3);
    // Not a manifest convflux can read: someone else's, refused.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("trop volumineux"), "{}", stderr(&o));
    assert_eq!(arbre(&sortie), avant);
    assert_eq!(
        fs::metadata(sortie.join("manifest.json")).unwrap().len(),
        2_000_000_000
    );
}

/// Item 5: links that loop used to hang the walk or count a file many times.
#[test]
fn symlink_loops_are_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    une_convention(&donnees);
    symlink("a", donnees.join("a")).unwrap();
    symlink("b", donnees.join("b")).unwrap();
    symlink(".", donnees.join("ici")).unwrap();
    symlink("..", donnees.join("parent")).unwrap();
    let o = borne(&["verifier", s(&donnees)], Duration::from_secs(20));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 fichier vérifié"), "{}", stderr(&o));
    let sortie = dir.path().join("out");
    let o = borne(
        &["generer", s(&donnees), "--sortie", s(&sortie), "-q"],
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("déjà produite"), "{}", stderr(&o));
}

/// Item 7: a second `generer` on the same folder used to delete the first
/// run's temporary files. Now it stops at once, naming the first run, and
/// the first run completes and records everything.
#[test]
fn a_second_run_on_the_same_folder_stops_and_the_first_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    fs::create_dir_all(&donnees).unwrap();
    for f in fs::read_dir(Path::new(RACINE).join("data/territoire-ouest")).unwrap() {
        let f = f.unwrap().path();
        fs::copy(&f, donnees.join(f.file_name().unwrap())).unwrap();
    }
    let sortie = dir.path().join("out");
    let mut premier = Command::new(env!("CARGO_BIN_EXE_convflux"))
        .args([
            "generer",
            s(&donnees),
            "--sortie",
            s(&sortie),
            "-q",
            "-j",
            "1",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first run to start on the folder.
    let debut = Instant::now();
    while !sortie.exists() {
        assert!(debut.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = vite(&["generer", s(&donnees), "--sortie", s(&sortie), "--force"]);
    let fini_avant = premier.try_wait().unwrap().is_some();
    let premier = premier.wait_with_output().unwrap();
    commun::sans_anglais(&["generer"], &premier);
    assert!(premier.status.success(), "{}", stderr(&premier));
    if !fini_avant {
        assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
        let e = stderr(&second);
        assert!(e.contains("déjà utilisé par une autre exécution"), "{e}");
        assert!(e.contains("processus"), "{e}");
    }
    // Everything the first run wrote is there and recorded, nothing else.
    let m = manifeste(&sortie);
    let pdfs: Vec<String> = arbre(&sortie)
        .into_iter()
        .filter(|f| f.ends_with(".pdf"))
        .collect();
    let enregistres: Vec<String> = m["sorties"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(pdfs, enregistres);
    assert!(pdfs.len() >= 10, "{pdfs:?}");
    assert!(!arbre(&sortie).iter().any(|f| f.ends_with(".tmp")));
}

/// Item 11: the same file named twice, or as `data` then `./data`.
#[test]
fn one_file_under_two_names_is_one_source() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    let yaml = une_convention(&donnees);
    let sortie = dir.path().join("out");
    let o = vite(&["verifier", s(&yaml), s(&donnees), s(&yaml)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 fichier vérifié"), "{}", stderr(&o));
    let o = vite(&["generer", s(&yaml), s(&donnees), "--sortie", s(&sortie)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The same folder written another way: nothing to redo, one source.
    let avec_point = format!("{}/./donnees/.", dir.path().display());
    let o = vite(&["generer", &avec_point, "--sortie", s(&sortie)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("0 document produit"), "{}", stderr(&o));
    assert_eq!(manifeste(&sortie)["sources"].as_object().unwrap().len(), 1);
}

/// Item 11: a year no file has used to produce nothing with exit 0.
#[test]
fn a_year_absent_from_every_file_is_an_error_naming_the_years() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = une_convention(&dir.path().join("donnees"));
    let sortie = dir.path().join("out");
    let o = vite(&[
        "generer",
        s(&yaml),
        "--sortie",
        s(&sortie),
        "--annee",
        "2023",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("aucun fichier n'a d'exercice 2023"), "{e}");
    assert!(e.contains("exercices présents : 2024"), "{e}");
}

/// Item 11: `-q` prints errors only (warnings used to get through).
#[test]
fn quiet_prints_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    fs::create_dir_all(&donnees).unwrap();
    let yaml = donnees.join("le-cendre.yaml");
    fs::copy(
        Path::new(RACINE).join("data/clermont-auvergne-metropole/le-cendre-assemblia.yaml"),
        &yaml,
    )
    .unwrap();
    symlink("boucle", donnees.join("boucle")).unwrap();
    symlink("..", donnees.join("parent")).unwrap();
    let sortie = dir.path().join("out");
    let o = vite(&["verifier", s(&donnees)]);
    assert!(stderr(&o).contains("avertissement"), "{}", stderr(&o));
    for args in [
        vec!["verifier", "-q", s(&donnees)],
        vec!["generer", "-q", s(&donnees), "--sortie", s(&sortie)],
        vec![
            "rapport",
            "-q",
            "--reservataire",
            "le-cendre",
            "--sortie",
            s(&sortie),
            s(&donnees),
        ],
    ] {
        let o = vite(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(!e.contains("avertissement"), "{args:?}: {e}");
    }
}

/// Item 11: counts read from a hostile manifest used to wrap in the summary.
#[test]
fn hostile_counts_in_the_manifest_do_not_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    une_convention(&donnees);
    fs::copy(
        Path::new(RACINE).join("data/territoire-ouest/sodiac.yaml"),
        donnees.join("sodiac.yaml"),
    )
    .unwrap();
    let sortie = dir.path().join("out");
    let o = vite(&["generer", s(&donnees), "--sortie", s(&sortie), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut m = manifeste(&sortie);
    for (_, o) in m["sorties"].as_object_mut().unwrap() {
        o["pages"] = u64::MAX.into();
    }
    for (_, src) in m["sources"].as_object_mut().unwrap() {
        src["avertissements"] = u64::MAX.into();
    }
    fs::write(sortie.join("manifest.json"), m.to_string()).unwrap();
    let o = vite(&["generer", s(&donnees), "--sortie", s(&sortie)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&convflux::francais::pluriel(usize::MAX, "avertissement")),
        "{}",
        stderr(&o)
    );
}

/// A folder with no YAML used to give « 0 fichier vérifié » and exit 0.
#[test]
fn a_folder_without_any_convention_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), b"rien").unwrap();
    let sortie = dir.path().join("out");
    for (commande, o) in [
        ("verifier", vite(&["verifier", s(dir.path())])),
        ("calculer", vite(&["calculer", s(dir.path())])),
        (
            "generer",
            vite(&["generer", s(dir.path()), "--sortie", s(&sortie)]),
        ),
    ] {
        assert_eq!(o.status.code(), Some(2), "{commande} : {}", stderr(&o));
        assert!(
            stderr(&o).contains("aucun fichier de convention"),
            "{commande} : {}",
            stderr(&o)
        );
    }
}
