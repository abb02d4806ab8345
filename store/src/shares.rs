//! Read-only share links: a snapshot of a conversation as it was when shared, found by the
//! random token in its link (the `shares` table).

use async_trait::async_trait;
use confab_core::{ContextId, Timestamp, UserId};
use uuid::Uuid;

use crate::StoreError;

/// A share link, without its snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareLink {
    /// Time-ordered (UUIDv7), so that links made in the same millisecond still list in the
    /// order they were made.
    pub id: Uuid,
    /// The secret part of the link: whoever has it may read the snapshot.
    pub token: String,
    pub context_id: ContextId,
    pub owner: UserId,
    pub created_at: Timestamp,
    /// `None`: until revoked.
    pub expires_at: Option<Timestamp>,
}

/// Part of every [`crate::ContextStore`].
#[async_trait]
pub trait Shares: Send + Sync + 'static {
    /// Stores a new link with what it shows (opaque to the store). The conversation must
    /// exist; the link goes when it is deleted.
    async fn create_share(&self, link: &ShareLink, snapshot: &str) -> Result<(), StoreError>;

    /// The link with this token and its snapshot, expired or not (the caller decides).
    async fn share_by_token(&self, token: &str) -> Result<Option<(ShareLink, String)>, StoreError>;

    /// The links of one of `owner`'s conversations, newest first.
    async fn shares_of(&self, owner: UserId, context: ContextId) -> Result<Vec<ShareLink>, StoreError>;

    /// Deletes one of `owner`'s links: it stops working at once. Returns whether `owner`
    /// had it.
    async fn delete_share(&self, owner: UserId, id: Uuid) -> Result<bool, StoreError>;
}
