//! What code generation jobs need besides the tables of `m20261125_000005`:
//!
//! - `generated_projects.progress_percent` (0–100, shown while a job runs), `stack` (the
//!   scaffold chosen from the tech-stack facts) and `fact_versions` (the id and version of
//!   every fact the generation was asked for: it is generated from exactly those versions,
//!   whatever changes after the request);
//! - `generated_projects.active_project_id`: the project's id while a generation is pending or
//!   in progress and null otherwise, under a unique index, so a project has at most one
//!   generation running however many requests arrive at once;
//! - an index on `code_generation_jobs (status, locked_until)` for the claim of a job whose
//!   lease ran out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

use crate::common::{create_indexes, drop_index, index, json_null, unique_index, uuid_null};

const GENERATED: &str = "generated_projects";
const JOBS: &str = "code_generation_jobs";

#[derive(DeriveMigrationName)]
pub struct Migration;

fn columns() -> Vec<ColumnDef> {
    vec![
        schema::integer("progress_percent").default(0).take(),
        schema::string_len("stack", 40).default("").take(),
        json_null("fact_versions"),
        uuid_null("active_project_id"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(GENERATED)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE generated_projects SET active_project_id = project_id \
                 WHERE status IN ('pending', 'in_progress')",
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(GENERATED, "active_project", &["active_project_id"]),
                index(JOBS, "status_locked_until", &["status", "locked_until"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(
            manager,
            JOBS,
            "idx_code_generation_jobs_status_locked_until",
        )
        .await?;
        drop_index(manager, GENERATED, "uq_generated_projects_active_project").await?;
        for column in [
            "active_project_id",
            "fact_versions",
            "stack",
            "progress_percent",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(GENERATED)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
