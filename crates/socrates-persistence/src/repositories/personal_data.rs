//! Everything one person owns, across both databases: exported as JSON on request and erased
//! (or anonymised, where the rows belong to someone else's project) when the account is deleted.
//!
//! What belongs to a user in `socrates_specs`: the projects they own with everything under them,
//! plus what they left in other people's projects (sessions, facts, conflicts they raised or
//! resolved, usage, documents, shares). Their own projects are deleted whole; in other people's
//! projects their identity is removed (`user_id` set to the nil UUID, or `NULL` where the column
//! allows it) and the content stays with the project it was written for.
//!
//! The export holds the columns each table's policy allows (see `columns`), never whole rows:
//! secrets (password and token hashes, encrypted API keys) never leave the database, and a new
//! column stays out of the export until someone decides it belongs there.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;
use socrates_domain::UserId;
use uuid::Uuid;

use crate::db::{Auth, Conn, Specs};
use crate::entities::auth::{
    api_keys, audit_logs, password_reset_requests, refresh_tokens, team_invitations, team_members,
    teams, user_rules, users,
};
use crate::entities::specs::{
    conflicts, conversation_history, maturity_tracking, projects, quality_metrics, questions,
    sessions, specifications,
};
use crate::entities::specs_extra::{
    code_generation_jobs, generated_files, generated_projects, knowledge_base_documents,
    llm_usage_tracking, project_shares, question_effectiveness, user_behavior_patterns,
};
use crate::error::DbError;

mod columns;

use columns::Exported;

/// The rows of one database, by table name.
pub type Tables = BTreeMap<&'static str, Vec<Value>>;

/// The id that replaces a deleted user's where a row must keep a (non-null) user column.
pub const ANONYMOUS_USER: Uuid = Uuid::nil();

/// The rows of `E` that match `filter`, each holding only the columns `E` exports.
async fn rows<E: Exported>(
    db: &impl ConnectionTrait,
    filter: Condition,
) -> Result<Vec<Value>, DbError> {
    Ok(E::find()
        .select_only()
        .columns(E::EXPORTED.iter().copied())
        .filter(filter)
        .into_json()
        .all(db)
        .await?)
}

/// The teams a user created that nobody else belongs to: they go when the user goes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn teams_left_empty(db: &impl Conn<Auth>, user: UserId) -> Result<Vec<Uuid>, DbError> {
    let others = Query::select()
        .column(team_members::Column::TeamId)
        .from(team_members::Entity)
        .and_where(team_members::Column::UserId.ne(user.into_uuid()))
        .to_owned();
    Ok(teams::Entity::find()
        .select_only()
        .column(teams::Column::Id)
        .filter(teams::Column::CreatedBy.eq(user.into_uuid()))
        .filter(teams::Column::Id.not_in_subquery(others))
        .into_tuple()
        .all(db.raw())
        .await?)
}

/// Every row of `socrates_auth` that is about the user, secrets left out.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn export_auth(db: &impl Conn<Auth>, user: UserId) -> Result<Tables, DbError> {
    let db = db.raw();
    let id = user.into_uuid();
    let mut tables = Tables::new();
    let account = rows::<users::Entity>(db, Condition::all().add(users::Column::Id.eq(id))).await?;
    let email = account
        .first()
        .and_then(|row| row.get("email"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    tables.insert("users", account);
    tables.insert(
        "refresh_tokens",
        rows::<refresh_tokens::Entity>(db, by(refresh_tokens::Column::UserId, id)).await?,
    );
    tables.insert(
        "password_reset_requests",
        rows::<password_reset_requests::Entity>(
            db,
            by(password_reset_requests::Column::UserId, id),
        )
        .await?,
    );
    tables.insert(
        "audit_logs",
        rows::<audit_logs::Entity>(db, by(audit_logs::Column::UserId, id)).await?,
    );
    tables.insert(
        "user_rules",
        rows::<user_rules::Entity>(db, by(user_rules::Column::UserId, id)).await?,
    );
    tables.insert(
        "api_keys",
        rows::<api_keys::Entity>(db, by(api_keys::Column::UserId, id)).await?,
    );
    tables.insert(
        "teams",
        rows::<teams::Entity>(db, by(teams::Column::CreatedBy, id)).await?,
    );
    tables.insert(
        "team_members",
        rows::<team_members::Entity>(db, by(team_members::Column::UserId, id)).await?,
    );
    tables.insert(
        "team_invitations",
        rows::<team_invitations::Entity>(
            db,
            Condition::any()
                .add(team_invitations::Column::InvitedBy.eq(id))
                .add(team_invitations::Column::InvitedEmail.eq(email)),
        )
        .await?,
    );
    Ok(tables)
}

fn by(column: impl ColumnTrait, id: Uuid) -> Condition {
    Condition::all().add(column.eq(id))
}

/// The projects the user owns (their cached views are dropped when the account goes).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn owned_project_ids(db: &impl Conn<Specs>, user: UserId) -> Result<Vec<Uuid>, DbError> {
    Ok(projects::Entity::find()
        .select_only()
        .column(projects::Column::Id)
        .filter(projects::Column::OwnerId.eq(user.into_uuid()))
        .into_tuple()
        .all(db.raw())
        .await?)
}

/// The ids of the projects the user owns.
fn owned_projects(user: Uuid) -> SelectStatement {
    Query::select()
        .column(projects::Column::Id)
        .from(projects::Entity)
        .and_where(projects::Column::OwnerId.eq(user))
        .to_owned()
}

/// The ids of the sessions the user ran.
fn own_sessions(user: Uuid) -> SelectStatement {
    Query::select()
        .column(sessions::Column::Id)
        .from(sessions::Entity)
        .and_where(sessions::Column::UserId.eq(user))
        .to_owned()
}

/// The generation runs of the user's projects or that the user asked for.
fn generations(user: Uuid) -> SelectStatement {
    Query::select()
        .column(generated_projects::Column::Id)
        .from(generated_projects::Entity)
        .cond_where(
            Condition::any()
                .add(generated_projects::Column::ProjectId.in_subquery(owned_projects(user)))
                .add(generated_projects::Column::RequestedBy.eq(user)),
        )
        .to_owned()
}

/// Every row of `socrates_specs` that the user owns or wrote.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn export_specs(db: &impl Conn<Specs>, user: UserId) -> Result<Tables, DbError> {
    let db = db.raw();
    let id = user.into_uuid();
    let mut tables = Tables::new();
    tables.insert(
        "projects",
        rows::<projects::Entity>(db, by(projects::Column::OwnerId, id)).await?,
    );
    tables.insert(
        "sessions",
        rows::<sessions::Entity>(
            db,
            Condition::any()
                .add(sessions::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(sessions::Column::UserId.eq(id)),
        )
        .await?,
    );
    tables.insert(
        "questions",
        rows::<questions::Entity>(
            db,
            Condition::any()
                .add(questions::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(questions::Column::SessionId.in_subquery(own_sessions(id))),
        )
        .await?,
    );
    tables.insert(
        "specifications",
        rows::<specifications::Entity>(
            db,
            Condition::any()
                .add(specifications::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(specifications::Column::CreatedBy.eq(id)),
        )
        .await?,
    );
    tables.insert(
        "conversation_history",
        rows::<conversation_history::Entity>(
            db,
            Condition::any()
                .add(conversation_history::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(conversation_history::Column::SessionId.in_subquery(own_sessions(id))),
        )
        .await?,
    );
    tables.insert(
        "conflicts",
        rows::<conflicts::Entity>(
            db,
            Condition::any()
                .add(conflicts::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(conflicts::Column::CreatedBy.eq(id))
                .add(conflicts::Column::ResolvedBy.eq(id)),
        )
        .await?,
    );
    tables.insert(
        "quality_metrics",
        rows::<quality_metrics::Entity>(
            db,
            Condition::all()
                .add(quality_metrics::Column::ProjectId.in_subquery(owned_projects(id))),
        )
        .await?,
    );
    tables.insert(
        "maturity_tracking",
        rows::<maturity_tracking::Entity>(
            db,
            Condition::all()
                .add(maturity_tracking::Column::ProjectId.in_subquery(owned_projects(id))),
        )
        .await?,
    );
    tables.insert(
        "llm_usage_tracking",
        rows::<llm_usage_tracking::Entity>(
            db,
            Condition::any()
                .add(llm_usage_tracking::Column::UserId.eq(id))
                .add(llm_usage_tracking::Column::ProjectId.in_subquery(owned_projects(id))),
        )
        .await?,
    );
    tables.insert(
        "generated_projects",
        rows::<generated_projects::Entity>(
            db,
            Condition::all().add(generated_projects::Column::Id.in_subquery(generations(id))),
        )
        .await?,
    );
    tables.insert(
        "generated_files",
        rows::<generated_files::Entity>(
            db,
            Condition::all()
                .add(generated_files::Column::GeneratedProjectId.in_subquery(generations(id))),
        )
        .await?,
    );
    tables.insert(
        "code_generation_jobs",
        rows::<code_generation_jobs::Entity>(
            db,
            Condition::all()
                .add(code_generation_jobs::Column::GeneratedProjectId.in_subquery(generations(id))),
        )
        .await?,
    );
    tables.insert(
        "user_behavior_patterns",
        rows::<user_behavior_patterns::Entity>(db, by(user_behavior_patterns::Column::UserId, id))
            .await?,
    );
    tables.insert(
        "question_effectiveness",
        rows::<question_effectiveness::Entity>(db, by(question_effectiveness::Column::UserId, id))
            .await?,
    );
    tables.insert(
        "knowledge_base_documents",
        rows::<knowledge_base_documents::Entity>(
            db,
            Condition::any()
                .add(knowledge_base_documents::Column::UserId.eq(id))
                .add(knowledge_base_documents::Column::ProjectId.in_subquery(owned_projects(id))),
        )
        .await?,
    );
    tables.insert(
        "project_shares",
        rows::<project_shares::Entity>(
            db,
            Condition::any()
                .add(project_shares::Column::SharedBy.eq(id))
                .add(project_shares::Column::ProjectId.in_subquery(owned_projects(id))),
        )
        .await?,
    );
    Ok(tables)
}

/// How many rows an erasure removed and how many it anonymised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// Rows deleted.
    pub deleted: u64,
    /// Rows kept with the user's identity removed.
    pub anonymised: u64,
}

/// Removes the user from `socrates_specs`: their projects with everything under them, their
/// own learning data and unattributed usage; in other people's projects their identity is
/// removed. `dropped_teams` are the teams about to disappear with the account (their shares go,
/// projects filed under them stay with their owners). Run it in one transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn erase_specs(
    db: &impl Conn<Specs>,
    user: UserId,
    dropped_teams: &[Uuid],
) -> Result<Erased, DbError> {
    let db = db.raw();
    let id = user.into_uuid();
    let owned = || owned_projects(id);
    let mut erased = Erased::default();

    // What hangs off generation runs of the user's projects, then the runs themselves.
    let runs = Query::select()
        .column(generated_projects::Column::Id)
        .from(generated_projects::Entity)
        .and_where(generated_projects::Column::ProjectId.in_subquery(owned()))
        .to_owned();
    erased.deleted += generated_files::Entity::delete_many()
        .filter(generated_files::Column::GeneratedProjectId.in_subquery(runs.clone()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += code_generation_jobs::Entity::delete_many()
        .filter(code_generation_jobs::Column::GeneratedProjectId.in_subquery(runs))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += generated_projects::Entity::delete_many()
        .filter(generated_projects::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += project_shares::Entity::delete_many()
        .filter(
            Condition::any()
                .add(project_shares::Column::ProjectId.in_subquery(owned()))
                .add(project_shares::Column::TeamId.is_in(dropped_teams.iter().copied())),
        )
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += knowledge_base_documents::Entity::delete_many()
        .filter(knowledge_base_documents::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += conflicts::Entity::delete_many()
        .filter(conflicts::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += maturity_tracking::Entity::delete_many()
        .filter(maturity_tracking::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += quality_metrics::Entity::delete_many()
        .filter(quality_metrics::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += conversation_history::Entity::delete_many()
        .filter(conversation_history::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    // Versions point at their successors; unlink them so the delete does not depend on the
    // order in which the database visits the rows.
    specifications::Entity::update_many()
        .col_expr(
            specifications::Column::SupersededBy,
            Expr::value(None::<Uuid>),
        )
        .filter(specifications::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?;
    erased.deleted += specifications::Entity::delete_many()
        .filter(specifications::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += questions::Entity::delete_many()
        .filter(questions::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += sessions::Entity::delete_many()
        .filter(sessions::Column::ProjectId.in_subquery(owned()))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += llm_usage_tracking::Entity::delete_many()
        .filter(
            Condition::any()
                .add(llm_usage_tracking::Column::ProjectId.in_subquery(owned()))
                .add(
                    Condition::all()
                        .add(llm_usage_tracking::Column::UserId.eq(id))
                        .add(llm_usage_tracking::Column::ProjectId.is_null()),
                ),
        )
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += projects::Entity::delete_many()
        .filter(projects::Column::OwnerId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += user_behavior_patterns::Entity::delete_many()
        .filter(user_behavior_patterns::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += question_effectiveness::Entity::delete_many()
        .filter(question_effectiveness::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;

    // What is left mentions the user inside someone else's project: keep it, nameless.
    let nil = Expr::value(ANONYMOUS_USER);
    let null = || Expr::value(None::<Uuid>);
    erased.anonymised += projects::Entity::update_many()
        .col_expr(projects::Column::TeamId, null())
        .filter(projects::Column::TeamId.is_in(dropped_teams.iter().copied()))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += sessions::Entity::update_many()
        .col_expr(sessions::Column::UserId, nil.clone())
        .filter(sessions::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += specifications::Entity::update_many()
        .col_expr(specifications::Column::CreatedBy, null())
        .filter(specifications::Column::CreatedBy.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += conflicts::Entity::update_many()
        .col_expr(conflicts::Column::CreatedBy, null())
        .filter(conflicts::Column::CreatedBy.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += conflicts::Entity::update_many()
        .col_expr(conflicts::Column::ResolvedBy, null())
        .filter(conflicts::Column::ResolvedBy.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += llm_usage_tracking::Entity::update_many()
        .col_expr(llm_usage_tracking::Column::UserId, nil.clone())
        .filter(llm_usage_tracking::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += generated_projects::Entity::update_many()
        .col_expr(generated_projects::Column::RequestedBy, nil.clone())
        .filter(generated_projects::Column::RequestedBy.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += knowledge_base_documents::Entity::update_many()
        .col_expr(knowledge_base_documents::Column::UserId, nil.clone())
        .filter(knowledge_base_documents::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += project_shares::Entity::update_many()
        .col_expr(project_shares::Column::SharedBy, nil)
        .filter(project_shares::Column::SharedBy.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    Ok(erased)
}

/// Removes the account from `socrates_auth`: credentials, tokens, keys, rules, memberships and
/// invitations go; the audit trail keeps its entries without the user's id, address, browser
/// or details;
/// teams the user created that others still belong to keep going without their creator.
/// `dropped_teams` (from [`teams_left_empty`]) are deleted. Run it in one transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn erase_auth(
    db: &impl Conn<Auth>,
    user: UserId,
    dropped_teams: &[Uuid],
) -> Result<Erased, DbError> {
    let db = db.raw();
    let id = user.into_uuid();
    let mut erased = Erased::default();
    let email: Option<String> = users::Entity::find_by_id(id)
        .select_only()
        .column(users::Column::Email)
        .into_tuple()
        .one(db)
        .await?;
    erased.deleted += refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += password_reset_requests::Entity::delete_many()
        .filter(password_reset_requests::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += user_rules::Entity::delete_many()
        .filter(user_rules::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += api_keys::Entity::delete_many()
        .filter(api_keys::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    let mut invitations = Condition::any()
        .add(team_invitations::Column::InvitedBy.eq(id))
        .add(team_invitations::Column::TeamId.is_in(dropped_teams.iter().copied()));
    if let Some(email) = email {
        invitations = invitations.add(team_invitations::Column::InvitedEmail.eq(email));
    }
    erased.deleted += team_invitations::Entity::delete_many()
        .filter(invitations)
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += team_members::Entity::delete_many()
        .filter(
            Condition::any()
                .add(team_members::Column::UserId.eq(id))
                .add(team_members::Column::TeamId.is_in(dropped_teams.iter().copied())),
        )
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += teams::Entity::delete_many()
        .filter(teams::Column::Id.is_in(dropped_teams.iter().copied()))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += teams::Entity::update_many()
        .col_expr(teams::Column::CreatedBy, Expr::value(ANONYMOUS_USER))
        .filter(teams::Column::CreatedBy.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.anonymised += audit_logs::Entity::update_many()
        .col_expr(audit_logs::Column::UserId, Expr::value(None::<Uuid>))
        .col_expr(audit_logs::Column::IpAddress, Expr::value(None::<String>))
        .col_expr(audit_logs::Column::UserAgent, Expr::value(None::<String>))
        .col_expr(audit_logs::Column::ResourceId, Expr::value(None::<String>))
        .col_expr(audit_logs::Column::Details, Expr::value(None::<Value>))
        .filter(
            Condition::any()
                .add(audit_logs::Column::UserId.eq(id))
                .add(audit_logs::Column::ResourceId.eq(id.to_string())),
        )
        .exec(db)
        .await?
        .rows_affected;
    erased.deleted += users::Entity::delete_many()
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    Ok(erased)
}
