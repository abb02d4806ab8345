//! The embedded default: SQLite in WAL mode.
//!
//! Durability: `synchronous = NORMAL` in WAL mode, so a committed save survives a crash or a
//! SIGKILL of the server (only a power cut or an OS crash can lose the last commits).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use confab_core::{Changes, ChatContext, ContextId, Status, Timestamp, UserId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::group_commit::{self, SaveJob};
use crate::records::{unique_violation, ContextRecord, MessageRecord, SummaryRecord, UserRecord};
use crate::{
    search, ContextStore, ContextSummary, Credentials, Notice, SaveStats, SearchHit, Session, StoreError, User,
    UserStore,
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
        let result = if record.version == 1 {
            sqlx::query(
                "INSERT INTO contexts (id, owner, title, title_is_manual, status, version, created_at, \
                 updated_at, active_branch, branches, last_error, recent_actions) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&record.id)
            .bind(&record.owner)
            .bind(&record.title)
            .bind(record.title_is_manual)
            .bind(&record.status)
            .bind(record.version)
            .bind(record.created_at)
            .bind(record.updated_at)
            .bind(&record.active_branch)
            .bind(&record.branches)
            .bind(&record.last_error)
            .bind(&record.recent_actions)
            .execute(&mut **tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE contexts SET title = ?, title_is_manual = ?, status = ?, version = ?, \
                 updated_at = ?, active_branch = ?, branches = ?, last_error = ?, recent_actions = ? \
                 WHERE id = ? AND version = ?",
            )
            .bind(&record.title)
            .bind(record.title_is_manual)
            .bind(&record.status)
            .bind(record.version)
            .bind(record.updated_at)
            .bind(&record.active_branch)
            .bind(&record.branches)
            .bind(&record.last_error)
            .bind(&record.recent_actions)
            .bind(&record.id)
            .bind(record.version - 1)
            .execute(&mut **tx)
            .await?
        };
        match result.rows_affected() {
            0 => Err(StoreError::Conflict),
            n => Ok(n),
        }
    }

    pub(crate) async fn write_message(
        tx: &mut Transaction<'_, Sqlite>,
        record: &MessageRecord,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "INSERT INTO messages (id, context_id, position, parent_id, role, content, created_at, \
             complete, tool_calls, tool_call_id, client_action_id, stop_reason, stream_seq) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET content = excluded.content, complete = excluded.complete, \
             tool_calls = excluded.tool_calls, client_action_id = excluded.client_action_id, \
             stop_reason = excluded.stop_reason, stream_seq = excluded.stream_seq \
             WHERE messages.context_id = excluded.context_id",
        )
        .bind(&record.id)
        .bind(&record.context_id)
        .bind(record.position)
        .bind(&record.parent_id)
        .bind(&record.role)
        .bind(&record.content)
        .bind(record.created_at)
        .bind(record.complete)
        .bind(&record.tool_calls)
        .bind(&record.tool_call_id)
        .bind(&record.client_action_id)
        .bind(&record.stop_reason)
        .bind(record.stream_seq)
        .execute(&mut **tx)
        .await?;
        Ok(result.rows_affected())
    }
}

#[async_trait]
impl ContextStore for SqliteStore {
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
        let Some(row) = sqlx::query_as::<_, ContextRecord>("SELECT * FROM contexts WHERE id = ?")
            .bind(&id)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let messages =
            sqlx::query_as::<_, MessageRecord>("SELECT * FROM messages WHERE context_id = ? ORDER BY position")
                .bind(&id)
                .fetch_all(&mut *conn)
                .await?;
        let messages = messages.into_iter().map(MessageRecord::into_message).collect::<Result<_, _>>()?;
        let context = ChatContext::from_parts(row.into_row()?, messages)
            .ok_or_else(|| StoreError::Corrupt(format!("context {id} does not form a valid tree")))?;
        Ok(Some(context))
    }

    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError> {
        let version: Option<i64> = sqlx::query_scalar("SELECT version FROM contexts WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(version.map(|v| v as u64))
    }

    async fn delete(&self, id: ContextId) -> Result<bool, StoreError> {
        let result =
            sqlx::query("DELETE FROM contexts WHERE id = ?").bind(id.to_string()).execute(&self.writer).await?;
        Ok(result.rows_affected() > 0)
    }

    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError> {
        sqlx::query_as::<_, SummaryRecord>(
            "SELECT id, title, status, version, created_at, updated_at FROM contexts \
             WHERE owner = ? ORDER BY updated_at DESC, id",
        )
        .bind(owner.to_string())
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(SummaryRecord::into_summary)
        .collect()
    }

    async fn unleased_with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError> {
        let mut ids = Vec::new();
        let now = Utc::now().timestamp_millis();
        for status in statuses {
            let found: Vec<String> = sqlx::query_scalar(
                "SELECT c.id FROM contexts c LEFT JOIN context_leases l \
                 ON l.context_id = c.id AND l.expires_at > ? WHERE c.status = ? AND l.context_id IS NULL",
            )
            .bind(now)
            .bind(status.as_str())
            .fetch_all(&self.pool)
            .await?;
            for id in found {
                ids.push(crate::records::parse_uuid(&id)?);
            }
        }
        Ok(ids)
    }

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

    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let Some(query) = search::fts5_query(&search::query_terms(query)) else { return Ok(Vec::new()) };
        let limit = limit as i64;
        // Titles first: a conversation named after the words is the likeliest thing wanted.
        let titles: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT c.id, c.title, snippet(contexts_fts, 0, char(2), char(3), '…', 12) \
             FROM contexts_fts JOIN contexts c ON c.rowid = contexts_fts.rowid \
             WHERE contexts_fts MATCH ? AND c.owner = ? ORDER BY bm25(contexts_fts) LIMIT ?",
        )
        .bind(&query)
        .bind(owner.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let messages: Vec<(String, String, String, String)> = sqlx::query_as(
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
        let mut hits = Vec::new();
        for (id, title, snippet) in titles {
            let context_id = crate::records::parse_uuid(&id)?;
            hits.push(SearchHit {
                context_id,
                context_title: title,
                message_id: None,
                snippet: search::snippet_parts(&snippet),
            });
        }
        for (id, title, message_id, snippet) in messages {
            hits.push(SearchHit {
                context_id: crate::records::parse_uuid(&id)?,
                context_title: title,
                message_id: Some(crate::records::parse_uuid(&message_id)?),
                snippet: search::snippet_parts(&snippet),
            });
        }
        hits.truncate(limit as usize);
        Ok(hits)
    }

    fn is_shared(&self) -> bool {
        false
    }

    async fn acquire_lease(&self, id: ContextId, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        let now = Utc::now().timestamp_millis();
        let result = sqlx::query(
            "INSERT INTO context_leases (context_id, holder, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (context_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE context_leases.holder = excluded.holder OR context_leases.expires_at <= ?",
        )
        .bind(id.to_string())
        .bind(holder)
        .bind(now + ttl.as_millis() as i64)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn release_lease(&self, id: ContextId, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM context_leases WHERE context_id = ? AND holder = ?")
            .bind(id.to_string())
            .bind(holder)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn leased_elsewhere(&self, id: ContextId, holder: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM context_leases WHERE context_id = ? AND holder <> ? AND expires_at > ?")
                .bind(id.to_string())
                .bind(holder)
                .bind(Utc::now().timestamp_millis())
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    async fn clear_leases(&self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM context_leases").execute(&self.writer).await?;
        Ok(())
    }

    /// Nobody else uses this database: nothing to announce.
    fn announce(&self, _notice: Notice) {}

    fn notices(&self) -> Option<mpsc::Receiver<Notice>> {
        None
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)")
            .bind(user.id.to_string())
            .bind(&user.username)
            .bind(password_hash)
            .bind(user.created_at.timestamp_millis())
            .execute(&self.writer)
            .await
            .map_err(unique_violation)?;
        Ok(())
    }

    async fn create_first_user(&self, user: &User, password_hash: &str) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO users (id, username, password_hash, created_at) \
             SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(user.id.to_string())
        .bind(&user.username)
        .bind(password_hash)
        .bind(user.created_at.timestamp_millis())
        .execute(&self.writer)
        .await
        .map_err(unique_violation)?;
        Ok(result.rows_affected() == 1)
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let row: Option<(String, String, i64, String)> = sqlx::query_as(
            "SELECT id, username, created_at, password_hash FROM users WHERE lower(username) = lower(?)",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, username, created_at, password_hash)| {
            Ok(Credentials { user: UserRecord { id, username, created_at }.into_user()?, password_hash })
        })
        .transpose()
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?;
        Ok(count as u64)
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(&session.token_hash)
            .bind(session.user_id.to_string())
            .bind(session.created_at.timestamp_millis())
            .bind(session.expires_at.timestamp_millis())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        sqlx::query_as::<_, UserRecord>(
            "SELECT users.id, users.username, users.created_at FROM sessions \
             JOIN users ON users.id = sessions.user_id \
             WHERE sessions.token_hash = ? AND sessions.expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.timestamp_millis())
        .fetch_optional(&self.pool)
        .await?
        .map(UserRecord::into_user)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.writer).await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now.timestamp_millis())
            .execute(&self.writer)
            .await?;
        Ok(result.rows_affected())
    }
}

#[async_trait]
impl crate::ImportSources for SqliteStore {
    async fn imported_from(&self, owner: UserId, source: &str) -> Result<Option<ContextId>, StoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT context_id FROM imported_sources WHERE owner = ? AND source = ?")
                .bind(owner.to_string())
                .bind(source)
                .fetch_optional(&self.pool)
                .await?;
        id.as_deref().map(crate::records::parse_uuid).transpose()
    }

    async fn record_import(&self, owner: UserId, source: &str, context: ContextId) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO imported_sources (owner, source, context_id) VALUES (?, ?, ?) \
             ON CONFLICT (owner, source) DO NOTHING",
        )
        .bind(owner.to_string())
        .bind(source)
        .bind(context.to_string())
        .execute(&self.writer)
        .await?;
        Ok(result.rows_affected() > 0)
    }
}
