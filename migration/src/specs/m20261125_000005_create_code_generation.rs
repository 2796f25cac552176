//! `generated_projects`, `generated_files` and `code_generation_jobs`.
//!
//! Code generation is an asynchronous job that lives in the database, survives a restart and
//! can be claimed by any server instance: a worker claims a queued job by writing its
//! `locked_by` and a lease (`locked_until`); an expired lease makes the job claimable again.
//! Each generation records the specification version it came from (`spec_fingerprint`).

use crate::common::{
    check_in, create_indexes, drop_tables, enum_text, foreign_key, id, index, json, timestamp,
    timestamp_null, unique_index, uuid,
};
use sea_orm_migration::{prelude::*, schema};

const GENERATED: &str = "generated_projects";
const FILES: &str = "generated_files";
const JOBS: &str = "code_generation_jobs";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GENERATED)
                    .col(id())
                    .col(uuid("project_id"))
                    .col(uuid("requested_by"))
                    .col(schema::integer("generation_version"))
                    .col(schema::string_len("spec_fingerprint", 64))
                    .col(schema::integer("spec_count"))
                    .col(enum_text("status", "pending"))
                    .col(schema::integer("total_files").default(0))
                    .col(schema::integer("total_lines").default(0))
                    .col(schema::double_null("test_coverage"))
                    .col(schema::integer_null("quality_score"))
                    .col(schema::integer_null("traceability_score"))
                    .col(schema::text_null("error_message"))
                    .col(timestamp_null("started_at"))
                    .col(timestamp_null("completed_at"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .check(check_in(
                        GENERATED,
                        "status",
                        &["pending", "in_progress", "completed", "failed"],
                    ))
                    .foreign_key(&mut foreign_key(
                        GENERATED,
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FILES)
                    .col(id())
                    .col(uuid("generated_project_id"))
                    .col(schema::string_len("file_path", 500))
                    .col(schema::text("file_content"))
                    .col(schema::integer("file_size"))
                    .col(json("spec_ids"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        FILES,
                        "generated_project_id",
                        GENERATED,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JOBS)
                    .col(id())
                    .col(uuid("generated_project_id"))
                    .col(enum_text("status", "queued"))
                    .col(schema::integer("attempts").default(0))
                    .col(schema::integer("max_attempts").default(3))
                    .col(schema::string_len_null("locked_by", 128))
                    .col(timestamp_null("locked_until"))
                    .col(timestamp("run_after"))
                    .col(schema::text_null("last_error"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .check(check_in(
                        JOBS,
                        "status",
                        &["queued", "running", "succeeded", "failed", "cancelled"],
                    ))
                    .foreign_key(&mut foreign_key(
                        JOBS,
                        "generated_project_id",
                        GENERATED,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(
                    GENERATED,
                    "project_version",
                    &["project_id", "generation_version"],
                ),
                index(GENERATED, "status", &["status"]),
                unique_index(
                    FILES,
                    "generation_path",
                    &["generated_project_id", "file_path"],
                ),
                // Workers look for claimable jobs: queued (or with an expired lease) and due.
                index(JOBS, "status_run_after", &["status", "run_after"]),
                index(JOBS, "generated_project_id", &["generated_project_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[JOBS, FILES, GENERATED]).await
    }
}
