//! What the council report needs and the conventions do not hold: the
//! `rapport` section of a réservataire entry (read by `validate::rapport`).

use crate::diagnostic::Sp;
use crate::model::{Date, Logements};

/// What the council report needs and the conventions do not hold
/// (`reservataires[].rapport`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FicheRapport {
    /// The quota of the year before the first flux year, under stock
    /// management (seed 000: « le quota était de 49 logements en 2023 »).
    pub quota_precedent: Option<QuotaPrecedent>,
    /// Date of the CIL meeting that agreed on the conventions (seed 000:
    /// 21 December 2023).
    pub cil: Option<Date>,
    /// The bailleurs in the order the report lists them, by name (seed
    /// 000: SODIAC, SEMADER, SIDR, SHLMR, SEDRE); empty: the files' order.
    pub ordre: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaPrecedent {
    pub annee: Sp<i32>,
    pub logements: Sp<Logements>,
}
