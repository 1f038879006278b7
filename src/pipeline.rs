//! The pipeline for one file, up to the computed and checked flow:
//! load → validate → compute → controle. `verifier` stops here; `calculer`
//! prints the flows; `generer` goes on to render, typeset and output.

use std::path::{Path, PathBuf};

use crate::compute::{self, Flux};
use crate::controle;
use crate::diagnostic::{self, Diagnostic, Diagnostics};
use crate::input;
use crate::load;
use crate::model::Convention;
use crate::validate;

/// One file after analysis.
pub struct Analyse {
    pub chemin: PathBuf,
    pub source: String,
    pub convention: Option<Convention>,
    /// Computed flows, one per exercise (file order), when valid.
    pub flux: Vec<Flux>,
    pub diags: Diagnostics,
}

impl Analyse {
    /// A file that stopped before validation (unreadable, not UTF-8, not YAML).
    fn echec(chemin: &Path, source: String, diags: Diagnostics) -> Analyse {
        Analyse {
            chemin: chemin.to_path_buf(),
            source,
            convention: None,
            flux: Vec::new(),
            diags,
        }
    }

    /// The file's name as printed (control characters of a hostile file
    /// name escaped, see [`diagnostic::affichable`]).
    pub fn nom(&self) -> String {
        diagnostic::affichable(&self.chemin.display().to_string()).into_owned()
    }

    pub fn valide(&self) -> bool {
        !self.diags.a_des_erreurs() && self.convention.is_some()
    }

    /// The diagnostics as the user reads them.
    pub fn rapport(&self) -> String {
        self.diags.rendre(&self.nom(), &self.source)
    }
}

/// Reads and analyses one file. Never panics, whatever the bytes.
pub fn analyser(chemin: &Path) -> Analyse {
    let mut diags = Diagnostics::default();
    let bytes = match input::lire(chemin, load::TAILLE_MAX as u64) {
        Ok(b) => b,
        Err(e) => {
            let mut d = Diagnostic::erreur(format!("lecture impossible : {e}"), None);
            if let input::ErreurLecture::TropGrand { .. } = e {
                d = d.note(format!(
                    "attendu : un fichier YAML de moins de {} Mio ; une convention tient en quelques kilooctets",
                    load::TAILLE_MAX / (1024 * 1024)
                ));
            }
            diags.push(d);
            return Analyse::echec(chemin, String::new(), diags);
        }
    };
    analyser_octets(chemin, bytes)
}

/// Analyses file contents already read.
pub fn analyser_octets(chemin: &Path, mut bytes: Vec<u8>) -> Analyse {
    let mut diags = Diagnostics::default();
    normaliser(&mut bytes);
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let pos = e.utf8_error().valid_up_to();
            let source = String::from_utf8_lossy(e.as_bytes()).into_owned();
            diags.push(
                Diagnostic::erreur(
                    format!("le fichier n'est pas en UTF-8 (octet invalide à la position {pos})"),
                    None,
                )
                .note(
                    "enregistrez le fichier en UTF-8 (l'encodage par défaut des éditeurs récents)",
                ),
            );
            return Analyse::echec(chemin, source, diags);
        }
    };
    let racine = match load::charger(&source) {
        Ok(n) => n,
        Err(d) => {
            diags.push(d);
            return Analyse::echec(chemin, source, diags);
        }
    };
    let (convention, d) = validate::valider(&racine);
    diags.extend(d);
    let mut flux = Vec::new();
    if let Some(c) = &convention {
        for e in &c.exercices {
            let f = compute::calculer(c, e.annee.v);
            diags.extend(controle::controler(c, &f));
            flux.push(f);
        }
    }
    let convention = if diags.a_des_erreurs() {
        None
    } else {
        convention
    };
    Analyse {
        chemin: chemin.to_path_buf(),
        source,
        convention,
        flux,
        diags,
    }
}

/// Makes line ends and the byte-order mark harmless, in place and without
/// moving any byte, so spans stay valid: a leading BOM becomes three spaces,
/// a lone CR (old Mac line end, which YAML counts as a line break) becomes LF,
/// so that diagnostics count lines as the YAML parser does.
fn normaliser(bytes: &mut [u8]) {
    if let Some(debut) = bytes.get_mut(..3)
        && debut == [0xEF, 0xBB, 0xBF]
    {
        debut.copy_from_slice(b"   ");
    }
    for i in 0..bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            bytes[i] = b'\n';
        }
    }
}
