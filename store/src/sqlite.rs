//! The embedded default: SQLite in WAL mode.
//!
//! Durability: `synchronous = NORMAL` in WAL mode, so a committed save survives a crash or a
//! SIGKILL of the server (only a power cut or an OS crash can lose the last commits).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use confab_core::{Changes, ChatContext, ContextId, Status, Timestamp, UserId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::dialect::{self, CredentialsRow, NewSession, NewUser};
use crate::group_commit::{self, SaveJob};
use crate::records::{self, unique_violation, ContextRecord, MessageRecord, SummaryRecord};
use crate::shares::ShareLink;
use crate::{
    search, ContextSummary, Conversations, Coordinated, Coordination, Credentials, Health, Preferences, SaveStats,
    Search, SearchHit, Session, Solo, StoreError, User, UserPreferences, UserStore,
};

/// How long a save waits for another writer (another process, a backup) to let go.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a health check waits for the same.
const PING_BUSY_TIMEOUT: Duration = Duration::from_millis(500);

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Reads share a pool; writes go through a pool of one connection. SQLite lets one writer in
/// at a time anyway, and a writer that finds the lock taken sleeps in growing steps (up to
/// 100 ms) before it tries again: queueing our own writers instead keeps a save at the cost
/// of its own statements when many contexts save at once, and saves that queue together
/// are committed together ([`crate::group_commit`]).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: SqlitePool,
    /// Saves go to the group committer ([`crate::group_commit`]), which owns their writing.
    saves: mpsc::UnboundedSender<SaveJob>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url`, such as `sqlite://data/confab.db`,
    /// and runs the migrations. The folder of the file is created too.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::Config(format!("bad SQLite URL {url:?}: it must start with sqlite:")));
        }
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Each connection would see a database of its own, and nothing would be kept.
            return Err(StoreError::Config(format!("{url:?} is in memory: Confab needs a database file")));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("bad SQLite URL {url:?}: {e}")))?;
        Self::open_with(options).await
    }

    pub async fn open_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        if let Some(folder) = options.get_filename().parent() {
            if !folder.as_os_str().is_empty() {
                std::fs::create_dir_all(folder)
                    .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", folder.display())))?;
            }
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // A connection to a local file does not go stale: no round trip to test it each time.
        let pool_options = || SqlitePoolOptions::new().acquire_timeout(BUSY_TIMEOUT).test_before_acquire(false);
        let writer = pool_options().max_connections(1).connect_with(options.clone()).await?;
        MIGRATIONS.run(&writer).await?;
        let pool = pool_options().max_connections(8).connect_with(options).await?;
        let saves = group_commit::start(writer.clone());
        Ok(SqliteStore { pool, writer, saves })
    }

    pub(crate) async fn write_row(tx: &mut Transaction<'_, Sqlite>, record: &ContextRecord) -> Result<u64, StoreError> {
        let result = dialect::write_context(record).query::<Sqlite>().execute(&mut **tx).await?;
        dialect::row_written(result.rows_affected())
    }

    pub(crate) async fn write_message(
        tx: &mut Transaction<'_, Sqlite>,
        record: &MessageRecord,
    ) -> Result<u64, StoreError> {
        let result = dialect::write_message(record).query::<Sqlite>().execute(&mut **tx).await?;
        Ok(result.rows_affected())
    }
}

#[async_trait]
impl Conversations for SqliteStore {
    async fn save(&self, changes: &Changes<'_>) -> Result<SaveStats, StoreError> {
        let row = ContextRecord::from_row(&changes.row);
        let messages =
            changes.messages.iter().map(|&(position, message)| MessageRecord::from_message(&row.id, position, message));
        let messages = messages.collect();
        let (done, result) = oneshot::channel();
        let closed = || StoreError::Config("the database's writer has stopped".into());
        self.saves.send(SaveJob { row, messages, done }).map_err(|_| closed())?;
        result.await.map_err(|_| closed())?
    }

    async fn load(&self, id: ContextId) -> Result<Option<ChatContext>, StoreError> {
        let id = id.to_string();
        let mut conn = self.pool.acquire().await?;
        let row = dialect::select_context(&id).query_as::<Sqlite, ContextRecord>().fetch_optional(&mut *conn).await?;
        let Some(row) = row else { return Ok(None) };
        let messages = dialect::select_messages(&id).query_as::<Sqlite, MessageRecord>().fetch_all(&mut *conn).await?;
        records::into_context(row, messages).map(Some)
    }

    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError> {
        let id = id.to_string();
        let version: Option<i64> =
            dialect::version_of(&id).query_scalar::<Sqlite, _>().fetch_optional(&self.pool).await?;
        Ok(version.map(|v| v as u64))
    }

    async fn delete(&self, id: ContextId) -> Result<bool, StoreError> {
        let id = id.to_string();
        let mut tx = self.writer.begin().await?;
        let owner: Option<String> = dialect::attachments::owner_of_context(&id)
            .query_scalar::<Sqlite, String>()
            .fetch_optional(&mut *tx)
            .await?;
        let result = dialect::delete_context(&id).query::<Sqlite>().execute(&mut *tx).await?;
        // Its attachments went with it (the foreign key); the blobs no one uses now go too.
        if let Some(owner) = owner {
            dialect::attachments::sweep_owner_blobs(&owner).query::<Sqlite>().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(result.rows_affected() > 0)
    }

    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError> {
        let owner = owner.to_string();
        let found = dialect::list(&owner).query_as::<Sqlite, SummaryRecord>().fetch_all(&self.pool).await?;
        found.into_iter().map(SummaryRecord::into_summary).collect()
    }

    /// No other process shares the database, so no lease is ever taken: every context with
    /// one of `statuses` is unleased (whoever worked on it was a process that is gone).
    async fn unleased_with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError> {
        let mut ids = Vec::new();
        for status in statuses {
            let found: Vec<String> = sqlx::query_scalar("SELECT id FROM contexts WHERE status = ?")
                .bind(status.as_str())
                .fetch_all(&self.pool)
                .await?;
            for id in found {
                ids.push(records::parse_uuid(&id)?);
            }
        }
        Ok(ids)
    }
}

#[async_trait]
impl Health for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        // Taking the write lock is what a save needs first; reading alone would pass while
        // another process holds the database locked or the file cannot be written. A health
        // check waits for the lock for less time than a save does.
        let mut conn = self.pool.acquire().await?;
        let probe = async {
            sqlx::query(&format!("PRAGMA busy_timeout = {}", PING_BUSY_TIMEOUT.as_millis()))
                .execute(&mut *conn)
                .await?;
            let result = async {
                sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
                sqlx::query("ROLLBACK").execute(&mut *conn).await
            }
            .await;
            let restored =
                sqlx::query(&format!("PRAGMA busy_timeout = {}", BUSY_TIMEOUT.as_millis())).execute(&mut *conn).await;
            result.and(restored)
        }
        .await;
        if probe.is_err() {
            // Never hand a connection in an unknown state back to the pool.
            drop(conn.detach());
        }
        probe?;
        Ok(())
    }
}

#[async_trait]
impl Search for SqliteStore {
    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let Some(query) = search::fts5_query(&search::query_terms(query)) else { return Ok(Vec::new()) };
        let limit = limit as i64;
        let titles: Vec<search::TitleRow> = sqlx::query_as(
            "SELECT c.id, c.title, snippet(contexts_fts, 0, char(2), char(3), '…', 12) \
             FROM contexts_fts JOIN contexts c ON c.rowid = contexts_fts.rowid \
             WHERE contexts_fts MATCH ? AND c.owner = ? ORDER BY bm25(contexts_fts) LIMIT ?",
        )
        .bind(&query)
        .bind(owner.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let messages: Vec<search::MessageRow> = sqlx::query_as(
            "SELECT c.id, c.title, m.id, snippet(messages_fts, 0, char(2), char(3), '…', 16) \
             FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid \
             JOIN contexts c ON c.id = m.context_id \
             WHERE messages_fts MATCH ? AND c.owner = ? ORDER BY bm25(messages_fts) LIMIT ?",
        )
        .bind(&query)
        .bind(owner.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        search::hits(titles, messages, limit as usize)
    }
}

impl Coordinated for SqliteStore {
    /// Nobody else uses this database: no one to take turns with, tell or hear.
    fn coordination(&self) -> Arc<dyn Coordination> {
        Solo::handle()
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<User, StoreError> {
        let new = NewUser::new(user, password_hash);
        let statement = new.insert();
        let admin = statement.query_scalar::<Sqlite, bool>().fetch_one(&self.writer).await.map_err(unique_violation)?;
        Ok(User { admin, ..user.clone() })
    }

    async fn create_first_user(&self, user: &User, password_hash: &str) -> Result<Option<User>, StoreError> {
        // One writer at a time: two racing first registrations cannot both find no user.
        let new = NewUser::new(user, password_hash);
        let statement = new.insert_first();
        let admin =
            statement.query_scalar::<Sqlite, bool>().fetch_optional(&self.writer).await.map_err(unique_violation)?;
        Ok(admin.map(|admin| User { admin, ..user.clone() }))
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let row =
            dialect::credentials(username).query_as::<Sqlite, CredentialsRow>().fetch_optional(&self.pool).await?;
        row.map(dialect::into_credentials).transpose()
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        let count: i64 = dialect::user_count().query_scalar::<Sqlite, _>().fetch_one(&self.pool).await?;
        Ok(count as u64)
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        NewSession::new(session).insert().query::<Sqlite>().execute(&self.writer).await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        let now = now.timestamp_millis();
        let statement = dialect::session_user(token_hash, now);
        let row = statement.query_as::<Sqlite, dialect::SessionUserRow>().fetch_optional(&self.pool).await?;
        let Some((record, last_used)) = row.map(dialect::session_user_record) else { return Ok(None) };
        for touch in dialect::touch_session(token_hash, &record.id, last_used, now).into_iter().flatten() {
            touch.query::<Sqlite>().execute(&self.writer).await?;
        }
        record.into_user().map(Some)
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        dialect::delete_session(token_hash).query::<Sqlite>().execute(&self.writer).await?;
        Ok(())
    }

    async fn set_password(&self, user: UserId, password_hash: &str, keep: &str) -> Result<bool, StoreError> {
        let user = user.to_string();
        let mut tx = self.writer.begin().await?;
        let updated = dialect::set_password(&user, password_hash).query::<Sqlite>().execute(&mut *tx).await?;
        dialect::delete_other_sessions(&user, keep).query::<Sqlite>().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(updated.rows_affected() > 0)
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        let statement = dialect::delete_expired_sessions(now.timestamp_millis());
        Ok(statement.query::<Sqlite>().execute(&self.writer).await?.rows_affected())
    }
}

#[async_trait]
impl Preferences for SqliteStore {
    async fn preferences(&self, user: UserId) -> Result<(UserPreferences, u64), StoreError> {
        let user = user.to_string();
        let statement = dialect::preferences::select(&user);
        let row =
            statement.query_as::<Sqlite, dialect::preferences::PreferencesRow>().fetch_optional(&self.pool).await?;
        dialect::preferences::from_row(row)
    }

    async fn put_preferences(
        &self,
        user: UserId,
        preferences: &UserPreferences,
        expected: u64,
    ) -> Result<(), StoreError> {
        let (user, doc) = (user.to_string(), dialect::preferences::to_doc(preferences));
        let result = dialect::preferences::put(&user, &doc, expected).query::<Sqlite>().execute(&self.writer).await?;
        dialect::row_written(result.rows_affected()).map(|_| ())
    }
}

#[async_trait]
impl crate::ImportSources for SqliteStore {
    async fn imported_from(&self, owner: UserId, source: &str) -> Result<Option<ContextId>, StoreError> {
        let owner = owner.to_string();
        let statement = dialect::imports::imported_from(&owner, source);
        let id: Option<String> = statement.query_scalar::<Sqlite, _>().fetch_optional(&self.pool).await?;
        id.as_deref().map(crate::records::parse_uuid).transpose()
    }

    async fn record_import(&self, owner: UserId, source: &str, context: ContextId) -> Result<bool, StoreError> {
        let (owner, context) = (owner.to_string(), context.to_string());
        let statement = dialect::imports::record(&owner, source, &context);
        Ok(statement.query::<Sqlite>().execute(&self.writer).await?.rows_affected() > 0)
    }
}

#[async_trait]
impl crate::Shares for SqliteStore {
    async fn create_share(&self, link: &ShareLink, snapshot: &str) -> Result<(), StoreError> {
        let text = dialect::shares::LinkText::of(link);
        dialect::shares::insert(link, &text, snapshot).query::<Sqlite>().execute(&self.writer).await?;
        Ok(())
    }

    async fn share_by_token(&self, token: &str) -> Result<Option<(ShareLink, String)>, StoreError> {
        let statement = dialect::shares::by_token(token);
        let row = statement.query_as::<Sqlite, dialect::shares::ShareRow>().fetch_optional(&self.pool).await?;
        row.map(dialect::shares::from_row).transpose()
    }

    async fn shares_of(&self, owner: UserId, context: ContextId) -> Result<Vec<ShareLink>, StoreError> {
        let (owner, context) = (owner.to_string(), context.to_string());
        let statement = dialect::shares::of_context(&owner, &context);
        let rows = statement.query_as::<Sqlite, dialect::shares::ShareRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(|row| dialect::shares::from_row(row).map(|(link, _)| link)).collect()
    }

    async fn delete_share(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        let (owner, id) = (owner.to_string(), id.to_string());
        let statement = dialect::shares::delete(&owner, &id);
        Ok(statement.query::<Sqlite>().execute(&self.writer).await?.rows_affected() > 0)
    }
}

#[async_trait]
impl crate::Folders for SqliteStore {
    async fn folders(&self, owner: UserId) -> Result<Vec<crate::Folder>, StoreError> {
        let owner = owner.to_string();
        let statement = dialect::folders::of_owner(&owner);
        let rows = statement.query_as::<Sqlite, dialect::folders::FolderRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(dialect::folders::from_row).collect()
    }

    async fn create_folder(&self, folder: &crate::Folder) -> Result<(), StoreError> {
        let text = dialect::folders::FolderText::of(folder);
        let statement = dialect::folders::insert(folder, &text);
        statement.query::<Sqlite>().execute(&self.writer).await.map_err(crate::records::unique_violation)?;
        Ok(())
    }

    async fn rename_folder(&self, owner: UserId, id: uuid::Uuid, name: &str) -> Result<bool, StoreError> {
        let (owner, id) = (owner.to_string(), id.to_string());
        let statement = dialect::folders::rename(&owner, &id, name);
        Ok(statement.query::<Sqlite>().execute(&self.writer).await?.rows_affected() > 0)
    }

    async fn delete_folder(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        let (owner, id) = (owner.to_string(), id.to_string());
        let statement = dialect::folders::delete(&owner, &id);
        Ok(statement.query::<Sqlite>().execute(&self.writer).await?.rows_affected() > 0)
    }
}

dialect::attachments::attachments_impl!(SqliteStore, Sqlite, writer, pool);
dialect::admin::accounts_impl!(SqliteStore, Sqlite, writer, pool, None::<&str>, FTS_OPTIMIZE);

/// Merges the full-text indexes' segments, which drops the words of deleted rows for good.
const FTS_OPTIMIZE: [&str; 2] = [
    "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')",
    "INSERT INTO contexts_fts (contexts_fts) VALUES ('optimize')",
];
dialect::tokens::tokens_impl!(SqliteStore, Sqlite, writer, pool);
