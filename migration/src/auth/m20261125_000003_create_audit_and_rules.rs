//! `audit_logs` (append-only record of security-relevant events) and `user_rules` (one JSON
//! document of preferences per user).

use crate::common::{
    create_indexes, drop_tables, foreign_key, id, index, json, json_null, timestamp, uuid,
    uuid_null,
};
use sea_orm_migration::{prelude::*, schema};

const AUDIT_LOGS: &str = "audit_logs";
const USER_RULES: &str = "user_rules";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AUDIT_LOGS)
                    .col(schema::big_pk_auto("id"))
                    .col(uuid_null("user_id"))
                    .col(schema::string_len("action", 100))
                    .col(schema::string_len_null("resource_type", 50))
                    .col(schema::string_len_null("resource_id", 100))
                    .col(schema::string_len_null("ip_address", 45))
                    .col(schema::text_null("user_agent"))
                    .col(schema::string_len_null("request_id", 64))
                    .col(json_null("details"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        AUDIT_LOGS,
                        "user_id",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(USER_RULES)
                    .col(id())
                    .col(uuid("user_id").unique_key().take())
                    .col(json("rules"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .foreign_key(&mut foreign_key(
                        USER_RULES,
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
                index(AUDIT_LOGS, "user_id", &["user_id", "created_at"]),
                index(AUDIT_LOGS, "action", &["action"]),
                index(AUDIT_LOGS, "created_at", &["created_at"]),
                index(AUDIT_LOGS, "resource", &["resource_type", "resource_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[USER_RULES, AUDIT_LOGS]).await
    }
}
