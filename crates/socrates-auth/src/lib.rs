//! Accounts and tokens: registration, login, rotating refresh tokens, logout, password change
//! and reset, with the audit trail and the login rate limits.
//!
//! The account lives in the `socrates_auth` database; this crate never touches
//! `socrates_specs` (deleting a person's data in both is the agents crate's `privacy`
//! module, which calls [`AuthService`] for the auth side).

#![warn(missing_docs)]

mod error;
mod mailer;
mod password;
mod service;
pub mod tokens;

pub use error::AuthError;
pub use mailer::{LogMailer, Mailer};
pub use password::PasswordHasher;
pub use service::{AuthPolicy, AuthService, ClientContext, LoginOutcome, TokenPair};
/// The account record the service returns.
pub use socrates_persistence::repositories::users::User;
pub use tokens::{IssuedAccessToken, TokenService};
