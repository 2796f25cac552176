//! Where a new fact goes among a project's current facts, once the conflict rules have found
//! nothing it contradicts: nowhere (it is already known), as the next version of the fact it
//! refines, or as a new fact. Pure: the callers load the facts and write the outcome.
//!
//! The databases enforce the same rule under concurrency through the [`ValueSlot`] each stored
//! fact carries: one current fact per `(project, category, key, slot)`.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::{Category, FactDraft, Knowledge};

/// What makes a current fact unique within its project, category and key, as stored in
/// `specifications.value_slot` under a partial unique index on current facts.
///
/// A single-valued key has one slot (the empty string), so the database refuses a second
/// current value however the writes interleave; the loser of such a race re-reads and is judged
/// again (a conflict, or the next version). A multi-valued key has one slot per normalised
/// value (`m:` and 32 hex digits of its SHA-256), so the same value cannot be current twice but
/// different values can.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValueSlot(String);

impl ValueSlot {
    /// The slot of `value` under `key`, by the vocabulary's single- or multi-valued rule and
    /// the knowledge's normalisation.
    #[must_use]
    pub fn of(knowledge: &Knowledge, key: &str, value: &str) -> Self {
        if !knowledge.vocabulary().is_multi(key) {
            return Self(String::new());
        }
        Self::digest(
            "m:",
            &Sha256::digest(knowledge.normalise_value(key, value).as_bytes()),
        )
    }

    /// The slot of a statement held in an open conflict, stored in `conflicts.pending_slot`
    /// under a partial unique index on open conflicts: one open conflict per contradicted fact
    /// (`contradicted`, when there is one) and normalised held value, however many writers
    /// state it at once.
    #[must_use]
    pub fn held(
        knowledge: &Knowledge,
        contradicted: Option<uuid::Uuid>,
        key: &str,
        value: &str,
    ) -> Self {
        let mut hasher = Sha256::new();
        if let Some(id) = contradicted {
            hasher.update(id.as_bytes());
        }
        hasher.update(b"|");
        hasher.update(knowledge.normalise_value(key, value).as_bytes());
        Self::digest("h:", &hasher.finalize())
    }

    fn digest(prefix: &str, digest: &[u8]) -> Self {
        let mut slot = String::with_capacity(prefix.len() + 32);
        slot.push_str(prefix);
        for byte in &digest[..16] {
            let _ = write!(slot, "{byte:02x}");
        }
        Self(slot)
    }

    /// The stored text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stored text, owned.
    #[must_use]
    pub fn into_inner(self) -> String {
        self.0
    }
}

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

    #[test]
    fn a_single_valued_key_has_one_slot_and_a_multi_valued_key_one_per_value() {
        let knowledge = Knowledge::builtin().unwrap();
        let database = |value| ValueSlot::of(&knowledge, "primary_database", value);
        assert_eq!(database("PostgreSQL"), database("MySQL"));
        assert_eq!(database("PostgreSQL").as_str(), "");
        let language = |value| ValueSlot::of(&knowledge, "programming_language", value);
        assert_eq!(language("Rust"), language(" rust "));
        assert_ne!(language("Rust"), language("Python"));
        assert_eq!(language("Rust").as_str().len(), 34);
        assert!(language("Rust").as_str().starts_with("m:"));
    }

    #[test]
    fn a_held_value_has_one_slot_per_contradicted_fact_and_meaning() {
        let knowledge = Knowledge::builtin().unwrap();
        let (one, other) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let held = |id, value| ValueSlot::held(&knowledge, id, "primary_database", value);
        assert_eq!(held(Some(one), "MySQL"), held(Some(one), "mysql "));
        assert_ne!(held(Some(one), "MySQL"), held(Some(other), "MySQL"));
        assert_ne!(held(Some(one), "MySQL"), held(None, "MySQL"));
        assert_ne!(held(Some(one), "MySQL"), held(Some(one), "MongoDB"));
        assert!(held(None, "MySQL").as_str().starts_with("h:"));
    }
}
