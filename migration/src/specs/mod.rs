//! Migrations of `socrates_specs`: projects, sessions, the conversation, facts, conflicts,
//! quality and maturity records, LLM usage, generated code, learning data and sharing.

use sea_orm_migration::MigrationTrait;

mod m20261125_000001_create_projects_and_sessions;
mod m20261125_000002_create_conversation_and_facts;
mod m20261125_000003_create_conflicts_and_quality;
mod m20261125_000004_create_llm_usage;
mod m20261125_000005_create_code_generation;
mod m20261125_000006_create_learning;
mod m20261125_000007_create_project_shares;
mod m20261202_000008_hot_path_indexes;
mod m20261206_000009_heap_only_project_updates;
mod m20261207_000010_one_current_value;
mod m20261207_000011_one_waiting_question;
mod m20261207_000012_learning_counters;
mod m20261207_000013_knowledge_base_index;
mod m20261208_000014_generation_jobs;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261125_000001_create_projects_and_sessions::Migration),
        Box::new(m20261125_000002_create_conversation_and_facts::Migration),
        Box::new(m20261125_000003_create_conflicts_and_quality::Migration),
        Box::new(m20261125_000004_create_llm_usage::Migration),
        Box::new(m20261125_000005_create_code_generation::Migration),
        Box::new(m20261125_000006_create_learning::Migration),
        Box::new(m20261125_000007_create_project_shares::Migration),
        Box::new(m20261202_000008_hot_path_indexes::Migration),
        Box::new(m20261206_000009_heap_only_project_updates::Migration),
        Box::new(m20261207_000010_one_current_value::Migration),
        Box::new(m20261207_000011_one_waiting_question::Migration),
        Box::new(m20261207_000012_learning_counters::Migration),
        Box::new(m20261207_000013_knowledge_base_index::Migration),
        Box::new(m20261208_000014_generation_jobs::Migration),
    ]
}
