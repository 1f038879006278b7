//! `convflux verifier`: load + validate + compute + controle, print every
//! diagnostic, a summary line, exit 1 if any file has errors.

use crate::cli::VerifierArgs;
use crate::commands::{Issue, pluriel};
use crate::diagnostic::Severity;
use crate::pipeline;

pub fn executer(a: VerifierArgs) -> anyhow::Result<Issue> {
    let fichiers = pipeline::fichiers(&a.entrees.chemins).map_err(anyhow::Error::msg)?;
    let (mut erreurs, mut avertissements, mut invalides) = (0, 0, 0);
    for f in &fichiers {
        let mut an = pipeline::analyser(f);
        if a.quiet {
            an.diags.0.retain(|d| d.severity == Severity::Erreur);
        }
        eprint!("{}", an.rapport());
        erreurs += an.diags.erreurs();
        avertissements += an.diags.avertissements();
        if !an.valide() {
            invalides += 1;
        }
    }
    eprintln!(
        "{} vérifié{}, {} en erreur : {}, {}",
        pluriel(fichiers.len(), "fichier"),
        if fichiers.len() > 1 { "s" } else { "" },
        invalides,
        pluriel(erreurs, "erreur"),
        pluriel(avertissements, "avertissement"),
    );
    Ok(if invalides > 0 {
        Issue::ErreursDeDonnees
    } else {
        Issue::Succes
    })
}
