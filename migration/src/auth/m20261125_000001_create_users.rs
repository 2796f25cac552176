//! `users`: one row per account. E-mail addresses are stored lower-cased and are unique.

use crate::common::{
    check_in, create_indexes, drop_tables, enum_text, id, index, timestamp, timestamp_null,
};
use sea_orm_migration::{prelude::*, schema};

const USERS: &str = "users";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(USERS)
                    .col(id())
                    .col(schema::string_len_uniq("email", 254))
                    .col(schema::string_len("password_hash", 255))
                    .col(schema::string_len_null("name", 255))
                    .col(enum_text("status", "active"))
                    .col(enum_text("role", "user"))
                    .col(schema::boolean("is_verified").default(false))
                    .col(timestamp_null("last_login_at"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .check(check_in(
                        USERS,
                        "status",
                        &["active", "inactive", "suspended"],
                    ))
                    .check(check_in(USERS, "role", &["user", "admin"]))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(USERS, "status", &["status"]),
                index(USERS, "created_at", &["created_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[USERS]).await
    }
}
