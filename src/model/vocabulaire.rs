//! The vocabularies of the format, one table each: for every category its
//! YAML key, its French label (as printed), the rule it comes from and its
//! rank (the row's place in the table).
//!
//! Everything else is derived from these tables: the keys `validate` accepts,
//! the JSON Schema, the views and the spreadsheet columns, the tables of
//! `docs/format.md` (checked by a test). Adding a category is one row here.
//! Like the rest of `model`, this module imports nothing from a later stage.

/// One category of a vocabulary.
#[derive(Debug)]
pub struct Terme<T: 'static> {
    pub valeur: T,
    /// The key written in the YAML file (and in JSON output).
    pub cle: &'static str,
    /// The French label, as printed in documents, spreadsheets and messages.
    pub libelle: &'static str,
    /// Where the category comes from: a CCH article, or the convention
    /// itself where the law is silent.
    pub citation: &'static str,
}

/// Declares an enum and its table together, so that a category is one row:
/// `Variante => "cle", "libellé", "citation";`. The enum's order (and so a
/// `BTreeMap`'s) is the table's.
macro_rules! vocabulaire {
    (
        $(#[$doc:meta])*
        $nom:ident, $table:ident {
            $($variante:ident => $cle:literal, $libelle:literal, $citation:expr;)+
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $nom {
            $($variante,)+
        }

        #[doc = concat!("The rows of [`", stringify!($nom), "`], in order.")]
        pub const $table: &[Terme<$nom>] = &[
            $(Terme {
                valeur: $nom::$variante,
                cle: $cle,
                libelle: $libelle,
                citation: $citation,
            },)+
        ];

        impl $nom {
            /// Every category, in table order.
            pub const TOUTES: [$nom; [$($cle),+].len()] = [$($nom::$variante),+];

            /// This category's row.
            pub fn terme(self) -> &'static Terme<$nom> {
                // Rows are declared in the enum's order, by the macro.
                &$table[self as usize]
            }

            pub fn cle(self) -> &'static str {
                self.terme().cle
            }

            pub fn libelle(self) -> &'static str {
                self.terme().libelle
            }

            pub fn citation(self) -> &'static str {
                self.terme().citation
            }

            /// Every YAML key, in table order.
            pub fn cles() -> Vec<&'static str> {
                $table.iter().map(|t| t.cle).collect()
            }

            /// The category of a YAML key.
            pub fn depuis_cle(cle: &str) -> Option<$nom> {
                $table.iter().find(|t| t.cle == cle).map(|t| t.valeur)
            }
        }

        impl serde::Serialize for $nom {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.cle())
            }
        }
    };
}

/// A vocabulary as the Markdown table of `docs/format.md`, in table order.
pub fn tableau_markdown<T>(table: &[Terme<T>]) -> String {
    let mut s = String::from("| clé | sens | source |\n|---|---|---|\n");
    for t in table {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            t.cle, t.libelle, t.citation
        ));
    }
    s
}

const R_441_5: &str = "CCH art. R. 441-5";
const CONVENTION: &str = "convention";

vocabulaire! {
    /// Dwellings excluded from the flow before the rotation rate is applied
    /// (CCH art. R. 441-5; the convention lists the others).
    Exclusion, EXCLUSIONS {
        Defense => "defense", "logements de la défense nationale, de la sécurité intérieure ou des établissements publics de santé", R_441_5;
        Vente => "vente", "logements destinés à la vente", R_441_5;
        Demolition => "demolition", "logements voués à la démolition", CONVENTION;
        HabitatInclusif => "habitat_inclusif", "logements financés au titre de l'habitat inclusif", CONVENTION;
        PlaiAdaptes => "plai_adaptes", "logements PLAI adaptés", CONVENTION;
        GensDuVoyage => "gens_du_voyage", "logements dédiés à la sédentarisation des gens du voyage", CONVENTION;
        Art109Elan => "art109_elan", "logements agréés au titre de l'article 109 de la loi ELAN", CONVENTION;
        Associations => "associations", "logements dédiés aux associations", CONVENTION;
    }
}

vocabulaire! {
    /// Dwellings withheld from the year's flow before it is shared
    /// (CCH art. R. 441-5). `Mutations` also accepts a share of the flow
    /// (`{ pourcentage: 14 }`), read apart into `Annexe::mutations`.
    Deduction, DEDUCTIONS {
        Mutations => "mutations", "mutations internes", R_441_5;
        Anru => "anru", "relogements ANRU / NPNRU", R_441_5;
        Orcod => "orcod", "relogements ORCOD (copropriétés dégradées)", R_441_5;
        Lhi => "lhi", "relogements de sortie d'habitat indigne (LHI)", R_441_5;
        VenteDemolition => "vente_demolition", "relogements pour vente ou démolition hors ANRU", "CCH art. R. 441-5 ; convention";
        Urgence => "urgence", "relogements d'urgence (crise environnementale ou sociale)", CONVENTION;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_enum_order() {
        for (i, t) in EXCLUSIONS.iter().enumerate() {
            assert_eq!(t.valeur as usize, i);
        }
        for (i, t) in DEDUCTIONS.iter().enumerate() {
            assert_eq!(t.valeur as usize, i);
        }
    }

    #[test]
    fn keys_are_unique_and_labels_never_name_a_seed() {
        fn verifier<T>(table: &[Terme<T>]) {
            let mut vues = std::collections::BTreeSet::new();
            for t in table {
                assert!(vues.insert(t.cle), "clé en double : {}", t.cle);
                assert!(!t.libelle.contains("seed") && !t.citation.contains("seed"));
            }
        }
        verifier(EXCLUSIONS);
        verifier(DEDUCTIONS);
    }

    /// docs/format.md shows each vocabulary as its table says, between
    /// `<!-- vocabulaire:NOM -->` and `<!-- fin vocabulaire -->`.
    #[test]
    /// The tables of docs/format.md are generated from the vocabularies:
    /// `CONVFLUX_METTRE_A_JOUR=1 cargo test` writes them, a plain run checks them.
    fn docs_format_tables_match_the_vocabularies() {
        let chemin = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/format.md");
        let mut doc = std::fs::read_to_string(chemin).unwrap();
        let ecrire = std::env::var_os("CONVFLUX_METTRE_A_JOUR").is_some();
        for (nom, attendu) in [
            ("exclusions", tableau_markdown(EXCLUSIONS)),
            ("deductions", tableau_markdown(DEDUCTIONS)),
        ] {
            let debut = format!("<!-- vocabulaire:{nom} -->\n");
            let i = doc.find(&debut).expect("marqueur absent de docs/format.md") + debut.len();
            let j = i + doc[i..]
                .find("<!-- fin vocabulaire -->")
                .expect("fin absente");
            if ecrire {
                doc.replace_range(i..j, &attendu);
            } else {
                assert_eq!(
                    &doc[i..j],
                    attendu,
                    "docs/format.md, table « {nom} » : CONVFLUX_METTRE_A_JOUR=1 cargo test la régénère"
                );
            }
        }
        if ecrire {
            std::fs::write(chemin, doc).unwrap();
        }
    }

    #[test]
    fn a_key_gives_back_its_category() {
        assert_eq!(Deduction::depuis_cle("lhi"), Some(Deduction::Lhi));
        assert_eq!(
            Exclusion::depuis_cle("art109_elan"),
            Some(Exclusion::Art109Elan)
        );
        assert_eq!(Deduction::depuis_cle("defense"), None);
    }
}
