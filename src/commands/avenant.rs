//! `convflux avenant`: the avenant of one exercise after the first, with its
//! updated annexes, under `<sortie>/<annee>/<convention>/` (the same
//! documents `generer` produces for that year). Refuses a year without
//! exercise, naming the convention's last possible year when the year lies
//! beyond it, and the first year (which gives the convention).

use std::collections::BTreeMap;

use crate::cli::AvenantArgs;
use crate::commands::{Issue, faute_du_modele, non_produit, pluriel};
use crate::diagnostic::Severity;
use crate::input;
use crate::load;
use crate::output::{
    self,
    manifest::{self, Contexte, Manifeste, MiseAJour},
};
use crate::pipeline;
use crate::render::Rendu;
use crate::typeset::{self, Typesetter};

pub fn executer(a: AvenantArgs) -> anyhow::Result<Issue> {
    if a.fichier.is_dir() {
        anyhow::bail!(
            "{} est un dossier : un fichier YAML de convention est attendu",
            a.fichier.display()
        );
    }
    if !a.fichier.exists() {
        anyhow::bail!(
            "fichier introuvable : {} (un fichier YAML de convention est attendu)",
            a.fichier.display()
        );
    }
    // The file's bytes are hashed as `generer` hashes them (for the manifest).
    // A file named alone sees the project file beside it.
    let borne = crate::modeles::projet::borne(std::slice::from_ref(&a.fichier), &a.fichier);
    let (mut an, sha) = match input::lire(&a.fichier, load::TAILLE_MAX as u64) {
        Ok(b) => {
            let sha = manifest::sha256(&b);
            (pipeline::analyser_octets_dans(&a.fichier, &borne, b), sha)
        }
        // `analyser` reports why it cannot be read.
        Err(_) => (pipeline::analyser_dans(&a.fichier, &borne), String::new()),
    };
    if a.quiet {
        an.diags.0.retain(|d| d.severity == Severity::Erreur);
    }
    eprint!("{}", an.diagnostics_rendus());
    let nom = an.nom();
    let Some(c) = an.convention.as_ref().filter(|_| an.valide()) else {
        eprintln!("{nom} : données invalides, aucun avenant produit");
        return Ok(Issue::ErreursDeDonnees);
    };
    let annees: Vec<i32> = c.exercices.iter().map(|e| e.annee.v).collect();
    let annee = match a.annee {
        Some(y) => y,
        None => annees.iter().copied().max().unwrap_or_default(),
    };
    let liste = annees
        .iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let Some(flux) = an.flux.iter().find(|f| f.annee == annee) else {
        match c.derniere_annee() {
            // Seed 000 art. 12: 3 years + 2 renewals of 1 year; seed 004 art. 15: 3 + 3 × 1.
            Some(fin) if annee > fin => eprintln!(
                "erreur : {nom} : pas d'avenant pour {annee} : l'année est hors de la durée de la convention `{}`, dernière année possible {fin} ({}durée {} ans + {} reconduction(s) de {} an(s) au plus)",
                c.id,
                c.date_fin()
                    .and_then(|d| crate::francais::date_longue(d.jour, d.mois, d.annee))
                    .map_or(String::new(), |d| format!("fin au plus tard le {d} ; ")),
                c.duree_ans,
                c.reconduction.nombre_max,
                c.reconduction.duree_ans
            ),
            _ => eprintln!(
                "erreur : {nom} : pas d'exercice {annee} (exercices : {liste}) ; ajoutez l'exercice {annee} avec son bilan et ses annexes pour produire son avenant"
            ),
        }
        return Ok(Issue::ErreursDeDonnees);
    };
    if c.premiere_annee() == Some(annee) {
        eprintln!(
            "erreur : {nom} : {annee} est le premier exercice de `{}` : il donne la convention, pas un avenant (utilisez `convflux generer {nom} --annee {annee}`)",
            c.id
        );
        return Ok(Issue::ErreursDeDonnees);
    }
    let rendu = Rendu::new();
    let ts = Typesetter::new()?.champs_signature(!a.sans_champs_signature);
    let quoi = format!("{nom} : avenant {annee}");
    let docs = match rendu
        .documents_du_modele(an.modele.as_ref(), c, flux, &an.flux)
        .map_err(anyhow::Error::from)
    {
        Ok(d) => d,
        Err(e) if faute_du_modele(&e, an.modele.is_some()) => return non_produit(&e, &quoi),
        Err(e) => return Err(e),
    };
    let sortie = output::Dossier::prendre(&a.sortie, std::slice::from_ref(&a.fichier))?;
    let ctx = Contexte::documents(!a.sans_champs_signature, a.typst);
    let fabrique = pipeline::Fabrique {
        ts: &ts,
        dossier: &sortie,
        ctx: &ctx,
        typst: a.typst,
        apres_document: &typeset::liberer_caches,
    };
    let source = sortie.cle_entree(&a.fichier);
    let (mut m, _) = Manifeste::charger(&a.sortie);
    let provenance = pipeline::Provenance {
        source: &source,
        sha256: &sha,
        annee,
        images: &an.images,
        projet: an.projet.as_ref(),
    };
    // All or nothing: a typesetting failure leaves the folder untouched.
    let mut lot = pipeline::Lot::default();
    let cles = match fabrique.preparer(docs, &format!("{annee}/{}", c.id), &provenance, &mut lot) {
        Ok(c) => c,
        Err(e) if faute_du_modele(&e, an.modele.is_some()) => return non_produit(&e, &quoi),
        Err(e) => return Err(e),
    };
    let (documents, pages) = (lot.documents, lot.pages);
    let sorties = lot.installer()?;
    let bibliotheque = if a.typst {
        pipeline::ecrire_bibliotheque(&sortie, &ctx)?
    } else {
        Vec::new()
    };
    if !a.quiet {
        for cle in &cles {
            eprintln!("écrit : {}", sortie.racine().join(cle).display());
        }
    }
    // Recorded like `generer`'s outputs: the next `generer` finds them up to date.
    let anciennes = m.anciennes_sorties(&source, &[annee]);
    pipeline::retirer_anciennes(&sortie, &anciennes, &sorties);
    m.remplacer(MiseAJour {
        source: source.clone(),
        sha256: sha.clone(),
        convention: c.id.clone(),
        exercices: annees.clone(),
        annees: BTreeMap::from([(annee, cles)]),
        sorties,
        anciennes,
        avertissements: an.diags.avertissements(),
    });
    m.ajouter(bibliotheque);
    m.enregistrer(&sortie)?;
    if !a.quiet {
        eprintln!(
            "avenant {annee} de `{}` : {} ({})",
            c.id,
            pluriel(documents, "document"),
            pluriel(pages, "page")
        );
    }
    Ok(Issue::Succes)
}
