//! Accounts in `socrates_auth.users`.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use socrates_domain::{Email, UserId, UserRole, UserStatus};

use super::parse_stored;
use crate::db::{Auth, Conn};
use crate::entities::auth::users;
use crate::error::DbError;

const ENTITY: &str = "user";

/// A stored account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The account's id.
    pub id: UserId,
    /// The lower-cased, unique e-mail address.
    pub email: String,
    /// The bcrypt hash of the password.
    pub password_hash: String,
    /// An optional display name.
    pub name: Option<String>,
    /// Whether the account may log in.
    pub status: UserStatus,
    /// Ordinary user or administrator.
    pub role: UserRole,
    /// Whether the e-mail address was confirmed.
    pub is_verified: bool,
    /// The last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When the account last changed.
    pub updated_at: DateTime<Utc>,
}

/// What is needed to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The validated e-mail address.
    pub email: Email,
    /// The bcrypt hash of the password (never the password itself).
    pub password_hash: String,
    /// An optional display name.
    pub name: Option<String>,
}

fn to_record(model: users::Model) -> Result<User, DbError> {
    Ok(User {
        id: UserId::from_uuid(model.id),
        status: parse_stored(ENTITY, &model.status)?,
        role: parse_stored(ENTITY, &model.role)?,
        email: model.email,
        password_hash: model.password_hash,
        name: model.name,
        is_verified: model.is_verified,
        last_login_at: model.last_login_at,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Creates an account; [`DbError::AlreadyExists`] when the e-mail address is taken.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &impl Conn<Auth>,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<User, DbError> {
    let model = users::ActiveModel {
        id: Set(UserId::new().into_uuid()),
        email: Set(new.email.as_str().to_owned()),
        password_hash: Set(new.password_hash),
        name: Set(new.name),
        status: Set(UserStatus::Active.as_str().to_owned()),
        role: Set(UserRole::User.as_str().to_owned()),
        is_verified: Set(false),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db.raw())
    .await
    .map_err(|error| DbError::from_db(ENTITY, error))?;
    to_record(model)
}

/// The account with this id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_id(db: &impl Conn<Auth>, id: UserId) -> Result<Option<User>, DbError> {
    users::Entity::find_by_id(id.into_uuid())
        .one(db.raw())
        .await?
        .map(to_record)
        .transpose()
}

/// The account with this e-mail address (already lower-cased by [`Email`]).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_email(db: &impl Conn<Auth>, email: &Email) -> Result<Option<User>, DbError> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(db.raw())
        .await?
        .map(to_record)
        .transpose()
}

/// Records a successful login.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_login(
    db: &impl Conn<Auth>,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    update(db, id, |model| {
        model.last_login_at = Set(Some(now));
        model.updated_at = Set(now);
    })
    .await
}

/// Replaces the password hash.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_password_hash(
    db: &impl Conn<Auth>,
    id: UserId,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    update(db, id, |model| {
        model.password_hash = Set(password_hash);
        model.updated_at = Set(now);
    })
    .await
}

/// Changes whether the account may log in.
///
/// Built only for tests (feature `test-support`): no route suspends or reactivates an account
/// yet, and tests need a suspended account to check that it is refused.
#[cfg(any(test, feature = "test-support"))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_status(
    db: &impl Conn<Auth>,
    id: UserId,
    status: UserStatus,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    update(db, id, |model| {
        model.status = Set(status.as_str().to_owned());
        model.updated_at = Set(now);
    })
    .await
}

async fn update(
    db: &impl Conn<Auth>,
    id: UserId,
    change: impl FnOnce(&mut users::ActiveModel),
) -> Result<(), DbError> {
    let mut model = users::ActiveModel {
        id: Set(id.into_uuid()),
        ..Default::default()
    };
    change(&mut model);
    let result = users::Entity::update_many()
        .set(model)
        .filter(users::Column::Id.eq(id.into_uuid()))
        .exec(db.raw())
        .await?;
    if result.rows_affected == 0 {
        return Err(DbError::NotFound { entity: ENTITY });
    }
    Ok(())
}
