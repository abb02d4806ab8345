//! Password hashing with Argon2id (RustCrypto's argon2, default parameters), off the async
//! threads since a hash takes tens of milliseconds on purpose.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::ApiError;

pub async fn hash(password: String) -> Result<String, ApiError> {
    blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))
    })
    .await?
}

/// Checks `password` against a stored hash. For an unknown user (`None`) it does the same
/// work against a throwaway hash and answers no, so timing does not tell which names exist.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    blocking(move || {
        let known = stored.is_some();
        let stored = match stored {
            Some(stored) => stored,
            None => Argon2::default()
                .hash_password(b"placeholder", &SaltString::generate(&mut OsRng))
                .map(|h| h.to_string())
                .unwrap_or_default(),
        };
        let Ok(parsed) = PasswordHash::new(&stored) else { return false };
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        known && matches
    })
    .await
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(format!("password work did not finish: {e}")))
}
