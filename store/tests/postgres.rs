//! The shared store suite on PostgreSQL, each test on a database of its own, and what only a
//! shared store does: tell other processes what changed. Run through
//! `scripts/with-postgres.sh` (the test command does); skipped without a cluster.

use std::time::Duration;

use confab_core::{ChatContext, Event};
use confab_store::{Conversations, Coordinated, Notice, PgStore};
use tokio::sync::mpsc;

async fn fresh_store() -> Option<(PgStore, ())> {
    let url = confab_store::testsuite::postgres_database().await?;
    Some((PgStore::open(&url).await.unwrap(), ()))
}

confab_store::store_suite!(maybe fresh_store());
confab_store::shared_store_suite!(maybe fresh_store());
confab_store::user_store_suite!(maybe fresh_store());

/// Two processes' stores on one database.
async fn two_processes() -> Option<(PgStore, PgStore)> {
    let url = confab_store::testsuite::postgres_database().await?;
    Some((PgStore::open(&url).await.unwrap(), PgStore::open(&url).await.unwrap()))
}

/// What `listening` sends to find out whether the listener listens.
fn probe() -> Notice {
    Notice::Deleted { context: uuid::Uuid::nil() }
}

/// The next notice other than a probe, failing the test after 5 s.
async fn next(notices: &mut mpsc::Receiver<Notice>) -> Notice {
    loop {
        let notice =
            tokio::time::timeout(Duration::from_secs(5), notices.recv()).await.expect("a notice within 5 s").unwrap();
        if notice != probe() {
            return notice;
        }
    }
}

/// Fails the test if any notice other than a probe comes within `wait`.
async fn assert_silent(notices: &mut mpsc::Receiver<Notice>, wait: Duration, why: &str) {
    if let Ok(notice) = tokio::time::timeout(wait, next(notices)).await {
        panic!("{why}, but heard {notice:?}");
    }
}

/// Waits until the listener is listening: an announced probe comes back (after the resync
/// a listener asks for once it listens).
async fn listening(from: &PgStore, notices: &mut mpsc::Receiver<Notice>) {
    for _ in 0..100 {
        from.coordination().announce(probe());
        while let Ok(Some(notice)) = tokio::time::timeout(Duration::from_millis(100), notices.recv()).await {
            if notice != Notice::Resync {
                assert_eq!(notice, probe());
                return;
            }
        }
    }
    panic!("the listener never started");
}

#[tokio::test]
async fn a_save_is_announced_to_the_other_process_with_its_version_only() {
    let Some((a, b)) = two_processes().await else { return };
    let mut heard_by_b = b.coordination().notices().unwrap();
    let mut heard_by_a = a.coordination().notices().unwrap();
    listening(&a, &mut heard_by_b).await;
    listening(&b, &mut heard_by_a).await;

    let mut ctx = ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), None, chrono::Utc::now());
    ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "hello from A".into() }, chrono::Utc::now())
        .unwrap();
    a.save(&ctx.changes()).await.unwrap();
    ctx.mark_saved();
    assert_eq!(next(&mut heard_by_b).await, Notice::Saved { context: ctx.id(), version: 1 });
    assert_silent(&mut heard_by_a, Duration::from_millis(300), "a process does not hear its own saves").await;

    let delta = Notice::Delta { context: ctx.id(), message: uuid::Uuid::new_v4(), seq: 1, text: "Hel".into() };
    a.coordination().announce(delta.clone());
    assert_eq!(next(&mut heard_by_b).await, delta);
    a.delete(ctx.id()).await.unwrap();
    assert_eq!(next(&mut heard_by_b).await, Notice::Deleted { context: ctx.id() });
}

#[tokio::test]
async fn a_failed_save_announces_nothing() {
    let Some((a, b)) = two_processes().await else { return };
    let mut heard_by_b = b.coordination().notices().unwrap();
    listening(&a, &mut heard_by_b).await;
    let ctx = ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), None, chrono::Utc::now());
    a.save(&ctx.changes()).await.unwrap();
    assert!(matches!(next(&mut heard_by_b).await, Notice::Saved { version: 1, .. }));
    assert!(a.save(&ctx.changes()).await.is_err(), "a second create conflicts");
    assert_silent(&mut heard_by_b, Duration::from_millis(300), "a failed save is not announced").await;
}

#[tokio::test]
async fn a_new_listener_asks_for_a_resync_for_what_was_saved_before_it_listened() {
    let Some((a, b)) = two_processes().await else { return };
    let ctx = ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), None, chrono::Utc::now());
    a.save(&ctx.changes()).await.unwrap();
    let mut heard_by_b = b.coordination().notices().unwrap();
    assert_eq!(next(&mut heard_by_b).await, Notice::Resync, "the save came before b listened");
    listening(&a, &mut heard_by_b).await;
}

#[tokio::test]
async fn a_lost_listener_reconnects_and_asks_for_a_resync() {
    let Some((a, b)) = two_processes().await else { return };
    let mut heard_by_b = b.coordination().notices().unwrap();
    listening(&a, &mut heard_by_b).await;
    // Cut the listening connection from the server's side, as a restart or a network
    // failure would.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE query LIKE 'LISTEN%' AND datname = current_database()",
    )
    .execute(a.pool())
    .await
    .unwrap();
    assert_eq!(next(&mut heard_by_b).await, Notice::Resync);
    listening(&a, &mut heard_by_b).await;
}
