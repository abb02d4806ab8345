//! Data PostgreSQL cannot hold is a rejection, not an outage: `text` takes no NUL, and the
//! error that gives (SQLSTATE 22021) is [`StoreError::Rejected`], while the store stays fine.
//! SQLite holds NUL, which is why the server refuses it from clients on both backends alike.
//! Run through `scripts/with-postgres.sh` (the test command does); PostgreSQL is skipped
//! without a cluster.

use chrono::Utc;
use confab_core::{ChatContext, Event};
use confab_store::{Conversations, Health, PgStore, SqliteStore, StoreError, User, UserStore};

fn context_with(title: &str, message: &str) -> ChatContext {
    let mut ctx = ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), Some(title.into()), Utc::now());
    ctx.apply(Event::SendMessage { attachments: Vec::new(), content: message.into() }, Utc::now()).unwrap();
    ctx
}

#[tokio::test]
async fn nul_is_refused_by_postgresql_as_data_and_the_store_goes_on() {
    let Some(url) = confab_store::testsuite::postgres_database().await else { return };
    let store = PgStore::open(&url).await.unwrap();
    for ctx in [context_with("a\0title", "fine"), context_with("fine", "a\0message")] {
        let error = store.save(&ctx.changes()).await.unwrap_err();
        let StoreError::Rejected(reason) = &error else { panic!("not a rejection: {error:?}") };
        assert!(reason.contains("0x00"), "the database's own words: {reason}");
        assert!(store.load(ctx.id()).await.unwrap().is_none(), "nothing half-written");
    }
    let user = User { id: uuid::Uuid::new_v4(), username: "nul\0user".into(), created_at: Utc::now(), admin: false };
    let error = store.create_user(&user, "hash").await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error:?}");
    let error = store.credentials("nul\0user").await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "a lookup too: {error:?}");

    store.ping().await.unwrap();
    let mut fine = context_with("fine", "fine");
    store.save(&fine.changes()).await.unwrap();
    fine.mark_saved();
    assert!(store.load(fine.id()).await.unwrap().is_some());
}

#[tokio::test]
async fn sqlite_holds_nul() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&format!("sqlite://{}/c.db", dir.path().display())).await.unwrap();
    let ctx = context_with("a\0title", "a\0message");
    store.save(&ctx.changes()).await.unwrap();
    let loaded = store.load(ctx.id()).await.unwrap().unwrap();
    assert_eq!((loaded.title(), loaded.active_path()[0].content.as_str()), ("a\0title", "a\0message"));
}
