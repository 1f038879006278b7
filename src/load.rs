//! Stage 1, `load`: YAML text → a spanned node tree ([`Node`]), nothing checked yet.
//!
//! The tree is built from the event stream of serde-saphyr's own YAML 1.2
//! parser (`granit_parser`, re-exported by serde-saphyr), not through serde's
//! data model: every value keeps its byte span and, for scalars, the exact text
//! written in the file (a rate written `6.82` is later parsed from the text
//! "6.82", never through `f64`). Going through serde with a `Spanned` wrapper
//! on every node cost 3 times the parse itself (measured on 10 000 files,
//! docs/performance.md); reading the events directly keeps the same parser,
//! the same spans and the same YAML, at the parse's cost.
//!
//! Scalars are resolved by the YAML 1.2 core schema, as serde-saphyr resolves
//! an untyped value except for YAML 1.1 booleans (`y`, `no`, `on`…), which
//! stay text: null, boolean, number, text.
//! Anchors, aliases and merge keys (`<<`) are expanded. Duplicate keys are kept
//! (the `validate` stage reports them all, with both places). Budgets bound
//! size, depth, node count and alias expansion, so no input makes this stage
//! hang or exhaust memory.

// A load error ends the file's loading: one `Diagnostic` per file, so its
// size in a `Result` costs nothing worth boxing it for.
#![allow(clippy::result_large_err)]

use std::borrow::Cow;
use std::collections::HashMap;

use serde_saphyr::granit_parser::{
    ErrorKind, Event, Options, Parser, ScalarStyle, ScanError, Span as YamlSpan, StrInput,
};

use crate::diagnostic::{Diagnostic, Span};

/// Largest file the loader reads (a convention is a few kilobytes).
pub const TAILLE_MAX: usize = 4 * 1024 * 1024;

/// A YAML value with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    /// The key that introduced this value in its mapping (its own span for the
    /// root and list items): where "missing field" errors point.
    pub cle: Span,
}

/// The shape of a YAML value. Scalars keep their text as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A plain (unquoted) number: the text exactly as written, e.g. "6.82".
    Nombre(String),
    /// A string (quoted, or plain and not a number/bool/null).
    Texte(String),
    Map(Vec<Entry>),
    Seq(Vec<Node>),
}

/// One `key: value` pair of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Value {
    /// French name of the kind of value, for messages ("un texte", "une liste"…).
    pub fn nature(&self) -> &'static str {
        match self {
            Value::Null => "une valeur vide",
            Value::Bool(_) => "un booléen",
            Value::Nombre(_) => "un nombre",
            Value::Texte(_) => "un texte",
            Value::Map(_) => "une table de clés",
            Value::Seq(_) => "une liste",
        }
    }
}

/// Deepest nesting of mappings and lists accepted (a convention uses 7).
pub const PROFONDEUR_MAX: usize = 32;
/// Most values in one file (scalars, mappings, lists, and the copies kept for
/// anchors and made by aliases).
pub const NOEUDS_MAX: usize = 200_000;
/// Most alias uses (`*nom`) in one file.
pub const ALIAS_MAX: usize = 1_000;
/// Most values that alias uses may copy, all aliases together.
pub const COPIES_MAX: usize = 20_000;

/// Reads a YAML document into a [`Node`] tree, or one located diagnostic.
pub fn charger(source: &str) -> Result<Node, Diagnostic> {
    if source.len() > TAILLE_MAX {
        return Err(Diagnostic::erreur_de(
            "fichier trop volumineux",
            format!(
                "fichier trop volumineux ({} octets) : une convention tient en quelques kilooctets",
                source.len()
            ),
            None,
        )
        .note(format!(
            "attendu : un fichier YAML de moins de {} Mio",
            TAILLE_MAX / (1024 * 1024)
        )));
    }
    if let Some(d) = controle_brut(source) {
        return Err(d);
    }
    let mut options = Options::default();
    options.emit_comments = false;
    let mut lecteur = Chargeur {
        source,
        parser: Parser::new_from_str_with_options(source, options),
        ancres: HashMap::new(),
        noeuds: 0,
        alias: 0,
        copies: 0,
    };
    lecteur.document()
}

/// The first raw control character of `source` that YAML does not allow
/// anywhere (C0 but tab, line feed and carriage return; DEL; C1; U+FFFE and
/// U+FFFF), located with its code: the parser's own complaint would be a
/// quote never closed, or a text « not in the form of a YAML file ».
fn controle_brut(source: &str) -> Option<Diagnostic> {
    let interdit = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\t' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    let mut trouves = source.char_indices().filter(|(_, c)| interdit(*c));
    let (i, c) = trouves.next()?;
    let autres = trouves.count();
    Some(
        Diagnostic::erreur_de(
            "caractère de contrôle",
            format!(
                "caractère de contrôle U+{:04X} dans le fichier{}",
                c as u32,
                match autres {
                    0 => String::new(),
                    n => format!(" (et {} autre{})", n, if n > 1 { "s" } else { "" }),
                }
            ),
            Some(Span {
                start: i,
                end: i + c.len_utf8(),
            }),
        )
        .label(format!("U+{:04X}", c as u32))
        .note("un caractère invisible n'a pas sa place dans un fichier YAML ni dans un document : retirez-le (un éditeur de texte le montre souvent comme un carré ou `^[`)"),
    )
}

/// The event reader and its budgets.
struct Chargeur<'a> {
    source: &'a str,
    parser: Parser<'a, StrInput<'a>>,
    /// Anchored nodes by the parser's anchor id, with their size in nodes.
    ancres: HashMap<usize, (Node, usize)>,
    noeuds: usize,
    alias: usize,
    copies: usize,
}

/// What one value of a YAML mapping or list reads to, before its key is known.
enum Lu {
    Noeud(Node, usize),
    /// The end of the enclosing mapping or list, with its span.
    Fin(Span),
}

impl<'a> Chargeur<'a> {
    fn suivant(&mut self) -> Result<(Event<'a>, Span), Diagnostic> {
        match self.parser.next_event() {
            Some(Ok((ev, sp))) => Ok((ev, self.span(&sp))),
            Some(Err(e)) => Err(erreur_yaml(self.source, &e)),
            None => Err(Diagnostic::erreur(
                "fin du fichier YAML inattendue",
                Some(Span::new(self.source.len(), self.source.len())),
            )),
        }
    }

    fn span(&self, sp: &YamlSpan) -> Span {
        match sp.byte_range() {
            Some(r) => {
                let start = r.start.min(self.source.len());
                Span::new(start, r.end.clamp(start, self.source.len()))
            }
            None => {
                let o = offset(self.source, sp.start.line(), sp.start.col());
                Span::new(o, o)
            }
        }
    }

    /// The whole stream: exactly one document.
    fn document(&mut self) -> Result<Node, Diagnostic> {
        let mut racine = None;
        loop {
            let (ev, span) = self.suivant()?;
            match ev {
                Event::StreamStart | Event::DocumentEnd => {}
                Event::StreamEnd => break,
                Event::DocumentStart(..) if racine.is_some() => {
                    return Err(Diagnostic::erreur(
                        "plusieurs documents YAML dans un même fichier",
                        Some(span),
                    )
                    .label("second document")
                    .note("attendu : une seule convention par fichier, sans second `---`"));
                }
                Event::DocumentStart(..) => {
                    let (ev, span) = self.suivant()?;
                    match self.noeud(ev, span, 1)? {
                        Lu::Noeud(n, _) => racine = Some(n),
                        Lu::Fin(span) => return Err(inattendu(span)),
                    }
                }
                _ => return Err(inattendu(span)),
            }
        }
        racine.ok_or_else(|| {
            Diagnostic::erreur("fichier vide : une convention est attendue", None)
                .note("attendu : un document YAML (voir docs/format.md)")
        })
    }

    /// Reads the value that starts with `ev`; `profondeur` is its nesting level.
    fn noeud(&mut self, ev: Event<'a>, span: Span, profondeur: usize) -> Result<Lu, Diagnostic> {
        let (value, taille, ancre) = match ev {
            Event::MappingEnd | Event::SequenceEnd => return Ok(Lu::Fin(span)),
            Event::Alias(id) => return self.alias(id, span).map(|(n, t)| Lu::Noeud(n, t)),
            Event::Scalar(texte, style, ancre, tag) => {
                self.compter(span, 1)?;
                let nature = tag
                    .as_deref()
                    .map(|t| t.core_suffix().unwrap_or("").to_string());
                (resoudre(texte, style, nature.as_deref()), 1, ancre)
            }
            Event::MappingStart(_, ancre, _) => {
                self.profondeur(span, profondeur)?;
                self.compter(span, 1)?;
                let (entries, taille) = self.table(profondeur)?;
                (Value::Map(entries), taille + 1, ancre)
            }
            Event::SequenceStart(_, ancre, _) => {
                self.profondeur(span, profondeur)?;
                self.compter(span, 1)?;
                let mut items = Vec::new();
                let mut taille = 1;
                loop {
                    let (ev, sp) = self.suivant()?;
                    match self.noeud(ev, sp, profondeur + 1)? {
                        Lu::Noeud(n, t) => {
                            taille += t;
                            items.push(n);
                        }
                        Lu::Fin(_) => break,
                    }
                }
                (Value::Seq(items), taille, ancre)
            }
            _ => return Err(inattendu(span)),
        };
        let n = Node {
            value,
            span,
            cle: span,
        };
        if ancre != 0 {
            // Anchored values are kept as copies: nested anchors must not
            // multiply the memory a file can take.
            self.compter(span, taille)?;
            self.ancres.insert(ancre, (n.clone(), taille));
        }
        Ok(Lu::Noeud(n, taille))
    }

    /// The entries of a mapping whose start event was just read; merge keys
    /// (`<<`) add the entries of the mappings they name, after the explicit
    /// ones, which win.
    fn table(&mut self, profondeur: usize) -> Result<(Vec<Entry>, usize), Diagnostic> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut fusions: Vec<Entry> = Vec::new();
        let mut taille = 0;
        loop {
            let (ev, key_span) = self.suivant()?;
            let fusion = matches!(&ev, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
            let (cle, t) = match self.noeud(ev, key_span, profondeur + 1)? {
                Lu::Fin(_) => break,
                Lu::Noeud(n, t) => (n, t),
            };
            taille += t;
            let key = match cle.value {
                Value::Texte(t) | Value::Nombre(t) => t,
                Value::Null => "~".to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Map(_) | Value::Seq(_) => {
                    return Err(Diagnostic::erreur(
                        "clé YAML composée (table ou liste en position de clé)",
                        Some(cle.span),
                    )
                    .label("ici")
                    .note("attendu : une clé simple, par exemple `nom:`"));
                }
            };
            let (ev, sp) = self.suivant()?;
            let mut value = match self.noeud(ev, sp, profondeur + 1)? {
                Lu::Noeud(n, t) => {
                    taille += t;
                    n
                }
                Lu::Fin(span) => return Err(inattendu(span)),
            };
            if fusion {
                match value.value {
                    Value::Map(e) => fusions.extend(e),
                    Value::Seq(items) if items.iter().all(|i| matches!(i.value, Value::Map(_))) => {
                        for i in items {
                            if let Value::Map(e) = i.value {
                                fusions.extend(e);
                            }
                        }
                    }
                    _ => {
                        return Err(Diagnostic::erreur(
                            "clé de fusion `<<` sans table à fusionner",
                            Some(value.span),
                        )
                        .label("ici")
                        .note("attendu : `<<: *ancre`, où l'ancre nomme une table de clés"));
                    }
                }
                continue;
            }
            value.cle = key_span;
            entries.push(Entry {
                key,
                key_span,
                value,
            });
        }
        let mut vues: Vec<String> = Vec::new();
        for f in fusions {
            if entries.iter().any(|e| e.key == f.key) || vues.contains(&f.key) {
                continue;
            }
            vues.push(f.key.clone());
            entries.push(f);
        }
        Ok((entries, taille))
    }

    /// A copy of an anchored node, within the alias budgets.
    fn alias(&mut self, id: usize, span: Span) -> Result<(Node, usize), Diagnostic> {
        self.alias += 1;
        let Some((n, taille)) = self.ancres.get(&id) else {
            return Err(Diagnostic::erreur("alias YAML sans ancre", Some(span))
                .label("ancre inconnue")
                .note("attendu : un alias `*nom` après l'ancre `&nom` qu'il désigne"));
        };
        let taille = *taille;
        self.copies = self.copies.saturating_add(taille);
        if self.alias > ALIAS_MAX || self.copies > COPIES_MAX {
            return Err(Diagnostic::erreur(
                "fichier YAML refusé : trop d'alias (ancres `&` et alias `*`)",
                Some(span),
            )
            .label("ici")
            .note(format!(
                "attendu : au plus {ALIAS_MAX} alias, copiant au plus {COPIES_MAX} valeurs en tout"
            )));
        }
        let mut copie = n.clone();
        copie.span = span;
        copie.cle = span;
        self.compter(span, taille)?;
        Ok((copie, taille))
    }

    fn compter(&mut self, span: Span, n: usize) -> Result<(), Diagnostic> {
        self.noeuds = self.noeuds.saturating_add(n);
        if self.noeuds > NOEUDS_MAX {
            return Err(Diagnostic::erreur(
                "fichier YAML refusé : trop gros (trop de valeurs)",
                Some(span),
            )
            .label("ici")
            .note(format!(
                "attendu : au plus {NOEUDS_MAX} valeurs ; une convention en compte quelques centaines"
            )));
        }
        Ok(())
    }

    fn profondeur(&self, span: Span, profondeur: usize) -> Result<(), Diagnostic> {
        if profondeur > PROFONDEUR_MAX {
            return Err(Diagnostic::erreur(
                "fichier YAML refusé : trop profond (tables et listes trop imbriquées)",
                Some(span),
            )
            .label("ici")
            .note(format!(
                "attendu : au plus {PROFONDEUR_MAX} niveaux d'imbrication ; une convention en a 7"
            )));
        }
        Ok(())
    }
}

/// The value of a scalar, by the YAML 1.2 core schema: quoted,
/// block and `!!str` scalars are text; a plain one is null, a boolean, a
/// number (its text kept exactly) or text. `nature` is the suffix of a YAML
/// core tag (`str`, `int`…), empty for another tag.
fn resoudre(texte: Cow<'_, str>, style: ScalarStyle, nature: Option<&str>) -> Value {
    match nature {
        Some("str") | Some("binary") => return Value::Texte(texte.into_owned()),
        Some("null") => return Value::Null,
        Some("int") | Some("float") => return Value::Nombre(texte.trim().to_string()),
        _ => {}
    }
    if !matches!(style, ScalarStyle::Plain) || nature.is_some_and(|n| n.is_empty()) {
        return Value::Texte(texte.into_owned());
    }
    let t = texte.trim();
    if matches!(t, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = booleen(t) {
        return Value::Bool(b);
    }
    if nombre(t) {
        return Value::Nombre(t.to_string());
    }
    Value::Texte(texte.into_owned())
}

/// YAML 1.2 core booleans only: a name written `N`, `Y`, `No` or `On` stays
/// text (YAML 1.1's "Norway problem"); a yes/no field also takes `oui`/`non`
/// (see `Lecteur::booleen`).
fn booleen(t: &str) -> Option<bool> {
    match t {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Whether a plain scalar is a YAML 1.2 number: an integer (decimal, `0x`,
/// `0o`, `0b`, `_` separators) or a float (`1.5`, `.5`, `1e3`, `.inf`, `.nan`).
fn nombre(t: &str) -> bool {
    let s = t.strip_prefix(['+', '-']).unwrap_or(t);
    if matches!(s, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let chiffres = |s: &str, base: u32| {
        !s.is_empty() && s.chars().all(|c| c == '_' || c.is_digit(base)) && !s.starts_with('_')
    };
    for (prefixe, base) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(r) = s.strip_prefix(prefixe) {
            return chiffres(r, base);
        }
    }
    let (mantisse, exposant) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if let Some(e) = exposant {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    let (entier, fraction) = match mantisse.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantisse, None),
    };
    match fraction {
        None => chiffres(entier, 10),
        Some(f) => {
            (entier.is_empty() || chiffres(entier, 10))
                && (f.is_empty() || chiffres(f, 10))
                && !(entier.is_empty() && f.is_empty())
        }
    }
}

fn inattendu(span: Span) -> Diagnostic {
    Diagnostic::erreur("structure YAML inattendue", Some(span))
        .label("ici")
        .note("attendu : un document YAML (voir docs/format.md)")
}

/// Byte offset of a 1-based line and 0-based column (in characters).
fn offset(source: &str, ligne: usize, col: usize) -> usize {
    let mut offset = 0usize;
    for (i, line) in source.split_inclusive('\n').enumerate() {
        if i + 1 == ligne {
            offset += line.char_indices().nth(col).map_or(line.len(), |(b, _)| b);
            return offset.min(source.len());
        }
        offset += line.len();
    }
    source.len()
}

/// A parser error, located, with its cause said in French when we know it.
fn erreur_yaml(source: &str, e: &ScanError) -> Diagnostic {
    let m = e.marker();
    let o = m
        .byte_offset()
        .unwrap_or_else(|| offset(source, m.line(), m.col()))
        .min(source.len());
    let cause = match e.kind() {
        ErrorKind::TabNotAllowed
        | ErrorKind::TabInBlockIndentation
        | ErrorKind::TabInIndentation
        | ErrorKind::TabAtBlockScalarStart
        | ErrorKind::TabInPlainScalar => {
            Some("une tabulation sert d'indentation : YAML n'accepte que des espaces")
        }
        ErrorKind::UnclosedQuotedScalar => Some("guillemet ouvert jamais refermé"),
        ErrorKind::UnclosedFlowCollection { .. }
        | ErrorKind::UnexpectedEofFlowSequence
        | ErrorKind::UnexpectedEofFlowMapping
        | ErrorKind::UnexpectedEofImplicitFlowMapping => {
            Some("crochet `[` ou accolade `{` jamais refermé")
        }
        ErrorKind::MismatchedFlowCollectionEnd { .. } | ErrorKind::MisplacedFlowCollectionEnd => {
            Some("crochet `]` ou accolade `}` mal placé")
        }
        ErrorKind::ExpectedBlockMappingKey
        | ErrorKind::InvalidIndentation
        | ErrorKind::ExpectedBlockSequenceEntry => {
            Some("indentation incohérente : cette ligne n'est alignée sur aucune clé")
        }
        ErrorKind::MappingValueNotAllowed | ErrorKind::InvalidColonPlacement => {
            Some("deux-points inattendu : mettez la valeur entre guillemets si elle contient « : »")
        }
        ErrorKind::UnknownAnchor => Some("alias `*nom` sans ancre `&nom` avant lui"),
        ErrorKind::RecursionLimitExceeded => {
            Some("trop profond (tables et listes trop imbriquées)")
        }
        ErrorKind::SimpleKeyExpected | ErrorKind::InvalidSimpleKey => {
            Some("clé invalide (une clé tient sur une ligne et se termine par « : »)")
        }
        _ => None,
    };
    // The parser stops where the text stopped making sense, often lines
    // after the real mistake: an unclosed `[` is only noticed at the next
    // key's colon, an unclosed quote at the next quote. Blame the opener.
    let ligne_de = |i: usize| source[..i].matches('\n').count() + 1;
    let lex = ouverts(source, o);
    if let Some((c, pos)) = lex.crochets.last().copied()
        && ligne_de(pos) < ligne_de(o)
    {
        // (the opener, its closer, the agreement, what it holds)
        let (nom, fin, e, quoi) = if c == '[' {
            ("crochet `[`", ']', "", "la liste")
        } else {
            ("accolade `{`", '}', "e", "la table")
        };
        return Diagnostic::erreur(
            format!(
                "syntaxe YAML invalide : {nom} ouvert{e} ligne {} jamais refermé{e}",
                ligne_de(pos)
            ),
            Some(Span::new(pos, pos + 1)),
        )
        .label(format!(
            "ouvert{e} ici : refermez-l{} par `{fin}`",
            if e.is_empty() { "e" } else { "a" }
        ))
        .note(format!(
            "l'analyseur YAML s'est arrêté ligne {}, où {quoi} aurait dû être refermée",
            ligne_de(o)
        ));
    }
    if let Some(pos) = lex.guillemet_ouvert.or(lex.guillemet_multiligne) {
        let fin = if lex.guillemet_ouvert.is_some() {
            "la fin du fichier".to_string()
        } else {
            format!("la ligne {}", ligne_de(o))
        };
        return Diagnostic::erreur(
            format!(
                "syntaxe YAML invalide : guillemet ouvert ligne {} jamais refermé sur sa ligne",
                ligne_de(pos)
            ),
            Some(Span::new(pos, pos + 1)),
        )
        .label("ouvert ici")
        .note(format!(
            "le texte entre guillemets continue jusqu'à {fin} : refermez-le sur la même ligne"
        ));
    }
    let cause = cause.unwrap_or("le texte ne suit pas la forme d'un fichier YAML à cet endroit");
    Diagnostic::erreur(
        format!("syntaxe YAML invalide : {cause}"),
        Some(Span::new(o, o)),
    )
    .label("ici")
    .note("attendu : un document YAML (voir docs/format.md)")
}

/// What is still open at byte `fin` of `source`, read the way YAML reads
/// it closely enough to name an opener: flow collections (`[`, `{`) and
/// quoted scalars, outside comments.
#[derive(Default)]
struct Ouverts {
    /// Each unclosed `[` or `{`, with its byte offset.
    crochets: Vec<(char, usize)>,
    /// A quote opened and never closed before `fin`.
    guillemet_ouvert: Option<usize>,
    /// A quote closed just before `fin` (nothing but spaces between) after
    /// running over a line break: its opening offset.
    guillemet_multiligne: Option<usize>,
}

fn ouverts(source: &str, fin: usize) -> Ouverts {
    let mut r = Ouverts::default();
    let b = source.as_bytes();
    let fin = fin.min(b.len());
    // The last character before `i` on its line that is not a space, if any.
    let precedent = |i: usize| {
        b[..i]
            .iter()
            .rev()
            .take_while(|&&c| c != b'\n')
            .find(|&&c| c != b' ' && c != b'\t')
            .copied()
    };
    let mut i = 0;
    while i < fin {
        let c = b[i];
        match c {
            b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                while i < fin && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\''
                if matches!(
                    precedent(i),
                    None | Some(b':' | b'[' | b'{' | b',' | b'-' | b'?')
                ) =>
            {
                let debut = i;
                i += 1;
                let mut ferme = None;
                while i < b.len() {
                    if c == b'"' && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == c {
                        if c == b'\'' && b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        ferme = Some(i);
                        break;
                    }
                    i += 1;
                }
                match ferme {
                    Some(f) if f < fin => {
                        let entre = &source[f + 1..fin];
                        if source[debut..f].contains('\n') && entre.trim().is_empty() {
                            r.guillemet_multiligne = Some(debut);
                        }
                        i = f + 1;
                    }
                    _ => {
                        r.guillemet_ouvert = Some(debut);
                        return r;
                    }
                }
                continue;
            }
            b'[' | b'{'
                if !r.crochets.is_empty()
                    || matches!(precedent(i), None | Some(b':' | b'-' | b'?')) =>
            {
                r.crochets.push((c as char, i));
            }
            b']' | b'}' => {
                r.crochets.pop();
            }
            _ => {}
        }
        i += 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carte(n: &Node) -> &[Entry] {
        match &n.value {
            Value::Map(e) => e,
            v => panic!("table attendue, trouvé {v:?}"),
        }
    }

    #[test]
    fn rates_keep_their_exact_text() {
        let src = "taux: 6.82\nrotation: 4.80\nn: 1887\n";
        let n = charger(src).unwrap();
        let e = carte(&n);
        assert_eq!(e[0].value.value, Value::Nombre("6.82".into()));
        assert_eq!(e[1].value.value, Value::Nombre("4.80".into()));
        assert_eq!(e[2].value.value, Value::Nombre("1887".into()));
        assert_eq!(&src[e[1].value.span.start..e[1].value.span.end], "4.80");
        assert_eq!(&src[e[1].key_span.start..e[1].key_span.end], "rotation");
    }

    #[test]
    fn duplicate_keys_are_kept_for_validation() {
        let n = charger("a: 1\na: 2\n").unwrap();
        assert_eq!(carte(&n).len(), 2);
    }

    #[test]
    fn syntax_error_is_located() {
        let src = "a: [1, 2\nb: 3\n";
        let d = charger(src).unwrap_err();
        assert!(d.message.contains("YAML"), "{}", d.message);
    }

    #[test]
    fn plain_scalars_resolve_by_the_yaml_1_2_core_schema() {
        let src = "a: 12\nb: -3.5e2\nc: .5\nd: 0x1F\ne: 2024-07-03\nf: \"12\"\ng: ~\nh: True\n\
                   i: FALSE\nj: texte libre\nk: !!str 7\nl: 1_000\nm: 24/07/03\nn: 1.2.3\no: .inf\np: N\nq: yes\n";
        let n = charger(src).unwrap();
        let v: Vec<&Value> = carte(&n).iter().map(|e| &e.value.value).collect();
        let nb = |t: &str| Value::Nombre(t.into());
        let tx = |t: &str| Value::Texte(t.into());
        assert_eq!(
            v,
            [
                &nb("12"),
                &nb("-3.5e2"),
                &nb(".5"),
                &nb("0x1F"),
                &tx("2024-07-03"),
                &tx("12"),
                &Value::Null,
                &Value::Bool(true),
                &Value::Bool(false),
                &tx("texte libre"),
                &tx("7"),
                &nb("1_000"),
                &tx("24/07/03"),
                &tx("1.2.3"),
                &nb(".inf"),
                &tx("N"),
                &tx("yes"),
            ]
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys_are_expanded() {
        let src = "base: &b { qualite: Maire, nom: X }\nsig:\n  <<: *b\n  nom: Y\ncopie: *b\n";
        let n = charger(src).unwrap();
        let e = carte(&n);
        let sig = carte(&e[1].value);
        let cles: Vec<(&str, &Value)> = sig
            .iter()
            .map(|e| (e.key.as_str(), &e.value.value))
            .collect();
        // The explicit key wins over the merged one.
        assert_eq!(
            cles,
            [
                ("nom", &Value::Texte("Y".into())),
                ("qualite", &Value::Texte("Maire".into()))
            ]
        );
        assert_eq!(carte(&e[2].value).len(), 2);
        // The copy is located at the alias.
        assert_eq!(&src[e[2].value.span.start..e[2].value.span.end], "*b");
    }

    #[test]
    fn structural_refusals_are_in_french_and_located() {
        let d = charger("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(d.message.contains("plusieurs documents"), "{}", d.message);
        let d = charger("a:\n\tb: 1\n").unwrap_err();
        assert!(d.message.contains("syntaxe YAML invalide"), "{}", d.message);
        assert!(d.span.is_some_and(|s| s.start >= 3), "{:?}", d.span);
        let d = charger("a: *inconnu\n").unwrap_err();
        assert!(d.message.contains("ancre"), "{}", d.message);
        let d = charger("? [a]\n: 1\n").unwrap_err();
        assert!(d.message.contains("clé YAML composée"), "{}", d.message);
        let d = charger("a: [").unwrap_err();
        assert!(d.message.contains("jamais refermé"), "{}", d.message);
        let d = charger("# rien\n").unwrap_err();
        assert!(d.message.contains("vide"), "{}", d.message);
        let profond = format!("a: {}{}\n", "[".repeat(40), "]".repeat(40));
        assert!(
            charger(&profond)
                .unwrap_err()
                .message
                .contains("trop profond")
        );
    }

    #[test]
    fn nested_anchors_cannot_multiply_memory() {
        // 30 nested anchored mappings around 10 000 values: each anchor keeps a
        // copy, so the copies would be 30 times the values.
        let mut src = String::from("v: ");
        for i in 0..30 {
            src.push_str(&format!("&a{i} {{ k{i}: "));
        }
        src.push('[');
        src.push_str(&vec!["1"; 10_000].join(","));
        src.push(']');
        src.push_str(&"}".repeat(30));
        src.push('\n');
        let d = charger(&src).unwrap_err();
        assert!(d.message.contains("trop gros"), "{}", d.message);
        // One anchor around the same values is fine.
        let src = format!("v: &a [{}]\nw: 1\n", vec!["1"; 10_000].join(","));
        assert!(charger(&src).is_ok());
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(charger(&src).is_err());
    }
}
