//! `convflux rapport`: the council report of one réservataire across its
//! conventions for one year, as a PDF under `<sortie>/<annee>/`, a summary
//! on standard output, and with `--xlsx` the workbook of the figures (one
//! row per annex). Any invalid file stops it: a report missing a convention
//! would be wrong.

use std::fmt::Write as _;

use crate::cli::RapportArgs;
use crate::commands::{Issue, faute_du_modele, non_produit};
use crate::compute::rapport::{self, SourcePrecedent};
use crate::diagnostic::{self, Severity};
use crate::francais::nombre as nombre_fr;
use crate::modeles::dossier::Dossier as DossierModele;
use crate::output::{
    self,
    manifest::{self, Contexte, Manifeste},
};
use crate::pipeline::{self, Analyse};
use crate::render::{Rendu, rapport as vue_rapport, tableur};
use crate::typeset::{self, Typesetter};

/// The first bytes of an XLSX file (a ZIP archive): the only kind of
/// existing file `--xlsx` may replace.
const XLSX: &[u8] = b"PK\x03\x04";

fn logements(n: u32) -> String {
    crate::francais::compte(n, "logement")
}

pub fn executer(a: RapportArgs) -> anyhow::Result<Issue> {
    let fichiers = crate::commands::lister(&a.entrees.chemins, a.quiet)?;
    if let Some(x) = &a.xlsx {
        output::controler_fichier_nomme(x, "xlsx", XLSX, &fichiers)?;
    }
    let mut analyses: Vec<Analyse> = Vec::new();
    let mut invalides = 0;
    for f in &fichiers {
        let an = pipeline::analyser_dans(f, &crate::modeles::projet::borne(&a.entrees.chemins, f));
        if !an.valide() {
            // Errors in full; warnings are `verifier`'s business, counted below.
            let mut d = an.diags.clone();
            d.0.retain(|d| d.severity == Severity::Erreur);
            eprint!("{}", d.rendre(&an.nom(), &an.source));
            invalides += 1;
            eprintln!("{} : données invalides", an.nom());
        }
        analyses.push(an);
    }
    if invalides > 0 {
        eprintln!(
            "erreur : rapport non produit : {invalides} fichier(s) invalide(s) ; corrigez-les (`convflux verifier`) pour que le rapport compte toutes les conventions"
        );
        return Ok(Issue::ErreursDeDonnees);
    }
    let sources: Vec<rapport::Source> = analyses
        .iter()
        .filter_map(|an| Some((an.nom(), an.convention.as_ref()?, an.flux.as_slice())))
        .collect();
    let r = match rapport::assembler(&sources, &a.reservataire, a.annee) {
        Ok(r) => r,
        Err(erreurs) => {
            for e in erreurs {
                eprintln!("erreur : {e}");
            }
            return Ok(Issue::ErreursDeDonnees);
        }
    };
    if !a.quiet {
        for w in &r.avertissements {
            eprintln!("avertissement : {w}");
        }
    }
    let avertissements: usize = analyses
        .iter()
        .filter(|an| r.lignes.iter().any(|l| l.fichier == an.nom()))
        .map(|an| an.diags.avertissements())
        .sum();
    if avertissements > 0 && !a.quiet {
        eprintln!(
            "{} dans les fichiers du rapport : `convflux verifier` les détaille",
            crate::commands::pluriel(avertissements, "avertissement")
        );
    }
    // The PDF is composed with the model of the conventions gathered (not
    // of every file named: a file where the réservataire has no annex adds
    // nothing), decided before anything is printed or written; the workbook
    // alone needs none.
    let gathered: Vec<&Analyse> = analyses
        .iter()
        .filter(|an| r.lignes.iter().any(|l| l.fichier == an.nom()))
        .collect();
    let modele = match pipeline::modele_commun(&gathered) {
        Ok(m) => m,
        Err(_) if a.sans_pdf => None,
        Err(pourquoi) => {
            eprintln!("erreur : rapport non produit : {pourquoi}");
            return Ok(Issue::ErreursDeDonnees);
        }
    };
    if !a.quiet {
        let mut out = String::new();
        let conseil = match r.reservataire.nature {
            crate::model::Nature::Commune => "conseil municipal",
            crate::model::Nature::Epci => "conseil communautaire",
            _ => "organe délibérant",
        };
        let _ = writeln!(
            out,
            "Rapport au {conseil} — {} — année {}",
            r.reservataire.nom, r.annee
        );
        for l in &r.lignes {
            let _ = writeln!(
                out,
                "  {:<12} {:>8} %  {:>14}{}",
                l.convention.bailleur.nom,
                nombre_fr(l.flux.taux),
                logements(l.flux.affectes.0),
                match l.avenant {
                    Some(n) => format!("  (avenant n° {n})"),
                    None => String::new(),
                }
            );
        }
        let _ = write!(out, "  quota {} : {}", r.annee, logements(r.total.0));
        match r.precedent {
            Some(p) => {
                let _ = writeln!(
                    out,
                    " ; {} : {}{}",
                    p.annee,
                    logements(p.logements.0),
                    if p.source == SourcePrecedent::Declare {
                        " (déclaré, gestion en stock)"
                    } else {
                        ""
                    }
                );
            }
            None => {
                let _ = writeln!(out, " ; {} : non renseigné", r.annee - 1);
            }
        }
        print!("{out}");
    }
    if !a.sans_pdf {
        let rendu = Rendu::new();
        let rendu = match &modele {
            Some(m) => rendu.pour(m),
            None => std::sync::Arc::new(rendu),
        };
        let ts = Typesetter::new()?;
        let doc = match vue_rapport::document(&rendu, &r).map_err(anyhow::Error::from) {
            Ok(d) => d,
            Err(e) if faute_du_modele(&e, modele.is_some()) => return non_produit(&e, "rapport"),
            Err(e) => return Err(e),
        };
        let sortie = output::Dossier::prendre(&a.sortie, &fichiers)?;
        // The typesetter's default (the report has no signature block).
        let ctx = Contexte::documents(true, a.typst);
        let fabrique = pipeline::Fabrique {
            ts: &ts,
            dossier: &sortie,
            ctx: &ctx,
            typst: a.typst,
            apres_document: &typeset::liberer_caches,
        };
        // Made from several files: recorded under all of them, with the hash
        // of their hashes.
        let noms: Vec<String> = analyses.iter().map(|an| an.nom()).collect();
        let empreintes: String = analyses
            .iter()
            .map(|an| manifest::sha256(an.source.as_bytes()))
            .collect();
        let (source, sha) = (noms.join(", "), manifest::sha256(empreintes.as_bytes()));
        let (mut m, _) = Manifeste::charger(&a.sortie);
        // With `--typst` and a copied model, the model's Typst files are
        // written under `<annee>/`: only over files convflux wrote (`Dossier`).
        let provenance = pipeline::Provenance {
            source: &source,
            sha256: &sha,
            annee: r.annee,
            // The council report prints no logo (several conventions).
            images: &[],
            projet: None,
        };
        if a.typst
            && let Some(md) = &modele
            && let Some(pourquoi) = autre_modele(&sortie, &m, md, doc.template, r.annee)
        {
            eprintln!("erreur : rapport non produit : {pourquoi}");
            return Ok(Issue::ErreursDeDonnees);
        }
        let mut lot = pipeline::Lot::default();
        let cles = match fabrique.preparer(vec![doc], &r.annee.to_string(), &provenance, &mut lot) {
            Ok(c) => c,
            Err(e) if faute_du_modele(&e, modele.is_some()) => return non_produit(&e, "rapport"),
            Err(e) => return Err(e),
        };
        let pages = lot.pages;
        let sorties = lot.installer()?;
        let bibliotheque = if a.typst {
            pipeline::ecrire_bibliotheque(&sortie, &ctx)?
        } else {
            Vec::new()
        };
        m.ajouter(sorties);
        m.ajouter(bibliotheque);
        m.enregistrer(&sortie)?;
        if !a.quiet
            && let Some(cle) = cles.iter().find(|c| c.ends_with(".pdf"))
        {
            eprintln!(
                "écrit : {} ({} pages)",
                sortie.racine().join(cle).display(),
                pages
            );
        }
    }
    if let Some(x) = &a.xlsx {
        let octets = tableur::classeur(&r)?;
        output::ecrire_fichier_nomme(x, "xlsx", XLSX, &fichiers, &octets)?;
        if !a.quiet {
            eprintln!("écrit : {}", x.display());
        }
    }
    Ok(Issue::Succes)
}

/// With `--typst`, a copied model's Typst files go under `<annee>/`, shared
/// by the reports of that year: why one of them cannot be written, when it
/// is still the file an earlier report wrote there with another model
/// (replacing it would make that report's source compile against this
/// model's library). `None`: every file may be written.
fn autre_modele(
    sortie: &output::Dossier,
    m: &Manifeste,
    modele: &DossierModele,
    gabarit: &str,
    annee: i32,
) -> Option<String> {
    let racine = modele.racine().display().to_string();
    modele
        .fichiers_typst(gabarit)
        .into_iter()
        .find_map(|(nom, octets)| {
            let cle = format!("{annee}/{nom}");
            let o = m.sorties.get(&cle)?;
            let autre = o.modele.as_deref().filter(|a| *a != racine)?;
            (o.sha256 != manifest::sha256(&octets)
                && sortie.empreinte(&cle).as_deref() == Some(o.sha256.as_str()))
            .then(|| {
                format!(
                    "{} : un rapport de {annee} l'a écrit avec le modèle {} ; celui-ci est composé avec le modèle {}, \
                     et les rapports d'une année partagent ce dossier : produisez les rapports de modèles différents \
                     dans des dossiers de sortie différents (`--sortie`), ou supprimez ce fichier puis relancez",
                    diagnostic::affichable(&sortie.racine().join(&cle).display().to_string()),
                    diagnostic::affichable(autre),
                    diagnostic::affichable(&racine),
                )
            })
        })
}
