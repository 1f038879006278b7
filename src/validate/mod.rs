//! Stage 2, `validate`: spanned YAML tree → domain model + every diagnostic.
//!
//! Reads each field with its type (through [`Lecteur`]) and checks the rules
//! that need no computation: required fields, counts, rates in [0, 100], dates,
//! references between réservataires and annexes, exclusions ≤ stock, one
//! exercise per year, the local texts each model needs. Rules that compare with
//! computed figures live in `controle`, after `compute`.
//! Returns `None` for the model when any error was found.

pub mod bilan;
pub mod chemins;
pub mod clauses;
pub mod lecteur;
pub mod limites;
pub mod logos;
pub mod rapport;
pub mod regles;
pub mod schema;

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics, Sp, Span};
use crate::load::{Node, Value};
use crate::model::*;
use crate::validate::lecteur::{Lecteur, joindre};
use crate::validate::limites::*;

/// Local text blocks each model's templates need (`textes.<cle>`).
pub fn textes_requis(m: Modele) -> &'static [(&'static str, &'static str)] {
    match m {
        Modele::Intercommunal => &[
            ("contexte", "le contexte territorial (préambule)"),
            ("constat", "le constat"),
            ("orientations", "les orientations de la CIA (article 4)"),
            (
                "secteurs_tendus",
                "les secteurs tendus au préavis d'un mois (article 6)",
            ),
        ],
        Modele::Bilateral => &[
            (
                "preambule_territoire",
                "le paragraphe de l'EPCI dans le préambule",
            ),
            ("vente", "le second alinéa de l'article 12 (ventes)"),
            ("delais", "le tableau des délais de l'article 8"),
        ],
    }
}

/// Validates a whole convention file.
pub fn valider(racine: &Node) -> (Option<Convention>, Diagnostics) {
    let mut l = Lecteur::default();
    let c = convention(&mut l, racine);
    if let Some(c) = &c {
        regles::regles(&mut l, c);
    }
    let mut diags = l.diags;
    if c.is_none() && !diags.a_des_erreurs() {
        // Every rejection must say why: this would be a reader bug.
        diags.push(
            Diagnostic::erreur_de(
                "erreur interne",
                "erreur interne : fichier refusé sans diagnostic",
                None,
            )
            .note("signalez ce fichier aux développeurs de convflux"),
        );
    }
    let c = if diags.a_des_erreurs() { None } else { c };
    chemins::en_mots(&mut diags, racine, RACINE);
    (c, diags)
}

/// The value of a top-level key of the file.
fn racine_cle<'n>(racine: &'n Node, cle: &str) -> Option<&'n Node> {
    match &racine.value {
        Value::Map(e) => e.iter().find(|e| e.key == cle).map(|e| &e.value),
        _ => None,
    }
}

pub(crate) const RACINE: &[&str] = &[
    "convention",
    "territoire",
    "textes",
    "clauses",
    "bailleur",
    "reservataires",
    "etat_des_lieux",
    "exercices",
];

fn convention(l: &mut Lecteur, racine: &Node) -> Option<Convention> {
    if racine.value == Value::Null {
        l.erreur(
            Diagnostic::erreur_de(
                "fichier vide",
                "fichier vide : une convention est attendue",
                Some(racine.span),
            )
            .note("voir docs/format.md pour la structure attendue"),
        );
        return None;
    }
    let mut t = l.table(racine, "")?;
    let entete = l
        .requis(&mut t, "convention", "la description de la convention")
        .and_then(|n| entete(l, n));
    let territoire = l
        .requis(&mut t, "territoire", "le territoire")
        .and_then(|n| territoire(l, n));
    let textes = match l.champ(&mut t, "textes") {
        Some(n) if n.value != Value::Null => textes(l, n),
        _ => Some(BTreeMap::new()),
    };
    let modele = entete.as_ref().map(|e| e.modele);
    let clauses = match l.champ(&mut t, "clauses") {
        Some(n) if n.value != Value::Null => clauses::clauses(l, n, modele),
        _ => Some(Clauses::default()),
    };
    let bailleur = l
        .requis(&mut t, "bailleur", "le bailleur")
        .and_then(|n| bailleur(l, n));
    let reservataires = l
        .requis(&mut t, "reservataires", "la liste des réservataires")
        .and_then(|n| reservataires(l, n));
    let edl = match l.champ(&mut t, "etat_des_lieux") {
        Some(n) if n.value != Value::Null => etat_des_lieux(l, n).map(Some),
        _ => Some(None),
    };
    let arrondi_ok = entete.is_some();
    // The guarantors new programmes may name (None: no état des lieux read).
    let garants: Option<Vec<String>> = edl
        .as_ref()
        .and_then(|e| e.as_ref())
        .map(|e| e.garants.iter().map(|g| g.id.v.clone()).collect());
    let exercices = l
        .requis(&mut t, "exercices", "la liste des exercices")
        .and_then(|n| exercices(l, n, garants.as_deref()));
    let textes_span = t.a_la_cle("textes");
    let racine_span = t.span();
    l.fin(t, RACINE);

    let (e, territoire, textes, clauses, bailleur, reservataires, edl, exercices) = (
        entete?,
        territoire?,
        textes?,
        clauses?,
        bailleur?,
        reservataires?,
        edl?,
        exercices?,
    );
    let _ = arrondi_ok;
    // Every party's name goes into the PDF `/Author`, a PDF string.
    let mut auteurs = bailleur.nom.chars().count();
    for r in &reservataires {
        auteurs += r.nom.chars().count();
        if auteurs > AUTEURS_MAX {
            l.erreur(
                Diagnostic::erreur_de(
                    "texte trop long",
                    format!("noms des parties trop longs : plus de {AUTEURS_MAX} caractères au total"),
                    Some(r.id.span),
                )
                .label(format!("{auteurs} caractères avec ce réservataire"))
                .note(format!(
                    "les noms du bailleur et des réservataires forment l'auteur des PDF : au plus {AUTEURS_MAX} caractères ensemble ; abrégez les noms (`designation` garde le nom long)"
                )),
            );
            break;
        }
    }
    // Every key of `textes` is one the model prints: a misspelt one would
    // be silently left out of the PDF. A user's model folder may print
    // texts of its own: with `gabarits`, other keys are its business.
    let requis = textes_requis(e.modele);
    let mut mal_ecrits = Vec::new();
    if e.gabarits.is_none()
        && let Some(Value::Map(entrees)) = racine_cle(racine, "textes").map(|n| &n.value)
    {
        for x in entrees {
            if requis.iter().any(|(c, _)| *c == x.key) {
                continue;
            }
            let proche = requis
                .iter()
                .map(|(c, _)| (strsim::jaro_winkler(c, &x.key), *c))
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, c)| c);
            let liste: Vec<String> = requis.iter().map(|(c, _)| format!("`{c}`")).collect();
            let d = match proche {
                Some(c) if !textes.contains_key(c) => {
                    mal_ecrits.push(c);
                    Diagnostic::erreur(
                        format!(
                            "clé `{}` inconnue : vouliez-vous dire `{c}` ? (texte local obligatoire)",
                            x.key
                        ),
                        Some(x.key_span),
                    )
                    .label(format!("écrivez `{c}`"))
                    .note(format!("texte local manquant : `textes.{c}`"))
                    .regle(lecteur::INCONNUE)
                    .suggestion(c)
                }
                Some(c) => Diagnostic::erreur(
                    format!("clé inconnue : `textes.{}`", x.key),
                    Some(x.key_span),
                )
                .label("clé inconnue")
                .note(format!("vouliez-vous dire `{c}` ?"))
                .regle(lecteur::INCONNUE)
                .suggestion(c),
                None => Diagnostic::erreur(
                    format!("clé inconnue : `textes.{}`", x.key),
                    Some(x.key_span),
                )
                .label("clé inconnue")
                .regle(lecteur::INCONNUE),
            };
            l.erreur(d.note(format!(
                "le modèle {} imprime les textes locaux {} ; un autre texte ne serait imprimé nulle part",
                e.modele.nom(),
                liste.join(", ")
            )));
        }
    }
    for (cle, quoi) in requis {
        if !textes.contains_key(*cle) && !mal_ecrits.contains(cle) {
            let span = if textes_span == racine_span {
                Span::new(0, 0)
            } else {
                textes_span
            };
            l.erreur(
                Diagnostic::erreur(format!("texte local manquant : `textes.{cle}`"), Some(span))
                    .regle(lecteur::MANQUANT)
                    .label(format!("`{cle}` manque"))
                    .note(format!(
                        "le modèle {} imprime {quoi} : ajoutez `textes.{cle}`",
                        e.modele.nom()
                    )),
            );
        }
    }
    let c = Convention {
        id: e.id,
        modele: e.modele,
        gabarits: e.gabarits,
        titre: e.titre,
        date_effet: e.date_effet,
        duree_ans: e.duree_ans,
        reconduction: e.reconduction,
        exemplaires: e.exemplaires,
        lieu_signature: e.lieu,
        date_signature: e.date_signature,
        tribunal: e.tribunal,
        arrondi: e.arrondi,
        territoire,
        textes,
        clauses,
        bailleur,
        reservataires,
        etat_des_lieux: edl,
        exercices,
    };
    logos::controler(l, &c);
    Some(c)
}

struct Entete {
    id: String,
    modele: Modele,
    gabarits: Option<Sp<String>>,
    titre: String,
    date_effet: DateEffet,
    duree_ans: u32,
    reconduction: Reconduction,
    exemplaires: Option<u32>,
    lieu: Option<String>,
    date_signature: Option<Date>,
    tribunal: Option<String>,
    arrondi: Arrondi,
}

/// Convention ids refused: `lib` names, in each year's folder of the
/// output, the folder of the Typst library the sources import (`--typst`).
pub const IDENTIFIANTS_RESERVES: &[&str] = &["lib"];

fn entete(l: &mut Lecteur, n: &Node) -> Option<Entete> {
    let mut t = l.table(n, "convention")?;
    let id = l
        .requis(&mut t, "id", "un identifiant")
        .and_then(|n| l.identifiant(n, "convention.id"));
    // The id names the convention's folder `<sortie>/<année>/<id>/`, beside
    // the `lib/` folder of the Typst library written with `--typst`.
    let id = id.filter(|id| {
        let reserve = IDENTIFIANTS_RESERVES.contains(&id.v.as_str());
        if reserve {
            l.erreur(
                Diagnostic::erreur(
                    format!("`convention.id` : `{}` est un identifiant réservé", id.v),
                    Some(id.span),
                )
                .label("identifiant réservé")
                .note(format!(
                    "le dossier `{0}/` d'une année reçoit la bibliothèque Typst des sources (`--typst`) : \
                     choisissez un autre identifiant (par exemple `{0}-convention`)",
                    id.v
                ))
                .regle("identifiant réservé")
                .suggestion(format!("{}-convention", id.v)),
            );
        }
        !reserve
    });
    let modele = l
        .requis(&mut t, "modele", "`intercommunal` ou `bilateral`")
        .and_then(|n| {
            l.choix(
                n,
                "convention.modele",
                &[
                    ("intercommunal", Modele::Intercommunal),
                    ("bilateral", Modele::Bilateral),
                ],
            )
        });
    // The folder itself is checked by the pipeline, which knows where the file is.
    let gabarits = match l.champ(&mut t, "gabarits") {
        Some(n) if n.value != Value::Null => l
            .texte(n, "convention.gabarits")
            .map(|v| Some(Sp::new(v, n.span))),
        _ => Some(None),
    };
    let titre = l.req_texte(&mut t, "titre");
    let date_effet = l
        .requis(&mut t, "date_effet", "une date ou « à la signature »")
        .and_then(|n| l.date_effet(n, "convention.date_effet"));
    let duree = l
        .requis(&mut t, "duree_ans", "une durée en années")
        .and_then(|n| {
            l.entier(
                n,
                "convention.duree_ans",
                12,
                "une durée en années (1 à 12)",
            )
        });
    let duree = match duree {
        Some(0) => {
            l.erreur(
                Diagnostic::erreur_de(
                    "durée nulle",
                    "`convention.duree_ans` : une durée nulle est impossible",
                    Some(t.a_la_cle("duree_ans")),
                )
                .note("attendu : une durée de 1 à 12 ans (3 ans dans les deux modèles)"),
            );
            None
        }
        d => d,
    };
    let reconduction = match l.champ(&mut t, "reconduction") {
        Some(n) if n.value != Value::Null => reconduction(l, n),
        _ => Some(Reconduction {
            duree_ans: 1,
            nombre_max: 0,
        }),
    };
    let exemplaires = match l.champ(&mut t, "exemplaires") {
        Some(n) if n.value != Value::Null => l
            .entier(n, "convention.exemplaires", 99, "un nombre d'exemplaires")
            .and_then(|v| {
                non_nul(
                    l,
                    n,
                    "convention.exemplaires",
                    v,
                    "un nombre d'exemplaires de 1 à 99 (ou pas de champ : « Fait à … »)",
                )
            })
            .map(|v| Some(v as u32)),
        _ => Some(None),
    };
    let (lieu, date_signature) = l.signature(&mut t, "convention.signature");
    let tribunal = l.opt_texte(&mut t, "tribunal");
    let arrondi = match l.champ(&mut t, "arrondi") {
        Some(n) if n.value != Value::Null => l.choix(
            n,
            "convention.arrondi",
            &[
                ("plus_proche", Arrondi::PlusProche),
                ("inferieur", Arrondi::Inferieur),
                ("superieur", Arrondi::Superieur),
            ],
        ),
        _ => Some(Arrondi::PlusProche),
    };
    l.fin(
        t,
        &[
            "id",
            "modele",
            "gabarits",
            "titre",
            "date_effet",
            "duree_ans",
            "reconduction",
            "exemplaires",
            "signature",
            "tribunal",
            "arrondi",
        ],
    );
    Some(Entete {
        id: id?.v,
        modele: modele?,
        gabarits: gabarits?,
        titre: titre?,
        date_effet: date_effet?,
        duree_ans: duree? as u32,
        reconduction: reconduction?,
        exemplaires: exemplaires?,
        lieu,
        date_signature,
        tribunal,
        arrondi: arrondi?,
    })
}

/// `v`, read at `n`, unless it is 0: a located error then (`attendu`: what
/// is expected). The document would print « Fait en 0 exemplaire » or a
/// renewal of zero years.
fn non_nul(l: &mut Lecteur, n: &Node, chemin: &str, v: u64, attendu: &str) -> Option<u64> {
    if v > 0 {
        return Some(v);
    }
    l.erreur(
        Diagnostic::erreur_de(
            "valeur nulle",
            format!("`{chemin}` : zéro est impossible ici"),
            Some(n.span),
        )
        .label("au moins 1")
        .note(format!("attendu : {attendu}")),
    );
    None
}

fn reconduction(l: &mut Lecteur, n: &Node) -> Option<Reconduction> {
    let mut t = l.table(n, "convention.reconduction")?;
    let d = l
        .requis(&mut t, "duree_ans", "la durée d'une reconduction en années")
        .and_then(|n| {
            l.entier(
                n,
                "convention.reconduction.duree_ans",
                5,
                "une durée de 1 à 5 ans",
            )
            .and_then(|v| {
                non_nul(
                    l,
                    n,
                    "convention.reconduction.duree_ans",
                    v,
                    "une durée de 1 à 5 ans",
                )
            })
        });
    let m = l
        .requis(&mut t, "nombre_max", "le nombre maximal de reconductions")
        .and_then(|n| {
            l.entier(
                n,
                "convention.reconduction.nombre_max",
                10,
                "un nombre de reconductions (0 à 10)",
            )
        });
    l.fin(t, &["duree_ans", "nombre_max"]);
    Some(Reconduction {
        duree_ans: d? as u32,
        nombre_max: m? as u32,
    })
}

fn territoire(l: &mut Lecteur, n: &Node) -> Option<Territoire> {
    let mut t = l.table(n, "territoire")?;
    let nom = l.req_texte(&mut t, "nom");
    let article = match l.champ(&mut t, "article") {
        Some(n) if n.value != Value::Null => l.choix(
            n,
            "territoire.article",
            &[
                ("le", "le"),
                ("la", "la"),
                ("l'", "l'"),
                ("l’", "l'"),
                ("aucun", ""),
            ],
        ),
        _ => Some("le"),
    };
    let sigle = l.opt_texte(&mut t, "sigle");
    let logo = logos::lire(l, &mut t);
    l.fin(t, &["nom", "article", "sigle", "logo"]);
    Some(Territoire {
        nom: nom?,
        article: article?.to_string(),
        sigle,
        logo: logo?,
    })
}

fn textes(l: &mut Lecteur, n: &Node) -> Option<BTreeMap<String, Bloc>> {
    l.entrees(n, "textes", |l, e, chemin| {
        Some((e.key.clone(), bloc(l, &e.value, chemin, true)?))
    })
    .map(|v| v.into_iter().collect())
}

/// A block of text: paragraphs and lists, and tables when `tableaux` (local
/// texts have them; the articles of `clauses` do not).
pub(crate) fn bloc(l: &mut Lecteur, n: &Node, chemin: &str, tableaux: bool) -> Option<Bloc> {
    match &n.value {
        Value::Texte(_) | Value::Nombre(_) => {
            Some(vec![Element::Paragraphe(l.texte_long(n, chemin)?)])
        }
        Value::Seq(items) => {
            if !l.borne(n, chemin, items.len(), ELEMENTS_MAX, "éléments") {
                return None;
            }
            l.elements(n, chemin, |l, n, chemin| element(l, n, chemin, tableaux))
        }
        _ => {
            let note = if tableaux {
                "un bloc de texte est un texte, ou une liste de paragraphes, de `liste:` et de `tableau:`"
            } else {
                "un bloc de texte est un texte, ou une liste de paragraphes et de `liste:`"
            };
            l.erreur(
                Diagnostic::erreur_de(
                    "valeur d'une autre forme",
                    format!("`{chemin}` : texte ou liste de paragraphes attendu"),
                    Some(n.span),
                )
                .note(note),
            );
            None
        }
    }
}

fn element(l: &mut Lecteur, n: &Node, chemin: &str, tableaux: bool) -> Option<Element> {
    match &n.value {
        Value::Texte(_) | Value::Nombre(_) => Some(Element::Paragraphe(l.texte_long(n, chemin)?)),
        Value::Map(_) => {
            let mut t = l.table(n, chemin)?;
            let r = if t.a("liste") {
                let items = l
                    .champ(&mut t, "liste")
                    .and_then(|n| l.liste(n, &joindre(chemin, "liste")).map(|i| (n, i)))
                    .and_then(|(n, items)| {
                        let c = joindre(chemin, "liste");
                        l.borne(n, &c, items.len(), ELEMENTS_MAX, "éléments")
                            .then_some(items)
                    });
                items.and_then(|items| {
                    let v: Vec<Option<String>> = items
                        .iter()
                        .enumerate()
                        .map(|(i, x)| l.texte_long(x, &format!("{chemin}.liste[{i}]")))
                        .collect();
                    v.into_iter()
                        .collect::<Option<Vec<_>>>()
                        .map(Element::Liste)
                })
            } else if t.a("tableau") && !tableaux {
                l.champ(&mut t, "tableau");
                l.erreur(
                    Diagnostic::erreur_de("tableau dans un article", format!("`{chemin}` : pas de tableau dans un article"), Some(t.a_la_cle("tableau")))
                        .label("tableau refusé ici")
                        .note("le texte d'une clause n'a que des paragraphes et des listes (`liste: [...]`) : écrivez le tableau en liste"),
                );
                None
            } else if t.a("tableau") {
                l.champ(&mut t, "tableau")
                    .and_then(|n| tableau(l, n, &joindre(chemin, "tableau")))
            } else {
                let note = if tableaux {
                    "un élément de texte est un paragraphe (texte), `liste: [...]` ou `tableau: {colonnes, lignes}`"
                } else {
                    "un élément de texte est un paragraphe (texte) ou `liste: [...]`"
                };
                let attendu = if tableaux {
                    "`liste:` ou `tableau:`"
                } else {
                    "`liste:`"
                };
                l.erreur(
                    Diagnostic::erreur_de(
                        "valeur d'une autre forme",
                        format!("`{chemin}` : {attendu} attendu"),
                        Some(n.span),
                    )
                    .note(note),
                );
                None
            };
            l.fin(
                t,
                if tableaux {
                    &["liste", "tableau"]
                } else {
                    &["liste"]
                },
            );
            r
        }
        _ => {
            let attendu = if tableaux {
                "paragraphe, `liste:` ou `tableau:`"
            } else {
                "paragraphe ou `liste:`"
            };
            l.erreur(Diagnostic::erreur_de(
                "valeur d'une autre forme",
                format!("`{chemin}` : {attendu} attendu"),
                Some(n.span),
            ));
            None
        }
    }
}

fn tableau(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<Element> {
    let mut t = l.table(n, chemin)?;
    let colonnes = l
        .requis(&mut t, "colonnes", "la liste des en-têtes de colonnes")
        .and_then(|n| {
            let c = joindre(chemin, "colonnes");
            let items = l.liste(n, &c)?;
            if !l.borne(n, &c, items.len(), TABLEAU_COLONNES_MAX, "colonnes") {
                return None;
            }
            items
                .iter()
                .enumerate()
                .map(|(i, x)| l.texte(x, &format!("{chemin}.colonnes[{i}]")))
                .collect::<Vec<_>>()
                .into_iter()
                .collect::<Option<Vec<_>>>()
        });
    let lignes = l
        .requis(&mut t, "lignes", "la liste des lignes")
        .and_then(|n| {
            let c = joindre(chemin, "lignes");
            let items = l.liste(n, &c)?;
            if !l.borne(n, &c, items.len(), TABLEAU_LIGNES_MAX, "lignes") {
                return None;
            }
            let mut out = Vec::new();
            let mut ok = true;
            for (i, ligne) in items.iter().enumerate() {
                let c = format!("{chemin}.lignes[{i}]");
                let cells = l.liste(ligne, &c).map(|cells| {
                    cells
                        .iter()
                        .enumerate()
                        .map(|(j, x)| match x.value {
                            Value::Null => Some(String::new()),
                            _ => l.texte_long(x, &format!("{c}[{j}]")),
                        })
                        .collect::<Vec<_>>()
                        .into_iter()
                        .collect::<Option<Vec<_>>>()
                });
                match cells.flatten() {
                    Some(v) => out.push((v, ligne.span)),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        });
    l.fin(t, &["colonnes", "lignes"]);
    let (colonnes, lignes) = (colonnes?, lignes?);
    let mut ok = true;
    for (i, (ligne, span)) in lignes.iter().enumerate() {
        if ligne.len() != colonnes.len() {
            ok = false;
            l.erreur(
                Diagnostic::erreur_de(
                    "tableau mal formé",
                    format!(
                        "`{chemin}.lignes[{i}]` : {} pour {}",
                        crate::francais::pluriel(ligne.len(), "cellule"),
                        crate::francais::pluriel(colonnes.len(), "colonne")
                    ),
                    Some(*span),
                )
                .note(
                    "chaque ligne a autant de cellules que de colonnes (`~` pour une cellule vide)",
                ),
            );
        }
    }
    ok.then(|| Element::Tableau {
        colonnes,
        lignes: lignes.into_iter().map(|(l, _)| l).collect(),
    })
}

fn signataire(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<Signataire> {
    let mut t = l.table(n, chemin)?;
    let qualite = l.req_texte(&mut t, "qualite");
    let civilite = l.opt_texte(&mut t, "civilite");
    let nom = l.opt_texte(&mut t, "nom").filter(|s| !s.trim().is_empty());
    let span = t.span();
    l.fin(t, &["qualite", "civilite", "nom"]);
    Some(Signataire {
        civilite,
        nom,
        qualite: qualite?,
        span,
    })
}

fn bailleur(l: &mut Lecteur, n: &Node) -> Option<Bailleur> {
    let mut t = l.table(n, "bailleur")?;
    let nom = l.req_texte(&mut t, "nom");
    let article = match l.champ(&mut t, "article") {
        Some(n) if n.value != Value::Null => l.choix(
            n,
            "bailleur.article",
            &[
                ("le", "le"),
                ("la", "la"),
                ("l'", "l'"),
                ("l’", "l'"),
                ("aucun", ""),
            ],
        ),
        _ => Some(""),
    };
    let denomination = l.opt_texte(&mut t, "denomination");
    let forme_juridique = l.opt_texte(&mut t, "forme_juridique");
    let capital = match l.champ(&mut t, "capital") {
        Some(n) if n.value != Value::Null => l.decimal(n, "bailleur.capital").map(Some),
        _ => Some(None),
    };
    let siege = l.opt_texte(&mut t, "siege");
    let (rcs_ville, rcs_numero) = match l.champ(&mut t, "rcs") {
        Some(n) if n.value != Value::Null => match l.table(n, "bailleur.rcs") {
            Some(mut r) => {
                let v = l.opt_texte(&mut r, "ville");
                let num = l.opt_texte(&mut r, "numero");
                l.fin(r, &["ville", "numero"]);
                (v, num)
            }
            None => (None, None),
        },
        _ => (None, None),
    };
    let siret = l.opt_texte(&mut t, "siret");
    let sem = match l.champ(&mut t, "sem") {
        Some(n) if n.value != Value::Null => l.booleen(n, "bailleur.sem"),
        _ => Some(false),
    };
    let sig = l
        .requis(&mut t, "signataire", "le signataire du bailleur")
        .and_then(|n| signataire(l, n, "bailleur.signataire"));
    let logo = logos::lire(l, &mut t);
    l.fin(
        t,
        &[
            "nom",
            "article",
            "denomination",
            "forme_juridique",
            "capital",
            "siege",
            "rcs",
            "siret",
            "sem",
            "signataire",
            "logo",
        ],
    );
    Some(Bailleur {
        nom: nom?,
        article: article?.to_string(),
        denomination,
        forme_juridique,
        capital: capital?,
        siege,
        rcs_ville,
        rcs_numero,
        siret,
        sem: sem?,
        signataire: sig?,
        logo: logo?,
    })
}

fn reservataires(l: &mut Lecteur, n: &Node) -> Option<Vec<Reservataire>> {
    let items = l.liste(n, "reservataires")?;
    if items.is_empty() {
        l.erreur(
            Diagnostic::erreur_de(
                "liste vide",
                "`reservataires` : la liste est vide",
                Some(n.span),
            )
            .note("au moins un réservataire est attendu"),
        );
        return None;
    }
    if !l.borne(
        n,
        "reservataires",
        items.len(),
        RESERVATAIRES_MAX,
        "réservataires",
    ) {
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, it) in items.iter().enumerate() {
        match reservataire(l, it, &format!("reservataires[{i}]")) {
            Some(r) => out.push(r),
            None => ok = false,
        }
    }
    let mut vus: BTreeMap<String, Span> = BTreeMap::new();
    for r in &out {
        if vus.insert(r.id.v.clone(), r.id.span).is_some() {
            ok = false;
            l.erreur(
                Diagnostic::erreur_de(
                    "réservataire en double",
                    format!("réservataire `{}` déclaré deux fois", r.id.v),
                    Some(r.id.span),
                )
                .label("identifiant déjà utilisé")
                .note("chaque réservataire a un identifiant unique"),
            );
        }
    }
    ok.then_some(out)
}

fn reservataire(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<Reservataire> {
    let mut t = l.table(n, chemin)?;
    let id = l
        .requis(&mut t, "id", "un identifiant")
        .and_then(|n| l.identifiant(n, &joindre(chemin, "id")));
    let nom = l.req_texte(&mut t, "nom");
    let designation = l.opt_texte(&mut t, "designation");
    let nature = l
        .requis(&mut t, "nature", "la nature du réservataire")
        .and_then(|n| {
            l.choix(
                n,
                &joindre(chemin, "nature"),
                &[
                    ("commune", Nature::Commune),
                    ("epci", Nature::Epci),
                    ("prefet", Nature::Prefet),
                    ("action_logement", Nature::ActionLogement),
                    ("autre", Nature::Autre),
                ],
            )
        });
    let adresse = l.opt_texte(&mut t, "adresse");
    let sig = l
        .requis(&mut t, "signataire", "le signataire")
        .and_then(|n| signataire(l, n, &joindre(chemin, "signataire")));
    let deliberation = match l.champ(&mut t, "deliberation") {
        Some(n) if n.value != Value::Null => {
            let c = joindre(chemin, "deliberation");
            l.table(n, &c).map(|mut d| {
                let numero = l.opt_texte(&mut d, "numero");
                let date = l.opt_date(&mut d, "date").map(|d| d.v);
                l.fin(d, &["numero", "date"]);
                Some(Deliberation { numero, date })
            })
        }
        _ => Some(None),
    };
    // Council report data (src/rapport.rs).
    let rapport = rapport::lire_fiche(l, &mut t, chemin);
    let logo = logos::lire(l, &mut t);
    l.fin(
        t,
        &[
            "id",
            "nom",
            "designation",
            "nature",
            "adresse",
            "signataire",
            "deliberation",
            "rapport",
            "logo",
        ],
    );
    let nom = nom?;
    Some(Reservataire {
        id: id?,
        designation: designation.unwrap_or_else(|| nom.clone()),
        nom,
        nature: nature?,
        adresse,
        signataire: sig?,
        deliberation: deliberation?,
        rapport: rapport?,
        logo: logo?,
    })
}

fn etat_des_lieux(l: &mut Lecteur, n: &Node) -> Option<EtatDesLieux> {
    let c = "etat_des_lieux";
    let mut t = l.table(n, c)?;
    let quotite = match l.champ(&mut t, "quotite") {
        Some(n) if n.value != Value::Null => l.taux(n, "etat_des_lieux.quotite"),
        _ => Some(Sp::new(Taux(rust_decimal::Decimal::from(20)), t.span())),
    };
    let precision = match l.champ(&mut t, "precision") {
        Some(n) if n.value != Value::Null => l.entier(
            n,
            "etat_des_lieux.precision",
            4,
            "un nombre de décimales (0 à 4)",
        ),
        _ => Some(0),
    };
    let garants = l
        .requis(&mut t, "garants", "la liste des garants")
        .and_then(|n| {
            let nombre = l.liste(n, "etat_des_lieux.garants")?.len();
            if !l.borne(
                n,
                "etat_des_lieux.garants",
                nombre,
                RESERVATAIRES_MAX,
                "garants",
            ) {
                return None;
            }
            l.elements(n, "etat_des_lieux.garants", |l, it, ch| {
                let mut g = l.table(it, ch)?;
                let id = l
                    .requis(&mut g, "id", "un identifiant")
                    .and_then(|n| l.identifiant(n, &joindre(ch, "id")));
                let nom = l.req_texte(&mut g, "nom");
                l.fin(g, &["id", "nom"]);
                Some(Garant { id: id?, nom: nom? })
            })
        });
    let ids: Vec<String> = garants.iter().flatten().map(|g| g.id.v.clone()).collect();
    let programmes = l
        .requis(&mut t, "programmes", "la liste des programmes")
        .and_then(|n| {
            let nombre = l.liste(n, "etat_des_lieux.programmes")?.len();
            if !l.borne(
                n,
                "etat_des_lieux.programmes",
                nombre,
                PROGRAMMES_MAX,
                "programmes",
            ) {
                return None;
            }
            l.elements(n, "etat_des_lieux.programmes", |l, it, c| {
                programme(l, it, c, &ids)
            })
        });
    let taux_declares = match l.champ(&mut t, "taux") {
        Some(n) if n.value != Value::Null => cartes_taux(l, n, "etat_des_lieux.taux", &ids),
        _ => Some(Vec::new()),
    };
    let regle = |l: &mut Lecteur, t: &mut lecteur::Table<'_>, cle: &str| match l.champ(t, cle) {
        Some(n) if n.value != Value::Null => l.choix(
            n,
            &joindre(c, cle),
            &[
                ("plus_proche", Arrondi::PlusProche),
                ("inferieur", Arrondi::Inferieur),
                ("superieur", Arrondi::Superieur),
            ],
        ),
        _ => Some(Arrondi::PlusProche),
    };
    let arrondi = regle(l, &mut t, "arrondi");
    let arrondi_taux = regle(l, &mut t, "arrondi_taux");
    l.fin(
        t,
        &[
            "quotite",
            "precision",
            "arrondi",
            "arrondi_taux",
            "garants",
            "programmes",
            "taux",
        ],
    );
    Some(EtatDesLieux {
        quotite: quotite?,
        precision: precision? as u32,
        arrondi: arrondi?,
        arrondi_taux: arrondi_taux?,
        garants: garants?,
        programmes: programmes?,
        taux_declares: taux_declares?,
    })
}

fn cartes_taux(
    l: &mut Lecteur,
    n: &Node,
    chemin: &str,
    ids: &[String],
) -> Option<Vec<(String, Sp<Taux>)>> {
    l.entrees(n, chemin, |l, e, c| {
        if !ids.contains(&e.key) {
            garant_inconnu(l, &e.key, e.key_span, ids);
            return None;
        }
        Some((e.key.clone(), l.taux(&e.value, c)?))
    })
}

fn garant_inconnu(l: &mut Lecteur, id: &str, span: Span, ids: &[String]) {
    l.erreur(
        Diagnostic::erreur_de(
            "garant inconnu",
            format!("garant inconnu : `{id}`"),
            Some(span),
        )
        .label("absent de `etat_des_lieux.garants`")
        .note(format!(
            "garants déclarés : {}",
            ids.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    );
}

fn programme(l: &mut Lecteur, n: &Node, chemin: &str, ids: &[String]) -> Option<Programme> {
    let mut t = l.table(n, chemin)?;
    let contrepartie = match l.champ(&mut t, "contrepartie") {
        Some(n) if n.value != Value::Null => l.choix(
            n,
            &joindre(chemin, "contrepartie"),
            &[
                ("garantie", Contrepartie::Garantie),
                ("autre", Contrepartie::Autre),
            ],
        ),
        _ => Some(Contrepartie::Garantie),
    };
    let commune = l.req_texte(&mut t, "commune");
    let residence = l.req_texte(&mut t, "residence");
    let code = l.req_texte(&mut t, "code");
    let financements = l
        .requis(
            &mut t,
            "logements",
            "les logements par financement (PLAI, PLUS, PLS…)",
        )
        .and_then(|n| {
            let c = joindre(chemin, "logements");
            if let Value::Map(e) = &n.value
                && !l.borne(n, &c, e.len(), FINANCEMENTS_MAX, "financements")
            {
                return None;
            }
            l.entrees(n, &c, |l, e, c| {
                // The financing kind is printed as a column of annex 1.
                let cle = l.verifier_texte(&e.key, e.key_span, c, TEXTE_COURT_MAX);
                let v = l.logements(&e.value, c)?.v;
                cle.then(|| (e.key.clone(), v))
            })
        });
    let mise = match l.champ(&mut t, "mise_en_location") {
        Some(n) if n.value != Value::Null => l
            .annee(n, &joindre(chemin, "mise_en_location"))
            .map(|a| Some(a.v)),
        _ => Some(None),
    };
    let parts = l
        .requis(&mut t, "garanties", "la part de chaque garant (en %)")
        .and_then(|n| cartes_taux(l, n, &joindre(chemin, "garanties"), ids));
    let reserves = match l.champ(&mut t, "reserves") {
        Some(n) if n.value != Value::Null => {
            l.entrees(n, &joindre(chemin, "reserves"), |l, e, c| {
                if !ids.contains(&e.key) {
                    garant_inconnu(l, &e.key, e.key_span, ids);
                    return None;
                }
                Some((e.key.clone(), l.logements(&e.value, c)?))
            })
        }
        _ => Some(Vec::new()),
    };
    let span = t.span();
    l.fin(
        t,
        &[
            "contrepartie",
            "commune",
            "residence",
            "code",
            "logements",
            "mise_en_location",
            "garanties",
            "reserves",
        ],
    );
    let parts = parts?;
    let somme: rust_decimal::Decimal = parts.iter().map(|(_, t)| t.v.0).sum();
    if somme > rust_decimal::Decimal::ONE_HUNDRED {
        l.erreur(
            Diagnostic::erreur_de(
                "parts des garants au-delà de 100 %",
                format!("`{chemin}.garanties` : les parts des garants dépassent 100 % ({somme} %)"),
                Some(span),
            )
            .note("la somme des quotes-parts de garantie d'un programme est au plus 100 %"),
        );
        return None;
    }
    Some(Programme {
        contrepartie: contrepartie?,
        commune: commune?,
        residence: residence?,
        code: code?,
        financements: financements?,
        mise_en_location: mise?,
        parts,
        reserves_declares: reserves?,
        span,
    })
}

fn exercices(l: &mut Lecteur, n: &Node, garants: Option<&[String]>) -> Option<Vec<Exercice>> {
    let items = l.liste(n, "exercices")?;
    if items.is_empty() {
        l.erreur(
            Diagnostic::erreur_de(
                "liste vide",
                "`exercices` : la liste est vide",
                Some(n.span),
            )
            .note("au moins un exercice (une année) est attendu"),
        );
        return None;
    }
    l.elements(n, "exercices", |l, n, c| exercice(l, n, c, garants))
}

fn exercice(
    l: &mut Lecteur,
    n: &Node,
    chemin: &str,
    garants: Option<&[String]>,
) -> Option<Exercice> {
    let mut t = l.table(n, chemin)?;
    let annee = l
        .requis(&mut t, "annee", "l'année de l'exercice")
        .and_then(|n| l.annee(n, &joindre(chemin, "annee")));
    let annexes = l
        .requis(&mut t, "annexes", "la liste des annexes")
        .and_then(|n| {
            let exercice = annee.as_ref().map(|a| a.v);
            l.elements(n, &joindre(chemin, "annexes"), |l, it, ch| {
                annexe(l, it, ch, exercice)
            })
        });
    // Bilan of the previous year and avenant data (src/bilan.rs).
    let suivi = bilan::lire(l, &mut t, chemin, annee.as_ref().map(|a| a.v));
    let nouveaux = match l.champ(&mut t, "programmes_nouveaux") {
        Some(n) if n.value != Value::Null => programmes_nouveaux(l, n, chemin, garants),
        _ => Some(Vec::new()),
    };
    let span = t.span();
    l.fin(
        t,
        &[
            "annee",
            "annexes",
            "bilan",
            "avenant",
            "illustratif",
            "programmes_nouveaux",
        ],
    );
    let suivi = suivi?;
    Some(Exercice {
        annee: annee?,
        annexes: annexes?,
        bilan: suivi.bilan,
        avenant: suivi.avenant,
        illustratif: suivi.illustratif,
        programmes_nouveaux: nouveaux?,
        span,
    })
}

/// `exercices[].programmes_nouveaux`: the programmes first let this year,
/// in the form of `etat_des_lieux.programmes` (their `reserves`: the stock
/// reservations of their first letting). Their guarantors are those of
/// the état des lieux, which is required.
fn programmes_nouveaux(
    l: &mut Lecteur,
    n: &Node,
    chemin: &str,
    garants: Option<&[String]>,
) -> Option<Vec<Programme>> {
    let c = joindre(chemin, "programmes_nouveaux");
    let Some(ids) = garants else {
        l.erreur(
            Diagnostic::erreur_de(
                "état des lieux manquant",
                format!("`{c}` : un `etat_des_lieux` est requis"),
                Some(n.span),
            )
            .label("pas d'état des lieux")
            .note("les programmes nouveaux rejoignent l'état des lieux des droits : déclarez `etat_des_lieux` (garants, programmes) avant d'en ajouter"),
        );
        return None;
    };
    let nombre = l.liste(n, &c)?.len();
    if !l.borne(n, &c, nombre, PROGRAMMES_MAX, "programmes") {
        return None;
    }
    l.elements(n, &c, |l, it, ch| programme(l, it, ch, ids))
}

/// One annex of the exercise of year `exercice` (`None`: unreadable).
fn annexe(l: &mut Lecteur, n: &Node, chemin: &str, exercice: Option<i32>) -> Option<Annexe> {
    let mut t = l.table(n, chemin)?;
    let reservataire = l
        .requis(&mut t, "reservataire", "l'identifiant d'un réservataire")
        .and_then(|n| l.identifiant(n, &joindre(chemin, "reservataire")));
    let perimetre = l.req_texte(&mut t, "perimetre");
    let assiette_ = match l.champ(&mut t, "assiette") {
        Some(n) if n.value != Value::Null => assiette(l, n, &joindre(chemin, "assiette")).map(Some),
        _ => Some(None),
    };
    let patrimoine = l
        .requis(&mut t, "patrimoine", "le patrimoine")
        .and_then(|n| {
            let c = joindre(chemin, "patrimoine");
            let mut p = l.table(n, &c)?;
            let date = l
                .requis(&mut p, "date", "la date du patrimoine")
                .and_then(|n| l.date(n, &joindre(&c, "date")));
            let source = l.opt_texte(&mut p, "source");
            let logements = l.req_logements(&mut p, "logements");
            l.fin(p, &["date", "source", "logements"]);
            Some(Patrimoine {
                date: date?,
                source,
                logements: logements?,
            })
        });
    let exclusions = match l.champ(&mut t, "exclusions") {
        Some(n) if n.value != Value::Null => {
            let c = joindre(chemin, "exclusions");
            let avant = l.diags.erreurs();
            l.table(n, &c).and_then(|mut e| {
                let mut out = BTreeMap::new();
                for x in Exclusion::TOUTES {
                    // An empty value (`vente: ~`) counts as absent.
                    if let Some(v) = l.opt_logements(&mut e, x.cle()) {
                        out.insert(x, v);
                    }
                }
                l.fin(e, &Exclusion::cles());
                (l.diags.erreurs() == avant).then_some(out)
            })
        }
        _ => Some(BTreeMap::new()),
    };
    let rotation = l
        .requis(&mut t, "rotation", "le taux de rotation")
        .and_then(|n| rotation(l, n, &joindre(chemin, "rotation"), exercice));
    let (mutations, deductions) = match l.champ(&mut t, "deductions") {
        Some(n) if n.value != Value::Null => deductions(l, n, &joindre(chemin, "deductions"))
            .map_or((None, None), |(m, d)| (Some(m), Some(d))),
        _ => (Some(None), Some(BTreeMap::new())),
    };
    let taux = l.opt_taux(&mut t, "taux");
    let taux_agents = l.opt_taux(&mut t, "taux_agents");
    let declare = match l.champ(&mut t, "declare") {
        Some(n) if n.value != Value::Null => {
            let c = joindre(chemin, "declare");
            l.table(n, &c).map(|mut d| {
                let r = Declare {
                    parc_soumis: l.opt_logements(&mut d, "parc_soumis"),
                    flux_previsionnel: l.opt_logements(&mut d, "flux_previsionnel"),
                    mobilisables: l.opt_logements(&mut d, "mobilisables"),
                    affectes: l.opt_logements(&mut d, "affectes"),
                    taux: l.opt_taux(&mut d, "taux"),
                    taux_rapport: l.opt_taux(&mut d, "taux_rapport"),
                };
                l.fin(
                    d,
                    &[
                        "parc_soumis",
                        "flux_previsionnel",
                        "mobilisables",
                        "affectes",
                        "taux",
                        "taux_rapport",
                    ],
                );
                r
            })
        }
        _ => Some(Declare::default()),
    };
    let transmis = match l.champ(&mut t, "transmis") {
        Some(n) if n.value != Value::Null => transmis(l, n, &joindre(chemin, "transmis")),
        _ => Some(Transmis::default()),
    };
    let span = t.span();
    l.fin(
        t,
        &[
            "reservataire",
            "perimetre",
            "assiette",
            "patrimoine",
            "exclusions",
            "rotation",
            "deductions",
            "taux",
            "taux_agents",
            "declare",
            "transmis",
        ],
    );
    Some(Annexe {
        reservataire: reservataire?,
        perimetre: perimetre?,
        assiette: assiette_?,
        taux_agents,
        patrimoine: patrimoine?,
        exclusions: exclusions?,
        rotation: rotation?,
        mutations: mutations?,
        deductions: deductions?,
        taux,
        declare: declare?,
        transmis: transmis?,
        span,
    })
}

/// `transmis: { flux_previsionnel: 235, mobilisables: 14 }`: the figures the
/// bailleur transmitted, the keys of `declare` for the four counts. The rate
/// the bailleur transmitted for the council report has its key already
/// (`declare.taux_rapport`): a `taux` here says so rather than « clé inconnue »
/// alone, so that one figure has one place.
fn transmis(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<Transmis> {
    let mut t = l.table(n, chemin)?;
    let avant = l.diags.erreurs();
    let mut out = BTreeMap::new();
    for c in Chiffre::TOUS {
        if let Some(v) = l.opt_logements(&mut t, c.cle()) {
            out.insert(c, v);
        }
    }
    if t.a("taux") {
        let span = t.a_la_cle("taux");
        l.champ(&mut t, "taux");
        l.erreur(
            Diagnostic::erreur(
                format!(
                    "clé inconnue : `{}` ; le taux transmis pour le rapport au conseil s'écrit `declare.taux_rapport`",
                    joindre(chemin, "taux")
                ),
                Some(span),
            )
            .label("écrivez-le dans `declare`, sous `taux_rapport`")
            .note("le taux de l'annexe fait foi ; `declare.taux_rapport` donne le taux transmis, corrigé dans le rapport au conseil s'il diffère")
            .regle(lecteur::INCONNUE)
            .suggestion("taux_rapport"),
        );
    }
    let cles: Vec<&str> = Chiffre::TOUS.iter().map(|c| c.cle()).collect();
    l.fin(t, &cles);
    (l.diags.erreurs() == avant).then_some(Transmis(out))
}

/// `assiette: { commune: "Le Port", insee: "97407" }` or
/// `{ epci: "Territoire de l'Ouest", insee: "249740101" }`: one of `commune`
/// and `epci`, the code optional (5 characters for a commune, as in the
/// official geographic code, 2A/2B for Corsica; 9 digits for an EPCI).
fn assiette(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<Assiette> {
    let mut t = l.table(n, chemin)?;
    let span = t.span();
    let commune = l.opt_texte(&mut t, "commune");
    let epci = l.opt_texte(&mut t, "epci");
    let code_noeud = l.champ(&mut t, "insee");
    l.fin(t, &["commune", "epci", "insee"]);
    let (nature, nom) = match (commune, epci) {
        (Some(c), None) if !c.trim().is_empty() => (NatureTerritoire::Commune, c),
        (None, Some(e)) if !e.trim().is_empty() => (NatureTerritoire::Epci, e),
        _ => {
            l.erreur(
                Diagnostic::erreur_de(
                    "assiette : une commune ou un EPCI",
                    format!("`{chemin}` : une commune ou un EPCI attendu, un seul"),
                    Some(span),
                )
                .label("attendu : `commune:` ou `epci:`")
                .note("exemple : `assiette: { commune: \"Le Port\", insee: \"97407\" }` ; sans `assiette`, l'assiette est le territoire du réservataire"),
            );
            return None;
        }
    };
    let code = match code_noeud {
        Some(n) if n.value != Value::Null => {
            let c = l.texte(n, &joindre(chemin, "insee"))?;
            if !code_territoire_valide(nature, &c) {
                let attendu = match nature {
                    NatureTerritoire::Commune => {
                        "le code INSEE de la commune : 5 caractères (chiffres, ou 2A/2B puis 3 chiffres), par exemple \"97407\""
                    }
                    _ => "le code de l'EPCI (son SIREN) : 9 chiffres, par exemple \"249740101\"",
                };
                l.erreur(
                    Diagnostic::erreur_de(
                        "code INSEE mal formé",
                        format!("`{chemin}.insee` : code « {} » invalide", c.trim()),
                        Some(n.span),
                    )
                    .label("code invalide")
                    .note(format!("attendu : {attendu}")),
                );
                return None;
            }
            Some(c.trim().to_uppercase())
        }
        _ => None,
    };
    Some(Assiette {
        nature,
        nom,
        code,
        span: Some(span),
    })
}

/// A commune's INSEE code (5 characters: digits, or 2A/2B and 3 digits) or
/// an EPCI's SIREN (9 digits). A rule of the file format.
fn code_territoire_valide(nature: NatureTerritoire, code: &str) -> bool {
    let c = code.trim().to_uppercase();
    match nature {
        NatureTerritoire::Commune => {
            c.len() == 5
                && (c.chars().all(|x| x.is_ascii_digit())
                    || ((c.starts_with("2A") || c.starts_with("2B"))
                        && c[2..].chars().all(|x| x.is_ascii_digit())))
        }
        _ => c.len() == 9 && c.chars().all(|x| x.is_ascii_digit()),
    }
}

#[cfg(test)]
mod test_code_territoire_valide {
    use super::*;

    #[test]
    fn commune_codes_have_five_characters_epci_codes_nine_digits() {
        assert!(code_territoire_valide(NatureTerritoire::Commune, "97407"));
        assert!(code_territoire_valide(NatureTerritoire::Commune, "2a004"));
        assert!(!code_territoire_valide(NatureTerritoire::Commune, "9740"));
        assert!(!code_territoire_valide(NatureTerritoire::Commune, "2C004"));
        assert!(code_territoire_valide(NatureTerritoire::Epci, "249740101"));
        assert!(!code_territoire_valide(NatureTerritoire::Epci, "97407"));
    }
}

/// A year of observed turnover for the exercise of year `exercice`: a
/// year already over, as the patrimoine is taken at 31/12 of N-1 (seed 000:
/// the rate observed in one past year; seed 004 art. 2.2: the three last
/// years). A practice of the conventions, no legal text (DROIT.md).
fn annee_de_rotation(
    l: &mut Lecteur,
    n: &Node,
    chemin: &str,
    exercice: Option<i32>,
) -> Option<Sp<i32>> {
    let a = l.annee(n, chemin)?;
    if let Some(e) = exercice
        && a.v >= e
    {
        l.erreur(
            Diagnostic::erreur_de(
                "rotation d'une année à venir",
                format!(
                    "`{chemin}` : rotation de l'année {} pour l'exercice {e} : l'année doit être écoulée",
                    a.v
                ),
                Some(n.span),
            )
            .label(format!("attendu : au plus {}", e - 1))
            .note("le taux de rotation est celui d'années écoulées, comme le patrimoine est pris au 31 décembre de l'année N-1"),
        );
    }
    Some(a)
}

/// The same year twice in a list of years (`annees`, `historique`): an
/// error at the second, naming the first.
fn annee_en_double(
    l: &mut Lecteur,
    vues: &mut BTreeMap<i32, usize>,
    a: &Sp<i32>,
    chemin: &str,
    i: usize,
) {
    let premiere = *vues.entry(a.v).or_insert(i);
    if premiere != i {
        l.erreur(
            Diagnostic::erreur_de(
                "année de rotation en double",
                format!(
                    "`{chemin}` : l'année {} figure deux fois (n° {} et n° {})",
                    a.v,
                    premiere + 1,
                    i + 1
                ),
                Some(a.span),
            )
            .label("année déjà donnée")
            .note("chaque année de rotation est comptée une fois"),
        );
    }
}

fn rotation(l: &mut Lecteur, n: &Node, chemin: &str, exercice: Option<i32>) -> Option<Rotation> {
    // A bare rate is accepted: `rotation: 6.82`.
    if matches!(n.value, Value::Nombre(_) | Value::Texte(_)) {
        return l
            .taux(n, chemin)
            .map(|taux| Rotation::Annuelle { taux, annee: None });
    }
    let mut t = l.table(n, chemin)?;
    let span = t.span();
    let r = if t.a("historique") {
        let hist = l.champ(&mut t, "historique").and_then(|n| {
            let c = joindre(chemin, "historique");
            let items = l.liste(n, &c)?;
            if !l.borne(n, &c, items.len(), HISTORIQUE_MAX, "années") {
                return None;
            }
            let mut out = Vec::new();
            let mut ok = true;
            let mut vues = BTreeMap::new();
            for (i, it) in items.iter().enumerate() {
                let ci = format!("{c}[{i}]");
                let h = l.table(it, &ci).and_then(|mut h| {
                    let annee = l
                        .requis(&mut h, "annee", "l'année")
                        .and_then(|n| annee_de_rotation(l, n, &joindre(&ci, "annee"), exercice));
                    let departs = l
                        .requis(&mut h, "departs", "le nombre de départs")
                        .and_then(|n| {
                            l.entier(
                                n,
                                &joindre(&ci, "departs"),
                                u64::from(u32::MAX),
                                "un nombre de départs",
                            )
                            .map(|d| Sp::new(d, n.span))
                        });
                    let parc = l.requis(&mut h, "parc", "le parc au 31/12").and_then(|n| {
                        l.entier(
                            n,
                            &joindre(&ci, "parc"),
                            u64::from(u32::MAX),
                            "un nombre de logements",
                        )
                    });
                    l.fin(h, &["annee", "departs", "parc"]);
                    let (annee, departs, parc) = (annee?, departs?, parc?);
                    if departs.v > parc {
                        l.erreur(
                            Diagnostic::erreur_de(
                                "plus de départs que de logements",
                                format!(
                                    "`{ci}.departs` : {} départs en {} pour un parc de {parc} logements",
                                    departs.v, annee.v
                                ),
                                Some(departs.span),
                            )
                            .label(format!("attendu : au plus {parc}"))
                            .note("les départs d'une année sont ceux des logements du parc au 31/12 de cette année : un taux de rotation est au plus 100 %"),
                        );
                    }
                    annee_en_double(l, &mut vues, &annee, &c, i);
                    Some(AnneeRotation {
                        annee: annee.v,
                        departs: departs.v,
                        parc,
                    })
                });
                match h {
                    Some(h) => out.push(h),
                    None => ok = false,
                }
            }
            if ok && !out.is_empty() && out.iter().all(|h| h.parc == 0) {
                l.erreur(
                    Diagnostic::erreur_de(
                        "rotation sans parc",
                        format!("`{c}` : le parc est nul chaque année : le taux de rotation (départs ÷ parc) n'est pas défini"),
                        Some(n.span),
                    )
                    .label("parc nul")
                    .note("attendu : le parc au 31/12 de chaque année, en logements"),
                );
                ok = false;
            }
            if ok && out.is_empty() {
                l.erreur(
                    Diagnostic::erreur_de(
                        "liste vide",
                        format!("`{c}` : la liste est vide"),
                        Some(n.span),
                    )
                    .note("attendu : les départs et le parc de chaque année (trois années)"),
                );
                ok = false;
            }
            ok.then_some(out)
        });
        let precision = match l.champ(&mut t, "precision") {
            Some(n) if n.value != Value::Null => l.entier(
                n,
                &joindre(chemin, "precision"),
                4,
                "un nombre de décimales (0 à 4)",
            ),
            _ => Some(2),
        };
        let _ = l.opt_texte(&mut t, "methode");
        Some(Rotation::Calculee {
            historique: hist?,
            precision: precision? as u32,
            span,
        })
    } else if t.a("annees") {
        let taux = l
            .requis(&mut t, "taux", "le taux moyen")
            .and_then(|n| l.taux(n, &joindre(chemin, "taux")));
        let annees = l.champ(&mut t, "annees").and_then(|n| {
            let c = joindre(chemin, "annees");
            let items = l.liste(n, &c)?;
            if !l.borne(n, &c, items.len(), HISTORIQUE_MAX, "années") {
                return None;
            }
            let mut vues = BTreeMap::new();
            items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let a = annee_de_rotation(l, x, &format!("{c}[{i}]"), exercice)?;
                    annee_en_double(l, &mut vues, &a, &c, i);
                    Some(a.v)
                })
                .collect::<Vec<_>>()
                .into_iter()
                .collect::<Option<Vec<_>>>()
        });
        let methode = l.opt_texte(&mut t, "methode");
        Some(Rotation::Moyenne {
            taux: taux?,
            annees: annees?,
            methode,
        })
    } else {
        let taux = l
            .requis(&mut t, "taux", "le taux de rotation")
            .and_then(|n| l.taux(n, &joindre(chemin, "taux")));
        let annee = match l.champ(&mut t, "annee") {
            Some(n) if n.value != Value::Null => {
                annee_de_rotation(l, n, &joindre(chemin, "annee"), exercice).map(|a| Some(a.v))
            }
            _ => Some(None),
        };
        let _ = l.opt_texte(&mut t, "methode");
        Some(Rotation::Annuelle {
            taux: taux?,
            annee: annee?,
        })
    };
    l.fin(
        t,
        &[
            "taux",
            "annee",
            "annees",
            "methode",
            "historique",
            "precision",
        ],
    );
    r
}

type Deductions = (Option<Mutations>, BTreeMap<Deduction, Sp<Logements>>);

fn deductions(l: &mut Lecteur, n: &Node, chemin: &str) -> Option<Deductions> {
    let avant = l.diags.erreurs();
    let mut t = l.table(n, chemin)?;
    let mutations = match l.champ(&mut t, Deduction::Mutations.cle()) {
        Some(m) if matches!(m.value, Value::Map(_)) => {
            let c = joindre(chemin, Deduction::Mutations.cle());
            l.table(m, &c).and_then(|mut p| {
                let v = l
                    .requis(&mut p, "pourcentage", "la part du flux en %")
                    .and_then(|n| l.taux(n, &joindre(&c, "pourcentage")));
                l.fin(p, &["pourcentage"]);
                v.map(Mutations::Pourcentage)
            })
        }
        Some(m) if m.value != Value::Null => l
            .logements(m, &joindre(chemin, Deduction::Mutations.cle()))
            .map(Mutations::Nombre),
        _ => None,
    };
    let mut out = BTreeMap::new();
    // Mutations, read above, may also be a share of the flux.
    for d in Deduction::TOUTES
        .into_iter()
        .filter(|d| *d != Deduction::Mutations)
    {
        // An empty value (`anru: ~`) counts as absent.
        if let Some(v) = l.opt_logements(&mut t, d.cle()) {
            out.insert(d, v);
        }
    }
    l.fin(t, &Deduction::cles());
    (l.diags.erreurs() == avant).then_some((mutations, out))
}

/// Rules across fields that need no computation.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::charger;

    const BASE: &str = include_str!("../../tests/catalogue/04-logements-negatif.yaml");

    fn base_valide() -> String {
        BASE.replace("logements: -12", "logements: 1887")
    }

    #[test]
    fn base_is_valid() {
        let (c, d) = valider(&charger(&base_valide()).unwrap());
        assert!(c.is_some(), "{d:?}");
    }

    // Regression: an empty deduction (`lhi: ~`) made the file invalid with no message.
    #[test]
    fn empty_deduction_or_exclusion_counts_as_absent() {
        let s = base_valide()
            .replace("lhi: 0", "lhi: ~")
            .replace("defense: 0", "defense:");
        let (c, d) = valider(&charger(&s).unwrap());
        assert!(c.is_some(), "{d:?}");
        let a = &c.unwrap().exercices[0].annexes[0];
        assert!(!a.deductions.contains_key(&Deduction::Lhi));
        assert!(!a.exclusions.contains_key(&Exclusion::Defense));
    }

    fn avec_reservataires(n: usize, nom: &str) -> String {
        let mut plus = String::new();
        for i in 0..n {
            plus.push_str(&format!(
                "  - id: r{i}\n    nom: \"{nom}\"\n    nature: commune\n    signataire: {{ qualite: Maire, nom: X }}\n"
            ));
        }
        base_valide().replace("reservataires:\n", &format!("reservataires:\n{plus}"))
    }

    // Lists that multiply pages are bounded (limites.rs), at the list.
    #[test]
    fn too_many_reservataires_is_a_located_error() {
        let (c, d) = valider(&charger(&avec_reservataires(RESERVATAIRES_MAX, "A")).unwrap());
        assert!(c.is_none());
        assert!(
            d.0[0].message.contains("202 réservataires, au plus 200"),
            "{d:?}"
        );
        let (c, d) = valider(&charger(&avec_reservataires(10, "A")).unwrap());
        assert!(c.is_some(), "{d:?}");
    }

    // The parties' names together form the PDF /Author, a PDF string.
    #[test]
    fn names_of_the_parties_are_bounded_together() {
        let nom = "N".repeat(TEXTE_COURT_MAX);
        let (c, d) =
            valider(&charger(&avec_reservataires(AUTEURS_MAX / TEXTE_COURT_MAX, &nom)).unwrap());
        assert!(c.is_none());
        assert!(
            d.0[0].message.contains("noms des parties trop longs"),
            "{d:?}"
        );
    }

    #[test]
    fn every_problem_of_a_file_is_reported() {
        let s = base_valide()
            .replace("logements: 1887", "logements: -1")
            .replace("taux: 6.89", "taux: 101")
            .replace("nature: commune", "nature: ville");
        let (c, d) = valider(&charger(&s).unwrap());
        assert!(c.is_none());
        assert_eq!(d.erreurs(), 3, "{d:?}");
    }
}
