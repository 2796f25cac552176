//! `api_keys`: user-supplied LLM provider keys, encrypted with AES-256-GCM. `key_id` names the
//! encryption key that sealed the row so keys can be rotated; `key_hint` keeps the last
//! characters for display. The plaintext is never stored.

use crate::common::{
    check_in, create_indexes, drop_tables, foreign_key, id, index, timestamp, timestamp_null,
    unique_index, uuid,
};
use sea_orm_migration::{prelude::*, schema};

const API_KEYS: &str = "api_keys";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(API_KEYS)
                    .col(id())
                    .col(uuid("user_id"))
                    .col(schema::string_len("provider", 32))
                    .col(schema::text("ciphertext"))
                    .col(schema::string_len("nonce", 32))
                    .col(schema::string_len("key_id", 64))
                    .col(schema::string_len("key_hint", 16))
                    .col(schema::boolean("is_active").default(true))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .col(timestamp_null("last_used_at"))
                    .check(check_in(
                        API_KEYS,
                        "provider",
                        &["claude", "openai", "ollama"],
                    ))
                    .foreign_key(&mut foreign_key(
                        API_KEYS,
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(API_KEYS, "user_provider", &["user_id", "provider"]),
                index(API_KEYS, "key_id", &["key_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[API_KEYS]).await
    }
}
