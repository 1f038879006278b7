//! `convflux surveiller`: generates the documents of the given files, then
//! watches them (`notify`) and regenerates, on each save, the documents of
//! the files that changed, printing their diagnostics, until Ctrl-C.
//!
//! Every generation goes through `generer`'s own path (`generer::executer_dans`:
//! pipeline, manifest, output folder), in one session that holds the output
//! folder's lock from start to end: another `generer` on the same folder is
//! refused while this one watches.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use notify::{EventKind, RecursiveMode, Watcher};

use crate::cli::{Entrees, GenererArgs, SurveillerArgs};
use crate::commands::generer::{self, Session};
use crate::commands::{Issue, pluriel};

/// How long the watcher waits after a change for the editor to finish
/// writing (a save is often several events: truncate, write, rename).
const ACCALMIE: Duration = Duration::from_millis(100);

pub fn executer(a: SurveillerArgs) -> anyhow::Result<Issue> {
    let args = |chemins: Vec<PathBuf>, force: bool| GenererArgs {
        entrees: Entrees { chemins },
        sortie: a.sortie.clone(),
        annee: None,
        typst: false,
        sans_champs_signature: false,
        force,
        quiet: false,
        // What was saved is shown in full.
        detail_avertissements: true,
        // One file at a time is typeset in this process: no worker to start.
        travailleurs: Some(1),
        travailleur_interne: None,
        execution_interne: None,
    };
    let fichiers = crate::commands::lister(&a.entrees.chemins, false)?;
    let initiaux = args(a.entrees.chemins.clone(), false);
    let session = Session::ouvrir(&initiaux, &fichiers)?;
    let mut entrees: BTreeSet<PathBuf> = fichiers.iter().cloned().collect();
    generer::executer_dans(&initiaux, fichiers, &session, Instant::now())?;

    let (tx, rx) = mpsc::channel();
    let mut veilleur =
        notify::recommended_watcher(tx).context("surveillance des fichiers impossible")?;
    // A file is watched through its folder: editors save by writing a new
    // file and renaming it over the old one.
    let mut fichiers_suivis = BTreeSet::new();
    let mut dossiers_suivis = Vec::new();
    for c in &a.entrees.chemins {
        let absolu = std::path::absolute(c).unwrap_or_else(|_| c.clone());
        if absolu.is_dir() {
            veilleur
                .watch(&absolu, RecursiveMode::Recursive)
                .with_context(|| format!("surveillance de {} impossible", c.display()))?;
            dossiers_suivis.push(absolu);
        } else {
            let parent = absolu.parent().unwrap_or(Path::new("/")).to_path_buf();
            veilleur
                .watch(&parent, RecursiveMode::NonRecursive)
                .with_context(|| format!("surveillance de {} impossible", c.display()))?;
            fichiers_suivis.insert(absolu);
        }
    }
    let sortie = std::path::absolute(&a.sortie).unwrap_or_else(|_| a.sortie.clone());
    let suivi = |p: &Path| {
        p.extension().is_some_and(|e| e == "yaml" || e == "yml")
            && !p.starts_with(&sortie)
            && (fichiers_suivis.contains(p) || dossiers_suivis.iter().any(|d| p.starts_with(d)))
    };
    eprintln!(
        "surveillance de {} ; les documents vont dans {} ; Ctrl-C pour arrêter",
        pluriel(a.entrees.chemins.len(), "chemin"),
        a.sortie.display()
    );
    loop {
        // The first change, then everything else saved in the same moment.
        let Ok(premier) = rx.recv() else {
            anyhow::bail!("la surveillance des fichiers s'est arrêtée");
        };
        let mut changes = BTreeSet::new();
        let mut noter = |r: notify::Result<notify::Event>| {
            if let Ok(e) = r
                && matches!(e.kind, EventKind::Create(_) | EventKind::Modify(_))
            {
                changes.extend(e.paths.into_iter().filter(|p| suivi(p)));
            }
        };
        noter(premier);
        let fin = Instant::now() + ACCALMIE;
        while let Some(reste) = fin.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(reste) {
                Ok(r) => noter(r),
                Err(_) => break,
            }
        }
        let changes: Vec<PathBuf> = changes.into_iter().filter(|p| p.is_file()).collect();
        if changes.is_empty() {
            continue;
        }
        let debut = Instant::now();
        let ici = std::env::current_dir().unwrap_or_default();
        let changes: Vec<PathBuf> = changes
            .into_iter()
            .map(|p| p.strip_prefix(&ici).map(Path::to_path_buf).unwrap_or(p))
            .collect();
        for p in &changes {
            eprintln!(
                "modifié : {}",
                crate::diagnostic::affichable(&p.display().to_string())
            );
        }
        // Saved means regenerated, even if the content is the same. A file
        // deleted and written anew has a new inode: the inputs are taken
        // again, so that its old inode, reused by an output, is not one.
        entrees.extend(changes.iter().cloned());
        session.renouveler_entrees(&entrees.iter().cloned().collect::<Vec<_>>());
        let r = args(changes.clone(), true);
        if let Err(e) = generer::executer_dans(&r, changes, &session, debut) {
            eprintln!(
                "erreur : {}",
                crate::diagnostic::affichable(&crate::input::en_francais(&e))
            );
        }
    }
}
