//! Escaping for Typst and the French formatting filters of the templates.
//!
//! Every value printed by a template goes through [`echapper_markup`] unless
//! the code built it as Typst itself (safe strings from `blanc`, `chaine`).

use std::str::FromStr;

use minijinja::value::{Kwargs, Value};
use minijinja::{Error, ErrorKind};
use rust_decimal::Decimal;

use crate::francais;
use crate::model::Date;

/// U+202F, the narrow no-break space of French typography (thousands, before %).
pub use crate::francais::FINE;

/// Escapes user text for Typst **markup**: every ASCII punctuation character
/// is backslash-escaped (prints literally), line breaks and tabs become
/// spaces, other control characters are dropped, `'` becomes `’`.
pub fn echapper_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for c in s.chars() {
        match c {
            '\'' => out.push('’'),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes text as a Typst **string literal**, quotes included (code positions).
pub fn chaine_typst(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Reads a template value as an exact decimal (integers, or decimal strings).
fn decimal(v: &Value) -> Result<Decimal, Error> {
    if let Some(s) = v.as_str() {
        return Decimal::from_str(s.trim())
            .map_err(|_| err(format!("nombre attendu, trouvé « {s} »")));
    }
    if let Ok(i) = i64::try_from(v.clone()) {
        return Ok(Decimal::from(i));
    }
    Err(err(format!("nombre attendu, trouvé {v}")))
}

pub use crate::francais::nombre as nombre_fr;

pub fn nombre(v: Value) -> Result<String, Error> {
    Ok(nombre_fr(decimal(&v)?))
}

/// A percent number with the data's precision: "6.82" → "6,82 %".
pub fn taux(v: Value) -> Result<String, Error> {
    Ok(francais::taux(decimal(&v)?))
}

/// Word only, French rule: 0 and 1 singular.
pub fn pluriel(v: Value, singulier: String, pluriel: String) -> Result<String, Error> {
    let d = decimal(&v)?;
    Ok(if francais::est_pluriel(d) {
        pluriel
    } else {
        singulier
    })
}

/// "1 887 logements", "1 logement", "0 logement", the count and its word
/// held together by a no-break space (never « 354 / logements »).
pub fn logements(v: Value) -> Result<String, Error> {
    Ok(francais::compte(decimal(&v)?, "logement").replace(' ', "\u{a0}"))
}

fn date(v: &Value) -> Result<Date, Error> {
    let s = v
        .as_str()
        .ok_or_else(|| err(format!("date attendue, trouvé {v}")))?;
    Date::parse(s).ok_or_else(|| err(format!("date invalide « {s} »")))
}

/// "1er janvier 2024" (« er » in superscript), "3 juillet 2024", with
/// no-break spaces (a date never breaks across lines). Typst markup built
/// here from digits and month names only, so it is returned as safe.
pub fn date_longue(v: Value) -> Result<Value, Error> {
    let d = date(&v)?;
    let texte = francais::date_longue(d.jour, d.mois, d.annee)
        .ok_or_else(|| err(format!("date invalide « {} »", d.iso())))?
        .replace(' ', "\u{a0}");
    let texte = match texte.strip_prefix("1er") {
        Some(reste) => format!("1#super[er]{reste}"),
        None => texte,
    };
    Ok(Value::from_safe_string(texte))
}

/// "31/12/2022".
pub fn date_courte(v: Value) -> Result<String, Error> {
    let d = date(&v)?;
    Ok(francais::date_courte(d.jour, d.mois, d.annee))
}

/// French words for 0..=100 ("trois", "deux", "vingt et un").
pub fn lettres(v: Value) -> Result<String, Error> {
    let n = i64::try_from(v.clone()).map_err(|_| err(format!("entier attendu, trouvé {v}")))?;
    en_lettres(n).ok_or_else(|| err(format!("`lettres` couvre 0 à 100, trouvé {n}")))
}

pub fn en_lettres(n: i64) -> Option<String> {
    const U: [&str; 17] = [
        "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
        "onze", "douze", "treize", "quatorze", "quinze", "seize",
    ];
    const D: [&str; 7] = [
        "",
        "",
        "vingt",
        "trente",
        "quarante",
        "cinquante",
        "soixante",
    ];
    Some(match n {
        0..=16 => U[n as usize].to_string(),
        17..=19 => format!("dix-{}", U[(n - 10) as usize]),
        20..=69 => {
            let (d, u) = (n / 10, n % 10);
            match u {
                0 => D[d as usize].to_string(),
                1 => format!("{} et un", D[d as usize]),
                _ => format!("{}-{}", D[d as usize], U[u as usize]),
            }
        }
        70..=79 => {
            if n == 71 {
                "soixante et onze".to_string()
            } else {
                format!("soixante-{}", en_lettres(n - 60)?)
            }
        }
        80 => "quatre-vingts".to_string(),
        81..=99 => format!("quatre-vingt-{}", en_lettres(n - 80)?),
        100 => "cent".to_string(),
        _ => return None,
    })
}

/// "1 500 000 €", "1 234,50 €".
pub fn euros(v: Value) -> Result<String, Error> {
    let d = decimal(&v)?;
    let d = if d.fract().is_zero() {
        d.trunc()
    } else {
        d.round_dp(2)
    };
    Ok(format!("{}{FINE}€", nombre_fr(d)))
}

/// Prints the escaped text, or a dotted blank (Typst `#blanc`) when null.
pub fn blanc(v: Value) -> Result<Value, Error> {
    if v.is_none() || v.is_undefined() {
        return Ok(Value::from_safe_string("#blanc".to_string()));
    }
    let s = match v.as_str() {
        Some(s) => s.to_string(),
        None => v.to_string(),
    };
    if s.trim().is_empty() {
        return Ok(Value::from_safe_string("#blanc".to_string()));
    }
    Ok(Value::from_safe_string(echapper_markup(&s)))
}

/// A Typst string literal for code positions (function arguments).
pub fn chaine(v: Value, _kw: Kwargs) -> Result<Value, Error> {
    let s = match v.as_str() {
        Some(s) => s.to_string(),
        None if v.is_none() => String::new(),
        None => v.to_string(),
    };
    Ok(Value::from_safe_string(chaine_typst(&s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_and_decimal_comma() {
        assert_eq!(nombre_fr(Decimal::from(1887)), "1\u{202f}887");
        assert_eq!(nombre_fr(Decimal::from(354)), "354");
        assert_eq!(nombre_fr(Decimal::from_str("0.14").unwrap()), "0,14");
        assert_eq!(nombre_fr(Decimal::from(1234567)), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn rates_keep_precision() {
        assert_eq!(taux(Value::from("6.82")).unwrap(), "6,82\u{202f}%");
        assert_eq!(taux(Value::from("4.80")).unwrap(), "4,80\u{202f}%");
        assert_eq!(taux(Value::from("6")).unwrap(), "6\u{202f}%");
    }

    #[test]
    fn french_plural_and_dates() {
        // No-break spaces: a count and its word, a date, never split.
        assert_eq!(logements(Value::from(0)).unwrap(), "0\u{a0}logement");
        assert_eq!(logements(Value::from(1)).unwrap(), "1\u{a0}logement");
        assert_eq!(logements(Value::from(2)).unwrap(), "2\u{a0}logements");
        // « er » in superscript: Typst markup, marked safe.
        let d = date_longue(Value::from("2024-01-01")).unwrap();
        assert!(d.is_safe());
        assert_eq!(d.as_str(), Some("1#super[er]\u{a0}janvier\u{a0}2024"));
        assert_eq!(
            date_longue(Value::from("2024-07-03")).unwrap().as_str(),
            Some("3\u{a0}juillet\u{a0}2024")
        );
        assert_eq!(
            date_courte(Value::from("2022-12-31")).unwrap(),
            "31/12/2022"
        );
        assert_eq!(en_lettres(3).unwrap(), "trois");
        assert_eq!(en_lettres(21).unwrap(), "vingt et un");
        assert_eq!(en_lettres(97).unwrap(), "quatre-vingt-dix-sept");
    }

    #[test]
    fn markup_escaping_neutralises_typst() {
        assert_eq!(
            echapper_markup("#read(\"/etc/passwd\")"),
            "\\#read\\(\\\"\\/etc\\/passwd\\\"\\)"
        );
        assert_eq!(echapper_markup("a\\"), "a\\\\");
        assert_eq!(echapper_markup("l'Ouest"), "l’Ouest");
        assert_eq!(echapper_markup("a\nb\u{7}c"), "a bc");
    }

    #[test]
    fn string_literal_escaping() {
        assert_eq!(chaine_typst("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }
}
