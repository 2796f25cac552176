//! `teams`, `team_members` and `team_invitations`. An invitation can never grant `owner`.

use crate::common::{
    check_in, create_indexes, drop_tables, enum_text, foreign_key, id, index, timestamp,
    timestamp_null, unique_index, uuid,
};
use sea_orm_migration::{prelude::*, schema};

const TEAMS: &str = "teams";
const MEMBERS: &str = "team_members";
const INVITATIONS: &str = "team_invitations";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TEAMS)
                    .col(id())
                    .col(schema::string_len("name", 255))
                    .col(schema::text_null("description"))
                    .col(uuid("created_by"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .foreign_key(&mut foreign_key(
                        TEAMS,
                        "created_by",
                        "users",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MEMBERS)
                    .col(id())
                    .col(uuid("team_id"))
                    .col(uuid("user_id"))
                    .col(enum_text("role", "developer"))
                    .col(timestamp("joined_at"))
                    .check(check_in(
                        MEMBERS,
                        "role",
                        &["owner", "lead", "developer", "viewer"],
                    ))
                    .foreign_key(&mut foreign_key(
                        MEMBERS,
                        "team_id",
                        TEAMS,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        MEMBERS,
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
                    .table(INVITATIONS)
                    .col(id())
                    .col(uuid("team_id"))
                    .col(uuid("invited_by"))
                    .col(schema::string_len("invited_email", 254))
                    .col(enum_text("role", "developer"))
                    .col(schema::string_len_uniq("token_hash", 64))
                    .col(timestamp("expires_at"))
                    .col(schema::boolean("accepted").default(false))
                    .col(timestamp_null("accepted_at"))
                    .col(timestamp("created_at"))
                    .check(check_in(
                        INVITATIONS,
                        "role",
                        &["lead", "developer", "viewer"],
                    ))
                    .foreign_key(&mut foreign_key(
                        INVITATIONS,
                        "team_id",
                        TEAMS,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        INVITATIONS,
                        "invited_by",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(TEAMS, "created_by", &["created_by"]),
                unique_index(MEMBERS, "team_user", &["team_id", "user_id"]),
                index(MEMBERS, "user_id", &["user_id"]),
                index(INVITATIONS, "team_id", &["team_id"]),
                index(INVITATIONS, "invited_email", &["invited_email"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[INVITATIONS, MEMBERS, TEAMS]).await
    }
}
