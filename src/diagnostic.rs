//! Located problems as values: every rule pushes a [`Diagnostic`] and goes on,
//! so a file's problems are all reported in one run.
//!
//! Spans are byte ranges into the source text; line and column are computed
//! only when printing (codespan-reporting), in French. Nothing from the data
//! reaches the terminal raw: [`affichable`] makes control and invisible
//! formatting characters visible in file names, messages and source lines.

use std::borrow::Cow;
use std::fmt::Write as _;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};

/// A byte range `[start, end)` in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A value with the span it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp<T> {
    pub v: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub const fn new(v: T, span: Span) -> Self {
        Sp { v, span }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Avertissement,
    Erreur,
}

/// One problem found in a file: a message, where, what the user wrote, the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// Short text under the underlined value (e.g. "calculé : 16 logements").
    pub label: String,
    /// The rule and its source, the expected value.
    pub notes: Vec<String>,
    /// The rule in a few French words (« signataire sans nom », « clé
    /// inconnue »): a batch counts its warnings by rule (`generer`'s
    /// summary), `verifier --format json` gives it. Empty when unnamed.
    pub regle: &'static str,
    /// What the user most likely meant to write, as it is written in the
    /// file (a key, `2022-12-31`, `6.82`): the « vouliez-vous dire » of the
    /// message or its notes, given alone to `verifier --format json`.
    pub suggestion: Option<String>,
}

impl Diagnostic {
    pub fn erreur(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            severity: Severity::Erreur,
            message: message.into(),
            span,
            label: String::new(),
            notes: Vec::new(),
            regle: "",
            suggestion: None,
        }
    }

    pub fn avertissement(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            severity: Severity::Avertissement,
            ..Diagnostic::erreur(message, span)
        }
    }

    /// An error of the rule `regle` (see [`Diagnostic::regle`]).
    pub fn erreur_de(regle: &'static str, message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic::erreur(message, span).regle(regle)
    }

    /// A warning of the rule `regle` (see [`Diagnostic::regle`]).
    pub fn avertissement_de(
        regle: &'static str,
        message: impl Into<String>,
        span: Option<Span>,
    ) -> Self {
        Diagnostic::avertissement(message, span).regle(regle)
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn regle(mut self, regle: &'static str) -> Self {
        self.regle = regle;
        self
    }

    /// Under the rule `regle`, unless it already names its own.
    pub fn regle_par_defaut(self, regle: &'static str) -> Self {
        if self.regle.is_empty() {
            self.regle(regle)
        } else {
            self
        }
    }

    /// Records what the user most likely meant (see [`Diagnostic::suggestion`]);
    /// the wording that proposes it stays in the message, label or notes.
    pub fn suggestion(mut self, valeur: impl Into<String>) -> Self {
        self.suggestion = Some(valeur.into());
        self
    }

    /// The rule a batch counts this diagnostic under: its [`regle`](Self::regle),
    /// or its message when it has none.
    pub fn nom_de_regle(&self) -> String {
        if self.regle.is_empty() {
            self.message.clone()
        } else {
            self.regle.to_string()
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// The problems of one file, in the order they were found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn erreurs(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Erreur)
            .count()
    }

    pub fn avertissements(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Avertissement)
            .count()
    }

    pub fn a_des_erreurs(&self) -> bool {
        self.erreurs() > 0
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Renders every diagnostic as the user reads it (French, file:line:column,
    /// the value underlined, the rule as a note). Control characters of the
    /// name, the source and the messages are printed escaped ([`affichable`]).
    pub fn rendre(&self, nom: &str, source: &str) -> String {
        let (texte, decalages) = source_affichable(source);
        let file = SimpleFile::new(affichable(nom), texte.as_ref());
        let config = Config::default();
        let mut out = Vec::new();
        for d in &self.0 {
            let sev = match d.severity {
                Severity::Erreur => CsSeverity::Error,
                Severity::Avertissement => CsSeverity::Warning,
            };
            let mut cs = CsDiagnostic::new(sev).with_message(affichable(&d.message));
            if let Some(span) = d.span {
                let end = span.end.min(source.len()).max(span.start.min(source.len()));
                let start = span.start.min(end);
                let (start, end) = (decaler(&decalages, start), decaler(&decalages, end));
                cs = cs.with_labels(vec![
                    Label::primary((), start..end).with_message(affichable(&d.label)),
                ]);
            }
            cs = cs.with_notes(
                d.notes
                    .iter()
                    .map(|n| format!("note : {}", affichable(n)))
                    .collect(),
            );
            // Rendering an in-memory file cannot fail; fall back to the bare
            // message if it ever does.
            let buf = if en_couleur() {
                let mut w = term::termcolor::Ansi::new(Vec::new());
                term::emit_to_write_style(&mut w, &config, &file, &cs)
                    .ok()
                    .and_then(|()| String::from_utf8(w.into_inner()).ok())
            } else {
                term::emit_into_string(&config, &file, &cs).ok()
            }
            .unwrap_or_else(|| format!("{}: {}\n", affichable(nom), affichable(&d.message)));
            out.push(traduire_entete(&buf));
        }
        out.concat()
    }
}

/// Whether `c` must never reach a terminal raw: C0 controls but tab and line
/// feed, DEL, C1 controls (U+0080–U+009F: U+009B is a one-byte CSI), and the
/// invisible characters that reorder or hide text (Arabic letter mark,
/// zero-width marks, line and paragraph separators, bidi embeddings,
/// overrides and isolates, word joiner, BOM).
pub fn caractere_dangereux(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `s` as it may be printed on a terminal: each [`caractere_dangereux`] is
/// written as a visible escape (`\u{1b}`), so an `ESC[31m` in a name neither
/// recolours nor retitles the terminal. Borrowed when nothing needs escaping.
pub fn affichable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(caractere_dangereux) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if caractere_dangereux(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The source as printed under a diagnostic, and where its bytes moved: each
/// entry is (offset just after an escaped character in `source`, bytes added
/// so far). A carriage return before a line feed (CRLF files) is kept.
fn source_affichable(source: &str) -> (Cow<'_, str>, Vec<(usize, usize)>) {
    let garde = |i: usize, c: char| c == '\r' && source.as_bytes().get(i + 1) == Some(&b'\n');
    if !source
        .char_indices()
        .any(|(i, c)| caractere_dangereux(c) && !garde(i, c))
    {
        return (Cow::Borrowed(source), Vec::new());
    }
    let mut out = String::with_capacity(source.len() + 16);
    let mut decalages = Vec::new();
    for (i, c) in source.char_indices() {
        if caractere_dangereux(c) && !garde(i, c) {
            let avant = out.len();
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
            let ajoute = out.len() - avant - c.len_utf8();
            let total = decalages.last().map_or(0, |&(_, t)| t) + ajoute;
            decalages.push((i + c.len_utf8(), total));
        } else {
            out.push(c);
        }
    }
    (Cow::Owned(out), decalages)
}

/// A byte offset of the source, moved as [`source_affichable`] moved the text.
fn decaler(decalages: &[(usize, usize)], offset: usize) -> usize {
    let n = decalages.partition_point(|&(fin, _)| fin <= offset);
    offset + n.checked_sub(1).map_or(0, |k| decalages[k].1)
}

/// codespan prints "error: " / "warning: " (colour codes in between on a
/// terminal): the user reads French, with a space before the colon.
fn traduire_entete(s: &str) -> String {
    let (premiere, reste) = s.split_at(s.find('\n').map_or(s.len(), |i| i + 1));
    let (i, anglais, francais) = match (premiere.find("error"), premiere.find("warning")) {
        (Some(e), Some(w)) if w < e => (w, "warning", "avertissement"),
        (Some(e), _) => (e, "error", "erreur"),
        (None, Some(w)) => (w, "warning", "avertissement"),
        (None, None) => return s.to_string(),
    };
    let apres = &premiere[i + anglais.len()..];
    let apres = apres.replacen(": ", " : ", 1);
    format!("{}{francais}{apres}{reste}", &premiere[..i])
}

/// Whether diagnostics are rendered with colours (`--couleur`, decided once
/// per process by the command, see `commands::executer`).
static COULEUR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Renders the diagnostics of this process in colour (or not).
pub fn colorer(oui: bool) {
    COULEUR.store(oui, std::sync::atomic::Ordering::Relaxed);
}

pub fn en_couleur() -> bool {
    COULEUR.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether to colour what goes to stderr: `--couleur toujours` or `jamais`
/// as asked; `auto` colours a terminal only, unless `NO_COLOR` is set
/// (<https://no-color.org>).
pub fn couleur_auto() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The version of `verifier --format json`'s output (docs/format.md): 2
/// added each diagnostic's `fichier`, `regle` and `suggestion`.
pub const FORMAT_JSON: u32 = 2;

/// The diagnostics of one file as JSON values (`verifier --format json`):
/// the file, severity, message, place (1-based line and column of the start
/// and the end, in characters), label, notes, rule and suggestion (`null`
/// when there is none). The contract is in docs/format.md.
pub fn en_json(d: &Diagnostics, fichier: &str, source: &str) -> Vec<serde_json::Value> {
    d.0.iter()
        .map(|d| {
            let place = d.span.map(|s| {
                let (ligne, colonne) = ligne_colonne(source, s.start);
                let (fin_ligne, fin_colonne) = ligne_colonne(source, s.end);
                serde_json::json!({
                    "ligne": ligne,
                    "colonne": colonne,
                    "fin_ligne": fin_ligne,
                    "fin_colonne": fin_colonne,
                })
            });
            serde_json::json!({
                "fichier": fichier,
                "gravite": match d.severity {
                    Severity::Erreur => "erreur",
                    Severity::Avertissement => "avertissement",
                },
                "message": d.message,
                "position": place,
                "etiquette": d.label,
                "notes": d.notes,
                "regle": (!d.regle.is_empty()).then_some(d.regle),
                "suggestion": d.suggestion,
            })
        })
        .collect()
}

/// A place in a text shown to the user: its line and column (1-based,
/// characters), and the line itself with a caret under `debut..fin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extrait {
    pub ligne: usize,
    pub colonne: usize,
    /// `  │` / `9 │ <line>` / `  │       ^^`, control characters escaped.
    pub texte: String,
}

/// The [`Extrait`] of `source` at byte range `debut..fin`; `None` when the
/// range is outside the text.
pub fn extrait(source: &str, debut: usize, fin: usize) -> Option<Extrait> {
    if debut > source.len() {
        return None;
    }
    let (ligne, colonne) = ligne_colonne(source, debut);
    let contenu = source.lines().nth(ligne.checked_sub(1)?)?;
    let reste = contenu.chars().count().saturating_sub(colonne - 1);
    let longueur = fin.saturating_sub(debut).min(reste).max(1);
    let marge = " ".repeat(ligne.to_string().len());
    Some(Extrait {
        ligne,
        colonne,
        texte: format!(
            "{marge} │\n{ligne} │ {}\n{marge} │ {}{}",
            affichable(contenu),
            " ".repeat(colonne - 1),
            "^".repeat(longueur)
        ),
    })
}

/// 1-based line and column of a byte offset (for messages outside codespan).
pub fn ligne_colonne(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let avant = &source.as_bytes()[..offset];
    let ligne = avant.iter().filter(|&&b| b == b'\n').count() + 1;
    let debut = avant.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let colonne = String::from_utf8_lossy(&avant[debut..]).chars().count() + 1;
    (ligne, colonne)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped_for_the_terminal() {
        assert!(matches!(affichable("Commune de l'Île"), Cow::Borrowed(_)));
        assert_eq!(affichable("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(affichable("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(affichable("x\u{202e}y\u{2066}"), "x\\u{202e}y\\u{2066}");
        assert_eq!(affichable("ligne\n\tsuite"), "ligne\n\tsuite");
    }

    // Regression: an `ESC]0;…` in a value retitled the terminal of whoever ran
    // `verifier`, since codespan printed the source line as it was.
    #[test]
    fn rendered_diagnostics_never_carry_a_raw_control_character() {
        let source = "nom: \"\u{1b}]0;pris\u{7}\u{9b}31m\"\ntaux: 120\r\n";
        let debut = source.find("120").unwrap();
        let mut d = Diagnostics::default();
        d.push(
            Diagnostic::erreur("valeur « \u{1b}[31m »", Some(Span::new(debut, debut + 3)))
                .label("ici \u{202e}")
                .note("note \u{1b}c"),
        );
        d.push(Diagnostic::erreur("premier", Some(Span::new(5, 8))));
        let out = d.rendre("f\u{1b}.yaml", source);
        assert!(
            !out.chars().any(|c| caractere_dangereux(c) && c != '\r'),
            "{out:?}"
        );
        assert!(out.contains("f\\u{1b}.yaml:2:7"), "{out}");
        // The caret stays under the value on the line after the escaped one.
        let ligne = out.lines().find(|l| l.contains("taux: 120")).unwrap();
        let carets = out.lines().find(|l| l.contains("^^^")).unwrap();
        assert_eq!(
            ligne.find("120").unwrap(),
            carets.find("^^^").unwrap(),
            "{out}"
        );
        assert!(out.contains("f\\u{1b}.yaml:1:6"), "{out}");
    }
}
