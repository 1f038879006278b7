//! Typst's messages in French. Typst's diagnostics are English free text,
//! with no kind to render from: the ones the author of a copied model meets
//! (an unknown variable, field or method, a value of the wrong type, an
//! argument missing or in excess, a file not found, a delimiter never
//! closed, a missing expression…) are recognised by their shape and said in
//! French, Typst's own names kept (variables, fields, functions, files) and
//! its type names translated. Any other message is not shown in English:
//! a French sentence says that Typst refused this place of the template
//! (its file, line and column follow), and Typst's own words are shown only
//! with `CONVFLUX_TYPST_ORIGINAL=1` (for whoever helps the author), as are
//! the hints we do not translate.

/// The environment variable that adds Typst's own words to its messages.
pub const ORIGINAL: &str = "CONVFLUX_TYPST_ORIGINAL";

/// Whether Typst's own words are shown too ([`ORIGINAL`] set and not empty).
pub fn original() -> bool {
    std::env::var_os(ORIGINAL).is_some_and(|v| !v.is_empty())
}

/// A Typst error or warning message in French; an unknown one as a French
/// sentence without Typst's English.
pub fn message(m: &str) -> String {
    traduire(m).unwrap_or_else(|| {
        format!(
            "Typst refuse ce passage du gabarit (message que convflux ne sait pas traduire ; \
             {ORIGINAL}=1 l'affiche tel quel)"
        )
    })
}

/// A Typst hint in French, or `None` when convflux does not know it (it is
/// then left out, unless [`original`]).
pub fn indice(m: &str) -> Option<String> {
    if let Some(t) = motif(m, "a length needs a unit - did you mean {}?") {
        return Some(format!(
            "une longueur a besoin d'une unité : vouliez-vous dire {} ?",
            t[0]
        ));
    }
    if let Some(t) = motif(m, "try using a backslash escape: {}") {
        return Some(format!(
            "pour l'écrire tel quel, précédez-le d'une barre oblique inverse : {}",
            t[0]
        ));
    }
    if let Some(t) = motif(m, "try escaping the preceding hash: {}") {
        return Some(format!(
            "pour écrire le dièse tel quel, précédez-le d'une barre oblique inverse : {}",
            t[0]
        ));
    }
    if let Some(t) = motif(
        m,
        "the provided array has a length of {}, but the pattern expects {} elements",
    ) {
        return Some(format!(
            "la liste donnée a {} éléments, le motif en attend {}",
            t[0], t[1]
        ));
    }
    if let Some(t) = motif(m, "write `{}` instead") {
        return Some(format!("écrivez plutôt `{}`", t[0]));
    }
    if let Some(t) = motif(m, "in Typst, `{}` is used for {}") {
        return Some(format!("en Typst, on écrit `{}` ({})", t[0], t[1]));
    }
    let fixes: &[(&str, &str)] = &[
        (
            "set the date of the document",
            "donnez la date du document (`#set document(date: …)`)",
        ),
        (
            "try wrapping this in a `context` expression",
            "placez ce code dans une expression `context`",
        ),
        (
            "you are already in code mode",
            "vous êtes déjà dans du code : retirez le `#`",
        ),
        ("try removing the `#`", "retirez le `#`"),
        (
            "try adding a space before the parentheses",
            "ajoutez une espace avant les parenthèses",
        ),
        (
            "the preceding hash is causing this to parse in code mode",
            "le `#` qui précède fait lire la suite comme du code",
        ),
        (
            "destructuring patterns must be wrapped in parentheses",
            "un motif de décomposition s'écrit entre parenthèses",
        ),
        (
            "labels can only be applied in markup mode",
            "une étiquette ne s'attache qu'au texte (hors du code)",
        ),
    ];
    fixes
        .iter()
        .find(|(en, _)| *en == m)
        .map(|(_, fr)| fr.to_string())
}

/// A tracepoint of Typst (« while calling `f` ») in French; `None` when
/// unknown.
pub fn trace(m: &str) -> Option<String> {
    if let Some(t) = motif(m, "while calling `{}`") {
        return Some(format!("lors de l'appel de `{}`", t[0]));
    }
    if m == "while calling function" {
        return Some("lors de l'appel d'une fonction".to_string());
    }
    if let Some(t) = motif(m, "while showing {} element") {
        return Some(format!("lors de l'affichage d'un élément {}", t[0]));
    }
    if let Some(t) = motif(m, "while importing `{}`") {
        return Some(format!("lors de l'import de `{}`", t[0]));
    }
    if let Some(t) = motif(m, "while including `{}`") {
        return Some(format!("lors de l'inclusion de `{}`", t[0]));
    }
    None
}

/// The French of a message, from the holes of its shape.
type Traduction = fn(&[&str]) -> String;

/// The known messages. Each shape is Typst 0.15's wording
/// (typst-library `foundations`, typst-eval, typst-syntax's parser).
fn traduire(m: &str) -> Option<String> {
    // « … and no default value was specified » (`at` without `default:`)
    // adds nothing the user can act on.
    let m = m
        .strip_suffix(" and no default value was specified")
        .or_else(|| m.strip_prefix("no default value was specified and "))
        .unwrap_or(m);
    let formes: &[(&str, Traduction)] = &[
        ("unknown variable: {}", |t| {
            format!(
                "variable inconnue : {} (ni définie par `#let`, ni importée, ni une fonction de Typst)",
                t[0]
            )
        }),
        ("unknown font family: {}", |t| {
            format!("police de caractères inconnue : {}", t[0])
        }),
        ("file not found (searched at {})", |t| {
            format!("fichier introuvable (cherché à {})", t[0])
        }),
        ("failed to load file (access denied)", |_| {
            "fichier illisible (accès refusé)".to_string()
        }),
        ("failed to load file (is a directory)", |_| {
            "fichier illisible (c'est un dossier)".to_string()
        }),
        ("failed to load file ({})", |t| {
            format!("fichier illisible ({})", t[0])
        }),
        ("failed to load file", |_| "fichier illisible".to_string()),
        ("failed to load package ({})", |t| {
            format!("paquet impossible à charger ({})", t[0])
        }),
        ("file is not valid UTF-8", |_| {
            "le fichier n'est pas en UTF-8".to_string()
        }),
        ("not a Typst source file", |_| {
            "ce fichier n'est pas une source Typst".to_string()
        }),
        ("missing argument: {}", |t| {
            format!("argument manquant : {}", t[0])
        }),
        ("unexpected argument: {}", |t| {
            format!(
                "argument inconnu : {} (cette fonction ne le prend pas)",
                t[0]
            )
        }),
        ("unexpected argument", |_| {
            "argument en trop (cette fonction en prend moins)".to_string()
        }),
        ("expected {}, found {}", |t| {
            format!(
                "valeur de type {} refusée ; type attendu : {}",
                types(t[1]),
                types(t[0])
            )
        }),
        ("cannot add {} and {}", |t| {
            format!("addition impossible : {} et {}", types(t[0]), types(t[1]))
        }),
        ("cannot subtract {} from {}", |t| {
            format!(
                "soustraction impossible : {} moins {}",
                types(t[1]),
                types(t[0])
            )
        }),
        ("cannot multiply {} with {}", |t| {
            format!(
                "multiplication impossible : {} par {}",
                types(t[0]),
                types(t[1])
            )
        }),
        ("cannot divide by zero", |_| "division par zéro".to_string()),
        ("cannot divide {} by {}", |t| {
            format!("division impossible : {} par {}", types(t[0]), types(t[1]))
        }),
        ("cannot join {} with {}", |t| {
            format!(
                "concaténation impossible : {} avec {}",
                types(t[0]),
                types(t[1])
            )
        }),
        ("cannot compare {} and {}", |t| {
            format!(
                "comparaison impossible : {} et {}",
                types(t[0]),
                types(t[1])
            )
        }),
        ("cannot apply '{}' to {} and {}", |t| {
            format!(
                "opération `{}` impossible entre {} et {}",
                t[0],
                types(t[1]),
                types(t[2])
            )
        }),
        ("cannot apply unary '{}' to {}", |t| {
            format!("opération `{}` impossible sur {}", t[0], types(t[1]))
        }),
        ("cannot apply '{}' to {}", |t| {
            format!("opération `{}` impossible sur {}", t[0], types(t[1]))
        }),
        ("cannot loop over {}", |t| {
            format!(
                "une boucle `for` ne parcourt pas une valeur de type {}",
                types(t[0])
            )
        }),
        ("cannot access fields on type {}", |t| {
            format!("une valeur de type {} n'a pas de champs", types(t[0]))
        }),
        ("cannot break outside of loop", |_| {
            "`break` hors d'une boucle".to_string()
        }),
        ("cannot continue outside of loop", |_| {
            "`continue` hors d'une boucle".to_string()
        }),
        ("cannot return outside of function", |_| {
            "`return` hors d'une fonction".to_string()
        }),
        ("dictionary does not contain key {}", |t| {
            format!("le dictionnaire n'a pas de clé {}", t[0])
        }),
        ("type {} has no method `{}`", |t| {
            format!("le type {} n'a pas de méthode `{}`", types(t[0]), t[1])
        }),
        ("function `{}` does not contain field `{}`", |t| {
            format!("la fonction `{}` n'a pas de champ `{}`", t[0], t[1])
        }),
        ("element `{}` does not have field `{}`", |t| {
            format!("l'élément `{}` n'a pas de champ `{}`", t[0], t[1])
        }),
        ("module `{}` does not contain `{}`", |t| {
            format!("le module `{}` ne contient pas `{}`", t[0], t[1])
        }),
        ("`{}` is not a function", |t| {
            format!("`{}` n'est pas une fonction", t[0])
        }),
        ("array index out of bounds (index: {}, len: {})", |t| {
            format!(
                "indice {} hors de la liste (longueur {} ; le premier indice est 0)",
                t[0], t[1]
            )
        }),
        ("string index out of bounds (index: {}, len: {})", |t| {
            format!(
                "indice {} hors de la chaîne (longueur {} en octets ; le premier indice est 0)",
                t[0], t[1]
            )
        }),
        ("label `{}` does not exist in the document", |t| {
            format!("l'étiquette `{}` n'existe pas dans le document", t[0])
        }),
        ("panicked with: {}", |t| {
            format!("le gabarit s'arrête (`panic`) : {}", t[0])
        }),
        ("assertion failed: {}", |t| {
            format!("assertion non vérifiée : {}", t[0])
        }),
        ("assertion failed", |_| "assertion non vérifiée".to_string()),
        (
            "equality assertion failed: value {} was not equal to {}",
            |t| {
                format!(
                    "assertion non vérifiée : {} n'est pas égal à {}",
                    t[0], t[1]
                )
            },
        ),
        ("unclosed delimiter", |_| {
            "délimiteur jamais refermé".to_string()
        }),
        ("unclosed string", |_| {
            "chaîne jamais refermée (il manque le guillemet fermant)".to_string()
        }),
        ("unclosed raw text", |_| {
            "texte brut jamais refermé (il manque l'accent grave fermant)".to_string()
        }),
        ("unclosed label", |_| {
            "étiquette jamais refermée (il manque le `>`)".to_string()
        }),
        ("unexpected {}", |t| inattendu(t[0])),
        ("expected {}", |t| attendu(t[0])),
        ("invalid number suffix: `{}`", |t| {
            format!("unité de nombre inconnue : `{}`", t[0])
        }),
        ("maximum function call depth exceeded", |_| {
            "trop d'appels de fonction imbriqués (une fonction qui s'appelle sans fin ?)"
                .to_string()
        }),
        ("too many elements to destructure", |_| {
            "trop d'éléments pour ce motif de décomposition".to_string()
        }),
        ("not enough elements to destructure", |_| {
            "pas assez d'éléments pour ce motif de décomposition".to_string()
        }),
        ("unable to get the current date", |_| {
            "la date du jour n'est pas disponible : un document tient ses dates des données"
                .to_string()
        }),
        ("string contains invalid digits", |_| {
            "la chaîne contient autre chose que des chiffres".to_string()
        }),
        ("invalid numbering pattern", |_| {
            "motif de numérotation non reconnu".to_string()
        }),
        ("only element functions can be used in set rules", |_| {
            "seules les fonctions d'élément (text, par, page…) vont dans un `set`".to_string()
        }),
        ("PDF/A-2b error: missing document date", |_| {
            "PDF/A-2b : la date du document manque".to_string()
        }),
        ("package not found", |_| "paquet introuvable".to_string()),
        ("package not found {}", |_| "paquet introuvable".to_string()),
        (
            "{} is only allowed directly in code and content blocks",
            |t| {
                format!(
                    "{} n'est permis que dans un bloc de code ou de contenu",
                    t[0]
                )
            },
        ),
    ];
    formes
        .iter()
        .find_map(|(forme, fr)| motif(m, forme).map(|t| fr(&t)))
        .filter(|fr| !fr.is_empty())
}

/// The holes of `modele` (literal text with `{}` holes) in `message`, if
/// it has this shape. A hole takes the text up to the first occurrence of
/// the literal that follows it; the last one, all the rest.
fn motif<'a>(message: &'a str, modele: &str) -> Option<Vec<&'a str>> {
    let parts: Vec<&str> = modele.split("{}").collect();
    let mut reste = message.strip_prefix(parts[0])?;
    let mut trous = Vec::new();
    for (i, p) in parts.iter().enumerate().skip(1) {
        if i == parts.len() - 1 {
            trous.push(reste.strip_suffix(p)?);
            reste = "";
        } else {
            let k = reste.find(p)?;
            trous.push(&reste[..k]);
            reste = &reste[k + p.len()..];
        }
    }
    (reste.is_empty() && trous.iter().all(|t| !t.is_empty())).then_some(trous)
}

/// Typst's type names in French, in a list as Typst writes them
/// (« string, function, or auto »); a quoted value or an unknown name stays.
fn types(s: &str) -> String {
    let s = s.replace(", or ", " ou ").replace(" or ", " ou ");
    let mut out = String::new();
    let mut reste = s.as_str();
    loop {
        let suivant = [", ", " ou "]
            .iter()
            .filter_map(|sep| reste.find(sep).map(|i| (i, *sep)))
            .min();
        match suivant {
            Some((i, sep)) => {
                out += un_type(&reste[..i]);
                out += sep;
                reste = &reste[i + sep.len()..];
            }
            None => {
                out += un_type(reste);
                return out;
            }
        }
    }
}

fn un_type(t: &str) -> &str {
    match t {
        "integer" | "int" => "entier",
        "float" => "nombre à virgule",
        "decimal" => "décimal",
        "string" | "str" => "chaîne",
        "content" => "contenu",
        "length" => "longueur",
        "relative length" => "longueur relative",
        "ratio" => "pourcentage",
        "fraction" => "fraction",
        "boolean" | "bool" => "booléen",
        "array" => "liste",
        "dictionary" => "dictionnaire",
        "function" => "fonction",
        "color" => "couleur",
        "alignment" => "alignement",
        "datetime" => "date",
        "duration" => "durée",
        "label" => "étiquette",
        "symbol" => "symbole",
        "bytes" => "octets",
        "regex" => "expression régulière",
        "selector" => "sélecteur",
        "stroke" => "trait",
        "location" => "emplacement",
        "counter" => "compteur",
        "state" => "état",
        "gradient" => "dégradé",
        "tiling" => "motif",
        "arguments" => "arguments",
        autre => autre,
    }
}

/// What Typst's parser expected here (« expected expression »), or the
/// values a parameter takes (« expected integer, "thin", … »).
fn attendu(quoi: &str) -> String {
    let syntaxe: &[(&str, &str)] = &[
        ("expression", "une expression"),
        ("pattern", "un motif (un nom de variable)"),
        ("comma", "une virgule"),
        ("colon", "un deux-points"),
        ("identifier", "un identifiant (un nom)"),
        ("closing paren", "une parenthèse fermante `)`"),
        ("closing bracket", "un crochet fermant `]`"),
        ("closing brace", "une accolade fermante `}`"),
        (
            "semicolon or line break",
            "un point-virgule ou un saut de ligne",
        ),
        ("body", "un corps (un bloc `{…}` ou `[…]`)"),
        ("block", "un bloc `{…}` ou `[…]`"),
        ("keyword `in`", "le mot-clé `in`"),
        ("string", "une chaîne"),
        ("label", "une étiquette"),
        ("import item or renamed import item", "un nom à importer"),
    ];
    if let Some((_, fr)) = syntaxe.iter().find(|(en, _)| *en == quoi) {
        return format!("il manque ici {fr}");
    }
    // A parameter's values: every item a type or a quoted value.
    let items = quoi.replace(", or ", ", ").replace(" or ", ", ");
    let connu = |i: &str| i.starts_with('"') || un_type(i) != i || matches!(i, "none" | "auto");
    if items.split(", ").all(connu) {
        return format!("valeur refusée ; valeurs permises : {}", types(quoi));
    }
    String::new()
}

/// What Typst's parser did not expect here (« unexpected closing bracket »).
fn inattendu(quoi: &str) -> String {
    let fr = match quoi {
        "closing bracket" => "crochet fermant `]` sans crochet ouvrant",
        "closing paren" => "parenthèse fermante `)` sans parenthèse ouvrante",
        "closing brace" => "accolade fermante `}` sans accolade ouvrante",
        "end of block comment" => "fin de commentaire `*/` sans début `/*`",
        "colon" => "deux-points inattendu",
        "comma" => "virgule inattendue",
        "equals sign" => "signe `=` inattendu",
        "star" => "astérisque inattendu",
        "dot" => "point inattendu",
        "hash" => "dièse `#` inattendu",
        "plus" => "signe `+` inattendu",
        "minus" => "signe `-` inattendu",
        "semicolon" => "point-virgule inattendu",
        "arrow" => "flèche `=>` inattendue",
        _ => {
            return motif(quoi, "keyword `{}`")
                .map(|t| format!("mot-clé `{}` inattendu ici", t[0]))
                .unwrap_or_default();
        }
    };
    fr.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_give_their_holes() {
        assert_eq!(
            motif("unknown variable: x", "unknown variable: {}"),
            Some(vec!["x"])
        );
        assert_eq!(
            motif(
                "expected string, function, or auto, found integer",
                "expected {}, found {}"
            ),
            Some(vec!["string, function, or auto", "integer"])
        );
        assert_eq!(
            motif("unclosed delimiter", "unclosed delimiter"),
            Some(vec![])
        );
        assert_eq!(motif("unclosed delimiters", "unclosed delimiter"), None);
        assert_eq!(
            motif("unexpected argument", "unexpected argument: {}"),
            None
        );
    }

    #[test]
    fn type_lists_are_french() {
        assert_eq!(
            types("auto, relative length, or fraction"),
            "auto, longueur relative ou fraction"
        );
        assert_eq!(types("integer or float"), "entier ou nombre à virgule");
        assert_eq!(
            message("expected length, found string"),
            "valeur de type chaîne refusée ; type attendu : longueur"
        );
    }

    #[test]
    fn an_unknown_message_is_french_without_typsts_words() {
        let m = message("some invalid thing was found where cannot be expected");
        assert!(m.starts_with("Typst refuse ce passage du gabarit"), "{m}");
        assert!(!m.contains("invalid") && !m.contains("found"), "{m}");
        // « expected » with an unknown syntax noun is not half-translated.
        assert!(message("expected frobnicator").starts_with("Typst refuse"));
        assert!(message("unexpected frobnicator").starts_with("Typst refuse"));
        assert_eq!(indice("some unknown hint"), None);
    }
}
