//! What a text's statements become — the one path from extracted drafts to stored facts,
//! shared by answers, direct-chat messages and uploaded documents.
//!
//! [`plan`] decides, before any transaction opens, what each draft is: held in a conflict
//! (when a finding names it), already known (skipped), a new fact, or the next version of the
//! fact it refines; a second value of a single-valued key from the same text is rejected with
//! the reason. [`Planned::write`] then writes the plan inside the caller's transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use socrates_domain::{
    Category, Confidence, ConflictFinding, FactDraft, FactKey, FactValue, Knowledge, Placement,
    SpecificationId, ValueSlot, place,
};
use socrates_persistence::SpecsTx;
use socrates_persistence::repositories::specifications::{
    self, FactChange, NewSpecification, Specification,
};

use crate::agent::AgentError;
use crate::agents::common::{Origin, hold_in_conflict};
use crate::agents::views::{ConflictView, RejectedView};

/// The drafts of one text, decided.
pub(crate) struct Planned<'a> {
    to_save: Vec<(usize, NewSpecification, Placement<'a, Specification>)>,
    /// The drafts that cannot become facts, with the reason.
    pub rejected: Vec<RejectedView>,
}

/// What a plan wrote.
pub(crate) struct Written {
    /// The saved facts, in the drafts' order.
    pub saved: Vec<Specification>,
    /// The open conflicts holding its contradicting statements, each once.
    pub conflicts: Vec<ConflictView>,
}

/// Decides what each of `drafts` becomes against the `current` facts; see the module
/// documentation.
pub(crate) fn plan<'a>(
    knowledge: &Knowledge,
    origin: &Origin,
    drafts: &[FactDraft],
    findings: &[ConflictFinding],
    current: &'a [Specification],
) -> Planned<'a> {
    let mut rejected = Vec::new();
    let mut to_save = Vec::new();
    // The slots this text already fills: two statements of one text cannot both become the
    // current value of a single-valued key (the database would refuse the pair).
    let mut filled: HashMap<(Category, String, ValueSlot), usize> = HashMap::new();
    for (index, draft) in drafts.iter().enumerate() {
        if findings.iter().any(|finding| finding.new == *draft) {
            continue;
        }
        let placement = place(knowledge, current, draft);
        if matches!(placement, Placement::Known(_)) {
            continue;
        }
        let slot = (
            draft.category,
            draft.key.clone(),
            ValueSlot::of(knowledge, &draft.key, &draft.value),
        );
        if let Some(&first) = filled.get(&slot) {
            let earlier = &drafts[first];
            if knowledge.normalise_value(&earlier.key, &earlier.value)
                != knowledge.normalise_value(&draft.key, &draft.value)
            {
                rejected.push(RejectedView {
                    category: draft.category.as_str().to_owned(),
                    key: draft.key.clone(),
                    value: draft.value.clone(),
                    reason: format!(
                        "the same text also says {} = \"{}\", and {} holds one value",
                        earlier.key, earlier.value, earlier.key
                    ),
                });
            }
            continue;
        }
        match new_specification(knowledge, origin, draft) {
            Ok(new) => {
                filled.insert(slot, index);
                to_save.push((index, new, placement));
            }
            Err(reason) => rejected.push(RejectedView {
                category: draft.category.as_str().to_owned(),
                key: draft.key.clone(),
                value: draft.value.clone(),
                reason,
            }),
        }
    }
    Planned { to_save, rejected }
}

impl Planned<'_> {
    /// How many facts the plan saves.
    pub(crate) fn saved_count(&self) -> u32 {
        u32::try_from(self.to_save.len()).unwrap_or(u32::MAX)
    }

    /// Writes the plan in `tx`: revisions (two rows each), every new fact in one multi-row
    /// insert, then the conflicts holding the contradicting drafts.
    pub(crate) async fn write(
        self,
        tx: &SpecsTx,
        knowledge: &Knowledge,
        origin: &Origin,
        drafts: &[FactDraft],
        findings: &[ConflictFinding],
        now: DateTime<Utc>,
    ) -> Result<Written, AgentError> {
        let mut saved: Vec<(usize, Specification)> = Vec::with_capacity(self.to_save.len());
        let mut fresh: Vec<(usize, NewSpecification)> = Vec::new();
        for (index, new, placement) in self.to_save {
            match placement {
                Placement::Revise(previous) => {
                    let change = FactChange {
                        value_slot: ValueSlot::of(knowledge, &previous.key, new.value.as_str()),
                        value: new.value,
                        confidence: Some(new.confidence),
                        source: new.source,
                        source_id: new.source_id,
                        reasoning: new.reasoning,
                        created_by: new.created_by,
                    };
                    let fact = specifications::new_version(tx, previous.id, change, now).await?;
                    saved.push((index, fact));
                }
                Placement::New | Placement::Known(_) => fresh.push((index, new)),
            }
        }
        let (indexes, news): (Vec<usize>, Vec<NewSpecification>) = fresh.into_iter().unzip();
        saved.extend(
            indexes
                .into_iter()
                .zip(specifications::insert_all(tx, news, now).await?),
        );
        saved.sort_by_key(|(index, _)| *index);
        let saved_by_draft: HashMap<usize, SpecificationId> = saved
            .iter()
            .map(|(index, fact)| (*index, fact.id))
            .collect();
        let mut conflicts: Vec<ConflictView> = Vec::new();
        for finding in findings {
            // A contradiction inside the text points at the draft saved in this transaction.
            let old_spec_id = match finding.existing.id {
                Some(id) => Some(SpecificationId::from_uuid(id)),
                None => {
                    let saved = drafts
                        .iter()
                        .position(|d| d.as_existing() == finding.existing)
                        .and_then(|index| saved_by_draft.get(&index).copied());
                    // Both values of this text are held against a stored fact already: the
                    // user settles each of those conflicts, not a third between the two.
                    if saved.is_none() {
                        continue;
                    }
                    saved
                }
            };
            let conflict =
                hold_in_conflict(tx, knowledge, origin, finding, old_spec_id, now).await?;
            // One statement contradicting two facts is one held conflict, listed once.
            if !conflicts
                .iter()
                .any(|held| held.conflict_id == conflict.conflict_id)
            {
                conflicts.push(conflict);
            }
        }
        Ok(Written {
            saved: saved.into_iter().map(|(_, fact)| fact).collect(),
            conflicts,
        })
    }
}

/// A draft as a fact to store, or why it cannot be one.
fn new_specification(
    knowledge: &Knowledge,
    origin: &Origin,
    draft: &FactDraft,
) -> Result<NewSpecification, String> {
    let value = FactValue::parse(&draft.value).map_err(|e| e.to_string())?;
    Ok(NewSpecification {
        value_slot: ValueSlot::of(knowledge, &draft.key, value.as_str()),
        project_id: origin.project_id,
        session_id: origin.session_id,
        category: draft.category,
        key: FactKey::parse(&draft.key).map_err(|e| e.to_string())?,
        value,
        source: origin.source,
        source_id: origin.source_id,
        confidence: Confidence::new(draft.confidence).map_err(|e| e.to_string())?,
        reasoning: draft.reasoning.clone(),
        created_by: Some(origin.created_by),
        metadata: None,
    })
}
