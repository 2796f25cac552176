//! `project_shares`: a project shared with a team of the auth database (no foreign key on
//! `team_id` or `shared_by`).

use crate::common::{
    check_in, create_indexes, drop_tables, enum_text, foreign_key, id, index, timestamp,
    unique_index, uuid,
};
use sea_orm_migration::prelude::*;

const SHARES: &str = "project_shares";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SHARES)
                    .col(id())
                    .col(uuid("project_id"))
                    .col(uuid("team_id"))
                    .col(uuid("shared_by"))
                    .col(enum_text("permission", "read"))
                    .col(timestamp("shared_at"))
                    .check(check_in(SHARES, "permission", &["read", "write", "admin"]))
                    .foreign_key(&mut foreign_key(
                        SHARES,
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
                unique_index(SHARES, "project_team", &["project_id", "team_id"]),
                index(SHARES, "team_id", &["team_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[SHARES]).await
    }
}
