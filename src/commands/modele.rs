//! `convflux modele`: lists the built-in models, copies one into a new folder
//! for a legal service to adapt. The catalogue is `crate::modeles`; the copy
//! is written by `output::creer_dossier`. Generating from a copied model is
//! not supported yet: the command says so.

use anyhow::bail;

use crate::cli::{CopierArgs, ModeleArgs, ModeleCommande};
use crate::commands::{Issue, pluriel};
use crate::modeles;
use crate::output;

pub fn executer(a: ModeleArgs) -> anyhow::Result<Issue> {
    match a.commande {
        ModeleCommande::Liste => liste(),
        ModeleCommande::Copier(a) => copier(a),
    }
}

fn liste() -> anyhow::Result<Issue> {
    let mut out = String::new();
    for m in modeles::MODELES {
        out.push_str(&format!(
            "{} (famille : {}) — {}\n",
            m.nom, m.famille, m.description
        ));
        out.push_str(&format!("  documents, sous {} :\n", m.dossier_sortie));
        for d in m.documents {
            let famille = d
                .famille
                .map(|f| format!(" [{f} seulement]"))
                .unwrap_or_default();
            out.push_str(&format!("    {:<28} {}{famille}\n", d.fichier, d.gabarit));
        }
        out.push_str(&format!(
            "  {} copiés par `convflux modele copier {} <dossier>`\n\n",
            pluriel(m.gabarits().len(), "gabarit"),
            m.nom
        ));
    }
    print!("{out}");
    Ok(Issue::Succes)
}

fn copier(a: CopierArgs) -> anyhow::Result<Issue> {
    let Some(m) = modeles::trouver(&a.modele) else {
        bail!(
            "modèle inconnu « {} » ; modèles intégrés : {} (voir `convflux modele liste`)",
            a.modele,
            modeles::noms()
        );
    };
    let fichiers = m.fichiers();
    output::creer_dossier(&a.dossier, &fichiers)?;
    if !a.quiet {
        for (cle, _) in &fichiers {
            eprintln!("écrit : {}", a.dossier.join(cle).display());
        }
        eprintln!(
            "modèle « {} » copié dans {} : {}",
            m.nom,
            a.dossier.display(),
            pluriel(fichiers.len(), "fichier")
        );
        eprintln!(
            "note : pour produire une convention avec ce modèle, ajoutez sous `convention:` \
             de son fichier YAML `gabarits: <chemin de ce dossier, relatif au fichier YAML>` \
             (docs/modeles.md)"
        );
    }
    Ok(Issue::Succes)
}
