//! What comes out of a specification: its reading as a [`brief::Brief`], the layouts coding
//! agents start from ([`agent_formats`]: GitHub spec-kit, Kiro, OpenSpec), the PDF ([`pdf`])
//! and ZIP archives ([`archive`]). Everything here is a pure function of a
//! [`model::Specification`]; the agents take the snapshot and run these on the blocking pool.

pub mod agent_formats;
pub mod archive;
pub mod brief;
pub mod model;
pub mod pdf;

pub use brief::Brief;
pub use model::{SpecVersion, Specification};
