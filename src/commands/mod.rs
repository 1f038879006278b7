//! One file per subcommand; no domain logic here, only the pipeline's stages
//! called in order and their outcome printed.

mod avenant;
mod calculer;
mod generer;
mod modele;
mod nouveau;
mod rapport;
mod schema;
mod surveiller;
mod verifier;

use std::path::PathBuf;

use crate::cli::{Cli, Commande};
use crate::input;

/// How a command ended (errors of usage or I/O are `Err`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issue {
    Succes,
    ErreursDeDonnees,
}

pub fn executer(cli: Cli) -> anyhow::Result<Issue> {
    crate::diagnostic::colorer(cli.couleur.active());
    match cli.commande {
        Commande::Verifier(a) => verifier::executer(a),
        Commande::Calculer(a) => calculer::executer(a),
        Commande::Generer(a) => generer::executer(a),
        Commande::Surveiller(a) => surveiller::executer(a),
        Commande::Avenant(a) => avenant::executer(a),
        Commande::Rapport(a) => rapport::executer(a),
        Commande::Schema(a) => schema::executer(a),
        Commande::Modele(a) => modele::executer(a),
        Commande::Nouveau(a) => nouveau::executer(a),
        Commande::Completions(a) => {
            let mut c = crate::cli::commande();
            clap_complete::generate(a.shell, &mut c, "convflux", &mut std::io::stdout());
            Ok(Issue::Succes)
        }
        Commande::Manuel => {
            let mut page = Vec::new();
            clap_mangen::Man::new(crate::cli::commande()).render(&mut page)?;
            // clap_mangen writes its section titles in English.
            let page = String::from_utf8_lossy(&page)
                .lines()
                .map(|l| match l {
                    ".SH NAME" => ".SH NOM",
                    ".SH SUBCOMMANDS" => ".SH COMMANDES",
                    ".SH AUTHORS" => ".SH AUTEURS",
                    _ => l,
                })
                .collect::<Vec<_>>()
                .join("\n");
            std::io::Write::write_all(&mut std::io::stdout(), (page + "\n").as_bytes())?;
            Ok(Issue::Succes)
        }
    }
}

pub(crate) use crate::francais::pluriel;

/// Whether `e` is a mistake of the user's copied model (`modele`): an error
/// of its templates (render), or a Typst error of its library or of its
/// templates' text, or one of its fonts (typeset). It is the data's to fix,
/// as `generer` counts such a file in error: `avenant` and `rapport` print it
/// and end with code 1 ([`non_produit`]); any other error stays an internal one.
pub(crate) fn faute_du_modele(e: &anyhow::Error, modele: bool) -> bool {
    use crate::render::RenderError;
    use crate::typeset::TypesetError;
    matches!(
        e.downcast_ref::<RenderError>(),
        Some(RenderError::Modele { .. })
    ) || modele
        && matches!(
            e.downcast_ref::<TypesetError>(),
            Some(TypesetError::Composition(_) | TypesetError::Police(_))
        )
}

/// Prints a model's mistake ([`faute_du_modele`]) and that `quoi` was not
/// produced: the data's error, exit code 1.
pub(crate) fn non_produit(e: &anyhow::Error, quoi: &str) -> anyhow::Result<Issue> {
    eprintln!("{e}");
    eprintln!("erreur : {quoi} non produit");
    Ok(Issue::ErreursDeDonnees)
}

/// The YAML files named by a command's arguments, each real file once; what
/// the walk passed over (links that loop, unreadable folders) is said as a
/// warning, unless `quiet`.
pub(crate) fn lister(chemins: &[PathBuf], quiet: bool) -> anyhow::Result<Vec<PathBuf>> {
    let liste = input::lister(chemins).map_err(anyhow::Error::msg)?;
    if !quiet {
        for a in &liste.avertissements {
            eprintln!("avertissement : {}", crate::diagnostic::affichable(a));
        }
    }
    if liste.fichiers.is_empty() {
        let noms: Vec<String> = chemins.iter().map(|c| c.display().to_string()).collect();
        anyhow::bail!(
            "aucun fichier de convention (.yaml ou .yml) dans {}",
            noms.join(", ")
        );
    }
    Ok(liste.fichiers)
}
