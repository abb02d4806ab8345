//! PostgreSQL: the store for several `confab` processes sharing one database.
//!
//! Saves are version-checked like SQLite's (a row lock serializes writers of one context),
//! and each save sends a NOTIFY with the context's id and new version in the same
//! transaction, so other processes hear of exactly the committed changes. The leases and
//! notices live in [`coordination`].

mod coordination;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use confab_core::{Changes, ChatContext, ContextId, Status, Timestamp, UserId};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use self::coordination::PgCoordination;
use crate::records::{unique_violation, ContextRecord, MessageRecord, SummaryRecord, UserRecord};
use crate::{
    search, ContextSummary, Conversations, Coordinated, Coordination, Credentials, Health, Notice, SaveStats, Search,
    SearchHit, Session, StoreError, User, UserStore,
};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const CONTEXT_COLUMNS: &str = "id, owner, title, title_is_manual, status, version, created_at, updated_at, \
                               active_branch, branches, last_error, recent_actions";
const MESSAGE_COLUMNS: &str = "id, context_id, position, parent_id, role, content, created_at, complete, \
                               tool_calls, tool_call_id, client_action_id, stop_reason, stream_seq";

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    coordination: Arc<PgCoordination>,
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
        let coordination = Arc::new(PgCoordination::new(pool.clone()));
        Ok(PgStore { pool, coordination })
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
}

#[async_trait]
impl Conversations for PgStore {
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
        self.coordination
            .notify_in(&mut tx, &Notice::Saved { context: changes.row.id, version: changes.row.version })
            .await?;
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
            self.coordination.notify_in(&mut tx, &Notice::Deleted { context: id }).await?;
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
}

#[async_trait]
impl Health for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        // A write, rolled back: a server that is up but read-only (a standby, a full disk
        // in some setups) cannot take saves either.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL statement_timeout = 2000").execute(&mut *tx).await?;
        sqlx::query("CREATE TEMPORARY TABLE confab_ping (x INT) ON COMMIT DROP").execute(&mut *tx).await?;
        tx.rollback().await?;
        Ok(())
    }
}

#[async_trait]
impl Search for PgStore {
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
}

impl Coordinated for PgStore {
    fn coordination(&self) -> Arc<dyn Coordination> {
        self.coordination.clone()
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
