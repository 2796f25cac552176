//! Outgoing mail behind a trait. The embedded default does not send anything: it writes the
//! message to the log, clearly marked, so a developer can follow the link.

use socrates_domain::Email;

use crate::error::AuthError;

/// Delivers the messages Socrates sends to people.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Sends the password-reset link to `to`.
    async fn send_password_reset(&self, to: &Email, link: &str) -> Result<(), AuthError>;
    /// `log` for the embedded default, the transport name otherwise.
    fn kind(&self) -> &'static str;
}

/// The embedded default: logs the message at info level instead of sending it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogMailer;

#[async_trait::async_trait]
impl Mailer for LogMailer {
    async fn send_password_reset(&self, to: &Email, link: &str) -> Result<(), AuthError> {
        tracing::info!(
            mail.to = %to,
            mail.kind = "password_reset",
            mail.link = link,
            "EMBEDDED MAILER — NOT DELIVERED: password reset link (configure a mail transport in production)"
        );
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "log"
    }
}
