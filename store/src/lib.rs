//! Where Confab keeps its chat contexts and accounts.
//!
//! The interfaces are split by role: [`Conversations`] keeps contexts, [`Search`] finds
//! words in them, [`Health`] says whether the store can be written to, [`UserStore`] keeps
//! accounts and sessions, and [`Coordination`] (handed out by [`Coordinated`]) lets several
//! processes share one database. [`ContextStore`] is all of them but accounts, in one
//! object, for the chat service.
//!
//! [`SqliteStore`] is the embedded default, [`PgStore`] lets several server processes share
//! one database, and [`MemoryStore`] keeps everything in memory, for tests. A save writes
//! only what [`confab_core::Changes`] lists (the context row and the new or changed
//! messages) and checks the version it replaces, so a lost update is impossible even with
//! several writers.

mod accounts;
mod attachments;
mod coordination;
mod dialect;
mod error;
mod folders;
mod group_commit;
mod imports;
mod memory;
mod postgres;
mod preferences;
mod records;
pub mod search;
mod shares;
mod sqlite;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod tokens;
mod users;

use std::sync::Arc;

use async_trait::async_trait;
use confab_core::{Changes, ChatContext, ContextId, Place, Status, Timestamp, UserId};

pub use accounts::{AccountChange, Accounts, Invite, Outcome, SessionInfo, UserSummary, SESSION_ID_LEN};
pub use attachments::{Attachments, NewBlob, StoredAttachment};
pub use coordination::{Coordination, Notice, Solo};
pub use error::StoreError;
pub use folders::{Folder, Folders};
pub use imports::ImportSources;
pub use memory::MemoryStore;
pub use postgres::PgStore;
pub use preferences::{Preferences, Preset, UserPreferences};
pub use search::{SearchHit, SnippetPart};
pub use shares::{ShareLink, Shares};
pub use sqlite::SqliteStore;
pub use tokens::{ApiToken, ApiTokens};
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
    pub place: Place,
}

/// What one save wrote: lets tests and benchmarks check that its cost follows the change,
/// not the length of the conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveStats {
    pub rows_written: u64,
    pub bytes_written: usize,
}

/// Keeps chat contexts: their rows and message trees.
#[async_trait]
pub trait Conversations: Send + Sync + 'static {
    /// Writes a context's changes in one transaction. The first save of a context (row
    /// version 1) creates it; any later one replaces exactly `row.version - 1` and fails
    /// with [`StoreError::Conflict`] when the stored version is another.
    async fn save(&self, changes: &Changes<'_>) -> Result<SaveStats, StoreError>;

    async fn load(&self, id: ContextId) -> Result<Option<ChatContext>, StoreError>;

    /// The stored version of a context: a cheap check that a cached copy is current.
    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError>;

    /// Deletes a context and its messages. Returns whether it existed.
    async fn delete(&self, id: ContextId) -> Result<bool, StoreError>;

    /// A user's contexts, most recently active first; of two as recent, the later id first (new
    /// ids are time-ordered).
    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError>;

    /// Contexts stored with one of `statuses` that no live lease covers: work that was
    /// running in a process that is gone (recovery looks for it). A store no other process
    /// shares takes no leases, so there it is every context with one of `statuses`.
    async fn unleased_with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError>;
}

/// Finds words in the contexts of one user.
#[async_trait]
pub trait Search: Send + Sync + 'static {
    /// Search over one user's message contents and titles, best matches first: title hits,
    /// then message hits, at most `limit` in all.
    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError>;
}

/// Whether the store can take saves now.
#[async_trait]
pub trait Health: Send + Sync + 'static {
    /// Succeeds when the store can be written to now: reachable, not locked by another
    /// writer, not read-only. Health checks use it.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// A store's way to coordinate with the other processes that share it.
pub trait Coordinated: Send + Sync + 'static {
    /// The coordination of this store: its real one when several processes may share it
    /// ([`PgStore`]), [`Solo`] when none can (it grants every lease and has no notices).
    /// Every call hands out the same one.
    fn coordination(&self) -> Arc<dyn Coordination>;
}

/// Everything the chat service asks of the store it keeps contexts in, as one object:
/// implemented for every type that has all the roles.
pub trait ContextStore:
    Conversations + Search + Health + Coordinated + Preferences + ImportSources + Shares + Folders + Attachments
{
}

impl<
        T: Conversations + Search + Health + Coordinated + Preferences + ImportSources + Shares + Folders + Attachments,
    > ContextStore for T
{
}
