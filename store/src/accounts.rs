//! Running the accounts: the administrators' view of every user (disable, promote, the
//! registration mode, invites) and each person's own (their sessions, deleting the account).
//! The rules that must hold however many processes race (never the last administrator) are
//! kept here, inside the store's transactions.

use async_trait::async_trait;
use confab_core::{ContextId, Timestamp, UserId};

use crate::{StoreError, User};

/// A user as the administrators' list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub user: User,
    pub disabled: bool,
    pub last_seen_at: Option<Timestamp>,
    pub conversations: u64,
    /// The bytes of the files they keep.
    pub storage_bytes: u64,
}

/// One of a person's sessions, as they see it in their list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The first 32 hex digits of the token's hash: names the session, proves nothing.
    pub id: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub user_agent: String,
}

/// How long a [`SessionInfo::id`] is.
pub const SESSION_ID_LEN: usize = 32;

/// What an administrator changes on an account; `None` leaves it as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountChange {
    pub disabled: Option<bool>,
    pub admin: Option<bool>,
}

/// The answer to a change that must leave an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    Done(T),
    NotFound,
    /// It would leave the server without an enabled administrator while other accounts
    /// exist: nothing was changed.
    LastAdmin,
}

/// A single-use invite, stored by the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub token_hash: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Part of every [`crate::UserStore`].
#[async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// Every user, oldest first, with what they keep.
    async fn users(&self) -> Result<Vec<UserSummary>, StoreError>;

    /// Disables, enables, promotes or demotes an account. Disabling ends its sessions (its
    /// tokens are refused while it stays disabled). Refused when no enabled administrator
    /// would be left.
    async fn change_account(&self, user: UserId, change: AccountChange) -> Result<Outcome<User>, StoreError>;

    /// A user's unexpired sessions, the most recently used first.
    async fn sessions(&self, user: UserId, now: Timestamp) -> Result<Vec<SessionInfo>, StoreError>;

    /// Ends one of `user`'s sessions by its [`SessionInfo::id`]; the token hash it had.
    async fn end_session(&self, user: UserId, id: &str) -> Result<Option<String>, StoreError>;

    /// A setting the administrators change at run time.
    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError>;

    async fn put_setting(&self, name: &str, value: &str) -> Result<(), StoreError>;

    async fn create_invite(&self, invite: &Invite) -> Result<(), StoreError>;

    /// Creates `user` with an invite, using it up, in one transaction. `Ok(None)` when the
    /// invite is unknown, used or expired (and nobody was created).
    async fn create_invited_user(
        &self,
        user: &User,
        password_hash: &str,
        invite_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError>;

    /// The account linked to a single sign-on identity.
    async fn identity_user(&self, issuer: &str, subject: &str) -> Result<Option<crate::Credentials>, StoreError>;

    /// Creates `user` without a password, linked to a single sign-on identity, in one
    /// transaction; the first account ever is an administrator. [`StoreError::Conflict`] when
    /// the name (or the identity) is taken.
    async fn create_identity_user(&self, user: &User, issuer: &str, subject: &str) -> Result<User, StoreError>;

    /// Deletes an account and everything it owns (conversations, messages, files, shares,
    /// folders, preferences, sessions, tokens, invites), in one transaction. Answers the
    /// conversations that went, for the caches that hold them.
    async fn delete_account(&self, user: UserId) -> Result<Outcome<Vec<ContextId>>, StoreError>;
}
