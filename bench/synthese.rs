//! Writes N synthetic but realistic convention files for the benchmark and the tests.
//!
//! ```text
//! cargo run --release --example synthese -- <N> <dossier> [--graine S] [--modele intercommunal|bilateral|mixte]
//! ```
//!
//! Both models, in the shape of the sample data: intercommunal like
//! `data/territoire-ouest/sidr.yaml` (one EPCI and 1 to 6 communes, one
//! individual annex per commune), bilateral like
//! `data/clermont-auvergne-metropole/le-cendre-assemblia.yaml` (one commune,
//! an état des lieux of 1 to 6 programmes). Names, figures, local texts and
//! the number of annexes vary with a seeded generator, so the same N and seed
//! give the same files. The figures printed in the files (`declare`, the rates
//! and reserved units of the état des lieux) are those convflux computes: each
//! file is generated, analysed with the library, completed, and checked valid
//! (the program fails otherwise). One file in three is bilateral in `mixte`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use convflux::compute::Flux;
use convflux::pipeline;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage : synthese <N> <dossier> [--graine S] [--modele intercommunal|bilateral|mixte]";
    let n: usize = args
        .first()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| quitter(usage));
    let dossier = PathBuf::from(args.get(1).unwrap_or_else(|| quitter(usage)));
    let mut graine = 2024u64;
    let mut modele = "mixte".to_string();
    let mut it = args.iter().skip(2);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--graine" => {
                graine = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| quitter(usage))
            }
            "--modele" => modele = it.next().cloned().unwrap_or_else(|| quitter(usage)),
            _ => quitter(usage),
        }
    }
    let mut compte = (0, 0, 0);
    for i in 0..n {
        let bilateral = match modele.as_str() {
            "bilateral" => true,
            "intercommunal" => false,
            "mixte" => i % 3 == 2,
            _ => quitter(usage),
        };
        let (_, annexes) = ecrire(&dossier, i, graine, bilateral)
            .unwrap_or_else(|e| quitter(&format!("convention {i} : {e}")));
        if bilateral {
            compte.1 += 1;
        } else {
            compte.0 += 1;
            compte.2 += annexes;
        }
    }
    eprintln!(
        "{n} conventions écrites sous {} : {} intercommunales ({} annexes), {} bilatérales",
        dossier.display(),
        compte.0,
        compte.2,
        compte.1
    );
}

fn quitter(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}

/// Writes convention `i`; returns its path and number of annexes.
pub fn ecrire(
    dossier: &Path,
    i: usize,
    graine: u64,
    bilateral: bool,
) -> Result<(PathBuf, usize), String> {
    let mut g = Alea::new(graine ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let c = if bilateral {
        Convention::bilaterale(&mut g, i)
    } else {
        Convention::intercommunale(&mut g, i)
    };
    // Sub-folders of 100 files, like a real tree of territories.
    let sous = dossier.join(format!("lot-{:03}", i / 100));
    std::fs::create_dir_all(&sous).map_err(|e| e.to_string())?;
    let chemin = sous.join(format!("{}.yaml", c.id));
    // First pass without the printed figures, to learn the computed ones.
    let brut = c.yaml(None);
    let an = pipeline::analyser_octets(&chemin, brut.clone().into_bytes());
    if !an.valide() {
        return Err(format!(
            "fichier brut invalide :\n{}\n{brut}",
            an.diagnostics_rendus()
        ));
    }
    let flux = an.flux.first().ok_or("aucun exercice")?;
    let texte = c.yaml(Some(flux));
    let an = pipeline::analyser_octets(&chemin, texte.clone().into_bytes());
    if !an.valide() {
        return Err(format!(
            "fichier invalide :\n{}\n{texte}",
            an.diagnostics_rendus()
        ));
    }
    std::fs::write(&chemin, texte).map_err(|e| e.to_string())?;
    Ok((chemin, c.communes.len()))
}

/// SplitMix64: small, seeded, the same everywhere.
struct Alea(u64);

impl Alea {
    fn new(graine: u64) -> Self {
        Alea(graine)
    }
    fn suivant(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `[a, b]`.
    fn entre(&mut self, a: u64, b: u64) -> u64 {
        a + self.suivant() % (b - a + 1)
    }
    fn choix<'a, T: ?Sized>(&mut self, v: &[&'a T]) -> &'a T {
        v[self.suivant() as usize % v.len()]
    }
    fn oui(&mut self, sur: u64) -> bool {
        self.suivant().is_multiple_of(sur)
    }
}

const RACINES: &[&str] = &[
    "Beaulieu",
    "Montclar",
    "Rochefort",
    "Valmont",
    "Fontaine",
    "Bellevue",
    "Champagnac",
    "Puymorin",
    "Grandval",
    "Marsac",
    "Lavaur",
    "Clairvaux",
    "Mirebeau",
    "Aurignac",
    "Castelnau",
    "Villefranche",
    "Roquebrune",
    "Saint-Amand",
    "Sainte-Croix",
    "Saint-Pierre",
    "Pontarlier",
    "Vernouillet",
    "Courbevigne",
    "Belcastel",
    "Lézignan",
    "Mézières",
    "Égletons",
    "Châteauneuf",
    "Ussel",
    "Tréguier",
];
const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "-sur-Loire",
    "-en-Vexin",
    "-les-Bains",
    "-la-Forêt",
    "-de-Provence",
    "-le-Château",
    "-sur-Mer",
];
const ARTICLES_COMMUNE: &[&str] = &["", "", "", "Le ", "La ", "Les "];
const PRENOMS: &[&str] = &[
    "Marie", "Jean", "Sophie", "Karim", "Nathalie", "Hervé", "Léa", "Thomas", "Fatima", "Pierre",
    "Anne", "Rachid", "Isabelle", "Luc", "Chloé", "Mathieu",
];
const NOMS: &[&str] = &[
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
    "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
    "VINCENT", "FOURNIER", "N'GUYEN", "DA SILVA", "O'CONNOR",
];
const FORMES: &[&str] = &[
    "société anonyme d'habitations à loyer modéré",
    "office public de l'habitat",
    "société anonyme coopérative d'intérêt collectif d'HLM",
    "Société à économie mixte",
    "société anonyme",
];
const SECTEURS: &[&str] = &[
    "le centre-ville et les quartiers prioritaires",
    "les communes littorales",
    "les communes de la première couronne",
    "les bourgs-centres",
];

fn commune(g: &mut Alea) -> String {
    let racine = g.choix(RACINES);
    let article = g.choix(ARTICLES_COMMUNE);
    let article = if racine.starts_with("Saint") {
        ""
    } else {
        article
    };
    format!("{article}{racine}{}", g.choix(SUFFIXES))
}

fn personne(g: &mut Alea) -> String {
    format!("{} {}", g.choix(PRENOMS), g.choix(NOMS))
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars().flat_map(char::to_lowercase) {
        let ch = match ch {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if ch != '-' || !out.ends_with('-') {
            out.push(ch);
        }
    }
    out.trim_matches('-').to_string()
}

/// A YAML double-quoted string.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A rate as written in the sample files, `"6,82 %"`, from hundredths.
fn taux(centiemes: u64) -> String {
    format!("\"{},{:02} %\"", centiemes / 100, centiemes % 100)
}

struct Commune {
    id: String,
    nom: String,
    maire: String,
    logements: u64,
    vente: u64,
    demolition: u64,
    rotation: u64,
    anru: u64,
    mutations: u64,
    taux: u64,
}

struct Programme {
    residence: String,
    code: String,
    plai: u64,
    plus: u64,
    pls: u64,
    annee: u64,
    part_epci: u64,
}

struct Convention {
    id: String,
    bilateral: bool,
    territoire: String,
    sigle: String,
    /// The EPCI's signatory.
    president: String,
    bailleur: String,
    forme: String,
    siege_ville: String,
    directeur: String,
    capital: u64,
    exemplaires: u64,
    secteurs: String,
    communes: Vec<Commune>,
    programmes: Vec<Programme>,
    paragraphes: Vec<String>,
}

impl Convention {
    fn base(g: &mut Alea, i: usize, bilateral: bool) -> Self {
        let ville = format!("{}{}", g.choix(RACINES), g.choix(SUFFIXES));
        let territoire = format!(
            "{} {ville}",
            g.choix(&[
                "Communauté d'agglomération de",
                "Communauté de communes de",
                "Métropole de",
                "Communauté urbaine de"
            ])
        );
        let sigle: String = territoire
            .split([' ', '-', '\''])
            .filter_map(|w| w.chars().next())
            .filter(|c| c.is_uppercase())
            .collect();
        let bailleur = match g.entre(0, 3) {
            0 => format!("{} Habitat", g.choix(RACINES)),
            1 => format!("Logement {}", g.choix(RACINES)),
            2 => format!("OPH de {}", g.choix(RACINES)),
            _ => format!(
                "{}{}",
                g.choix(&["SEM", "SA HLM", "Société immobilière"]),
                format_args!(" {}", g.choix(RACINES))
            ),
        };
        // One bailleur per file: what one bailleur grants on one commune is
        // checked across all its conventions (≤ 100 %), and random rates
        // of a shared bailleur would add up past it.
        let bailleur = format!("{bailleur} {i:05}");
        let id = format!("{}-{}", slug(&ville), slug(&bailleur));
        let n_par = g.entre(3, 8) as usize;
        let paragraphes = (0..n_par).map(|k| paragraphe(g, &territoire, k)).collect();
        Convention {
            id,
            bilateral,
            territoire,
            sigle,
            president: personne(g),
            bailleur,
            forme: g.choix(FORMES).to_string(),
            siege_ville: ville,
            directeur: personne(g),
            capital: g.entre(100, 90_000) * 1_000,
            exemplaires: g.entre(2, 6),
            secteurs: g.choix(SECTEURS).to_string(),
            communes: Vec::new(),
            programmes: Vec::new(),
            paragraphes,
        }
    }

    fn commune_au_hasard(g: &mut Alea, deja: &[Commune]) -> Commune {
        loop {
            let nom = commune(g);
            let id = slug(&nom);
            if deja.iter().any(|c| c.id == id) {
                continue;
            }
            let logements = g.entre(40, 6_000);
            let vente = g.entre(0, logements / 20);
            let demolition = g.entre(0, logements / 25);
            let rotation = g.entre(350, 1_200);
            // Deductions stay well inside the flow (≈ logements × rotation).
            let flux = logements * rotation / 10_000;
            return Commune {
                id,
                nom,
                maire: personne(g),
                logements,
                vente,
                demolition,
                rotation,
                anru: g.entre(0, flux / 5),
                mutations: g.entre(0, flux / 5),
                taux: g.entre(300, 3_000),
            };
        }
    }

    fn intercommunale(g: &mut Alea, i: usize) -> Self {
        let mut c = Self::base(g, i, false);
        let n = g.entre(1, 6) as usize;
        for _ in 0..n {
            let k = Self::commune_au_hasard(g, &c.communes);
            c.communes.push(k);
        }
        c
    }

    fn bilaterale(g: &mut Alea, i: usize) -> Self {
        let mut c = Self::base(g, i, true);
        let k = Self::commune_au_hasard(g, &[]);
        let n = g.entre(1, 6) as usize;
        for p in 0..n {
            let num = g.entre(100, 999);
            c.programmes.push(Programme {
                residence: format!(
                    "{num:04} - {} {}",
                    g.choix(&[
                        "LES JARDINS DE",
                        "RÉSIDENCE",
                        "LE HAMEAU DE",
                        "LES TERRASSES DE"
                    ]),
                    g.choix(RACINES).to_uppercase()
                ),
                code: format!("{num}{}{:02}", (b'A' + p as u8) as char, g.entre(1, 9)),
                plai: g.entre(0, 20),
                plus: g.entre(1, 40),
                pls: if g.oui(3) { g.entre(1, 10) } else { 0 },
                annee: g.entre(2005, 2023),
                part_epci: g.entre(40, 80),
            });
        }
        c.communes.push(k);
        c
    }

    /// The YAML file; with the computed flow, the printed figures too.
    fn yaml(&self, flux: Option<&Flux>) -> String {
        let mut y = String::new();
        let w = &mut y;
        let _ = writeln!(
            w,
            "# Convention synthétique (bench/synthese.rs) : données fictives.\nconvention:\n  id: {}",
            self.id
        );
        if self.bilateral {
            let k = &self.communes[0];
            let _ = writeln!(
                w,
                "  modele: bilateral\n  titre: {}\n  date_effet: à la signature\n  duree_ans: 3\n  \
                 reconduction: {{ duree_ans: 1, nombre_max: 3 }}\n  signature: {{ lieu: {}, date: ~ }}\n  \
                 tribunal: {}\n  arrondi: plus_proche",
                q(&format!(
                    "Convention de gestion en flux des réservations de logements locatifs sociaux Ville de {}",
                    k.nom.to_uppercase()
                )),
                q(&k.nom.to_uppercase()),
                q(&format!("Tribunal administratif de {}", self.siege_ville)),
            );
        } else {
            let _ = writeln!(
                w,
                "  modele: intercommunal\n  titre: \"Convention de gestion en flux de réservation de logements sociaux - Collectivités\"\n  \
                 date_effet: 2024-01-01\n  duree_ans: 3\n  reconduction: {{ duree_ans: 1, nombre_max: 2 }}\n  \
                 exemplaires: {}\n  signature: {{ lieu: {}, date: ~ }}\n  arrondi: plus_proche",
                self.exemplaires,
                q(&self.siege_ville)
            );
        }
        let _ = writeln!(
            w,
            "\nterritoire:\n  nom: {}\n  article: la\n  sigle: {}\n\ntextes:",
            q(&self.territoire),
            q(&self.sigle)
        );
        if self.bilateral {
            let _ = writeln!(
                w,
                "  preambule_territoire: {}\n  vente: {}\n  delais:\n    - tableau:\n        \
                 colonnes: [\"\", \"Parc existant Préavis 1 mois\", \"Parc existant Préavis 3 mois\", \"Parc neuf\"]\n        \
                 lignes:\n          - [\"Transmission des éléments sur le logement\", \"Par mail, dès traitement du préavis\", \"Par mail, dès traitement du préavis\", \"Par mail, 3 mois avant la mise en service\"]\n          \
                 - [\"Proposition des 3 candidats par le réservataire\", \"Au plus tard 15 jours ouvrés\", \"Au plus tard 1 mois calendaire\", ~]",
                q(&self.paragraphes[0]),
                q(&format!(
                    "Les ventes respectent les principes de la charte de la vente HLM de la {}.",
                    self.territoire
                )),
            );
        } else {
            let (a, b) = self.paragraphes.split_at(self.paragraphes.len() / 2);
            let _ = writeln!(w, "  contexte:");
            for p in a {
                let _ = writeln!(w, "    - {}", q(p));
            }
            let _ = writeln!(
                w,
                "    - liste:\n        - \"Simplifier les démarches des demandeurs\"\n        \
                 - \"Améliorer l'information dispensée aux demandeurs\"\n        \
                 - \"Gérer les demandes de façon partagée à l'échelon intercommunal\"\n  constat:"
            );
            for p in b {
                let _ = writeln!(w, "    - {}", q(p));
            }
            let _ = writeln!(
                w,
                "  orientations:\n    - {}\n  secteurs_tendus: {}",
                q(&format!(
                    "La CIA de la {} comporte des orientations qui définissent les objectifs d'attribution, dont 25 % minimum des attributions au 1er quartile hors QPV.",
                    self.territoire
                )),
                q(&self.secteurs)
            );
        }
        let _ = writeln!(
            w,
            "\nbailleur:\n  nom: {}\n  forme_juridique: {}\n  capital: {}\n  siege: {}\n  \
             rcs: {{ ville: {}, numero: \"{} {} {}\" }}\n  siret: \"{}\"\n  \
             signataire: {{ qualite: \"Directeur général\", civilite: M., nom: {} }}",
            q(&self.bailleur),
            q(&self.forme),
            self.capital,
            q(&format!(
                "{} rue de la République {}",
                self.capital % 97 + 1,
                self.siege_ville
            )),
            q(&self.siege_ville),
            100 + self.capital % 900,
            100 + self.capital % 877,
            100 + self.capital % 811,
            10_000_000_000_000 + self.capital,
            q(&self.directeur),
        );
        let _ = writeln!(w, "\nreservataires:");
        if !self.bilateral {
            let _ = writeln!(
                w,
                "  - id: epci\n    nom: {}\n    nature: epci\n    signataire: {{ qualite: {}, nom: {} }}",
                q(&self.territoire),
                q(&format!("Président de la {}", self.territoire)),
                q(&self.president)
            );
        }
        for k in &self.communes {
            let _ = writeln!(
                w,
                "  - id: {}\n    nom: {}\n    nature: commune\n    signataire: {{ qualite: \"Maire\", civilite: Madame, nom: {} }}",
                k.id,
                q(&format!("Commune de {}", k.nom)),
                q(&k.maire)
            );
            if self.bilateral {
                let _ = writeln!(
                    w,
                    "    adresse: {}\n    deliberation: {{ numero: \"24/07/03/{:03}\", date: 2024-07-03 }}",
                    q(&format!("1 place de la Mairie {}", k.nom)),
                    k.logements % 1000
                );
            }
        }
        if self.bilateral {
            let k = &self.communes[0];
            let _ = writeln!(
                w,
                "\netat_des_lieux:\n  quotite: 20\n  precision: 0\n  garants:\n    - {{ id: epci, nom: {} }}\n    - {{ id: {}, nom: {} }}\n  programmes:",
                q(&self.sigle),
                k.id,
                q(&k.nom.to_uppercase())
            );
            let edl = flux.and_then(|f| f.etat_des_lieux.as_ref());
            for (i, p) in self.programmes.iter().enumerate() {
                let mut logements = format!("PLAI: {}, PLUS: {}", p.plai, p.plus);
                if p.pls > 0 {
                    logements.push_str(&format!(", PLS: {}", p.pls));
                }
                let _ = writeln!(
                    w,
                    "    - commune: {}\n      residence: {}\n      code: {}\n      logements: {{ {logements} }}\n      \
                     mise_en_location: {}\n      garanties: {{ epci: {}, {}: {} }}",
                    q(&k.nom.to_uppercase()),
                    q(&p.residence),
                    q(&p.code),
                    p.annee,
                    p.part_epci,
                    k.id,
                    100 - p.part_epci
                );
                if let Some(d) = edl.and_then(|e| e.programmes.get(i)) {
                    let r: Vec<String> = d
                        .reserves
                        .iter()
                        .map(|(g, n)| format!("{g}: {n}"))
                        .collect();
                    let _ = writeln!(w, "      reserves: {{ {} }}", r.join(", "));
                }
            }
            if let Some(e) = edl {
                let t: Vec<String> = e
                    .taux
                    .iter()
                    .map(|(g, t)| format!("{g}: {}", t.arrondi))
                    .collect();
                let _ = writeln!(w, "  taux: {{ {} }}", t.join(", "));
            }
        }
        let _ = writeln!(w, "\nexercices:\n  - annee: 2024\n    annexes:");
        for k in &self.communes {
            let _ = writeln!(
                w,
                "      - reservataire: {}\n        perimetre: {}\n        \
                 patrimoine: {{ date: 2023-12-31, source: \"RPLS 2023\", logements: {} }}\n        \
                 exclusions: {{ defense: 0, vente: {}, demolition: {}, habitat_inclusif: 0 }}",
                k.id,
                q(&format!("la commune de {}", k.nom)),
                k.logements,
                k.vente,
                k.demolition
            );
            if self.bilateral {
                let _ = writeln!(
                    w,
                    "        rotation:\n          taux: {}\n          annees: [2021, 2022, 2023]\n          \
                     methode: \"somme des départs sur 3 ans (dont mutations), divisée par la somme du parc au 31/12 sur 3 ans\"\n        \
                     deductions: {{ mutations: {{ pourcentage: {} }}, anru: {}, lhi: 0 }}",
                    taux(k.rotation),
                    5 + k.mutations % 15,
                    k.anru.min(1),
                );
            } else {
                let _ = writeln!(
                    w,
                    "        rotation: {{ taux: {}, annee: 2023 }}\n        \
                     deductions: {{ anru: {}, lhi: 0, mutations: {} }}\n        taux: {}",
                    taux(k.rotation),
                    k.anru,
                    k.mutations,
                    taux(k.taux)
                );
            }
            if let Some(a) = flux.and_then(|f| f.annexes.iter().find(|a| a.reservataire == k.id)) {
                let _ = writeln!(
                    w,
                    "        declare: {{ flux_previsionnel: {}, mobilisables: {}, affectes: {} }}",
                    a.flux_previsionnel, a.mobilisables, a.affectes
                );
            }
        }
        y
    }
}

/// One paragraph of local text, varied.
fn paragraphe(g: &mut Alea, territoire: &str, k: usize) -> String {
    let annee = g.entre(2015, 2023);
    let modeles = [
        format!(
            "Le Programme Local de l'Habitat (PLH) constitue la feuille de route de la {territoire} et de ses partenaires pour répondre aux besoins en logement et en hébergement de toutes les catégories de population ; il a été adopté par le conseil communautaire en {annee}."
        ),
        format!(
            "La Conférence Intercommunale du Logement (CIL) de la {territoire} a été créée en {annee} ; elle constitue un lieu d'échanges, d'information et de décision entre les acteurs du logement : collectivités, associations, bailleurs sociaux et réservataires."
        ),
        format!(
            "La Convention Intercommunale d'Attribution (CIA) a été validée par la CIL le {} {annee} ; elle définit les orientations et engagements en matière d'attributions sur le territoire.",
            g.choix(&["12 mars", "21 juin", "3 octobre", "14 décembre"])
        ),
        format!(
            "La tension sur le parc locatif social reste forte : {} demandes actives pour {} attributions en {annee}, soit un délai d'attente qui peut dépasser {} mois.",
            g.entre(1_000, 25_000),
            g.entre(100, 3_000),
            g.entre(12, 48)
        ),
        "L'établissement d'une convention territoriale unique entre les bailleurs, l'EPCI et les communes membres harmonise les processus de gestion du parc locatif social, simplifie les procédures et favorise une coopération efficace.".to_string(),
        format!(
            "Le plan partenarial de gestion de la demande (PPGD) a été approuvé en {annee} et mis en œuvre avec la convention d'application du service d'information et d'accueil des demandeurs (« SIAD »)."
        ),
    ];
    modeles[(k + g.entre(0, 5) as usize) % modeles.len()].clone()
}
