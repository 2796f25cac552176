//! bcrypt hashing, always on the blocking pool so it never stalls an async worker.

use crate::auth::error::AuthError;

/// Hashes and verifies passwords with bcrypt at a fixed cost.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    cost: u32,
    /// A hash of a random secret at the same cost: verifying against it when the account does
    /// not exist makes "unknown e-mail" take as long as "wrong password".
    dummy_hash: String,
}

impl PasswordHasher {
    /// Builds a hasher with `cost` (4..=31; 12 in production) and computes its dummy hash.
    pub async fn new(cost: u32) -> Result<Self, AuthError> {
        let secret = crate::auth::tokens::random_token();
        let dummy_hash = hash_blocking(secret, cost).await?;
        Ok(Self { cost, dummy_hash })
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
        self.verify(password, &self.dummy_hash).await.map(|_| ())
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
        let hasher = PasswordHasher::new(4).await.unwrap();
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
    }
}
