//! Citations as values: where a computed figure or a rule comes from.
//!
//! A step or a rule names its sources once, as a [`Source`]: articles of the
//! Code de la construction et de l'habitation ([`Texte`]) and, where the
//! convention itself says it, its own article in each model. [`Source::pour`]
//! resolves it for one convention's [`Modele`] into a [`Citation`], and
//! `Citation`'s `Display` is the one place where a citation becomes French
//! text: « CCH art. R. 441-5 ; convention, art. 2.1 ». Never an article
//! number the law does not have: where the law is silent, only the
//! convention is cited (DROIT.md says which article grounds which rule).

use std::fmt;

use super::Modele;

/// An article of the Code de la construction et de l'habitation, each read
/// in a stored copy of the code (DROIT.md, [lu]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Texte {
    /// One convention per bailleur and réservataire in the département, on
    /// the whole social stock; reservations are an annual flow expressed as
    /// a percentage of that stock, defence and internal security excepted;
    /// mutations, urban renewal, degraded condominiums (L. 741-1, L. 741-2),
    /// unfit housing (L. 521-3-1 to L. 521-3-3) and sales are not counted.
    R441_5,
    /// The bilan of units proposed and allotted the previous year, sent to
    /// every réservataire before 28 February.
    R441_5_1,
    /// The préfet's reservations: 30 % at most of the bailleur's annual flow.
    R441_5_2,
}

impl Texte {
    /// The article's number as the code writes it.
    pub fn numero(self) -> &'static str {
        match self {
            Texte::R441_5 => "R. 441-5",
            Texte::R441_5_1 => "R. 441-5-1",
            Texte::R441_5_2 => "R. 441-5-2",
        }
    }
}

/// The sources of a step or a rule, for every convention model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    pub textes: &'static [Texte],
    /// The convention's own article in the intercommunal model, if it says so.
    pub intercommunal: Option<&'static str>,
    /// The convention's own article in the bilateral model, if it says so.
    pub bilateral: Option<&'static str>,
}

impl Source {
    /// Articles of the law only.
    pub const fn loi(textes: &'static [Texte]) -> Source {
        Source {
            textes,
            intercommunal: None,
            bilateral: None,
        }
    }

    /// Articles of the law, and the convention's article in each model.
    pub const fn avec(
        textes: &'static [Texte],
        intercommunal: &'static str,
        bilateral: &'static str,
    ) -> Source {
        Source {
            textes,
            intercommunal: Some(intercommunal),
            bilateral: Some(bilateral),
        }
    }

    /// The convention's article in each model only: the law is silent.
    pub const fn convention(intercommunal: &'static str, bilateral: &'static str) -> Source {
        Source::avec(&[], intercommunal, bilateral)
    }

    /// The bilateral model's own article only (a rule of that model alone).
    pub const fn bilateral(article: &'static str) -> Source {
        Source {
            textes: &[],
            intercommunal: None,
            bilateral: Some(article),
        }
    }

    /// The citation as it reads for a convention of model `m`.
    pub fn pour(self, m: Modele) -> Citation {
        Citation {
            textes: self.textes,
            convention: match m {
                Modele::Intercommunal => self.intercommunal,
                Modele::Bilateral => self.bilateral,
            },
        }
    }
}

/// A source resolved for one convention: what the user reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Citation {
    pub textes: &'static [Texte],
    /// The place in this convention's model: « art. 2.1 », « annexe individuelle ».
    pub convention: Option<&'static str>,
}

impl Citation {
    /// Articles of the law only, where the model is not known yet (while
    /// reading) or does not matter.
    pub const fn loi(textes: &'static [Texte]) -> Citation {
        Citation {
            textes,
            convention: None,
        }
    }

    /// Whether nothing is cited (the model's convention is silent and so is the law).
    pub fn est_vide(self) -> bool {
        self.textes.is_empty() && self.convention.is_none()
    }

    /// `texte` followed by this citation in parentheses, as a diagnostic note
    /// (`texte` alone when nothing is cited).
    pub fn note(self, texte: &str) -> String {
        if self.est_vide() {
            texte.to_string()
        } else {
            format!("{texte} ({self})")
        }
    }
}

/// « CCH art. R. 441-5 et R. 441-5-1 ; convention, art. 2.1 »: the code's
/// articles first, then the convention's own.
impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some((premier, autres)) = self.textes.split_first() {
            write!(f, "CCH art. {}", premier.numero())?;
            for t in autres {
                write!(f, " et {}", t.numero())?;
            }
            sep = " ; ";
        }
        if let Some(a) = self.convention {
            write!(f, "{sep}convention, {a}")?;
        }
        Ok(())
    }
}

/// Serialized as the French text (`calculer --format json`, `source`).
impl serde::Serialize for Citation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATRIMOINE: Source = Source::avec(&[Texte::R441_5], "art. 2", "art. 2.1");

    #[test]
    fn resolved_for_each_model() {
        assert_eq!(
            PATRIMOINE.pour(Modele::Intercommunal).to_string(),
            "CCH art. R. 441-5 ; convention, art. 2"
        );
        assert_eq!(
            PATRIMOINE.pour(Modele::Bilateral).to_string(),
            "CCH art. R. 441-5 ; convention, art. 2.1"
        );
    }

    #[test]
    fn law_only_convention_only_and_several_articles() {
        let prefet = Source::loi(&[Texte::R441_5_2]);
        assert_eq!(
            prefet.pour(Modele::Bilateral).to_string(),
            "CCH art. R. 441-5-2"
        );
        let rotation = Source::convention("annexe individuelle", "art. 2.2");
        assert_eq!(
            rotation.pour(Modele::Intercommunal).to_string(),
            "convention, annexe individuelle"
        );
        let deux = Source::loi(&[Texte::R441_5, Texte::R441_5_1]);
        assert_eq!(
            deux.pour(Modele::Intercommunal).to_string(),
            "CCH art. R. 441-5 et R. 441-5-1"
        );
    }

    #[test]
    fn a_note_ends_with_its_citation() {
        let c = Source::loi(&[Texte::R441_5_2]).pour(Modele::Intercommunal);
        assert_eq!(
            c.note("30 % au plus du flux annuel"),
            "30 % au plus du flux annuel (CCH art. R. 441-5-2)"
        );
    }

    #[test]
    fn a_rule_of_one_model_cites_nothing_in_the_other() {
        let s = Source::bilateral("annexe 2");
        assert_eq!(
            s.pour(Modele::Intercommunal).note("une annexe"),
            "une annexe"
        );
        assert_eq!(
            s.pour(Modele::Bilateral).note("une annexe"),
            "une annexe (convention, annexe 2)"
        );
    }

    #[test]
    fn serialized_as_its_french_text() {
        let c = PATRIMOINE.pour(Modele::Bilateral);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            "\"CCH art. R. 441-5 ; convention, art. 2.1\""
        );
    }
}
