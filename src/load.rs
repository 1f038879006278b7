//! Stage 1, `load`: YAML text → a spanned node tree ([`Node`]), nothing checked yet.
//!
//! The tree is read through serde (serde-saphyr), but keeps for every value its
//! byte span and, for scalars, the exact text written in the file: a rate
//! written `6.82` is later parsed from the text "6.82", never through `f64`.
//! Duplicate keys are kept (the `validate` stage reports them all, with both
//! places). Budgets bound depth, size and alias expansion, so no input makes
//! this stage hang or exhaust memory.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{Location, Spanned};

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

/// Reads a YAML document into a [`Node`] tree, or one located diagnostic.
pub fn charger(source: &str) -> Result<Node, Diagnostic> {
    if source.len() > TAILLE_MAX {
        return Err(Diagnostic::erreur(
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
    let mut options = serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
    };
    options.budget = serde_saphyr::budget! {
        max_depth: 32,
        max_documents: 1,
        max_nodes: 200_000,
        max_aliases: 1_000,
        max_events: 400_000,
    };
    options.alias_limits.max_total_replayed_events = 20_000;
    options.alias_limits.max_alias_expansions_per_anchor = 100;

    let raw: Spanned<RawValue> = match serde_saphyr::from_str_with_options(source, options) {
        Ok(v) => v,
        Err(e) => return Err(erreur_yaml(source, &e)),
    };
    Ok(convertir(source, raw))
}

fn erreur_yaml(source: &str, e: &serde_saphyr::Error) -> Diagnostic {
    let span = e.location().map(|l| span_de(source, &l));
    let detail = e.to_string();
    let detail = detail.lines().next().unwrap_or("").to_string();
    let message = if detail.contains("budget") || detail.contains("limit") {
        "fichier YAML refusé : trop profond, trop gros ou trop d'alias"
    } else if detail.contains("duplicate") {
        "clé en double dans le YAML"
    } else if source.trim().is_empty() {
        "fichier vide : une convention est attendue"
    } else {
        "syntaxe YAML invalide"
    };
    Diagnostic::erreur(message, span)
        .label("ici")
        .note(format!("détail de l'analyseur YAML : {detail}"))
        .note("attendu : un document YAML (voir docs/format.md)")
}

fn span_de(source: &str, loc: &Location) -> Span {
    let s = loc.span();
    match (s.byte_offset(), s.byte_len()) {
        (Some(o), Some(l)) => {
            let start = (o as usize).min(source.len());
            let end = start.saturating_add(l as usize).min(source.len());
            Span::new(start, end)
        }
        _ => {
            // Fall back to line/column.
            let mut offset = 0usize;
            for (i, line) in source.split_inclusive('\n').enumerate() {
                if i + 1 == loc.line() as usize {
                    let col = (loc.column() as usize).saturating_sub(1);
                    offset += line.char_indices().nth(col).map_or(line.len(), |(b, _)| b);
                    break;
                }
                offset += line.len();
            }
            Span::new(offset.min(source.len()), offset.min(source.len()))
        }
    }
}

fn convertir(source: &str, raw: Spanned<RawValue>) -> Node {
    let span = span_de(source, &raw.referenced);
    let value = match raw.value {
        RawValue::Null => Value::Null,
        RawValue::Bool(b) => Value::Bool(b),
        RawValue::Nombre(repli) => {
            // The exact text written in the file, when the span gives it.
            let texte = source
                .get(span.start..span.end)
                .map(str::trim)
                .unwrap_or("");
            if texte.is_empty() || texte.starts_with('*') {
                Value::Nombre(repli)
            } else {
                Value::Nombre(texte.to_string())
            }
        }
        RawValue::Texte(t) => Value::Texte(t),
        RawValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key_span = span_de(source, &k.referenced);
                    let mut value = convertir(source, v);
                    value.cle = key_span;
                    Entry {
                        key: k.value.0,
                        key_span,
                        value,
                    }
                })
                .collect(),
        ),
        RawValue::Seq(items) => {
            Value::Seq(items.into_iter().map(|n| convertir(source, n)).collect())
        }
    };
    Node {
        value,
        span,
        cle: span,
    }
}

/// What serde gives us, before spans are turned into byte ranges.
enum RawValue {
    Null,
    Bool(bool),
    /// Fallback text of a number (used only if the source span is unavailable).
    Nombre(String),
    Texte(String),
    Map(Vec<(Spanned<Cle>, Spanned<RawValue>)>),
    Seq(Vec<Spanned<RawValue>>),
}

/// A mapping key as text, whatever its YAML type.
struct Cle(String);

impl<'de> Deserialize<'de> for Cle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Cle;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("une clé texte")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Cle, E> {
                Ok(Cle(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Cle, E> {
                Ok(Cle(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cle, E> {
                Ok(Cle(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cle, E> {
                Ok(Cle(v.to_string()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Cle, E> {
                Ok(Cle(v.to_string()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Cle, E> {
                Ok(Cle(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cle, E> {
                Ok(Cle(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Cle, E> {
                Ok(Cle("~".to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("une valeur YAML")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
                Ok(RawValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
                Ok(RawValue::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<RawValue, D2::Error> {
                RawValue::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
                Ok(RawValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue::Nombre(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
                Ok(RawValue::Nombre(v.to_string()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawValue, E> {
                Ok(RawValue::Nombre(v.to_string()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawValue, E> {
                Ok(RawValue::Nombre(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawValue, E> {
                // Only a fallback: the exact text is re-read from the source span.
                Ok(RawValue::Nombre(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::Texte(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
                Ok(RawValue::Texte(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawValue, E> {
                Ok(RawValue::Texte(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = map.next_key::<Spanned<Cle>>()? {
                    let v = map.next_value::<Spanned<RawValue>>()?;
                    entries.push((k, v));
                }
                Ok(RawValue::Map(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element::<Spanned<RawValue>>()? {
                    items.push(v);
                }
                Ok(RawValue::Seq(items))
            }
        }
        d.deserialize_any(V)
    }
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
