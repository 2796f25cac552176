//! Single-use password reset tokens in `socrates_auth.password_reset_requests`, stored only
//! as SHA-256 hashes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};
use socrates_domain::{PasswordResetId, UserId};

use crate::db::{Auth, Conn};
use crate::entities::auth::password_reset_requests;
use crate::error::DbError;

const ENTITY: &str = "password reset request";

/// A stored reset request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// The request's id.
    pub id: PasswordResetId,
    /// Whose password it resets.
    pub user_id: UserId,
    /// SHA-256 of the token, hex-encoded.
    pub token_hash: String,
    /// After this instant the token is refused.
    pub expires_at: DateTime<Utc>,
    /// True once used.
    pub used: bool,
    /// When it was used.
    pub used_at: Option<DateTime<Utc>>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
}

fn to_record(model: password_reset_requests::Model) -> PasswordReset {
    PasswordReset {
        id: PasswordResetId::from_uuid(model.id),
        user_id: UserId::from_uuid(model.user_id),
        token_hash: model.token_hash,
        expires_at: model.expires_at,
        used: model.used,
        used_at: model.used_at,
        created_at: model.created_at,
    }
}

/// Stores a new request.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(
    db: &impl Conn<Auth>,
    user_id: UserId,
    token_hash: String,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<PasswordReset, DbError> {
    let model = password_reset_requests::ActiveModel {
        id: Set(PasswordResetId::new().into_uuid()),
        user_id: Set(user_id.into_uuid()),
        token_hash: Set(token_hash),
        expires_at: Set(expires_at),
        used: Set(false),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db.raw())
    .await
    .map_err(|error| DbError::from_db(ENTITY, error))?;
    Ok(to_record(model))
}

/// The request whose token hashes to `token_hash`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_hash(
    db: &impl Conn<Auth>,
    token_hash: &str,
) -> Result<Option<PasswordReset>, DbError> {
    Ok(password_reset_requests::Entity::find()
        .filter(password_reset_requests::Column::TokenHash.eq(token_hash))
        .one(db.raw())
        .await?
        .map(to_record))
}

/// Marks a request used, only if it is unused and unexpired at `now`; returns whether this
/// call consumed it (a second use, a race or an expired token all answer false).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn consume(
    db: &impl Conn<Auth>,
    id: PasswordResetId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let result = password_reset_requests::Entity::update_many()
        .col_expr(password_reset_requests::Column::Used, Expr::value(true))
        .col_expr(password_reset_requests::Column::UsedAt, Expr::value(now))
        .filter(password_reset_requests::Column::Id.eq(id.into_uuid()))
        .filter(password_reset_requests::Column::Used.eq(false))
        .filter(password_reset_requests::Column::ExpiresAt.gt(now))
        .exec(db.raw())
        .await?;
    Ok(result.rows_affected == 1)
}

/// Invalidates every unused request of a user (after a successful reset or password change).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn invalidate_all_for_user(
    db: &impl Conn<Auth>,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let result = password_reset_requests::Entity::update_many()
        .col_expr(password_reset_requests::Column::Used, Expr::value(true))
        .col_expr(password_reset_requests::Column::UsedAt, Expr::value(now))
        .filter(password_reset_requests::Column::UserId.eq(user_id.into_uuid()))
        .filter(password_reset_requests::Column::Used.eq(false))
        .exec(db.raw())
        .await?;
    Ok(result.rows_affected)
}

/// Deletes up to `batch` requests that can no longer be used (used, or expired before `now`)
/// and returns how many went. Callers repeat until it returns less than `batch`. A deleted
/// request's token is refused just as a used or expired one is.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_spent(
    db: &impl Conn<Auth>,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbError> {
    let spent = Query::select()
        .column(password_reset_requests::Column::Id)
        .from(password_reset_requests::Entity)
        .cond_where(
            Condition::any()
                .add(password_reset_requests::Column::Used.eq(true))
                .add(password_reset_requests::Column::ExpiresAt.lt(now)),
        )
        .limit(batch)
        .to_owned();
    let result = password_reset_requests::Entity::delete_many()
        .filter(password_reset_requests::Column::Id.in_subquery(spent))
        .exec(db.raw())
        .await?;
    Ok(result.rows_affected)
}
