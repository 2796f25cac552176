//! `llm_usage_tracking`: one row per model call with tokens, cost and latency. `user_id` names
//! an account of the auth database (no foreign key).

use crate::common::{create_indexes, drop_tables, foreign_key, index, timestamp, uuid, uuid_null};
use sea_orm_migration::{prelude::*, schema};

const USAGE: &str = "llm_usage_tracking";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(USAGE)
                    .col(schema::big_pk_auto("id"))
                    .col(uuid("user_id"))
                    .col(uuid_null("project_id"))
                    .col(uuid_null("session_id"))
                    .col(schema::string_len("provider", 32))
                    .col(schema::string_len("model", 128))
                    .col(schema::string_len("operation", 64))
                    .col(schema::integer("tokens_input"))
                    .col(schema::integer("tokens_output"))
                    .col(schema::integer("tokens_total"))
                    .col(schema::double("cost_usd"))
                    .col(schema::integer("latency_ms"))
                    .col(schema::boolean("success"))
                    .col(schema::string_len_null("error_code", 64))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        USAGE,
                        "project_id",
                        "projects",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut foreign_key(
                        USAGE,
                        "session_id",
                        "sessions",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(USAGE, "user_created", &["user_id", "created_at"]),
                index(USAGE, "project_id", &["project_id"]),
                index(USAGE, "provider_created", &["provider", "created_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[USAGE]).await
    }
}
