//! An index on `conversation_history.created_at`, for the retention job that prunes the
//! conversation older than the configured number of days.

use crate::common::{create_indexes, index};
use sea_orm_migration::prelude::*;

const HISTORY: &str = "conversation_history";
const INDEX: &str = "created_at";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(manager, vec![index(HISTORY, INDEX, &["created_at"])]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(format!("idx_{HISTORY}_{INDEX}"))
                    .table(HISTORY)
                    .to_owned(),
            )
            .await
    }
}
