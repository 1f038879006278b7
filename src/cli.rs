//! Command-line arguments (French help: the users read French).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "convflux",
    version,
    about = "Conventions de gestion en flux des réservations de logements sociaux : \
             vérifie les données YAML, calcule le flux et produit les PDF à signer.",
    long_about = None,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub commande: Commande,
}

#[derive(Subcommand, Debug)]
pub enum Commande {
    /// Vérifie les fichiers YAML (toutes les erreurs d'un fichier en une fois).
    Verifier(VerifierArgs),
    /// Calcule le flux pas à pas : parc soumis, flux prévisionnel, mobilisables, affectés.
    Calculer(CalculerArgs),
    /// Produit les PDF : convention à signer et chaque annexe, sous out/<année>/<convention>/.
    Generer(GenererArgs),
    /// Produit l'avenant annuel d'une convention (bilan N-1, assiette et flux N comparés) et ses annexes actualisées.
    Avenant(AvenantArgs),
    /// Produit le rapport au conseil d'un réservataire pour une année (et, avec --xlsx, le classeur des chiffres).
    Rapport(RapportArgs),
    /// Affiche le schéma JSON du format YAML (pour l'éditeur : yaml-language-server).
    Schema,
    /// Modèles de convention intégrés : les lister, en copier un pour l'adapter.
    Modele(ModeleArgs),
    /// Écrit le script de complétion de convflux pour un interpréteur de commandes (par exemple : convflux completions bash > ~/.local/share/bash-completion/completions/convflux).
    Completions(CompletionsArgs),
    /// Écrit la page de manuel de convflux au format man (par exemple : convflux manuel > convflux.1 ; man ./convflux.1).
    Manuel,
}

/// A year as `--annee` takes it: the years a file may hold
/// (`validate::limites`), so a typo is a clear usage error.
fn annee(s: &str) -> Result<i32, String> {
    use crate::validate::limites::{DATE_ANNEE_MAX, DATE_ANNEE_MIN};
    let a: i32 = s
        .trim()
        .parse()
        .map_err(|_| format!("« {s} » n'est pas une année (attendu : par exemple 2025)"))?;
    if (DATE_ANNEE_MIN..=DATE_ANNEE_MAX).contains(&a) {
        Ok(a)
    } else {
        Err(format!(
            "{a} est hors des années possibles ({DATE_ANNEE_MIN} à {DATE_ANNEE_MAX})"
        ))
    }
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// L'interpréteur de commandes.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
#[command(arg_required_else_help = true)]
pub struct ModeleArgs {
    #[command(subcommand)]
    pub commande: ModeleCommande,
}

#[derive(Subcommand, Debug)]
pub enum ModeleCommande {
    /// Liste les modèles intégrés : famille, documents produits et gabarits qui les composent.
    Liste,
    /// Copie un modèle intégré (ses gabarits, commun/ et lib/, et un modele.yaml qui le décrit) dans un dossier nouveau ou vide, pour l'adapter.
    Copier(CopierArgs),
}

#[derive(Args, Debug)]
pub struct CopierArgs {
    /// Nom du modèle intégré : intercommunal, bilateral, avenant ou rapport (voir `convflux modele liste`).
    #[arg(value_name = "MODELE")]
    pub modele: String,
    /// Dossier où écrire la copie : il ne doit pas exister, ou être vide.
    #[arg(value_name = "DOSSIER")]
    pub dossier: PathBuf,
    /// N'affiche rien d'autre que les erreurs.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Files and folders to read.
#[derive(Args, Debug)]
pub struct Entrees {
    /// Fichiers YAML ou dossiers (parcourus récursivement : *.yaml, *.yml).
    #[arg(required = true, value_name = "FICHIERS|DOSSIERS")]
    pub chemins: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct VerifierArgs {
    #[command(flatten)]
    pub entrees: Entrees,
    /// N'affiche que le résumé et les erreurs (pas les avertissements).
    #[arg(long, short)]
    pub quiet: bool,
    /// Format des diagnostics : texte (pour les personnes) ou json (pour les éditeurs et l'intégration continue, sur la sortie standard ; voir docs/format.md).
    #[arg(long, value_enum, default_value = "texte")]
    pub format: FormatDiagnostics,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatDiagnostics {
    Texte,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Texte,
    Json,
    Csv,
}

#[derive(Args, Debug)]
pub struct CalculerArgs {
    #[command(flatten)]
    pub entrees: Entrees,
    /// Année de l'exercice (par défaut : tous les exercices).
    #[arg(long, value_parser = annee)]
    pub annee: Option<i32>,
    /// Format de sortie.
    #[arg(long, value_enum, default_value_t = Format::Texte)]
    pub format: Format,
    /// Montre chaque étape avec sa source (article du CCH ou de la convention).
    #[arg(long)]
    pub detail: bool,
}

#[derive(Args, Debug)]
pub struct GenererArgs {
    #[command(flatten)]
    pub entrees: Entrees,
    /// Dossier de sortie.
    #[arg(long, default_value = "out", value_name = "DOSSIER")]
    pub sortie: PathBuf,
    /// Année de l'exercice (par défaut : tous les exercices).
    #[arg(long, value_parser = annee)]
    pub annee: Option<i32>,
    /// Écrit aussi les sources Typst générées (.typ) à côté des PDF.
    #[arg(long)]
    pub typst: bool,
    /// Sans champs de signature électronique vides dans les PDF (signature sur papier seulement).
    #[arg(long)]
    pub sans_champs_signature: bool,
    /// Régénère tout, même les documents dont les entrées n'ont pas changé depuis le dernier passage (voir <sortie>/manifest.json).
    #[arg(long)]
    pub force: bool,
    /// N'affiche rien d'autre que les erreurs.
    #[arg(long, short)]
    pub quiet: bool,
    /// Nombre de documents composés en même temps (par défaut : un par cœur).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub travailleurs: Option<u16>,
    /// Usage interne : processus de travail de `generer`, lancé par le
    /// processus principal dont c'est le numéro.
    #[arg(long, hide = true, value_name = "PID")]
    pub travailleur_interne: Option<u32>,
    /// Usage interne : identifiant de l'exécution du processus principal
    /// (noms de ses fichiers temporaires).
    #[arg(long, hide = true, value_name = "ID")]
    pub execution_interne: Option<String>,
}

#[derive(Args, Debug)]
pub struct AvenantArgs {
    /// Fichier YAML de la convention.
    #[arg(value_name = "FICHIER")]
    pub fichier: PathBuf,
    /// Année de l'avenant (par défaut : le dernier exercice du fichier).
    #[arg(long, value_parser = annee)]
    pub annee: Option<i32>,
    /// Dossier de sortie (l'avenant va dans <sortie>/<annee>/<convention>/).
    #[arg(long, default_value = "out", value_name = "DOSSIER")]
    pub sortie: PathBuf,
    /// Écrit aussi les sources Typst générées (.typ) à côté des PDF.
    #[arg(long)]
    pub typst: bool,
    /// Sans champs de signature électronique vides dans les PDF (signature sur papier seulement).
    #[arg(long)]
    pub sans_champs_signature: bool,
    /// N'affiche rien d'autre que les erreurs.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct RapportArgs {
    /// Identifiant du réservataire (par exemple `le-port`).
    #[arg(long, value_name = "ID")]
    pub reservataire: String,
    #[command(flatten)]
    pub entrees: Entrees,
    /// Année du rapport (par défaut : la dernière année des annexes du réservataire).
    #[arg(long, value_parser = annee)]
    pub annee: Option<i32>,
    /// Dossier de sortie (le rapport va dans <sortie>/<annee>/rapport-<réservataire>.pdf).
    #[arg(long, default_value = "out", value_name = "DOSSIER")]
    pub sortie: PathBuf,
    /// Écrit aussi le classeur des chiffres (une ligne par annexe) dans ce fichier .xlsx.
    #[arg(long, value_name = "FICHIER")]
    pub xlsx: Option<PathBuf>,
    /// Ne produit pas le PDF du rapport (avec --xlsx : le classeur seul).
    #[arg(long)]
    pub sans_pdf: bool,
    /// Écrit aussi la source Typst générée (.typ) à côté du PDF.
    #[arg(long)]
    pub typst: bool,
    /// N'affiche rien d'autre que les erreurs.
    #[arg(long, short)]
    pub quiet: bool,
}

const MODELE_RACINE: &str = "{about-with-newline}\nUtilisation : {usage}\n\nCommandes :\n{subcommands}\n\nOptions :\n{options}\n";
const MODELE_COMMANDE: &str = "{about-with-newline}\nUtilisation : {usage}\n\nArguments :\n{positionals}\n\nOptions :\n{options}\n";

/// The clap command with its help in French (headings, help and version flags).
pub fn commande() -> clap::Command {
    use clap::{Arg, ArgAction, CommandFactory};
    fn franciser(c: clap::Command, racine: bool) -> clap::Command {
        // A group of commands (`modele`) lists them like the root does.
        let groupe = c.has_subcommands();
        let mut c = c
            .disable_help_flag(true)
            .help_template(if racine || groupe {
                MODELE_RACINE
            } else {
                MODELE_COMMANDE
            })
            .arg(
                Arg::new("aide")
                    .short('h')
                    .long("help")
                    .action(ArgAction::Help)
                    .help("Affiche cette aide"),
            );
        if groupe {
            c = c.subcommand_value_name("COMMANDE");
        }
        if racine {
            c = c.disable_version_flag(true).arg(
                Arg::new("version")
                    .short('V')
                    .long("version")
                    .action(ArgAction::Version)
                    .help("Affiche la version"),
            );
        }
        c.mut_subcommands(|s| franciser(s, false))
    }
    franciser(Cli::command(), true)
}

/// clap's usage errors in French (clap has no translations of its own).
/// The few English words clap puts in a help page built in French.
pub fn traduire_aide(aide: &str) -> String {
    aide.replace("[default: ", "[par défaut : ")
        .replace("[possible values: ", "[valeurs possibles : ")
}

pub fn traduire_erreur(message: &str) -> String {
    const TRADUCTIONS: &[(&str, &str)] = &[
        ("error: ", "erreur : "),
        (
            "the following required arguments were not provided:",
            "arguments obligatoires manquants :",
        ),
        ("unexpected argument", "argument inattendu"),
        ("invalid value", "valeur invalide"),
        ("for '", "pour '"),
        ("possible values:", "valeurs possibles :"),
        ("a value is required", "une valeur est attendue"),
        ("but none was supplied", "mais aucune n'a été donnée"),
        ("unrecognized subcommand", "commande inconnue"),
        ("found", "trouvé"),
        (
            "tip: a similar argument exists:",
            "astuce : un argument voisin existe :",
        ),
        (
            "tip: a similar subcommand exists:",
            "astuce : une commande voisine existe :",
        ),
        ("tip: to pass", "astuce : pour passer"),
        ("as a value, use", "comme valeur, utilisez"),
        ("invalid digit found in string", "chiffre invalide"),
        ("is not in", "n'est pas dans l'intervalle"),
        ("the argument", "l'argument"),
        (
            "cannot be used multiple times",
            "ne peut être donné qu'une fois",
        ),
        ("Usage:", "Utilisation :"),
        (
            "For more information, try '--help'.",
            "Pour plus d'informations : --help.",
        ),
    ];
    let mut s = message.to_string();
    for (en, fr) in TRADUCTIONS {
        s = s.replace(en, fr);
    }
    s
}
