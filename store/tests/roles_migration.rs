//! On a database from before roles, the migration that brings them makes the oldest account
//! the administrator (and nobody else), on both SQL backends.

use std::path::{Path, PathBuf};

use confab_store::{Accounts, PgStore, SqliteStore};

/// A folder holding the migrations of `backend` from before roles (up to 0012).
fn migrations_before_roles(backend: &str, into: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let target = into.join(format!("{backend}-before-roles"));
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "0013" {
            std::fs::copy(entry.path(), target.join(name)).unwrap();
        }
    }
    target
}

const INSERT: &str = "INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, 'h', $3)";

/// Two accounts, the older one made second.
fn accounts() -> [(String, &'static str, i64); 2] {
    [(uuid::Uuid::new_v4().to_string(), "newer", 2_000), (uuid::Uuid::new_v4().to_string(), "oldest", 1_000)]
}

fn admins(users: Vec<confab_store::UserSummary>) -> Vec<(String, bool)> {
    users.into_iter().map(|s| (s.user.username, s.user.admin)).collect()
}

#[tokio::test]
async fn on_sqlite_the_oldest_account_becomes_the_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/old.db?mode=rwc", dir.path().display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let before = migrations_before_roles("sqlite", dir.path());
    sqlx::migrate::Migrator::new(before.as_path()).await.unwrap().run(&pool).await.unwrap();
    for (id, name, at) in accounts() {
        sqlx::query(INSERT).bind(id).bind(name).bind(at).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = SqliteStore::open(&url).await.unwrap();
    assert_eq!(admins(store.users().await.unwrap()), [("oldest".to_string(), true), ("newer".to_string(), false)]);
}

#[tokio::test]
async fn on_postgres_the_oldest_account_becomes_the_administrator() {
    let Some(url) = confab_store::testsuite::postgres_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let before = migrations_before_roles("postgres", dir.path());
    sqlx::migrate::Migrator::new(before.as_path()).await.unwrap().run(&pool).await.unwrap();
    for (id, name, at) in accounts() {
        sqlx::query(INSERT).bind(id).bind(name).bind(at).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = PgStore::open(&url).await.unwrap();
    assert_eq!(admins(store.users().await.unwrap()), [("oldest".to_string(), true), ("newer".to_string(), false)]);
}
