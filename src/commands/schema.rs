//! `convflux schema`: prints the JSON Schema of the YAML format.

use crate::commands::Issue;

pub fn executer() -> anyhow::Result<Issue> {
    println!(
        "{}",
        serde_json::to_string_pretty(&crate::validate::schema::schema())?
    );
    Ok(Issue::Succes)
}
