//! Product templates (`data/templates.toml`): a project started from one begins with the
//! template's facts, stored with source `template` and [`TEMPLATE_CONFIDENCE`], which the
//! interview then confirms, refines or contradicts through the usual conflict rules.

use serde::Deserialize;

use crate::knowledge::parse_toml;
use crate::{Category, DomainError, FactKey, FactValue, Knowledge};

/// The file the built-in templates come from.
pub const TEMPLATES_FILE: &str = "templates.toml";

const BUILTIN_TEMPLATES: &str = include_str!("../data/templates.toml");

/// The confidence of a fact a template wrote: less than an answer's (0.9), because nobody has
/// said it yet for this project.
pub const TEMPLATE_CONFIDENCE: f64 = 0.7;

/// One fact of a template.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFact {
    /// Its category.
    pub category: Category,
    /// Its key: a vocabulary key, or `requirement_<words>` in `requirements`.
    pub key: String,
    /// Its value.
    pub value: String,
}

/// A product template.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectTemplate {
    /// Its id, kebab-case.
    pub id: String,
    /// Its name.
    pub name: String,
    /// One sentence on what kind of product it is.
    pub summary: String,
    /// Its facts.
    #[serde(rename = "fact")]
    pub facts: Vec<TemplateFact>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatesFile {
    template: Vec<ProjectTemplate>,
}

/// The built-in templates, checked against `knowledge`.
///
/// # Errors
/// [`DomainError`] naming the template and the fact that is invalid: an unknown key, a key of
/// another category, a value that is not a valid fact value, a technology not spelt the
/// canonical way, a duplicate id or key.
pub fn builtin(knowledge: &Knowledge) -> Result<Vec<ProjectTemplate>, DomainError> {
    parse(BUILTIN_TEMPLATES, knowledge)
}

/// Parses and checks a templates file; see [`builtin`].
///
/// # Errors
/// See [`builtin`].
pub fn parse(source: &str, knowledge: &Knowledge) -> Result<Vec<ProjectTemplate>, DomainError> {
    let file: TemplatesFile = parse_toml(TEMPLATES_FILE, source)?;
    let invalid = |template: &str, message: String| {
        DomainError::knowledge(
            TEMPLATES_FILE,
            format!("template \"{template}\": {message}"),
        )
    };
    let mut ids: Vec<&str> = Vec::new();
    for template in &file.template {
        if ids.contains(&template.id.as_str()) {
            return Err(invalid(&template.id, "duplicate id".to_owned()));
        }
        ids.push(&template.id);
        if template.id.is_empty()
            || !template
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(invalid(
                &template.id,
                "the id must be kebab-case".to_owned(),
            ));
        }
        let mut keys: Vec<&str> = Vec::new();
        for fact in &template.facts {
            FactKey::parse(&fact.key).map_err(|e| invalid(&template.id, e.to_string()))?;
            FactValue::parse(&fact.value).map_err(|e| invalid(&template.id, e.to_string()))?;
            if keys.contains(&fact.key.as_str()) {
                return Err(invalid(&template.id, format!("key {} twice", fact.key)));
            }
            keys.push(&fact.key);
            match knowledge.vocabulary().get(&fact.key) {
                Some(entry) if entry.category != fact.category => {
                    return Err(invalid(
                        &template.id,
                        format!(
                            "{} belongs to {}, not {}",
                            fact.key, entry.category, fact.category
                        ),
                    ));
                }
                Some(entry) => {
                    if let Some(kind) = entry.technology
                        && let Some(technology) = knowledge.technologies().canonical(&fact.value)
                        && technology.kind == kind
                        && technology.name != fact.value
                    {
                        return Err(invalid(
                            &template.id,
                            format!("{} is spelt {}", fact.value, technology.name),
                        ));
                    }
                }
                None if fact.category == Category::Requirements
                    && fact.key.starts_with("requirement_") => {}
                None => {
                    return Err(invalid(
                        &template.id,
                        format!("{} is not in the vocabulary", fact.key),
                    ));
                }
            }
        }
    }
    Ok(file.template)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_templates_are_valid_and_varied() {
        let knowledge = Knowledge::builtin().unwrap();
        let templates = builtin(&knowledge).unwrap();
        assert!(templates.len() >= 5);
        for template in &templates {
            let categories: std::collections::BTreeSet<Category> =
                template.facts.iter().map(|f| f.category).collect();
            assert!(categories.len() >= 4, "{}", template.id);
            assert!(
                template
                    .facts
                    .iter()
                    .filter(|f| f.category == Category::Requirements)
                    .count()
                    >= 3,
                "{}",
                template.id
            );
        }
    }

    #[test]
    fn an_unknown_key_or_a_misspelt_technology_is_refused() {
        let knowledge = Knowledge::builtin().unwrap();
        let unknown = r#"[[template]]
id = "x"
name = "X"
summary = "x"
fact = [{ category = "tech_stack", key = "favourite_colour", value = "blue" }]
"#;
        let error = parse(unknown, &knowledge).unwrap_err().to_string();
        assert!(
            error.contains("favourite_colour is not in the vocabulary"),
            "{error}"
        );
        let misspelt = r#"[[template]]
id = "x"
name = "X"
summary = "x"
fact = [{ category = "tech_stack", key = "primary_database", value = "postgres" }]
"#;
        let error = parse(misspelt, &knowledge).unwrap_err().to_string();
        assert!(error.contains("postgres is spelt PostgreSQL"), "{error}");
    }
}
