//! bcrypt hashing, always on the blocking pool so it never stalls an async worker.

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::error::AuthError;

/// Hashes and verifies passwords with bcrypt at a fixed cost.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    cost: u32,
    /// A hash of a random secret at the same cost: verifying against it when the account does
    /// not exist makes "unknown e-mail" take as long as "wrong password". It is computed in the
    /// background at start-up so it never delays the first request's listener.
    dummy_hash: Arc<OnceCell<String>>,
}

impl PasswordHasher {
    /// Builds a hasher with `cost` (4..=31; 12 in production) and starts computing its dummy
    /// hash on the blocking pool. Must be called inside a Tokio runtime.
    pub fn new(cost: u32) -> Self {
        let hasher = Self {
            cost,
            dummy_hash: Arc::new(OnceCell::new()),
        };
        let background = hasher.clone();
        tokio::spawn(async move {
            if let Err(error) = background.dummy_hash().await {
                tracing::error!(error = %error, "could not prepare the dummy password hash");
            }
        });
        hasher
    }

    /// The bcrypt cost in use.
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// Hashes a password that already passed the policy.
    pub async fn hash(&self, password: &str) -> Result<String, AuthError> {
        hash_blocking(password.to_owned(), self.cost).await
    }

    /// True when `password` matches `hash`. A malformed hash or an over-long password is a
    /// mismatch, never an error the caller could tell apart.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, AuthError> {
        let password = password.to_owned();
        let hash = hash.to_owned();
        tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
            .await
            .map_err(|error| AuthError::Hashing(error.to_string()))
    }

    /// Spends the same time as a real verification, for unknown accounts.
    pub async fn verify_dummy(&self, password: &str) -> Result<(), AuthError> {
        let dummy = self.dummy_hash().await?.clone();
        self.verify(password, &dummy).await.map(|_| ())
    }

    async fn dummy_hash(&self) -> Result<&String, AuthError> {
        self.dummy_hash
            .get_or_try_init(|| hash_blocking(crate::tokens::random_token(), self.cost))
            .await
    }
}

async fn hash_blocking(password: String, cost: u32) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(|error| AuthError::Hashing(error.to_string()))?
        .map_err(|error| AuthError::Hashing(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_mismatches_are_false() {
        let hasher = PasswordHasher::new(4);
        let hash = hasher.hash("Test123!").await.unwrap();
        assert!(hash.starts_with("$2b$04$"), "{hash}");
        assert!(hasher.verify("Test123!", &hash).await.unwrap());
        assert!(!hasher.verify("Test123?", &hash).await.unwrap());
        assert!(
            !hasher
                .verify("Test123!", "not a bcrypt hash")
                .await
                .unwrap()
        );
        hasher.verify_dummy("anything").await.unwrap();
        assert!(hasher.dummy_hash.get().unwrap().starts_with("$2b$04$"));
    }
}
