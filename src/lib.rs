//! convflux: conventions de gestion en flux des réservations de logements
//! sociaux, from one YAML file per convention to the signable PDFs.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! `load` → `validate` → `compute` (+ `controle`) → `render` → `typeset` → `output`.
#![deny(clippy::float_arithmetic)]

pub mod arrondi;
pub mod assets;
pub mod bilan;
pub mod cli;
pub mod commands;
pub mod compute;
pub mod controle;
pub mod diagnostic;
pub mod input;
pub mod lecteur;
pub mod limites;
pub mod load;
pub mod manifest;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod rapport;
pub mod render;
pub mod schema;
pub mod signature;
pub mod typeset;
pub mod validate;
