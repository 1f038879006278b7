//! `convflux generer`: for each valid file and each exercise, render the
//! documents, typeset them and write them atomically under
//! `<sortie>/<annee>/<convention>/`. A file with errors produces nothing and
//! is reported; the others are still produced; exit 1 if any failed.

use std::path::Path;
use std::time::Instant;

use crate::cli::GenererArgs;
use crate::commands::{Issue, pluriel};
use crate::diagnostic::Severity;
use crate::output;
use crate::pipeline::{self, Analyse};
use crate::render::Rendu;
use crate::typeset::{self, Typesetter};

/// Counts for the final summary.
#[derive(Default, Debug, Clone, Copy)]
pub struct Bilan {
    pub documents: usize,
    pub pages: usize,
    pub avertissements: usize,
    pub fichiers_en_erreur: usize,
}

pub fn executer(a: GenererArgs) -> anyhow::Result<Issue> {
    let debut = Instant::now();
    let fichiers = pipeline::fichiers(&a.entrees.chemins).map_err(anyhow::Error::msg)?;
    let rendu = Rendu::new();
    let ts = Typesetter::new()?.champs_signature(!a.sans_champs_signature);
    output::nettoyer_temporaires(&a.sortie);
    let mut bilan = Bilan::default();
    for f in &fichiers {
        let an = pipeline::analyser(f);
        bilan.avertissements += an.diags.avertissements();
        if !a.quiet || an.diags.a_des_erreurs() {
            let mut an_diags = an.diags.clone();
            if a.quiet {
                an_diags.0.retain(|d| d.severity == Severity::Erreur);
            }
            eprint!("{}", an_diags.rendre(&an.nom(), &an.source));
        }
        if !an.valide() {
            bilan.fichiers_en_erreur += 1;
            eprintln!("{} : données invalides, aucun document produit", an.nom());
            continue;
        }
        match produire(&an, &a, &rendu, &ts) {
            Ok((docs, pages)) => {
                bilan.documents += docs;
                bilan.pages += pages;
            }
            Err(e) => {
                bilan.fichiers_en_erreur += 1;
                eprintln!("{} : {e:#}", an.nom());
            }
        }
    }
    if !a.quiet {
        eprintln!(
            "{} produits ({}) en {:.1} s ; {} ; {} en erreur",
            pluriel(bilan.documents, "document"),
            pluriel(bilan.pages, "page"),
            debut.elapsed().as_secs_f64(),
            pluriel(bilan.avertissements, "avertissement"),
            pluriel(bilan.fichiers_en_erreur, "fichier"),
        );
    }
    Ok(if bilan.fichiers_en_erreur > 0 {
        Issue::ErreursDeDonnees
    } else {
        Issue::Succes
    })
}

/// Renders and typesets every document of one file; writes them only when all
/// of them succeeded (a failed convention leaves its previous files untouched).
fn produire(
    an: &Analyse,
    a: &GenererArgs,
    rendu: &Rendu,
    ts: &Typesetter,
) -> anyhow::Result<(usize, usize)> {
    let Some(c) = &an.convention else {
        return Ok((0, 0));
    };
    let mut a_ecrire: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    let mut pages = 0;
    for flux in an
        .flux
        .iter()
        .filter(|f| a.annee.is_none_or(|y| f.annee == y))
    {
        let dossier = a.sortie.join(flux.annee.to_string()).join(&c.id);
        for doc in rendu.documents(c, flux, &an.flux)? {
            let compile = ts.compile(&doc.source, &doc.ident)?;
            typeset::liberer_caches();
            pages += compile.pages;
            if a.typst {
                a_ecrire.push((
                    dossier.join(doc.fichier.replace(".pdf", ".typ")),
                    doc.source.into_bytes(),
                ));
            }
            a_ecrire.push((dossier.join(&doc.fichier), compile.pdf));
        }
    }
    let n = a_ecrire
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "pdf"))
        .count();
    for (p, bytes) in &a_ecrire {
        output::ecrire_atomique(Path::new(p), bytes)?;
    }
    Ok((n, pages))
}
