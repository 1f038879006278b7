//! French formatting, in one place: numbers, rates, dates, « 1er », plurals,
//! articles. Used by messages, CLI output and the templates' filters alike,
//! so a figure is printed the same way everywhere.
//!
//! Knows nothing of the stages: it takes numbers, dates and words.

use rust_decimal::Decimal;

/// The narrow no-break space (U+202F) French typography puts between groups
/// of digits and before « % » and « € ».
pub const FINE: char = '\u{202f}';

/// Digits grouped by three with U+202F and a decimal comma, the precision of
/// the value kept: 1887 → « 1 887 », 4.80 → « 4,80 ».
pub fn nombre(d: Decimal) -> String {
    let s = d.to_string();
    let (signe, s) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s.as_str()),
    };
    let (ent, frac) = match s.split_once('.') {
        Some((e, f)) => (e, Some(f)),
        None => (s, None),
    };
    let mut groupes = String::new();
    let n = ent.len();
    for (i, c) in ent.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            groupes.push(FINE);
        }
        groupes.push(c);
    }
    match frac {
        Some(f) => format!("{signe}{groupes},{f}"),
        None => format!("{signe}{groupes}"),
    }
}

/// [`nombre`] without trailing zeros, for messages and intermediate values:
/// 0.1400 → « 0,14 », 112.8710 → « 112,871 ».
pub fn exact(d: Decimal) -> String {
    nombre(d.normalize())
}

/// A percentage with the precision written: 6.82 → « 6,82 % ».
pub fn taux(d: Decimal) -> String {
    format!("{}{FINE}%", nombre(d))
}

/// The French plural rule: 0 and 1 take the singular.
pub fn est_pluriel(n: Decimal) -> bool {
    n.abs() >= Decimal::TWO
}

/// `texte` with each name of `noms` held together by no-break spaces
/// wherever it occurs, the longest names first: a title never breaks
/// inside a party's name (« … locatifs sociaux Ville du / CENDRE »).
pub fn lier_noms<'a>(texte: &str, noms: impl IntoIterator<Item = &'a str>) -> String {
    let mut noms: Vec<&str> = noms.into_iter().filter(|n| n.contains(' ')).collect();
    noms.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = texte.to_owned();
    for n in noms {
        out = out.replace(n, &n.replace(' ', "\u{a0}"));
    }
    out
}

/// « 0 logement », « 1 logement », « 1 887 logements ».
pub fn compte(n: impl Into<Decimal>, mot: &str) -> String {
    let n = n.into();
    if est_pluriel(n) {
        format!("{} {mot}s", nombre(n))
    } else {
        format!("{} {mot}", nombre(n))
    }
}

/// « 1 logement », « 2 logements » (a count of a word whose plural takes an s).
pub fn pluriel(n: usize, mot: &str) -> String {
    compte(Decimal::from(n), mot)
}

/// [`nombre`] of a count: 12345 → « 12 345 ».
pub fn entier(n: usize) -> String {
    nombre(Decimal::from(n))
}

/// A duration as French writes it, U+202F before the units: « 4,2 s » under a minute (tenths),
/// « 1 min 04 s » under an hour, « 2 h 05 min » beyond.
pub fn duree(d: std::time::Duration) -> String {
    let dixiemes = d.as_millis() / 100;
    if dixiemes < 600 {
        return format!("{},{}{FINE}s", dixiemes / 10, dixiemes % 10);
    }
    let s = d.as_secs();
    if s < 3600 {
        format!("{}{FINE}min {:02}{FINE}s", s / 60, s % 60)
    } else {
        format!("{}{FINE}h {:02}{FINE}min", s / 3600, (s % 3600) / 60)
    }
}

/// The months, lowercase as French writes them in dates.
pub const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// « 1er janvier 2024 », « 3 juillet 2024 »; `None` for a month out of 1..=12.
pub fn date_longue(jour: u8, mois: u8, annee: i32) -> Option<String> {
    let nom = MOIS.get(usize::from(mois).checked_sub(1)?)?;
    let jour = if jour == 1 {
        "1er".to_string()
    } else {
        jour.to_string()
    };
    Some(format!("{jour} {nom} {annee}"))
}

/// « 31/12/2022 ».
pub fn date_courte(jour: u8, mois: u8, annee: i32) -> String {
    format!("{jour:02}/{mois:02}/{annee}")
}

/// A name with its definite article, bare and after « à » and « de »:
/// « le Territoire de l’Ouest », « au … », « du … ». `article` is `le`, `la`
/// or `l'`; anything else (« aucun ») leaves the name bare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Formes {
    pub le: String,
    pub a_le: String,
    pub de_le: String,
}

pub fn formes(article: &str, nom: &str) -> Formes {
    match article {
        "le" => Formes {
            le: format!("le {nom}"),
            a_le: format!("au {nom}"),
            de_le: format!("du {nom}"),
        },
        "la" => Formes {
            le: format!("la {nom}"),
            a_le: format!("à la {nom}"),
            de_le: format!("de la {nom}"),
        },
        "l'" | "l’" => Formes {
            le: format!("l’{nom}"),
            a_le: format!("à l’{nom}"),
            de_le: format!("de l’{nom}"),
        },
        _ => Formes {
            le: nom.to_owned(),
            a_le: format!("à {nom}"),
            de_le: format!("de {nom}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_group_thousands_and_keep_their_precision() {
        assert_eq!(nombre(d("1887")), "1\u{202f}887");
        assert_eq!(nombre(d("4.80")), "4,80");
        assert_eq!(nombre(d("-1234567.5")), "-1\u{202f}234\u{202f}567,5");
        assert_eq!(exact(d("0.1400")), "0,14");
        assert_eq!(taux(d("6.82")), "6,82\u{202f}%");
    }

    #[test]
    fn plurals_follow_the_french_rule() {
        assert_eq!(compte(0u32, "logement"), "0 logement");
        assert_eq!(compte(1u32, "logement"), "1 logement");
        assert_eq!(compte(1887u32, "logement"), "1\u{202f}887 logements");
        assert_eq!(pluriel(2, "fichier"), "2 fichiers");
    }

    #[test]
    fn articles_contract_with_a_and_de() {
        let f = formes("le", "Territoire de l’Ouest");
        assert_eq!(
            (f.le.as_str(), f.a_le.as_str()),
            ("le Territoire de l’Ouest", "au Territoire de l’Ouest")
        );
        assert_eq!(formes("la", "Ville du Port").de_le, "de la Ville du Port");
        assert_eq!(
            lier_noms(
                "Convention … sociaux Ville du CENDRE et Ville du CENDRE Est",
                ["Ville du CENDRE", "Ville du CENDRE Est", "ASSEMBLIA"]
            ),
            "Convention … sociaux Ville\u{a0}du\u{a0}CENDRE et Ville\u{a0}du\u{a0}CENDRE\u{a0}Est"
        );
        assert_eq!(formes("l'", "EPCI").le, "l’EPCI");
        assert_eq!(formes("aucun", "Assemblia").de_le, "de Assemblia");
    }

    #[test]
    fn durations_in_french() {
        use std::time::Duration;
        assert_eq!(duree(Duration::from_millis(4249)), "4,2\u{202f}s");
        assert_eq!(duree(Duration::from_secs(64)), "1\u{202f}min 04\u{202f}s");
        assert_eq!(duree(Duration::from_secs(7500)), "2\u{202f}h 05\u{202f}min");
        assert_eq!(entier(12345), "12\u{202f}345");
    }

    #[test]
    fn dates_in_words_and_figures() {
        assert_eq!(date_longue(1, 1, 2024).unwrap(), "1er janvier 2024");
        assert_eq!(date_longue(3, 7, 2024).unwrap(), "3 juillet 2024");
        assert_eq!(date_longue(3, 13, 2024), None);
        assert_eq!(date_courte(31, 12, 2022), "31/12/2022");
    }
}
