//! Where a new fact goes among a project's current facts, once the conflict rules have found
//! nothing it contradicts: nowhere (it is already known), as the next version of the fact it
//! refines, or as a new fact. Pure: the callers load the facts and write the outcome.

use crate::{Category, FactDraft, Knowledge};

/// A stated fact as placement reads it: any stored or proposed fact type implements this.
pub trait StatedFact {
    /// Its category.
    fn category(&self) -> Category;
    /// Its vocabulary key.
    fn key(&self) -> &str;
    /// Its value, as stated.
    fn value(&self) -> &str;
}

impl StatedFact for crate::ExistingFact {
    fn category(&self) -> Category {
        self.category
    }

    fn key(&self) -> &str {
        &self.key
    }

    fn value(&self) -> &str {
        &self.value
    }
}

/// Where a new, non-contradicting fact goes among the current facts `F`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement<'a, F> {
    /// No current fact has its key (or the key holds several values): a new fact.
    New,
    /// This current fact already says the same: nothing to write.
    Known(&'a F),
    /// A current fact with its key says something else that is not a contradiction (a
    /// free-text refinement, or a single-valued key stated again differently): the draft
    /// becomes that fact's next version.
    Revise(&'a F),
}

/// Places `draft` among `current` facts (see [`Placement`]). The drafts the conflict rules
/// held back must not get here.
///
/// In order: a current fact with the same key and the same normalised value makes it
/// [`Placement::Known`]; one it refines (a more specific wording) is revised; one that means
/// the same makes it known; any other current value of a single-valued key is revised; a
/// multi-valued key, or a key with no current fact, gets a new fact.
#[must_use]
pub fn place<'a, F: StatedFact>(
    knowledge: &Knowledge,
    current: &'a [F],
    draft: &FactDraft,
) -> Placement<'a, F> {
    let same_key: Vec<&F> = current
        .iter()
        .filter(|fact| fact.category() == draft.category && fact.key() == draft.key)
        .collect();
    let normalised = knowledge.normalise_value(&draft.key, &draft.value);
    if let Some(fact) = same_key
        .iter()
        .find(|fact| knowledge.normalise_value(fact.key(), fact.value()) == normalised)
    {
        return Placement::Known(fact);
    }
    // A more specific wording replaces the fact it refines; a vaguer one adds nothing.
    if let Some(fact) = same_key
        .iter()
        .find(|fact| knowledge.refines(&draft.key, fact.value(), &draft.value))
    {
        return Placement::Revise(fact);
    }
    if let Some(fact) = same_key
        .iter()
        .find(|fact| knowledge.same_meaning(&draft.key, fact.value(), &draft.value))
    {
        return Placement::Known(fact);
    }
    match same_key.first() {
        Some(fact) if !knowledge.vocabulary().is_multi(&draft.key) => Placement::Revise(fact),
        _ => Placement::New,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExistingFact;

    fn fact(category: Category, key: &str, value: &str) -> ExistingFact {
        ExistingFact {
            id: None,
            category,
            key: key.to_owned(),
            value: value.to_owned(),
            confidence: 0.9,
        }
    }

    fn draft(category: Category, key: &str, value: &str) -> FactDraft {
        FactDraft {
            category,
            key: key.to_owned(),
            value: value.to_owned(),
            confidence: 0.9,
            reasoning: None,
        }
    }

    #[test]
    fn a_key_with_no_current_fact_gets_a_new_fact() {
        let knowledge = Knowledge::builtin().unwrap();
        let current = [fact(Category::TechStack, "backend_language", "Rust")];
        let placed = place(
            &knowledge,
            &current,
            &draft(Category::TechStack, "primary_database", "PostgreSQL"),
        );
        assert_eq!(placed, Placement::New);
    }

    #[test]
    fn the_same_value_in_other_words_is_known() {
        let knowledge = Knowledge::builtin().unwrap();
        let current = [fact(Category::TechStack, "primary_database", "PostgreSQL")];
        for said in ["PostgreSQL", "postgres", "  Postgresql "] {
            let placed = place(
                &knowledge,
                &current,
                &draft(Category::TechStack, "primary_database", said),
            );
            assert_eq!(placed, Placement::Known(&current[0]), "{said}");
        }
    }

    #[test]
    fn the_same_key_in_another_category_is_a_different_fact() {
        let knowledge = Knowledge::builtin().unwrap();
        let current = [fact(Category::Goals, "primary_database", "PostgreSQL")];
        let placed = place(
            &knowledge,
            &current,
            &draft(Category::TechStack, "primary_database", "PostgreSQL"),
        );
        assert_eq!(placed, Placement::New);
    }

    #[test]
    fn a_more_specific_wording_revises_and_a_vaguer_one_is_known() {
        let knowledge = Knowledge::builtin().unwrap();
        let current = [fact(Category::Goals, "target_audience", "dog walkers")];
        let finer = draft(
            Category::Goals,
            "target_audience",
            "professional dog walkers in cities",
        );
        assert_eq!(
            place(&knowledge, &current, &finer),
            Placement::Revise(&current[0])
        );
        let current = [fact(
            Category::Goals,
            "target_audience",
            "professional dog walkers in cities",
        )];
        let vaguer = draft(Category::Goals, "target_audience", "dog walkers");
        assert_eq!(
            place(&knowledge, &current, &vaguer),
            Placement::Known(&current[0])
        );
    }

    #[test]
    fn a_single_valued_key_is_revised_and_a_multi_valued_key_grows() {
        let knowledge = Knowledge::builtin().unwrap();
        let current = [fact(Category::TechStack, "primary_database", "PostgreSQL")];
        let other = draft(Category::TechStack, "primary_database", "MySQL");
        assert_eq!(
            place(&knowledge, &current, &other),
            Placement::Revise(&current[0])
        );
        let current = [fact(Category::TechStack, "programming_language", "Rust")];
        let another = draft(Category::TechStack, "programming_language", "Python");
        assert_eq!(place(&knowledge, &current, &another), Placement::New);
    }
}
