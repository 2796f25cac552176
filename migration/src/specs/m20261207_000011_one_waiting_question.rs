//! A session waits on one question at a time, however many clients ask for the next one at
//! once: `questions.waiting_session_id` holds the session's id while the question is the one
//! the session waits on (asked, not answered) and is null otherwise, under a unique index.
//!
//! A second question inserted for a session that already waits on one is a unique violation;
//! the caller reads the waiting question and returns it. Answering clears the column. Rows
//! written before this migration: the newest question of each session, when unanswered, is
//! the one it waits on; older unanswered ones were passed over and stay null.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

use crate::common::{create_indexes, drop_index, unique_index};

const QUESTIONS: &str = "questions";
const COLUMN: &str = "waiting_session_id";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(QUESTIONS)
                    .add_column(schema::uuid_null(COLUMN))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE questions SET waiting_session_id = session_id \
                 WHERE answered_at IS NULL AND NOT EXISTS (\
                   SELECT 1 FROM questions AS newer \
                   WHERE newer.session_id = questions.session_id \
                     AND (newer.created_at > questions.created_at \
                          OR (newer.created_at = questions.created_at AND newer.id > questions.id)))",
            )
            .await?;
        create_indexes(
            manager,
            vec![unique_index(QUESTIONS, "waiting_session", &[COLUMN])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, QUESTIONS, "uq_questions_waiting_session").await?;
        manager
            .alter_table(
                Table::alter()
                    .table(QUESTIONS)
                    .drop_column(COLUMN)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
