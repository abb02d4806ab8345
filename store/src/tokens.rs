//! Personal API tokens (the `api_tokens` table): named, stored as a hash only, optionally
//! expiring, revocable, with the time each was last used.

use async_trait::async_trait;
use confab_core::{Timestamp, UserId};
use uuid::Uuid;

use crate::{StoreError, User};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// Part of every [`crate::UserStore`].
#[async_trait]
pub trait ApiTokens: Send + Sync + 'static {
    /// Stores a token by the hash of its secret.
    async fn create_api_token(&self, token: &ApiToken, token_hash: &str) -> Result<(), StoreError>;

    /// A user's tokens, newest first.
    async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError>;

    /// Deletes one of `user`'s tokens; its hash when there was one (for caches to forget it).
    async fn delete_api_token(&self, user: UserId, id: Uuid) -> Result<Option<String>, StoreError>;

    /// The user of an unexpired token, marking it used at `now` (at most once a minute, so a
    /// busy client does not write on every request).
    async fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError>;
}
