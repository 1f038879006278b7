//! Rounding, only here, each rule named. A share of dwellings becomes a whole
//! number of dwellings by the convention's rule ([`Arrondi`]); rates derived
//! from counts (rotation, état des lieux) are rounded to the convention's
//! precision, from the exact quotient.

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

/// The percentage `100 × num / den` rounded to `decimales` places, halves up,
/// computed on integers so the quotient is never truncated first (a rounding
/// of 28 digits followed by a rounding to 2 could move a value just below a
/// half to the half, then up). 0 when `den` is 0. Saturates (validated
/// inputs, bounded in `limites`, never reach it).
pub fn pourcentage(num: u64, den: u64, decimales: u32) -> Decimal {
    pourcentage_selon(num, den, decimales, Arrondi::PlusProche)
}

/// The percentage `100 × num / den` rounded to `decimales` places by
/// `regle`: nearest (halves up), down or up, on the exact integer
/// quotient as [`pourcentage`]. The état des lieux' derived rate
/// (`etat_des_lieux.arrondi_taux`, nearest by default: seed 004).
pub fn pourcentage_selon(num: u64, den: u64, decimales: u32, regle: Arrondi) -> Decimal {
    if den == 0 {
        return Decimal::ZERO;
    }
    let decimales = decimales.min(10);
    let echelle = 10u128.pow(decimales);
    let n = u128::from(num) * 100 * echelle;
    let d = u128::from(den);
    let (q, r) = (n / d, n % d);
    let q = match regle {
        Arrondi::PlusProche if 2 * r >= d => q + 1,
        Arrondi::Superieur if r > 0 => q + 1,
        _ => q,
    };
    i128::try_from(q)
        .ok()
        .and_then(|q| Decimal::try_from_i128_with_scale(q, decimales).ok())
        // Without trailing zeros (12,5 %, not 12,50 %), as the documents always printed it.
        .map_or(Decimal::MAX, |q| q.normalize())
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
    fn percentage_of_integers_rounds_the_exact_quotient() {
        assert_eq!(pourcentage(6, 43, 0), d("14"));
        assert_eq!(pourcentage(6, 43, 2), d("13.95"));
        assert_eq!(pourcentage(1, 8, 1), d("12.5"));
        assert_eq!(pourcentage(1, 8, 2).to_string(), "12.5");
        assert_eq!(pourcentage(1, 800, 2), d("0.13"));
        assert_eq!(pourcentage(3, 0, 2), d("0"));
        // 100 × 1 / 3 = 33,333… : no digit beyond the precision is kept.
        assert_eq!(pourcentage(1, 3, 4), d("33.3333"));
        assert!(pourcentage(u64::MAX, 1, 4).is_sign_positive());
    }

    #[test]
    fn percentage_down_and_up() {
        // 6 / 43 = 13,953… %
        assert_eq!(pourcentage_selon(6, 43, 0, Arrondi::Inferieur), d("13"));
        assert_eq!(pourcentage_selon(6, 43, 1, Arrondi::Inferieur), d("13.9"));
        assert_eq!(pourcentage_selon(6, 43, 0, Arrondi::Superieur), d("14"));
        assert_eq!(pourcentage_selon(3, 43, 0, Arrondi::Superieur), d("7"));
        // Exact: no rounding up.
        assert_eq!(pourcentage_selon(1, 4, 0, Arrondi::Superieur), d("25"));
        assert_eq!(pourcentage_selon(1, 8, 0, Arrondi::PlusProche), d("13"));
    }
}
