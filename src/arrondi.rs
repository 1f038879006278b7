//! Rounding, only here, each rule named. A share of dwellings becomes a whole
//! number of dwellings by the convention's rule ([`Arrondi`]); rates derived
//! from the état des lieux are rounded to the convention's precision.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{Arrondi, Logements};

/// Rounds a non-negative exact share to whole dwellings by the convention's rule.
/// `plus_proche`: nearest unit, halves up (16,5 → 17); `inferieur`: down;
/// `superieur`: up. Saturates at `u32::MAX` (validated inputs never reach it).
pub fn logements(x: Decimal, regle: Arrondi) -> Logements {
    let strategie = match regle {
        Arrondi::PlusProche => RoundingStrategy::MidpointAwayFromZero,
        Arrondi::Inferieur => RoundingStrategy::ToZero,
        Arrondi::Superieur => RoundingStrategy::AwayFromZero,
    };
    let r = x.max(Decimal::ZERO).round_dp_with_strategy(0, strategie);
    Logements(u32::try_from(r.mantissa()).unwrap_or(u32::MAX))
}

/// Rounds a derived percentage to `decimales` places, halves up
/// (6/43 = 13,953… % → 14 % at precision 0, as in seed 004 annex 1).
pub fn taux(x: Decimal, decimales: u32) -> Decimal {
    x.round_dp_with_strategy(decimales, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::d;

    mod rust_decimal_macros_free {
        use rust_decimal::Decimal;
        use std::str::FromStr;
        pub fn d(s: &str) -> Decimal {
            Decimal::from_str(s).unwrap()
        }
    }

    #[test]
    fn nearest_rounds_halves_up() {
        assert_eq!(logements(d("16.5"), Arrondi::PlusProche), Logements(17));
        assert_eq!(logements(d("16.4999"), Arrondi::PlusProche), Logements(16));
        assert_eq!(
            logements(d("112.8710"), Arrondi::PlusProche),
            Logements(113)
        );
        assert_eq!(logements(d("0.14"), Arrondi::PlusProche), Logements(0));
    }

    #[test]
    fn down_and_up() {
        assert_eq!(logements(d("9.98"), Arrondi::Inferieur), Logements(9));
        assert_eq!(logements(d("9.01"), Arrondi::Superieur), Logements(10));
        assert_eq!(logements(d("9"), Arrondi::Superieur), Logements(9));
    }

    #[test]
    fn negative_is_zero() {
        assert_eq!(logements(d("-3"), Arrondi::PlusProche), Logements(0));
    }

    #[test]
    fn derived_rate_precision() {
        assert_eq!(taux(d("13.953488"), 0), d("14"));
        assert_eq!(taux(d("6.976744"), 0), d("7"));
        assert_eq!(taux(d("6.976744"), 2), d("6.98"));
    }
}
