//! `convflux avenant`: the avenant of one exercise after the first, with its
//! updated annexes, under `<sortie>/<annee>/<convention>/` (the same
//! documents `generer` produces for that year). Refuses a year without
//! exercise, naming the convention's last possible year when the year lies
//! beyond it, and the first year (which gives the convention).

use crate::cli::AvenantArgs;
use crate::commands::{Issue, pluriel};
use crate::diagnostic::Severity;
use crate::output;
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
    let mut an = pipeline::analyser(&a.fichier);
    if a.quiet {
        an.diags.0.retain(|d| d.severity == Severity::Erreur);
    }
    eprint!("{}", an.rapport());
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
                "erreur : {nom} : pas d'avenant pour {annee} : l'année est hors de la durée de la convention `{}`, dernière année possible {fin} (durée {} ans + {} reconduction(s) de {} an(s) au plus)",
                c.id, c.duree_ans, c.reconduction.nombre_max, c.reconduction.duree_ans
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
    let dossier = format!("{annee}/{}", c.id);
    let mut a_ecrire = Vec::new();
    let mut pages = 0;
    for doc in rendu.documents(c, flux, &an.flux)? {
        let compile = ts.compile(&doc.source, &doc.ident)?;
        typeset::liberer_caches();
        pages += compile.pages;
        if a.typst {
            a_ecrire.push((
                format!("{dossier}/{}", doc.fichier.replace(".pdf", ".typ")),
                doc.source.into_bytes(),
            ));
        }
        a_ecrire.push((format!("{dossier}/{}", doc.fichier), compile.pdf));
    }
    // All or nothing: a typesetting failure above leaves the folder untouched.
    let sortie = output::Dossier::prendre(&a.sortie, std::slice::from_ref(&a.fichier))?;
    for (cle, bytes) in &a_ecrire {
        sortie.ecrire(cle, bytes)?;
        if !a.quiet {
            eprintln!("écrit : {}", sortie.racine().join(cle).display());
        }
    }
    if !a.quiet {
        let n = a_ecrire
            .iter()
            .filter(|(cle, _)| cle.ends_with(".pdf"))
            .count();
        eprintln!(
            "avenant {annee} de `{}` : {} ({})",
            c.id,
            pluriel(n, "document"),
            pluriel(pages, "page")
        );
    }
    Ok(Issue::Succes)
}
