//! The floor of `bench/run.sh`: the time to lay out, once and in-process,
//! the pages `convflux generer` produces, and nothing else (no YAML, no
//! template, no PDF, no file written).
//!
//! ```text
//! cargo run --release --example plancher -- <dossier de sortie> [fils]
//! ```
//!
//! Reads the Typst sources `generer --typst` wrote under the output folder
//! and lays out each composition (every source but the annexes alone, whose
//! pages are those of their convention or avenant) with the embedded
//! typesetter, on `fils` threads (2 by default) sharing Typst's memo as
//! `generer` does in one process. Prints one line: seconds, compositions,
//! pages. `bench/run.sh` divides it by `generer`'s time: the efficiency.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use convflux::typeset::Typesetter;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dossier) = args.first() else {
        eprintln!("usage : plancher <dossier de sortie> [fils]");
        std::process::exit(2);
    };
    let fils: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2).max(1);
    let mut sources = Vec::new();
    collecter(Path::new(dossier), &mut sources);
    sources.sort();
    let textes: Vec<String> = sources
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("lecture"))
        .collect();
    let ts = Typesetter::new().expect("typesetter");
    let suivant = AtomicUsize::new(0);
    let pages = AtomicUsize::new(0);
    let erreurs = Mutex::new(Vec::new());
    let debut = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..fils {
            s.spawn(|| {
                loop {
                    let i = suivant.fetch_add(1, Ordering::Relaxed);
                    let Some(texte) = textes.get(i) else { break };
                    match ts.composer(texte) {
                        Ok(d) => {
                            pages.fetch_add(d.pages().len(), Ordering::Relaxed);
                        }
                        Err(e) => erreurs
                            .lock()
                            .unwrap()
                            .push(format!("{} : {e}", sources[i].display())),
                    }
                    typst::comemo::evict(2 * fils);
                }
            });
        }
    });
    let secondes = debut.elapsed().as_secs_f64();
    let erreurs = erreurs.into_inner().unwrap();
    if !erreurs.is_empty() {
        eprintln!("{}", erreurs.join("\n"));
        std::process::exit(1);
    }
    println!(
        "{secondes:.2} s, {} compositions, {} pages",
        textes.len(),
        pages.load(Ordering::Relaxed)
    );
}

/// The compositions' sources under `d`: every `.typ` but the library and the
/// annexes alone.
fn collecter(d: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entrees) = std::fs::read_dir(d) else {
        return;
    };
    for e in entrees.flatten() {
        let p = e.path();
        let nom = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if nom != "lib" {
                collecter(&p, out);
            }
        } else if nom.ends_with(".typ") && !nom.starts_with("annexe-") {
            out.push(p);
        }
    }
}
