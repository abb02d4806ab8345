//! What an import remembers: which conversation came from which source, so that importing
//! the same conversation again is recognized (the `imported_sources` table).

use async_trait::async_trait;
use confab_core::{ContextId, UserId};

use crate::StoreError;

/// Part of every [`crate::ContextStore`].
#[async_trait]
pub trait ImportSources: Send + Sync + 'static {
    /// The conversation of `owner` imported from `source` (such as `chatgpt:<their id>`), if
    /// `owner` still has one.
    async fn imported_from(&self, owner: UserId, source: &str) -> Result<Option<ContextId>, StoreError>;

    /// Remembers that `context` was imported from `source`. Returns false, and changes
    /// nothing, when `owner` already has a conversation imported from `source`. The record
    /// goes when its conversation is deleted.
    async fn record_import(&self, owner: UserId, source: &str, context: ContextId) -> Result<bool, StoreError>;
}
