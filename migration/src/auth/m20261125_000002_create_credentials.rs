//! `refresh_tokens` and `password_reset_requests`: secrets are stored only as SHA-256 hashes.
//!
//! A refresh token belongs to a family (all tokens descending from one login); rotation links a
//! token to its successor through `replaced_by`, so presenting a rotated token can revoke the
//! whole family.

use crate::common::{
    create_indexes, drop_tables, foreign_key, id, index, timestamp, timestamp_null, uuid, uuid_null,
};
use sea_orm_migration::{prelude::*, schema};

const REFRESH_TOKENS: &str = "refresh_tokens";
const PASSWORD_RESETS: &str = "password_reset_requests";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(REFRESH_TOKENS)
                    .col(id())
                    .col(uuid("user_id"))
                    .col(uuid("family_id"))
                    .col(schema::string_len_uniq("token_hash", 64))
                    .col(timestamp("expires_at"))
                    .col(schema::boolean("revoked").default(false))
                    .col(timestamp_null("revoked_at"))
                    .col(uuid_null("replaced_by"))
                    .col(schema::string_len_null("user_agent", 512))
                    .col(schema::string_len_null("ip_address", 45))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        REFRESH_TOKENS,
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PASSWORD_RESETS)
                    .col(id())
                    .col(uuid("user_id"))
                    .col(schema::string_len_uniq("token_hash", 64))
                    .col(timestamp("expires_at"))
                    .col(schema::boolean("used").default(false))
                    .col(timestamp_null("used_at"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        PASSWORD_RESETS,
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
                index(REFRESH_TOKENS, "user_id", &["user_id", "revoked"]),
                index(REFRESH_TOKENS, "family_id", &["family_id"]),
                index(REFRESH_TOKENS, "expires_at", &["expires_at"]),
                index(PASSWORD_RESETS, "user_id", &["user_id"]),
                index(PASSWORD_RESETS, "expires_at", &["expires_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[PASSWORD_RESETS, REFRESH_TOKENS]).await
    }
}
