//! `convflux verifier`: load + validate + compute + controle, print every
//! diagnostic, a summary line, exit 1 if any file has errors.
//!
//! Files are analysed by one plain thread per core (they share an atomic
//! index); then the stage across files checks what one bailleur grants on
//! one assiette over all of them; reports are printed by the main thread in
//! the order of the files, so the output is the same whatever the number of
//! cores.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use crate::cli::FormatDiagnostics;
use crate::cli::VerifierArgs;
use crate::commands::{Issue, pluriel};
use crate::diagnostic::{self, Severity};
use crate::pipeline;

/// What one file's analysis leaves to print and count.
struct Verdict {
    diagnostics: String,
    /// With `--format json`: the file's entry.
    json: Option<serde_json::Value>,
    erreurs: usize,
    avertissements: usize,
    valide: bool,
}

/// One file's own analysis; `None` after a panic (reported as an internal error).
fn analyser(f: &Path, borne: &Path) -> Option<pipeline::Analyse> {
    panic::catch_unwind(AssertUnwindSafe(|| {
        let mut an = pipeline::analyser_dans(f, borne);
        // Logos are read for their checks; nothing here prints them.
        an.images.clear();
        an
    }))
    .ok()
}

fn verdict(f: &Path, an: Option<pipeline::Analyse>, quiet: bool, json: bool) -> Verdict {
    let analyse = an.and_then(|mut an| {
        panic::catch_unwind(AssertUnwindSafe(|| {
            if quiet {
                an.diags.0.retain(|d| d.severity == Severity::Erreur);
            }
            Verdict {
                json: json.then(|| {
                    serde_json::json!({
                        "fichier": f.display().to_string(),
                        "valide": an.valide(),
                        "diagnostics": diagnostic::en_json(
                            &an.diags,
                            &f.display().to_string(),
                            &an.source,
                        ),
                    })
                }),
                diagnostics: an.diagnostics_rendus(),
                erreurs: an.diags.erreurs(),
                avertissements: an.diags.avertissements(),
                valide: an.valide(),
            }
        }))
        .ok()
    });
    analyse.unwrap_or_else(|| Verdict {
        json: json.then(|| {
            serde_json::json!({
                "fichier": f.display().to_string(),
                "valide": false,
                "diagnostics": [{
                    "fichier": f.display().to_string(),
                    "gravite": "erreur",
                    "message": "erreur interne pendant la vérification de ce fichier",
                    "position": null, "etiquette": "", "notes": [],
                    "regle": "erreur interne", "suggestion": null,
                }],
            })
        }),
        diagnostics: format!(
            "erreur : {} : erreur interne pendant la vérification de ce fichier\n",
            crate::diagnostic::affichable(&f.display().to_string())
        ),
        erreurs: 1,
        avertissements: 0,
        valide: false,
    })
}

pub fn executer(a: VerifierArgs) -> anyhow::Result<Issue> {
    let fichiers = crate::commands::lister(&a.entrees.chemins, a.quiet)?;
    let (mut erreurs, mut avertissements, mut invalides) = (0, 0, 0);
    let mut entrees_json = Vec::new();
    let travailleurs = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, fichiers.len().max(1));
    let suivant = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Option<pipeline::Analyse>)>();
    let mut analyses: Vec<Option<pipeline::Analyse>> = Vec::new();
    thread::scope(|s| {
        for _ in 0..travailleurs {
            let tx = tx.clone();
            let (suivant, fichiers) = (&suivant, &fichiers);
            let chemins = &a.entrees.chemins;
            s.spawn(move || {
                loop {
                    let i = suivant.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = fichiers.get(i) else { break };
                    let an = analyser(f, &crate::modeles::projet::borne(chemins, f));
                    if tx.send((i, an)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut par_indice: BTreeMap<usize, Option<pipeline::Analyse>> = rx.into_iter().collect();
        analyses = (0..fichiers.len())
            .map(|i| par_indice.remove(&i).flatten())
            .collect();
    });
    // The stage across files: what one bailleur grants on one assiette
    // over every file given (pipeline::controler_ensemble).
    let resumes: Vec<_> = analyses
        .iter()
        .map(|an| an.as_ref().and_then(pipeline::Analyse::resume))
        .collect();
    for (i, ds) in pipeline::controler_ensemble(&resumes) {
        if let Some(an) = analyses.get_mut(i).and_then(Option::as_mut) {
            an.ajouter(ds);
        }
    }
    let json = a.format == FormatDiagnostics::Json;
    for (f, an) in fichiers.iter().zip(analyses) {
        let v = verdict(f, an, a.quiet, json);
        match v.json {
            Some(j) => entrees_json.push(j),
            None => eprint!("{}", v.diagnostics),
        }
        erreurs += v.erreurs;
        avertissements += v.avertissements;
        if !v.valide {
            invalides += 1;
        }
    }
    if a.format == FormatDiagnostics::Json {
        // One JSON document on standard output (docs/format.md).
        let sortie = serde_json::json!({
            "format": diagnostic::FORMAT_JSON,
            "fichiers": entrees_json,
            "resume": {
                "fichiers": fichiers.len(),
                "en_erreur": invalides,
                "erreurs": erreurs,
                "avertissements": avertissements,
            },
        });
        println!("{}", serde_json::to_string_pretty(&sortie)?);
    } else if !a.quiet || invalides > 0 {
        // With --quiet, only errors: the summary too, when there are some.
        eprintln!(
            "{} vérifié{}, {} en erreur : {}, {}",
            pluriel(fichiers.len(), "fichier"),
            if fichiers.len() > 1 { "s" } else { "" },
            invalides,
            pluriel(erreurs, "erreur"),
            pluriel(avertissements, "avertissement"),
        );
    }
    Ok(if invalides > 0 {
        Issue::ErreursDeDonnees
    } else {
        Issue::Succes
    })
}
