//! Typed reading of the spanned YAML tree, collecting every problem.
//!
//! Each accessor records a French diagnostic (field path, what was found, what
//! is expected) and returns `None` instead of stopping, so `validate` reports
//! all the problems of a file at once. Unknown keys get a "vouliez-vous dire"
//! suggestion; duplicate keys are reported with both places.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::diagnostic::{Diagnostic, Diagnostics, Sp, Span, caractere_dangereux};
use crate::load::{Entry, Node, Value};
use crate::model::{Date, DateEffet, Logements, Taux};
/// How a date d'effet « à la signature » may be written.
pub const A_LA_SIGNATURE: &[&str] = &["à la signature", "a la signature", "signature"];

use crate::validate::limites::{
    DATE_ANNEE_MAX, DATE_ANNEE_MIN, TAUX_DECIMALES_MAX, TEXTE_COURT_MAX, TEXTE_LONG_MAX,
    TEXTES_TOTAL_MAX,
};

/// Collects diagnostics while reading one file.
#[derive(Default)]
pub struct Lecteur {
    pub diags: Diagnostics,
    /// Required fields found missing: (path, index of their diagnostic), so
    /// that a misspelt key and the field it misses make one diagnostic.
    manquants: Vec<(String, usize)>,
    /// Characters of text read so far (see [`TEXTES_TOTAL_MAX`]).
    caracteres: usize,
}

/// A YAML mapping being read: tracks which keys were used.
pub struct Table<'n> {
    pub node: &'n Node,
    entries: &'n [Entry],
    lus: Vec<bool>,
    pub chemin: String,
}

impl<'n> Table<'n> {
    pub fn span(&self) -> Span {
        self.node.span
    }

    /// The span of the key that introduced this table (or the table itself).
    pub fn a_la_cle(&self, cle: &str) -> Span {
        self.entries
            .iter()
            .find(|e| e.key == cle)
            .map_or(self.node.span, |e| e.key_span)
    }

    pub fn a(&self, cle: &str) -> bool {
        self.entries.iter().any(|e| e.key == cle)
    }

    pub fn cles(&self) -> impl Iterator<Item = &'n Entry> {
        self.entries.iter()
    }
}

pub fn joindre(chemin: &str, cle: &str) -> String {
    if chemin.is_empty() {
        cle.to_string()
    } else {
        format!("{chemin}.{cle}")
    }
}

/// The date meant by a date written in words (« 31 décembre 2022 »,
/// « 1er janvier 2024 ») or day first with dashes or dots (`31-12-2022`,
/// `31.12.2022`), as `AAAA-MM-JJ`; `None` if it is not such a date.
pub fn suggestion_date(t: &str) -> Option<String> {
    let t = t.trim().to_lowercase();
    let mots: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == '-' || c == '.' || c == '/')
        .filter(|m| !m.is_empty())
        .collect();
    let [jour, mois, annee] = match mots[..] {
        // Year first with slashes or dots: `2022/12/31`.
        [a, m, j] if a.len() == 4 => [j, m, a],
        [j, m, a] => [j, m, a],
        _ => return None,
    };
    let jour: u8 = jour.trim_end_matches("er").parse().ok()?;
    let sans_accent = |m: &str| m.replace(['é', 'è', 'ê'], "e").replace('û', "u");
    let mois: u8 = match mois.parse::<u8>() {
        Ok(m) => m,
        Err(_) => {
            let i = crate::francais::MOIS
                .iter()
                .position(|m| sans_accent(m) == sans_accent(mois))?;
            u8::try_from(i + 1).ok()?
        }
    };
    let annee: i32 = annee.parse().ok()?;
    let iso = format!("{annee:04}-{mois:02}-{jour:02}");
    // Only a date that exists, and not what was written already.
    (Date::parse(&iso).is_some() && iso != t).then_some(iso)
}

/// The whole number meant by one written with spaces between thousands
/// (« 1 887 », with a space, a no-break or a narrow no-break space).
pub fn suggestion_entier(t: &str) -> Option<String> {
    let t = t.trim();
    let groupes: Vec<&str> = t.split([' ', '\u{a0}', '\u{202f}']).collect();
    let bien_groupe = groupes.len() > 1
        && groupes
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        && groupes[0].len() <= 3
        && groupes[1..].iter().all(|g| g.len() == 3);
    bien_groupe.then(|| groupes.concat())
}

/// A value quoted in a message, cut after 30 characters.
fn court(t: &str) -> String {
    if t.chars().count() > 30 {
        let debut: String = t.chars().take(30).collect();
        format!("{debut}…")
    } else {
        t.to_string()
    }
}

fn extrait(n: &Node) -> String {
    match &n.value {
        Value::Null => "une valeur vide".to_string(),
        Value::Bool(b) => format!("« {b} »"),
        Value::Nombre(t) | Value::Texte(t) => {
            let t: String = t.chars().take(40).collect();
            format!("« {t} »")
        }
        v => v.nature().to_string(),
    }
}

/// Rules named in several places (see `Diagnostic::regle`).
pub const FORME: &str = "valeur d'une autre forme";
pub const MANQUANT: &str = "champ obligatoire manquant";
pub const INCONNUE: &str = "clé inconnue";
const TROP_LONG: &str = "texte trop long";

impl Lecteur {
    pub fn erreur(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Adds to the last diagnostic the value the user most likely meant.
    fn suggerer(&mut self, valeur: &str) {
        if let Some(d) = self.diags.0.last_mut() {
            d.label = format!("écrivez {valeur}");
            d.notes.push(format!("vouliez-vous dire `{valeur}` ?"));
            d.suggestion = Some(valeur.to_string());
        }
    }

    fn type_invalide(&mut self, n: &Node, chemin: &str, attendu: &str) {
        if chemin.is_empty() {
            self.diags.push(
                Diagnostic::erreur(
                    format!("le document : {} n'est pas {attendu}", extrait(n)),
                    Some(n.span),
                )
                .label(format!("attendu : {attendu}"))
                .note("voir docs/format.md pour la structure attendue")
                .regle(FORME),
            );
            return;
        }
        self.diags.push(
            Diagnostic::erreur(
                format!("`{chemin}` : {} n'est pas {attendu}", extrait(n)),
                Some(n.span),
            )
            .label(format!("attendu : {attendu}"))
            .note(format!("champ `{chemin}` : {attendu}"))
            .regle(FORME),
        );
    }

    /// Opens a mapping; reports a type error otherwise.
    pub fn table<'n>(&mut self, n: &'n Node, chemin: &str) -> Option<Table<'n>> {
        match &n.value {
            Value::Map(entries) => {
                self.doublons(entries, chemin);
                Some(Table {
                    node: n,
                    entries,
                    lus: vec![false; entries.len()],
                    chemin: chemin.to_string(),
                })
            }
            _ => {
                self.type_invalide(n, chemin, "une table de clés (`cle: valeur`)");
                None
            }
        }
    }

    fn doublons(&mut self, entries: &[Entry], chemin: &str) {
        for (i, e) in entries.iter().enumerate() {
            if let Some(premier) = entries[..i].iter().find(|p| p.key == e.key) {
                let (l, _) = (premier.key_span.start, 0);
                let _ = l;
                self.diags.push(
                    Diagnostic::erreur(
                        format!("clé `{}` en double dans `{}`", e.key, if chemin.is_empty() { "le document" } else { chemin }),
                        Some(e.key_span),
                    )
                    .label("deuxième occurrence")
                    .note("une clé ne peut figurer qu'une fois : supprimez l'une des deux occurrences")
                    .regle("clé en double"),
                );
            }
        }
    }

    /// The value of `cle`, if present (null counts as present: see `opt_*`).
    pub fn champ<'n>(&mut self, t: &mut Table<'n>, cle: &str) -> Option<&'n Node> {
        let i = t.entries.iter().position(|e| e.key == cle)?;
        for (j, e) in t.entries.iter().enumerate() {
            if e.key == cle {
                t.lus[j] = true;
            }
        }
        Some(&t.entries[i].value)
    }

    /// A required field: reports its absence (or an empty value).
    pub fn requis<'n>(&mut self, t: &mut Table<'n>, cle: &str, attendu: &str) -> Option<&'n Node> {
        match self.champ(t, cle) {
            Some(n) if n.value != Value::Null => Some(n),
            Some(n) => {
                let chemin = joindre(&t.chemin, cle);
                self.diags.push(
                    Diagnostic::erreur(
                        format!("`{chemin}` est vide ; attendu : {attendu}"),
                        Some(n.span),
                    )
                    .label("valeur manquante")
                    .note(format!("champ obligatoire `{chemin}` : {attendu}"))
                    .regle(MANQUANT),
                );
                None
            }
            None => {
                let chemin = joindre(&t.chemin, cle);
                let span = if t.chemin.is_empty() {
                    Span::new(0, 0)
                } else {
                    t.node.cle
                };
                self.manquants.push((chemin.clone(), self.diags.0.len()));
                self.diags.push(
                    Diagnostic::erreur(
                        format!("champ obligatoire manquant : `{chemin}`"),
                        Some(span),
                    )
                    .label(format!("`{cle}` manque ici"))
                    .note(format!("ajoutez `{cle}:` ({attendu})"))
                    .regle(MANQUANT),
                );
                None
            }
        }
    }

    /// Reports every key of the table that was not read, with a suggestion.
    pub fn fin(&mut self, t: Table<'_>, connues: &[&str]) {
        for (i, (e, lu)) in t.entries.iter().zip(&t.lus).enumerate() {
            if *lu {
                continue;
            }
            let chemin = joindre(&t.chemin, &e.key);
            if let Some(d) = i
                .checked_sub(1)
                .and_then(|j| virgule_decimale(&t.entries[j], e, &chemin))
            {
                self.diags.push(d);
                continue;
            }
            let proche = connues
                .iter()
                .map(|c| (strsim::jaro_winkler(c, &e.key), *c))
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            // A misspelt required key: one diagnostic, where the old
            // « champ manquant » was, saying both.
            if let Some((_, c)) = proche {
                let voulu = joindre(&t.chemin, c);
                if let Some(k) = self.manquants.iter().position(|(m, _)| *m == voulu) {
                    let (_, i) = self.manquants.swap_remove(k);
                    if let Some(d) = self.diags.0.get_mut(i) {
                        *d = Diagnostic::erreur(
                            format!(
                                "clé `{}` inconnue : vouliez-vous dire `{c}` ? (champ obligatoire)",
                                e.key
                            ),
                            Some(e.key_span),
                        )
                        .label(format!("écrivez `{c}`"))
                        .note(format!("champ obligatoire manquant : `{voulu}`"))
                        .regle(INCONNUE)
                        .suggestion(c);
                        continue;
                    }
                }
            }
            let mut d = Diagnostic::erreur(format!("clé inconnue : `{chemin}`"), Some(e.key_span))
                .label("clé inconnue")
                .regle(INCONNUE);
            if let Some((_, c)) = proche {
                d = d.note(format!("vouliez-vous dire `{c}` ?")).suggestion(c);
            }
            let liste = if connues.is_empty() {
                "aucune clé".to_string()
            } else {
                connues
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            d = d.note(format!("clés attendues ici : {liste}"));
            self.diags.push(d);
        }
    }

    /// Checks that a list or table of `nombre` items has at most `max`
    /// (`quoi`: what is counted, plural); reports at the list otherwise.
    pub fn borne(&mut self, n: &Node, chemin: &str, nombre: usize, max: usize, quoi: &str) -> bool {
        if nombre <= max {
            return true;
        }
        self.diags.push(
            Diagnostic::erreur(
                format!("`{chemin}` : {nombre} {quoi}, au plus {max}"),
                Some(n.span),
            )
            .label(format!("au plus {max} {quoi}"))
            .note(format!(
                "chaque élément ajoute des pages aux documents : au-delà de {max} {quoi}, ils ne peuvent être composés dans une mémoire bornée ; découpez la convention"
            ))
            .regle("liste trop longue"),
        );
        false
    }

    pub fn liste<'n>(&mut self, n: &'n Node, chemin: &str) -> Option<&'n [Node]> {
        match &n.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.type_invalide(n, chemin, "une liste (`- élément`)");
                None
            }
        }
    }

    /// Reads every item of a list with `f` (path `chemin[i]`), reporting the
    /// problems of all items; `None` if the list or any item is invalid.
    pub fn elements<T>(
        &mut self,
        n: &Node,
        chemin: &str,
        mut f: impl FnMut(&mut Lecteur, &Node, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.liste(n, chemin)?;
        let lus: Vec<Option<T>> = items
            .iter()
            .enumerate()
            .map(|(i, it)| f(self, it, &format!("{chemin}[{i}]")))
            .collect();
        lus.into_iter().collect()
    }

    /// Reads every `key: value` of a mapping with `f` (path `chemin.key`),
    /// reporting the problems of all entries; `None` if any is invalid.
    pub fn entrees<T>(
        &mut self,
        n: &Node,
        chemin: &str,
        mut f: impl FnMut(&mut Lecteur, &Entry, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let t = self.table(n, chemin)?;
        let lus: Vec<Option<T>> = t
            .cles()
            .map(|e| f(self, e, &joindre(chemin, &e.key)))
            .collect();
        lus.into_iter().collect()
    }

    /// A short text (name, title, quality…): at most [`TEXTE_COURT_MAX`] characters.
    pub fn texte(&mut self, n: &Node, chemin: &str) -> Option<String> {
        self.texte_borne(n, chemin, TEXTE_COURT_MAX)
    }

    /// A paragraph, bullet or cell of `textes`: at most [`TEXTE_LONG_MAX`] characters.
    pub fn texte_long(&mut self, n: &Node, chemin: &str) -> Option<String> {
        self.texte_borne(n, chemin, TEXTE_LONG_MAX)
    }

    fn texte_borne(&mut self, n: &Node, chemin: &str, max: usize) -> Option<String> {
        match &n.value {
            Value::Texte(t) | Value::Nombre(t) => self
                .verifier_texte(t, n.span, chemin, max)
                .then(|| t.clone()),
            _ => {
                self.type_invalide(n, chemin, "un texte");
                None
            }
        }
    }

    /// Checks a text that will be printed (a value, or a key such as a
    /// financing kind): no control or invisible formatting character, only
    /// characters of the documents' font, at most `max` characters, within the
    /// file's total budget ([`TEXTES_TOTAL_MAX`]). Reports and returns `false`
    /// otherwise.
    pub fn verifier_texte(&mut self, t: &str, span: Span, chemin: &str, max: usize) -> bool {
        if let Some(c) = t.chars().find(|c| caractere_dangereux(*c)) {
            self.diags.push(
                Diagnostic::erreur(
                    format!("`{chemin}` : caractère de contrôle U+{:04X} interdit", c as u32),
                    Some(span),
                )
                .label("caractère de contrôle ou de mise en forme invisible")
                .note("les caractères de contrôle (U+0000 à U+001F sauf tabulation et saut de ligne, U+007F à U+009F) et les marques invisibles de sens d'écriture (U+202A à U+202E, U+2066 à U+2069…) ne s'impriment pas : supprimez-les")
                .regle("caractère de contrôle"),
            );
            return false;
        }
        if let Some(c) = t.chars().find(|c| !crate::assets::caractere_imprimable(*c)) {
            self.diags.push(
                Diagnostic::erreur(
                    format!("`{chemin}` : le caractère « {c} » (U+{:04X}) ne peut pas être imprimé", c as u32),
                    Some(span),
                )
                .label("caractère absent de la police des documents")
                .note("la police Libertinus Serif couvre l'alphabet latin (accents compris), le grec et le cyrillique : remplacez ce caractère")
                .regle("caractère absent de la police"),
            );
            return false;
        }
        let longueur = t.chars().count();
        if longueur > max {
            self.diags.push(
                Diagnostic::erreur(
                    format!("`{chemin}` : texte trop long ({longueur} caractères, au plus {max})"),
                    Some(span),
                )
                .label(format!("{longueur} caractères"))
                .note(format!(
                    "au plus {TEXTE_COURT_MAX} caractères pour un nom, un titre ou une mention, {TEXTE_LONG_MAX} pour un paragraphe de `textes` : raccourcissez ou découpez le texte"
                ))
                .regle(TROP_LONG),
            );
            return false;
        }
        let avant = self.caracteres;
        self.caracteres += longueur;
        if avant <= TEXTES_TOTAL_MAX && self.caracteres > TEXTES_TOTAL_MAX {
            self.diags.push(
                Diagnostic::erreur(
                    format!(
                        "`{chemin}` : le fichier dépasse {TEXTES_TOTAL_MAX} caractères de texte au total"
                    ),
                    Some(span),
                )
                .label(format!("{} caractères jusqu'ici", self.caracteres))
                .note(format!(
                    "une convention compte au plus {TEXTES_TOTAL_MAX} caractères de texte (noms, titres, paragraphes) : au-delà, les documents ne peuvent être composés dans une mémoire bornée"
                ))
                .regle(TROP_LONG),
            );
            return false;
        }
        true
    }

    /// Optional text: absent or null gives `None` without error.
    pub fn opt_texte(&mut self, t: &mut Table<'_>, cle: &str) -> Option<String> {
        let n = self.champ(t, cle)?;
        if n.value == Value::Null {
            return None;
        }
        self.texte(n, &joindre(&t.chemin, cle))
    }

    pub fn req_texte(&mut self, t: &mut Table<'_>, cle: &str) -> Option<String> {
        let n = self.requis(t, cle, "un texte")?;
        let s = self.texte(n, &joindre(&t.chemin, cle))?;
        if s.trim().is_empty() {
            self.type_invalide(n, &joindre(&t.chemin, cle), "un texte non vide");
            return None;
        }
        Some(s)
    }

    pub fn booleen(&mut self, n: &Node, chemin: &str) -> Option<bool> {
        match &n.value {
            Value::Bool(b) => Some(*b),
            Value::Texte(t) if ["oui", "yes"].iter().any(|o| t.eq_ignore_ascii_case(o)) => {
                Some(true)
            }
            Value::Texte(t) if ["non", "no"].iter().any(|o| t.eq_ignore_ascii_case(o)) => {
                Some(false)
            }
            _ => {
                self.type_invalide(n, chemin, "`true` ou `false` (ou `oui`, `non`)");
                None
            }
        }
    }

    /// A non-negative whole number of dwellings.
    pub fn logements(&mut self, n: &Node, chemin: &str) -> Option<Sp<Logements>> {
        self.entier(
            n,
            chemin,
            u64::from(u32::MAX),
            "un nombre entier de logements, positif ou nul",
        )
        .map(|v| Sp::new(Logements(v as u32), n.span))
    }

    /// A whole number in `0..=max`.
    pub fn entier(&mut self, n: &Node, chemin: &str, max: u64, attendu: &str) -> Option<u64> {
        let texte = match &n.value {
            Value::Nombre(t) => t.replace('_', ""),
            Value::Texte(t) => {
                self.type_invalide(n, chemin, attendu);
                if let Some(s) = suggestion_entier(t) {
                    self.suggerer(&s);
                }
                return None;
            }
            _ => {
                self.type_invalide(n, chemin, attendu);
                return None;
            }
        };
        match texte.parse::<u64>() {
            Ok(v) if v <= max => Some(v),
            Ok(_) => {
                self.diags.push(
                    Diagnostic::erreur(
                        format!("`{chemin}` : valeur trop grande ({})", court(&texte)),
                        Some(n.span),
                    )
                    .label(format!("au plus {max}"))
                    .note(format!("attendu : {attendu}, au plus {max}"))
                    .regle("nombre trop grand"),
                );
                None
            }
            Err(_) => {
                let negatif = texte.starts_with('-');
                let texte = court(&texte);
                let decimal = texte.contains('.') || texte.contains('e') || texte.contains('E');
                let quoi = if negatif {
                    "nombre négatif"
                } else if decimal {
                    "nombre décimal"
                } else {
                    "nombre trop grand ou invalide"
                };
                self.diags.push(
                    Diagnostic::erreur(
                        format!("`{chemin}` : {quoi} ({texte}) ; attendu : {attendu}"),
                        Some(n.span),
                    )
                    .label(format!("attendu : {attendu}"))
                    .note(format!("champ `{chemin}` : {attendu}"))
                    .regle(FORME),
                );
                None
            }
        }
    }

    pub fn opt_logements(&mut self, t: &mut Table<'_>, cle: &str) -> Option<Sp<Logements>> {
        let n = self.champ(t, cle)?;
        if n.value == Value::Null {
            return None;
        }
        self.logements(n, &joindre(&t.chemin, cle))
    }

    pub fn req_logements(&mut self, t: &mut Table<'_>, cle: &str) -> Option<Sp<Logements>> {
        let n = self.requis(t, cle, "un nombre entier de logements")?;
        self.logements(n, &joindre(&t.chemin, cle))
    }

    /// A year between 1950 and 2150.
    pub fn annee(&mut self, n: &Node, chemin: &str) -> Option<Sp<i32>> {
        let v = self.entier(n, chemin, 2150, "une année (AAAA)")?;
        if v < 1950 {
            self.type_invalide(n, chemin, "une année entre 1950 et 2150");
            return None;
        }
        Some(Sp::new(v as i32, n.span))
    }

    /// A percentage written `6.82`, `6,82`, `"6,82 %"` or `"6.82%"`, in [0, 100]. Exact.
    pub fn taux(&mut self, n: &Node, chemin: &str) -> Option<Sp<Taux>> {
        let attendu = "un pourcentage entre 0 et 100 (par exemple 6.82 ou \"6,82 %\")";
        let texte = match &n.value {
            Value::Nombre(t) | Value::Texte(t) => t.clone(),
            _ => {
                self.type_invalide(n, chemin, attendu);
                return None;
            }
        };
        let net = texte
            .trim()
            .trim_end_matches('%')
            .trim_end()
            .replace(',', ".")
            .replace(['\u{202f}', '\u{a0}'], "");
        match parse_decimal(&net) {
            Some(d) if d.scale() > TAUX_DECIMALES_MAX => {
                self.diags.push(
                    Diagnostic::erreur(
                        format!(
                            "`{chemin}` : taux avec {} décimales ({}), au plus {TAUX_DECIMALES_MAX}",
                            d.scale(),
                            court(&texte)
                        ),
                        Some(n.span),
                    )
                    .label(format!("au plus {TAUX_DECIMALES_MAX} décimales"))
                    .note(format!(
                        "un taux s'écrit avec {TAUX_DECIMALES_MAX} décimales au plus (6,82 ou 13,5538) : au-delà, les calculs ne seraient plus exacts"
                    ))
                    .regle("taux trop précis"),
                );
                None
            }
            Some(d) if d >= Decimal::ZERO && d <= Decimal::ONE_HUNDRED => {
                if let Some(x) = taux_en_fraction(d, &texte) {
                    let fr = crate::francais::exact;
                    self.diags.push(
                        Diagnostic::avertissement(
                            format!(
                                "`{chemin}` : {} % ressemble à une fraction : vouliez-vous dire {} % ?",
                                fr(d),
                                fr(x)
                            ),
                            Some(n.span),
                        )
                        .label(format!("vouliez-vous dire {} % ?", fr(x)))
                        .note(format!(
                            "un taux s'écrit en pourcentage : {} ou \"{} %\" ; si {} % est bien le taux voulu, écrivez \"{} %\" avec le signe %",
                            x.normalize(),
                            fr(x),
                            fr(d),
                            fr(d)
                        ))
                        .regle("taux écrit en fraction")
                        .suggestion(x.normalize().to_string()),
                    );
                }
                Some(Sp::new(Taux(d), n.span))
            }
            Some(d) => {
                self.diags.push(
                    Diagnostic::erreur(
                        format!("`{chemin}` : taux hors de [0, 100] ({texte})"),
                        Some(n.span),
                    )
                    .label(if d < Decimal::ZERO {
                        "taux négatif"
                    } else {
                        "taux supérieur à 100 %"
                    })
                    .note(format!("attendu : {attendu}"))
                    .regle("taux hors de 0 à 100 %"),
                );
                None
            }
            None => {
                self.type_invalide(n, chemin, attendu);
                None
            }
        }
    }

    pub fn opt_taux(&mut self, t: &mut Table<'_>, cle: &str) -> Option<Sp<Taux>> {
        let n = self.champ(t, cle)?;
        if n.value == Value::Null {
            return None;
        }
        self.taux(n, &joindre(&t.chemin, cle))
    }

    /// A decimal amount (euros), exact.
    pub fn decimal(&mut self, n: &Node, chemin: &str) -> Option<Decimal> {
        let texte = match &n.value {
            Value::Nombre(t) | Value::Texte(t) => t.clone(),
            _ => {
                self.type_invalide(
                    n,
                    chemin,
                    "un montant (par exemple 1500000 ou \"1 500 000,00\")",
                );
                return None;
            }
        };
        let net: String = texte
            .trim()
            .trim_end_matches('€')
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}')
            .collect::<String>()
            .replace(',', ".");
        match parse_decimal(&net) {
            Some(d) if d >= Decimal::ZERO => Some(d),
            _ => {
                self.type_invalide(
                    n,
                    chemin,
                    "un montant positif (par exemple 1500000 ou \"1 500 000,00\")",
                );
                None
            }
        }
    }

    /// A date `AAAA-MM-JJ` or `JJ/MM/AAAA`.
    /// The optional `signature: { lieu, date }` of a convention or an
    /// avenant (`chemin` names it in messages): the place and the date, each
    /// possibly absent (a blank to fill by hand).
    pub fn signature(&mut self, t: &mut Table<'_>, chemin: &str) -> (Option<String>, Option<Date>) {
        match self.champ(t, "signature") {
            Some(n) if n.value != Value::Null => match self.table(n, chemin) {
                Some(mut s) => {
                    let lieu = self.opt_texte(&mut s, "lieu");
                    let date = self.opt_date(&mut s, "date").map(|d| d.v);
                    self.fin(s, &["lieu", "date"]);
                    (lieu, date)
                }
                None => (None, None),
            },
            _ => (None, None),
        }
    }

    /// A date d'effet: a date, or one of [`A_LA_SIGNATURE`] (the act runs
    /// from its signature).
    pub fn date_effet(&mut self, n: &Node, chemin: &str) -> Option<DateEffet> {
        match &n.value {
            Value::Texte(s) if A_LA_SIGNATURE.contains(&s.trim()) => Some(DateEffet::ALaSignature),
            _ => self.date(n, chemin).map(|d| DateEffet::Date(d.v)),
        }
    }

    pub fn date(&mut self, n: &Node, chemin: &str) -> Option<Sp<Date>> {
        let attendu = "une date AAAA-MM-JJ (par exemple 2022-12-31)";
        match &n.value {
            Value::Texte(t) | Value::Nombre(t) => match Date::parse(t) {
                Some(d) if !(DATE_ANNEE_MIN..=DATE_ANNEE_MAX).contains(&d.annee) => {
                    self.diags.push(
                        Diagnostic::erreur(
                            format!(
                                "`{chemin}` : date hors de la période admise ({})",
                                court(t.trim())
                            ),
                            Some(n.span),
                        )
                        .label(format!(
                            "attendu : entre le 01/01/{DATE_ANNEE_MIN} et le 31/12/{DATE_ANNEE_MAX}"
                        ))
                        .note(format!(
                            "les conventions de gestion en flux datent de la loi ELAN (2018) : une date de {DATE_ANNEE_MIN} à {DATE_ANNEE_MAX} est attendue ; vérifiez l'année"
                        ))
                        .regle("date hors de la période admise"),
                    );
                    None
                }
                Some(d) => Some(Sp::new(d, n.span)),
                None => {
                    self.type_invalide(n, chemin, attendu);
                    if let Some(s) = suggestion_date(t) {
                        self.suggerer(&s);
                    }
                    None
                }
            },
            _ => {
                self.type_invalide(n, chemin, attendu);
                None
            }
        }
    }

    pub fn opt_date(&mut self, t: &mut Table<'_>, cle: &str) -> Option<Sp<Date>> {
        let n = self.champ(t, cle)?;
        if n.value == Value::Null {
            return None;
        }
        self.date(n, &joindre(&t.chemin, cle))
    }

    /// One of a fixed set of words.
    pub fn choix<T: Copy>(&mut self, n: &Node, chemin: &str, options: &[(&str, T)]) -> Option<T> {
        let noms: Vec<String> = options.iter().map(|(k, _)| format!("`{k}`")).collect();
        let attendu = format!("l'une des valeurs {}", noms.join(", "));
        let t = match &n.value {
            Value::Texte(t) => t.trim().to_string(),
            _ => {
                self.type_invalide(n, chemin, &attendu);
                return None;
            }
        };
        if let Some((_, v)) = options.iter().find(|(k, _)| *k == t) {
            return Some(*v);
        }
        let proche = options
            .iter()
            .map(|(k, _)| (strsim::jaro_winkler(k, &t), *k))
            .filter(|(s, _)| *s > 0.75)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let mut d = Diagnostic::erreur(
            format!("`{chemin}` : valeur inconnue « {t} »"),
            Some(n.span),
        )
        .label("valeur inconnue")
        .note(format!("attendu : {attendu}"))
        .regle("valeur inconnue");
        if let Some((_, k)) = proche {
            d = d.note(format!("vouliez-vous dire `{k}` ?")).suggestion(k);
        }
        self.diags.push(d);
        None
    }

    /// An identifier: lowercase letters, digits and hyphens (used in file names).
    pub fn identifiant(&mut self, n: &Node, chemin: &str) -> Option<Sp<String>> {
        let t = self.texte(n, chemin)?;
        let ok = !t.is_empty()
            && t.len() <= 64
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !t.starts_with('-');
        if ok {
            Some(Sp::new(t, n.span))
        } else {
            self.type_invalide(
                n,
                chemin,
                "un identifiant en minuscules, chiffres et tirets (par exemple `le-port`)",
            );
            None
        }
    }
}

/// A rate written like a fraction (`0.0682` for 6,82 %): strictly between
/// 0 and 1, without a `%` sign. Returns the percentage it probably means
/// (× 100). Rates of conventions are percentages of a few units (rotation
/// 4 to 12 %, réservataires 1 to 30 %); below 1 % without a sign is
/// implausible. No legal rule: a check of the file format.
pub fn taux_en_fraction(d: Decimal, texte: &str) -> Option<Decimal> {
    (d > Decimal::ZERO && d < Decimal::ONE && !texte.contains('%'))
        .then(|| (d * Decimal::ONE_HUNDRED).normalize())
}

#[cfg(test)]
mod test_taux_en_fraction {
    use super::*;

    #[test]
    fn a_rate_below_one_without_percent_sign_looks_like_a_fraction() {
        let d = |s: &str| parse_decimal(s).unwrap();
        assert_eq!(taux_en_fraction(d("0.0682"), "0.0682"), Some(d("6.82")));
        assert_eq!(taux_en_fraction(d("0.2"), "0,2"), Some(d("20")));
        assert_eq!(taux_en_fraction(d("0.5"), "0,5 %"), None);
        assert_eq!(taux_en_fraction(d("6.82"), "6.82"), None);
        assert_eq!(taux_en_fraction(d("0"), "0"), None);
        assert_eq!(taux_en_fraction(d("1"), "1"), None);
    }
}

/// Parses a plain decimal number from its text, exactly (no float).
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty()
        || s.len() > 40
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+')
    {
        return None;
    }
    Decimal::from_str(s).ok()
}

#[cfg(test)]
mod suggestions {
    use super::*;

    #[test]
    fn dates_in_words_or_day_first_get_their_iso_form() {
        assert_eq!(
            suggestion_date("31 décembre 2022").as_deref(),
            Some("2022-12-31")
        );
        assert_eq!(
            suggestion_date("1er janvier 2024").as_deref(),
            Some("2024-01-01")
        );
        assert_eq!(suggestion_date("31-12-2022").as_deref(), Some("2022-12-31"));
        assert_eq!(
            suggestion_date("3 fevrier 2024").as_deref(),
            Some("2024-02-03")
        );
        assert_eq!(suggestion_date("31 février 2024"), None);
        assert_eq!(suggestion_date("2022-13-31"), None);
        assert_eq!(suggestion_date("bientôt"), None);
    }

    #[test]
    fn thousands_with_spaces_get_their_plain_form() {
        assert_eq!(suggestion_entier("1 887").as_deref(), Some("1887"));
        assert_eq!(
            suggestion_entier("12\u{202f}345 678").as_deref(),
            Some("12345678")
        );
        assert_eq!(suggestion_entier("1 88"), None);
        assert_eq!(suggestion_entier("mille"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::charger;

    fn lire_taux(src: &str) -> (Option<Sp<Taux>>, Diagnostics) {
        let n = charger(src).unwrap();
        let mut l = Lecteur::default();
        let mut t = l.table(&n, "").unwrap();
        let v = l.opt_taux(&mut t, "taux");
        (v, l.diags)
    }

    #[test]
    fn rates_in_every_written_form_are_exact() {
        for src in [
            "taux: 6.82",
            "taux: \"6,82 %\"",
            "taux: 6,82",
            "taux: \"6.82%\"",
        ] {
            let (v, d) = lire_taux(src);
            assert_eq!(
                v.unwrap().v,
                Taux(Decimal::from_str("6.82").unwrap()),
                "{src} {d:?}"
            );
        }
        let (v, _) = lire_taux("taux: 4.80");
        assert_eq!(v.unwrap().v.0.to_string(), "4.80");
    }

    #[test]
    fn rate_over_100_is_an_error() {
        let (v, d) = lire_taux("taux: 120");
        assert!(v.is_none());
        assert!(d.0[0].message.contains("hors de [0, 100]"));
    }

    // Regression: 4294967286 × 99.34567890401331120431919383 % was rounded
    // at 28 digits to 4 266 864 178,5, then up, instead of refused.
    #[test]
    fn rate_with_more_than_four_decimals_is_refused() {
        let (v, d) = lire_taux("taux: 99.34567890401331120431919383");
        assert!(v.is_none());
        assert!(d.0[0].message.contains("26 décimales"), "{d:?}");
        let (v, _) = lire_taux("taux: \"13,5538 %\"");
        assert_eq!(v.unwrap().v.0.to_string(), "13.5538");
    }

    fn lire_texte(src: &str) -> (Option<String>, Diagnostics) {
        let n = charger(src).unwrap();
        let mut l = Lecteur::default();
        let mut t = l.table(&n, "").unwrap();
        let v = l.opt_texte(&mut t, "nom");
        (v, l.diags)
    }

    // Regression: an ESC in a name was accepted with a message echoing it raw;
    // C1 controls and bidi overrides reached the PDFs.
    #[test]
    fn control_and_bidi_characters_are_refused_by_code_point() {
        for (src, code) in [
            ("nom: \"A\\e[31mB\"", "U+001B"),
            ("nom: \"A\\x9bB\"", "U+009B"),
            ("nom: \"A\u{202e}B\"", "U+202E"),
            ("nom: \"A\u{2066}B\"", "U+2066"),
        ] {
            let (v, d) = lire_texte(src);
            assert!(v.is_none(), "{src}");
            assert!(d.0[0].message.contains(code), "{src} {d:?}");
        }
        assert_eq!(lire_texte("nom: \"a\tb\"").0.as_deref(), Some("a\tb"));
    }

    // Regression: a 1 MB name passed `verifier`, then typesetting climbed to
    // 22.8 GB (a 100 KB one failed on a PDF string of the title).
    #[test]
    fn texts_are_bounded_one_by_one_and_in_total() {
        let (v, d) = lire_texte(&format!("nom: {}", "a".repeat(TEXTE_COURT_MAX + 1)));
        assert!(v.is_none());
        assert!(
            d.0[0].message.contains("201 caractères, au plus 200"),
            "{d:?}"
        );
        assert!(
            lire_texte(&format!("nom: {}", "a".repeat(TEXTE_COURT_MAX)))
                .0
                .is_some()
        );
        let n = charger(&format!("p: {}", "b".repeat(TEXTE_LONG_MAX))).unwrap();
        let mut l = Lecteur::default();
        let t = l.table(&n, "").unwrap();
        let p = &t.cles().next().unwrap().value;
        let mut lus = 0;
        while l.texte_long(p, "textes.p").is_some() {
            lus += 1;
        }
        assert_eq!(lus, TEXTES_TOTAL_MAX / TEXTE_LONG_MAX);
        assert!(
            l.diags.0[0]
                .message
                .contains("caractères de texte au total")
        );
    }

    #[test]
    fn dates_outside_the_plausible_period_are_refused() {
        for (src, ok) in [
            ("d: 9999-12-31", false),
            ("d: 1999-12-31", false),
            ("d: 2101-01-01", false),
            ("d: 2000-01-01", true),
            ("d: 2100-12-31", true),
        ] {
            let n = charger(src).unwrap();
            let mut l = Lecteur::default();
            let mut t = l.table(&n, "").unwrap();
            let v = l.opt_date(&mut t, "d");
            assert_eq!(v.is_some(), ok, "{src} {:?}", l.diags);
            if !ok {
                assert!(l.diags.0[0].message.contains("hors de la période admise"));
            }
        }
    }

    #[test]
    fn unknown_key_suggests() {
        let n = charger("logement: 3\n").unwrap();
        let mut l = Lecteur::default();
        let t = l.table(&n, "patrimoine").unwrap();
        l.fin(t, &["logements", "date", "source"]);
        assert!(l.diags.0[0].notes.iter().any(|x| x.contains("`logements`")));
    }
}

/// A decimal comma inside `{ … }`: YAML reads `{ taux: 6,82, annee: 2022 }`
/// as `taux: 6` and a key `82` with no value. The unknown key `82` gets
/// this diagnostic instead of « clé inconnue » alone: the number as meant,
/// and how to write it. `avant` is the entry before `e` in its mapping.
fn virgule_decimale(avant: &Entry, e: &Entry, chemin: &str) -> Option<Diagnostic> {
    let Value::Nombre(entier) = &avant.value.value else {
        return None;
    };
    let chiffres = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(chiffres(entier) && chiffres(&e.key) && e.value.value == Value::Null) {
        return None;
    }
    let (cle, voulu) = (&avant.key, format!("{entier},{}", e.key));
    Some(
        Diagnostic::erreur(
            format!(
                "clé inconnue : `{chemin}` : entre accolades, la virgule sépare les champs, et `{cle}: {voulu}` s'y lit `{cle}: {entier}` puis une clé `{}`",
                e.key
            ),
            Some(e.key_span),
        )
        .label(format!("écrivez `{cle}: \"{voulu}\"`, entre guillemets"))
        .note(format!(
            "entre guillemets, ou hors accolades (un champ par ligne), `{cle}: {voulu}` est lu {voulu}"
        ))
        .regle(INCONNUE),
    )
}
