//! Located problems as values: every rule pushes a [`Diagnostic`] and goes on,
//! so a file's problems are all reported in one run.
//!
//! Spans are byte ranges into the source text; line and column are computed
//! only when printing (codespan-reporting), in French.

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
}

impl Diagnostic {
    pub fn erreur(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            severity: Severity::Erreur,
            message: message.into(),
            span,
            label: String::new(),
            notes: Vec::new(),
        }
    }

    pub fn avertissement(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            severity: Severity::Avertissement,
            ..Diagnostic::erreur(message, span)
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
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
    /// the value underlined, the rule as a note).
    pub fn rendre(&self, nom: &str, source: &str) -> String {
        let file = SimpleFile::new(nom, source);
        let config = Config::default();
        let mut out = Vec::new();
        for d in &self.0 {
            let sev = match d.severity {
                Severity::Erreur => CsSeverity::Error,
                Severity::Avertissement => CsSeverity::Warning,
            };
            let mut cs = CsDiagnostic::new(sev).with_message(d.message.clone());
            if let Some(span) = d.span {
                let end = span.end.min(source.len()).max(span.start.min(source.len()));
                let start = span.start.min(end);
                cs = cs.with_labels(vec![
                    Label::primary((), start..end).with_message(d.label.clone()),
                ]);
            }
            cs = cs.with_notes(d.notes.iter().map(|n| format!("note : {n}")).collect());
            // Rendering an in-memory file cannot fail; fall back to the bare
            // message if it ever does.
            let buf = term::emit_into_string(&config, &file, &cs)
                .unwrap_or_else(|_| format!("{}: {}\n", nom, d.message));
            out.push(traduire_entete(&buf));
        }
        out.concat()
    }
}

/// codespan prints "error" / "warning": the user reads French.
fn traduire_entete(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split_inclusive('\n').enumerate() {
        if i == 0 {
            out.push_str(&line.replacen("error", "erreur", 1).replacen(
                "warning",
                "avertissement",
                1,
            ));
        } else {
            out.push_str(line);
        }
    }
    out
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
