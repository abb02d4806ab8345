//! The shared store suite on the in-memory store, and what only it does: fail on demand.

use chrono::Utc;
use confab_core::{ChatContext, Event};
use confab_store::{Conversations, Health, MemoryStore, Search, StoreError, UserStore};

async fn fresh_store() -> (MemoryStore, ()) {
    (MemoryStore::new(), ())
}

confab_store::store_suite!(fresh_store());
confab_store::solo_store_suite!(fresh_store());
confab_store::user_store_suite!(fresh_store());

#[tokio::test]
async fn an_unavailable_store_fails_every_call_and_loses_nothing() {
    let store = MemoryStore::new();
    let mut ctx = ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), None, Utc::now());
    ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "kept through the outage".into() }, Utc::now())
        .unwrap();
    store.save(&ctx.changes()).await.unwrap();
    ctx.mark_saved();

    store.set_unavailable(true);
    let unavailable = |result: Result<(), StoreError>| matches!(result, Err(StoreError::Unavailable(_)));
    assert!(unavailable(store.ping().await));
    assert!(unavailable(store.load(ctx.id()).await.map(drop)));
    assert!(unavailable(store.list(ctx.owner()).await.map(drop)));
    assert!(unavailable(store.search(ctx.owner(), "outage", 10).await.map(drop)));
    assert!(unavailable(store.user_count().await.map(drop)));
    ctx.apply(Event::ReplyFinished { cut_off: false }, Utc::now()).unwrap();
    assert!(unavailable(store.save(&ctx.changes()).await.map(drop)), "a save fails");

    store.set_unavailable(false);
    store.ping().await.unwrap();
    let loaded = store.load(ctx.id()).await.unwrap().expect("still there");
    assert_eq!(loaded.version(), 1, "the failed save wrote nothing");
    store.save(&ctx.changes()).await.unwrap();
    assert_eq!(store.version_of(ctx.id()).await.unwrap(), Some(2));
}

#[tokio::test]
async fn clones_share_their_data() {
    let store = MemoryStore::new();
    let ctx = ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), None, Utc::now());
    store.clone().save(&ctx.changes()).await.unwrap();
    assert_eq!(store.version_of(ctx.id()).await.unwrap(), Some(1));
    store.clone().set_unavailable(true);
    assert!(store.ping().await.is_err());
}
