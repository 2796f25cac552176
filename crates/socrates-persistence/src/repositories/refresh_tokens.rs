//! Rotating refresh tokens in `socrates_auth.refresh_tokens`, stored only as hashes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use socrates_domain::{RefreshTokenId, TokenFamilyId, UserId};

use crate::db::{Auth, Conn};
use crate::entities::auth::refresh_tokens;
use crate::error::DbError;

const ENTITY: &str = "refresh token";

/// A stored refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// The token's row id.
    pub id: RefreshTokenId,
    /// Whose token it is.
    pub user_id: UserId,
    /// All tokens descending from one login share a family.
    pub family_id: TokenFamilyId,
    /// SHA-256 of the opaque token, hex-encoded.
    pub token_hash: String,
    /// After this instant the token is refused.
    pub expires_at: DateTime<Utc>,
    /// True once rotated, logged out or revoked.
    pub revoked: bool,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The token that replaced it on rotation.
    pub replaced_by: Option<RefreshTokenId>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
}

/// What is needed to store a new refresh token.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    /// Whose token it is.
    pub user_id: UserId,
    /// The family (a new one per login, inherited on rotation).
    pub family_id: TokenFamilyId,
    /// SHA-256 of the opaque token, hex-encoded.
    pub token_hash: String,
    /// Expiry instant.
    pub expires_at: DateTime<Utc>,
    /// The client's user agent, for the audit trail.
    pub user_agent: Option<String>,
    /// The client's address, for the audit trail.
    pub ip_address: Option<String>,
}

fn to_record(model: refresh_tokens::Model) -> RefreshToken {
    RefreshToken {
        id: RefreshTokenId::from_uuid(model.id),
        user_id: UserId::from_uuid(model.user_id),
        family_id: TokenFamilyId::from_uuid(model.family_id),
        token_hash: model.token_hash,
        expires_at: model.expires_at,
        revoked: model.revoked,
        revoked_at: model.revoked_at,
        replaced_by: model.replaced_by.map(RefreshTokenId::from_uuid),
        created_at: model.created_at,
    }
}

/// Stores a new token.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(
    db: &impl Conn<Auth>,
    new: NewRefreshToken,
    now: DateTime<Utc>,
) -> Result<RefreshToken, DbError> {
    let model = refresh_tokens::ActiveModel {
        id: Set(RefreshTokenId::new().into_uuid()),
        user_id: Set(new.user_id.into_uuid()),
        family_id: Set(new.family_id.into_uuid()),
        token_hash: Set(new.token_hash),
        expires_at: Set(new.expires_at),
        revoked: Set(false),
        revoked_at: Set(None),
        replaced_by: Set(None),
        user_agent: Set(new.user_agent),
        ip_address: Set(new.ip_address),
        created_at: Set(now),
    }
    .insert(db.raw())
    .await
    .map_err(|error| DbError::from_db(ENTITY, error))?;
    Ok(to_record(model))
}

/// The token whose hash is `token_hash`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_hash(
    db: &impl Conn<Auth>,
    token_hash: &str,
) -> Result<Option<RefreshToken>, DbError> {
    Ok(refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .one(db.raw())
        .await?
        .map(to_record))
}

/// Marks `id` as rotated into `replaced_by`. Only an unrevoked token can be rotated; returns
/// false when another request rotated it first (the caller must then treat it as reuse).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_rotated(
    db: &impl Conn<Auth>,
    id: RefreshTokenId,
    replaced_by: RefreshTokenId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let result = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::Revoked, Expr::value(true))
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .col_expr(
            refresh_tokens::Column::ReplacedBy,
            Expr::value(replaced_by.into_uuid()),
        )
        .filter(refresh_tokens::Column::Id.eq(id.into_uuid()))
        .filter(refresh_tokens::Column::Revoked.eq(false))
        .exec(db.raw())
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes one token; returns whether it was still live.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke(
    db: &impl Conn<Auth>,
    id: RefreshTokenId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    revoke_where(db, refresh_tokens::Column::Id.eq(id.into_uuid()), now)
        .await
        .map(|count| count > 0)
}

/// Revokes every live token of a family (reuse of a rotated token); returns how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_family(
    db: &impl Conn<Auth>,
    family_id: TokenFamilyId,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    revoke_where(
        db,
        refresh_tokens::Column::FamilyId.eq(family_id.into_uuid()),
        now,
    )
    .await
}

/// Revokes every live token of a user (logout everywhere, password change); returns how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_all_for_user(
    db: &impl Conn<Auth>,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    revoke_where(
        db,
        refresh_tokens::Column::UserId.eq(user_id.into_uuid()),
        now,
    )
    .await
}

async fn revoke_where(
    db: &impl Conn<Auth>,
    condition: sea_orm::sea_query::SimpleExpr,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let result = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::Revoked, Expr::value(true))
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(condition)
        .filter(refresh_tokens::Column::Revoked.eq(false))
        .exec(db.raw())
        .await?;
    Ok(result.rows_affected)
}

/// Deletes up to `batch` tokens of families none of whose tokens is unexpired at `now`, and
/// returns how many went. Callers repeat until it returns less than `batch`.
///
/// A token whose own expiry has passed stays while another token of its family is still
/// unexpired: presenting a rotated token again is how a stolen one is noticed (the refresh
/// revokes the whole family), and that needs its row. Once the whole family has expired there
/// is nothing left to protect, and any of its tokens is refused just the same without a row.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_expired_families(
    db: &impl Conn<Auth>,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbError> {
    let unexpired_families = Query::select()
        .column(refresh_tokens::Column::FamilyId)
        .from(refresh_tokens::Entity)
        .and_where(refresh_tokens::Column::ExpiresAt.gte(now))
        .to_owned();
    let expired = Query::select()
        .column(refresh_tokens::Column::Id)
        .from(refresh_tokens::Entity)
        .and_where(refresh_tokens::Column::ExpiresAt.lt(now))
        .and_where(refresh_tokens::Column::FamilyId.not_in_subquery(unexpired_families))
        .limit(batch)
        .to_owned();
    let result = refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::Id.in_subquery(expired))
        .exec(db.raw())
        .await?;
    Ok(result.rows_affected)
}
