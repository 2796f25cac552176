//! Pure domain types of Socrates. This crate owns the vocabulary every other crate shares:
//! typed ids, the string enums stored in the databases and sent over the wire (categories,
//! phases, modes, roles, conflict kinds…), the maturity maths and the phase-advance rules,
//! validated values (emails, passwords, names, fact keys and values), and the classification
//! of errors into stable codes and kinds.
//!
//! It must never know about databases, HTTP, LLM providers or I/O of any kind: no SQL, no
//! status codes, no network, no files, no clocks beyond what `uuid` needs to mint ids. That
//! keeps it usable on its own and lets every rule here be tested with plain unit tests.
//!
//! Everything public is re-exported at the crate root, so callers write
//! `socrates_domain::Category` rather than `socrates_domain::category::Category`.

#![warn(missing_docs)]

mod string_enum;

pub mod access;
pub mod category;
pub mod conflict;
pub mod conflict_rules;
pub mod conversation;
pub mod deadline;
pub mod documents;
pub mod error;
pub mod fact_vocabulary;
pub mod generation;
pub mod ids;
pub mod knowledge;
pub mod learning;
pub mod lifecycle;
pub mod maturity;
pub mod phase;
pub mod placement;
pub mod provider;
pub mod quality;
pub mod quantity;
pub mod rule_table;
pub mod technology;
pub mod templates;
pub mod values;

pub use access::*;
pub use category::*;
pub use conflict::*;
pub use conflict_rules::{ConflictFinding, ExistingFact, FactDraft};
pub use conversation::*;
pub use error::*;
pub use generation::{GenerationStatus, Stack};
pub use ids::*;
pub use knowledge::{Knowledge, KnowledgeSources};
pub use lifecycle::*;
pub use maturity::*;
pub use phase::*;
pub use placement::{Placement, StatedFact, ValueSlot, place};
pub use provider::*;
pub use values::*;
