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
    /// The database cannot be reached or refused the operation (locked, full, down).
    #[error("storage unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    #[error("cannot open the database: {0}")]
    Config(String),
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Config(format!("migrations failed: {error}"))
    }
}
