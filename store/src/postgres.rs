//! PostgreSQL: the store for several `confab` processes sharing one database.
//!
//! Saves are version-checked like SQLite's (a row lock serializes writers of one context),
//! and each save sends a NOTIFY with the context's id and new version in the same
//! transaction, so other processes hear of exactly the committed changes. Streamed text is
//! announced outside transactions, by a background task, so a generation never waits for it.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use confab_core::{Changes, ChatContext, ContextId, Status, Timestamp, UserId};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::mpsc;

use crate::coordination::{Envelope, CHANNEL};
use crate::records::{unique_violation, ContextRecord, MessageRecord, SummaryRecord, UserRecord};
use crate::{
    search, ContextStore, ContextSummary, Credentials, Notice, SaveStats, SearchHit, Session, StoreError, User,
    UserStore,
};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How many notices may wait to be sent or to be handled before new ones are dropped.
const NOTICE_QUEUE: usize = 4096;

const CONTEXT_COLUMNS: &str = "id, owner, title, title_is_manual, status, version, created_at, updated_at, \
                               active_branch, branches, last_error, recent_actions";
const MESSAGE_COLUMNS: &str = "id, context_id, position, parent_id, role, content, created_at, complete, \
                               tool_calls, tool_call_id, client_action_id, stop_reason, stream_seq";

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Names this process in its notices, so it can ignore its own.
    origin: Arc<str>,
    outgoing: mpsc::Sender<String>,
    /// The announcer's end of the queue, until the first `announce` starts it.
    outgoing_rx: Arc<Mutex<Option<mpsc::Receiver<String>>>>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and runs the
    /// migrations (several processes starting at once take turns).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?
            .application_name("confab");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        MIGRATIONS.run(&pool).await?;
        let (outgoing, outgoing_rx) = mpsc::channel(NOTICE_QUEUE);
        let origin = format!("{:016x}", uuid::Uuid::new_v4().as_u128() as u64).into();
        Ok(PgStore { pool, origin, outgoing, outgoing_rx: Arc::new(Mutex::new(Some(outgoing_rx))) })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn write_row(tx: &mut Transaction<'_, Postgres>, record: &ContextRecord) -> Result<u64, StoreError> {
        let result = if record.version == 1 {
            sqlx::query(
                "INSERT INTO contexts (id, owner, title, title_is_manual, status, version, created_at, \
                 updated_at, active_branch, branches, last_error, recent_actions) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING",
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
            // The row lock this takes makes a concurrent writer of the same version wait,
            // then find the version moved on: exactly one of them wins.
            sqlx::query(
                "UPDATE contexts SET title = $1, title_is_manual = $2, status = $3, version = $4, \
                 updated_at = $5, active_branch = $6, branches = $7, last_error = $8, recent_actions = $9 \
                 WHERE id = $10 AND version = $11",
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

    async fn write_message(tx: &mut Transaction<'_, Postgres>, record: &MessageRecord) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "INSERT INTO messages (id, context_id, position, parent_id, role, content, created_at, \
             complete, tool_calls, tool_call_id, client_action_id, stop_reason, stream_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, complete = EXCLUDED.complete, \
             tool_calls = EXCLUDED.tool_calls, client_action_id = EXCLUDED.client_action_id, \
             stop_reason = EXCLUDED.stop_reason, stream_seq = EXCLUDED.stream_seq \
             WHERE messages.context_id = EXCLUDED.context_id",
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

    /// Sends a notice inside `tx`: PostgreSQL delivers it when, and only if, `tx` commits.
    async fn notify_in(&self, tx: &mut Transaction<'_, Postgres>, notice: &Notice) -> Result<(), StoreError> {
        if let Some(payload) = Envelope::payload(&self.origin, notice) {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Sends announced notices one after another, off the caller's path.
    fn start_announcer(&self) {
        let Some(mut queue) = self.outgoing_rx.lock().expect("announcer lock").take() else { return };
        let pool = self.pool.clone();
        tokio::spawn(async move {
            while let Some(payload) = queue.recv().await {
                let sent = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(&pool).await;
                if let Err(error) = sent {
                    tracing::debug!(%error, "could not announce a notice");
                }
            }
        });
    }
}

/// Listens on the channel and hands other processes' notices to `sink`. When the connection
/// is lost, the listener reconnects and says [`Notice::Resync`]: what was sent meanwhile is
/// gone, so the server checks whatever it holds.
async fn listen(pool: PgPool, origin: Arc<str>, sink: mpsc::Sender<Notice>) {
    let mut listener = loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => break listener,
                Err(error) => tracing::warn!(%error, "cannot listen for other processes' changes"),
            },
            Err(error) => tracing::warn!(%error, "cannot connect to listen for other processes' changes"),
        }
        if sink.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    loop {
        let notice = match listener.try_recv().await {
            Ok(Some(notification)) => match serde_json::from_str::<Envelope>(notification.payload()) {
                Ok(envelope) if *envelope.origin == *origin => continue,
                Ok(envelope) => envelope.notice,
                Err(error) => {
                    tracing::warn!(%error, "ignoring a notice that is not Confab's");
                    continue;
                }
            },
            // The connection was lost; the next `try_recv` reconnects and listens again.
            Ok(None) => {
                tracing::warn!("lost the connection that listens for other processes' changes; reconnecting");
                Notice::Resync
            }
            Err(error) => {
                tracing::warn!(%error, "listening for other processes' changes failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if sink.send(notice).await.is_err() {
            return;
        }
    }
}

#[async_trait]
impl ContextStore for PgStore {
    async fn save(&self, changes: &Changes<'_>) -> Result<SaveStats, StoreError> {
        let row = ContextRecord::from_row(&changes.row);
        let mut stats = SaveStats { rows_written: 0, bytes_written: row.byte_len() };
        let mut tx = self.pool.begin().await?;
        stats.rows_written += Self::write_row(&mut tx, &row).await?;
        for &(position, message) in &changes.messages {
            let record = MessageRecord::from_message(&row.id, position, message);
            stats.bytes_written += record.byte_len();
            stats.rows_written += Self::write_message(&mut tx, &record).await?;
        }
        self.notify_in(&mut tx, &Notice::Saved { context: changes.row.id, version: changes.row.version }).await?;
        tx.commit().await?;
        Ok(stats)
    }

    async fn load(&self, id: ContextId) -> Result<Option<ChatContext>, StoreError> {
        let id = id.to_string();
        // One snapshot for the row and its messages, so a concurrent save cannot tear them.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let Some(row) =
            sqlx::query_as::<_, ContextRecord>(&format!("SELECT {CONTEXT_COLUMNS} FROM contexts WHERE id = $1"))
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(None);
        };
        let messages = sqlx::query_as::<_, MessageRecord>(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE context_id = $1 ORDER BY position"
        ))
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let messages = messages.into_iter().map(MessageRecord::into_message).collect::<Result<_, _>>()?;
        let context = ChatContext::from_parts(row.into_row()?, messages)
            .ok_or_else(|| StoreError::Corrupt(format!("context {id} does not form a valid tree")))?;
        Ok(Some(context))
    }

    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError> {
        let version: Option<i64> = sqlx::query_scalar("SELECT version FROM contexts WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(version.map(|v| v as u64))
    }

    async fn delete(&self, id: ContextId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query("DELETE FROM contexts WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        let existed = result.rows_affected() > 0;
        if existed {
            self.notify_in(&mut tx, &Notice::Deleted { context: id }).await?;
        }
        tx.commit().await?;
        Ok(existed)
    }

    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError> {
        sqlx::query_as::<_, SummaryRecord>(
            "SELECT id, title, status, version, created_at, updated_at FROM contexts \
             WHERE owner = $1 ORDER BY updated_at DESC, id",
        )
        .bind(owner.to_string())
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(SummaryRecord::into_summary)
        .collect()
    }

    async fn unleased_with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError> {
        let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        let found: Vec<String> = sqlx::query_scalar(
            "SELECT c.id FROM contexts c LEFT JOIN context_leases l \
             ON l.context_id = c.id AND l.expires_at > now() \
             WHERE c.status = ANY($1) AND l.context_id IS NULL",
        )
        .bind(&statuses)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(|id| crate::records::parse_uuid(id)).collect()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        // A write, rolled back: a server that is up but read-only (a standby, a full disk
        // in some setups) cannot take saves either.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL statement_timeout = 2000").execute(&mut *tx).await?;
        sqlx::query("CREATE TEMPORARY TABLE confab_ping (x INT) ON COMMIT DROP").execute(&mut *tx).await?;
        tx.rollback().await?;
        Ok(())
    }

    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let Some(query) = search::tsquery(&search::query_terms(query)) else { return Ok(Vec::new()) };
        let limit = limit as i64;
        let options = "StartSel=\u{2}, StopSel=\u{3}, MaxWords=24, MinWords=8, ShortWord=1, HighlightAll=false";
        // Titles first: a conversation named after the words is the likeliest thing wanted.
        let titles: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT c.id, c.title, ts_headline('simple', c.title, q, $3) \
             FROM contexts c, to_tsquery('simple', $1) q \
             WHERE c.title_tsv @@ q AND c.owner = $2 ORDER BY ts_rank(c.title_tsv, q) DESC LIMIT $4",
        )
        .bind(&query)
        .bind(owner.to_string())
        .bind(options)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let messages: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT c.id, c.title, m.id, ts_headline('simple', m.content, q, $3) \
             FROM messages m JOIN contexts c ON c.id = m.context_id, to_tsquery('simple', $1) q \
             WHERE m.content_tsv @@ q AND c.owner = $2 ORDER BY ts_rank(m.content_tsv, q) DESC LIMIT $4",
        )
        .bind(&query)
        .bind(owner.to_string())
        .bind(options)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut hits = Vec::new();
        for (id, title, snippet) in titles {
            hits.push(SearchHit {
                context_id: crate::records::parse_uuid(&id)?,
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
        true
    }

    async fn acquire_lease(&self, id: ContextId, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO context_leases (context_id, holder, expires_at) \
             VALUES ($1, $2, now() + make_interval(secs => $3)) \
             ON CONFLICT (context_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
             WHERE context_leases.holder = EXCLUDED.holder OR context_leases.expires_at <= now()",
        )
        .bind(id.to_string())
        .bind(holder)
        .bind(ttl.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn release_lease(&self, id: ContextId, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM context_leases WHERE context_id = $1 AND holder = $2")
            .bind(id.to_string())
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn leased_elsewhere(&self, id: ContextId, holder: &str) -> Result<bool, StoreError> {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM context_leases WHERE context_id = $1 AND holder <> $2 AND expires_at > now()",
        )
        .bind(id.to_string())
        .bind(holder)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    async fn clear_leases(&self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM context_leases").execute(&self.pool).await?;
        Ok(())
    }

    fn announce(&self, notice: Notice) {
        self.start_announcer();
        match Envelope::payload(&self.origin, &notice) {
            Some(payload) => {
                if self.outgoing.try_send(payload).is_err() {
                    tracing::debug!("the notice queue is full; a notice was dropped");
                }
            }
            None => tracing::debug!("a notice too large to send was dropped"),
        }
    }

    fn notices(&self) -> Option<mpsc::Receiver<Notice>> {
        let (sink, notices) = mpsc::channel(NOTICE_QUEUE);
        tokio::spawn(listen(self.pool.clone(), self.origin.clone(), sink));
        Some(notices)
    }
}

#[async_trait]
impl UserStore for PgStore {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(user.id.to_string())
            .bind(&user.username)
            .bind(password_hash)
            .bind(user.created_at.timestamp_millis())
            .execute(&self.pool)
            .await
            .map_err(unique_violation)?;
        Ok(())
    }

    async fn create_first_user(&self, user: &User, password_hash: &str) -> Result<bool, StoreError> {
        // Two processes racing to create the first account: the lock makes one wait for the
        // other, which then sees a user and creates nothing.
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let result = sqlx::query(
            "INSERT INTO users (id, username, password_hash, created_at) \
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(user.id.to_string())
        .bind(&user.username)
        .bind(password_hash)
        .bind(user.created_at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(unique_violation)?;
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let row: Option<(String, String, i64, String)> = sqlx::query_as(
            "SELECT id, username, created_at, password_hash FROM users WHERE lower(username) = lower($1)",
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
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&session.token_hash)
            .bind(session.user_id.to_string())
            .bind(session.created_at.timestamp_millis())
            .bind(session.expires_at.timestamp_millis())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        sqlx::query_as::<_, UserRecord>(
            "SELECT users.id, users.username, users.created_at FROM sessions \
             JOIN users ON users.id = sessions.user_id \
             WHERE sessions.token_hash = $1 AND sessions.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.timestamp_millis())
        .fetch_optional(&self.pool)
        .await?
        .map(UserRecord::into_user)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.timestamp_millis())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }
}

#[async_trait]
impl crate::ImportSources for PgStore {
    async fn imported_from(&self, owner: UserId, source: &str) -> Result<Option<ContextId>, StoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT context_id FROM imported_sources WHERE owner = $1 AND source = $2")
                .bind(owner.to_string())
                .bind(source)
                .fetch_optional(&self.pool)
                .await?;
        id.as_deref().map(crate::records::parse_uuid).transpose()
    }

    async fn record_import(&self, owner: UserId, source: &str, context: ContextId) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO imported_sources (owner, source, context_id) VALUES ($1, $2, $3) \
             ON CONFLICT (owner, source) DO NOTHING",
        )
        .bind(owner.to_string())
        .bind(source)
        .bind(context.to_string())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() > 0)
    }
}
