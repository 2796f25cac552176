//! The append-only security trail in `socrates_auth.audit_logs`.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};
use socrates_domain::UserId;

use crate::db::{Auth, Conn};
use crate::entities::auth::audit_logs;
use crate::error::DbError;

const ENTITY: &str = "audit log entry";

/// One security-relevant event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Row id (monotonic).
    pub id: i64,
    /// The account concerned, when known.
    pub user_id: Option<UserId>,
    /// What happened, dotted (`user.login`, `user.login_failed`, …).
    pub action: String,
    /// The kind of resource concerned.
    pub resource_type: Option<String>,
    /// The resource concerned.
    pub resource_id: Option<String>,
    /// The client's address.
    pub ip_address: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Further facts (never secrets).
    pub details: Option<serde_json::Value>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

/// An event to record.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    /// The account concerned, when known.
    pub user_id: Option<UserId>,
    /// What happened.
    pub action: String,
    /// The kind of resource concerned.
    pub resource_type: Option<String>,
    /// The resource concerned.
    pub resource_id: Option<String>,
    /// The client's address.
    pub ip_address: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Further facts (never secrets).
    pub details: Option<serde_json::Value>,
}

fn to_record(model: audit_logs::Model) -> AuditEntry {
    AuditEntry {
        id: model.id,
        user_id: model.user_id.map(UserId::from_uuid),
        action: model.action,
        resource_type: model.resource_type,
        resource_id: model.resource_id,
        ip_address: model.ip_address,
        user_agent: model.user_agent,
        request_id: model.request_id,
        details: model.details,
        created_at: model.created_at,
    }
}

/// Appends an event.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn append(
    db: &impl Conn<Auth>,
    entry: NewAuditEntry,
    now: DateTime<Utc>,
) -> Result<AuditEntry, DbError> {
    let model = audit_logs::ActiveModel {
        user_id: Set(entry.user_id.map(UserId::into_uuid)),
        action: Set(entry.action),
        resource_type: Set(entry.resource_type),
        resource_id: Set(entry.resource_id),
        ip_address: Set(entry.ip_address),
        user_agent: Set(entry.user_agent),
        request_id: Set(entry.request_id),
        details: Set(entry.details),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db.raw())
    .await
    .map_err(|error| DbError::from_db(ENTITY, error))?;
    Ok(to_record(model))
}

/// The newest events of one account, newest first.
///
/// Built only for tests (feature `test-support`): the product writes the trail and reads it
/// back only in a person's data export (`personal_data`; operators query the table, there is
/// no admin route yet); tests read it here to check what a request audited.
#[cfg(any(test, feature = "test-support"))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_for_user(
    db: &impl Conn<Auth>,
    user_id: UserId,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    Ok(audit_logs::Entity::find()
        .filter(audit_logs::Column::UserId.eq(user_id.into_uuid()))
        .order_by_desc(audit_logs::Column::Id)
        .limit(limit)
        .all(db.raw())
        .await?
        .into_iter()
        .map(to_record)
        .collect())
}

/// The newest events with this action, newest first.
///
/// Built only for tests (feature `test-support`), like [`list_for_user`].
#[cfg(any(test, feature = "test-support"))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_by_action(
    db: &impl Conn<Auth>,
    action: &str,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    Ok(audit_logs::Entity::find()
        .filter(audit_logs::Column::Action.eq(action))
        .order_by_desc(audit_logs::Column::Id)
        .limit(limit)
        .all(db.raw())
        .await?
        .into_iter()
        .map(to_record)
        .collect())
}
