//! Errors of authentication, classified into the domain's stable codes.

use socrates_domain::{Code, DomainError, ErrorCode, PasswordRule};
use socrates_persistence::DbError;

/// Everything that can go wrong while registering, logging in or handling tokens.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request is malformed (bad e-mail, missing field…).
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// The password does not meet the policy; every failed rule is listed.
    #[error("the password does not meet the policy")]
    WeakPassword(Vec<PasswordRule>),
    /// The e-mail address already has an account.
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    /// Unknown e-mail or wrong password — deliberately indistinguishable.
    #[error("invalid e-mail or password")]
    InvalidCredentials,
    /// A signed-in user confirmed an action (password change, account deletion) with a wrong
    /// password. Same code as [`Self::InvalidCredentials`]; the message names only the password.
    #[error("the password is wrong")]
    WrongPassword,
    /// The account exists but may not log in.
    #[error("this account is not active")]
    AccountInactive,
    /// A valid access token of an account that has since been deleted.
    #[error("this account has been deleted; its access token no longer works")]
    AccountGone,
    /// The access token expired.
    #[error("the access token has expired")]
    TokenExpired,
    /// The token is malformed, forged, revoked or of the wrong kind.
    #[error("the token is invalid")]
    TokenInvalid,
    /// A rotated refresh token was presented again: the whole family was revoked.
    #[error("the refresh token was already used; every session of this login was signed out")]
    RefreshTokenReused,
    /// Too many attempts for this client or account.
    #[error("too many attempts; retry in {retry_after_seconds} s")]
    RateLimited {
        /// When the caller may retry.
        retry_after_seconds: u64,
    },
    /// The password hasher failed (a bug or resource exhaustion, never user input).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// A message could not be handed to the mail transport.
    #[error("mail delivery failed: {0}")]
    Mail(String),
    /// A storage failure.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl ErrorCode for AuthError {
    fn code(&self) -> Code {
        match self {
            Self::Invalid(error) => error.code(),
            Self::WeakPassword(_) => Code::WeakPassword,
            Self::EmailTaken => Code::EmailTaken,
            Self::InvalidCredentials | Self::WrongPassword => Code::InvalidCredentials,
            Self::AccountInactive => Code::AccountInactive,
            Self::TokenExpired => Code::TokenExpired,
            Self::TokenInvalid | Self::RefreshTokenReused | Self::AccountGone => Code::TokenInvalid,
            Self::RateLimited { .. } => Code::RateLimited,
            Self::Hashing(_) | Self::Mail(_) => Code::InternalError,
            Self::Database(error) => error.code(),
        }
    }
}
