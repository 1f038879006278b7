//! The manifest of an output folder, `<sortie>/manifest.json`: what each output was made
//! from, so `generer` rebuilds only what changed.
//!
//! For every output file (PDF, and `.typ` with `--typst`) it records the SHA-256 of the file,
//! of its source YAML, of the templates it used, of the fonts, the tool version and the
//! options that change the bytes. For every source it records its hash, its convention and
//! the outputs of each exercise. An output is up to date when all of these match today's
//! values and the file on disk still has the recorded hash; anything else is rebuilt.
//!
//! This module decides and records; it never renders nor typesets. It writes only through
//! [`crate::output::ecrire_atomique`], so a crash leaves the previous manifest or the new one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assets;
use crate::input;
use crate::modeles::dossier as modele_dossier;
use crate::output::{self, OutputError};

/// File name of the manifest inside the output folder.
pub const NOM: &str = "manifest.json";
/// The largest manifest read (64 MiB: about 100 000 documents); a larger
/// one is ignored, as if there were none.
pub const TAILLE_MAX: u64 = 64 * 1024 * 1024;
/// Version of the manifest's layout; another value is read as an empty manifest,
/// but for format 1, which named input files by their path as given on the
/// command line and is read by [`Manifeste::depuis_format_1`].
pub const FORMAT: u32 = 2;
/// The tool version written into every entry.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The whole manifest of one output folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifeste {
    pub format: u32,
    /// The tool version that last wrote the manifest.
    pub version: String,
    /// One record per source YAML, keyed by its path from the output folder
    /// ([`output::cle_entree`]), as are every other input file named here.
    pub sources: BTreeMap<String, Source>,
    /// One record per output, keyed by its path under the output folder (`/` separators).
    pub sorties: BTreeMap<String, Sortie>,
    /// The change time of `manifest.json` when it was read: an output's
    /// [`Sortie::constat`] is trusted only if it is older (as git trusts
    /// its index only for files older than the index): a file changed
    /// within the same clock tick as its install is hashed.
    #[serde(skip)]
    pub lu_a: Option<(i64, i64)>,
    /// Read from an earlier format ([`Manifeste::depuis_format_1`]): to be
    /// written again in today's even when no output changed, so that later
    /// runs, wherever they start from, read today's.
    #[serde(skip)]
    pub ancien_format: bool,
}

/// What the manifest knows of one source YAML.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// SHA-256 of the file when it was last generated.
    pub sha256: String,
    /// The convention's id (its output folder).
    pub convention: String,
    /// Every exercise year of the file, whether generated or not.
    pub exercices: Vec<i32>,
    /// The outputs of each generated exercise (keys of [`Manifeste::sorties`]).
    pub annees: BTreeMap<i32, Vec<String>>,
    /// Warnings of the file's last analysis: still counted when it is up to date.
    #[serde(default)]
    pub avertissements: usize,
}

/// What the manifest knows of one output file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sortie {
    /// SHA-256 of the output file itself (the PDF, or the Typst source).
    pub sha256: String,
    /// Number of pages (0 for a Typst source).
    pub pages: usize,
    pub source: String,
    pub source_sha256: String,
    pub annee: i32,
    /// The document's template, relative to `templates/`.
    pub gabarit: String,
    /// SHA-256 of that template and every template it includes or imports.
    pub gabarits_sha256: String,
    /// The user's model folder the templates were read from, folder first
    /// then embedded, named from the output folder ([`output::cle_entree`]);
    /// absent: the built-in models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modele: Option<String>,
    /// The logo files the documents were given (path as read → SHA-256),
    /// hashed again by later runs: a changed logo regenerates the output.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<String, String>,
    /// The project file (`convflux.yaml`) found above the source, and its
    /// hash: changing it may change the model, so it is compared like the
    /// source. Absent: none was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projet: Option<ProjetSource>,
    /// SHA-256 of the fonts the output may use: the embedded ones, and
    /// those of its model's `polices/` ([`empreinte_polices_modele`]).
    pub polices_sha256: String,
    pub version: String,
    /// Options that change the bytes (e.g. `champs_signature`).
    pub options: String,
    /// What the file system said of the file right after convflux installed
    /// it ([`output::Constat`]): a later run that finds the same finds the
    /// file untouched without reading it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constat: Option<output::Constat>,
}

/// A project file as the manifest records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjetSource {
    pub chemin: String,
    pub sha256: String,
}

impl ProjetSource {
    /// The record of a project file found by [`modeles::projet`](crate::modeles::projet),
    /// named from the output folder `dossier`.
    pub fn de(dossier: &output::Dossier, chemin: &Path, sha256: &str) -> Self {
        ProjetSource {
            chemin: dossier.cle_entree(chemin),
            sha256: sha256.to_owned(),
        }
    }
}

/// Today's values an output is compared with, besides its source.
#[derive(Clone, Debug)]
pub struct Contexte {
    pub polices_sha256: String,
    pub version: String,
    pub options: String,
    /// Whether the Typst sources are part of the expected outputs (`--typst`).
    pub typst: bool,
}

impl Contexte {
    /// The current fonts and version, with the given options.
    pub fn courant(options: impl Into<String>, typst: bool) -> Self {
        Contexte {
            polices_sha256: empreinte_polices(),
            version: VERSION.to_owned(),
            options: options.into(),
            typst,
        }
    }

    /// The context of a run that writes documents, with or without
    /// signature fields and Typst sources: the same for every command, so
    /// what `avenant` wrote is up to date for `generer`.
    pub fn documents(champs_signature: bool, typst: bool) -> Self {
        Self::courant(format!("champs_signature={champs_signature}"), typst)
    }
}

/// An up-to-date source: what it stands for in the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AJour {
    /// PDF files that were not rebuilt.
    pub documents: usize,
    pub pages: usize,
    /// For a whole file up to date: the warnings of its last analysis.
    pub avertissements: usize,
}

/// The manifest could not be read; the run goes on as if there were none.
#[derive(Debug, thiserror::Error)]
#[error("manifeste {chemin} illisible ({detail}) : ignoré")]
pub struct ManifesteIllisible {
    pub chemin: String,
    pub detail: String,
}

impl Manifeste {
    /// An empty manifest of the current format and version.
    pub fn nouveau() -> Self {
        Manifeste {
            format: FORMAT,
            version: VERSION.to_owned(),
            ..Manifeste::default()
        }
    }

    /// Reads `<dossier>/manifest.json`, with what the user should be told. A
    /// missing file is an empty manifest; an unreadable one too, with the
    /// reason. The manifest may be someone else's: it is read with a bound
    /// ([`TAILLE_MAX`]), and any output it names outside the output folder
    /// (`..`, an absolute path) or of a type convflux does not write is
    /// dropped with a warning, so it can never lead convflux to read, trust or
    /// delete a file elsewhere. Source paths are normalised (`./data/x.yaml`
    /// is `data/x.yaml`).
    pub fn charger(dossier: &Path) -> (Self, Vec<String>) {
        Self::lire(dossier)
            .unwrap_or_else(|detail| (Self::nouveau(), vec![illisible(&dossier.join(NOM), detail)]))
    }

    /// [`Manifeste::charger`], with the reason apart when the file is there
    /// but is not a manifest convflux can read.
    fn lire(dossier: &Path) -> Result<(Self, Vec<String>), String> {
        let chemin = dossier.join(NOM);
        let texte = match input::lire(&chemin, TAILLE_MAX) {
            Ok(t) => t,
            Err(input::ErreurLecture::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Self::nouveau(), Vec::new()));
            }
            Err(e) => return Err(e.to_string()),
        };
        match serde_json::from_slice::<Manifeste>(&texte) {
            Ok(m) if m.format == FORMAT || m.format == 1 => {
                let m = if m.format == 1 {
                    m.depuis_format_1(dossier)
                } else {
                    m
                };
                let (mut m, ignorees) = m.assaini();
                m.lu_a = std::fs::symlink_metadata(&chemin)
                    .ok()
                    .and_then(|m| output::Constat::de(&m))
                    .map(|c| c.change);
                let avertissements = if ignorees.is_empty() {
                    Vec::new()
                } else {
                    vec![format!(
                        "manifeste {} : {} ignorée{} (chemin hors du dossier de sortie, ou fichier que convflux n'écrit pas) : {}",
                        chemin.display(),
                        crate::francais::pluriel(ignorees.len(), "entrée"),
                        if ignorees.len() > 1 { "s" } else { "" },
                        ignorees
                            .iter()
                            .take(5)
                            .map(|k| format!("« {} »", crate::diagnostic::affichable(k)))
                            .collect::<Vec<_>>()
                            .join(", ")
                            + if ignorees.len() > 5 { ", …" } else { "" }
                    )]
                };
                Ok((m, avertissements))
            }
            Ok(m) => Err(format!("format {} inconnu", m.format)),
            // serde_json's own words are English: say where, in French.
            Err(e) => Err(format!(
                "JSON invalide ligne {}, colonne {}",
                e.line(),
                e.column()
            )),
        }
    }

    /// A manifest of format 1, whose input files are named by their path as
    /// given on the command line, with each named from the output folder
    /// `dossier` instead ([`output::cle_entree`]). Those paths were relative to
    /// the folder the command ran in, taken to be today's: the usual case, a
    /// project's commands run from its folder, keeps every record; otherwise
    /// the sources are regenerated once.
    fn depuis_format_1(mut self, dossier: &Path) -> Self {
        let sortie = std::fs::canonicalize(dossier).ok();
        let cle = |c: &str| {
            if c.is_empty() {
                String::new()
            } else {
                output::cle_entree(sortie.as_deref(), Path::new(c))
            }
        };
        self.sources = std::mem::take(&mut self.sources)
            .into_iter()
            .map(|(k, s)| (cle(&k), s))
            .collect();
        for o in self.sorties.values_mut() {
            o.source = cle(&o.source);
            if let Some(m) = &mut o.modele {
                *m = cle(m);
            }
            if let Some(p) = &mut o.projet {
                p.chemin = cle(&p.chemin);
            }
            o.images = std::mem::take(&mut o.images)
                .into_iter()
                .map(|(k, sha)| (cle(&k), sha))
                .collect();
        }
        self.format = FORMAT;
        self.ancien_format = true;
        self
    }

    /// The manifest without the outputs it may not name, and those keys.
    fn assaini(self) -> (Self, Vec<String>) {
        let mut ignorees = Vec::new();
        let mut sorties = BTreeMap::new();
        for (k, mut o) in self.sorties {
            if output::cle_produite(&k) {
                o.source = normaliser_source(&o.source);
                sorties.insert(k, o);
            } else {
                ignorees.push(k);
            }
        }
        let mut sources = BTreeMap::new();
        for (k, mut s) in self.sources {
            for cles in s.annees.values_mut() {
                cles.retain(|c| sorties.contains_key(c));
            }
            sources.insert(normaliser_source(&k), s);
        }
        (
            Manifeste {
                sources,
                sorties,
                ..self
            },
            ignorees,
        )
    }

    /// Writes `<dossier>/manifest.json` atomically: one output per line, sorted, so two
    /// manifests compare with `diff`.
    pub fn enregistrer(&self, dossier: &output::Dossier) -> Result<(), OutputError> {
        dossier.ecrire_avec(NOM, |w| self.ecrire_json(w))?;
        dossier.connaitre(self.ecrits());
        Ok(())
    }

    /// Each output's key and the hash recorded when it was written.
    pub fn ecrits(&self) -> HashMap<String, String> {
        self.sorties
            .iter()
            .map(|(k, o)| (k.clone(), o.sha256.clone()))
            .collect()
    }

    /// The manifest as written on disk.
    pub fn en_json(&self) -> String {
        let mut v = Vec::with_capacity(256 + 512 * self.sorties.len());
        let _ = self.ecrire_json(&mut v);
        String::from_utf8(v).unwrap_or_default()
    }

    /// Writes the manifest as JSON, one source or output per line, as it goes.
    pub fn ecrire_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        write!(
            w,
            "{{\n  \"format\": {},\n  \"version\": {},\n  \"sources\": {{",
            self.format,
            json(&self.version)
        )?;
        for (i, (k, v)) in self.sources.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(w, "{sep}\n    {}: {}", json(k), json(v))?;
        }
        w.write_all(if self.sources.is_empty() {
            b"},\n  \"sorties\": {"
        } else {
            b"\n  },\n  \"sorties\": {"
        })?;
        for (i, (k, v)) in self.sorties.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(w, "{sep}\n    {}: {}", json(k), json(v))?;
        }
        w.write_all(if self.sorties.is_empty() {
            b"}\n}\n"
        } else {
            b"\n  }\n}\n"
        })
    }

    /// The exercises of `source` (hash `sha256`) whose outputs are all recorded with
    /// today's inputs and still intact under `dossier`, with what they stand for.
    pub fn exercices_a_jour(
        &self,
        source: &str,
        sha256: &str,
        projet: Option<&ProjetSource>,
        ctx: &Contexte,
        dossier: &output::Dossier,
    ) -> BTreeMap<i32, AJour> {
        let Some(s) = self.sources.get(source) else {
            return BTreeMap::new();
        };
        s.annees
            .iter()
            .filter(|(y, _)| s.exercices.contains(y))
            .filter_map(|(y, cles)| {
                Some((
                    *y,
                    self.exercice_a_jour((source, sha256, projet), *y, cles, ctx, dossier)?,
                ))
            })
            .collect()
    }

    /// `(source, sha256, projet)`: the source as [`Manifeste::exercices_a_jour`] takes it.
    fn exercice_a_jour(
        &self,
        (source, sha256, projet): (&str, &str, Option<&ProjetSource>),
        annee: i32,
        cles: &[String],
        ctx: &Contexte,
        dossier: &output::Dossier,
    ) -> Option<AJour> {
        let presentes: HashSet<&str> = cles.iter().map(String::as_str).collect();
        let mut r = AJour::default();
        for cle in cles {
            let o = self.sorties.get(cle)?;
            let est_pdf = cle.ends_with(".pdf");
            if ctx.typst && est_pdf && !presentes.contains(typ_de(cle).as_str()) {
                return None;
            }
            if !est_pdf && !ctx.typst {
                // A Typst source from an earlier `--typst` run: not expected today.
                continue;
            }
            let inchangee = o.source == source
                && o.source_sha256 == sha256
                && o.annee == annee
                && o.projet.as_ref() == projet
                && empreinte_actuelle(o, dossier).as_deref() == Some(o.gabarits_sha256.as_str())
                && images_inchangees(o, dossier)
                && polices_actuelles(o, ctx, dossier).as_deref() == Some(o.polices_sha256.as_str())
                && o.version == ctx.version
                && o.options == ctx.options
                && dossier.intact(
                    cle,
                    &o.sha256,
                    o.constat
                        .as_ref()
                        .filter(|c| self.lu_a.is_some_and(|t| c.change < t)),
                );
            if !inchangee {
                return None;
            }
            if est_pdf {
                // Counts from a file that may be hostile: never wrap.
                r.documents = r.documents.saturating_add(1);
                r.pages = r.pages.saturating_add(o.pages);
            }
        }
        Some(r)
    }

    /// When every selected exercise (`annee`, or all) of `source` is up to date, without
    /// reading the file again: its convention and what it stands for. `a_jour` comes from
    /// [`Manifeste::exercices_a_jour`] for the same source and hash.
    pub fn tout_a_jour(
        &self,
        source: &str,
        sha256: &str,
        annee: Option<i32>,
        a_jour: &BTreeMap<i32, AJour>,
    ) -> Option<(String, AJour)> {
        let s = self.sources.get(source).filter(|s| s.sha256 == sha256)?;
        let mut total = AJour::default();
        for y in s
            .exercices
            .iter()
            .filter(|y| annee.is_none_or(|a| a == **y))
        {
            let r = a_jour.get(y)?;
            total.documents = total.documents.saturating_add(r.documents);
            total.pages = total.pages.saturating_add(r.pages);
        }
        total.avertissements = s.avertissements;
        Some((s.convention.clone(), total))
    }

    /// The outputs recorded for `source` that a regeneration of the exercises `refaits`
    /// replaces.
    pub fn anciennes_sorties(&self, source: &str, refaits: &[i32]) -> Vec<(String, Sortie)> {
        let Some(s) = self.sources.get(source) else {
            return Vec::new();
        };
        s.annees
            .iter()
            .filter(|(y, _)| refaits.contains(y))
            .flat_map(|(_, cles)| cles.iter())
            .filter_map(|k| {
                let o = self.sorties.get(k)?;
                (o.source == source).then(|| (k.clone(), o.clone()))
            })
            .collect()
    }

    /// Records outputs that belong to no single source (the council report,
    /// made from several): they are recorded as convflux's own, and never
    /// removed as another source's.
    pub fn ajouter(&mut self, sorties: Vec<(String, Sortie)>) {
        self.sorties.extend(sorties);
        self.version = VERSION.to_owned();
    }

    /// Records a regeneration: `sorties` replace what `anciennes` listed; the source's other
    /// exercises keep their records (they are checked on their own next time). Exercises gone
    /// from the file lose their records; their files stay where they are (a past year's
    /// documents may have been signed).
    pub fn remplacer(&mut self, maj: MiseAJour) {
        let mut s = self.sources.remove(&maj.source).unwrap_or_default();
        let partis: Vec<String> = s
            .annees
            .iter()
            .filter(|(y, _)| !maj.exercices.contains(y))
            .flat_map(|(_, cles)| cles.iter().cloned())
            .collect();
        for k in maj.anciennes.iter().map(|(k, _)| k).chain(&partis) {
            if self.sorties.get(k).is_some_and(|o| o.source == maj.source) {
                self.sorties.remove(k);
            }
        }
        s.annees.retain(|y, _| maj.exercices.contains(y));
        for (y, cles) in maj.annees {
            s.annees.insert(y, cles);
        }
        s.sha256 = maj.sha256;
        s.convention = maj.convention;
        s.avertissements = maj.avertissements;
        s.exercices = maj.exercices;
        for (k, o) in maj.sorties {
            self.sorties.insert(k, o);
        }
        self.version = VERSION.to_owned();
        self.sources.insert(maj.source, s);
    }
}

/// The new records of one regenerated source.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MiseAJour {
    pub source: String,
    pub sha256: String,
    pub convention: String,
    pub exercices: Vec<i32>,
    /// The outputs of each regenerated exercise.
    pub annees: BTreeMap<i32, Vec<String>>,
    pub sorties: Vec<(String, Sortie)>,
    /// What the regeneration replaces (from [`Manifeste::anciennes_sorties`]).
    pub anciennes: Vec<(String, Sortie)>,
    /// Warnings of the file's analysis.
    pub avertissements: usize,
}

fn illisible(chemin: &Path, detail: String) -> String {
    ManifesteIllisible {
        chemin: chemin.display().to_string(),
        detail,
    }
    .to_string()
}

/// A source path as the manifest keys it (see [`input::normaliser`]).
fn normaliser_source(s: &str) -> String {
    input::normaliser(Path::new(s)).display().to_string()
}

/// What the manifest of `dossier` records of each output (key → SHA-256),
/// for [`output::Dossier`]: empty when there is no manifest; the reason when
/// there is a file convflux cannot read as its manifest (unreadable, too
/// large, another format), which is then someone else's: never replaced.
pub fn sorties_ecrites(dossier: &Path) -> Result<HashMap<String, String>, String> {
    match Manifeste::lire(dossier) {
        Ok((m, _)) => Ok(m.ecrits()),
        Err(detail) => Err(format!(
            "ce fichier n'est pas un manifeste que convflux sait lire ({detail}) : déplacez-le, \
             ou choisissez un autre dossier de sortie"
        )),
    }
}

/// The Typst source written next to a PDF with `--typst`.
pub fn typ_de(pdf: &str) -> String {
    format!("{}.typ", pdf.strip_suffix(".pdf").unwrap_or(pdf))
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Hashes `(name, bytes)` pairs unambiguously (each length-prefixed), in the given order.
fn hash_fichiers<'a>(fichiers: impl Iterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut h = Sha256::new();
    for (nom, bytes) in fichiers {
        h.update((nom.len() as u64).to_le_bytes());
        h.update(nom.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    hex(&h.finalize())
}

/// SHA-256 of every embedded font file (any of them may be used by any document).
pub fn empreinte_polices() -> String {
    static E: OnceLock<String> = OnceLock::new();
    E.get_or_init(|| hash_fichiers(assets::fonts())).clone()
}

/// SHA-256 of `template` and of every embedded template it names, transitively (minijinja
/// `include`/`import`/`extends` and Typst `#import "/lib/…"`); `None` for an unknown
/// template. A template is found by its path written literally between quotes, which is
/// how every template refers to another.
pub fn empreinte_gabarit(template: &str) -> Option<&'static str> {
    static E: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    E.get_or_init(|| {
        assets::templates()
            .map(|(t, _)| {
                let deps = assets::gabarits_cites(t);
                let fichiers = deps
                    .into_iter()
                    .filter_map(|d| Some((d, assets::template(d)?)));
                (t, hash_fichiers(fichiers))
            })
            .collect()
    })
    .get(template)
    .map(String::as_str)
}

/// Today's hash of the templates an output was made from: the embedded ones,
/// or, for an output of a user's model folder, the files of that folder it
/// uses (the embedded ones where the folder has none), read again now; `None`
/// when the template or the folder is gone (the output is then rebuilt).
pub fn empreinte_actuelle(o: &Sortie, sortie: &output::Dossier) -> Option<String> {
    match &o.modele {
        None => empreinte_gabarit(&o.gabarit).map(str::to_owned),
        Some(modele) => modele_dossier::ouvrir(&sortie.entree(modele))
            .ok()?
            .empreinte(&o.gabarit),
    }
}

/// SHA-256 of the fonts a document of `modele` may use: the embedded ones
/// (their hash, `embarquees`) and, when the model folder has a `polices/`,
/// its fonts. Without model fonts it is `embarquees` itself.
pub fn empreinte_polices_modele(
    embarquees: &str,
    modele: Option<&modele_dossier::Dossier>,
) -> String {
    match modele.map(|m| m.polices()).filter(|p| !p.is_empty()) {
        None => embarquees.to_owned(),
        Some(polices) => hash_fichiers(
            std::iter::once(("", embarquees.as_bytes()))
                .chain(polices.iter().map(|(n, b)| (n.as_str(), &b[..]))),
        ),
    }
}

/// Today's hash of the fonts an output may have used: the embedded ones,
/// and those of its model folder read again now; `None` when the folder is
/// gone or refused (the output is then rebuilt).
fn polices_actuelles(o: &Sortie, ctx: &Contexte, sortie: &output::Dossier) -> Option<String> {
    match &o.modele {
        None => Some(ctx.polices_sha256.clone()),
        Some(modele) => Some(empreinte_polices_modele(
            &ctx.polices_sha256,
            Some(&*modele_dossier::ouvrir(&sortie.entree(modele)).ok()?),
        )),
    }
}

/// Whether every logo file an output was given still has the bytes it had
/// (read again, bounded as `validate` bounds a logo).
fn images_inchangees(o: &Sortie, dossier: &output::Dossier) -> bool {
    o.images.iter().all(|(fichier, sha)| {
        input::lire(
            &dossier.entree(fichier),
            crate::validate::limites::LOGO_TAILLE_MAX,
        )
        .is_ok_and(|b| sha256(&b) == *sha)
    })
}

/// One JSON value on one line.
fn json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn sortie(source: &str, sha: &str, annee: i32, pdf: &[u8]) -> Sortie {
        Sortie {
            sha256: sha256(pdf),
            pages: 3,
            source: source.into(),
            source_sha256: sha.into(),
            annee,
            gabarit: "intercommunal/convention.typ.j2".into(),
            gabarits_sha256: empreinte_gabarit("intercommunal/convention.typ.j2")
                .unwrap()
                .into(),
            modele: None,
            images: BTreeMap::new(),
            projet: None,
            polices_sha256: empreinte_polices(),
            version: VERSION.into(),
            options: "o".into(),
            constat: None,
        }
    }

    /// Whether every selected exercise is up to date, as `generer` asks it.
    fn a_jour(
        m: &Manifeste,
        source: &str,
        sha: &str,
        annee: Option<i32>,
        ctx: &Contexte,
        dir: &Path,
    ) -> Option<(String, AJour)> {
        m.tout_a_jour(
            source,
            sha,
            annee,
            &m.exercices_a_jour(
                source,
                sha,
                None,
                ctx,
                &output::Dossier::rejoindre(dir, "0", &[]),
            ),
        )
    }

    /// A manifest with one source and one PDF written in `dir`.
    fn exemple(dir: &Path) -> (Manifeste, Contexte) {
        let cle = "2024/c/convention.pdf";
        fs::create_dir_all(dir.join("2024/c")).unwrap();
        fs::write(dir.join(cle), b"%PDF-un").unwrap();
        let mut m = Manifeste::nouveau();
        m.remplacer(MiseAJour {
            source: "a.yaml".into(),
            sha256: "s1".into(),
            convention: "c".into(),
            exercices: vec![2024],
            annees: BTreeMap::from([(2024, vec![cle.to_string()])]),
            sorties: vec![(cle.into(), sortie("a.yaml", "s1", 2024, b"%PDF-un"))],
            anciennes: vec![],
            avertissements: 2,
        });
        (m, Contexte::courant("o", false))
    }

    #[test]
    fn unchanged_inputs_and_intact_file_are_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let (m, ctx) = exemple(dir.path());
        let (c, r) = a_jour(&m, "a.yaml", "s1", None, &ctx, dir.path()).unwrap();
        assert_eq!((c.as_str(), r.documents, r.pages), ("c", 1, 3));
        // The warnings of the last analysis come with it.
        assert_eq!(r.avertissements, 2);
        assert!(a_jour(&m, "a.yaml", "s1", Some(2024), &ctx, dir.path()).is_some());
        // A year the file does not have: nothing to do.
        assert!(a_jour(&m, "a.yaml", "s1", Some(2030), &ctx, dir.path()).is_some());
    }

    #[test]
    fn any_changed_input_means_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let (m, ctx) = exemple(dir.path());
        assert!(a_jour(&m, "a.yaml", "s2", None, &ctx, dir.path()).is_none());
        assert!(a_jour(&m, "b.yaml", "s1", None, &ctx, dir.path()).is_none());
        let autre = Contexte {
            options: "p".into(),
            ..ctx.clone()
        };
        assert!(a_jour(&m, "a.yaml", "s1", None, &autre, dir.path()).is_none());
        let autre = Contexte {
            version: "0.0.0".into(),
            ..ctx.clone()
        };
        assert!(a_jour(&m, "a.yaml", "s1", None, &autre, dir.path()).is_none());
        // --typst wants the Typst source too.
        let autre = Contexte {
            typst: true,
            ..ctx.clone()
        };
        assert!(a_jour(&m, "a.yaml", "s1", None, &autre, dir.path()).is_none());
        let mut m2 = m.clone();
        m2.sorties
            .values_mut()
            .for_each(|o| o.gabarits_sha256 = "x".into());
        assert!(a_jour(&m2, "a.yaml", "s1", None, &ctx, dir.path()).is_none());
    }

    #[test]
    fn edited_or_deleted_output_means_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let (m, ctx) = exemple(dir.path());
        let pdf = dir.path().join("2024/c/convention.pdf");
        fs::write(&pdf, b"%PDF-deux").unwrap();
        assert!(a_jour(&m, "a.yaml", "s1", None, &ctx, dir.path()).is_none());
        fs::remove_file(&pdf).unwrap();
        assert!(a_jour(&m, "a.yaml", "s1", None, &ctx, dir.path()).is_none());
    }

    #[test]
    fn a_new_exercise_in_the_file_means_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let (mut m, ctx) = exemple(dir.path());
        m.sources.get_mut("a.yaml").unwrap().exercices.push(2025);
        assert!(a_jour(&m, "a.yaml", "s1", None, &ctx, dir.path()).is_none());
        assert!(a_jour(&m, "a.yaml", "s1", Some(2024), &ctx, dir.path()).is_some());
    }

    #[test]
    fn replacing_drops_records_of_exercises_gone_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut m, _) = exemple(dir.path());
        // 2024 leaves the file: its record goes (its file stays on disk).
        let anciennes = m.anciennes_sorties("a.yaml", &[2025]);
        assert!(anciennes.is_empty());
        assert_eq!(m.anciennes_sorties("a.yaml", &[2024]).len(), 1);
        let cle = "2025/c/convention.pdf".to_string();
        m.remplacer(MiseAJour {
            source: "a.yaml".into(),
            sha256: "s2".into(),
            convention: "c".into(),
            exercices: vec![2025],
            annees: BTreeMap::from([(2025, vec![cle.clone()])]),
            sorties: vec![(cle.clone(), sortie("a.yaml", "s2", 2025, b"x"))],
            anciennes,
            avertissements: 0,
        });
        assert_eq!(m.sorties.keys().collect::<Vec<_>>(), [&cle]);
        assert_eq!(m.sources["a.yaml"].annees.len(), 1);
    }

    #[test]
    fn json_round_trips_and_has_one_output_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let (m, _) = exemple(dir.path());
        m.enregistrer(&output::Dossier::prendre(dir.path(), &[]).unwrap())
            .unwrap();
        let texte = fs::read_to_string(dir.path().join(NOM)).unwrap();
        assert!(
            texte
                .lines()
                .any(|l| l.starts_with("    \"2024/c/convention.pdf\": {\"sha256\":")),
            "{texte}"
        );
        let (mut lu, e) = Manifeste::charger(dir.path());
        // When it was read is not part of the JSON.
        assert_eq!(lu.lu_a.is_some(), cfg!(unix));
        lu.lu_a = None;
        assert_eq!((lu, e), (m, vec![]));
        let vide = Manifeste::nouveau();
        let v: Manifeste = serde_json::from_str(&vide.en_json()).unwrap();
        assert_eq!(v, vide);
    }

    #[test]
    fn unreadable_manifest_is_empty_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(NOM), b"{ tronque").unwrap();
        let (m, e) = Manifeste::charger(dir.path());
        assert!(m.sources.is_empty());
        assert!(e[0].contains("illisible"), "{e:?}");
        let (_, e) = Manifeste::charger(&dir.path().join("absent"));
        assert!(e.is_empty());
    }

    #[test]
    fn outputs_named_outside_the_folder_are_dropped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let (mut m, _) = exemple(dir.path());
        for cle in [
            "../x.pdf",
            "/etc/passwd",
            "2024/../../y.pdf",
            "2024/c/donnees.yaml",
        ] {
            m.sorties
                .insert(cle.into(), sortie("a.yaml", "s1", 2024, b""));
            m.sources
                .get_mut("a.yaml")
                .unwrap()
                .annees
                .get_mut(&2024)
                .unwrap()
                .push(cle.into());
        }
        fs::write(dir.path().join(NOM), m.en_json()).unwrap();
        let (lu, e) = Manifeste::charger(dir.path());
        assert_eq!(
            lu.sorties.keys().collect::<Vec<_>>(),
            ["2024/c/convention.pdf"]
        );
        assert_eq!(
            lu.sources["a.yaml"].annees[&2024],
            ["2024/c/convention.pdf"]
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("4 entrées ignorées"), "{e:?}");
    }

    #[test]
    fn a_format_1_manifest_names_its_inputs_from_the_output_folder() {
        // Format 1 named inputs as typed, relative to the working directory:
        // the crate's root here, as for `cargo run`.
        let source = "data/territoire-ouest/sedre.yaml";
        let dir = tempfile::tempdir().unwrap();
        let (mut m, _) = exemple(dir.path());
        m.format = 1;
        let s = m.sources.remove("a.yaml").unwrap();
        m.sources.insert(format!("./{source}"), s);
        let o = m.sorties.get_mut("2024/c/convention.pdf").unwrap();
        o.source = source.into();
        o.images = BTreeMap::from([("absent/logo.png".into(), "h".into())]);
        o.projet = Some(ProjetSource {
            chemin: "data/val-de-loue/convflux.yaml".into(),
            sha256: "p".into(),
        });
        // The model folder was named by its canonical path.
        let modele = fs::canonicalize("data/val-de-loue/modele").unwrap();
        o.modele = Some(modele.display().to_string());
        fs::write(dir.path().join(NOM), m.en_json()).unwrap();

        let (lu, e) = Manifeste::charger(dir.path());
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(lu.format, FORMAT);
        assert!(lu.ancien_format);
        let dossier = output::Dossier::rejoindre(dir.path(), "0", &[]);
        let cle = lu.sources.keys().next().unwrap();
        assert!(cle.starts_with("../"), "{cle}");
        let meme = |cle: &str, fichier: &str| {
            fs::canonicalize(dossier.entree(cle)).unwrap() == fs::canonicalize(fichier).unwrap()
        };
        assert!(meme(cle, source), "{cle}");
        let o = &lu.sorties["2024/c/convention.pdf"];
        assert_eq!(&o.source, cle);
        let projet = &o.projet.as_ref().unwrap().chemin;
        assert!(meme(projet, "data/val-de-loue/convflux.yaml"), "{projet}");
        let modele = o.modele.as_deref().unwrap();
        assert!(modele.starts_with("../"), "{modele}");
        assert!(meme(modele, "data/val-de-loue/modele"), "{modele}");
        // A file that is not there any more keeps its name: the documents
        // that printed it are regenerated.
        assert_eq!(o.images.keys().collect::<Vec<_>>(), ["absent/logo.png"]);
        assert_eq!(lu.sources[cle].annees[&2024], ["2024/c/convention.pdf"]);
    }

    #[test]
    fn an_input_is_named_the_same_however_it_was_typed() {
        let dir = tempfile::tempdir().unwrap();
        let sortie = dir.path().join("projet/sortie");
        let donnees = dir.path().join("projet/donnees");
        fs::create_dir_all(&sortie).unwrap();
        fs::create_dir_all(&donnees).unwrap();
        fs::write(donnees.join("a.yaml"), "").unwrap();
        std::os::unix::fs::symlink(&donnees, dir.path().join("lien")).unwrap();
        let dossier = output::Dossier::rejoindre(&sortie, "0", &[]);
        for donne in [
            donnees.join("a.yaml"),
            donnees.join("./../donnees/a.yaml"),
            dir.path().join("lien/a.yaml"),
        ] {
            assert_eq!(dossier.cle_entree(&donne), "../donnees/a.yaml", "{donne:?}");
        }
        assert_eq!(
            fs::canonicalize(dossier.entree("../donnees/a.yaml")).unwrap(),
            fs::canonicalize(donnees.join("a.yaml")).unwrap()
        );
        // A file that cannot be resolved keeps its name as typed.
        assert_eq!(
            dossier.cle_entree(Path::new("./absent/b.yaml")),
            "absent/b.yaml"
        );
    }

    #[test]
    fn a_manifest_larger_than_its_bound_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = fs::File::create(dir.path().join(NOM)).unwrap();
        f.set_len(TAILLE_MAX + 1).unwrap();
        let (m, e) = Manifeste::charger(dir.path());
        assert!(m.sorties.is_empty());
        assert!(e[0].contains("trop volumineux"), "{e:?}");
    }

    #[test]
    fn template_hash_depends_on_the_template() {
        assert_ne!(
            empreinte_gabarit("intercommunal/convention.typ.j2"),
            empreinte_gabarit("intercommunal/annexe.typ.j2")
        );
        assert_eq!(empreinte_gabarit("absent.typ.j2"), None);
    }
}
