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
    /// Couleurs des diagnostics (auto : sur un terminal seulement, et jamais si la variable NO_COLOR est définie).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "QUAND"
    )]
    pub couleur: Couleur,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Couleur {
    Auto,
    Toujours,
    Jamais,
}

impl Couleur {
    /// Whether what goes to stderr is coloured: `toujours` and `jamais` as
    /// asked, `auto` on a terminal unless `NO_COLOR` is set.
    pub fn active(self) -> bool {
        match self {
            Couleur::Toujours => true,
            Couleur::Jamais => false,
            Couleur::Auto => crate::diagnostic::couleur_auto(),
        }
    }

    /// Whether what goes to stdout (the help) is coloured: as [`active`],
    /// with stdout the terminal.
    ///
    /// [`active`]: Couleur::active
    pub fn active_sur_stdout(self) -> bool {
        use std::io::IsTerminal;
        match self {
            Couleur::Toujours => true,
            Couleur::Jamais => false,
            Couleur::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    /// The `--couleur` of command-line arguments clap refused, read by hand
    /// so that a usage error follows it too: its last valid value before a
    /// `--`, `auto` otherwise (a wrong value of `--couleur` itself included).
    pub fn des_arguments<I, T>(args: I) -> Couleur
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString>,
    {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let mut couleur = Couleur::Auto;
        let mut i = 0;
        while let Some(a) = args.get(i).and_then(|a| a.to_str()) {
            if a == "--" {
                break;
            }
            let valeur = match a.strip_prefix("--couleur") {
                Some("") => {
                    i += 1;
                    args.get(i).and_then(|v| v.to_str())
                }
                Some(v) => v.strip_prefix('='),
                None => None,
            };
            if let Some(c) = valeur.and_then(|v| Couleur::from_str(v, false).ok()) {
                couleur = c;
            }
            i += 1;
        }
        couleur
    }
}

#[derive(Subcommand, Debug)]
pub enum Commande {
    /// Vérifie les fichiers YAML (toutes les erreurs d'un fichier en une fois).
    Verifier(VerifierArgs),
    /// Calcule le flux pas à pas : parc soumis, flux prévisionnel, mobilisables, affectés.
    Calculer(CalculerArgs),
    /// Produit les PDF : convention à signer et chaque annexe, sous out/<année>/<convention>/.
    Generer(GenererArgs),
    /// Produit les PDF puis surveille les fichiers : à chaque enregistrement, régénère les documents des fichiers modifiés et affiche leurs diagnostics, jusqu'à Ctrl-C.
    Surveiller(SurveillerArgs),
    /// Produit l'avenant annuel d'une convention (bilan N-1, assiette et flux N comparés) et ses annexes actualisées.
    Avenant(AvenantArgs),
    /// Produit le rapport au conseil d'un réservataire pour une année (et, avec --xlsx, le classeur des chiffres).
    Rapport(RapportArgs),
    /// Affiche le schéma JSON du format YAML (pour l'éditeur : yaml-language-server) ; avec --modele, celui des fichiers d'un modèle.
    Schema(SchemaArgs),
    /// Modèles de convention intégrés : les lister, en copier un pour l'adapter.
    Modele(ModeleArgs),
    /// Écrit un fichier de convention de départ, commenté et valide, pour le modèle choisi (par exemple : convflux nouveau --modele bilateral le-cendre.yaml).
    Nouveau(NouveauArgs),
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
pub struct NouveauArgs {
    /// Le modèle de la convention.
    #[arg(long, value_enum, value_name = "MODELE")]
    pub modele: ModeleNouveau,
    /// Fichier YAML à créer (il ne doit pas exister) ; son nom donne l'identifiant de la convention.
    #[arg(value_name = "FICHIER")]
    pub fichier: PathBuf,
    /// N'affiche rien d'autre que les erreurs.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeleNouveau {
    Intercommunal,
    Bilateral,
}

impl ModeleNouveau {
    pub fn modele(self) -> crate::model::Modele {
        match self {
            ModeleNouveau::Intercommunal => crate::model::Modele::Intercommunal,
            ModeleNouveau::Bilateral => crate::model::Modele::Bilateral,
        }
    }
}

#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// Le schéma des fichiers de ce modèle seulement : ses textes locaux y sont des champs simples, que l'éditeur complète mieux (celui que désigne l'en-tête d'un fichier de `convflux nouveau`). Sans --modele : le schéma de tous les modèles.
    #[arg(long, value_enum, value_name = "MODELE")]
    pub modele: Option<ModeleNouveau>,
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
    /// Affiche chaque avertissement (par défaut, sur plus d'un fichier, le résumé les compte par règle).
    #[arg(long)]
    pub detail_avertissements: bool,
    /// Nombre de documents composés en même temps (par défaut : un par cœur).
    #[arg(long, short = 'j', value_name = "N", value_parser = nombre_positif)]
    pub travailleurs: Option<u16>,
    /// Usage interne : processus de travail de `generer`, lancé par le
    /// processus principal dont c'est le numéro.
    #[arg(long, hide = true, value_name = "PID", value_parser = numero)]
    pub travailleur_interne: Option<u32>,
    /// Usage interne : identifiant de l'exécution du processus principal
    /// (noms de ses fichiers temporaires).
    #[arg(long, hide = true, value_name = "ID")]
    pub execution_interne: Option<String>,
}

#[derive(Args, Debug)]
pub struct SurveillerArgs {
    #[command(flatten)]
    pub entrees: Entrees,
    /// Dossier de sortie (tenu par cette commande tant qu'elle surveille).
    #[arg(long, default_value = "out", value_name = "DOSSIER")]
    pub sortie: PathBuf,
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

/// The help's layout, its headings in French and in clap's heading style
/// (bold, underlined: seen only when the help is printed in colour).
fn modele_aide(groupe: bool) -> clap::builder::StyledStr {
    use std::fmt::Write as _;
    let h = clap::builder::Styles::styled().get_header().to_owned();
    let (titre, liste) = if groupe {
        ("Commandes :", "{subcommands}")
    } else {
        ("Arguments :", "{positionals}")
    };
    let mut m = clap::builder::StyledStr::new();
    let _ = write!(
        m,
        "{{about-with-newline}}\n{h}Utilisation :{h:#} {{usage}}\n\n{h}{titre}{h:#}\n{liste}\n\n\
         {h}Options :{h:#}\n{{options}}\n"
    );
    m
}

/// The clap command with its help in French (headings, help and version flags).
pub fn commande() -> clap::Command {
    use clap::{Arg, ArgAction, CommandFactory};
    fn franciser(c: clap::Command, racine: bool) -> clap::Command {
        // A group of commands (`modele`) lists them like the root does.
        let groupe = c.has_subcommands();
        let mut c = c
            .disable_help_flag(true)
            .help_template(modele_aide(racine || groupe))
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
        c.mut_args(franciser_arg)
            .mut_subcommands(|s| franciser(s, false))
    }
    // clap writes "[default: …]" and "[possible values: …]" in English: they
    // are hidden and written in French at the end of the argument's help.
    fn franciser_arg(a: Arg) -> Arg {
        if !a.get_action().takes_values() {
            return a;
        }
        let mut ajout = Vec::new();
        let possibles: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if !possibles.is_empty() && !a.is_hide_possible_values_set() {
            ajout.push(format!("valeurs possibles : {}", possibles.join(", ")));
        }
        let defaut: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaut.is_empty() && !a.is_hide_default_value_set() {
            ajout.push(format!("par défaut : {}", defaut.join(", ")));
        }
        if ajout.is_empty() {
            return a;
        }
        let aide = a.get_help().map(|h| h.to_string()).unwrap_or_default();
        let aide = format!("{aide} [{}]", ajout.join("] ["));
        a.hide_default_value(true)
            .hide_possible_values(true)
            .help(aide)
    }
    franciser(Cli::command(), true)
}

/// clap's usage errors in French (clap has no translations of its own):
/// each message is written here from the error's kind and context (the
/// argument, the value, the suggestions clap found), never by replacing
/// clap's English phrases.
pub struct Francais;

impl clap::error::ErrorFormatter for Francais {
    fn format_error(e: &clap::error::Error<Self>) -> clap::builder::StyledStr {
        use clap::error::{ContextKind as K, ContextValue as V, ErrorKind};
        let texte = |k: K| match e.get(k) {
            Some(V::String(s)) => Some(s.clone()),
            Some(V::Strings(v)) if !v.is_empty() => Some(v.join(", ")),
            _ => None,
        };
        let liste = |k: K| match e.get(k) {
            Some(V::String(s)) => vec![s.clone()],
            Some(V::Strings(v)) => v.clone(),
            _ => Vec::new(),
        };
        use clap::builder::styling::{AnsiColor, Style};
        // Styles as clap's own (a refused value in yellow, a proposed one in
        // green) and codespan's for our diagnostics (« erreur » in bold
        // red). Written as ANSI escapes in the text: `main` prints them, or
        // strips them (`StyledStr`'s Display), as `--couleur` decides.
        let en = |style: Style, s: &str| format!("{}{s}{}", style.render(), style.render_reset());
        let refusee = |s: &str| {
            en(
                AnsiColor::Yellow.on_default().bold(),
                &crate::diagnostic::affichable(s),
            )
        };
        let proposee = |s: &str| {
            en(
                AnsiColor::Green.on_default().bold(),
                &crate::diagnostic::affichable(s),
            )
        };
        let arg = refusee(&texte(K::InvalidArg).unwrap_or_default());
        let valeur_brute = texte(K::InvalidValue).unwrap_or_default();
        let valeur = refusee(&valeur_brute);
        let mut m = format!("{} : ", en(AnsiColor::Red.on_default().bold(), "erreur"));
        let mut astuces: Vec<String> = Vec::new();
        match e.kind() {
            ErrorKind::InvalidValue if valeur_brute.is_empty() => {
                m += &format!("une valeur est attendue après « {arg} », aucune n'a été donnée");
            }
            ErrorKind::InvalidValue => {
                m += &format!("valeur « {valeur} » non reconnue pour « {arg} »");
            }
            ErrorKind::ValueValidation => {
                m += &format!("valeur « {valeur} » refusée pour « {arg} »");
                // Our own value parsers (`annee`, `nombre_positif`) say why in French.
                if let Some(cause) = std::error::Error::source(e) {
                    m += &format!(" : {cause}");
                }
            }
            ErrorKind::InvalidSubcommand => {
                let c = refusee(&texte(K::InvalidSubcommand).unwrap_or_default());
                m += &format!("commande inconnue « {c} »");
            }
            ErrorKind::MissingSubcommand => {
                let c = refusee(&texte(K::InvalidSubcommand).unwrap_or_default());
                m += &format!("« {c} » attend une commande, aucune n'a été donnée");
            }
            ErrorKind::MissingRequiredArgument => {
                let manquants = liste(K::InvalidArg);
                m += if manquants.len() > 1 {
                    "arguments obligatoires manquants :"
                } else {
                    "argument obligatoire manquant :"
                };
                for a in manquants {
                    m += &format!("\n  {}", refusee(&a));
                }
            }
            ErrorKind::UnknownArgument => {
                m += &format!("argument inattendu « {arg} »");
                let brut = texte(K::InvalidArg).unwrap_or_default();
                if brut.starts_with('-') && e.get(K::SuggestedArg).is_none() {
                    astuces.push(format!(
                        "pour donner « {arg} » comme valeur (un nom de fichier), écrivez « -- {arg} »"
                    ));
                }
            }
            ErrorKind::TooManyValues => {
                m += &format!("valeur en trop « {valeur} » pour « {arg} »");
            }
            ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
                m += &format!("nombre de valeurs incorrect pour « {arg} »");
            }
            ErrorKind::ArgumentConflict => {
                let avant = texte(K::PriorArg);
                if avant == texte(K::InvalidArg) || avant.is_none() {
                    m += &format!("l'argument « {arg} » ne peut être donné qu'une fois");
                } else {
                    let avant = refusee(&avant.unwrap_or_default());
                    m += &format!("l'argument « {arg} » ne peut pas être donné avec « {avant} »");
                }
            }
            ErrorKind::NoEquals => {
                m += &format!(
                    "écrivez la valeur de « {arg} » après un signe égal (« {arg}=valeur »)"
                );
            }
            ErrorKind::InvalidUtf8 => {
                m += "un argument n'est pas du texte UTF-8 valide";
            }
            _ => m += "arguments de la ligne de commande non compris",
        }
        let possibles: Vec<String> = liste(K::ValidValue).iter().map(|v| proposee(v)).collect();
        if !possibles.is_empty() {
            m += &format!("\n  [valeurs possibles : {}]", possibles.join(", "));
        }
        for (k, quoi, quels) in [
            (
                K::SuggestedSubcommand,
                "une commande voisine existe",
                "des commandes voisines existent",
            ),
            (
                K::SuggestedArg,
                "un argument voisin existe",
                "des arguments voisins existent",
            ),
            (
                K::SuggestedValue,
                "une valeur voisine existe",
                "des valeurs voisines existent",
            ),
        ] {
            let v = liste(k);
            let quoi = if v.len() > 1 { quels } else { quoi };
            if !v.is_empty() {
                let v: Vec<String> = v.iter().map(|s| format!("« {} »", proposee(s))).collect();
                astuces.push(format!("{quoi} : {}", v.join(", ")));
            }
        }
        if !astuces.is_empty() {
            m.push('\n');
            for a in astuces {
                m += &format!(
                    "\n  {} : {a}",
                    en(AnsiColor::Cyan.on_default().bold(), "astuce")
                );
            }
        }
        if let Some(V::StyledStr(u)) = e.get(K::Usage) {
            let u = u.to_string();
            let u = u.strip_prefix("Usage:").unwrap_or(&u).trim_start();
            m += &format!(
                "\n\n{} {u}",
                en(Style::new().bold().underline(), "Utilisation :")
            );
        }
        m += "\n\nPour plus d'informations : --help.\n";
        m.into()
    }
}

/// A count given on the command line (`-j`): a whole number from 1.
fn nombre_positif(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("un nombre entier de 1 à {} est attendu", u16::MAX)),
    }
}

/// A process number (`--travailleur-interne`).
fn numero(s: &str) -> Result<u32, String> {
    s.trim()
        .parse::<u32>()
        .map_err(|_| "un numéro de processus est attendu".to_string())
}

#[cfg(test)]
mod tests {
    use super::Couleur;

    #[test]
    fn couleur_is_read_from_arguments_clap_refused() {
        let lire = |a: &[&str]| Couleur::des_arguments(a.iter().copied());
        assert_eq!(lire(&["convflux", "verifer"]), Couleur::Auto);
        assert_eq!(
            lire(&["convflux", "--couleur", "toujours", "x"]),
            Couleur::Toujours
        );
        assert_eq!(
            lire(&["convflux", "x", "--couleur=jamais"]),
            Couleur::Jamais
        );
        // A wrong value, a missing one, or after `--` (a file name): auto.
        assert_eq!(lire(&["convflux", "--couleur", "rouge"]), Couleur::Auto);
        assert_eq!(lire(&["convflux", "--couleur"]), Couleur::Auto);
        assert_eq!(
            lire(&["convflux", "--", "--couleur=toujours"]),
            Couleur::Auto
        );
    }
}
