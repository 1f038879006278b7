//! A user's model folder (`convention.gabarits`): a copy made by
//! `modele copier`, possibly edited, read without recompiling convflux.
//!
//! Takes a folder path; gives its description (`modele.yaml`: the family it
//! serves) and its files, read on demand and only inside the folder: a name
//! with `..`, an absolute name, a link leading out of the folder, a file that
//! is not a regular file or is larger than [`TAILLE_FICHIER_MAX`] is refused
//! with a French message. A name absent from the folder is `None`: the caller
//! falls back to the embedded file of the same path. Each file is read once
//! per process, so render, typeset and the manifest see the same bytes.
//! It knows nothing of minijinja or Typst.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::assets;
use crate::input;
use crate::load::{self, Value};

/// The largest file of a model folder read (a template is a few kilobytes).
pub const TAILLE_FICHIER_MAX: u64 = 1024 * 1024;

/// The folder of a model's fonts, beside its templates.
pub const POLICES: &str = "polices";
/// The largest font file read from `polices/` (a Latin text face is a few
/// hundred kilobytes; Libertinus Serif Regular is 330 Kio).
pub const TAILLE_POLICE_MAX: u64 = 4 * 1024 * 1024;
/// The most font files a model may carry (a family: regular, bold, italic…).
pub const POLICES_MAX: usize = 16;
/// The most entries of `polices/` looked at.
const POLICES_ENTREES_MAX: usize = 256;
/// Extensions of the font files read from `polices/` (case ignored).
const POLICES_EXTENSIONS: [&str; 2] = ["ttf", "otf"];
/// Starts of the names of licence files (case ignored): one must lie
/// beside the fonts (`OFL.txt`, `LICENSE`, `LICENCE.md`, `COPYING`…).
const LICENCES: [&str; 5] = ["ofl", "license", "licence", "copying", "ufl"];

/// Whether `nom`, a file name of `polices/`, is a font or a licence file as
/// this folder reads them (case ignored): what `--typst` copies beside a
/// convention's sources, and so the only names it writes or deletes there.
pub fn police_ou_licence(nom: &str) -> bool {
    let nom = nom.to_ascii_lowercase();
    POLICES_EXTENSIONS
        .iter()
        .any(|x| nom.rsplit_once('.').is_some_and(|(_, e)| e == *x))
        || LICENCES.iter().any(|l| nom.starts_with(l))
}

/// A file of the folder: its name relative to the folder, and its bytes.
pub type Fichier = (String, Arc<[u8]>);

/// What reading one name of the folder gave: its bytes, absent, or why refused.
type Lu = Result<Option<Arc<[u8]>>, String>;

/// A user's model folder, opened (see [`ouvrir`]).
#[derive(Debug)]
pub struct Dossier {
    /// The folder, canonical (no link, absolute).
    racine: PathBuf,
    /// `famille` of its `modele.yaml`: `intercommunal`, `bilateral` or `toutes`.
    famille: String,
    /// Every name read so far, with what it gave.
    lus: Mutex<HashMap<String, Lu>>,
    /// The fonts of `polices/`, by name relative to the folder, sorted.
    polices: Vec<Fichier>,
    /// The licence files beside those fonts (empty without fonts).
    licences: Vec<Fichier>,
}

/// Opens the model folder `chemin` (one [`Dossier`] per folder and process):
/// it must exist, be a folder and hold a `modele.yaml` with a `famille`.
/// The error is a French sentence, without the path (the caller locates it).
pub fn ouvrir(chemin: &Path) -> Result<Arc<Dossier>, String> {
    static OUVERTS: OnceLock<Mutex<HashMap<PathBuf, Arc<Dossier>>>> = OnceLock::new();
    let racine = std::fs::canonicalize(chemin).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "dossier de modèle introuvable".to_owned(),
        _ => format!("dossier de modèle inaccessible : {}", input::io_fr(&e)),
    })?;
    if !racine.is_dir() {
        return Err("ce n'est pas un dossier de modèle mais un fichier".to_owned());
    }
    let ouverts = OUVERTS.get_or_init(Mutex::default);
    if let Some(d) = ouverts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&racine)
    {
        return Ok(Arc::clone(d));
    }
    let description = racine.join(super::DESCRIPTION);
    let texte = input::lire(&description, TAILLE_FICHIER_MAX).map_err(|e| match e {
        input::ErreurLecture::Io(io) if io.kind() == std::io::ErrorKind::NotFound => format!(
            "le dossier n'a pas de {} (un modèle se crée avec `convflux modele copier`)",
            super::DESCRIPTION
        ),
        e => format!("{} illisible : {e}", super::DESCRIPTION),
    })?;
    let texte = String::from_utf8(texte)
        .map_err(|_| format!("{} n'est pas en UTF-8", super::DESCRIPTION))?;
    let famille = famille(&texte)?;
    let mut d = Dossier {
        racine: racine.clone(),
        famille,
        lus: Mutex::default(),
        polices: Vec::new(),
        licences: Vec::new(),
    };
    (d.polices, d.licences) = d.lire_polices()?;
    let d = Arc::new(d);
    ouverts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(racine, Arc::clone(&d));
    Ok(d)
}

/// The `famille` of a `modele.yaml`.
fn famille(texte: &str) -> Result<String, String> {
    let racine = load::charger(texte).map_err(|d| {
        format!(
            "{} n'est pas un YAML valide : {}",
            super::DESCRIPTION,
            d.message
        )
    })?;
    let Value::Map(entrees) = &racine.value else {
        return Err(format!(
            "{} : une table de clés est attendue",
            super::DESCRIPTION
        ));
    };
    match entrees
        .iter()
        .find(|e| e.key == "famille")
        .map(|e| &e.value.value)
    {
        Some(Value::Texte(f)) if ["intercommunal", "bilateral", "toutes"].contains(&f.as_str()) => {
            Ok(f.clone())
        }
        Some(_) => Err(format!(
            "{} : `famille` doit valoir intercommunal, bilateral ou toutes",
            super::DESCRIPTION
        )),
        None => Err(format!(
            "{} : la clé `famille` manque (intercommunal, bilateral ou toutes)",
            super::DESCRIPTION
        )),
    }
}

impl Dossier {
    /// The folder, canonical.
    pub fn racine(&self) -> &Path {
        &self.racine
    }

    /// `intercommunal`, `bilateral` or `toutes`.
    pub fn famille(&self) -> &str {
        &self.famille
    }

    /// Whether the model serves conventions of `famille` (`convention.modele`).
    pub fn sert(&self, famille: &str) -> bool {
        self.famille == "toutes" || self.famille == famille
    }

    /// Where `nom` lies, for messages.
    pub fn chemin(&self, nom: &str) -> String {
        self.racine.join(nom).display().to_string()
    }

    /// The bytes of `nom` (relative to the folder, `/` separators), `None`
    /// when the folder has no such file, or why it is refused.
    pub fn lire(&self, nom: &str) -> Lu {
        self.lire_borne(nom, TAILLE_FICHIER_MAX)
    }

    /// [`Dossier::lire`] with another bound on the size.
    fn lire_borne(&self, nom: &str, taille_max: u64) -> Lu {
        let mut lus = self.lus.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lu) = lus.get(nom) {
            return lu.clone();
        }
        let lu = self.lire_disque(nom, taille_max);
        lus.insert(nom.to_owned(), lu.clone());
        lu
    }

    /// The fonts of the model's `polices/` folder (empty without one), by
    /// name relative to the folder, sorted: what typeset adds to the
    /// embedded fonts for this model's documents.
    pub fn polices(&self) -> &[Fichier] {
        &self.polices
    }

    /// The licence files of `polices/` (`OFL.txt`, `LICENSE`…), by name
    /// relative to the folder, sorted; empty when the model has no fonts:
    /// what `--typst` writes beside the fonts it copies.
    pub fn licences(&self) -> &[Fichier] {
        &self.licences
    }

    /// Reads `polices/`, through the sandbox: only its own files, no link
    /// leading out, at most [`POLICES_MAX`] fonts (`.ttf`, `.otf`) of
    /// [`TAILLE_POLICE_MAX`] each, each recognised by its first bytes, and a
    /// licence file beside them. Other files are ignored.
    fn lire_polices(&self) -> Result<(Vec<Fichier>, Vec<Fichier>), String> {
        let dossier = self.racine.join(POLICES);
        match std::fs::symlink_metadata(&dossier) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(format!("{POLICES}/ inaccessible : {}", input::io_fr(&e))),
            Ok(_) => {}
        }
        let reel = std::fs::canonicalize(&dossier)
            .map_err(|e| format!("{POLICES}/ inaccessible : {}", input::io_fr(&e)))?;
        if !reel.starts_with(&self.racine) || reel == self.racine {
            return Err(format!(
                "{POLICES}/ refusé : c'est un lien qui mène hors du dossier du modèle"
            ));
        }
        if !reel.is_dir() {
            return Err(format!("{POLICES} refusé : attendu un dossier de polices"));
        }
        let entrees = std::fs::read_dir(&reel)
            .map_err(|e| format!("{POLICES}/ illisible : {}", input::io_fr(&e)))?;
        let mut noms = Vec::new();
        for e in entrees {
            let e = e.map_err(|e| format!("{POLICES}/ illisible : {}", input::io_fr(&e)))?;
            if noms.len() == POLICES_ENTREES_MAX {
                return Err(format!(
                    "{POLICES}/ a plus de {POLICES_ENTREES_MAX} fichiers ; attendu : les polices du modèle et leur licence"
                ));
            }
            let nom = e.file_name().into_string().map_err(|n| {
                format!(
                    "{POLICES}/{} refusé : nom de fichier qui n'est pas en UTF-8",
                    crate::diagnostic::affichable(&n.to_string_lossy())
                )
            })?;
            noms.push(nom);
        }
        noms.sort();
        let minuscule = |n: &str| n.to_ascii_lowercase();
        let fontes: Vec<&String> = noms
            .iter()
            .filter(|n| {
                let n = minuscule(n);
                POLICES_EXTENSIONS
                    .iter()
                    .any(|x| n.rsplit_once('.').is_some_and(|(_, e)| e == *x))
            })
            .collect();
        if fontes.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        if fontes.len() > POLICES_MAX {
            return Err(format!(
                "{POLICES}/ a {} fichiers de police ; attendu : {POLICES_MAX} au plus",
                fontes.len()
            ));
        }
        let licences: Vec<Fichier> = noms
            .iter()
            .filter(|n| LICENCES.iter().any(|l| minuscule(n).starts_with(l)))
            .filter_map(|n| {
                let nom = format!("{POLICES}/{n}");
                match self.lire(&nom) {
                    Ok(Some(b)) => Some((nom, b)),
                    _ => None,
                }
            })
            .collect();
        if licences.is_empty() {
            return Err(format!(
                "{POLICES}/ n'a pas de fichier de licence ; attendu : à côté des polices, leur licence libre \
                 (OFL.txt, LICENSE…, LICENCE…, COPYING…), sans quoi convflux ne les utilise pas"
            ));
        }
        let mut out = Vec::with_capacity(fontes.len());
        for n in fontes {
            let nom = format!("{POLICES}/{n}");
            match self.lire_borne(&nom, TAILLE_POLICE_MAX)? {
                Some(b) if est_police(&b) => out.push((nom, b)),
                Some(_) => {
                    return Err(format!(
                        "« {} » refusé : ce n'est pas une police TrueType ou OpenType \
                         (attendu : un fichier commençant par 00 01 00 00, « true » ou « OTTO »)",
                        crate::diagnostic::affichable(&nom)
                    ));
                }
                None => {}
            }
        }
        Ok((out, licences))
    }

    fn lire_disque(&self, nom: &str, taille_max: u64) -> Lu {
        let refus = |pourquoi: &str| {
            Err(format!(
                "« {} » refusé : {pourquoi}",
                crate::diagnostic::affichable(nom)
            ))
        };
        if nom.is_empty() || nom.contains(['\\', '\0']) {
            return refus("nom de fichier invalide");
        }
        let relatif = Path::new(nom);
        if relatif.is_absolute() || nom.starts_with('/') {
            return refus(
                "un gabarit du modèle ne peut nommer qu'un fichier de son dossier, pas un chemin absolu",
            );
        }
        if relatif
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return refus("un gabarit du modèle ne peut pas sortir de son dossier (`..`)");
        }
        let chemin = self.racine.join(relatif);
        match std::fs::symlink_metadata(&chemin) {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return refus(&input::io_fr(&e)),
            Ok(_) => {}
        }
        let reel = match std::fs::canonicalize(&chemin) {
            Ok(r) => r,
            Err(e) => return refus(&input::io_fr(&e)),
        };
        if !reel.starts_with(&self.racine) {
            return refus("c'est un lien qui mène hors du dossier du modèle");
        }
        match input::lire(&reel, taille_max) {
            Ok(b) => Ok(Some(b.into())),
            Err(e) => refus(&e.to_string()),
        }
    }

    /// The bytes of `nom` as a document would use them: from the folder, or
    /// else embedded; `None` when neither has it or the folder refuses it.
    fn resoudre(&self, nom: &str) -> Option<Arc<[u8]>> {
        match self.lire(nom) {
            Ok(Some(b)) => Some(b),
            Ok(None) => assets::template(nom).map(Arc::from),
            Err(_) => None,
        }
    }

    /// `gabarit` and every file it names, transitively, as this model
    /// resolves them (folder first, embedded otherwise), by name relative to
    /// the folder. `None` if `gabarit` resolves to nothing. Names are found
    /// between quotes, as [`assets::gabarits_cites`] does; only names of
    /// templates (`.j2`) and Typst files (`.typ`) are looked up. A name with
    /// a leading `/`, or cited by a template, is relative to the folder; a
    /// name without it cited by a `.typ` file is relative to that file's
    /// folder, as Typst reads it.
    fn fermeture(&self, gabarit: &str) -> Option<BTreeMap<String, Arc<[u8]>>> {
        let depart = self.resoudre(gabarit)?;
        let mut vus = BTreeMap::from([(gabarit.to_owned(), depart)]);
        let mut a_voir = vec![gabarit.to_owned()];
        while let Some(nom) = a_voir.pop() {
            let texte = String::from_utf8_lossy(&vus[&nom]).into_owned();
            for cite in assets::entre_guillemets(&texte) {
                if !(cite.ends_with(".j2") || cite.ends_with(".typ")) {
                    continue;
                }
                let Some(cite) = resoudre_nom(&nom, cite) else {
                    continue;
                };
                if vus.contains_key(&cite) {
                    continue;
                }
                if let Some(b) = self.resoudre(&cite) {
                    vus.insert(cite.clone(), b);
                    a_voir.push(cite);
                }
            }
        }
        Some(vus)
    }

    /// SHA-256 of `gabarit` and of every file it names, transitively, as
    /// this model resolves them (see [`Dossier::fermeture`]): what a document
    /// made from it used. `None` if `gabarit` resolves to nothing.
    pub fn empreinte(&self, gabarit: &str) -> Option<String> {
        let vus = self.fermeture(gabarit)?;
        Some(assets::empreinte_fichiers(
            vus.iter().map(|(n, b)| (n.as_str(), &b[..])),
        ))
    }

    /// The templates (`.j2`) of the folder read so far, with their bytes,
    /// by name: where a line of a document rendered from this model may
    /// come from (typeset names it under a Typst error in `main.typ`).
    pub fn gabarits_lus(&self) -> Vec<Fichier> {
        let lus = self.lus.lock().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<Fichier> = lus
            .iter()
            .filter(|(n, _)| n.ends_with(".j2"))
            .filter_map(|(n, l)| match l {
                Ok(Some(b)) => Some((n.clone(), Arc::clone(b))),
                _ => None,
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// The Typst files (`.typ`) a document made from `gabarit` imports,
    /// transitively, with the bytes Typst is given (folder first, embedded
    /// otherwise), by name relative to the folder: what `--typst` writes
    /// beside the document's source so that it compiles by itself.
    pub fn fichiers_typst(&self, gabarit: &str) -> Vec<Fichier> {
        self.fermeture(gabarit)
            .unwrap_or_default()
            .into_iter()
            .filter(|(n, _)| n.ends_with(".typ"))
            .collect()
    }
}

/// Whether `octets` start like a TrueType or OpenType font (not a collection).
fn est_police(octets: &[u8]) -> bool {
    matches!(octets.get(..4), Some([0, 1, 0, 0] | b"true" | b"OTTO"))
}

/// The name, relative to the model folder, of `cite` written in the file
/// `depuis`: see [`Dossier::fermeture`]. `None` if it leaves the folder.
fn resoudre_nom(depuis: &str, cite: &str) -> Option<String> {
    let (base, reste) = match cite.strip_prefix('/') {
        Some(absolu) => ("", absolu),
        None if depuis.ends_with(".typ") => (depuis.rsplit_once('/').map_or("", |(d, _)| d), cite),
        None => ("", cite),
    };
    let mut parties: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for p in reste.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parties.pop()?;
            }
            p => parties.push(p),
        }
    }
    (!parties.is_empty()).then(|| parties.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn modele(dir: &Path) -> Arc<Dossier> {
        fs::create_dir_all(dir.join("lib")).unwrap();
        fs::write(dir.join("modele.yaml"), "nom: x\nfamille: intercommunal\n").unwrap();
        fs::write(dir.join("lib/convflux.typ"), "#let x = 1\n").unwrap();
        ouvrir(dir).unwrap()
    }

    #[test]
    fn files_inside_are_read_absent_ones_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let m = modele(dir.path());
        assert_eq!(
            &*m.lire("lib/convflux.typ").unwrap().unwrap(),
            b"#let x = 1\n"
        );
        assert_eq!(m.lire("commun/_blocs.typ.j2").unwrap(), None);
        assert!(m.sert("intercommunal") && !m.sert("bilateral"));
    }

    #[test]
    fn names_leading_out_of_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let m = modele(&dir.path().join("m"));
        fs::write(dir.path().join("secret.typ"), "x").unwrap();
        for nom in [
            "../secret.typ",
            "/etc/passwd",
            "lib/../../secret.typ",
            "./lib/convflux.typ",
            "",
            "a\\b",
        ] {
            let e = m.lire(nom).unwrap_err();
            assert!(e.contains("refusé"), "{nom} : {e}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(
                dir.path().join("secret.typ"),
                dir.path().join("m/lien.typ"),
            )
            .unwrap();
            let e = m.lire("lien.typ").unwrap_err();
            assert!(e.contains("hors du dossier"), "{e}");
            fs::create_dir(dir.path().join("m/sous")).unwrap();
            let e = m.lire("sous").unwrap_err();
            assert!(e.contains("dossier"), "{e}");
        }
        let gros = vec![b'x'; TAILLE_FICHIER_MAX as usize + 1];
        fs::write(dir.path().join("m/gros.typ"), gros).unwrap();
        assert!(m.lire("gros.typ").unwrap_err().contains("volumineux"));
    }

    #[test]
    fn a_folder_without_description_or_family_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            ouvrir(&dir.path().join("absent"))
                .unwrap_err()
                .contains("introuvable")
        );
        let e = ouvrir(dir.path()).unwrap_err();
        assert!(e.contains("modele.yaml"), "{e}");
        fs::write(dir.path().join("modele.yaml"), "nom: x\n").unwrap();
        assert!(ouvrir(dir.path()).unwrap_err().contains("`famille`"));
    }

    #[test]
    fn the_hash_follows_the_files_used_folder_first() {
        let dir = tempfile::tempdir().unwrap();
        let m = modele(dir.path());
        let g = "intercommunal/convention.typ.j2";
        // Nothing in the folder but the library: the rest is embedded.
        let a = m.empreinte(g).unwrap();
        let autre = modele(&dir.path().join("autre"));
        fs::write(dir.path().join("autre/lib/convflux.typ"), "#let x = 2\n").unwrap();
        assert_ne!(autre.empreinte(g).unwrap(), a);
        assert_eq!(m.empreinte("absent.typ.j2"), None);
    }

    #[test]
    fn names_cited_by_a_typst_file_are_relative_to_it_unless_absolute() {
        assert_eq!(
            resoudre_nom("lib/convflux.typ", "autre.typ").as_deref(),
            Some("lib/autre.typ")
        );
        assert_eq!(
            resoudre_nom("lib/convflux.typ", "/autre.typ").as_deref(),
            Some("autre.typ")
        );
        assert_eq!(
            resoudre_nom("lib/convflux.typ", "../commun/x.typ").as_deref(),
            Some("commun/x.typ")
        );
        assert_eq!(
            resoudre_nom("commun/_entete.typ.j2", "lib/x.typ").as_deref(),
            Some("lib/x.typ")
        );
        assert_eq!(resoudre_nom("lib/convflux.typ", "../../x.typ"), None);
        assert_eq!(resoudre_nom("a.typ.j2", "../x.typ"), None);
    }

    #[test]
    fn the_typst_files_of_a_document_are_the_folders_then_the_embedded_ones() {
        let dir = tempfile::tempdir().unwrap();
        let m = modele(dir.path());
        fs::write(
            dir.path().join("lib/convflux.typ"),
            "#import \"autre.typ\": y\n",
        )
        .unwrap();
        fs::write(dir.path().join("lib/autre.typ"), "#let y = 2\n").unwrap();
        let f = m.fichiers_typst("intercommunal/convention.typ.j2");
        let noms: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(noms, ["lib/autre.typ", "lib/convflux.typ"]);
        assert_eq!(&*f[1].1, b"#import \"autre.typ\": y\n");
        // Without the folder's library, the embedded one is written.
        let autre = ouvrir(&{
            let d = dir.path().join("vide");
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join("modele.yaml"), "nom: v\nfamille: intercommunal\n").unwrap();
            d
        })
        .unwrap();
        let f = autre.fichiers_typst("intercommunal/convention.typ.j2");
        assert_eq!(f.len(), 1);
        assert_eq!(&*f[0].1, assets::template("lib/convflux.typ").unwrap());
    }

    #[test]
    fn fonts_are_read_sorted_with_their_licence_and_recognised_by_their_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("modele.yaml"), "nom: x\nfamille: toutes\n").unwrap();
        let p = dir.path().join("polices");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("b.OTF"), b"OTTO-b").unwrap();
        fs::write(p.join("a.ttf"), b"\0\x01\0\0-a").unwrap();
        fs::write(p.join("LISEZMOI.md"), b"x").unwrap();
        // No licence yet: refused (not kept by `ouvrir`'s cache either).
        let e = ouvrir(dir.path()).unwrap_err();
        assert!(e.contains("pas de fichier de licence"), "{e}");
        fs::write(p.join("Copying"), b"licence").unwrap();
        let m = ouvrir(dir.path()).unwrap();
        let noms: Vec<&str> = m.polices().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(noms, ["polices/a.ttf", "polices/b.OTF"]);
        assert!(est_police(b"true....") && !est_police(b"ttcf....") && !est_police(b"OT"));
    }
}
