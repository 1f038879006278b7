//! The domain model: what `validate` produces and every later stage reads.
//!
//! Units live in types: a rate is a [`Taux`] (a percent number, exact), a count
//! of dwellings is a [`Logements`]. Values that later rules or messages point
//! at keep their span ([`Sp`]).

pub mod articles;
pub mod bilan;
pub mod citation;
pub mod rapport;
pub mod vocabulaire;

pub use vocabulaire::{Deduction, Exclusion};

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

use crate::diagnostic::{Sp, Span};

/// A percentage, as a percent number: `Taux(6.82)` is 6,82 %. Exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Taux(pub Decimal);

impl Taux {
    /// The rate as a fraction (6,82 % → 0.0682).
    pub fn fraction(self) -> Decimal {
        self.0 / Decimal::ONE_HUNDRED
    }
}

/// A number of dwellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub struct Logements(pub u32);

impl Logements {
    pub fn dec(self) -> Decimal {
        Decimal::from(self.0)
    }
}

impl fmt::Display for Logements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A calendar date (no time zone, no clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub annee: i32,
    pub mois: u8,
    pub jour: u8,
}

impl Date {
    /// Parses `AAAA-MM-JJ` or `JJ/MM/AAAA`; `None` if not a real date.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let (a, m, j) = if let Some((a, rest)) = s.split_once('-') {
            let (m, j) = rest.split_once('-')?;
            (a, m, j)
        } else {
            let mut it = s.split('/');
            let j = it.next()?;
            let m = it.next()?;
            let a = it.next()?;
            if it.next().is_some() {
                return None;
            }
            (a, m, j)
        };
        if a.len() != 4 || m.is_empty() || m.len() > 2 || j.is_empty() || j.len() > 2 {
            return None;
        }
        let d = Date {
            annee: a.parse().ok()?,
            mois: m.parse().ok()?,
            jour: j.parse().ok()?,
        };
        (d.mois >= 1 && d.mois <= 12 && d.jour >= 1 && d.jour <= jours_du_mois(d.annee, d.mois))
            .then_some(d)
    }

    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.annee, self.mois, self.jour)
    }

    /// The day before the same date `n` years later (end of an n-year period).
    pub fn fin_periode(&self, ans: u32) -> Date {
        let annee = self.annee + ans as i32;
        let (mut a, mut m, mut j) = (
            annee,
            self.mois,
            self.jour.min(jours_du_mois(annee, self.mois)),
        );
        if j > 1 {
            j -= 1;
        } else if m > 1 {
            m -= 1;
            j = jours_du_mois(a, m);
        } else {
            a -= 1;
            m = 12;
            j = 31;
        }
        Date {
            annee: a,
            mois: m,
            jour: j,
        }
    }
}

pub fn jours_du_mois(annee: i32, mois: u8) -> u8 {
    match mois {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (annee % 4 == 0 && annee % 100 != 0) || annee % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// The two convention models of the seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modele {
    /// One convention per bailleur, signed by the EPCI, the communes and the
    /// bailleur, one individual annex per commune (seed 000).
    Intercommunal,
    /// A bailleur and one réservataire, annexes 1 to 3 (seed 004).
    Bilateral,
}

impl Modele {
    pub fn nom(self) -> &'static str {
        match self {
            Modele::Intercommunal => "intercommunal",
            Modele::Bilateral => "bilateral",
        }
    }
}

/// How a computed share of dwellings becomes a whole number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrondi {
    /// To the nearest unit, halves up (reproduces every figure of the seeds).
    #[default]
    PlusProche,
    /// Down to the unit below.
    Inferieur,
    /// Up to the unit above.
    Superieur,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateEffet {
    Date(Date),
    /// "à compter de la date de signature".
    ALaSignature,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Commune,
    Epci,
    Prefet,
    ActionLogement,
    Autre,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signataire {
    pub civilite: Option<String>,
    pub nom: Option<String>,
    pub qualite: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deliberation {
    pub numero: Option<String>,
    pub date: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bailleur {
    pub nom: String,
    /// "le", "la", "l'" or "" before its name in a sentence (« Pour la
    /// SODIAC » in the council report); "" by default.
    pub article: String,
    pub denomination: Option<String>,
    pub forme_juridique: Option<String>,
    pub capital: Option<Decimal>,
    pub siege: Option<String>,
    pub rcs_ville: Option<String>,
    pub rcs_numero: Option<String>,
    pub siret: Option<String>,
    pub sem: bool,
    pub signataire: Signataire,
    pub logo: Option<Logo>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservataire {
    pub id: Sp<String>,
    pub nom: String,
    pub designation: String,
    pub nature: Nature,
    pub adresse: Option<String>,
    pub signataire: Signataire,
    pub deliberation: Option<Deliberation>,
    /// Data of the council report (`rapport` command) not found elsewhere.
    pub rapport: Option<rapport::FicheRapport>,
    pub logo: Option<Logo>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Territoire {
    pub nom: String,
    /// "le", "la" or "l'" (for "le Territoire de l'Ouest", "du Territoire…").
    pub article: String,
    pub sigle: Option<String>,
    pub logo: Option<Logo>,
}

/// A party's logo (`logo:`), as written: its path has been checked for its
/// form only (relative, no `..`, a known extension); the pipeline reads the
/// file and checks its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logo {
    /// The path as written, without the `modele:` prefix.
    pub chemin: Sp<String>,
    /// Where the path starts from.
    pub origine: OrigineLogo,
    /// The format its extension names (the bytes must agree).
    pub format: FormatImage,
}

/// Where a logo's path starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrigineLogo {
    /// The folder of the YAML file (`logo: logos/sedre.png`).
    Donnees,
    /// The model folder of `convention.gabarits` (`logo: modele:images/x.png`).
    Modele,
}

/// The image formats a logo may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatImage {
    Png,
    Jpeg,
    Svg,
}

impl FormatImage {
    /// The extension of the fixed path the image is served at.
    pub fn extension(self) -> &'static str {
        match self {
            FormatImage::Png => "png",
            FormatImage::Jpeg => "jpg",
            FormatImage::Svg => "svg",
        }
    }
}

/// A party of a convention that may carry a logo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partie {
    Territoire,
    Bailleur,
    /// The réservataire at this index of `reservataires` (from 0).
    Reservataire(usize),
}

impl Partie {
    /// The fixed path where the documents find this party's logo: one per
    /// party and format, never per document (Typst's file ids are a
    /// bounded, process-wide space).
    pub fn chemin_logo(self, format: FormatImage) -> String {
        let e = format.extension();
        match self {
            Partie::Territoire => format!("/logos/territoire.{e}"),
            Partie::Bailleur => format!("/logos/bailleur.{e}"),
            Partie::Reservataire(i) => format!("/logos/reservataire-{}.{e}", i + 1),
        }
    }
}

/// A block of local text: paragraphs, bullet lists and simple tables.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Element {
    Paragraphe(String),
    Liste(Vec<String>),
    Tableau {
        colonnes: Vec<String>,
        lignes: Vec<Vec<String>>,
    },
}

pub type Bloc = Vec<Element>;

/// This convention's own variations of its model's text (`clauses`):
/// articles added before the signatures, articles whose body is replaced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Clauses {
    /// Articles numbered after the model's last one, in YAML order.
    pub dispositions: Vec<Disposition>,
    /// New bodies, by the number of the model's article they replace
    /// (the article keeps its number and title).
    pub remplacements: BTreeMap<u32, Bloc>,
}

/// A « disposition particulière »: an article of this convention alone.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Disposition {
    /// Its printed number: after the model's last article
    /// ([`articles::dernier`]).
    pub numero: u32,
    pub titre: String,
    /// Paragraphs and lists only.
    pub texte: Bloc,
}

/// The mutations deduction: a count, or a share of the forecast flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mutations {
    Nombre(Sp<Logements>),
    Pourcentage(Sp<Taux>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patrimoine {
    pub date: Sp<Date>,
    pub source: Option<String>,
    pub logements: Sp<Logements>,
}

/// One year of the three-year rotation history (departures / stock at 31/12).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AnneeRotation {
    pub annee: i32,
    pub departs: u64,
    pub parc: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The rate observed one year.
    Annuelle { taux: Sp<Taux>, annee: Option<i32> },
    /// A three-year average given by the bailleur, with its method stated.
    Moyenne {
        taux: Sp<Taux>,
        annees: Vec<i32>,
        methode: Option<String>,
    },
    /// Computed: Σ departures / Σ stock over the years given (seed 004 art. 2.2).
    Calculee {
        historique: Vec<AnneeRotation>,
        precision: u32,
        span: Span,
    },
}

/// Figures as printed by the bailleur, cross-checked against the computation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declare {
    pub parc_soumis: Option<Sp<Logements>>,
    pub flux_previsionnel: Option<Sp<Logements>>,
    pub mobilisables: Option<Sp<Logements>>,
    pub affectes: Option<Sp<Logements>>,
    pub taux: Option<Sp<Taux>>,
    /// The rate as written in the council report (seed 000: 13,5 % where the
    /// annex says 13,55 %): a mismatch is a warning, the annex prevails.
    pub taux_rapport: Option<Sp<Taux>>,
}

/// The four counts of an annex the bailleur prints or transmits, in the
/// annex's order (intercommunal model, annexe individuelle; bilatéral
/// model, art. 2 to 4): their keys under `declare` and `transmis`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chiffre {
    ParcSoumis,
    FluxPrevisionnel,
    Mobilisables,
    Affectes,
}

impl Chiffre {
    pub const TOUS: [Chiffre; 4] = [
        Chiffre::ParcSoumis,
        Chiffre::FluxPrevisionnel,
        Chiffre::Mobilisables,
        Chiffre::Affectes,
    ];

    /// Its key in the YAML (`flux_previsionnel`).
    pub fn cle(self) -> &'static str {
        match self {
            Chiffre::ParcSoumis => "parc_soumis",
            Chiffre::FluxPrevisionnel => "flux_previsionnel",
            Chiffre::Mobilisables => "mobilisables",
            Chiffre::Affectes => "affectes",
        }
    }

    /// Its name in the annex's words (« logements mobilisables »).
    pub fn libelle(self) -> &'static str {
        match self {
            Chiffre::ParcSoumis => "parc soumis à la gestion en flux",
            Chiffre::FluxPrevisionnel => "flux prévisionnel",
            Chiffre::Mobilisables => "logements mobilisables",
            Chiffre::Affectes => "logements affectés",
        }
    }
}

/// Figures as the bailleur transmitted them, which the computation
/// corrects: a difference is a warning, the annex prints the computed
/// figure and the council report says the correction (seed 000: SEDRE
/// transmitted a flux prévisionnel of 235, its stock, and 14 logements
/// mobilisables, where its own lines give 16 and 16). In the annex's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transmis(pub BTreeMap<Chiffre, Sp<Logements>>);

/// The kind of territory an assiette covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NatureTerritoire {
    Commune,
    Epci,
    /// The convention's territory (`territoire.nom`): the default assiette
    /// of a réservataire that is neither a commune nor an EPCI.
    Territoire,
}

impl NatureTerritoire {
    pub fn libelle(self) -> &'static str {
        match self {
            NatureTerritoire::Commune => "commune",
            NatureTerritoire::Epci => "EPCI",
            NatureTerritoire::Territoire => "territoire",
        }
    }
}

/// The territory of an annex's assiette: whose parc the rate applies to.
/// Written `assiette: { commune: "Le Port", insee: "97407" }` or
/// `{ epci: …, insee: … }`; by default the réservataire's own territory
/// ([`Convention::assiette`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assiette {
    pub nature: NatureTerritoire,
    pub nom: String,
    /// The INSEE code of a commune (5 characters), the code of an EPCI in
    /// INSEE's lists (its SIREN, 9 digits), when given.
    pub code: Option<String>,
    /// Where it is written; `None`: the default.
    pub span: Option<Span>,
}

impl Assiette {
    /// What identifies the territory across files: its code when given,
    /// else its kind and its name without case, typographic apostrophes or
    /// repeated spaces.
    pub fn cle(&self) -> String {
        match &self.code {
            Some(c) => format!("{}#{}", self.nature.libelle(), c.trim().to_uppercase()),
            None => format!("{}:{}", self.nature.libelle(), normaliser_nom(&self.nom)),
        }
    }

    /// « la commune Le Port (97407) », « l'EPCI … », « le territoire … ».
    pub fn libelle(&self) -> String {
        let article = match self.nature {
            NatureTerritoire::Commune => "la ",
            NatureTerritoire::Epci => "l'",
            NatureTerritoire::Territoire => "le ",
        };
        match &self.code {
            Some(c) => format!("{article}{} {} ({c})", self.nature.libelle(), self.nom),
            None => format!("{article}{} {}", self.nature.libelle(), self.nom),
        }
    }
}

/// A name compared without case, typographic apostrophes or repeated spaces
/// (« Territoire de l’Ouest » = « territoire de l'ouest »).
pub fn normaliser_nom(s: &str) -> String {
    s.replace(['\u{2019}', '\u{2018}'], "'")
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annexe {
    pub reservataire: Sp<String>,
    pub perimetre: String,
    /// The territory of the assiette as written; `None`: the default
    /// ([`Convention::assiette`]).
    pub assiette: Option<Assiette>,
    /// The préfet's sub-share for civil and military State agents, percent
    /// of the flow (part of `taux`; réservataires of nature `prefet` only).
    pub taux_agents: Option<Sp<Taux>>,
    pub patrimoine: Patrimoine,
    pub exclusions: BTreeMap<Exclusion, Sp<Logements>>,
    pub rotation: Rotation,
    pub mutations: Option<Mutations>,
    pub deductions: BTreeMap<Deduction, Sp<Logements>>,
    /// The réservataire's rate as given; `None` when derived from the état des lieux.
    pub taux: Option<Sp<Taux>>,
    pub declare: Declare,
    pub transmis: Transmis,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exercice {
    pub annee: Sp<i32>,
    pub annexes: Vec<Annexe>,
    /// The bilan of the previous year, received before 28 February
    /// (CCH art. R. 441-5-1; exercises after the first only).
    pub bilan: Option<bilan::Bilan>,
    /// What the data says of this year's avenant (number, dates, place).
    pub avenant: Option<bilan::Avenant>,
    /// Illustrative figures, not real ones: every document says so.
    pub illustratif: bool,
    /// Programmes first let this year: managed in stock for their first
    /// letting (their `reserves` are those stock reservations), they join
    /// the état des lieux, in flux, from the next exercise on (seed 004
    /// art. 7; seed 000's council report).
    pub programmes_nouveaux: Vec<Programme>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Garant {
    pub id: Sp<String>,
    pub nom: String,
}

/// What a programme's reservation rights were granted in return for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Contrepartie {
    /// The guarantee of the programme's loans (garantie d'emprunt): under
    /// the 20 % cap per programme of the collectivités' rights.
    #[default]
    Garantie,
    /// A subsidy, land or anything else: outside that cap.
    Autre,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Programme {
    /// What its rights were granted in return for (`contrepartie`).
    pub contrepartie: Contrepartie,
    pub commune: String,
    pub residence: String,
    pub code: String,
    /// Units by financing (PLAI, PLUS, PLS…), in the file's order.
    pub financements: Vec<(String, Logements)>,
    pub mise_en_location: Option<i32>,
    /// Each guarantor's share of the loan guarantee, percent.
    pub parts: Vec<(String, Sp<Taux>)>,
    /// Reserved units as printed, cross-checked.
    pub reserves_declares: Vec<(String, Sp<Logements>)>,
    pub span: Span,
}

/// État des lieux of former reservation rights (seed 004, annex 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtatDesLieux {
    /// Share of each programme reserved against the guarantee (20 %).
    pub quotite: Sp<Taux>,
    /// Decimals kept in the derived rate (0 in seed 004: 14 %, 7 %).
    pub precision: u32,
    /// How reserved units become whole (nearest in seed 004; down in the
    /// Rouen deliberation of 2019: 114 × 20 % = 22,8 → 22).
    pub arrondi: Arrondi,
    /// How the derived rate is rounded to `precision` (nearest in seed 004).
    pub arrondi_taux: Arrondi,
    pub garants: Vec<Garant>,
    pub programmes: Vec<Programme>,
    /// Rates as printed, cross-checked.
    pub taux_declares: Vec<(String, Sp<Taux>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconduction {
    pub duree_ans: u32,
    pub nombre_max: u32,
}

/// A whole convention file, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Convention {
    pub id: String,
    pub modele: Modele,
    /// `convention.gabarits` as written: a model folder, relative to the
    /// YAML file (the pipeline opens it); `None`: the built-in models.
    pub gabarits: Option<Sp<String>>,
    pub titre: String,
    pub date_effet: DateEffet,
    pub duree_ans: u32,
    pub reconduction: Reconduction,
    pub exemplaires: Option<u32>,
    pub lieu_signature: Option<String>,
    pub date_signature: Option<Date>,
    pub tribunal: Option<String>,
    pub arrondi: Arrondi,
    pub territoire: Territoire,
    pub textes: BTreeMap<String, Bloc>,
    pub clauses: Clauses,
    pub bailleur: Bailleur,
    pub reservataires: Vec<Reservataire>,
    pub etat_des_lieux: Option<EtatDesLieux>,
    pub exercices: Vec<Exercice>,
}

impl Convention {
    /// Every logo given, in the order the documents print them: the
    /// territoire, the bailleur, then the réservataires in file order.
    pub fn logos(&self) -> Vec<(Partie, &Logo)> {
        let mut v = Vec::new();
        v.extend(
            self.territoire
                .logo
                .as_ref()
                .map(|l| (Partie::Territoire, l)),
        );
        v.extend(self.bailleur.logo.as_ref().map(|l| (Partie::Bailleur, l)));
        for (i, r) in self.reservataires.iter().enumerate() {
            v.extend(r.logo.as_ref().map(|l| (Partie::Reservataire(i), l)));
        }
        v
    }

    pub fn reservataire(&self, id: &str) -> Option<&Reservataire> {
        self.reservataires.iter().find(|r| r.id.v == id)
    }

    /// The territory of an annex's assiette: as written, else the
    /// réservataire's own territory (a commune or an EPCI) for this
    /// bailleur, else the convention's territory (CCH art. R. 441-5-3: the
    /// perimeter of a commune's or an EPCI's convention is its territory).
    pub fn assiette(&self, a: &Annexe) -> Assiette {
        if let Some(x) = &a.assiette {
            return x.clone();
        }
        let r = self.reservataire(&a.reservataire.v);
        match r.map(|r| (r.nature, &r.nom)) {
            Some((Nature::Commune, nom)) => Assiette {
                nature: NatureTerritoire::Commune,
                nom: nom.clone(),
                code: None,
                span: None,
            },
            Some((Nature::Epci, nom)) => Assiette {
                nature: NatureTerritoire::Epci,
                nom: nom.clone(),
                code: None,
                span: None,
            },
            _ => Assiette {
                nature: NatureTerritoire::Territoire,
                nom: self.territoire.nom.clone(),
                code: None,
                span: None,
            },
        }
    }

    /// The programmes of the état des lieux of year `annee`: those of
    /// `etat_des_lieux`, then the new programmes of earlier exercises
    /// (first let in stock, in flux afterwards), in file order.
    pub fn programmes_etat_des_lieux(&self, annee: i32) -> Vec<&Programme> {
        let Some(e) = &self.etat_des_lieux else {
            return Vec::new();
        };
        let mut v: Vec<&Programme> = e.programmes.iter().collect();
        for ex in self.exercices.iter().filter(|x| x.annee.v < annee) {
            v.extend(&ex.programmes_nouveaux);
        }
        v
    }

    pub fn exercice(&self, annee: i32) -> Option<&Exercice> {
        self.exercices.iter().find(|e| e.annee.v == annee)
    }

    pub fn premiere_annee(&self) -> Option<i32> {
        self.exercices.iter().map(|e| e.annee.v).min()
    }

    /// The day the convention ends with every tacit renewal, when its start
    /// is known (its date of effect, or its date of signature): the day
    /// before the same date that many years later (seed 004 art. 6: three
    /// years from signature, signed 3 July 2024 with three renewals of one
    /// year: 2 July 2030). The convention's own duration (DROIT.md).
    pub fn date_fin(&self) -> Option<Date> {
        let debut = match &self.date_effet {
            DateEffet::Date(d) => *d,
            DateEffet::ALaSignature => self.date_signature?,
        };
        Some(debut.fin_periode(self.duree_totale()))
    }

    /// The initial duration and every renewal, in years.
    pub fn duree_totale(&self) -> u32 {
        self.duree_ans.saturating_add(
            self.reconduction
                .duree_ans
                .saturating_mul(self.reconduction.nombre_max),
        )
    }

    /// Last year the convention can reach with every tacit renewal
    /// (seed 000 art. 12: 3 years + 2 × 1 year; seed 004 art. 15: 3 + 3 × 1):
    /// the year of [`Convention::date_fin`]; when it starts at an unknown
    /// signature date, counted in calendar years from the first exercise.
    pub fn derniere_annee(&self) -> Option<i32> {
        if let Some(f) = self.date_fin() {
            return Some(f.annee);
        }
        let ans = i32::try_from(self.duree_totale()).unwrap_or(i32::MAX);
        Some(self.premiere_annee()?.saturating_add(ans).saturating_sub(1))
    }
}
