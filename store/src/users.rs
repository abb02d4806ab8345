//! Accounts and sessions: what signing up, in and out needs. Running the accounts (roles,
//! listing sessions, invites, deletion) is [`crate::Accounts`].

use async_trait::async_trait;
use confab_core::{Timestamp, UserId};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub created_at: Timestamp,
    /// Runs the server: manages the accounts and registration, never reads anyone's chats.
    pub admin: bool,
}

/// A user with the hash to check a password against.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    /// An administrator turned the account off: no sign-in, no session, no token.
    pub disabled: bool,
}

#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 of the token, hex: the token itself is never stored.
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The `User-Agent` it signed in with (shortened), so a person can tell sessions apart.
    pub user_agent: String,
}

#[async_trait]
/// Accounts, their sessions and their personal API tokens ([`crate::ApiTokens`]).
pub trait UserStore: crate::ApiTokens + crate::Accounts + Send + Sync + 'static {
    /// Creates a user, and answers it as stored: the first account ever is an administrator
    /// whatever `user.admin` says. [`StoreError::Conflict`] when the name is taken
    /// (case-insensitively).
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<User, StoreError>;

    /// Creates a user only if there is none yet (it is then an administrator): the first
    /// account may always register, and two racing first registrations must not both win.
    async fn create_first_user(&self, user: &User, password_hash: &str) -> Result<Option<User>, StoreError>;

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError>;

    async fn user_count(&self) -> Result<u64, StoreError>;

    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The user of an unexpired session of an account that is not disabled, marking the
    /// session used and the user seen at `now` (at most once a minute).
    async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError>;

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Sets a user's password hash and ends every session of theirs but `keep` (a token
    /// hash), in one transaction. Returns whether the user exists.
    async fn set_password(&self, user: UserId, password_hash: &str, keep: &str) -> Result<bool, StoreError>;

    /// Removes expired sessions; returns how many.
    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError>;
}
