//! Robustness, through the real binary and the library: hostile inputs built
//! here (never committed as big files) get a French error or are accepted,
//! within bounded time and memory; a batch killed with SIGKILL leaves no
//! truncated PDF; data cannot make the Typst world read a file; and property
//! tests over load → validate → compute → controle (no panic, invariants kept).
//!
//! The property tests run `PROPTEST_CASES` cases (256 by default, quick in
//! CI); docs/robustesse.md gives the long run and its figures.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;

mod commun;
use commun::s;

#[allow(dead_code)]
#[path = "../bench/synthese.rs"]
mod synthese;

const RACINE: &str = env!("CARGO_MANIFEST_DIR");
/// Address space allowed to the child process (`ulimit -v`), in KiB.
const LIMITE_MEMOIRE_KIO: u64 = 2 * 1024 * 1024;
/// Time allowed to one `verifier` on one hostile file (debug build).
const LIMITE_TEMPS: Duration = Duration::from_secs(30);

/// What one run of the binary did.
struct Sortie {
    code: Option<i32>,
    stderr: String,
    stdout: String,
    duree: Duration,
    /// Peak resident memory seen while it ran (VmHWM), in KiB.
    memoire_kio: u64,
}

/// Runs `convflux args…` under `ulimit -v`, with a time limit, watching its
/// peak memory.
fn borne(args: &[&str]) -> Sortie {
    let debut = Instant::now();
    let mut enfant = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {LIMITE_MEMOIRE_KIO} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_convflux"))
        .args(args)
        .current_dir(RACINE)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lancement de convflux");
    // Read the pipes on the side so a chatty child never blocks.
    let mut e = enfant.stderr.take().unwrap();
    let mut o = enfant.stdout.take().unwrap();
    let lecteur_e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = e.read_to_string(&mut s);
        s
    });
    let lecteur_o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = o.read_to_string(&mut s);
        s
    });
    let status = format!("/proc/{}/status", enfant.id());
    let mut memoire_kio = 0;
    let code = loop {
        if let Ok(st) = fs::read_to_string(&status)
            && let Some(v) = st
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            memoire_kio = memoire_kio.max(v);
        }
        if let Some(s) = enfant.try_wait().unwrap() {
            break s.code();
        }
        if debut.elapsed() > LIMITE_TEMPS {
            let _ = enfant.kill();
            let _ = enfant.wait();
            panic!("convflux {args:?} dépasse {LIMITE_TEMPS:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let sortie = Sortie {
        code,
        stderr: lecteur_e.join().unwrap(),
        stdout: lecteur_o.join().unwrap(),
        duree: debut.elapsed(),
        memoire_kio,
    };
    // Whatever the input, no English of clap, the YAML parser or Typst.
    for (flux, texte) in [("stderr", &sortie.stderr), ("stdout", &sortie.stdout)] {
        if let Some(mot) = commun::anglais(texte) {
            panic!("convflux {args:?} : « {mot} » (anglais) sur {flux} :\n{texte}");
        }
    }
    sortie
}

fn lire(rel: &str) -> Vec<u8> {
    fs::read(Path::new(RACINE).join(rel)).unwrap()
}

/// A hostile input and what the user must see.
struct Cas {
    nom: &'static str,
    octets: Vec<u8>,
    /// `None`: accepted (exit 0). `Some(fragment)`: exit 1 and this French message.
    erreur: Option<&'static str>,
    /// `file:line:` the message must point at, when it has a place.
    ligne: Option<usize>,
}

fn cas_hostiles() -> Vec<Cas> {
    let sidr = lire("data/territoire-ouest/sidr.yaml");
    let sidr_txt = String::from_utf8(sidr.clone()).unwrap();
    let cas04 = lire("tests/catalogue/04-logements-negatif.yaml");
    let cas04_txt = String::from_utf8(cas04.clone()).unwrap();
    let bom = |b: &[u8]| [&[0xEF, 0xBB, 0xBF][..], b].concat();
    let crlf = |t: &str| t.replace('\n', "\r\n").into_bytes();

    let mut v = vec![
        Cas {
            nom: "imbrication-flux-100000",
            octets: format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            erreur: Some("trop profond"),
            ligne: Some(1),
        },
        Cas {
            nom: "imbrication-blocs-2000",
            octets: (0..2000)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>()
                .into_bytes(),
            erreur: Some("trop profond"),
            ligne: None,
        },
        Cas {
            nom: "fichier-50-mo",
            octets: {
                let mut b = sidr.clone();
                let ligne = format!("# {}\n", "x".repeat(1022));
                while b.len() < 50 * 1024 * 1024 {
                    b.extend_from_slice(ligne.as_bytes());
                }
                b
            },
            erreur: Some("fichier trop volumineux"),
            ligne: None,
        },
        Cas {
            nom: "ligne-de-3-mo",
            octets: format!("convention:\n  titre: \"{}\"\n", "é".repeat(1_500_000)).into_bytes(),
            erreur: Some("erreur"),
            ligne: None,
        },
        Cas {
            nom: "utf8-invalide-latin1",
            octets: sidr_txt
                .replacen("Territoire de l’Ouest", "Territoire de l'Ouest \u{0}", 1)
                .into_bytes()
                .into_iter()
                .map(|b| if b == 0 { 0xE9 } else { b })
                .collect(),
            erreur: Some("n'est pas en UTF-8"),
            ligne: None,
        },
        Cas {
            nom: "utf8-tronque",
            octets: [&sidr[..], &[0xE2, 0x82]].concat(),
            erreur: Some("n'est pas en UTF-8"),
            ligne: None,
        },
        Cas {
            nom: "octet-nul",
            octets: sidr_txt.replacen("SIDR", "SI\u{0}DR", 1).into_bytes(),
            erreur: Some("erreur"),
            ligne: None,
        },
        Cas {
            nom: "milliard-de-rires",
            octets: {
                let mut t = String::from(
                    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
                );
                for (p, c) in "abcdefgh".chars().zip("bcdefghi".chars()) {
                    t.push_str(&format!(
                        "{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                    ));
                }
                t.into_bytes()
            },
            erreur: Some("trop d'alias"),
            ligne: None,
        },
        Cas {
            nom: "alias-en-cle-de-fusion",
            octets: b"base: &b { id: x }\nconvention:\n  <<: *b\n  <<: *b\n".to_vec(),
            erreur: Some("erreur"),
            ligne: None,
        },
        Cas {
            nom: "tabulation-d-indentation",
            octets: sidr_txt
                .replacen(
                    "  id: territoire-ouest-sidr",
                    "\tid: territoire-ouest-sidr",
                    1,
                )
                .into_bytes(),
            erreur: Some("syntaxe YAML invalide"),
            ligne: Some(7),
        },
        Cas {
            nom: "tabulation-dans-une-valeur",
            octets: sidr_txt
                .replacen("nom: SIDR", "nom: \"SI\tDR\"", 1)
                .into_bytes(),
            erreur: None,
            ligne: None,
        },
        Cas {
            nom: "bom",
            octets: bom(&sidr),
            erreur: None,
            ligne: None,
        },
        Cas {
            nom: "bom-et-erreur",
            octets: bom(&cas04),
            erreur: Some("patrimoine › logements"),
            ligne: Some(37),
        },
        Cas {
            nom: "crlf",
            octets: crlf(&sidr_txt),
            erreur: None,
            ligne: None,
        },
        Cas {
            nom: "crlf-et-erreur",
            octets: crlf(&cas04_txt),
            erreur: Some("patrimoine › logements"),
            ligne: Some(37),
        },
        Cas {
            nom: "bom-crlf",
            octets: bom(&crlf(&sidr_txt)),
            erreur: None,
            ligne: None,
        },
        Cas {
            // YAML counts a lone CR as a line break: accepted.
            nom: "cr-seuls",
            octets: sidr_txt.replace('\n', "\r").into_bytes(),
            erreur: None,
            ligne: None,
        },
        Cas {
            // Diagnostics count lines as YAML does, a lone CR included.
            nom: "cr-seuls-et-erreur",
            octets: cas04_txt.replace('\n', "\r").into_bytes(),
            erreur: Some("patrimoine › logements"),
            ligne: Some(37),
        },
        Cas {
            nom: "trois-cent-mille-cles",
            octets: (0..300_000)
                .map(|i| format!("{i:x}: 0\n"))
                .collect::<String>()
                .into_bytes(),
            erreur: Some("trop gros"),
            ligne: None,
        },
        Cas {
            nom: "nombre-de-400-chiffres",
            octets: sidr_txt
                .replacen(
                    "logements: 1887",
                    &format!("logements: {}", "9".repeat(400)),
                    1,
                )
                .into_bytes(),
            // Kept as the text written, refused by `validate` at its field.
            erreur: Some("patrimoine › logements : nombre trop grand"),
            // The line of sidr.yaml's `logements: 1887`.
            ligne: Some(
                sidr_txt
                    .lines()
                    .position(|l| l.contains("logements: 1887"))
                    .expect("logements: 1887 dans sidr.yaml")
                    + 1,
            ),
        },
        Cas {
            nom: "taux-en-notation-scientifique",
            octets: sidr_txt
                .replacen("taux: \"6,89 %\"", "taux: 6.89e300", 1)
                .into_bytes(),
            erreur: Some("taux"),
            ligne: None,
        },
    ];
    // Many documents in one stream.
    v.push(Cas {
        nom: "mille-documents",
        octets: "---\na: 1\n".repeat(1000).into_bytes(),
        erreur: Some("erreur"),
        ligne: None,
    });
    v
}

/// Every hostile input: a French error at the right place or a correct
/// acceptance, within 30 s and 2 GiB of address space, never a panic.
#[test]
fn hostile_inputs_get_a_french_error_or_are_accepted_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut echecs = Vec::new();
    let mut releves = Vec::new();
    for c in cas_hostiles() {
        let f = dir.path().join(format!("{}.yaml", c.nom));
        fs::write(&f, &c.octets).unwrap();
        let r = borne(&["verifier", s(&f)]);
        releves.push(format!(
            "{:32} {:>9} octets  {:>6} ms  {:>6} Kio  code {:?}",
            c.nom,
            c.octets.len(),
            r.duree.as_millis(),
            r.memoire_kio,
            r.code
        ));
        let mut p = Vec::new();
        if r.stderr.contains("panicked") {
            p.push("panique".to_string());
        }
        match c.erreur {
            None => {
                if r.code != Some(0) {
                    p.push(format!("refusé (code {:?})", r.code));
                }
            }
            Some(fragment) => {
                if r.code != Some(1) {
                    p.push(format!("code {:?} au lieu de 1", r.code));
                }
                if !r.stderr.contains("erreur") || !r.stderr.contains(fragment) {
                    p.push(format!("message sans « {fragment} »"));
                }
            }
        }
        if let Some(l) = c.ligne
            && !r.stderr.contains(&format!("{}:{l}:", f.display()))
        {
            p.push(format!("pas de position :{l}:"));
        }
        if !p.is_empty() {
            let extrait: String = r.stderr.chars().take(1500).collect();
            echecs.push(format!("{} : {}\n{extrait}", c.nom, p.join(", ")));
        }
    }
    eprintln!("{}", releves.join("\n"));
    assert!(echecs.is_empty(), "{}", echecs.join("\n\n"));
}

/// A file with a BOM or CRLF line ends computes exactly the same figures.
#[test]
fn bom_and_crlf_give_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let sidr = lire("data/territoire-ouest/sidr.yaml");
    let t = String::from_utf8(sidr.clone()).unwrap();
    let variantes = [
        ("lf", sidr.clone()),
        ("bom", [&[0xEF, 0xBB, 0xBF][..], &sidr].concat()),
        ("crlf", t.replace('\n', "\r\n").into_bytes()),
    ];
    let mut sorties = Vec::new();
    for (nom, octets) in variantes {
        let f = dir.path().join(format!("{nom}.yaml"));
        fs::write(&f, octets).unwrap();
        let r = borne(&["calculer", s(&f), "--format", "csv"]);
        assert_eq!(r.code, Some(0), "{nom} : {}", r.stderr);
        sorties.push(r.stdout.replace(s(&f), "F"));
    }
    assert_eq!(sorties[0], sorties[1]);
    assert_eq!(sorties[0], sorties[2]);
}

/// Every PDF under `d`: its bytes, by path relative to `d`.
fn pdfs(d: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    fn marcher(d: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(rd) = fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    marcher(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
    }
    let mut tous = Vec::new();
    marcher(d, &mut tous);
    tous.into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .map(|p| {
            (
                p.strip_prefix(d).unwrap().to_path_buf(),
                fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// A complete PDF: header, `%%EOF` at the end, and lopdf reads its pages.
fn pdf_complet(b: &[u8]) -> Result<(), String> {
    if !b.starts_with(b"%PDF-") {
        return Err("pas d'en-tête %PDF-".into());
    }
    let fin = b.trim_ascii_end();
    if !fin.ends_with(b"%%EOF") {
        return Err("pas de %%EOF final".into());
    }
    let doc = lopdf::Document::load_mem(b).map_err(|e| e.to_string())?;
    if doc.get_pages().is_empty() {
        return Err("aucune page".into());
    }
    Ok(())
}

/// SIGKILL in the middle of a batch: under `out/`, every PDF is either the
/// one of the last good run or a complete new one, never truncated; the
/// manifest is valid JSON; the next run finishes the job and cleans up.
/// The worker processes started by `generer` process `pid` still alive.
fn travailleurs_de(pid: u32) -> Vec<u32> {
    let marque = format!("--travailleur-interne\0{pid}\0");
    fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|p| {
                    fs::read(format!("/proc/{p}/cmdline"))
                        .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&marque))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sigkill_mid_batch_leaves_no_truncated_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let donnees = dir.path().join("donnees");
    let yamls: Vec<PathBuf> = (0..12)
        .map(|i| synthese::ecrire(&donnees, i, 11, i % 3 == 2).unwrap().0)
        .collect();
    let sortie = dir.path().join("out");
    let args = [
        "generer",
        s(&donnees),
        "--sortie",
        s(&sortie),
        "-q",
        "-j",
        "2",
    ];
    let r = borne(&args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let bons = pdfs(&sortie);
    assert!(bons.len() >= 40, "{}", bons.len());

    // Three kills at different moments of a run that rewrites every PDF.
    for (tour, attente_ms) in [(0, 0u64), (1, 150), (2, 600)] {
        for y in &yamls {
            let t = fs::read_to_string(y).unwrap();
            fs::write(
                y,
                t.replace("Directeur général", &format!("Directeur général {tour}")),
            )
            .unwrap();
        }
        let mut enfant = Command::new(env!("CARGO_BIN_EXE_convflux"))
            .args(args)
            .current_dir(RACINE)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it has started writing (a temporary file or a renamed
        // PDF), then a little more, then SIGKILL.
        let debut = Instant::now();
        let inodes_bons = inodes(&sortie);
        loop {
            let ecrit = walk_has_tmp(&sortie)
                || inodes(&sortie) != inodes_bons
                || enfant.try_wait().unwrap().is_some();
            if ecrit || debut.elapsed() > Duration::from_secs(60) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(attente_ms));
        let fini_avant = enfant.try_wait().unwrap().is_some();
        let pid = enfant.id();
        enfant.kill().unwrap(); // SIGKILL on Unix
        let _ = enfant.wait();
        // Its worker processes stop by themselves, writing nothing more.
        let debut = Instant::now();
        while !travailleurs_de(pid).is_empty() {
            assert!(
                debut.elapsed() < Duration::from_secs(20),
                "tour {tour} : processus de travail orphelins {:?}",
                travailleurs_de(pid)
            );
            std::thread::sleep(Duration::from_millis(20));
        }

        let apres = pdfs(&sortie);
        for (p, b) in &apres {
            if bons.get(p) != Some(b) {
                pdf_complet(b).unwrap_or_else(|e| {
                    panic!("tour {tour} : {} tronqué ou partiel : {e}", p.display())
                });
            }
        }
        let inodes_apres = inodes(&sortie);
        let refaits_avant_kill = inodes_apres
            .iter()
            .filter(|(p, i)| inodes_bons.get(*p) != Some(*i))
            .count();
        for p in bons.keys() {
            assert!(
                apres.contains_key(p),
                "tour {tour} : {} a disparu",
                p.display()
            );
        }
        let m = fs::read(sortie.join("manifest.json")).unwrap();
        serde_json::from_slice::<serde_json::Value>(&m)
            .unwrap_or_else(|e| panic!("tour {tour} : manifeste illisible : {e}"));
        eprintln!(
            "tour {tour} : tué après {} ms{}, {} PDF sur {} déjà refaits",
            debut.elapsed().as_millis(),
            if fini_avant { " (déjà fini)" } else { "" },
            refaits_avant_kill,
            apres.len()
        );

        // The next run completes the batch and leaves no temporary file.
        let r = borne(&args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(!walk_has_tmp(&sortie), "fichiers temporaires laissés");
        // Every output is recorded from the new YAML, with its bytes on disk.
        let refaits = pdfs(&sortie);
        let m: serde_json::Value =
            serde_json::from_slice(&fs::read(sortie.join("manifest.json")).unwrap()).unwrap();
        let depuis = fs::canonicalize(&sortie).unwrap();
        let sha_yaml: std::collections::BTreeMap<String, String> = yamls
            .iter()
            .map(|y| {
                (
                    convflux::output::cle_entree(Some(&depuis), y),
                    convflux::output::manifest::sha256(&fs::read(y).unwrap()),
                )
            })
            .collect();
        assert_eq!(refaits.len(), bons.len());
        for (p, b) in &refaits {
            pdf_complet(b).unwrap();
            let e = &m["sorties"][p.to_str().unwrap()];
            assert_eq!(
                e["sha256"],
                convflux::output::manifest::sha256(b).as_str(),
                "{}",
                p.display()
            );
            let source = e["source"].as_str().unwrap();
            assert_eq!(
                e["source_sha256"],
                sha_yaml[source].as_str(),
                "{}",
                p.display()
            );
        }
        let r = borne(&args);
        assert_eq!(pdfs(&sortie), refaits);
        assert_eq!(r.code, Some(0));
    }
}

/// The inode of each PDF under `d`: a file replaced by rename gets a new one.
fn inodes(d: &Path) -> std::collections::BTreeMap<PathBuf, u64> {
    use std::os::unix::fs::MetadataExt;
    let mut out = std::collections::BTreeMap::new();
    for e in fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(inodes(&p));
        } else if p.extension().is_some_and(|x| x == "pdf")
            && let Ok(m) = fs::metadata(&p)
        {
            out.insert(p, m.ino());
        }
    }
    out
}

fn walk_has_tmp(d: &Path) -> bool {
    fs::read_dir(d).into_iter().flatten().flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            walk_has_tmp(&p)
        } else {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
        }
    })
}

/// Text fields holding Typst code that reads files: the PDF prints them
/// literally and contains nothing of the files they name.
#[test]
fn data_cannot_make_typst_read_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let canari = "CANARI-7f3a9c-NE-DOIT-PAS-SORTIR";
    fs::write(dir.path().join("secret.txt"), canari).unwrap();
    // A real PNG named like an image a template could include.
    fs::write(
        dir.path().join("x.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\x01\0\x18\xdd\x8d\xb0\0\0\0\0IEND\xaeB`\x82",
    )
    .unwrap();
    let secret = dir.path().join("secret.txt");
    let hostiles = [
        "#read(\"/etc/passwd\")".to_string(),
        format!("#read(\"{}\")", secret.display()),
        "#read(\"../secret.txt\")".to_string(),
        "#image(\"../x.png\")".to_string(),
        "#image(\"/x.png\")".to_string(),
        "#include \"/etc/hostname\"".to_string(),
        "#import \"@preview/cetz:0.3.0\": *".to_string(),
        "#eval(\"read(\\\"/etc/passwd\\\")\")".to_string(),
        "#json(\"/proc/self/environ\")".to_string(),
        "#csv(\"../../Cargo.toml\")".to_string(),
        "#{read(\"/etc/passwd\")}".to_string(),
        "]#read(\"/etc/passwd\")[".to_string(),
        "\\#read(\"/etc/passwd\")".to_string(),
        "`#read(\"/etc/passwd\")`".to_string(),
        "$#read(\"/etc/passwd\")$".to_string(),
    ];
    let modeles = [
        (
            "data/territoire-ouest/sidr.yaml",
            vec![
                ("nom: SIDR", "nom: "),
                ("designation: \"Ville du Port\"", "designation: "),
                (
                    "secteurs_tendus: \"La Possession, Le Port et Saint-Paul\"",
                    "secteurs_tendus: ",
                ),
                ("perimetre: \"la commune\"", "perimetre: "),
            ],
        ),
        (
            "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
            vec![
                ("nom: ASSEMBLIA", "nom: "),
                (
                    "residence: \"0592 - LES BALCONS DE LA MONTORIERE\"",
                    "residence: ",
                ),
                ("perimetre: \"la commune du Cendre\"", "perimetre: "),
                (
                    "tribunal: \"Tribunal Administratif de Clermont-Fd\"",
                    "tribunal: ",
                ),
            ],
        ),
    ];
    let donnees = dir.path().join("donnees");
    fs::create_dir_all(&donnees).unwrap();
    let mut n = 0;
    for (modele, champs) in &modeles {
        let base = String::from_utf8(lire(modele)).unwrap();
        for h in &hostiles {
            let yaml = format!("'{}'", h.replace('\'', "''"));
            let mut t = base.clone();
            for (avant, cle) in champs {
                assert!(t.contains(avant), "{avant} absent de {modele}");
                t = t.replacen(avant, &format!("{cle}{yaml}"), 1);
            }
            // One file per hostile string: each its own convention id.
            let id = format!("hostile-{n}");
            t = t.replacen("  id: ", &format!("  id: {id}\n  #"), 1);
            fs::write(donnees.join(format!("{id}.yaml")), t).unwrap();
            n += 1;
        }
    }
    let sortie = dir.path().join("out");
    let r = borne(&["generer", s(&donnees), "--sortie", s(&sortie), "-q"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stderr.contains("avertissement Typst"), "{}", r.stderr);

    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let ligne_passwd = passwd.lines().next().unwrap_or("root:x:0:0").to_string();
    let tous = pdfs(&sortie);
    assert!(tous.len() >= n * 2, "{}", tous.len());
    for (p, b) in &tous {
        let doc = lopdf::Document::load_mem(b).unwrap();
        for (_, o) in doc.objects.iter() {
            if let Ok(st) = o.as_stream() {
                let data = st
                    .decompressed_content()
                    .unwrap_or_else(|_| st.content.clone());
                let texte = String::from_utf8_lossy(&data);
                assert!(
                    !texte.contains(canari),
                    "{} contient le canari",
                    p.display()
                );
                assert!(
                    ligne_passwd.is_empty() || !texte.contains(&ligne_passwd),
                    "{} contient /etc/passwd",
                    p.display()
                );
                if let Ok(st) = o.as_stream()
                    && st.dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok())
                        == Some(&b"Image"[..])
                {
                    panic!("{} contient une image", p.display());
                }
            }
        }
    }

    // And each string is printed as written (laid-out text, through the library).
    let ts = convflux::typeset::Typesetter::new().unwrap();
    let rendu = convflux::render::Rendu::new();
    for f in fs::read_dir(&donnees).unwrap().flatten().map(|e| e.path()) {
        let an = convflux::pipeline::analyser(&f);
        assert!(an.valide(), "{}", an.diagnostics_rendus());
        let c = an.convention.as_ref().unwrap();
        let texte: String = rendu
            .documents(c, &an.flux[0], &an.flux)
            .unwrap()
            .iter()
            .map(|d| {
                let doc = ts.compile(&d.source, &d.ident).unwrap();
                convflux::typeset::liberer_caches();
                convflux::typeset::texte(&doc.document).join(" ")
            })
            .collect();
        let plat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let texte = plat(&texte);
        assert!(
            hostiles.iter().any(|h| texte.contains(&plat(h))),
            "{} : chaîne hostile non imprimée telle quelle",
            f.display()
        );
    }
}

// ---------------------------------------------------------------------------
// Property tests: load → validate → compute → controle never panics.
// ---------------------------------------------------------------------------

/// Valid files the mutations start from: the sample data and synthetic ones.
fn bases() -> &'static [String] {
    static B: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let mut v: Vec<String> = [
            "data/territoire-ouest/sidr.yaml",
            "data/territoire-ouest/sodiac.yaml",
            "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        ]
        .iter()
        .map(|f| String::from_utf8(lire(f)).unwrap())
        .collect();
        let dir = tempfile::tempdir().unwrap();
        for i in 0..4 {
            let (p, _) = synthese::ecrire(dir.path(), i, 3, i % 2 == 1).unwrap();
            v.push(fs::read_to_string(p).unwrap());
        }
        v
    })
}

/// Scalars a hostile or careless author may write.
const VALEURS: &[&str] = &[
    "0",
    "-1",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "1e309",
    "-0.0",
    ".nan",
    ".inf",
    "0x1F",
    "0o17",
    "1_000",
    "6,82",
    "\"6,82 %\"",
    "\"150 %\"",
    "100.0000000000000000000000000001",
    "~",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "[1, [2, [3]]]",
    "&ancre 5",
    "*ancre",
    "*inconnue",
    "!!binary aGVsbG8=",
    "!!str 12",
    "2024-02-30",
    "2024-13-01",
    "0000-01-01",
    "\"\\u0000\"",
    "\"#read(\\\"/etc/passwd\\\")\"",
    "|\n  bloc\n  multi",
    ">-\n  plié",
    "\u{202e}renversé",
    "\"\\e[31mrouge\"",
    "\"\\e]0;titre\\a\"",
    "9999-12-31",
    "2200-06-01",
    "1999-01-01",
    "99.34567890401331120431919383",
    "4294967286",
    "0.0682",
    "日本語",
    "\t",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the value of the line (after `: ` or `- `) with a scalar of VALEURS.
    Valeur(usize, usize),
    SupprimerLigne(usize),
    DupliquerLigne(usize),
    /// Change the indentation of a line by -2..=2 spaces.
    Indenter(usize, i8),
    /// Cut the file at a fraction of its length.
    Tronquer(u16),
    /// Insert a character at a fraction of the length.
    Inserer(u16, char),
    /// Add an anchor on a line and an alias to it on another.
    Alias(usize, usize),
    /// Replace the value of the line with a text of this many letters.
    Longue(usize, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..VALEURS.len()).prop_map(|(l, v)| Mutation::Valeur(l, v)),
        1 => any::<usize>().prop_map(Mutation::SupprimerLigne),
        1 => any::<usize>().prop_map(Mutation::DupliquerLigne),
        1 => (any::<usize>(), -2i8..=2).prop_map(|(l, d)| Mutation::Indenter(l, d)),
        1 => any::<u16>().prop_map(Mutation::Tronquer),
        1 => (any::<u16>(), any::<char>()).prop_map(|(p, c)| Mutation::Inserer(p, c)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Alias(a, b)),
        1 => (any::<usize>(), prop_oneof![0u32..2_000, 2_000u32..200_000])
            .prop_map(|(l, n)| Mutation::Longue(l, n)),
    ]
}

fn appliquer(texte: &str, m: &Mutation) -> String {
    let mut lignes: Vec<String> = texte.lines().map(str::to_owned).collect();
    if lignes.is_empty() {
        return texte.to_owned();
    }
    let n = lignes.len();
    let lignes_n = n;
    match *m {
        Mutation::Valeur(l, v) => {
            let l = &mut lignes[l % n];
            if let Some(i) = l.find(": ").or_else(|| l.find("- ")) {
                l.truncate(i + 2);
                l.push_str(VALEURS[v]);
            }
        }
        Mutation::SupprimerLigne(l) => {
            lignes.remove(l % n);
        }
        Mutation::DupliquerLigne(l) => {
            let x = lignes[l % n].clone();
            lignes.insert(l % n, x);
        }
        Mutation::Indenter(l, d) => {
            let x = &mut lignes[l % n];
            if d > 0 {
                x.insert_str(0, &" ".repeat(d as usize));
            } else {
                let k = x.len() - x.trim_start().len();
                x.drain(..k.min((-d) as usize));
            }
        }
        Mutation::Tronquer(f) => {
            let t = lignes.join("\n");
            let mut cut = t.len() * f as usize / u16::MAX as usize;
            while !t.is_char_boundary(cut) {
                cut -= 1;
            }
            return t[..cut].to_owned();
        }
        Mutation::Inserer(f, c) => {
            let mut t = lignes.join("\n");
            let mut at = t.len() * f as usize / u16::MAX as usize;
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            t.insert(at, c);
            return t;
        }
        Mutation::Longue(l, n) => {
            let l = &mut lignes[l % lignes_n];
            if let Some(i) = l.find(": ").or_else(|| l.find("- ")) {
                l.truncate(i + 2);
                l.push_str(&"é".repeat(n as usize));
            }
        }
        Mutation::Alias(a, b) => {
            if let Some(i) = lignes[a % n].find(": ") {
                lignes[a % n].insert_str(i + 2, "&m ");
            }
            let l = &mut lignes[b % n];
            if let Some(i) = l.find(": ") {
                l.truncate(i + 2);
                l.push_str("*m");
            }
        }
    }
    lignes.join("\n") + "\n"
}

/// Analysed cases and valid ones among them (printed with `--nocapture`):
/// how many went through compute and controle.
static CAS: AtomicUsize = AtomicUsize::new(0);
static VALIDES: AtomicUsize = AtomicUsize::new(0);
static RENDUS: AtomicUsize = AtomicUsize::new(0);
static COMPOSES: AtomicUsize = AtomicUsize::new(0);
/// One accepted file in this many is also typeset (render is cheap, layout
/// is not); `PROPTEST_TYPESET` changes it for a long campaign.
static TYPESET_TOUS: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
    std::env::var("PROPTEST_TYPESET")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
});

fn rendu() -> &'static convflux::render::Rendu {
    static R: std::sync::OnceLock<convflux::render::Rendu> = std::sync::OnceLock::new();
    R.get_or_init(convflux::render::Rendu::new)
}

/// The properties every analysed file keeps; panics say which.
fn verifier_proprietes(octets: Vec<u8>) {
    let debut = Instant::now();
    let an = convflux::pipeline::analyser_octets(Path::new("p.yaml"), octets);
    let rapport = an.diagnostics_rendus();
    let n = CAS.fetch_add(1, Ordering::Relaxed) + 1;
    if an.valide() {
        VALIDES.fetch_add(1, Ordering::Relaxed);
    }
    if n.is_multiple_of(10_000) {
        eprintln!(
            "{n} cas analysés, {} valides (calcul et contrôle exécutés), {} documents rendus, {} composés",
            VALIDES.load(Ordering::Relaxed),
            RENDUS.load(Ordering::Relaxed),
            COMPOSES.load(Ordering::Relaxed)
        );
    }
    if an.valide() {
        for f in &an.flux {
            for a in &f.annexes {
                assert!(a.parc_soumis <= a.logements, "{a:?}");
                assert!(a.mobilisables <= a.flux_previsionnel, "{a:?}");
                assert!(a.affectes <= a.mobilisables, "{a:?}");
            }
        }
        // What `verifier` accepts, `generer` can render: every document of
        // every exercise; one accepted file in TYPESET_TOUS is typeset too.
        let c = an.convention.as_ref().unwrap();
        let valides = VALIDES.load(Ordering::Relaxed);
        for f in &an.flux {
            let docs = rendu()
                .documents(c, f, &an.flux)
                .unwrap_or_else(|e| panic!("accepté par verifier, rendu impossible : {e:#}"));
            RENDUS.fetch_add(docs.len(), Ordering::Relaxed);
            if valides.is_multiple_of(*TYPESET_TOUS) {
                for d in &docs {
                    commun::ts()
                        .compile(&d.source, &d.ident)
                        .unwrap_or_else(|e| {
                            panic!("accepté par verifier, composition impossible : {e:#}")
                        });
                    convflux::typeset::liberer_caches();
                    COMPOSES.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    } else {
        assert!(an.diags.a_des_erreurs(), "invalide sans erreur");
        assert!(rapport.contains("erreur"), "{rapport}");
    }
    // No hang: a convention is analysed in milliseconds; allow a slow debug build.
    assert!(
        debut.elapsed() < Duration::from_secs(5),
        "{:?}",
        debut.elapsed()
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Up to six mutations of a valid file.
    #[test]
    fn proprietes_fichiers_mutes(b in 0usize..7, ms in proptest::collection::vec(mutation(), 1..6)) {
        let bases = bases();
        let mut t = bases[b % bases.len()].clone();
        for m in &ms {
            t = appliquer(&t, m);
        }
        verifier_proprietes(t.into_bytes());
    }

    /// Any bytes, including invalid UTF-8.
    #[test]
    fn proprietes_octets_quelconques(octets in proptest::collection::vec(any::<u8>(), 0..2048)) {
        verifier_proprietes(octets);
    }

    /// YAML-looking text made of the format's own tokens.
    #[test]
    fn proprietes_jetons_yaml(jetons in proptest::collection::vec(prop_oneof![
        Just("convention:\n"), Just("  id: x\n"), Just("  modele: intercommunal\n"),
        Just("exercices:\n"), Just("  - annee: 2024\n"), Just("    annexes:\n"),
        Just("      - reservataire: x\n"), Just("        patrimoine: { date: 2023-12-31, logements: 10 }\n"),
        Just("        rotation: 6\n"), Just("        taux: 10\n"), Just("reservataires:\n"),
        Just("  - { id: x, nom: X, nature: commune, signataire: { qualite: M } }\n"),
        Just(": "), Just("- "), Just("["), Just("]"), Just("{"), Just("}"), Just(","),
        Just("&a "), Just("*a"), Just("<<: "), Just("? "), Just("!!str "), Just("\"x\""),
        Just("'"), Just("#"), Just("\n"), Just("  "), Just("\t"), Just("---\n"), Just("...\n"),
        Just("%YAML 1.2\n"), Just("|\n"), Just(">\n"), Just("99999999999999999999"), Just("-5"),
    ], 0..60)) {
        verifier_proprietes(jetons.concat().into_bytes());
    }
}
