//! Where Confab keeps its chat contexts and accounts.
//!
//! [`ContextStore`] and [`UserStore`] are the interfaces the server uses; [`SqliteStore`] is
//! the embedded default. A save writes only what [`confab_core::Changes`] lists (the context row and the
//! new or changed messages) and checks the version it replaces, so a lost update is
//! impossible even with several writers.

mod error;
mod records;
pub mod search;
mod sqlite;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod users;

use async_trait::async_trait;
use confab_core::{Changes, ChatContext, ContextId, Status, Timestamp, UserId};

pub use error::StoreError;
pub use search::{SearchHit, SnippetPart};
pub use sqlite::SqliteStore;
pub use users::{Credentials, Session, User, UserStore};

/// One line of a context listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextSummary {
    pub id: ContextId,
    pub title: String,
    pub status: Status,
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What one save wrote: lets tests and benchmarks check that its cost follows the change,
/// not the length of the conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveStats {
    pub rows_written: u64,
    pub bytes_written: usize,
}

#[async_trait]
pub trait ContextStore: Send + Sync + 'static {
    /// Writes a context's changes in one transaction. The first save of a context (row
    /// version 1) creates it; any later one replaces exactly `row.version - 1` and fails
    /// with [`StoreError::Conflict`] when the stored version is another.
    async fn save(&self, changes: &Changes<'_>) -> Result<SaveStats, StoreError>;

    async fn load(&self, id: ContextId) -> Result<Option<ChatContext>, StoreError>;

    /// The stored version of a context: a cheap check that a cached copy is current.
    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError>;

    /// Deletes a context and its messages. Returns whether it existed.
    async fn delete(&self, id: ContextId) -> Result<bool, StoreError>;

    /// A user's contexts, most recently active first.
    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError>;

    /// Contexts stored with one of `statuses` (recovery after a restart looks for work that
    /// was running).
    async fn with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError>;

    /// Succeeds when the store can be written to now: reachable, not locked by another
    /// writer, not read-only. Health checks use it.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Full-text search over one user's message contents and titles, best matches first.
    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError>;
}
