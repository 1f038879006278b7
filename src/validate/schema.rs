//! The JSON Schema of the YAML format (`convflux schema`), for editors using
//! yaml-language-server: completion and checking while typing. The authority
//! remains `validate` (which also checks cross-field rules and computations).

use serde_json::{Value, json};

use crate::model::articles::{articles, dernier};
use crate::model::bilan::Critere;
use crate::model::vocabulaire::{DEDUCTIONS, Deduction, EXCLUSIONS, Terme};
use crate::model::{Chiffre, Modele};
use crate::validate::limites::DISPOSITIONS_MAX;

fn texte(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn texte_opt(description: &str) -> Value {
    json!({ "type": ["string", "null"], "description": description })
}

fn logo() -> Value {
    json!({ "type": ["string", "null"],
        "pattern": "^(modele:images/)?[^/\\\\].*\\.([pP][nN][gG]|[jJ][pP][eE]?[gG]|[sS][vV][gG])$",
        "description": "logo de la partie : image PNG, JPEG ou SVG relative au fichier YAML (sans `..`), ou `modele:images/<fichier>` dans le dossier du modèle" })
}

fn logements(description: &str) -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": 4294967295u64, "description": description,
        "examples": [1887] })
}

fn taux(description: &str) -> Value {
    json!({
        "description": format!("{description} — pourcentage : 6.82 ou \"6,82 %\""),
        "examples": [6.82, "6,82 %"],
        "oneOf": [
            { "type": "number", "minimum": 0, "maximum": 100 },
            { "type": "string", "pattern": "^\\s*[0-9]+([.,][0-9]+)?\\s*%?\\s*$" }
        ]
    })
}

fn date(description: &str) -> Value {
    json!({
        "type": "string",
        "description": format!("{description} (AAAA-MM-JJ ou JJ/MM/AAAA)"),
        "examples": ["2022-12-31"],
        "pattern": "^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4})$"
    })
}

fn identifiant(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$", "description": description,
        "examples": ["le-port"] })
}

fn signataire() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["qualite"],
        "properties": {
            "qualite": texte("qualité imprimée sous la signature, ex. « Maire de la commune du Port »"),
            "civilite": texte_opt("Monsieur, Madame, M.…"),
            "nom": texte_opt("nom du signataire (vide : une ligne à remplir est imprimée, avec un avertissement)")
        }
    })
}

fn bloc() -> Value {
    json!({
        "description": "texte local : un paragraphe, ou une liste de paragraphes, de `liste:` et de `tableau:`",
        "oneOf": [
            { "type": "string" },
            { "type": "array", "items": { "oneOf": [
                { "type": "string" },
                { "type": "object", "additionalProperties": false, "required": ["liste"],
                  "properties": { "liste": { "type": "array", "items": { "type": "string" } } } },
                { "type": "object", "additionalProperties": false, "required": ["tableau"],
                  "properties": { "tableau": { "type": "object", "additionalProperties": false,
                    "required": ["colonnes", "lignes"],
                    "properties": {
                      "colonnes": { "type": "array", "items": { "type": "string" } },
                      "lignes": { "type": "array", "items": { "type": "array", "items": { "type": ["string", "null"] } } }
                    } } } }
            ] } }
        ]
    })
}

/// A clause's text: paragraphs and lists only (no table).
fn texte_clause() -> Value {
    json!({
        "description": "texte de l'article : un paragraphe, ou une liste de paragraphes et de `liste:` (ni tableau ni mise en forme : tout est imprimé tel quel)",
        "oneOf": [
            { "type": "string", "minLength": 1 },
            { "type": "array", "minItems": 1, "items": { "oneOf": [
                { "type": "string" },
                { "type": "object", "additionalProperties": false, "required": ["liste"],
                  "properties": { "liste": { "type": "array", "items": { "type": "string" } } } }
            ] } }
        ]
    })
}

/// The local texts of a model, from the list `validate` checks
/// (`validate::textes_requis`): their keys, and each one's schema with what
/// the model prints there as its description.
fn textes_du_modele(m: Modele) -> (Vec<&'static str>, serde_json::Map<String, Value>) {
    let requis = crate::validate::textes_requis(m);
    let cles: Vec<&str> = requis.iter().map(|(c, _)| *c).collect();
    let mut proprietes = serde_json::Map::new();
    for (cle, quoi) in requis {
        let mut b = bloc();
        b["description"] = json!(format!(
            "{quoi} — {}",
            b["description"].as_str().unwrap_or("")
        ));
        proprietes.insert((*cle).to_string(), b);
    }
    (cles, proprietes)
}

/// Without `convention.gabarits`, `textes` holds the model's keys only.
fn sans_gabarits(cles: &[&str], m: Modele) -> Value {
    json!({ "propertyNames": { "enum": cles },
        "description": format!("textes locaux du modèle {} : {}", m.nom(), cles.join(", ")) })
}

/// What depends on `convention.modele`, from the lists `validate` checks:
/// the local texts each model prints (`validate::textes_requis`) are
/// required, and no other key is allowed unless the convention names its own
/// model folder (`gabarits`).
fn par_modele() -> Vec<Value> {
    let mut v = Vec::new();
    for m in [Modele::Intercommunal, Modele::Bilateral] {
        let (cles, proprietes) = textes_du_modele(m);
        let modele = json!({ "required": ["convention"], "properties": { "convention": {
            "required": ["modele"], "properties": { "modele": { "const": m.nom() } } } } });
        v.push(json!({
            "if": modele,
            "then": { "required": ["textes"], "properties": { "textes": {
                "required": cles, "properties": proprietes } } }
        }));
        v.push(json!({
            "if": { "allOf": [modele, { "properties": { "convention": {
                "not": { "required": ["gabarits"] } } } }] },
            "then": { "properties": { "textes": sans_gabarits(&cles, m) } }
        }));
    }
    v
}

/// The file name of a model's schema (beside a file of `convflux nouveau`,
/// and in docs/).
pub fn fichier_du_modele(m: Modele) -> String {
    format!("convflux-{}.schema.json", m.nom())
}

/// The schema of one model's files, the one `convflux nouveau --modele`
/// points to: [`schema`] with `convention.modele` fixed and the model's
/// local texts as plain properties of `textes` (required, described),
/// without the conditions on the model, since yaml-language-server
/// completes plain properties but not the branches of an `if`. Only the
/// `gabarits` case stays a condition (it allows other texts).
pub fn schema_du_modele(m: Modele) -> Value {
    let mut s = schema();
    let titre = s["title"].as_str().unwrap_or_default().to_string();
    s["title"] = json!(format!("{titre}, modèle {}", m.nom()));
    s["description"] = json!(format!(
        "Un fichier par convention du modèle {} (`convflux schema --modele {}`). Voir docs/format.md.",
        m.nom(),
        m.nom()
    ));
    s["properties"]["convention"]["properties"]["modele"] = json!({
        "const": m.nom(),
        "default": m.nom(),
        "description": format!("modèle de convention : ce schéma est celui du modèle {}", m.nom())
    });
    let (cles, proprietes) = textes_du_modele(m);
    s["properties"]["textes"] = json!({
        "type": "object",
        "required": cles,
        "properties": proprietes,
        "additionalProperties": bloc(),
        "description": format!("textes locaux du modèle {} : {} (un autre texte seulement avec `convention.gabarits`)", m.nom(), cles.join(", "))
    });
    if let Some(requis) = s["required"].as_array_mut() {
        requis.push(json!("textes"));
    }
    s["allOf"] = json!([{
        "if": { "properties": { "convention": { "not": { "required": ["gabarits"] } } } },
        "then": { "properties": { "textes": sans_gabarits(&cles, m) } }
    }]);
    s
}

/// `clauses`: the replaceable articles of each model, from the one table.
fn clauses() -> Value {
    let remplacables: Vec<String> = [Modele::Intercommunal, Modele::Bilateral]
        .iter()
        .map(|&m| {
            let sauf: Vec<String> = articles(m)
                .iter()
                .filter(|a| a.chiffres.is_some())
                .map(|a| a.numero.to_string())
                .collect();
            let sauf = if sauf.is_empty() {
                String::new()
            } else {
                format!(" sauf {} (chiffres calculés)", sauf.join(", "))
            };
            format!("{} : 1 à {}{sauf}", m.nom(), dernier(m))
        })
        .collect();
    json!({
        "type": "object", "additionalProperties": false,
        "description": "clauses propres à cette convention : dispositions particulières ajoutées avant les signatures, articles du modèle au texte remplacé",
        "properties": {
            "dispositions_particulieres": { "type": "array", "maxItems": DISPOSITIONS_MAX,
                "description": "articles ajoutés avant les signatures, numérotés après le dernier article du modèle",
                "items": { "type": "object", "additionalProperties": false, "required": ["titre", "texte"],
                    "properties": {
                        "titre": { "type": "string", "minLength": 1, "description": "titre de l'article" },
                        "texte": texte_clause()
                    } } },
            "remplacer": { "type": "array",
                "description": "articles du modèle dont le texte est remplacé (le numéro et le titre restent)",
                "items": { "type": "object", "additionalProperties": false, "required": ["article", "texte"],
                    "properties": {
                        "article": { "type": "integer", "minimum": 1,
                            "description": format!("numéro de l'article tel qu'imprimé ({})", remplacables.join(" ; ")) },
                        "texte": texte_clause()
                    } } }
        }
    })
}

/// One count per category of a vocabulary, described by its label and source.
fn par_categorie<T>(table: &[Terme<T>]) -> serde_json::Map<String, Value> {
    table
        .iter()
        .map(|t| {
            let d = format!("{} — {}", t.libelle, t.citation);
            (t.cle.to_string(), logements(&d))
        })
        .collect()
}

/// `transmis`: the four counts of [`Chiffre::TOUS`], the keys `validate` reads.
fn transmis() -> serde_json::Map<String, Value> {
    Chiffre::TOUS
        .iter()
        .map(|c| {
            let d = format!("{} tel que transmis par le bailleur", c.libelle());
            (c.cle().to_string(), logements(&d))
        })
        .collect()
}

/// Deductions: a count each; mutations may also be a share of the flux.
fn deductions() -> Value {
    let mut props = par_categorie(DEDUCTIONS);
    let m = Deduction::Mutations;
    props.insert(
        m.cle().to_string(),
        json!({ "oneOf": [
            logements(&format!("{} — {}", m.libelle(), m.citation())),
            { "type": "object", "additionalProperties": false, "required": ["pourcentage"],
              "properties": { "pourcentage": taux("part du flux prévisionnel") } }
        ] }),
    );
    json!({
        "type": "object", "additionalProperties": false,
        "description": "logements soustraits du flux de l'année",
        "properties": props
    })
}

fn annexe() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["reservataire", "perimetre", "patrimoine", "rotation"],
        "properties": {
            "reservataire": identifiant("identifiant d'un réservataire déclaré dans `reservataires`"),
            "perimetre": texte("complément de « sur le territoire de … », ex. « la commune »"),
            "assiette": {
                "type": "object", "additionalProperties": false,
                "description": "territoire de l'assiette : une commune ou un EPCI (absent : le territoire du réservataire) ; les plafonds (100 %, préfet 30 % dont 5 % agents) portent sur bailleur × assiette × année, toutes conventions confondues",
                "oneOf": [ { "required": ["commune"] }, { "required": ["epci"] } ],
                "properties": {
                    "commune": texte("nom de la commune"),
                    "epci": texte("nom de l'EPCI"),
                    "insee": { "type": ["string", "integer", "null"], "description": "code INSEE de la commune (5 caractères) ou SIREN de l'EPCI (9 chiffres)" }
                }
            },
            "patrimoine": {
                "type": "object", "additionalProperties": false, "required": ["date", "logements"],
                "properties": {
                    "date": date("date du patrimoine (31/12 de l'année N-1)"),
                    "source": texte_opt("source des données, ex. « RPLS 2022 »"),
                    "logements": logements("logements du bailleur sur le territoire")
                }
            },
            "exclusions": {
                "type": "object", "additionalProperties": false,
                "description": "logements exclus de la gestion en flux",
                "properties": par_categorie(EXCLUSIONS)
            },
            "rotation": {
                "description": "taux annuel ({taux, annee}), moyenne triennale ({taux, annees, methode}) ou calculé ({historique})",
                "oneOf": [
                    taux("taux de rotation"),
                    { "type": "object", "additionalProperties": false, "properties": {
                        "taux": taux("taux de rotation"),
                        "annee": { "type": "integer", "minimum": 1950, "maximum": 2150 },
                        "annees": { "type": "array", "items": { "type": "integer", "minimum": 1950, "maximum": 2150 } },
                        "methode": texte("méthode de calcul, telle qu'imprimée"),
                        "precision": { "type": "integer", "minimum": 0, "maximum": 4 },
                        "historique": { "type": "array", "minItems": 1, "items": {
                            "type": "object", "additionalProperties": false, "required": ["annee", "departs", "parc"],
                            "properties": {
                                "annee": { "type": "integer" },
                                "departs": logements("départs de l'année (dont mutations)"),
                                "parc": logements("parc au 31/12 (dont livraisons)")
                            } } }
                    } }
                ]
            },
            "deductions": deductions(),
            "taux": taux("taux du réservataire (absent : dérivé de l'état des lieux)"),
            "taux_agents": taux("part du taux du préfet réservée aux agents civils et militaires de l'État (au plus 5 %, CCH art. R. 441-5-2)"),
            "declare": {
                "type": "object", "additionalProperties": false,
                "description": "chiffres tels qu'imprimés par le bailleur, vérifiés contre le calcul",
                "properties": {
                    "parc_soumis": logements("parc soumis imprimé"),
                    "flux_previsionnel": logements("flux prévisionnel imprimé"),
                    "mobilisables": logements("logements mobilisables imprimés"),
                    "affectes": logements("logements affectés imprimés"),
                    "taux": taux("taux imprimé"),
                    "taux_rapport": taux("taux cité par le rapport au conseil (écart : avertissement)")
                }
            },
            "transmis": {
                "type": "object", "additionalProperties": false,
                "description": "chiffres tels que transmis par le bailleur, corrigés par le calcul : un écart est un avertissement, l'annexe imprime le chiffre calculé et le rapport au conseil dit la correction",
                "properties": transmis()
            }
        }
    })
}

/// A rounding rule.
fn arrondi(description: &str) -> Value {
    json!({ "enum": ["plus_proche", "inferieur", "superieur"], "description": description })
}

/// A programme of the état des lieux (or a new programme of an exercise).
fn programme() -> Value {
    json!({ "type": "object", "additionalProperties": false,
        "required": ["commune", "residence", "code", "logements", "garanties"],
        "properties": {
            "contrepartie": { "enum": ["garantie", "autre"],
                "description": "contrepartie des droits : garantie d'emprunt (défaut ; plafond de 20 % par programme) ou autre (subvention, terrain)" },
            "commune": texte("commune"),
            "residence": texte("résidence"),
            "code": texte("code opération"),
            "logements": { "type": "object", "additionalProperties": logements("logements de ce financement"),
                "description": "logements par financement : PLAI, PLUS, PLS…" },
            "mise_en_location": { "type": "integer", "minimum": 1950, "maximum": 2150 },
            "garanties": { "type": "object", "additionalProperties": taux("quote-part de garantie"),
                "description": "quote-part de chaque garant (identifiant: %)" },
            "reserves": { "type": "object", "additionalProperties": logements("logements réservés imprimés") }
        } })
}

/// The whole schema (draft 2020-12).
pub fn schema() -> Value {
    let mut exercice = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["annee", "annexes"],
        "properties": {
            "annee": { "type": "integer", "minimum": 1950, "maximum": 2150, "description": "année de l'exercice" },
            "annexes": { "type": "array", "items": annexe() },
            "programmes_nouveaux": {
                "type": "array", "items": programme(),
                "description": "programmes mis en location cette année : gérés en stock pour leur première mise en location (`reserves`), ils rejoignent l'état des lieux, en flux, à l'exercice suivant"
            }
        }
    });
    for (cle, s) in extensions_exercice() {
        exercice["properties"][cle.as_str()] = s;
    }
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Convention de gestion en flux des réservations de logements sociaux (convflux)",
        "description": "Un fichier par convention. Voir docs/format.md.",
        "type": "object",
        "additionalProperties": false,
        "required": ["convention", "territoire", "bailleur", "reservataires", "exercices"],
        "properties": {
            "convention": {
                "type": "object", "additionalProperties": false,
                "required": ["id", "modele", "titre", "date_effet", "duree_ans"],
                "properties": {
                    "id": {
                        "allOf": [identifiant("identifiant (nom du dossier sous out/<année>/)")],
                        "not": { "enum": crate::validate::IDENTIFIANTS_RESERVES },
                        "description": "identifiant (nom du dossier sous out/<année>/) ; `lib` est réservé"
                    },
                    "modele": { "enum": ["intercommunal", "bilateral"] },
                    "gabarits": texte_opt("dossier d'un modèle copié par `convflux modele copier` (chemin relatif au fichier YAML) ; absent : modèles intégrés"),
                    "titre": texte("titre de la convention"),
                    "date_effet": { "description": "date d'effet, ou « à la signature »",
                        "oneOf": [ date("date d'effet"), { "enum": crate::validate::lecteur::A_LA_SIGNATURE } ] },
                    "duree_ans": { "type": "integer", "minimum": 1, "maximum": 12 },
                    "reconduction": { "type": "object", "additionalProperties": false,
                        "required": ["duree_ans", "nombre_max"],
                        "properties": {
                            "duree_ans": { "type": "integer", "minimum": 1, "maximum": 5 },
                            "nombre_max": { "type": "integer", "minimum": 0, "maximum": 10 }
                        } },
                    "exemplaires": { "type": ["integer", "null"], "minimum": 1, "maximum": 99 },
                    "signature": { "type": "object", "additionalProperties": false, "properties": {
                        "lieu": texte_opt("lieu de signature (vide : à remplir)"),
                        "date": { "oneOf": [ date("date de signature"), { "type": "null" } ] }
                    } },
                    "tribunal": texte_opt("juridiction compétente"),
                    "arrondi": { "enum": ["plus_proche", "inferieur", "superieur"],
                        "default": "plus_proche",
                        "description": "arrondi des logements (défaut : plus_proche, demi vers le haut)" }
                }
            },
            "territoire": {
                "type": "object", "additionalProperties": false, "required": ["nom"],
                "properties": {
                    "nom": texte("nom de l'EPCI ou du territoire"),
                    "article": { "enum": ["le", "la", "l'", "l’", "aucun"] },
                    "sigle": texte_opt("sigle, ex. TO"),
                    "logo": logo()
                }
            },
            "textes": { "type": "object", "additionalProperties": bloc(),
                "description": "textes locaux du modèle (intercommunal : contexte, constat, orientations, secteurs_tendus ; bilatéral : preambule_territoire, vente, delais)" },
            "clauses": clauses(),
            "bailleur": {
                "type": "object", "additionalProperties": false, "required": ["nom", "signataire"],
                "properties": {
                    "nom": texte("nom usuel, ex. SIDR"),
                    "article": { "enum": ["le", "la", "l'", "l’", "aucun"], "description": "article devant le nom dans une phrase (« Pour la SIDR ») ; absent : aucun" },
                    "denomination": texte_opt("dénomination sociale"),
                    "forme_juridique": texte_opt("ex. société anonyme"),
                    "capital": { "type": ["number", "string", "null"], "description": "capital social en euros" },
                    "siege": texte_opt("adresse du siège"),
                    "rcs": { "type": "object", "additionalProperties": false, "properties": {
                        "ville": texte_opt("greffe"), "numero": texte_opt("numéro RCS") } },
                    "siret": texte_opt("SIRET"),
                    "sem": { "type": "boolean", "description": "société d'économie mixte" },
                    "signataire": signataire(),
                    "logo": logo()
                }
            },
            "reservataires": {
                "type": "array", "minItems": 1,
                "items": {
                    "type": "object", "additionalProperties": false,
                    "required": ["id", "nom", "nature", "signataire"],
                    "properties": {
                        "id": identifiant("identifiant, ex. le-port"),
                        "nom": texte("nom, ex. Commune du Port"),
                        "designation": texte_opt("nom court des en-têtes d'annexe, ex. Ville du Port"),
                        "nature": { "enum": ["commune", "epci", "prefet", "action_logement", "autre"] },
                        "adresse": texte_opt("adresse"),
                        "signataire": signataire(),
                        "deliberation": { "type": "object", "additionalProperties": false, "properties": {
                            "numero": texte_opt("numéro de la délibération"),
                            "date": { "oneOf": [ date("date de la délibération"), { "type": "null" } ] }
                        } },
                        "logo": logo()
                    }
                }
            },
            "etat_des_lieux": {
                "type": "object", "additionalProperties": false, "required": ["garants", "programmes"],
                "properties": {
                    "quotite": taux("part de chaque programme réservée en contrepartie de la garantie (défaut 20)"),
                    "precision": { "type": "integer", "minimum": 0, "maximum": 4, "description": "décimales du taux dérivé (défaut 0)" },
                    "garants": { "type": "array", "items": { "type": "object", "additionalProperties": false,
                        "required": ["id", "nom"], "properties": { "id": identifiant("identifiant du garant"), "nom": texte("nom imprimé") } } },
                    "arrondi": arrondi("arrondi des logements réservés de chaque programme (défaut plus_proche)"),
                    "arrondi_taux": arrondi("arrondi du taux dérivé à sa précision (défaut plus_proche)"),
                    "programmes": { "type": "array", "items": programme() },
                    "taux": { "type": "object", "additionalProperties": taux("taux imprimé, vérifié") }
                }
            },
            "exercices": { "type": "array", "minItems": 1, "items": exercice }
        }
    });
    for (cle, s) in proprietes(schema_rapport()) {
        schema["properties"]["reservataires"]["items"]["properties"][cle.as_str()] = s;
    }
    schema["allOf"] = Value::Array(par_modele());
    schema
}

/// Schemas of the exercise sections added by the annual cycle (bilan, avenant).
fn extensions_exercice() -> Vec<(String, Value)> {
    proprietes(schema_bilan())
}

fn proprietes(v: Value) -> Vec<(String, Value)> {
    match v.get("properties").and_then(Value::as_object) {
        Some(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        None => Vec::new(),
    }
}

/// JSON Schema of the keys this module reads, to merge into the schema of
/// `exercices[]` items: `{"properties": {"bilan", "avenant", "illustratif"}}`.
pub fn schema_bilan() -> serde_json::Value {
    let nombre = |d: &str| serde_json::json!({ "type": "integer", "minimum": 0, "description": d });
    let categorie = serde_json::json!({
        "type": "object",
        "required": ["proposes", "attribues"],
        "additionalProperties": false,
        "properties": {
            "proposes": { "type": "integer", "minimum": 0 },
            "attribues": { "type": "integer", "minimum": 0 }
        }
    });
    let ferme = |cles: &[&str]| {
        let props: serde_json::Map<String, serde_json::Value> = cles
            .iter()
            .map(|k| ((*k).to_string(), categorie.clone()))
            .collect();
        serde_json::json!({ "type": "object", "additionalProperties": false, "properties": props })
    };
    let ouvert = serde_json::json!({ "type": "object", "additionalProperties": categorie });
    let date = serde_json::json!({ "type": "string", "description": "AAAA-MM-JJ ou JJ/MM/AAAA" });
    serde_json::json!({
        "properties": {
            "illustratif": {
                "type": "boolean",
                "description": "Chiffres illustratifs (non réels) : chaque document le dit en filigrane."
            },
            "avenant": {
                "type": "object",
                "additionalProperties": false,
                "description": "Avenant de l'exercice (exercices après le premier).",
                "properties": {
                    "numero": { "type": "integer", "minimum": 1, "description": "Par défaut : rang de l'exercice après le premier." },
                    "date_effet": { "description": "Date, ou « à la signature » ; par défaut le 1er janvier de l'année.", "type": "string" },
                    "signature": {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": { "lieu": { "type": ["string", "null"] }, "date": { "type": ["string", "null"] } }
                    }
                }
            },
            "bilan": {
                "type": "object",
                "additionalProperties": false,
                "required": ["recu_le", "reservataires"],
                "description": "Bilan de l'année précédente (CCH art. R. 441-5-1), transmis avant le 28 février.",
                "properties": {
                    "annee": { "type": "integer", "description": "Année dressée : celle de l'exercice − 1." },
                    "recu_le": date,
                    "source": { "type": "string" },
                    "reservataires": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["reservataire", "proposes", "attribues"],
                            "properties": {
                                "reservataire": { "type": "string" },
                                "proposes": nombre("logements proposés (mis à disposition)"),
                                "attribues": nombre("logements attribués en CALEOL"),
                                "refus_menages": nombre("propositions refusées par les ménages"),
                                "refus_caleol": nombre("refus d'attribution par la CALEOL"),
                                "baux_signes": nombre("baux signés"),
                                "refus_tous_candidats": nombre("logements attribués en CALEOL puis refusés par tous les candidats du réservataire"),
                                "anciennete_mois": { "type": ["number", "string"], "description": "ancienneté moyenne de la demande, en mois" },
                                "repartition": {
                                    "type": "object",
                                    "additionalProperties": false,
                                    "properties": {
                                        "typologie": ferme(Critere::Typologie.categories().unwrap_or(&[])),
                                        "financement": ferme(Critere::Financement.categories().unwrap_or(&[])),
                                        "qpv": ferme(Critere::Qpv.categories().unwrap_or(&[])),
                                        "commune": ouvert.clone(),
                                        "periode_construction": ouvert
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// JSON Schema of `reservataires[].rapport`, to merge into the schema of
/// `reservataires[]` items: `{"properties": {"rapport": …}}`.
pub fn schema_rapport() -> serde_json::Value {
    serde_json::json!({
        "properties": {
            "rapport": {
                "type": "object",
                "additionalProperties": false,
                "description": "Données du rapport au conseil (commande `rapport`) absentes des conventions.",
                "properties": {
                    "quota_precedent": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["annee", "logements"],
                        "description": "Quota de l'année précédant la première année en flux (gestion en stock).",
                        "properties": {
                            "annee": { "type": "integer" },
                            "logements": { "type": "integer", "minimum": 0 }
                        }
                    },
                    "cil": { "type": "string", "description": "Date de la Conférence intercommunale du logement (AAAA-MM-JJ)." },
                    "ordre": { "type": "array", "items": { "type": "string" }, "description": "Les bailleurs (leur `nom`) dans l'ordre où le rapport les cite ; absents ou non nommés : dans l'ordre des fichiers, après." }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/convflux.schema.json and the schema of each model
    /// (docs/convflux-<modele>.schema.json) are generated:
    /// `CONVFLUX_METTRE_A_JOUR=1 cargo test --lib schema` writes them (as
    /// `convflux schema [--modele …]` prints them), a plain run checks them.
    #[test]
    fn committed_schemas_are_up_to_date() {
        let mut schemas = vec![("convflux.schema.json".to_string(), schema())];
        for m in [Modele::Intercommunal, Modele::Bilateral] {
            schemas.push((fichier_du_modele(m), schema_du_modele(m)));
        }
        for (nom, s) in schemas {
            let chemin = format!("{}/docs/{nom}", env!("CARGO_MANIFEST_DIR"));
            if std::env::var_os("CONVFLUX_METTRE_A_JOUR").is_some() {
                let texte = serde_json::to_string_pretty(&s).unwrap() + "\n";
                std::fs::write(&chemin, texte).unwrap();
            }
            let fichier = std::fs::read_to_string(&chemin).unwrap_or_default();
            let attendu: Value = serde_json::from_str(&fichier).unwrap_or(Value::Null);
            assert_eq!(
                attendu, s,
                "CONVFLUX_METTRE_A_JOUR=1 cargo test --lib schema régénère docs/{nom}"
            );
        }
    }

    /// A model's schema has its texts as plain properties (no condition on
    /// the model), required, and fixes `convention.modele`.
    #[test]
    fn each_models_schema_has_its_texts_without_conditions() {
        for m in [Modele::Intercommunal, Modele::Bilateral] {
            let s = schema_du_modele(m);
            let attendu: Vec<Value> = crate::validate::textes_requis(m)
                .iter()
                .map(|(c, _)| json!(c))
                .collect();
            assert_eq!(
                s["properties"]["textes"]["required"],
                Value::Array(attendu.clone())
            );
            let proprietes: Vec<Value> = s["properties"]["textes"]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(|k| json!(k))
                .collect();
            let mut trie = attendu.clone();
            trie.sort_by_key(|v| v.to_string());
            assert_eq!(proprietes, trie);
            assert_eq!(
                s["properties"]["convention"]["properties"]["modele"]["const"],
                m.nom()
            );
            assert!(
                !s["allOf"].to_string().contains("\"const\""),
                "{}",
                s["allOf"]
            );
            assert!(s["required"].as_array().unwrap().contains(&json!("textes")));
        }
    }

    /// For each model, the schema requires the local texts `validate`
    /// requires, and (without `gabarits`) allows no other.
    #[test]
    fn schema_depends_on_the_model_as_validate_does() {
        let s = schema();
        let conditions = s["allOf"].as_array().unwrap();
        for m in [Modele::Intercommunal, Modele::Bilateral] {
            let attendu: Vec<Value> = crate::validate::textes_requis(m)
                .iter()
                .map(|(c, _)| json!(c))
                .collect();
            let de_m: Vec<&Value> = conditions
                .iter()
                .filter(|c| {
                    c.to_string()
                        .contains(&format!("\"const\":\"{}\"", m.nom()))
                })
                .collect();
            assert_eq!(de_m.len(), 2, "{}", m.nom());
            assert_eq!(
                de_m[0]["then"]["properties"]["textes"]["required"],
                Value::Array(attendu.clone())
            );
            assert_eq!(
                de_m[1]["then"]["properties"]["textes"]["propertyNames"]["enum"],
                Value::Array(attendu)
            );
        }
    }

    /// The annex's `exclusions`, `deductions` and `transmis` accept exactly
    /// the keys of the vocabulary tables.
    #[test]
    fn schema_keys_are_the_vocabulary_tables() {
        let s = schema();
        let annexe = &s["properties"]["exercices"]["items"]["properties"]["annexes"]["items"];
        for (champ, cles) in [
            ("exclusions", crate::model::Exclusion::cles()),
            ("deductions", Deduction::cles()),
            (
                "transmis",
                crate::model::Chiffre::TOUS
                    .iter()
                    .map(|c| c.cle())
                    .collect(),
            ),
        ] {
            let props = annexe["properties"][champ]["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{champ} absent du schéma"));
            let mut schema: Vec<&str> = props.keys().map(String::as_str).collect();
            let mut table = cles.clone();
            schema.sort_unstable();
            table.sort_unstable();
            assert_eq!(schema, table, "{champ}");
        }
    }

    /// Every key used by the sample data is known to the schema.
    #[test]
    fn schema_knows_every_key_of_the_sample_data() {
        fn verifier(n: &crate::load::Node, s: &Value, chemin: &str, manques: &mut Vec<String>) {
            let alternatives: Vec<&Value> = match s.get("oneOf").and_then(Value::as_array) {
                Some(a) => a.iter().collect(),
                None => vec![s],
            };
            match &n.value {
                crate::load::Value::Map(entries) => {
                    let objet = |a: &&&Value| {
                        a.get("properties").is_some()
                            || a.get("additionalProperties").is_some_and(Value::is_object)
                    };
                    let premiere = entries.first().map(|e| e.key.as_str()).unwrap_or("");
                    let Some(s) = alternatives
                        .iter()
                        .find(|a| {
                            a.get("properties")
                                .is_some_and(|p| p.get(premiere).is_some())
                        })
                        .or_else(|| alternatives.iter().find(objet))
                    else {
                        return;
                    };
                    for e in entries {
                        let sous = s
                            .get("properties")
                            .and_then(|p| p.get(&e.key))
                            .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()));
                        match sous {
                            Some(sous) => {
                                verifier(&e.value, sous, &format!("{chemin}.{}", e.key), manques)
                            }
                            None => manques.push(format!("{chemin}.{}", e.key)),
                        }
                    }
                }
                crate::load::Value::Seq(items) => {
                    if let Some(items_s) = alternatives.iter().find_map(|a| a.get("items")) {
                        for (i, it) in items.iter().enumerate() {
                            verifier(it, items_s, &format!("{chemin}[{i}]"), manques);
                        }
                    }
                }
                _ => {}
            }
        }
        let s = schema();
        let mut manques = Vec::new();
        for f in [
            "data/territoire-ouest/sidr.yaml",
            "data/clermont-auvergne-metropole/le-cendre-assemblia.yaml",
        ] {
            let texte =
                std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + f)
                    .unwrap();
            let n = crate::load::charger(&texte).unwrap();
            verifier(&n, &s, f, &mut manques);
        }
        // The sample data has no `clauses`: every key of the format's example.
        let clauses = "clauses:\n  dispositions_particulieres:\n    - titre: T\n      texte: [a, {liste: [b]}]\n  remplacer:\n    - article: 10\n      texte: c\n";
        let n = crate::load::charger(clauses).unwrap();
        verifier(&n, &s, "clauses", &mut manques);
        assert!(manques.is_empty(), "clés absentes du schéma : {manques:?}");
    }

    #[test]
    fn schema_is_an_object_with_every_top_level_key() {
        let s = schema();
        // The keys validate reads at the top of a file.
        for k in crate::validate::RACINE {
            assert!(s["properties"][k].is_object(), "{k}");
        }
    }
}
