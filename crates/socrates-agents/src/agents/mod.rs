//! The built-in agents. Each implements [`Agent`](crate::agent::Agent) and is registered in
//! [`ServiceContainer::new`](crate::ServiceContainer::new).

pub mod code_generator;
mod common;
pub mod conflicts;
pub(crate) mod drafts;
pub mod export;
pub mod facts;
mod interview;
pub mod knowledge;
pub mod learning;
pub mod project_manager;
pub mod quality_report;
pub mod socratic;
pub mod views;
