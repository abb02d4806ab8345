//! Where Confab keeps its chat contexts and accounts.
//!
//! [`ContextStore`] and [`UserStore`] are the interfaces the server uses; [`SqliteStore`] is
//! the embedded default and [`PgStore`] lets several server processes share one database.
//! A save writes only what [`confab_core::Changes`] lists (the context row and the new or
//! changed messages) and checks the version it replaces, so a lost update is impossible
//! even with several writers.

mod coordination;
mod error;
mod group_commit;
mod imports;
mod postgres;
mod records;
pub mod search;
mod sqlite;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod users;

use std::time::Duration;

use async_trait::async_trait;
use confab_core::{Changes, ChatContext, ContextId, Status, Timestamp, UserId};
use tokio::sync::mpsc;

pub use coordination::Notice;
pub use error::StoreError;
pub use imports::ImportSources;
pub use postgres::PgStore;
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
pub trait ContextStore: ImportSources + Send + Sync + 'static {
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

    /// Contexts stored with one of `statuses` that no live lease covers: work that was
    /// running in a process that is gone (recovery looks for it).
    async fn unleased_with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError>;

    /// Succeeds when the store can be written to now: reachable, not locked by another
    /// writer, not read-only. Health checks use it.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Full-text search over one user's message contents and titles, best matches first.
    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError>;

    // --- several processes on one database ----------------------------------------------

    /// Whether other server processes may share this store. One that no other process uses
    /// (SQLite) may forget every lease when its process starts: whoever held one is gone.
    fn is_shared(&self) -> bool;

    /// Claims, or renews, the right to run work on a context for `ttl`: one holder at a
    /// time. Returns whether `holder` has it now.
    async fn acquire_lease(&self, id: ContextId, holder: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Gives a lease back, if `holder` has it.
    async fn release_lease(&self, id: ContextId, holder: &str) -> Result<(), StoreError>;

    /// Whether someone other than `holder` has a live lease on the context.
    async fn leased_elsewhere(&self, id: ContextId, holder: &str) -> Result<bool, StoreError>;

    /// Forgets every lease.
    async fn clear_leases(&self) -> Result<(), StoreError>;

    /// Tells the other processes sharing the store, if there are any. Never waits: a notice
    /// that cannot be sent is dropped (its receivers notice the gap and re-read).
    fn announce(&self, notice: Notice);

    /// What the other processes sharing the store save and announce, from the first call
    /// on; `None` for a store no other process uses.
    fn notices(&self) -> Option<mpsc::Receiver<Notice>>;
}
