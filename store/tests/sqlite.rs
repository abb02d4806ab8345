//! The shared store suite on SQLite, each test on its own database file.

use confab_store::SqliteStore;

async fn fresh_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/confab.db", dir.path().display());
    (SqliteStore::open(&url).await.unwrap(), dir)
}

confab_store::store_suite!(fresh_store());
confab_store::solo_store_suite!(fresh_store());

#[tokio::test]
async fn opening_creates_the_folder_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/confab.db");
    SqliteStore::open(&format!("sqlite://{}", path.display())).await.unwrap();
    assert!(path.exists());
}

#[tokio::test]
async fn a_bad_url_is_a_clear_error() {
    let error = SqliteStore::open("postgres-ish:/nope").await.err().unwrap();
    assert!(error.to_string().contains("SQLite URL"), "{error}");
}

#[tokio::test]
async fn an_in_memory_database_is_refused_because_nothing_would_be_kept() {
    for url in ["sqlite::memory:", "sqlite://file:confab?mode=memory"] {
        let error = SqliteStore::open(url).await.err().unwrap();
        assert!(error.to_string().contains("needs a database file"), "{url}: {error}");
    }
}

confab_store::user_store_suite!(fresh_store());
