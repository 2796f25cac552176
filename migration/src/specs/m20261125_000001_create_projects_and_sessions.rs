//! `projects` and `sessions`. `owner_id` and `user_id` name accounts of the auth database:
//! they are plain UUIDs without a foreign key, kept consistent by the service layer.
//! Maturity is a float (0–100, two decimals) so a single low-confidence fact never rounds to 0.

use crate::common::{
    check_in, check_range, create_indexes, drop_tables, enum_text, foreign_key, id, index,
    timestamp, timestamp_null, uuid, uuid_null,
};
use sea_orm_migration::{prelude::*, schema};

const PROJECTS: &str = "projects";
const SESSIONS: &str = "sessions";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PROJECTS)
                    .col(id())
                    .col(uuid("owner_id"))
                    .col(uuid_null("team_id"))
                    .col(schema::string_len("name", 255))
                    .col(schema::text_null("description"))
                    .col(enum_text("phase", "discovery"))
                    .col(enum_text("status", "active"))
                    .col(schema::double("maturity_score").default(0.0))
                    .col(schema::string_len_null("llm_provider", 32))
                    .col(schema::string_len_null("llm_model", 128))
                    .col(schema::string_len_null("template_id", 64))
                    .col(timestamp_null("archived_at"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .check(check_in(
                        PROJECTS,
                        "phase",
                        &["discovery", "analysis", "design", "implementation"],
                    ))
                    .check(check_in(
                        PROJECTS,
                        "status",
                        &["active", "archived", "completed"],
                    ))
                    .check(check_range(PROJECTS, "maturity_score", 0.0, 100.0))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SESSIONS)
                    .col(id())
                    .col(uuid("project_id"))
                    .col(uuid("user_id"))
                    .col(enum_text("mode", "socratic"))
                    .col(enum_text("status", "active"))
                    .col(timestamp("started_at"))
                    .col(timestamp_null("ended_at"))
                    .col(timestamp("last_activity_at"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .check(check_in(SESSIONS, "mode", &["socratic", "direct_chat"]))
                    .check(check_in(SESSIONS, "status", &["active", "ended"]))
                    .foreign_key(&mut foreign_key(
                        SESSIONS,
                        "project_id",
                        PROJECTS,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                // The seed's index: a user's projects filtered by phase and ordered by maturity.
                index(
                    PROJECTS,
                    "owner_phase_maturity",
                    &["owner_id", "phase", "maturity_score"],
                ),
                // Listing a user's projects by status, newest first.
                index(
                    PROJECTS,
                    "owner_status_created",
                    &["owner_id", "status", "created_at"],
                ),
                index(PROJECTS, "team_id", &["team_id"]),
                // The seed's index: a project's sessions of one user in one status.
                index(
                    SESSIONS,
                    "project_user_status",
                    &["project_id", "user_id", "status"],
                ),
                index(SESSIONS, "status_activity", &["status", "last_activity_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[SESSIONS, PROJECTS]).await
    }
}
