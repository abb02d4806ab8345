//! Uploaded files (the `blobs` and `attachments` tables).
//!
//! A blob is the bytes, stored once per owner and content (their SHA-256) and never shared
//! across owners, so nobody can learn what someone else uploaded. An attachment is one use of
//! a blob: a name, and the conversation it was sent in (none until it is sent). Deleting a
//! conversation deletes its attachments, and a blob no attachment uses any more goes with
//! them; uploads never sent are swept after a while.

use async_trait::async_trait;
use confab_core::{Attachment, ContextId, Timestamp, UserId};
use uuid::Uuid;

use crate::StoreError;

/// An attachment as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAttachment {
    pub attachment: Attachment,
    pub owner: UserId,
    /// The hex SHA-256 of the bytes: the blob it uses.
    pub sha256: String,
    /// The conversation it was sent in; `None` while it is only uploaded.
    pub context_id: Option<ContextId>,
    pub created_at: Timestamp,
}

/// The bytes of an upload and what was made of them.
#[derive(Debug, Clone, Copy)]
pub struct NewBlob<'a> {
    pub sha256: &'a str,
    pub media_type: &'a str,
    pub data: &'a [u8],
    /// What a model reads of a text file or a PDF.
    pub text: Option<&'a str>,
    pub prompt_tokens: u32,
}

/// Part of every [`crate::ContextStore`].
#[async_trait]
pub trait Attachments: Send + Sync + 'static {
    /// Stores an upload: its blob, unless the owner has these bytes already, and the
    /// attachment (`stored.attachment`'s media type, size and tokens come from `blob`).
    async fn add_attachment(&self, stored: &StoredAttachment, blob: &NewBlob<'_>) -> Result<(), StoreError>;

    /// One of `owner`'s attachments; `None` for anyone else's.
    async fn attachment(&self, owner: UserId, id: Uuid) -> Result<Option<StoredAttachment>, StoreError>;

    /// The bytes of one of `owner`'s attachments.
    async fn attachment_data(&self, owner: UserId, id: Uuid) -> Result<Option<Vec<u8>>, StoreError>;

    /// What a model reads of one of `owner`'s attachments (`None` for an image, a scanned
    /// PDF, or an attachment that is not there).
    async fn attachment_text(&self, owner: UserId, id: Uuid) -> Result<Option<String>, StoreError>;

    /// The bytes `owner`'s blobs take, each counted once.
    async fn bytes_used(&self, owner: UserId) -> Result<u64, StoreError>;

    /// Puts `owner`'s attachments `ids` to use in `context`, in that order. One not yet sent
    /// is bound to it; one sent in `context` already stays; one sent in another conversation
    /// is copied (a new id, the same blob), so deleting either conversation leaves the other
    /// whole. `None` when an id is not one of `owner`'s attachments: then nothing changed.
    async fn use_attachments(
        &self,
        owner: UserId,
        ids: &[Uuid],
        context: ContextId,
    ) -> Result<Option<Vec<StoredAttachment>>, StoreError>;

    /// Deletes the attachments never sent that were uploaded before `unsent_before`, and
    /// every blob no attachment uses. Returns how many attachments went.
    async fn sweep_attachments(&self, unsent_before: Timestamp) -> Result<u64, StoreError>;
}
