//! Accounts and tokens: registration, login, rotating refresh tokens, logout, password change
//! and reset, with the audit trail and the login rate limits.

mod error;
mod mailer;
mod password;
mod service;
pub mod tokens;

pub use error::AuthError;
pub use mailer::{LogMailer, MailError, Mailer};
pub use password::PasswordHasher;
pub use service::{AuthPolicy, AuthService, ClientContext, LoginOutcome, TokenPair};
/// The account record the service returns.
pub use socrates_persistence::repositories::users::User;
pub use tokens::{IssuedAccessToken, TokenService};
