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
//! column stays out of the export until someone decides it belongs there. It is read a page at
//! a time ([`ExportPart`], [`export_page`]), so however much a person owns, no more than one
//! page of it is in memory.

use std::marker::PhantomData;

use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Iterable,
    PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde_json::Value;
use socrates_domain::UserId;
use uuid::Uuid;

use crate::db::{Auth, Conn, DatabaseKind, Specs};
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
    knowledge_chunks, knowledge_terms, llm_usage_tracking, project_shares, question_effectiveness,
    user_behavior_patterns,
};
use crate::error::DbError;

mod columns;

use columns::Exported;

/// One table's part of a person's export in database `K`: the exported columns of the rows
/// that are about the person, in primary-key order, read a page at a time by [`export_page`].
#[derive(Debug, Clone)]
pub struct ExportPart<K> {
    table: &'static str,
    query: SelectStatement,
    database: PhantomData<K>,
}

impl<K> ExportPart<K> {
    /// The table's name, the key of its rows in the export.
    pub const fn table(&self) -> &'static str {
        self.table
    }
}

/// The id that replaces a deleted user's where a row must keep a (non-null) user column.
pub const ANONYMOUS_USER: Uuid = Uuid::nil();

/// The part of table `E` whose rows match `filter`, each holding only the columns `E` exports.
fn part<K, E: Exported>(table: &'static str, filter: Condition) -> ExportPart<K> {
    let mut select = E::find()
        .select_only()
        .columns(E::EXPORTED.iter().copied())
        .filter(filter);
    for key in E::PrimaryKey::iter() {
        select = select.order_by_asc(key.into_column());
    }
    ExportPart {
        table,
        query: select.into_query(),
        database: PhantomData,
    }
}

/// Up to `limit` rows of `part` from the `offset`-th on.
#[tracing::instrument(level = "debug", skip_all, fields(table = part.table))]
pub async fn export_page<K: DatabaseKind>(
    db: &impl Conn<K>,
    part: &ExportPart<K>,
    offset: u64,
    limit: u64,
) -> Result<Vec<Value>, DbError> {
    let db = db.raw();
    let mut query = part.query.clone();
    query.limit(limit).offset(offset);
    let statement = db.get_database_backend().build(&query);
    Ok(Value::find_by_statement(statement).all(db).await?)
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

/// The parts of `socrates_auth` that are about the user, secrets left out, by table name;
/// `None` when there is no such account. The account's e-mail address is read first:
/// invitations sent to it are the user's too.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn auth_export_parts(
    db: &impl Conn<Auth>,
    user: UserId,
) -> Result<Option<Vec<ExportPart<Auth>>>, DbError> {
    let id = user.into_uuid();
    let email: Option<String> = users::Entity::find_by_id(id)
        .select_only()
        .column(users::Column::Email)
        .into_tuple()
        .one(db.raw())
        .await?;
    let Some(email) = email else {
        return Ok(None);
    };
    let invitations = Condition::any()
        .add(team_invitations::Column::InvitedBy.eq(id))
        .add(team_invitations::Column::InvitedEmail.eq(email));
    Ok(Some(vec![
        part::<_, api_keys::Entity>("api_keys", by(api_keys::Column::UserId, id)),
        part::<_, audit_logs::Entity>("audit_logs", by(audit_logs::Column::UserId, id)),
        part::<_, password_reset_requests::Entity>(
            "password_reset_requests",
            by(password_reset_requests::Column::UserId, id),
        ),
        part::<_, refresh_tokens::Entity>("refresh_tokens", by(refresh_tokens::Column::UserId, id)),
        part::<_, team_invitations::Entity>("team_invitations", invitations),
        part::<_, team_members::Entity>("team_members", by(team_members::Column::UserId, id)),
        part::<_, teams::Entity>("teams", by(teams::Column::CreatedBy, id)),
        part::<_, user_rules::Entity>("user_rules", by(user_rules::Column::UserId, id)),
        part::<_, users::Entity>("users", by(users::Column::Id, id)),
    ]))
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

/// The ids of the knowledge-base documents the user uploaded or that are in their projects.
fn documents(user: Uuid) -> SelectStatement {
    Query::select()
        .column(knowledge_base_documents::Column::Id)
        .from(knowledge_base_documents::Entity)
        .cond_where(
            Condition::any()
                .add(knowledge_base_documents::Column::UserId.eq(user))
                .add(knowledge_base_documents::Column::ProjectId.in_subquery(owned_projects(user))),
        )
        .to_owned()
}

/// The parts of `socrates_specs` that the user owns or wrote, by table name.
pub fn specs_export_parts(user: UserId) -> Vec<ExportPart<Specs>> {
    let id = user.into_uuid();
    vec![
        part::<_, code_generation_jobs::Entity>(
            "code_generation_jobs",
            Condition::all()
                .add(code_generation_jobs::Column::GeneratedProjectId.in_subquery(generations(id))),
        ),
        part::<_, conflicts::Entity>(
            "conflicts",
            Condition::any()
                .add(conflicts::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(conflicts::Column::CreatedBy.eq(id))
                .add(conflicts::Column::ResolvedBy.eq(id)),
        ),
        part::<_, conversation_history::Entity>(
            "conversation_history",
            Condition::any()
                .add(conversation_history::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(conversation_history::Column::SessionId.in_subquery(own_sessions(id))),
        ),
        part::<_, generated_files::Entity>(
            "generated_files",
            Condition::all()
                .add(generated_files::Column::GeneratedProjectId.in_subquery(generations(id))),
        ),
        part::<_, generated_projects::Entity>(
            "generated_projects",
            Condition::all().add(generated_projects::Column::Id.in_subquery(generations(id))),
        ),
        part::<_, knowledge_base_documents::Entity>(
            "knowledge_base_documents",
            Condition::any()
                .add(knowledge_base_documents::Column::UserId.eq(id))
                .add(knowledge_base_documents::Column::ProjectId.in_subquery(owned_projects(id))),
        ),
        part::<_, knowledge_chunks::Entity>(
            "knowledge_chunks",
            Condition::all().add(knowledge_chunks::Column::DocumentId.in_subquery(documents(id))),
        ),
        part::<_, knowledge_terms::Entity>(
            "knowledge_terms",
            Condition::all().add(
                knowledge_terms::Column::ChunkId.in_subquery(
                    knowledge_chunks::Entity::find()
                        .select_only()
                        .column(knowledge_chunks::Column::Id)
                        .filter(knowledge_chunks::Column::DocumentId.in_subquery(documents(id)))
                        .into_query(),
                ),
            ),
        ),
        part::<_, llm_usage_tracking::Entity>(
            "llm_usage_tracking",
            Condition::any()
                .add(llm_usage_tracking::Column::UserId.eq(id))
                .add(llm_usage_tracking::Column::ProjectId.in_subquery(owned_projects(id))),
        ),
        part::<_, maturity_tracking::Entity>(
            "maturity_tracking",
            Condition::all()
                .add(maturity_tracking::Column::ProjectId.in_subquery(owned_projects(id))),
        ),
        part::<_, project_shares::Entity>(
            "project_shares",
            Condition::any()
                .add(project_shares::Column::SharedBy.eq(id))
                .add(project_shares::Column::ProjectId.in_subquery(owned_projects(id))),
        ),
        part::<_, projects::Entity>("projects", by(projects::Column::OwnerId, id)),
        part::<_, quality_metrics::Entity>(
            "quality_metrics",
            Condition::all()
                .add(quality_metrics::Column::ProjectId.in_subquery(owned_projects(id))),
        ),
        part::<_, question_effectiveness::Entity>(
            "question_effectiveness",
            by(question_effectiveness::Column::UserId, id),
        ),
        part::<_, questions::Entity>(
            "questions",
            Condition::any()
                .add(questions::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(questions::Column::SessionId.in_subquery(own_sessions(id))),
        ),
        part::<_, sessions::Entity>(
            "sessions",
            Condition::any()
                .add(sessions::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(sessions::Column::UserId.eq(id)),
        ),
        part::<_, specifications::Entity>(
            "specifications",
            Condition::any()
                .add(specifications::Column::ProjectId.in_subquery(owned_projects(id)))
                .add(specifications::Column::CreatedBy.eq(id)),
        ),
        part::<_, user_behavior_patterns::Entity>(
            "user_behavior_patterns",
            by(user_behavior_patterns::Column::UserId, id),
        ),
    ]
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
