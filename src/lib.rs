//! convflux: conventions de gestion en flux des réservations de logements
//! sociaux, from one YAML file per convention to the signable PDFs.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! `load` → `validate` → `compute` (+ `controle`) → `render` → `typeset` → `output`.
#![deny(clippy::float_arithmetic)]

pub mod assets;
pub mod cli;
pub mod commands;
pub mod compute;
pub mod controle;
pub mod diagnostic;
pub mod francais;
pub mod input;
pub mod load;
pub mod model;
pub mod modeles;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod typeset;
pub mod validate;
