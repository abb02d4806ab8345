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
use sqlx::{PgPool, Postgres};

use self::coordination::PgCoordination;
use crate::dialect::{self, CredentialsRow, NewSession, NewUser};
use crate::records::{self, unique_violation, ContextRecord, MessageRecord, SummaryRecord};
use crate::shares::ShareLink;
use crate::{
    search, ContextSummary, Conversations, Coordinated, Coordination, Credentials, Health, Notice, Preferences,
    SaveStats, Search, SearchHit, Session, StoreError, User, UserPreferences, UserStore,
};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

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
}

#[async_trait]
impl Conversations for PgStore {
    async fn save(&self, changes: &Changes<'_>) -> Result<SaveStats, StoreError> {
        let row = ContextRecord::from_row(&changes.row);
        let mut stats = SaveStats { rows_written: 0, bytes_written: row.byte_len() };
        let mut tx = self.pool.begin().await?;
        let written = dialect::write_context(&row).query::<Postgres>().execute(&mut *tx).await?;
        stats.rows_written += dialect::row_written(written.rows_affected())?;
        for &(position, message) in &changes.messages {
            let record = MessageRecord::from_message(&row.id, position, message);
            stats.bytes_written += record.byte_len();
            let written = dialect::write_message(&record).query::<Postgres>().execute(&mut *tx).await?;
            stats.rows_written += written.rows_affected();
        }
        let notice = Notice::Saved { context: changes.row.id, version: changes.row.version };
        self.coordination.notify_in(&mut tx, &notice).await?;
        tx.commit().await?;
        Ok(stats)
    }

    async fn load(&self, id: ContextId) -> Result<Option<ChatContext>, StoreError> {
        let id = id.to_string();
        // One snapshot for the row and its messages, so a concurrent save cannot tear them.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let row = dialect::select_context(&id).query_as::<Postgres, ContextRecord>().fetch_optional(&mut *tx).await?;
        let Some(row) = row else { return Ok(None) };
        let messages = dialect::select_messages(&id).query_as::<Postgres, MessageRecord>().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        records::into_context(row, messages).map(Some)
    }

    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError> {
        let id = id.to_string();
        let version: Option<i64> =
            dialect::version_of(&id).query_scalar::<Postgres, _>().fetch_optional(&self.pool).await?;
        Ok(version.map(|v| v as u64))
    }

    async fn delete(&self, id: ContextId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let key = id.to_string();
        let owner: Option<String> = dialect::attachments::owner_of_context(&key)
            .query_scalar::<Postgres, String>()
            .fetch_optional(&mut *tx)
            .await?;
        let result = dialect::delete_context(&key).query::<Postgres>().execute(&mut *tx).await?;
        let existed = result.rows_affected() > 0;
        if existed {
            self.coordination.notify_in(&mut tx, &Notice::Deleted { context: id }).await?;
        }
        tx.commit().await?;
        if let Some(owner) = owner {
            // Apart from the delete: a failure here (an upload of the same bytes racing it)
            // leaves a blob for the next sweep, never a conversation half deleted.
            let swept = dialect::attachments::sweep_owner_blobs(&owner).query::<Postgres>().execute(&self.pool).await;
            if let Err(error) = swept {
                tracing::warn!(%error, "could not delete the files of a deleted conversation; the next sweep will");
            }
        }
        Ok(existed)
    }

    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError> {
        let owner = owner.to_string();
        let found = dialect::list(&owner).query_as::<Postgres, SummaryRecord>().fetch_all(&self.pool).await?;
        found.into_iter().map(SummaryRecord::into_summary).collect()
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
        found.iter().map(|id| records::parse_uuid(id)).collect()
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
        let options = "StartSel=\u{2}, StopSel=\u{3}, MaxWords=24, MinWords=8, ShortWord=1, HighlightAll=false";
        let titles: Vec<search::TitleRow> = sqlx::query_as(
            "SELECT c.id, c.title, ts_headline('simple', c.title, q, $3) \
             FROM contexts c, to_tsquery('simple', $1) q \
             WHERE c.title_tsv @@ q AND c.owner = $2 ORDER BY ts_rank(c.title_tsv, q) DESC LIMIT $4",
        )
        .bind(&query)
        .bind(owner.to_string())
        .bind(options)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let messages: Vec<search::MessageRow> = sqlx::query_as(
            "SELECT c.id, c.title, m.id, ts_headline('simple', m.content, q, $3) \
             FROM messages m JOIN contexts c ON c.id = m.context_id, to_tsquery('simple', $1) q \
             WHERE m.content_tsv @@ q AND c.owner = $2 ORDER BY ts_rank(m.content_tsv, q) DESC LIMIT $4",
        )
        .bind(&query)
        .bind(owner.to_string())
        .bind(options)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        search::hits(titles, messages, limit)
    }
}

impl Coordinated for PgStore {
    fn coordination(&self) -> Arc<dyn Coordination> {
        self.coordination.clone()
    }
}

#[async_trait]
impl UserStore for PgStore {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<User, StoreError> {
        let new = NewUser::new(user, password_hash);
        let statement = new.insert();
        let admin = statement.query_scalar::<Postgres, bool>().fetch_one(&self.pool).await.map_err(unique_violation)?;
        Ok(User { admin, ..user.clone() })
    }

    async fn create_first_user(&self, user: &User, password_hash: &str) -> Result<Option<User>, StoreError> {
        // Two processes racing to create the first account: the lock makes one wait for the
        // other, which then sees a user and creates nothing.
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let new = NewUser::new(user, password_hash);
        let statement = new.insert_first();
        let admin =
            statement.query_scalar::<Postgres, bool>().fetch_optional(&mut *tx).await.map_err(unique_violation)?;
        tx.commit().await?;
        Ok(admin.map(|admin| User { admin, ..user.clone() }))
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let row =
            dialect::credentials(username).query_as::<Postgres, CredentialsRow>().fetch_optional(&self.pool).await?;
        row.map(dialect::into_credentials).transpose()
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        let count: i64 = dialect::user_count().query_scalar::<Postgres, _>().fetch_one(&self.pool).await?;
        Ok(count as u64)
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        NewSession::new(session).insert().query::<Postgres>().execute(&self.pool).await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        let now = now.timestamp_millis();
        let statement = dialect::session_user(token_hash, now);
        let row = statement.query_as::<Postgres, dialect::SessionUserRow>().fetch_optional(&self.pool).await?;
        let Some((record, last_used)) = row.map(dialect::session_user_record) else { return Ok(None) };
        for touch in dialect::touch_session(token_hash, &record.id, last_used, now).into_iter().flatten() {
            touch.query::<Postgres>().execute(&self.pool).await?;
        }
        record.into_user().map(Some)
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        dialect::delete_session(token_hash).query::<Postgres>().execute(&self.pool).await?;
        Ok(())
    }

    async fn set_password(&self, user: UserId, password_hash: &str, keep: &str) -> Result<bool, StoreError> {
        let user = user.to_string();
        let mut tx = self.pool.begin().await?;
        let updated = dialect::set_password(&user, password_hash).query::<Postgres>().execute(&mut *tx).await?;
        dialect::delete_other_sessions(&user, keep).query::<Postgres>().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(updated.rows_affected() > 0)
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        let statement = dialect::delete_expired_sessions(now.timestamp_millis());
        Ok(statement.query::<Postgres>().execute(&self.pool).await?.rows_affected())
    }
}

#[async_trait]
impl Preferences for PgStore {
    async fn preferences(&self, user: UserId) -> Result<(UserPreferences, u64), StoreError> {
        let user = user.to_string();
        let statement = dialect::preferences::select(&user);
        let row =
            statement.query_as::<Postgres, dialect::preferences::PreferencesRow>().fetch_optional(&self.pool).await?;
        dialect::preferences::from_row(row)
    }

    async fn put_preferences(
        &self,
        user: UserId,
        preferences: &UserPreferences,
        expected: u64,
    ) -> Result<(), StoreError> {
        let (user, doc) = (user.to_string(), dialect::preferences::to_doc(preferences));
        let result = dialect::preferences::put(&user, &doc, expected).query::<Postgres>().execute(&self.pool).await?;
        dialect::row_written(result.rows_affected()).map(|_| ())
    }
}

#[async_trait]
impl crate::ImportSources for PgStore {
    async fn imported_from(&self, owner: UserId, source: &str) -> Result<Option<ContextId>, StoreError> {
        let owner = owner.to_string();
        let statement = dialect::imports::imported_from(&owner, source);
        let id: Option<String> = statement.query_scalar::<Postgres, _>().fetch_optional(&self.pool).await?;
        id.as_deref().map(crate::records::parse_uuid).transpose()
    }

    async fn record_import(&self, owner: UserId, source: &str, context: ContextId) -> Result<bool, StoreError> {
        let (owner, context) = (owner.to_string(), context.to_string());
        let statement = dialect::imports::record(&owner, source, &context);
        Ok(statement.query::<Postgres>().execute(&self.pool).await?.rows_affected() > 0)
    }
}

#[async_trait]
impl crate::Shares for PgStore {
    async fn create_share(&self, link: &ShareLink, snapshot: &str) -> Result<(), StoreError> {
        let text = dialect::shares::LinkText::of(link);
        dialect::shares::insert(link, &text, snapshot).query::<Postgres>().execute(&self.pool).await?;
        Ok(())
    }

    async fn share_by_token(&self, token: &str) -> Result<Option<(ShareLink, String)>, StoreError> {
        let statement = dialect::shares::by_token(token);
        let row = statement.query_as::<Postgres, dialect::shares::ShareRow>().fetch_optional(&self.pool).await?;
        row.map(dialect::shares::from_row).transpose()
    }

    async fn shares_of(&self, owner: UserId, context: ContextId) -> Result<Vec<ShareLink>, StoreError> {
        let (owner, context) = (owner.to_string(), context.to_string());
        let statement = dialect::shares::of_context(&owner, &context);
        let rows = statement.query_as::<Postgres, dialect::shares::ShareRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(|row| dialect::shares::from_row(row).map(|(link, _)| link)).collect()
    }

    async fn delete_share(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        let (owner, id) = (owner.to_string(), id.to_string());
        let statement = dialect::shares::delete(&owner, &id);
        Ok(statement.query::<Postgres>().execute(&self.pool).await?.rows_affected() > 0)
    }
}

#[async_trait]
impl crate::Folders for PgStore {
    async fn folders(&self, owner: UserId) -> Result<Vec<crate::Folder>, StoreError> {
        let owner = owner.to_string();
        let statement = dialect::folders::of_owner(&owner);
        let rows = statement.query_as::<Postgres, dialect::folders::FolderRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(dialect::folders::from_row).collect()
    }

    async fn create_folder(&self, folder: &crate::Folder) -> Result<(), StoreError> {
        let text = dialect::folders::FolderText::of(folder);
        let statement = dialect::folders::insert(folder, &text);
        statement.query::<Postgres>().execute(&self.pool).await.map_err(crate::records::unique_violation)?;
        Ok(())
    }

    async fn rename_folder(&self, owner: UserId, id: uuid::Uuid, name: &str) -> Result<bool, StoreError> {
        let (owner, id) = (owner.to_string(), id.to_string());
        let statement = dialect::folders::rename(&owner, &id, name);
        Ok(statement.query::<Postgres>().execute(&self.pool).await?.rows_affected() > 0)
    }

    async fn delete_folder(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        let (owner, id) = (owner.to_string(), id.to_string());
        let statement = dialect::folders::delete(&owner, &id);
        Ok(statement.query::<Postgres>().execute(&self.pool).await?.rows_affected() > 0)
    }
}

dialect::attachments::attachments_impl!(PgStore, Postgres, pool, pool);
dialect::admin::accounts_impl!(
    PgStore,
    Postgres,
    pool,
    pool,
    Some("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"),
    [] as [&str; 0]
);
dialect::tokens::tokens_impl!(PgStore, Postgres, pool, pool);
