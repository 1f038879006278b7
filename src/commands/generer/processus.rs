//! Worker processes of `generer` (see the parent module for why processes).
//!
//! Each worker thread of the main process drives at most one worker process,
//! started the first time a file needs typesetting: `convflux generer …
//! --travailleur-interne <pid>`, the same options, talking in JSON lines on its
//! standard input and output. The main process sends a file to produce; the
//! worker may ask to claim a convention's folder (the claims of the run live in
//! the main process) and gets the answer; then it sends its report. When its
//! standard input closes, it sends its peak memory and ends.
//!
//! A worker process that dies in the middle of a file fails that file only;
//! the next file gets a new process. A worker whose parent was killed writes
//! nothing more: it checks, before each file it would write, that its parent
//! is still the process that started it.

use std::io::{self, BufRead, BufReader, BufWriter, Stdin, Stdout, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::{
    Avancement, FileReport, Resultat, Travail, contexte, examiner, memoire_max_mio, traiter_protege,
};
use crate::cli::GenererArgs;
use crate::commands::Issue;
use crate::input;
use crate::output::Dossier;
use crate::output::manifest::Manifeste;
use crate::render::Rendu;
use crate::typeset::Typesetter;

/// From the main process to a worker process.
#[derive(Serialize, Deserialize)]
enum VersTravailleur {
    /// Produce this file.
    Fichier(PathBuf),
    /// The answer to [`DuTravailleur::Revendique`].
    Reponse(Result<(), String>),
}

/// From a worker process to the main process.
#[derive(Serialize, Deserialize)]
enum DuTravailleur {
    /// May this source write this convention's folder?
    Revendique { convention: String, source: String },
    /// An exercise of the file is produced and installed.
    Avancement(Box<Avancement>),
    /// The file is done.
    FileReport(Box<FileReport>),
    /// No more files: the worker's peak memory, before it ends.
    Fin { memoire_max_mio: Option<u64> },
}

/// The worker process of one worker thread of the main process.
pub(super) struct Travailleurs {
    /// Whether files go to a worker process (else: done in this process).
    actif: bool,
    enfant: Option<Enfant>,
}

impl Travailleurs {
    pub(super) fn new(actif: bool) -> Self {
        Travailleurs {
            actif,
            enfant: None,
        }
    }

    /// Has a worker process produce `f`. `None`: do it in this process
    /// (processes off, or none could be started).
    pub(super) fn traiter(&mut self, f: &Path, t: &Travail) -> Option<FileReport> {
        if !self.actif {
            return None;
        }
        if self.enfant.is_none() {
            match Enfant::lancer(t.a, t.dossier.execution()) {
                Ok(e) => self.enfant = Some(e),
                Err(_) => {
                    self.actif = false;
                    return None;
                }
            }
        }
        let enfant = self.enfant.as_mut()?;
        match enfant.traiter(f, t.revendiquer, t.avancer) {
            Ok(r) => Some(r),
            Err(detail) => {
                if let Some(e) = self.enfant.take() {
                    e.tuer();
                }
                Some(FileReport {
                    chemin: f.display().to_string(),
                    diagnostics: String::new(),
                    avertissements: 0,
                    regles: std::collections::BTreeMap::new(),
                    exercices: Vec::new(),
                    resultat: Resultat::Echec(format!(
                        "erreur interne : le processus de travail s'est arrêté ({detail}), \
                         aucun document produit pour ce fichier"
                    )),
                })
            }
        }
    }

    /// Ends the worker process; its peak memory in MiB (0 if none ran).
    pub(super) fn finir(mut self) -> u64 {
        self.enfant
            .take()
            .and_then(Enfant::finir)
            .unwrap_or_default()
    }
}

/// A running worker process and its pipes.
struct Enfant {
    processus: Child,
    entree: BufWriter<ChildStdin>,
    sortie: BufReader<ChildStdout>,
}

impl Enfant {
    /// Starts this executable as a worker with the options of `a`.
    fn lancer(a: &GenererArgs, execution: &str) -> io::Result<Enfant> {
        let mut c = Command::new(std::env::current_exe()?);
        c.arg("generer").arg("--sortie").arg(&a.sortie);
        if let Some(annee) = a.annee {
            c.arg("--annee").arg(annee.to_string());
        }
        for (oui, option) in [
            (a.typst, "--typst"),
            (a.sans_champs_signature, "--sans-champs-signature"),
            (a.force, "--force"),
            (a.quiet, "--quiet"),
            (a.detail_avertissements, "--detail-avertissements"),
        ] {
            if oui {
                c.arg(option);
            }
        }
        // The worker renders diagnostics for this process's stderr: as decided here.
        c.arg("--couleur").arg(if crate::diagnostic::en_couleur() {
            "toujours"
        } else {
            "jamais"
        });
        c.arg("--travailleur-interne")
            .arg(std::process::id().to_string())
            .arg("--execution-interne")
            .arg(execution)
            .arg("--")
            .args(&a.entrees.chemins)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut processus = c.spawn()?;
        let (Some(entree), Some(sortie)) = (processus.stdin.take(), processus.stdout.take()) else {
            let _ = processus.kill();
            let _ = processus.wait();
            return Err(io::Error::other("tubes du processus de travail absents"));
        };
        Ok(Enfant {
            processus,
            entree: BufWriter::new(entree),
            sortie: BufReader::new(sortie),
        })
    }

    fn envoyer(&mut self, m: &VersTravailleur) -> Result<(), String> {
        ecrire_ligne(&mut self.entree, m).map_err(|e| self.cause(&e.to_string()))
    }

    fn recevoir(&mut self) -> Result<DuTravailleur, String> {
        let mut ligne = String::new();
        match self.sortie.read_line(&mut ligne) {
            Ok(0) => Err(self.cause("fin de sa sortie")),
            Ok(_) => serde_json::from_str(&ligne)
                .map_err(|e| self.cause(&format!("message illisible : {e}"))),
            Err(e) => Err(self.cause(&e.to_string())),
        }
    }

    /// Why the process stopped talking, once it has ended.
    fn cause(&mut self, detail: &str) -> String {
        match self.processus.try_wait() {
            Ok(Some(statut)) => match statut.code() {
                Some(code) => format!("code de sortie {code}"),
                None => {
                    #[cfg(unix)]
                    {
                        use std::os::unix::process::ExitStatusExt;
                        if let Some(signal) = statut.signal() {
                            return format!("arrêté par le signal {signal}");
                        }
                    }
                    detail.to_string()
                }
            },
            _ => detail.to_string(),
        }
    }

    /// Sends `f`, answers the worker's claims, returns its report.
    fn traiter(
        &mut self,
        f: &Path,
        revendiquer: &(dyn Fn(&str, &str) -> Result<(), String> + Sync),
        avancer: &(dyn Fn(Avancement) + Sync),
    ) -> Result<FileReport, String> {
        self.envoyer(&VersTravailleur::Fichier(f.to_path_buf()))?;
        loop {
            match self.recevoir()? {
                DuTravailleur::Revendique { convention, source } => {
                    let reponse = revendiquer(&convention, &source);
                    self.envoyer(&VersTravailleur::Reponse(reponse))?;
                }
                DuTravailleur::Avancement(a) => avancer(*a),
                DuTravailleur::FileReport(r) => return Ok(*r),
                DuTravailleur::Fin { .. } => return Err(self.cause("fin prématurée")),
            }
        }
    }

    /// Closes the worker's input, waits for its end; its peak memory.
    fn finir(self) -> Option<u64> {
        let Enfant {
            mut processus,
            entree,
            mut sortie,
        } = self;
        drop(entree);
        let mut memoire = None;
        let mut ligne = String::new();
        while sortie.read_line(&mut ligne).is_ok_and(|n| n > 0) {
            if let Ok(DuTravailleur::Fin { memoire_max_mio }) = serde_json::from_str(&ligne) {
                memoire = memoire_max_mio;
            }
            ligne.clear();
        }
        let _ = processus.wait();
        memoire
    }

    fn tuer(mut self) {
        let _ = self.processus.kill();
        let _ = self.processus.wait();
    }
}

fn ecrire_ligne<T: Serialize>(w: &mut impl Write, m: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, m)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// The process that started this worker process, if this is one.
static PARENT: OnceLock<u32> = OnceLock::new();

/// Ends a worker process whose parent is gone (killed): it must not write
/// files the next run does not expect.
pub(super) fn arreter_si_orphelin() {
    #[cfg(unix)]
    if let Some(&parent) = PARENT.get()
        && std::os::unix::process::parent_id() != parent
    {
        std::process::exit(3);
    }
}

/// The worker process's side of the conversation.
struct Canal {
    entree: BufReader<Stdin>,
    sortie: BufWriter<Stdout>,
}

impl Canal {
    fn lire(&mut self) -> Option<VersTravailleur> {
        let mut ligne = String::new();
        match self.entree.read_line(&mut ligne) {
            Ok(n) if n > 0 => serde_json::from_str(&ligne).ok(),
            _ => None,
        }
    }

    fn suivant(&mut self) -> Option<PathBuf> {
        match self.lire()? {
            VersTravailleur::Fichier(f) => Some(f),
            VersTravailleur::Reponse(_) => None,
        }
    }

    fn revendiquer(&mut self, convention: &str, source: &str) -> Result<(), String> {
        let question = DuTravailleur::Revendique {
            convention: convention.to_owned(),
            source: source.to_owned(),
        };
        let perdu = || "processus principal injoignable, aucun document produit".to_owned();
        ecrire_ligne(&mut self.sortie, &question).map_err(|_| perdu())?;
        match self.lire() {
            Some(VersTravailleur::Reponse(r)) => r,
            _ => Err(perdu()),
        }
    }
}

fn verrou(c: &Mutex<Canal>) -> MutexGuard<'_, Canal> {
    c.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The worker process: produces the files it is sent, one at a time, in this
/// process alone (its own Typst caches), and reports each.
pub(super) fn travailleur(a: &GenererArgs, parent: u32) -> anyhow::Result<Issue> {
    let _ = PARENT.set(parent);
    arreter_si_orphelin();
    let rendu = Rendu::new();
    let ts = Typesetter::new()?.champs_signature(!a.sans_champs_signature);
    // What is up to date was decided by the main process; this copy of the
    // manifest serves the records of the files sent here, which the main
    // process does not change while they are being produced.
    let (manifeste, _) = Manifeste::charger(&a.sortie);
    // The folder as the main process took it (it holds the lock).
    let fichiers = input::lister(&a.entrees.chemins)
        .map(|l| l.fichiers)
        .unwrap_or_default();
    let execution = a.execution_interne.as_deref().unwrap_or("0000000000000000");
    let dossier = Dossier::rejoindre(&a.sortie, execution, &fichiers);
    let manifeste = RwLock::new(manifeste);
    let ctx = contexte(a);
    let canal = Mutex::new(Canal {
        entree: BufReader::new(io::stdin()),
        sortie: BufWriter::new(io::stdout()),
    });
    let revendiquer =
        |convention: &str, source: &str| verrou(&canal).revendiquer(convention, source);
    // A lost pipe shows at the file's report, which then fails.
    let avancer = |a: Avancement| {
        let _ = ecrire_ligne(
            &mut verrou(&canal).sortie,
            &DuTravailleur::Avancement(Box::new(a)),
        );
    };
    let travail = Travail {
        a,
        rendu: &rendu,
        ts: &ts,
        manifeste: &manifeste,
        ctx: &ctx,
        dossier: &dossier,
        travailleurs: 1,
        revendiquer: &revendiquer,
        avancer: &avancer,
    };
    loop {
        let Some(f) = verrou(&canal).suivant() else {
            break;
        };
        let r = traiter_protege(&f, examiner(&f, &travail), &travail);
        if ecrire_ligne(
            &mut verrou(&canal).sortie,
            &DuTravailleur::FileReport(Box::new(r)),
        )
        .is_err()
        {
            break;
        }
    }
    let fin = DuTravailleur::Fin {
        memoire_max_mio: memoire_max_mio(),
    };
    let _ = ecrire_ligne(&mut verrou(&canal).sortie, &fin);
    Ok(Issue::Succes)
}
