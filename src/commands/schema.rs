//! `convflux schema`: prints the JSON Schema of the YAML format, of every
//! model or (`--modele`) of one.

use crate::cli::SchemaArgs;
use crate::commands::Issue;
use crate::validate::schema;

pub fn executer(a: SchemaArgs) -> anyhow::Result<Issue> {
    let s = match a.modele {
        Some(m) => schema::schema_du_modele(m.modele()),
        None => schema::schema(),
    };
    println!("{}", serde_json::to_string_pretty(&s)?);
    Ok(Issue::Succes)
}
