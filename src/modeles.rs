//! The built-in models of convention (`convflux modele`): which embedded
//! templates each one is made of, which documents it produces, and the
//! `modele.yaml` that describes a copy of it.
//!
//! Takes the embedded templates (`assets`), gives file lists and text; writes
//! nothing (the command writes through `output`). The documents listed here
//! are what `render::Rendu::documents` and `render::rapport::document`
//! produce; `tests/modeles.rs` fails if the two drift apart.

use crate::assets;

pub mod dossier;
pub mod logos;
pub mod projet;

/// A file a model produces, as `render` names it.
#[derive(Debug, Clone, Copy)]
pub struct DocumentProduit {
    /// File name; `<…>` stands for what varies (`annexe-<réservataire>.pdf`).
    pub fichier: &'static str,
    /// The template that composes it, relative to the model's folder root.
    pub gabarit: &'static str,
    /// Only for conventions of this family (`None`: every family of the model).
    pub famille: Option<&'static str>,
    pub description: &'static str,
}

/// A built-in model: one folder of `templates/`.
#[derive(Debug, Clone, Copy)]
pub struct ModeleIntegre {
    /// Its name, which is also its folder under `templates/`.
    pub nom: &'static str,
    /// `intercommunal`, `bilateral` (as `convention.modele` in the YAML) or
    /// `toutes` (the avenant and the report serve both).
    pub famille: &'static str,
    pub description: &'static str,
    /// Where its documents go under the output folder.
    pub dossier_sortie: &'static str,
    pub documents: &'static [DocumentProduit],
}

const DOSSIER_CONVENTION: &str = "<sortie>/<année>/<convention>/";

/// Every built-in model, in the order `modele liste` shows them.
pub const MODELES: &[ModeleIntegre] = &[
    ModeleIntegre {
        nom: "intercommunal",
        famille: "intercommunal",
        description: "convention intercommunale : un bailleur, plusieurs réservataires, une annexe par réservataire",
        dossier_sortie: DOSSIER_CONVENTION,
        documents: &[
            DocumentProduit {
                fichier: "convention.pdf",
                gabarit: "intercommunal/convention.typ.j2",
                famille: None,
                description: "la convention à signer, annexes comprises",
            },
            DocumentProduit {
                fichier: "annexe-<réservataire>.pdf",
                gabarit: "intercommunal/annexe.typ.j2",
                famille: None,
                description: "l'annexe d'un réservataire seule (une par réservataire)",
            },
        ],
    },
    ModeleIntegre {
        nom: "bilateral",
        famille: "bilateral",
        description: "convention bilatérale : un bailleur et un réservataire, annexes 1 à 3",
        dossier_sortie: DOSSIER_CONVENTION,
        documents: &[
            DocumentProduit {
                fichier: "convention.pdf",
                gabarit: "bilateral/convention.typ.j2",
                famille: None,
                description: "la convention à signer, annexes 1 à 3 comprises",
            },
            DocumentProduit {
                fichier: "annexe-1-etat-des-lieux.pdf",
                gabarit: "bilateral/annexe-1.typ.j2",
                famille: None,
                description: "annexe 1 seule (état des lieux)",
            },
            DocumentProduit {
                fichier: "annexe-2-assiette.pdf",
                gabarit: "bilateral/annexe-2.typ.j2",
                famille: None,
                description: "annexe 2 seule (assiette prévisionnelle)",
            },
            DocumentProduit {
                fichier: "annexe-3-indicateurs.pdf",
                gabarit: "bilateral/annexe-3.typ.j2",
                famille: None,
                description: "annexe 3 seule (indicateurs du bilan)",
            },
        ],
    },
    ModeleIntegre {
        nom: "avenant",
        famille: "toutes",
        description: "avenant annuel d'une convention (bilan N-1, assiette et flux N comparés), pour les exercices après le premier",
        dossier_sortie: DOSSIER_CONVENTION,
        documents: &[
            DocumentProduit {
                fichier: "avenant-<numéro>.pdf",
                gabarit: "avenant/avenant.typ.j2",
                famille: None,
                description: "l'avenant à signer et ses annexes actualisées",
            },
            DocumentProduit {
                fichier: "annexe-<réservataire>.pdf",
                gabarit: "avenant/annexe.typ.j2",
                famille: Some("intercommunal"),
                description: "l'annexe actualisée d'un réservataire seule (une par réservataire)",
            },
            DocumentProduit {
                fichier: "annexe-2-assiette.pdf",
                gabarit: "avenant/annexe-2.typ.j2",
                famille: Some("bilateral"),
                description: "l'annexe 2 actualisée seule (assiette prévisionnelle)",
            },
        ],
    },
    ModeleIntegre {
        nom: "rapport",
        famille: "toutes",
        description: "rapport au conseil d'un réservataire pour une année, toutes conventions confondues",
        dossier_sortie: "<sortie>/<année>/",
        documents: &[DocumentProduit {
            fichier: "rapport-<réservataire>.pdf",
            gabarit: "rapport/rapport.typ.j2",
            famille: None,
            description: "le rapport au conseil",
        }],
    },
];

/// The name of the file describing a copied model.
pub const DESCRIPTION: &str = "modele.yaml";

/// The built-in model named `nom`.
pub fn trouver(nom: &str) -> Option<&'static ModeleIntegre> {
    MODELES.iter().find(|m| m.nom == nom)
}

/// The names of the built-in models, for messages.
pub fn noms() -> String {
    MODELES.iter().map(|m| m.nom).collect::<Vec<_>>().join(", ")
}

impl ModeleIntegre {
    /// The embedded templates this model needs, sorted, paths relative to
    /// `templates/`: its own folder, `commun/` and `lib/` whole, and every
    /// other template its documents cite (the avenant reuses the annexes of
    /// both families, the report the avenant's macros).
    pub fn gabarits(&self) -> Vec<&'static str> {
        let dossiers = [
            format!("{}/", self.nom),
            "commun/".to_owned(),
            "lib/".to_owned(),
        ];
        let mut out: std::collections::BTreeSet<&'static str> = assets::templates()
            .map(|(t, _)| t)
            .filter(|t| dossiers.iter().any(|d| t.starts_with(d.as_str())))
            .collect();
        for d in self.documents {
            out.extend(assets::gabarits_cites(d.gabarit));
        }
        out.into_iter().collect()
    }

    /// Every file of a copy, paths relative to its folder: the templates at
    /// their place under `templates/`, then [`DESCRIPTION`].
    pub fn fichiers(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = self
            .gabarits()
            .into_iter()
            .filter_map(|t| Some((t.to_owned(), assets::template(t)?.to_vec())))
            .collect();
        out.push((DESCRIPTION.to_owned(), self.description_yaml().into_bytes()));
        out
    }

    /// The `modele.yaml` of a copy: what the model is, what it produces, the
    /// files copied, each field explained in a French comment header.
    pub fn description_yaml(&self) -> String {
        // A JSON string is a valid YAML double-quoted scalar.
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
        let mut y = String::new();
        y.push_str(&format!(
            "# Modèle de convention « {} », copié par `convflux modele copier` (convflux {}).\n",
            self.nom,
            env!("CARGO_PKG_VERSION")
        ));
        y.push_str(
            "#\n\
             # Les gabarits de ce dossier (*.typ.j2, minijinja produisant du Typst) et la\n\
             # bibliothèque Typst lib/convflux.typ sont des copies modifiables des modèles\n\
             # intégrés à convflux, avec leurs chemins relatifs d'origine.\n\
             #\n\
             # Pour l'utiliser : `gabarits: <ce dossier>` sous `convention:` dans le fichier\n\
             # YAML d'une convention (chemin relatif à ce fichier). Un gabarit absent d'ici\n\
             # est pris dans les modèles intégrés (même chemin). Le rapport au conseil\n\
             # d'un réservataire se compose avec le modèle de ses conventions (il doit\n\
             # être le même pour toutes).\n\
             #\n\
             # Champs :\n\
             #   nom          le modèle intégré dont ce dossier est la copie.\n\
             #   famille      les conventions qu'il sert, comme `convention.modele` dans le\n\
             #                YAML : intercommunal, bilateral, ou toutes.\n\
             #   description  ce que le modèle produit, en une phrase.\n\
             #   version      la version de convflux qui a fait la copie.\n\
             #   sortie       où vont les documents produits, sous le dossier de sortie.\n\
             #   documents    chaque fichier produit : son nom (<…> : ce qui varie), le\n\
             #                gabarit qui le compose (chemin relatif à ce dossier), la\n\
             #                famille de convention s'il n'en sert qu'une, et une description.\n\
             #   gabarits     tous les fichiers copiés dans ce dossier, sauf celui-ci : ceux du\n\
             #                modèle, commun/ (en-tête, blocs partagés), lib/ (style Typst),\n\
             #                et ceux d'autres modèles que ses gabarits incluent.\n\n",
        );
        y.push_str(&format!("nom: {}\n", q(self.nom)));
        y.push_str(&format!("famille: {}\n", q(self.famille)));
        y.push_str(&format!("description: {}\n", q(self.description)));
        y.push_str(&format!("version: {}\n", q(env!("CARGO_PKG_VERSION"))));
        y.push_str(&format!("sortie: {}\n", q(self.dossier_sortie)));
        y.push_str("documents:\n");
        for d in self.documents {
            y.push_str(&format!("  - fichier: {}\n", q(d.fichier)));
            y.push_str(&format!("    gabarit: {}\n", q(d.gabarit)));
            if let Some(f) = d.famille {
                y.push_str(&format!("    famille: {}\n", q(f)));
            }
            y.push_str(&format!("    description: {}\n", q(d.description)));
        }
        y.push_str("gabarits:\n");
        for t in self.gabarits() {
            y.push_str(&format!("  - {}\n", q(t)));
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_is_a_template_folder_with_its_documents() {
        for m in MODELES {
            let g = m.gabarits();
            for d in m.documents {
                assert!(g.contains(&d.gabarit), "{} : {}", m.nom, d.gabarit);
            }
            assert!(g.contains(&"lib/convflux.typ"), "{}", m.nom);
            assert!(g.iter().any(|t| t.starts_with("commun/")), "{}", m.nom);
            // Everything a copied template cites is copied too.
            for t in &g {
                for c in assets::gabarits_cites(t) {
                    assert!(g.contains(&c), "{} : {t} cite {c}", m.nom);
                }
            }
        }
    }

    #[test]
    fn a_model_takes_from_other_folders_only_what_it_cites() {
        let g = trouver("intercommunal").unwrap().gabarits();
        assert!(!g.iter().any(|t| t.starts_with("bilateral/")), "{g:?}");
        let g = trouver("avenant").unwrap().gabarits();
        assert!(g.contains(&"intercommunal/_annexe.typ.j2"), "{g:?}");
        assert!(!g.contains(&"intercommunal/convention.typ.j2"), "{g:?}");
        let g = trouver("rapport").unwrap().gabarits();
        assert!(g.contains(&"avenant/_macros.typ.j2"), "{g:?}");
        assert!(trouver("absent").is_none());
    }
}
