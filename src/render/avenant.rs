//! Avenants: the documents of an exercise after the first (issue 5).
//! Not implemented yet: later exercises produce no document.

use crate::compute::Flux;
use crate::model::Convention;
use crate::render::{DocumentSource, RenderError, Rendu};

/// The avenant of `flux.annee` and its updated annexes.
pub fn documents(
    _r: &Rendu,
    _c: &Convention,
    _flux: &Flux,
    _tous: &[Flux],
) -> Result<Vec<DocumentSource>, RenderError> {
    Ok(Vec::new())
}
