//! `questions`, `specifications` (the facts) and `conversation_history`.
//!
//! Facts are versioned: every version is a row; `lineage_id` groups the versions of one fact
//! (it is the id of the first version), exactly one version of a live fact has
//! `is_current = true`, an older one points to its successor through `superseded_by`, and a
//! deleted fact keeps its rows with `deleted_at` set. Every fact records its `source` and the
//! id of the question, message, document or repository it came from (`source_id`).

use crate::common::{
    check_in, check_range, create_indexes, drop_tables, enum_text, foreign_key, id, index,
    json_null, timestamp, timestamp_null, unique_index, uuid, uuid_null,
};
use sea_orm_migration::{prelude::*, schema};

const QUESTIONS: &str = "questions";
const SPECIFICATIONS: &str = "specifications";
const HISTORY: &str = "conversation_history";

/// The ten maturity categories, frozen at the time of this migration.
pub const CATEGORIES: &[&str] = &[
    "goals",
    "requirements",
    "tech_stack",
    "scalability",
    "security",
    "performance",
    "testing",
    "monitoring",
    "data_retention",
    "disaster_recovery",
];

/// Where a fact came from, frozen at the time of this migration.
pub const FACT_SOURCES: &[&str] = &[
    "socratic_question",
    "direct_chat",
    "direct_input",
    "document",
    "github_import",
    "template",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QUESTIONS)
                    .col(id())
                    .col(uuid("project_id"))
                    .col(uuid("session_id"))
                    .col(schema::text("text"))
                    .col(schema::string_len("category", 32))
                    .col(schema::text_null("context"))
                    .col(schema::string_len_null("template_id", 64))
                    .col(schema::string_len_null("persona", 32))
                    .col(schema::double("quality_score").default(1.0))
                    .col(schema::double_null("bias_score"))
                    .col(timestamp_null("answered_at"))
                    .col(schema::integer("facts_extracted").default(0))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .check(check_in(QUESTIONS, "category", CATEGORIES))
                    .check(check_range(QUESTIONS, "quality_score", 0.0, 1.0))
                    .foreign_key(&mut foreign_key(
                        QUESTIONS,
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        QUESTIONS,
                        "session_id",
                        "sessions",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SPECIFICATIONS)
                    .col(id())
                    .col(uuid("lineage_id"))
                    .col(uuid("project_id"))
                    .col(uuid_null("session_id"))
                    .col(schema::string_len("category", 32))
                    .col(schema::string_len("key", 255))
                    .col(schema::text("value"))
                    .col(enum_text("source", "direct_input"))
                    .col(uuid_null("source_id"))
                    .col(schema::double("confidence").default(0.9))
                    .col(schema::text_null("reasoning"))
                    .col(schema::integer("version").default(1))
                    .col(schema::boolean("is_current").default(true))
                    .col(timestamp_null("superseded_at"))
                    .col(uuid_null("superseded_by"))
                    .col(uuid_null("created_by"))
                    .col(json_null("metadata"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .col(timestamp_null("deleted_at"))
                    .check(check_in(SPECIFICATIONS, "category", CATEGORIES))
                    .check(check_in(SPECIFICATIONS, "source", FACT_SOURCES))
                    .check(check_range(SPECIFICATIONS, "confidence", 0.0, 1.0))
                    .foreign_key(&mut foreign_key(
                        SPECIFICATIONS,
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        SPECIFICATIONS,
                        "session_id",
                        "sessions",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut foreign_key(
                        SPECIFICATIONS,
                        "superseded_by",
                        SPECIFICATIONS,
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HISTORY)
                    .col(schema::big_pk_auto("id"))
                    .col(uuid("session_id"))
                    .col(uuid("project_id"))
                    .col(enum_text("role", "user"))
                    .col(enum_text("kind", "message"))
                    .col(schema::text("content"))
                    .col(uuid_null("question_id"))
                    .col(json_null("metadata"))
                    .col(timestamp("created_at"))
                    .check(check_in(HISTORY, "role", &["user", "assistant", "system"]))
                    .check(check_in(
                        HISTORY,
                        "kind",
                        &[
                            "question",
                            "answer",
                            "message",
                            "reply",
                            "suggestion",
                            "conflict_alert",
                            "conflict_resolution",
                            "mode_toggle",
                            "phase_transition",
                            "system",
                        ],
                    ))
                    .foreign_key(&mut foreign_key(
                        HISTORY,
                        "session_id",
                        "sessions",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        HISTORY,
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(QUESTIONS, "session_created", &["session_id", "created_at"]),
                index(QUESTIONS, "project_created", &["project_id", "created_at"]),
                // "Never the same question twice in a project" looks questions up by template.
                index(
                    QUESTIONS,
                    "project_template",
                    &["project_id", "template_id"],
                ),
                // The seed's index: current facts of a project by category and key.
                index(
                    SPECIFICATIONS,
                    "project_category_key",
                    &["project_id", "category", "key"],
                ),
                index(
                    SPECIFICATIONS,
                    "project_current",
                    &["project_id", "is_current", "deleted_at"],
                ),
                unique_index(
                    SPECIFICATIONS,
                    "lineage_version",
                    &["lineage_id", "version"],
                ),
                index(SPECIFICATIONS, "source_id", &["source_id"]),
                // The seed's index: a session's conversation in time order.
                index(HISTORY, "session_created", &["session_id", "created_at"]),
                index(HISTORY, "project_created", &["project_id", "created_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[HISTORY, SPECIFICATIONS, QUESTIONS]).await
    }
}
