//! The yearly cycle after the first exercise, as data: the bilan of year N-1
//! and the avenant of year N carried by exercise N (read by
//! `validate::bilan`).
//!
//! The law: before 28 February of each year the bailleur sends every
//! réservataire the bilan of the units proposed and attributed the year before,
//! by réservataire, typology, financing, location in or outside a QPV, commune
//! and construction period (CCH art. R. 441-5-1). In view of it, an avenant
//! updates the assiette and the flow (the convention's own article).

use rust_decimal::Decimal;

use crate::diagnostic::{Sp, Span};
use crate::model::{Convention, Date, DateEffet, Exercice, Logements};

/// Last day for the bilan: 28 February (CCH art. R. 441-5-1).
pub const JOUR_LIMITE: (u8, u8) = (2, 28);

/// The bilan of year N-1, carried by exercise N.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bilan {
    /// The year reviewed (the exercise's year − 1).
    pub annee: i32,
    /// When the bailleur sent it.
    pub recu_le: Sp<Date>,
    /// Where the figures come from ("bilan annuel SIDR 2024").
    pub source: Option<String>,
    pub reservataires: Vec<BilanReservataire>,
    pub span: Span,
}

impl Bilan {
    pub fn reservataire(&self, id: &str) -> Option<&BilanReservataire> {
        self.reservataires.iter().find(|b| b.reservataire.v == id)
    }

    /// The bilan arrived after 28 February of the exercise's year.
    pub fn en_retard(&self) -> bool {
        let limite = Date {
            annee: self.annee + 1,
            mois: JOUR_LIMITE.0,
            jour: JOUR_LIMITE.1,
        };
        self.recu_le.v > limite
    }
}

/// The figures of one réservataire in the bilan (seed 004 annex 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BilanReservataire {
    pub reservataire: Sp<String>,
    /// Units made available to the réservataire (mises à disposition).
    pub proposes: Sp<Logements>,
    /// Units attributed by the CALEOL to the réservataire's candidates.
    pub attribues: Sp<Logements>,
    /// Proposals refused by the households.
    pub refus_menages: Option<Sp<Logements>>,
    /// Candidates refused by the CALEOL.
    pub refus_caleol: Option<Sp<Logements>>,
    pub baux_signes: Option<Sp<Logements>>,
    /// Units attributed in CALEOL then refused by every candidate the
    /// réservataire put forward (intercommunal model art. 3 counts them).
    pub refus_tous_candidats: Option<Sp<Logements>>,
    /// Average seniority of the demand of the households housed, in months.
    pub anciennete_mois: Option<Sp<Decimal>>,
    /// The breakdowns the law asks for, in [`Critere`] order.
    pub repartitions: Vec<Repartition>,
    pub span: Span,
}

/// A breakdown criterion of CCH art. R. 441-5-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Critere {
    Typologie,
    Financement,
    Qpv,
    Commune,
    PeriodeConstruction,
}

impl Critere {
    pub const TOUS: [Critere; 5] = [
        Critere::Typologie,
        Critere::Financement,
        Critere::Qpv,
        Critere::Commune,
        Critere::PeriodeConstruction,
    ];

    pub fn cle(self) -> &'static str {
        match self {
            Critere::Typologie => "typologie",
            Critere::Financement => "financement",
            Critere::Qpv => "qpv",
            Critere::Commune => "commune",
            Critere::PeriodeConstruction => "periode_construction",
        }
    }

    pub fn libelle(self) -> &'static str {
        match self {
            Critere::Typologie => "Typologie",
            Critere::Financement => "Type de financement",
            Critere::Qpv => "Localisation (quartier politique de la ville)",
            Critere::Commune => "Commune",
            Critere::PeriodeConstruction => "Période de construction",
        }
    }

    /// The categories allowed, or `None` when any label is (communes, periods).
    pub fn categories(self) -> Option<&'static [&'static str]> {
        match self {
            Critere::Typologie => Some(&["T1", "T2", "T3", "T4", "T5", "T6"]),
            // Mainland financings and those of the overseas departments (LLTS,
            // LLS: Le Port is in La Réunion).
            Critere::Financement => Some(&[
                "PLAI", "PLAI-A", "PLUS", "PLS", "PLI", "PLA", "HLMO", "PLR", "PSR", "ILM", "ILN",
                "LLTS", "LLS", "autre",
            ]),
            Critere::Qpv => Some(&["en_qpv", "hors_qpv"]),
            Critere::Commune | Critere::PeriodeConstruction => None,
        }
    }

    /// How a category is printed ("en_qpv" → "en QPV").
    pub fn categorie(self, cle: &str) -> String {
        match (self, cle) {
            (Critere::Qpv, "en_qpv") => "en QPV".to_string(),
            (Critere::Qpv, "hors_qpv") => "hors QPV".to_string(),
            (Critere::Financement, "autre") => "autre financement".to_string(),
            _ => cle.to_string(),
        }
    }
}

/// Units proposed and attributed, by category of one criterion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repartition {
    pub critere: Critere,
    pub lignes: Vec<LigneRepartition>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LigneRepartition {
    pub categorie: String,
    pub proposes: Logements,
    pub attribues: Logements,
}

impl Repartition {
    pub fn total_proposes(&self) -> u64 {
        self.lignes.iter().map(|l| u64::from(l.proposes.0)).sum()
    }

    pub fn total_attribues(&self) -> u64 {
        self.lignes.iter().map(|l| u64::from(l.attribues.0)).sum()
    }
}

/// What the data says of the avenant of an exercise; all optional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Avenant {
    /// Explicit number (otherwise counted from the exercises, see [`numero`]).
    pub numero: Option<Sp<u32>>,
    /// Effective date; 1 January of the exercise's year when absent.
    pub date_effet: Option<DateEffet>,
    pub lieu_signature: Option<String>,
    pub date_signature: Option<Date>,
    pub span: Span,
}

/// The exercise keys read here.
pub struct Suivi {
    pub bilan: Option<Bilan>,
    pub avenant: Option<Avenant>,
    pub illustratif: bool,
}

/// The avenant number of exercise `annee`: the one given in the data, or the
/// rank of the exercise among those after the first (2025 → n° 1).
/// `None` for the first exercise or a year without exercise.
pub fn numero(c: &Convention, annee: i32) -> Option<u32> {
    let premiere = c.premiere_annee()?;
    let e = c.exercice(annee)?;
    if annee == premiere {
        return None;
    }
    if let Some(n) = e.avenant.as_ref().and_then(|a| a.numero.as_ref()) {
        return Some(n.v);
    }
    let rang = c
        .exercices
        .iter()
        .filter(|x| x.annee.v > premiere && x.annee.v <= annee)
        .count();
    u32::try_from(rang).ok()
}

/// The exercise before `annee` in the data (the one the avenant compares with).
pub fn precedent(c: &Convention, annee: i32) -> Option<&Exercice> {
    c.exercices
        .iter()
        .filter(|e| e.annee.v < annee)
        .max_by_key(|e| e.annee.v)
}
