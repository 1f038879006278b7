//! `convflux generer`: for each valid file and each exercise, render the
//! documents, typeset them and write them atomically under
//! `<sortie>/<annee>/<convention>/`.
//!
//! Files are shared among one worker per core through an atomic index. A
//! worker first hashes its file: a file whose outputs are recorded in
//! `<sortie>/manifest.json` with unchanged inputs is only hashed (unless
//! `--force`). Any other file is handed to a worker process of its own
//! (`processus`): analysis, render, typeset, write, and its report comes back
//! to the main thread, which prints, shows progress and keeps the manifest. A
//! file with errors produces nothing and is reported; the others are still
//! produced; exit 1 if any failed.
//!
//! Why processes rather than threads: Typst's memoization is process-wide
//! (global caches behind locks) and its layout runs on a rayon pool; two
//! documents typeset by two threads of one process contend for both. Two
//! worker processes, each with its own caches, did the same work 14 % faster
//! than two threads on 2 cores (docs/performance.md). With one worker, or if
//! a worker process cannot be started, the work is done in this process.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::IsTerminal;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

mod processus;

use crate::cli::GenererArgs;
use crate::commands::{Issue, pluriel};
use crate::diagnostic::Severity;
use crate::francais;
use crate::input;
use crate::modeles::projet;
use crate::output;
use crate::output::manifest::{self, AJour, Contexte, Manifeste, MiseAJour};
use crate::pipeline::{self, Analyse};
use crate::render::Rendu;
use crate::typeset::{self, Typesetter};

/// Counts for the final summary.
#[derive(Default, Debug, Clone, Copy)]
struct Summary {
    documents: usize,
    pages: usize,
    /// PDF files left as they were (inputs unchanged).
    a_jour: usize,
    avertissements: usize,
    /// Of which: warnings of files up to date, recorded at their last analysis.
    avertissements_a_jour: usize,
    fichiers_en_erreur: usize,
    fichiers_faits: usize,
}

/// What a worker tells the main thread about one file.
#[derive(serde::Serialize, serde::Deserialize)]
struct FileReport {
    chemin: String,
    /// The diagnostics as the user reads them (only errors with `--quiet`).
    diagnostics: String,
    avertissements: usize,
    /// This analysis's warnings by rule, when they are not in `diagnostics`.
    #[serde(default)]
    regles: BTreeMap<String, usize>,
    /// The exercise years of the file (empty when it could not be read).
    exercices: Vec<i32>,
    resultat: Resultat,
}

#[derive(serde::Serialize, serde::Deserialize)]
enum Resultat {
    AJour(AJour),
    /// Every exercise to redo was produced (each one already reported by
    /// an [`Avancement`]); `maj` closes the file's records (its exercise
    /// list, its warnings, the years it no longer has).
    Produit {
        /// PDF files of exercises that were up to date.
        inchanges: usize,
        maj: MiseAJour,
    },
    Echec(String),
}

/// One exercise of a file produced, installed and ready to record: sent to
/// the main thread as soon as it is done, so a file of many years shows
/// progress and keeps what it finished if a later year fails.
#[derive(serde::Serialize, serde::Deserialize)]
struct Avancement {
    documents: usize,
    pages: usize,
    /// The records of this exercise (its year in `annees`, its outputs).
    maj: MiseAJour,
}

/// Drops the exercises' sender when the last worker thread ends, even by a
/// panic: then every sender is gone and the main thread's loop ends.
struct DernierTravailleur<'a> {
    actifs: &'a AtomicUsize,
    tx: &'a Mutex<Option<mpsc::Sender<Message>>>,
}

impl Drop for DernierTravailleur<'_> {
    fn drop(&mut self) {
        if self.actifs.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.tx
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
        }
    }
}

/// What the workers send the main thread.
enum Message {
    Avancement(Avancement),
    Rapport(FileReport),
}

/// Everything a worker reads, shared by reference.
struct Travail<'a> {
    a: &'a GenererArgs,
    rendu: &'a Rendu,
    ts: &'a Typesetter,
    /// The manifest: workers read what is up to date, the main thread records
    /// what they produced (each source's records are its own, so a worker
    /// never reads a record the main thread is changing).
    manifeste: &'a RwLock<Manifeste>,
    ctx: &'a Contexte,
    /// The output folder, taken by the main process.
    dossier: &'a output::Dossier,
    /// Workers typesetting in this process at the same time.
    travailleurs: usize,
    /// Claims a convention's output folder for a source in this run (two
    /// files must not write the same folder): [`revendiquer`] in the main
    /// process, a question to it from a worker process.
    revendiquer: &'a (dyn Fn(&str, &str) -> Result<(), String> + Sync),
    /// Hands an exercise just produced to the main thread (through the
    /// worker process's pipe when there is one).
    avancer: &'a (dyn Fn(Avancement) + Sync),
}

/// Memoized results of Typst kept between documents, in documents per worker,
/// when several workers typeset in one process (only if worker processes
/// cannot be started: a worker process is alone and evicts everything).
///
/// `typeset::liberer_caches()` (`comemo::evict(0)`) after each document keeps
/// memory flat for one thread, but with several workers it also wipes the
/// memo of the documents the others are in the middle of (Typst lays a
/// document out several times and relies on that memo): measured on 100
/// synthetic conventions on 2 cores, about 20 % more CPU than keeping what
/// was used in the last few documents. Anything unused for this many
/// documents per worker is dropped, so memory stays bounded (docs/performance.md).
const AGE_CACHE_PAR_TRAVAILLEUR: usize = 2;

/// Frees Typst's memoized results not used during the last few documents.
fn liberer_caches(travailleurs: usize) {
    if travailleurs <= 1 {
        typeset::liberer_caches();
    } else {
        typst::comemo::evict(AGE_CACHE_PAR_TRAVAILLEUR * travailleurs);
    }
}

pub fn executer(a: GenererArgs) -> anyhow::Result<Issue> {
    if let Some(parent) = a.travailleur_interne {
        return processus::travailleur(&a, parent);
    }
    let debut = Instant::now();
    let fichiers = crate::commands::lister(&a.entrees.chemins, a.quiet)?;
    let session = Session::ouvrir(&a, &fichiers)?;
    executer_dans(&a, fichiers, &session, debut)
}

/// What a run keeps from one generation to the next (`surveiller` runs
/// many in one session): the templates, the typesetter, and the output
/// folder taken by this process (its lock held until the session ends).
pub(crate) struct Session {
    rendu: Rendu,
    ts: Typesetter,
    dossier: output::Dossier,
}

impl Session {
    pub(crate) fn ouvrir(a: &GenererArgs, fichiers: &[PathBuf]) -> anyhow::Result<Session> {
        Ok(Session {
            rendu: Rendu::new(),
            ts: Typesetter::new()?.champs_signature(!a.sans_champs_signature),
            dossier: output::Dossier::prendre(&a.sortie, fichiers)?,
        })
    }

    /// The input files of the next generation, as they are now.
    pub(crate) fn renouveler_entrees(&self, fichiers: &[PathBuf]) {
        self.dossier.renouveler_entrees(fichiers);
    }
}

/// Generates the documents of `fichiers` into the session's output folder.
pub(crate) fn executer_dans(
    a: &GenererArgs,
    fichiers: Vec<PathBuf>,
    session: &Session,
    debut: Instant,
) -> anyhow::Result<Issue> {
    let Session { rendu, ts, dossier } = session;
    let (manifeste, avertissements) = Manifeste::charger(&a.sortie);
    let ctx = contexte(a);
    let mut affichage = Affichage::new(a.quiet, fichiers.len());
    if !a.quiet && !a.force {
        for e in avertissements {
            affichage.imprimer(&format!("avertissement : {e}\n"));
        }
    }

    let mut manifeste = manifeste;
    let mut a_enregistrer = manifeste.ancien_format;
    if a.typst {
        let bibliotheque = pipeline::ecrire_bibliotheque(dossier, &ctx)?;
        a_enregistrer = bibliotheque
            .iter()
            .any(|(k, o)| manifeste.sorties.get(k) != Some(o));
        manifeste.ajouter(bibliotheque);
    }
    let manifeste = RwLock::new(manifeste);
    let travailleurs = a
        .travailleurs
        .map(usize::from)
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, fichiers.len().max(1));
    let conventions = Mutex::new(HashMap::new());
    let revendiquer_ici =
        |convention: &str, source: &str| revendiquer(&conventions, convention, source);
    let (tx, rx) = mpsc::channel::<Message>();
    // The exercises' sender lives until the last worker thread ends (see
    // `DernierTravailleur`), so that the main thread's loop ends with them.
    let tx_avancement = Mutex::new(Some(tx.clone()));
    let avancer_ici = |a: Avancement| {
        if let Some(tx) = &*tx_avancement.lock().unwrap_or_else(PoisonError::into_inner) {
            let _ = tx.send(Message::Avancement(a));
        }
    };
    let actifs = AtomicUsize::new(travailleurs);
    let travail = Travail {
        a,
        rendu,
        ts,
        manifeste: &manifeste,
        ctx: &ctx,
        dossier,
        travailleurs,
        revendiquer: &revendiquer_ici,
        avancer: &avancer_ici,
    };
    // The stage across files (what one bailleur grants on one assiette):
    // a file refused there produces nothing, whether or not it is up to date.
    let refus = pipeline::controler_fichiers(&fichiers, &|f| projet::borne(&a.entrees.chemins, f));
    let mut totaux = Summary::default();
    let mut enregistre = Instant::now();
    let mut intervalle = Duration::from_secs(2);
    let suivant = AtomicUsize::new(0);
    let memoire_travailleurs = AtomicU64::new(0);
    let mut annees_presentes = std::collections::BTreeSet::new();
    let mut par_regle: BTreeMap<String, usize> = BTreeMap::new();

    thread::scope(|s| {
        for _ in 0..travailleurs {
            let tx = tx.clone();
            let (travail, suivant, fichiers, memoire, refus) =
                (&travail, &suivant, &fichiers, &memoire_travailleurs, &refus);
            let dernier = DernierTravailleur {
                actifs: &actifs,
                tx: &tx_avancement,
            };
            s.spawn(move || {
                let _dernier = dernier;
                let mut processus = processus::Travailleurs::new(travailleurs > 1);
                loop {
                    let i = suivant.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = fichiers.get(i) else { break };
                    if let Some((ds, source)) = refus.get(&i).filter(|(ds, _)| ds.a_des_erreurs()) {
                        if tx
                            .send(Message::Rapport(refuse(f, ds, source, travail.a)))
                            .is_err()
                        {
                            break;
                        }
                        continue;
                    }
                    let rapport = match examiner(f, travail) {
                        Etat::Fait(r) => *r,
                        etat => processus
                            .traiter(f, travail)
                            .unwrap_or_else(|| traiter_protege(f, etat, travail)),
                    };
                    if tx.send(Message::Rapport(rapport)).is_err() {
                        break;
                    }
                }
                memoire.fetch_add(processus.finir(), Ordering::Relaxed);
            });
        }
        drop(tx);
        for m in rx {
            let r = match m {
                Message::Avancement(a) => {
                    totaux.documents += a.documents;
                    totaux.pages += a.pages;
                    ecrire(&manifeste).remplacer(a.maj);
                    a_enregistrer = true;
                    affichage.avancer(&totaux, debut);
                    continue;
                }
                Message::Rapport(r) => r,
            };
            totaux.fichiers_faits += 1;
            // Counts may come from the manifest, someone else's file: never wrap.
            totaux.avertissements = totaux.avertissements.saturating_add(r.avertissements);
            for (regle, n) in r.regles {
                let compte = par_regle.entry(regle).or_insert(0usize);
                *compte = compte.saturating_add(n);
            }
            annees_presentes.extend(r.exercices.iter().copied());
            if !r.diagnostics.is_empty() {
                affichage.imprimer(&r.diagnostics);
            }
            match r.resultat {
                Resultat::AJour(aj) => {
                    totaux.a_jour = totaux.a_jour.saturating_add(aj.documents);
                    totaux.avertissements_a_jour = totaux
                        .avertissements_a_jour
                        .saturating_add(r.avertissements);
                }
                Resultat::Produit { inchanges, maj } => {
                    totaux.a_jour = totaux.a_jour.saturating_add(inchanges);
                    ecrire(&manifeste).remplacer(maj);
                    a_enregistrer = true;
                }
                Resultat::Echec(message) => {
                    totaux.fichiers_en_erreur += 1;
                    affichage.imprimer(&format!("{} : {message}\n", r.chemin));
                }
            }
            affichage.avancer(&totaux, debut);
            // Save now and then, so an interrupted run keeps what it finished;
            // the interval grows with the cost of writing a big manifest.
            if a_enregistrer && enregistre.elapsed() >= intervalle {
                let t = Instant::now();
                if let Err(e) = lire(&manifeste).enregistrer(dossier) {
                    affichage.imprimer(&format!("avertissement : {e}\n"));
                }
                intervalle = intervalle.max(t.elapsed() * 20);
                enregistre = Instant::now();
                a_enregistrer = false;
            }
        }
    });
    affichage.finir();
    if !a.typst && pipeline::retirer_bibliotheque_orpheline(dossier, &mut ecrire(&manifeste)) {
        a_enregistrer = true;
    }
    if a_enregistrer {
        lire(&manifeste).enregistrer(dossier)?;
    }
    // A year asked for that no file has: say which years there are.
    if let Some(annee) = a.annee
        && totaux.fichiers_en_erreur == 0
        && !annees_presentes.contains(&annee)
    {
        let presentes: Vec<String> = annees_presentes.iter().map(i32::to_string).collect();
        eprintln!(
            "erreur : aucun fichier n'a d'exercice {annee}{}",
            if presentes.is_empty() {
                String::new()
            } else {
                format!(" ; exercices présents : {}", presentes.join(", "))
            }
        );
        return Ok(Issue::ErreursDeDonnees);
    }

    if !a.quiet {
        let memoire = memoire_max_mio().map(|m| m + memoire_travailleurs.load(Ordering::Relaxed));
        eprintln!("{}", resume(&totaux, debut.elapsed(), memoire));
        eprintln!(
            "documents dans {}",
            crate::diagnostic::affichable(&a.sortie.display().to_string())
        );
        if !par_regle.is_empty() {
            eprintln!("avertissements par règle (--detail-avertissements pour les voir un à un) :");
            let mut regles: Vec<(String, usize)> = par_regle.into_iter().collect();
            regles.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            // A rule without a name counts under its message: at most 10 lines.
            let autres: usize = regles.iter().skip(10).map(|r| r.1).sum();
            for (regle, n) in regles.iter().take(10) {
                eprintln!(
                    "  {} : {}",
                    crate::diagnostic::affichable(regle),
                    francais::entier(*n)
                );
            }
            if autres > 0 {
                eprintln!("  autres : {}", francais::entier(autres));
            }
        }
    }
    Ok(if totaux.fichiers_en_erreur > 0 {
        Issue::ErreursDeDonnees
    } else {
        Issue::Succes
    })
}

/// What the manifest records about this run's options and assets.
fn contexte(a: &GenererArgs) -> Contexte {
    Contexte::documents(!a.sans_champs_signature, a.typst)
}

/// The manifest for reading (a panicking worker never holds the lock).
fn lire(m: &RwLock<Manifeste>) -> RwLockReadGuard<'_, Manifeste> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn ecrire(m: &RwLock<Manifeste>) -> RwLockWriteGuard<'_, Manifeste> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

/// The summary line: documents, pages, time, warnings, errors, and the peak
/// memory (`memoire`: of this process plus the peaks of its worker
/// processes, an upper bound of what was in use at once).
fn resume(b: &Summary, duree: Duration, memoire: Option<u64>) -> String {
    let mut s = format!(
        "{} produit{} ({})",
        pluriel(b.documents, "document"),
        if b.documents > 1 { "s" } else { "" },
        pluriel(b.pages, "page"),
    );
    if b.a_jour > 0 {
        s.push_str(&format!(
            ", {} à jour non régénéré{}",
            pluriel(b.a_jour, "document"),
            if b.a_jour > 1 { "s" } else { "" },
        ));
    }
    let mut avertissements = pluriel(b.avertissements, "avertissement");
    if b.avertissements_a_jour > 0 {
        avertissements.push_str(&format!(
            " (dont {} de fichiers à jour, que `convflux verifier` détaille)",
            b.avertissements_a_jour
        ));
    }
    s.push_str(&format!(
        " en {} ; {avertissements} ; {} en erreur",
        francais::duree(duree),
        pluriel(b.fichiers_en_erreur, "fichier"),
    ));
    if let Some(mio) = memoire {
        s.push_str(&format!(" ; mémoire max. {mio} Mio"));
    }
    s
}

/// Peak resident memory of this process (Linux), in MiB.
fn memoire_max_mio() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let ligne = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kio: u64 = ligne.split_whitespace().nth(1)?.parse().ok()?;
    Some(kio.div_ceil(1024))
}

/// A file once read and hashed.
enum Etat {
    /// Nothing to do beyond this report (its outputs are up to date).
    Fait(Box<FileReport>),
    /// To analyse and produce: its bytes, their hash, the exercises whose
    /// outputs are up to date.
    AFaire {
        bytes: Vec<u8>,
        sha: String,
        a_jour: BTreeMap<i32, AJour>,
    },
    /// Unreadable: the analysis reports the I/O error.
    Illisible,
}

/// Reads and hashes `f`: done if all its outputs are up to date.
fn examiner(f: &Path, t: &Travail) -> Etat {
    let chemin = f.display().to_string();
    let Ok(bytes) = input::lire(f, crate::load::TAILLE_MAX as u64) else {
        return Etat::Illisible;
    };
    let sha = manifest::sha256(&bytes);
    // A project file added, removed or changed may change the model.
    let projet = projet::reperer(f, &projet::borne(&t.a.entrees.chemins, f))
        .map(|(p, sha)| manifest::ProjetSource::de(t.dossier, &p, &sha));
    let cle = t.dossier.cle_entree(f);
    let a_jour = if t.a.force {
        BTreeMap::new()
    } else {
        lire(t.manifeste).exercices_a_jour(&cle, &sha, projet.as_ref(), t.ctx, t.dossier)
    };
    let tout = lire(t.manifeste).tout_a_jour(&cle, &sha, t.a.annee, &a_jour);
    if let Some((convention, aj)) = tout {
        let exercices = lire(t.manifeste)
            .sources
            .get(&cle)
            .map(|s| s.exercices.clone())
            .unwrap_or_default();
        let avertissements = aj.avertissements;
        let resultat = match (t.revendiquer)(&convention, &chemin) {
            Ok(()) => Resultat::AJour(aj),
            Err(m) => Resultat::Echec(m),
        };
        return Etat::Fait(Box::new(FileReport {
            chemin,
            diagnostics: String::new(),
            avertissements,
            regles: BTreeMap::new(),
            exercices,
            resultat,
        }));
    }
    Etat::AFaire { bytes, sha, a_jour }
}

/// [`traiter`], with a panic turned into a failure of this file only.
fn traiter_protege(f: &Path, etat: Etat, t: &Travail) -> FileReport {
    match panic::catch_unwind(AssertUnwindSafe(|| traiter(f, etat, t))) {
        Ok(r) => r,
        Err(p) => {
            let detail = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            // The caches may hold half a document: start afresh.
            typeset::liberer_caches();
            FileReport {
                chemin: f.display().to_string(),
                diagnostics: String::new(),
                avertissements: 0,
                regles: BTreeMap::new(),
                exercices: Vec::new(),
                resultat: Resultat::Echec(format!(
                    "erreur interne ({detail}), aucun document produit pour ce fichier"
                )),
            }
        }
    }
}

/// One file examined: analyse, render, typeset, write.
fn traiter(f: &Path, etat: Etat, t: &Travail) -> FileReport {
    let chemin = f.display().to_string();
    let borne = projet::borne(&t.a.entrees.chemins, f);
    let (an, sha, a_jour) = match etat {
        Etat::Fait(r) => return *r,
        Etat::AFaire { bytes, sha, a_jour } => (
            pipeline::analyser_octets_dans(f, &borne, bytes),
            sha,
            a_jour,
        ),
        // `analyser` reports the I/O error as a diagnostic.
        Etat::Illisible => (
            pipeline::analyser_dans(f, &borne),
            String::new(),
            BTreeMap::new(),
        ),
    };
    let mut diags = an.diags.clone();
    let regles = grouper_avertissements(&mut diags, t.a);
    let diagnostics = diags.rendre(&chemin, &an.source);
    let avertissements = an.diags.avertissements();
    let exercices = an
        .convention
        .as_ref()
        .map(|c| c.exercices.iter().map(|e| e.annee.v).collect())
        .unwrap_or_default();
    let resultat = match &an.convention {
        Some(c) if an.valide() => match (t.revendiquer)(&c.id, &chemin) {
            Ok(()) => match produire(&an, &t.dossier.cle_entree(f), &sha, &a_jour, t) {
                Ok(r) => r,
                Err(e) => Resultat::Echec(format!(
                    "{}\naucun document produit",
                    crate::input::en_francais(&e)
                )),
            },
            Err(m) => Resultat::Echec(m),
        },
        _ => Resultat::Echec("données invalides, aucun document produit".to_owned()),
    };
    FileReport {
        chemin,
        diagnostics,
        avertissements,
        regles,
        exercices,
        resultat,
    }
}

/// A file refused by the stage across files: its diagnostics, no document.
fn refuse(
    f: &Path,
    ds: &crate::diagnostic::Diagnostics,
    source: &str,
    a: &GenererArgs,
) -> FileReport {
    let chemin = f.display().to_string();
    let mut ds = ds.clone();
    let avertissements = ds.avertissements();
    let regles = grouper_avertissements(&mut ds, a);
    FileReport {
        diagnostics: ds.rendre(&chemin, source),
        avertissements,
        regles,
        exercices: Vec::new(),
        resultat: Resultat::Echec(
            "incompatible avec d'autres conventions du même bailleur, aucun document produit"
                .to_owned(),
        ),
        chemin,
    }
}

/// Unless each warning is printed ([`detail_avertissements`]), takes the
/// warnings out of `diags` and counts them by rule for the summary; with
/// `--quiet`, only errors are left either way.
fn grouper_avertissements(
    diags: &mut crate::diagnostic::Diagnostics,
    a: &GenererArgs,
) -> BTreeMap<String, usize> {
    let mut regles = BTreeMap::new();
    if a.quiet || !detail_avertissements(a) {
        for d in diags
            .0
            .iter()
            .filter(|d| d.severity == Severity::Avertissement)
        {
            *regles.entry(d.nom_de_regle()).or_insert(0usize) += 1;
        }
        diags.0.retain(|d| d.severity == Severity::Erreur);
    }
    regles
}

/// Whether each warning is printed (`--detail-avertissements`, or a single
/// file named), or counted by rule in the summary. Worker processes get the
/// same arguments, so they decide the same.
fn detail_avertissements(a: &GenererArgs) -> bool {
    a.detail_avertissements || matches!(&a.entrees.chemins[..], [f] if f.is_file())
}

/// Claims a convention's output folder for `source` in this run.
fn revendiquer(
    conventions: &Mutex<HashMap<String, String>>,
    convention: &str,
    source: &str,
) -> Result<(), String> {
    let mut m = conventions
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    match m.get(convention) {
        Some(autre) if autre != source => Err(format!(
            "la convention « {convention} » est déjà produite par {autre} : \
             deux fichiers ne peuvent pas porter le même identifiant ; aucun document produit"
        )),
        Some(_) => Ok(()),
        None => {
            m.insert(convention.to_owned(), source.to_owned());
            Ok(())
        }
    }
}

/// Renders and typesets every document of the selected exercises of one file
/// (`source`: as the manifest names it) that are not up to date, each written to a temporary file as soon as it is
/// typeset; installs each exercise's documents together when all of them
/// succeeded (a failed exercise leaves its previous files untouched), removes
/// the files of an earlier run that it no longer produces, and hands its
/// records to the main thread at once ([`Avancement`]): a file of many years
/// is written, recorded and shown year by year.
fn produire(
    an: &Analyse,
    source: &str,
    sha: &str,
    a_jour: &BTreeMap<i32, AJour>,
    t: &Travail,
) -> anyhow::Result<Resultat> {
    let a = t.a;
    let c = an
        .convention
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("convention absente"))?;
    let exercices: Vec<i32> = c.exercices.iter().map(|e| e.annee.v).collect();
    let apres_document = || {
        liberer_caches(t.travailleurs);
        // A worker process whose parent was killed stops at once.
        processus::arreter_si_orphelin();
    };
    let fabrique = pipeline::Fabrique {
        ts: t.ts,
        dossier: t.dossier,
        ctx: t.ctx,
        typst: a.typst,
        apres_document: &apres_document,
    };
    let maj = |annees, sorties, anciennes| MiseAJour {
        source: source.to_owned(),
        sha256: sha.to_owned(),
        convention: c.id.clone(),
        exercices: exercices.clone(),
        annees,
        sorties,
        anciennes,
        avertissements: an.diags.avertissements(),
    };
    let mut inchanges = 0;
    for flux in an
        .flux
        .iter()
        .filter(|f| a.annee.is_none_or(|y| f.annee == y))
    {
        if let Some(aj) = a_jour.get(&flux.annee) {
            inchanges += aj.documents;
            continue;
        }
        let docs = t
            .rendu
            .documents_du_modele(an.modele.as_ref(), c, flux, &an.flux)?;
        let provenance = pipeline::Provenance {
            source,
            sha256: sha,
            annee: flux.annee,
            images: &an.images,
            projet: an.projet.as_ref(),
        };
        let dossier = format!("{}/{}", flux.annee, c.id);
        let mut lot = pipeline::Lot::default();
        let cles = fabrique.preparer(docs, &dossier, &provenance, &mut lot)?;
        let (documents, pages) = (lot.documents, lot.pages);
        let anciennes = lire(t.manifeste).anciennes_sorties(source, &[flux.annee]);
        // A worker process whose parent was killed installs nothing (its
        // prepared files are removed as they are dropped).
        processus::arreter_si_orphelin();
        let sorties = lot.installer()?;
        pipeline::retirer_anciennes(t.dossier, &anciennes, &sorties);
        (t.avancer)(Avancement {
            documents,
            pages,
            maj: maj(BTreeMap::from([(flux.annee, cles)]), sorties, anciennes),
        });
    }
    Ok(Resultat::Produit {
        inchanges,
        maj: maj(BTreeMap::new(), Vec::new(), Vec::new()),
    })
}

/// Progress on stderr: a bar on a terminal, a line now and then otherwise,
/// nothing but errors with `--quiet`.
enum Affichage {
    Barre(ProgressBar),
    Lignes {
        total: usize,
        dernier: Instant,
        dernier_fait: usize,
        /// Lines printed for time alone (a slow tenth), at most
        /// [`LIGNES_DE_TEMPS_MAX`].
        lignes_de_temps: u32,
    },
    Silence,
}

/// Without a terminal, progress prints a line every tenth of the files (11
/// at most with the last), and, while a tenth is slow, after 10 s, 20 s,
/// 40 s… at most this many times: whatever its duration, a batch prints at
/// most 15 lines of progress, so that with its summary (at most 14 lines:
/// totals, output folder, 10 rules and « autres ») it stays under 30.
const LIGNES_DE_TEMPS_MAX: u32 = 4;

impl Affichage {
    fn new(quiet: bool, total: usize) -> Self {
        if quiet {
            Affichage::Silence
        } else if std::io::stderr().is_terminal() {
            let barre = ProgressBar::new(total as u64);
            // indicatif's own {eta} and {pos} print « 64s » and « 1887 »:
            // durations and counts are written by `francais`.
            if let Ok(style) = ProgressStyle::with_template(
                "{ecoule} [{wide_bar}] {fait}/{total} fichiers · {msg} · reste {reste}",
            ) {
                barre.set_style(
                    style
                        .with_key(
                            "ecoule",
                            |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                                let _ = w.write_str(&francais::duree(s.elapsed()));
                            },
                        )
                        .with_key("reste", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&francais::duree(s.eta()));
                        })
                        .with_key("fait", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&francais::entier(s.pos() as usize));
                        })
                        .with_key("total", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w
                                .write_str(&francais::entier(s.len().unwrap_or_default() as usize));
                        })
                        .progress_chars("=> "),
                );
            }
            barre.enable_steady_tick(Duration::from_millis(200));
            Affichage::Barre(barre)
        } else {
            Affichage::Lignes {
                total,
                dernier: Instant::now(),
                dernier_fait: 0,
                lignes_de_temps: 0,
            }
        }
    }

    /// Prints diagnostics or an error (errors are printed even with `--quiet`),
    /// never a raw control character (paths and messages may carry some).
    fn imprimer(&self, texte: &str) {
        let texte = crate::diagnostic::affichable(texte);
        match self {
            Affichage::Barre(b) => b.suspend(|| eprint!("{texte}")),
            _ => eprint!("{texte}"),
        }
    }

    fn avancer(&mut self, b: &Summary, debut: Instant) {
        match self {
            Affichage::Barre(barre) => {
                barre.set_position(b.fichiers_faits as u64);
                barre.set_message(format!(
                    "{} produits, {} à jour, {} en erreur",
                    francais::entier(b.documents),
                    francais::entier(b.a_jour),
                    francais::entier(b.fichiers_en_erreur)
                ));
            }
            Affichage::Lignes {
                total,
                dernier,
                dernier_fait,
                lignes_de_temps,
            } => {
                // Every tenth of the work, and at the end; during a slow
                // tenth, after 10 s, then 20, 40… (LIGNES_DE_TEMPS_MAX).
                // Rounded up: 19 files give a line every 2, not every one.
                let pas = total.div_ceil(10).max(1);
                let fini = b.fichiers_faits == *total;
                let dixieme = b.fichiers_faits >= *dernier_fait + pas;
                let attente = Duration::from_secs(10) * 2u32.pow((*lignes_de_temps).min(16));
                let temps = !fini
                    && !dixieme
                    && *lignes_de_temps < LIGNES_DE_TEMPS_MAX
                    && dernier.elapsed() >= attente;
                if temps {
                    *lignes_de_temps += 1;
                }
                if fini || dixieme || temps {
                    eprintln!(
                        "progression : {}/{} fichiers, {} produits, {} à jour, {} en erreur, {}",
                        francais::entier(b.fichiers_faits),
                        francais::entier(*total),
                        francais::entier(b.documents),
                        francais::entier(b.a_jour),
                        francais::entier(b.fichiers_en_erreur),
                        francais::duree(debut.elapsed())
                    );
                    *dernier = Instant::now();
                    *dernier_fait = b.fichiers_faits;
                }
            }
            Affichage::Silence => {}
        }
    }

    fn finir(&self) {
        if let Affichage::Barre(b) = self {
            b.finish_and_clear();
        }
    }
}
