//! Leases and notices: real ones for a store several processes share, [`crate::Solo`] for
//! one nobody shares.

use std::time::Duration;

use chrono::Utc;
use confab_core::{Event, Status};

use super::{conversation, new_context, save};
use crate::{ContextStore, Notice};

pub async fn busy_contexts_under_a_live_lease_are_not_found(store: &dyn ContextStore) {
    let coordination = store.coordination();
    let mut working = new_context();
    working.apply(Event::SendMessage { attachments: Vec::new(), content: "go".into() }, Utc::now()).unwrap();
    save(store, &mut working).await;
    let busy = [Status::Processing, Status::Streaming];
    assert!(store.unleased_with_status(&busy).await.unwrap().contains(&working.id()), "nobody works on it");

    assert!(coordination.acquire_lease(working.id(), "process-1", Duration::from_secs(60)).await.unwrap());
    let found = store.unleased_with_status(&busy).await.unwrap();
    assert!(!found.contains(&working.id()), "a live process works on it");
    coordination.release_lease(working.id(), "process-1").await.unwrap();
    assert!(store.unleased_with_status(&busy).await.unwrap().contains(&working.id()));
}

pub async fn a_lease_has_one_holder_until_it_is_released_or_expires(store: &dyn ContextStore) {
    let store_coordination = store.coordination();
    let leases = &*store_coordination;
    let ctx = conversation(store, 2).await;
    let id = ctx.id();
    let minute = Duration::from_secs(60);
    assert!(leases.acquire_lease(id, "one", minute).await.unwrap());
    assert!(leases.acquire_lease(id, "one", minute).await.unwrap(), "the holder renews");
    assert!(!leases.acquire_lease(id, "two", minute).await.unwrap(), "one holder at a time");
    assert!(leases.leased_elsewhere(id, "two").await.unwrap());
    assert!(!leases.leased_elsewhere(id, "one").await.unwrap(), "not elsewhere for its holder");
    leases.release_lease(id, "two").await.unwrap();
    assert!(!leases.acquire_lease(id, "two", minute).await.unwrap(), "only the holder can give it back");

    leases.release_lease(id, "one").await.unwrap();
    assert!(leases.acquire_lease(id, "two", Duration::from_millis(50)).await.unwrap());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!leases.leased_elsewhere(id, "one").await.unwrap(), "an unrenewed lease expires");
    assert!(leases.acquire_lease(id, "one", minute).await.unwrap(), "and someone else may take it");
    leases.release_lease(id, "one").await.unwrap();
    assert!(!leases.leased_elsewhere(id, "two").await.unwrap());
}

pub async fn a_store_nobody_shares_grants_every_lease_and_hears_nothing(store: &dyn ContextStore) {
    let store_coordination = store.coordination();
    let leases = &*store_coordination;
    let mut working = new_context();
    working.apply(Event::SendMessage { attachments: Vec::new(), content: "go".into() }, Utc::now()).unwrap();
    save(store, &mut working).await;
    let id = working.id();
    let minute = Duration::from_secs(60);
    assert!(leases.acquire_lease(id, "one", minute).await.unwrap());
    assert!(leases.acquire_lease(id, "two", minute).await.unwrap(), "there is no one else to wait for");
    assert!(!leases.leased_elsewhere(id, "one").await.unwrap());
    assert!(!leases.leased_elsewhere(id, "two").await.unwrap());
    leases.release_lease(id, "one").await.unwrap();
    // No lease is written: whatever has a busy status is work of a process that is gone.
    let busy = store.unleased_with_status(&[Status::Processing]).await.unwrap();
    assert!(busy.contains(&id));
    leases.announce(Notice::Deleted { context: id });
    assert!(leases.notices().is_none(), "nobody else to hear from");
    assert_eq!(store.load(id).await.unwrap().unwrap().version(), working.version(), "a notice changes nothing");
}
