//! This convention's own clauses (part of stage 2, `validate`): `clauses`
//! → [`Clauses`].
//!
//! `dispositions_particulieres` adds articles before the signatures, numbered
//! after the model's last article; `remplacer` gives a new body to one of the
//! model's articles, which keeps its number and title. The articles a model
//! has, and those it prints computed figures in, come from one table,
//! [`crate::model::articles`]. Text stays data: paragraphs and lists only,
//! each bounded like `textes`, and printed escaped.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::load::{Node, Value};
use crate::model::articles::{self, articles};
use crate::model::{Bloc, Clauses, Disposition, Element, Modele};
use crate::validate::lecteur::{Lecteur, joindre};
use crate::validate::limites::DISPOSITIONS_MAX;

const CLES: &[&str] = &["dispositions_particulieres", "remplacer"];

/// Reads `clauses`; `modele` is `None` when the convention's model could not
/// be read (the articles are then not checked against it).
pub fn clauses(l: &mut Lecteur, n: &Node, modele: Option<Modele>) -> Option<Clauses> {
    let mut t = l.table(n, "clauses")?;
    let dispositions = match l.champ(&mut t, "dispositions_particulieres") {
        Some(n) if n.value != Value::Null => dispositions(l, n, modele),
        _ => Some(Vec::new()),
    };
    let remplacements = match l.champ(&mut t, "remplacer") {
        Some(n) if n.value != Value::Null => remplacements(l, n, modele),
        _ => Some(BTreeMap::new()),
    };
    l.fin(t, CLES);
    Some(Clauses {
        dispositions: dispositions?,
        remplacements: remplacements?,
    })
}

/// The added articles, numbered from the model's last article + 1.
fn dispositions(l: &mut Lecteur, n: &Node, modele: Option<Modele>) -> Option<Vec<Disposition>> {
    let chemin = "clauses.dispositions_particulieres";
    let items = l.liste(n, chemin)?;
    if !l.borne(n, chemin, items.len(), DISPOSITIONS_MAX, "dispositions") {
        return None;
    }
    let dernier = modele.map_or(0, articles::dernier);
    let mut numero = dernier;
    l.elements(n, chemin, |l, n, chemin| {
        numero += 1;
        let mut t = l.table(n, chemin)?;
        let titre = l.req_texte(&mut t, "titre");
        let texte = texte(l, &mut t, chemin);
        l.fin(t, &["titre", "texte"]);
        let titre = titre?;
        if titre.trim().is_empty() {
            l.erreur(
                Diagnostic::erreur_de(
                    "titre de clause vide",
                    format!("`{chemin}.titre` est vide"),
                    Some(n.span),
                )
                .note(
                    "une disposition particulière s'imprime comme un article : donnez-lui un titre",
                ),
            );
            return None;
        }
        Some(Disposition {
            numero,
            titre,
            texte: texte?,
        })
    })
}

/// The replaced bodies, by article number.
fn remplacements(l: &mut Lecteur, n: &Node, modele: Option<Modele>) -> Option<BTreeMap<u32, Bloc>> {
    let lus = l.elements(n, "clauses.remplacer", |l, n, chemin| {
        let mut t = l.table(n, chemin)?;
        let numero = l
            .requis(&mut t, "article", "le numéro d'un article du modèle")
            .and_then(|a| Some((a.span, article(l, a, &joindre(chemin, "article"), modele)?)));
        let texte = texte(l, &mut t, chemin);
        l.fin(t, &["article", "texte"]);
        let (noeud, numero) = numero?;
        Some((noeud, numero, texte?))
    })?;
    let mut remplacements = BTreeMap::new();
    let mut ok = true;
    for (noeud, numero, texte) in lus {
        if remplacements.insert(numero, texte).is_some() {
            l.erreur(
                Diagnostic::erreur_de(
                    "article remplacé deux fois",
                    format!("l'article {numero} est remplacé deux fois"),
                    Some(noeud),
                )
                .label("deuxième remplacement")
                .note("un article du modèle n'a qu'un texte de remplacement : réunissez les deux"),
            );
            ok = false;
        }
    }
    ok.then_some(remplacements)
}

/// The number of an article of `modele` that can be replaced.
fn article(l: &mut Lecteur, n: &Node, chemin: &str, modele: Option<Modele>) -> Option<u32> {
    let numero = l.entier(n, chemin, u32::MAX as u64, "un numéro d'article")? as u32;
    let Some(modele) = modele else {
        return Some(numero);
    };
    let liste = articles(modele);
    match articles::article(modele, numero) {
        None => {
            let (premier, dernier) = (liste[0].numero, articles::dernier(modele));
            l.erreur(
                Diagnostic::erreur_de(
                    "article inconnu du modèle",
                    format!(
                        "l'article {numero} n'existe pas dans le modèle {} (articles {premier} à {dernier})",
                        modele.nom()
                    ),
                    Some(n.span),
                )
                .label("article inconnu")
                .note("`remplacer` remplace le texte d'un article du modèle ; pour ajouter un article, écrivez une disposition particulière (`clauses.dispositions_particulieres`)"),
            );
            None
        }
        Some(a) => match a.chiffres {
            Some(chiffres) => {
                l.erreur(
                    Diagnostic::erreur_de(
                        "article non remplaçable",
                        format!(
                            "l'article {numero} du modèle {} ne peut pas être remplacé",
                            modele.nom()
                        ),
                        Some(n.span),
                    )
                    .label(format!("article {numero} – {}", a.titre))
                    .note(format!(
                        "cet article imprime {chiffres}, calculés par convflux : son texte suit le calcul ; ajoutez plutôt une disposition particulière"
                    )),
                );
                None
            }
            None => Some(numero),
        },
    }
}

/// The required `texte` of a clause: paragraphs and lists, not empty.
fn texte(
    l: &mut Lecteur,
    t: &mut crate::validate::lecteur::Table<'_>,
    chemin: &str,
) -> Option<Bloc> {
    let n = l.requis(t, "texte", "des paragraphes ou une `liste:`")?;
    let chemin = joindre(chemin, "texte");
    let bloc = super::bloc(l, n, &chemin, false)?;
    let vide = bloc.iter().all(|e| match e {
        Element::Paragraphe(p) => p.trim().is_empty(),
        Element::Liste(items) => items.iter().all(|i| i.trim().is_empty()),
        Element::Tableau { .. } => false,
    });
    if vide {
        l.erreur(
            Diagnostic::erreur_de("texte de clause vide", format!("`{chemin}` est vide"), Some(n.span))
                .label("aucun texte")
                .note("le texte d'une clause est imprimé dans la convention signée : écrivez au moins un paragraphe"),
        );
        return None;
    }
    Some(bloc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::regles::essai::textes;

    fn diags(yaml: &str) -> Vec<String> {
        let racine = crate::load::charger(yaml).expect("YAML");
        let mut l = Lecteur::default();
        let _ = clauses(&mut l, &racine, Some(Modele::Intercommunal));
        textes(&l.diags.0)
    }

    #[test]
    fn article_inconnu() {
        let d = diags("remplacer:\n  - article: 42\n    texte: [\"Nouveau\"]\n");
        assert!(
            d[0].contains(
                "l'article 42 n'existe pas dans le modèle intercommunal (articles 1 à 12)"
            ),
            "{d:?}"
        );
    }

    #[test]
    fn un_article_aux_chiffres_calcules_reste_celui_du_modele() {
        let racine =
            crate::load::charger("remplacer:\n  - article: 4\n    texte: \"Autre taux.\"\n")
                .unwrap();
        let mut l = Lecteur::default();
        assert!(clauses(&mut l, &racine, Some(Modele::Bilateral)).is_none());
        let d = textes(&l.diags.0);
        assert!(
            d[0].contains("l'article 4 du modèle bilateral ne peut pas être remplacé")
                && d[0].contains("le taux affecté au réservataire"),
            "{d:?}"
        );
    }

    #[test]
    fn numerotees_apres_le_dernier_article() {
        let racine = crate::load::charger(
            "dispositions_particulieres:\n  - titre: A\n    texte: a\n  - titre: B\n    texte: [b, {liste: [c]}]\n",
        )
        .unwrap();
        let mut l = Lecteur::default();
        let c = clauses(&mut l, &racine, Some(Modele::Bilateral)).unwrap();
        let numeros: Vec<u32> = c.dispositions.iter().map(|d| d.numero).collect();
        assert_eq!(numeros, [18, 19]);
    }

    #[test]
    fn ni_tableau_ni_texte_vide_ni_double() {
        let d = diags(
            "remplacer:\n  - article: 10\n    texte: [{tableau: {colonnes: [a], lignes: []}}]\n  - article: 9\n    texte: [\"\", {liste: []}]\n",
        );
        assert!(d.iter().any(|m| m.contains("pas de tableau")), "{d:?}");
        assert!(
            d.iter()
                .any(|m| m.contains("clauses.remplacer[1].texte` est vide")),
            "{d:?}"
        );
        let d = diags("remplacer:\n  - article: 10\n    texte: a\n  - article: 10\n    texte: b\n");
        assert!(d.iter().any(|m| m.contains("remplacé deux fois")), "{d:?}");
    }
}
