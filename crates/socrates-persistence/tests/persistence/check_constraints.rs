//! Every CHECK-constrained text column of both schemas, table by table: one row is written,
//! then the column is set to each value the domain can store (accepted) and to a bogus value
//! (refused by the named constraint `ck_<table>_<column>`). This covers the tables that have no
//! repository yet as well, so the frozen value lists in the migrations cannot drift silently.
//! This file holds the machinery and the auth database; `check_constraints_specs` the specs
//! database.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Value};
use socrates_domain::{LlmProviderKind, TeamRole, UserRole, UserStatus};
use socrates_persistence::Conn;
use socrates_persistence::entities::auth::{api_keys, team_invitations, team_members, teams};
use socrates_persistence::testing::TestDatabases;
use uuid::Uuid;

use super::support::{self, at, token_hash};

/// One CHECK-constrained column, the row to exercise it on and the values to try.
pub(super) struct Checked {
    table: &'static str,
    column: &'static str,
    id: Value,
    accepted: Vec<&'static str>,
}

pub(super) fn checked<T: Copy>(
    table: &'static str,
    column: &'static str,
    id: impl Into<Value>,
    values: &[T],
    as_str: fn(T) -> &'static str,
) -> Checked {
    Checked {
        table,
        column,
        id: id.into(),
        accepted: values.iter().copied().map(as_str).collect(),
    }
}

async fn set_column(
    connection: &impl ConnectionTrait,
    target: &Checked,
    value: &str,
) -> Result<u64, sea_orm::DbErr> {
    let statement = Query::update()
        .table(Alias::new(target.table))
        .value(Alias::new(target.column), value)
        .and_where(Expr::col(Alias::new("id")).eq(target.id.clone()))
        .to_owned();
    Ok(connection.execute(&statement).await?.rows_affected())
}

pub(super) async fn assert_checked(connection: &impl ConnectionTrait, targets: &[Checked]) {
    for target in targets {
        let name = format!("{}.{}", target.table, target.column);
        for value in &target.accepted {
            let updated = set_column(connection, target, value).await;
            assert_eq!(updated.ok(), Some(1), "{name} refused `{value}`");
        }
        let error = set_column(connection, target, "bogus_value")
            .await
            .expect_err(&format!("{name} accepted a bogus value"));
        let constraint = format!("ck_{}_{}", target.table, target.column);
        assert!(
            error.to_string().contains(&constraint),
            "{name}: expected a violation of {constraint}, got {error}"
        );
    }
}

pub(super) fn stamp() -> DateTime<Utc> {
    at(10)
}

#[tokio::test]
async fn auth_check_constraints_accept_the_domain_and_refuse_others() {
    let databases = TestDatabases::new().await;
    let db = databases.auth.raw();
    let user = support::user(&databases.auth, "checks@example.com").await;
    let user_id = user.id.into_uuid();
    let api_key = api_keys::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        provider: Set("claude".to_owned()),
        ciphertext: Set("c2VjcmV0".to_owned()),
        nonce: Set("bm9uY2U=".to_owned()),
        key_id: Set("k1".to_owned()),
        key_hint: Set("sk-…abcd".to_owned()),
        is_active: Set(true),
        created_at: Set(stamp()),
        updated_at: Set(stamp()),
        last_used_at: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
    let team = teams::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set("Team".to_owned()),
        description: Set(None),
        created_by: Set(user_id),
        created_at: Set(stamp()),
        updated_at: Set(stamp()),
    }
    .insert(db)
    .await
    .unwrap();
    let member = team_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        team_id: Set(team.id),
        user_id: Set(user_id),
        role: Set("owner".to_owned()),
        joined_at: Set(stamp()),
    }
    .insert(db)
    .await
    .unwrap();
    let invitation = team_invitations::ActiveModel {
        id: Set(Uuid::now_v7()),
        team_id: Set(team.id),
        invited_by: Set(user_id),
        invited_email: Set("invitee@example.com".to_owned()),
        role: Set("developer".to_owned()),
        token_hash: Set(token_hash(1)),
        expires_at: Set(stamp()),
        accepted: Set(false),
        accepted_at: Set(None),
        created_at: Set(stamp()),
    }
    .insert(db)
    .await
    .unwrap();

    // Only providers that need a key can have one stored; nobody is invited as owner.
    let keyed: Vec<_> = LlmProviderKind::ALL
        .into_iter()
        .filter(|p| p.uses_network())
        .collect();
    let invitable: Vec<_> = TeamRole::ALL
        .into_iter()
        .filter(|r| *r != TeamRole::Owner)
        .collect();
    let targets = [
        checked(
            "users",
            "status",
            user_id,
            &UserStatus::ALL,
            UserStatus::as_str,
        ),
        checked("users", "role", user_id, &UserRole::ALL, UserRole::as_str),
        checked(
            "api_keys",
            "provider",
            api_key.id,
            &keyed,
            LlmProviderKind::as_str,
        ),
        checked(
            "team_members",
            "role",
            member.id,
            &TeamRole::ALL,
            TeamRole::as_str,
        ),
        checked(
            "team_invitations",
            "role",
            invitation.id,
            &invitable,
            TeamRole::as_str,
        ),
    ];
    assert_checked(db, &targets).await;
}
