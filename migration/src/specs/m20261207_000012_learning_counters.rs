//! What learning counts per (user, question template) beyond the original columns — answers,
//! facts yielded, conflicts raised, and the totals of answer length and answering time the
//! behaviour patterns are read from — plus the template's category; a one-word `label` on a
//! behaviour pattern (the style, level or pace) so users can be grouped by it; and the indexes
//! those groupings read by.
//!
//! SQLite alters one column per statement, hence one `ALTER TABLE` per column.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

use crate::common::{create_indexes, drop_index, index};

const EFFECTIVENESS: &str = "question_effectiveness";
const PATTERNS: &str = "user_behavior_patterns";

/// The counters added to `question_effectiveness`, all `NOT NULL DEFAULT 0`.
const COUNTERS: [&str; 3] = ["times_answered", "facts_yielded", "conflicts_raised"];
/// The totals added to `question_effectiveness`, all `NOT NULL DEFAULT 0`.
const TOTALS: [&str; 2] = ["answer_chars_total", "answer_seconds_total"];

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn add(manager: &SchemaManager<'_>, table: &str, column: ColumnDef) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table.to_owned())
                .add_column(column)
                .to_owned(),
        )
        .await
}

async fn drop(manager: &SchemaManager<'_>, table: &str, column: &'static str) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table.to_owned())
                .drop_column(column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COUNTERS {
            add(
                manager,
                EFFECTIVENESS,
                schema::integer(column).default(0).take(),
            )
            .await?;
        }
        for column in TOTALS {
            add(
                manager,
                EFFECTIVENESS,
                schema::big_integer(column).default(0).take(),
            )
            .await?;
        }
        add(
            manager,
            EFFECTIVENESS,
            schema::string_len_null("category", 32),
        )
        .await?;
        add(manager, PATTERNS, schema::string_len_null("label", 32)).await?;
        create_indexes(
            manager,
            vec![
                index(EFFECTIVENESS, "template", &["question_template_id"]),
                index(PATTERNS, "type_label", &["pattern_type", "label"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, PATTERNS, "idx_user_behavior_patterns_type_label").await?;
        drop_index(
            manager,
            EFFECTIVENESS,
            "idx_question_effectiveness_template",
        )
        .await?;
        drop(manager, PATTERNS, "label").await?;
        drop(manager, EFFECTIVENESS, "category").await?;
        for column in TOTALS.into_iter().chain(COUNTERS).rev() {
            drop(manager, EFFECTIVENESS, column).await?;
        }
        Ok(())
    }
}
