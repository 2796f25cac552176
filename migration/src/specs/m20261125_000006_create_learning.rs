//! `user_behavior_patterns`, `question_effectiveness` and `knowledge_base_documents`.
//! `user_id` columns name accounts of the auth database (no foreign key).

use crate::common::{
    check_range, create_indexes, drop_tables, foreign_key, id, index, json, timestamp,
    timestamp_null, unique_index, uuid,
};
use sea_orm_migration::{prelude::*, schema};

const PATTERNS: &str = "user_behavior_patterns";
const EFFECTIVENESS: &str = "question_effectiveness";
const DOCUMENTS: &str = "knowledge_base_documents";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PATTERNS)
                    .col(id())
                    .col(uuid("user_id"))
                    .col(schema::string_len("pattern_type", 64))
                    .col(json("pattern_data"))
                    .col(schema::double("confidence"))
                    .col(json("learned_from_projects"))
                    .col(timestamp("learned_at"))
                    .col(timestamp("updated_at"))
                    .check(check_range(PATTERNS, "confidence", 0.0, 1.0))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EFFECTIVENESS)
                    .col(id())
                    .col(uuid("user_id"))
                    .col(schema::string_len("question_template_id", 100))
                    .col(schema::string_len("role", 32))
                    .col(schema::integer("times_asked").default(0))
                    .col(schema::integer("times_answered_well").default(0))
                    .col(schema::integer_null("average_answer_length"))
                    .col(schema::double_null("average_spec_extraction_count"))
                    .col(schema::double_null("effectiveness_score"))
                    .col(timestamp_null("last_asked_at"))
                    .col(timestamp("updated_at"))
                    .check(check_range(EFFECTIVENESS, "effectiveness_score", 0.0, 1.0))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DOCUMENTS)
                    .col(id())
                    .col(uuid("project_id"))
                    .col(uuid("user_id"))
                    .col(schema::string_len("filename", 255))
                    .col(schema::big_integer("file_size"))
                    .col(schema::string_len("content_type", 100))
                    .col(schema::string_len("content_sha256", 64))
                    .col(schema::text_null("content"))
                    .col(timestamp("uploaded_at"))
                    .foreign_key(&mut foreign_key(
                        DOCUMENTS,
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
                unique_index(PATTERNS, "user_type", &["user_id", "pattern_type"]),
                unique_index(
                    EFFECTIVENESS,
                    "user_template",
                    &["user_id", "question_template_id"],
                ),
                index(EFFECTIVENESS, "role", &["role"]),
                index(
                    DOCUMENTS,
                    "project_uploaded",
                    &["project_id", "uploaded_at"],
                ),
                index(DOCUMENTS, "user_id", &["user_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[DOCUMENTS, EFFECTIVENESS, PATTERNS]).await
    }
}
