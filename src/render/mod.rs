//! Stage 4, `render`: model + computed flow → Typst source, through minijinja.
//!
//! Templates are the `*.typ.j2` files embedded from `templates/`. Every printed
//! value is escaped for Typst markup by default (custom auto-escape +
//! formatter); raw Typst comes only from filters that build it (`blanc`,
//! `chaine`). Undefined variables are errors. This stage knows nothing of YAML
//! or spans and formats no figure itself beyond the filters.

pub mod avenant;
pub mod filtres;
pub mod rapport;
pub mod tableur;
pub mod vue;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior};

use crate::assets;
use crate::compute::Flux;
use crate::model::{Convention, Modele};
use crate::modeles::dossier::Dossier as DossierModele;

/// A Typst document ready to typeset.
#[derive(Clone, Debug)]
pub struct DocumentSource {
    /// File name under `out/<annee>/<convention>/` (`convention.pdf`…).
    pub fichier: String,
    /// Human description ("convention", "annexe Ville du Port").
    pub description: String,
    pub template: &'static str,
    pub source: String,
    /// Stable PDF identifier (same inputs, same bytes).
    pub ident: String,
    /// The user's model folder it was rendered from (its Typst files are
    /// served to typeset); `None`: the built-in models.
    pub modele: Option<Arc<DossierModele>>,
    /// For an annex alone: the document whose pages it also is (typeset
    /// exports those pages instead of composing `source` again, see
    /// `typeset::Typesetter::extraire`). `None`: a document of its own.
    pub partie_de: Option<PartieDe>,
    /// For a composition with more than [`ANNEXES_PAR_MORCEAU`] annexes:
    /// the same pages in pieces, laid out one after the other so that
    /// memory holds one piece at a time (`pipeline::Fabrique` assembles
    /// them). `source` stays the whole composition (`--typst`).
    pub morceaux: Option<Morceaux>,
}

/// A composition in pieces: its body alone (`document.annexes_a_part`),
/// then its annexes, [`ANNEXES_PAR_MORCEAU`] at a time, each piece a Typst
/// source of its own whose parts are the annexes.
#[derive(Clone, Debug)]
pub struct Morceaux {
    pub corps: String,
    pub annexes: Vec<String>,
}

/// Above this many annexes, a composition is laid out in pieces: Typst's
/// memory grows with the pages of one compilation (about 3 MiB a page on
/// this machine class: 290 pages, 900 MiB), a piece of 16 annexes stays
/// near 100 MiB.
pub const ANNEXES_PAR_MORCEAU: usize = 16;

/// Where an annex alone sits in its composition.
#[derive(Clone, Debug)]
pub struct PartieDe {
    /// The composition's file (`convention.pdf`, `avenant-1.pdf`).
    pub composition: String,
    /// The part's key, as its start marker names it (`annexe-le-port`).
    pub cle: String,
    /// The annex's own PDF title (the composition's is the convention's).
    pub titre: String,
}

/// Failures of the render stage (a template bug, never a data error).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("erreur de gabarit {template} : {detail}")]
    Gabarit { template: String, detail: String },
    /// In a user's model folder: `lieu` is `<file>:<line>`.
    #[error(
        "erreur de gabarit {lieu} : {detail}\n  = note : modèle {dossier} (`convention.gabarits`)"
    )]
    Modele {
        lieu: String,
        detail: String,
        dossier: String,
    },
}

/// The template environment, built once and shared: the embedded templates,
/// or a user's model folder (templates it lacks come from the embedded ones).
pub struct Rendu {
    env: Environment<'static>,
    /// The model folder this environment reads; `None`: the built-in models.
    pub(crate) modele: Option<Arc<DossierModele>>,
    /// One environment per model folder, built on first use and kept for the
    /// process (a batch renders many conventions of one model).
    dossiers: Mutex<HashMap<PathBuf, Arc<Rendu>>>,
}

impl Default for Rendu {
    fn default() -> Self {
        Self::new()
    }
}

impl Rendu {
    /// The built-in models.
    pub fn new() -> Self {
        let mut env = environnement();
        env.set_loader(|nom| {
            Ok(assets::template(nom).map(|b| String::from_utf8_lossy(b).into_owned()))
        });
        Rendu {
            env,
            modele: None,
            dossiers: Mutex::default(),
        }
    }

    /// The templates of a user's model folder: a name is read from the
    /// folder (sandboxed, see [`crate::modeles::dossier`]), or else from the
    /// embedded templates; a name the folder refuses is an error.
    fn du_dossier(modele: Arc<DossierModele>) -> Self {
        let mut env = environnement();
        let m = Arc::clone(&modele);
        env.set_loader(move |nom| match m.lire(nom) {
            Ok(Some(b)) => String::from_utf8(b.to_vec()).map(Some).map_err(|_| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("{} n'est pas en UTF-8", m.chemin(nom)),
                )
            }),
            Ok(None) => Ok(assets::template(nom).map(|b| String::from_utf8_lossy(b).into_owned())),
            Err(e) => Err(Error::new(ErrorKind::InvalidOperation, e)),
        });
        Rendu {
            env,
            modele: Some(modele),
            dossiers: Mutex::default(),
        }
    }

    /// The environment of the model folder `m`, built once per folder.
    pub fn pour(&self, m: &Arc<DossierModele>) -> Arc<Rendu> {
        let mut dossiers = self.dossiers.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            dossiers
                .entry(m.racine().to_path_buf())
                .or_insert_with(|| Arc::new(Rendu::du_dossier(Arc::clone(m)))),
        )
    }

    /// [`Rendu::documents`] with the templates of `modele` (`None`: built-in).
    pub fn documents_du_modele(
        &self,
        modele: Option<&Arc<DossierModele>>,
        c: &Convention,
        flux: &Flux,
        tous: &[Flux],
    ) -> Result<Vec<DocumentSource>, RenderError> {
        match modele {
            None => self.documents(c, flux, tous),
            Some(m) => self.pour(m).documents(c, flux, tous),
        }
    }

    /// Renders one template with a context (any view model).
    pub fn rendre<T: serde::Serialize>(
        &self,
        template: &str,
        ctx: &T,
    ) -> Result<String, RenderError> {
        let tpl = self
            .env
            .get_template(template)
            .map_err(|e| self.erreur(template, &e))?;
        tpl.render(Value::from(Serde(ctx)))
            .map_err(|e| self.erreur(template, &e))
    }

    /// Every document of one year of a convention, as Typst sources: for the
    /// first exercise the convention to sign and each annex alone; for a later
    /// exercise its avenant and the updated annexes. `tous` holds the flows of
    /// every exercise (an avenant compares year N with year N-1).
    pub fn documents(
        &self,
        c: &Convention,
        flux: &Flux,
        tous: &[Flux],
    ) -> Result<Vec<DocumentSource>, RenderError> {
        let mut out = Vec::new();
        if c.premiere_annee().is_some_and(|p| flux.annee != p) {
            return avenant::documents(self, c, flux, tous);
        }
        let ident = |doc: &str| format!("convflux/{}/{}/{doc}", c.id, flux.annee);
        match c.modele {
            Modele::Intercommunal => {
                let tpl = "intercommunal/convention.typ.j2";
                let ctx = vue::construire(c, flux, None, "");
                let morceaux = self.morceaux(tpl, "intercommunal/annexe.typ.j2", &ctx, |v| v)?;
                out.push(DocumentSource {
                    fichier: "convention.pdf".into(),
                    description: "convention et annexes".into(),
                    template: tpl,
                    source: self.rendre(tpl, &ctx)?,
                    ident: ident("convention"),
                    modele: self.modele.clone(),
                    partie_de: None,
                    morceaux,
                });
                for a in &flux.annexes {
                    let tpl = "intercommunal/annexe.typ.j2";
                    let nom = c
                        .reservataire(&a.reservataire)
                        .map_or(a.reservataire.clone(), |r| r.designation.clone());
                    let ctx =
                        vue::construire(c, flux, Some(&a.reservataire), &format!("Annexe {nom}"));
                    out.push(DocumentSource {
                        fichier: format!("annexe-{}.pdf", a.reservataire),
                        description: format!("annexe {nom}"),
                        template: tpl,
                        source: self.rendre(tpl, &ctx)?,
                        ident: ident(&format!("annexe-{}", a.reservataire)),
                        modele: self.modele.clone(),
                        partie_de: Some(PartieDe {
                            composition: "convention.pdf".into(),
                            cle: format!("annexe-{}", a.reservataire),
                            titre: ctx.document.titre.clone(),
                        }),
                        morceaux: None,
                    });
                }
            }
            Modele::Bilateral => {
                let docs: [(&str, &'static str, &str, &str); 4] = [
                    (
                        "convention.pdf",
                        "bilateral/convention.typ.j2",
                        "",
                        "convention et annexes 1 à 3",
                    ),
                    (
                        "annexe-1-etat-des-lieux.pdf",
                        "bilateral/annexe-1.typ.j2",
                        "Annexe 1 : état des lieux",
                        "annexe 1 (état des lieux)",
                    ),
                    (
                        "annexe-2-assiette.pdf",
                        "bilateral/annexe-2.typ.j2",
                        "Annexe 2 : assiette prévisionnelle",
                        "annexe 2 (assiette prévisionnelle)",
                    ),
                    (
                        "annexe-3-indicateurs.pdf",
                        "bilateral/annexe-3.typ.j2",
                        "Annexe 3 : indicateurs du bilan",
                        "annexe 3 (indicateurs du bilan)",
                    ),
                ];
                for (fichier, tpl, titre, description) in docs {
                    let ctx = vue::construire(c, flux, None, titre);
                    let cle = fichier.trim_end_matches(".pdf");
                    out.push(DocumentSource {
                        fichier: fichier.into(),
                        description: description.into(),
                        template: tpl,
                        source: self.rendre(tpl, &ctx)?,
                        ident: ident(cle),
                        modele: self.modele.clone(),
                        partie_de: (fichier != "convention.pdf").then(|| PartieDe {
                            composition: "convention.pdf".into(),
                            cle: cle.into(),
                            titre: ctx.document.titre.clone(),
                        }),
                        morceaux: None,
                    });
                }
            }
        }
        Ok(out)
    }
}

impl Rendu {
    /// The pieces of a composition with many annexes (`None` up to
    /// [`ANNEXES_PAR_MORCEAU`]): `tpl` rendered with `annexes_a_part`, then
    /// `tpl_annexes` (the template of an annex alone, which prints every
    /// annex of its context) for each slice of the annexes. `vue` gives the
    /// view inside the context (an avenant's context holds the convention's).
    pub(crate) fn morceaux<C: Clone + serde::Serialize>(
        &self,
        tpl: &str,
        tpl_annexes: &str,
        ctx: &C,
        vue: impl Fn(&mut C) -> &mut vue::Vue,
    ) -> Result<Option<Morceaux>, RenderError> {
        let mut corps = ctx.clone();
        let annexes = vue(&mut corps).annexes.clone();
        if annexes.len() <= ANNEXES_PAR_MORCEAU {
            return Ok(None);
        }
        vue(&mut corps).document.annexes_a_part = true;
        let mut morceaux = Morceaux {
            corps: self.rendre(tpl, &corps)?,
            annexes: Vec::new(),
        };
        for lot in annexes.chunks(ANNEXES_PAR_MORCEAU) {
            let mut m = ctx.clone();
            let v = vue(&mut m);
            v.annexes = lot.to_vec();
            v.document.logos.clear();
            morceaux.annexes.push(self.rendre(tpl_annexes, &m)?);
        }
        Ok(Some(morceaux))
    }

    /// A render error: for a user's model, located in its folder
    /// (`<dossier>/<gabarit>:<ligne>`) with the kind of error in French.
    fn erreur(&self, template: &str, e: &Error) -> RenderError {
        let Some(m) = &self.modele else {
            return gabarit(template, e);
        };
        // An error inside an included template comes wrapped in the including
        // one's: report the innermost located one, where the user must look.
        let mut e = e;
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            if let Some(inner) = s.downcast_ref::<Error>()
                && inner.name().is_some()
            {
                e = inner;
            }
            src = s.source();
        }
        // The template's own text, to give the column and show the line.
        let texte: Option<String> = match e.name() {
            Some(nom) => match m.lire(nom) {
                Ok(Some(b)) => Some(String::from_utf8_lossy(&b).into_owned()),
                _ => crate::assets::template(nom).map(|b| String::from_utf8_lossy(b).into_owned()),
            },
            None => None,
        };
        let fichier = match e.name() {
            Some(nom) if matches!(m.lire(nom), Ok(Some(_))) => m.chemin(nom),
            Some(nom) => format!("{nom} (gabarit intégré)"),
            None => m.chemin(template),
        };
        // Line, column and the line with a caret, from the template's text.
        let extrait = match (&texte, e.range()) {
            (Some(t), Some(r)) => crate::diagnostic::extrait(t, r.start, r.end),
            _ => None,
        };
        let lieu = match (&extrait, e.line()) {
            (Some(x), _) => format!("{fichier}:{}:{}", x.ligne, x.colonne),
            (None, Some(l)) => format!("{fichier}:{l}"),
            (None, None) => fichier,
        };
        let mut detail = match e.detail() {
            Some(d) => match detail_fr(d) {
                Some(d) => format!("{} : {}", nature(e.kind()), d),
                None => nature(e.kind()).to_owned(),
            },
            None => nature(e.kind()).to_owned(),
        };
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            detail.push_str(&format!(" ; {s}"));
            src = s.source();
        }
        if let Some(x) = extrait {
            detail.push('\n');
            detail.push_str(&x.texte);
        }
        RenderError::Modele {
            lieu,
            detail,
            dossier: m.racine().display().to_string(),
        }
    }
}

/// minijinja's detail of the most common template mistakes, in French;
/// `None` for the others, whose English is not printed (the kind of error,
/// in French, and its place remain). convflux's own details are French and
/// kept as they are.
fn detail_fr(d: &str) -> Option<String> {
    if let Some(nom) = d.strip_suffix(" is undefined") {
        return Some(format!("{nom} n'est pas défini"));
    }
    for (suffixe, quoi) in [
        (" is unknown", "inconnu"),
        (" is not defined", "non défini"),
    ] {
        if let Some(nom) = d.strip_suffix(suffixe) {
            let nom = ["filter ", "test ", "function ", "method "]
                .iter()
                .find_map(|p| nom.strip_prefix(p))
                .unwrap_or(nom);
            return Some(format!("`{nom}` {quoi}"));
        }
    }
    let connu = match d {
        "unexpected end of block" => "fin de bloc inattendue",
        "unexpected end of input" => "fin du gabarit inattendue",
        "unexpected end of variable block" => "fin de `{{ … }}` inattendue",
        "range has too many elements" => "intervalle (`range`) trop grand",
        "cannot convert value to list" | "value is not iterable" | "not iterable" => {
            "cette valeur n'est pas une liste"
        }
        "value is not a string" => "cette valeur n'est pas un texte",
        "expected object" | "not an object" => "cette valeur n'est pas une table",
        "count cannot be 0" => "le nombre ne peut pas être 0",
        "missing argument" => "argument manquant",
        "too many arguments" | "unexpected keyword arguments" => "trop d'arguments",
        _ => "",
    };
    if !connu.is_empty() {
        return Some(connu.to_owned());
    }
    if let Some(reste) = d.strip_prefix("unexpected ")
        && let Some((trouve, attendu)) = reste.split_once(", expected ")
    {
        return Some(format!("{trouve} inattendu, {attendu} attendu"));
    }
    (!anglais(d)).then(|| d.to_owned())
}

/// Whether a detail is minijinja's English rather than convflux's French
/// (which has an accented letter or a French word).
fn anglais(d: &str) -> bool {
    const MOTS: [&str; 14] = [
        "le", "la", "les", "de", "des", "du", "un", "une", "est", "pas", "ou", "et", "au", "aux",
    ];
    let francais = d.chars().any(|c| c.is_alphabetic() && !c.is_ascii())
        || d.split(|c: char| !c.is_ascii_alphabetic())
            .any(|m| MOTS.contains(&m.to_ascii_lowercase().as_str()));
    !francais
}

/// A minijinja error kind in French.
fn nature(k: ErrorKind) -> &'static str {
    match k {
        ErrorKind::SyntaxError => "erreur de syntaxe",
        ErrorKind::UndefinedError => "variable ou attribut non défini",
        ErrorKind::TemplateNotFound => "gabarit introuvable",
        ErrorKind::UnknownFilter => "filtre inconnu",
        ErrorKind::UnknownFunction => "fonction inconnue",
        ErrorKind::UnknownTest => "test inconnu",
        ErrorKind::UnknownMethod => "méthode inconnue",
        ErrorKind::MissingArgument => "argument manquant",
        ErrorKind::TooManyArguments => "trop d'arguments",
        ErrorKind::InvalidOperation => "opération impossible",
        ErrorKind::BadEscape => "échappement invalide",
        ErrorKind::BadSerialization => "valeur non sérialisable",
        ErrorKind::CannotUnpack => "décomposition impossible",
        ErrorKind::WriteFailure => "écriture impossible",
        _ => "erreur de gabarit",
    }
}

/// An environment with convflux's syntax, escaping and filters, no loader.
fn environnement() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // A blank line is a paragraph break in Typst: block tags leave none.
    if let Ok(syntaxe) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntaxe);
    }
    env.set_auto_escape_callback(|nom| {
        if nom.ends_with(".typ.j2") {
            AutoEscape::Custom("typst".into())
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        if value.is_safe() {
            return write!(out, "{value}")
                .map_err(|_| Error::new(ErrorKind::WriteFailure, "écriture"));
        }
        match state.auto_escape() {
            AutoEscape::Custom(mode) if mode == "typst" => {
                if value.is_none() {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "valeur nulle imprimée : utilisez `| blanc` ou un test `is none`",
                    ));
                }
                if value.as_object().is_some() || value.len().is_some() && value.as_str().is_none()
                {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        format!("liste ou table imprimée telle quelle : {value}"),
                    ));
                }
                let s = match value.as_str() {
                    Some(s) => s.to_string(),
                    None => value.to_string(),
                };
                write!(out, "{}", filtres::echapper_markup(&s))
                    .map_err(|_| Error::new(ErrorKind::WriteFailure, "écriture"))
            }
            _ => minijinja::escape_formatter(out, state, value),
        }
    });
    env.add_filter("nombre", filtres::nombre);
    env.add_filter("taux", filtres::taux);
    env.add_filter("pluriel", filtres::pluriel);
    env.add_filter("logements", filtres::logements);
    env.add_filter("date_longue", filtres::date_longue);
    env.add_filter("date_courte", filtres::date_courte);
    env.add_filter("lettres", filtres::lettres);
    env.add_filter("euros", filtres::euros);
    env.add_filter("blanc", filtres::blanc);
    env.add_filter("chaine", filtres::chaine);
    env
}

fn gabarit(template: &str, e: &Error) -> RenderError {
    let mut detail = e.to_string();
    if let (Some(nom), Some(ligne)) = (e.name(), e.line()) {
        detail = format!("{detail} ({nom}, ligne {ligne})");
    }
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        detail.push_str(&format!(" ; {s}"));
        src = s.source();
    }
    RenderError::Gabarit {
        template: template.to_string(),
        detail,
    }
}

#[cfg(test)]
mod test_detail_fr {
    use super::*;

    #[test]
    fn minijinja_english_is_translated_or_left_out_and_french_kept() {
        assert_eq!(
            detail_fr("filter nofilter is unknown").as_deref(),
            Some("`nofilter` inconnu")
        );
        assert_eq!(
            detail_fr("range has too many elements").as_deref(),
            Some("intervalle (`range`) trop grand")
        );
        assert_eq!(detail_fr("unable to round value"), None);
        assert_eq!(detail_fr("state unavailable"), None);
        let fr = "valeur nulle imprimée : utilisez `| blanc` ou un test `is none`";
        assert_eq!(detail_fr(fr).as_deref(), Some(fr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_value_is_escaped_by_default() {
        let mut env = Rendu::new().env;
        env.add_template_owned(
            "t.typ.j2".to_string(),
            "{{ x }}|{{ x | chaine }}|{{ n | blanc }}".to_string(),
        )
        .unwrap();
        let s = env
            .get_template("t.typ.j2")
            .unwrap()
            .render(minijinja::context! { x => "#read(\"/etc/passwd\")", n => () })
            .unwrap();
        assert_eq!(
            s,
            "\\#read\\(\\\"\\/etc\\/passwd\\\"\\)|\"#read(\\\"/etc/passwd\\\")\"|#blanc"
        );
    }

    #[test]
    fn undefined_variable_is_an_error() {
        let mut env = Rendu::new().env;
        env.add_template_owned("u.typ.j2".to_string(), "{{ absent }}".to_string())
            .unwrap();
        assert!(
            env.get_template("u.typ.j2")
                .unwrap()
                .render(minijinja::context! {})
                .is_err()
        );
    }

    #[test]
    fn null_printed_without_blanc_is_an_error() {
        let mut env = Rendu::new().env;
        env.add_template_owned("n.typ.j2".to_string(), "{{ n }}".to_string())
            .unwrap();
        assert!(
            env.get_template("n.typ.j2")
                .unwrap()
                .render(minijinja::context! { n => () })
                .is_err()
        );
    }
}
