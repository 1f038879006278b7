//! The articles of each convention model, as its template prints them: the
//! one table `validate` reads to check `clauses.remplacer` (an article must
//! exist, and must not be one whose figures come from the computation) and to
//! number the dispositions particulières after the model's last article.
//! The templates keep their headings; the test below holds this table to them.

use super::Modele;

/// One article of a model's convention body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Article {
    /// The number printed in the heading (« Article 10 – Inexécution »).
    pub numero: u32,
    /// The title printed after the number.
    pub titre: &'static str,
    /// The computed figures the article prints, if any: such an article
    /// cannot be replaced, since its figures must stay those of the
    /// computation (and of `controle`).
    pub chiffres: Option<&'static str>,
}

const fn a(numero: u32, titre: &'static str) -> Article {
    Article {
        numero,
        titre,
        chiffres: None,
    }
}

const fn calcule(numero: u32, titre: &'static str, chiffres: &'static str) -> Article {
    Article {
        numero,
        titre,
        chiffres: Some(chiffres),
    }
}

/// Intercommunal model (seed 000): articles 1 to 12. Its figures are in the
/// individual annexes, so every article can be replaced.
const INTERCOMMUNAL: &[Article] = &[
    a(1, "Le parc locatif social concerné par la gestion en flux"),
    a(
        2,
        "Assiette de logements soumis à répartition en flux entre réservataires",
    ),
    a(
        3,
        "Flux de logements affectés au réservataire sur le patrimoine soumis à gestion en flux hors programme(s) neuf(s) de l’année et opération acquisition / amélioration de l’année",
    ),
    a(
        4,
        "Modalités de répartition des flux de logements entre réservataires",
    ),
    a(5, "Modalités de gestion :"),
    a(6, "Désignation des candidats à la location"),
    a(
        7,
        "Gestion du flux des programmes neufs ou d’acquisition-amélioration livrés au cours de l’année N",
    ),
    a(8, "L’évaluation annuelle de la convention"),
    a(9, "L’actualisation de la convention"),
    a(10, "Inexécution"),
    a(
        11,
        "Protection des données personnelles des candidats à la location",
    ),
    a(12, "Durée de la convention"),
];

/// Bilateral model (seed 004): articles 1 to 17; articles 2 to 4 print the
/// computed stock, flow and rate.
const BILATERAL: &[Article] = &[
    a(1, "Objet de la présente convention"),
    calcule(
        2,
        "Modalités d'application de la gestion en flux",
        "le patrimoine soumis à la gestion en flux et le taux de rotation",
    ),
    calcule(
        3,
        "Calcul du flux de logements en année sur le territoire concerné",
        "le flux prévisionnel",
    ),
    calcule(
        4,
        "Flux annuel de logements affectés au réservataire (hors programme(s) neuf(s) de l'année et opération acquisition / amélioration de l'année)",
        "le taux affecté au réservataire",
    ),
    a(
        5,
        "Modalités de répartition des flux de logements entre réservataires",
    ),
    a(6, "Durée de la présente convention"),
    a(
        7,
        "Programme de construction neuve ou d'acquisition-amélioration",
    ),
    a(8, "Désignation des candidats à la location"),
    a(9, "Modalités de décompte des attributions"),
    a(10, "Etude des dossiers de candidature"),
    a(11, "Contrat de bail et occupation du logement"),
    a(12, "Vente de l'immeuble ou aliénation des droits réels"),
    a(13, "Inexécution des obligations"),
    a(14, "Bilan"),
    a(15, "Clause de révision"),
    a(
        16,
        "PROTECTION DES DONNÉES PERSONNELLES DES CANDIDATS A LA LOCATION",
    ),
    a(17, "REGLEMENT DES CONFLITS"),
];

/// The articles of model `m`, in order, numbered 1 to n without a gap.
pub fn articles(m: Modele) -> &'static [Article] {
    match m {
        Modele::Intercommunal => INTERCOMMUNAL,
        Modele::Bilateral => BILATERAL,
    }
}

/// Article `numero` of model `m`, if the model has it.
pub fn article(m: Modele, numero: u32) -> Option<&'static Article> {
    articles(m).iter().find(|a| a.numero == numero)
}

/// The number of model `m`'s last article (the dispositions particulières
/// are numbered after it).
pub fn dernier(m: Modele) -> u32 {
    articles(m).last().map_or(0, |a| a.numero)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `#article` heading of a model's body, as (number, title).
    fn entetes(m: Modele) -> Vec<(u32, String)> {
        let chemin = format!("{}/_corps.typ.j2", m.nom());
        let source = crate::assets::template(&chemin).expect("corps du modèle");
        let source = std::str::from_utf8(source).unwrap();
        source
            .lines()
            .filter_map(|l| {
                let reste = l.strip_prefix("#article(")?;
                // intercommunal: `#article(3)[Titre]`; bilateral: `#article("3", [Titre])`.
                let (numero, titre) = match m {
                    Modele::Intercommunal => reste.split_once(")[")?,
                    Modele::Bilateral => {
                        let reste = reste.strip_prefix('"')?;
                        let (n, t) = reste.split_once("\", [")?;
                        (n, t.strip_suffix(')')?)
                    }
                };
                Some((numero.parse().ok()?, titre.strip_suffix(']')?.to_string()))
            })
            .collect()
    }

    #[test]
    fn la_table_est_celle_des_gabarits() {
        for m in [Modele::Intercommunal, Modele::Bilateral] {
            let table: Vec<(u32, String)> = articles(m)
                .iter()
                .map(|a| (a.numero, a.titre.to_string()))
                .collect();
            assert_eq!(table, entetes(m), "modèle {}", m.nom());
        }
    }

    #[test]
    fn numerotes_sans_trou() {
        for m in [Modele::Intercommunal, Modele::Bilateral] {
            for (i, a) in articles(m).iter().enumerate() {
                assert_eq!(a.numero as usize, i + 1);
            }
        }
        assert_eq!(dernier(Modele::Intercommunal), 12);
        assert_eq!(dernier(Modele::Bilateral), 17);
    }
}
