//! Indexes found by reading the PostgreSQL plans of the hot paths
//! (`docs/developer-guide/performance.md`, "Query plans"):
//! - `conversation_history (created_at)` for the retention job that prunes old history;
//! - `projects (owner_id, created_at, id)` so a project page stops after its rows instead of
//!   sorting every project of the owner (the listing's `status <> 'archived'` filter cannot use
//!   the `(owner_id, status, created_at)` index for order);
//! - `sessions (status)` replaces `sessions (status, last_activity_at)`: the activity timestamp
//!   changes on every question and answer, and an indexed column that changes makes every
//!   such update write all the table's indexes (no heap-only update). Nothing reads sessions
//!   by activity time; the active-session count filters on status alone.

use crate::common::{create_indexes, drop_index, index};
use sea_orm_migration::prelude::*;

const HISTORY: &str = "conversation_history";
const PROJECTS: &str = "projects";
const SESSIONS: &str = "sessions";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, SESSIONS, "idx_sessions_status_activity").await?;
        create_indexes(
            manager,
            vec![
                index(HISTORY, "created_at", &["created_at"]),
                index(PROJECTS, "owner_created", &["owner_id", "created_at", "id"]),
                index(SESSIONS, "status", &["status"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, SESSIONS, "idx_sessions_status").await?;
        drop_index(manager, PROJECTS, "idx_projects_owner_created").await?;
        drop_index(manager, HISTORY, "idx_conversation_history_created_at").await?;
        create_indexes(
            manager,
            vec![index(
                SESSIONS,
                "status_activity",
                &["status", "last_activity_at"],
            )],
        )
        .await
    }
}
