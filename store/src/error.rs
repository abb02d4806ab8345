use sqlx::error::{DatabaseError, ErrorKind};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The context changed since it was read (another writer saved first), or a context
    /// with this id exists already.
    #[error("the context was changed by another writer")]
    Conflict,
    /// The stored data cannot be turned back into a context.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database refused the data itself: a character it cannot hold (PostgreSQL's text
    /// takes no NUL), a value too long, a broken constraint. Trying again will not help, and
    /// the database is fine: this is not an outage. Holds the database's own words.
    #[error("the database refused the data: {0}")]
    Rejected(String),
    /// The database cannot be reached or refused the operation (locked, full, down).
    #[error("storage unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error("cannot open the database: {0}")]
    Config(String),
}

impl From<sqlx::Error> for StoreError {
    /// Errors caused by the data become [`StoreError::Rejected`]; everything else (no
    /// connection, pool timeout, locked, read-only, disk full) is [`StoreError::Unavailable`].
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if caused_by_data(db.as_ref()) => StoreError::Rejected(db.message().to_string()),
            _ => StoreError::Unavailable(error),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Config(format!("migrations failed: {error}"))
    }
}

/// Whether the database refused an operation because of the values it was given.
fn caused_by_data(db: &dyn DatabaseError) -> bool {
    if matches!(
        db.kind(),
        ErrorKind::UniqueViolation
            | ErrorKind::ForeignKeyViolation
            | ErrorKind::NotNullViolation
            | ErrorKind::CheckViolation
    ) {
        return true;
    }
    let Some(code) = db.code() else { return false };
    if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() {
        postgres_data_error(&code)
    } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        code.parse().is_ok_and(sqlite_data_error)
    } else {
        false
    }
}

/// PostgreSQL SQLSTATEs caused by the data: class 22 (data exception: 22021 "invalid byte
/// sequence for encoding", which is how a NUL is refused, 22P05 "unsupported Unicode escape
/// sequence", 22001 "value too long"), class 23 (integrity constraint violation) and class 54
/// (program limit exceeded: "string is too long for tsvector", an index row too large).
/// Connection failures (08), lack of resources (53), operator intervention (57), a read-only
/// transaction (25006) and serialization failures (40) are outages or transient.
fn postgres_data_error(sqlstate: &str) -> bool {
    ["22", "23", "54"].iter().any(|class| sqlstate.starts_with(class))
}

/// SQLite result codes (extended; the primary code is the low byte) caused by the data:
/// SQLITE_TOOBIG (18), SQLITE_CONSTRAINT (19) and SQLITE_MISMATCH (20). Busy (5), locked
/// (6), read-only (8), I/O errors (10) and a full disk (13) are outages.
fn sqlite_data_error(extended_code: i32) -> bool {
    matches!(extended_code & 0xff, 18..=20)
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePoolOptions;
    use sqlx::Executor;

    use super::*;

    #[test]
    fn sqlstates_caused_by_data_are_told_from_outages() {
        for data in ["22021", "22P05", "22001", "23505", "23503", "54000"] {
            assert!(postgres_data_error(data), "{data}");
        }
        for outage in ["08006", "53100", "57P01", "25006", "40001", "42P01"] {
            assert!(!postgres_data_error(outage), "{outage}");
        }
        // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_CHECK, SQLITE_TOOBIG, SQLITE_MISMATCH
        for data in [2067, 275, 18, 20] {
            assert!(sqlite_data_error(data), "{data}");
        }
        // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR_WRITE, SQLITE_FULL
        for outage in [5, 6, 8, 778, 13] {
            assert!(!sqlite_data_error(outage), "{outage}");
        }
    }

    #[tokio::test]
    async fn a_constraint_the_data_breaks_is_a_rejection_not_an_outage() {
        let pool = SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        pool.execute("CREATE TABLE t (name TEXT NOT NULL CHECK (length(name) < 4) UNIQUE)").await.unwrap();
        pool.execute("INSERT INTO t VALUES ('abc')").await.unwrap();
        for statement in
            ["INSERT INTO t VALUES ('abcdef')", "INSERT INTO t VALUES (NULL)", "INSERT INTO t VALUES ('abc')"]
        {
            let error = StoreError::from(pool.execute(statement).await.unwrap_err());
            assert!(matches!(error, StoreError::Rejected(_)), "{statement}: {error:?}");
        }
        let missing = StoreError::from(pool.execute("SELECT * FROM nowhere").await.unwrap_err());
        assert!(matches!(missing, StoreError::Unavailable(_)), "{missing:?}");
        pool.close().await;
        let closed = StoreError::from(pool.execute("SELECT 1").await.unwrap_err());
        assert!(matches!(closed, StoreError::Unavailable(_)), "{closed:?}");
    }
}
