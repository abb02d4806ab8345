//! The behaviour every [`ContextStore`] backend must have, written once against the trait.
//! A backend runs it with [`store_suite!`](crate::store_suite):
//!
//! ```ignore
//! confab_store::store_suite!(async { (SqliteStore::open(url).await.unwrap(), temp_dir) });
//! ```

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use confab_core::{ChatContext, Event, Status, ToolCallRequest};
use uuid::Uuid;

use crate::{ContextStore, StoreError};

/// Instantiates every suite test for one backend. `$make` is a future giving the store and a
/// guard that keeps its database alive for the test.
/// `maybe` takes a future of an `Option`: `None` skips the tests (no PostgreSQL to run them on).
#[macro_export]
macro_rules! store_suite {
    (maybe $make:expr) => {
        $crate::store_suite!(@tests $make);
    };
    ($make:expr) => {
        $crate::store_suite!(@tests async { Some($make.await) });
    };
    (@tests $make:expr) => {
        $crate::store_suite!(@each $make;
            save_then_load_round_trips_everything,
            the_first_save_creates_and_a_second_create_conflicts,
            a_stale_version_conflicts_and_writes_nothing,
            saving_one_message_costs_the_same_in_a_short_and_a_long_conversation,
            concurrent_saves_of_one_version_let_exactly_one_win,
            concurrent_saves_of_many_contexts_all_land,
            listing_shows_only_the_owners_contexts_most_recent_first,
            deleting_removes_the_context_and_its_messages,
            busy_contexts_without_a_live_lease_are_found,
            a_lease_has_one_holder_until_it_is_released_or_expires,
            unknown_contexts_are_absent,
            ping_succeeds,
            search_finds_words_in_messages_and_titles_of_the_owner_only,
            search_follows_edits_and_deletes);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((store, _guard)) = $make.await else { return };
                $crate::testsuite::$name(&store).await;
            }
        )*
    };
}

/// A new, empty database on the PostgreSQL cluster `CONFAB_TEST_POSTGRES_URL` names (see
/// `scripts/with-postgres.sh`), or `None` when none is named: the tests that need it are
/// skipped then, unless `CONFAB_REQUIRE_POSTGRES=1` (the test command sets it) says that
/// skipping is not allowed.
pub async fn postgres_database() -> Option<String> {
    use sqlx::Connection;
    let Ok(admin) = std::env::var("CONFAB_TEST_POSTGRES_URL") else {
        let required = std::env::var("CONFAB_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        assert!(!required, "CONFAB_REQUIRE_POSTGRES=1 but no CONFAB_TEST_POSTGRES_URL: use scripts/with-postgres.sh");
        eprintln!("skipped: no PostgreSQL to test on (run through scripts/with-postgres.sh)");
        return None;
    };
    let name = format!("confab_test_{}", Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the test cluster answers");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("a test database");
    let (server, _) = admin.rsplit_once('/').expect("a URL that names a database");
    Some(format!("{server}/{name}"))
}

fn new_context() -> ChatContext {
    ChatContext::new(Uuid::new_v4(), Uuid::new_v4(), None, Utc::now())
}

/// Saves whatever is dirty, as the server's auto-save does.
async fn save(store: &dyn ContextStore, ctx: &mut ChatContext) -> crate::SaveStats {
    let stats = store.save(&ctx.changes()).await.expect("save");
    ctx.mark_saved();
    stats
}

/// A context of about `messages` messages, saved.
async fn conversation(store: &dyn ContextStore, messages: usize) -> ChatContext {
    let mut ctx = new_context();
    while ctx.messages().len() < messages {
        ctx.apply(Event::SendMessage { content: "what is the weather like".into() }, Utc::now()).unwrap();
        ctx.apply(Event::ReplyStarted, Utc::now()).unwrap();
        ctx.append_text("sunny, with a light breeze from the west").unwrap();
        ctx.apply(Event::ReplyFinished, Utc::now()).unwrap();
    }
    save(store, &mut ctx).await;
    ctx
}

pub async fn save_then_load_round_trips_everything(store: &dyn ContextStore) {
    let mut ctx = new_context();
    save(store, &mut ctx).await;
    ctx.apply(Event::SendMessage { content: "what time is it?".into() }, Utc::now()).unwrap();
    save(store, &mut ctx).await;
    let call = ToolCallRequest {
        id: "call_1".into(),
        name: "current_time".into(),
        arguments: serde_json::json!({"zone": "UTC"}),
    };
    ctx.apply(Event::ToolCallsRequested { calls: vec![call] }, Utc::now()).unwrap();
    ctx.apply(Event::ApproveTools { tool_call_ids: vec!["call_1".into()] }, Utc::now()).unwrap();
    ctx.apply(Event::ToolFinished { tool_call_id: "call_1".into(), output: Ok("12:00".into()) }, Utc::now()).unwrap();
    ctx.apply(Event::ToolsFinished, Utc::now()).unwrap();
    ctx.apply(Event::ReplyStarted, Utc::now()).unwrap();
    ctx.append_text("It is noon, ünïcödé 🎉").unwrap();
    ctx.apply(Event::GenerationFailed { error: "cut off".into() }, Utc::now()).unwrap();
    let first = ctx.active_path()[0].id;
    ctx.apply(Event::EditMessage { message_id: first, content: "edited".into() }, Utc::now()).unwrap();
    save(store, &mut ctx).await;

    let loaded = store.load(ctx.id()).await.unwrap().expect("stored");
    let millis = |t: confab_core::Timestamp| chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap();
    let row = ctx.row().clone();
    let expected =
        confab_core::ContextRow { created_at: millis(row.created_at), updated_at: millis(row.updated_at), ..row };
    assert_eq!(loaded.row(), &expected);
    // Stores keep millisecond timestamps.
    let comparable = |ctx: &ChatContext| -> Vec<confab_core::Message> {
        ctx.messages()
            .iter()
            .cloned()
            .map(|mut m| {
                m.created_at = millis(m.created_at);
                m
            })
            .collect()
    };
    assert_eq!(comparable(&loaded), comparable(&ctx));
    assert_eq!(loaded.active_branch(), "edit-1");
    assert_eq!(loaded.version(), ctx.version());
    assert!(!loaded.is_dirty());
}

pub async fn the_first_save_creates_and_a_second_create_conflicts(store: &dyn ContextStore) {
    let mut ctx = new_context();
    let twin = ctx.clone();
    save(store, &mut ctx).await;
    assert_eq!(store.version_of(ctx.id()).await.unwrap(), Some(1));
    let again = store.save(&twin.changes()).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
}

pub async fn a_stale_version_conflicts_and_writes_nothing(store: &dyn ContextStore) {
    let mut ctx = conversation(store, 2).await;
    let mut stale = ctx.clone();
    ctx.apply(Event::SendMessage { content: "first writer".into() }, Utc::now()).unwrap();
    save(store, &mut ctx).await;
    stale.apply(Event::SendMessage { content: "second writer".into() }, Utc::now()).unwrap();
    let result = store.save(&stale.changes()).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    let stored = store.load(ctx.id()).await.unwrap().unwrap();
    assert_eq!(stored.version(), ctx.version());
    let texts: Vec<_> = stored.messages().iter().map(|m| m.content.clone()).collect();
    assert!(texts.contains(&"first writer".to_string()));
    assert!(!texts.contains(&"second writer".to_string()), "a refused save must write nothing");
}

pub async fn saving_one_message_costs_the_same_in_a_short_and_a_long_conversation(store: &dyn ContextStore) {
    let mut costs = Vec::new();
    for length in [10, 5_000] {
        let mut ctx = conversation(store, length).await;
        ctx.apply(Event::SendMessage { content: "one more question".into() }, Utc::now()).unwrap();
        costs.push(save(store, &mut ctx).await);
        let stored = store.load(ctx.id()).await.unwrap().unwrap();
        assert_eq!(stored.messages().len(), length + 1);
    }
    let (short, long) = (costs[0], costs[1]);
    assert_eq!(short.rows_written, 2, "the context row and the new message");
    assert_eq!(long.rows_written, short.rows_written);
    assert_eq!(long.bytes_written, short.bytes_written);
}

pub async fn concurrent_saves_of_one_version_let_exactly_one_win(store: &dyn ContextStore) {
    let ctx = conversation(store, 2).await;
    let mut writers = Vec::new();
    for i in 0..8 {
        let mut copy = ctx.clone();
        copy.apply(Event::SendMessage { content: format!("writer {i}") }, Utc::now()).unwrap();
        writers.push(copy);
    }
    let results = futures_join(store, &writers).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(results.iter().filter(|r| r.is_err()).all(|r| matches!(r, Err(StoreError::Conflict))));
    let stored = store.load(ctx.id()).await.unwrap().unwrap();
    assert_eq!(stored.messages().len(), 3);
}

pub async fn concurrent_saves_of_many_contexts_all_land(store: &dyn ContextStore) {
    let mut writers = Vec::new();
    for i in 0..32 {
        let mut ctx = new_context();
        ctx.apply(Event::SendMessage { content: format!("writer {i}") }, Utc::now()).unwrap();
        writers.push(ctx);
    }
    let results = futures_join(store, &writers).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    for ctx in &writers {
        let stored = store.load(ctx.id()).await.unwrap().expect("saved");
        let contents = |c: &ChatContext| c.messages().iter().map(|m| (m.id, m.content.clone())).collect::<Vec<_>>();
        assert_eq!(contents(&stored), contents(ctx));
    }
}

async fn futures_join(store: &dyn ContextStore, writers: &[ChatContext]) -> Vec<Result<crate::SaveStats, StoreError>> {
    let mut pending = Vec::new();
    for writer in writers {
        pending.push(async move { store.save(&writer.changes()).await });
    }
    let mut results = Vec::new();
    // Poll them together so the saves really overlap.
    let mut set: Vec<_> = pending.into_iter().map(Box::pin).collect();
    while !set.is_empty() {
        let (result, _, rest) = select_all(set).await;
        results.push(result);
        set = rest;
    }
    results
}

/// A tiny `select_all` so the suite needs no extra dependency.
async fn select_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> (F::Output, usize, Vec<F>) {
    std::future::poll_fn(move |cx| {
        for i in 0..futures.len() {
            if let std::task::Poll::Ready(out) = std::pin::Pin::new(&mut futures[i]).poll(cx) {
                let mut rest = std::mem::take(&mut futures);
                rest.remove(i);
                return std::task::Poll::Ready((out, i, rest));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

pub async fn listing_shows_only_the_owners_contexts_most_recent_first(store: &dyn ContextStore) {
    let owner = Uuid::new_v4();
    let start = Utc::now();
    let mut ids = Vec::new();
    for minutes in [3, 1, 2] {
        let mut ctx = ChatContext::new(Uuid::new_v4(), owner, Some(format!("chat {minutes}")), start);
        ctx.apply(Event::SendMessage { content: "hi".into() }, start + Duration::minutes(minutes)).unwrap();
        save(store, &mut ctx).await;
        ids.push((minutes, ctx.id()));
    }
    let mut stranger = new_context();
    save(store, &mut stranger).await;

    let listed = store.list(owner).await.unwrap();
    let titles: Vec<_> = listed.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, vec!["chat 3", "chat 2", "chat 1"]);
    assert!(listed.iter().all(|s| s.id != stranger.id()));
    assert!(listed.iter().all(|s| s.status == Status::Processing && s.version == 1));
}

pub async fn deleting_removes_the_context_and_its_messages(store: &dyn ContextStore) {
    let ctx = conversation(store, 4).await;
    assert!(store.delete(ctx.id()).await.unwrap());
    assert!(store.load(ctx.id()).await.unwrap().is_none());
    assert!(!store.delete(ctx.id()).await.unwrap(), "deleting twice finds nothing");
    // A new context under the same id starts empty: no message was left behind.
    let mut reborn = ChatContext::new(ctx.id(), ctx.owner(), None, Utc::now());
    save(store, &mut reborn).await;
    let loaded = store.load(ctx.id()).await.unwrap().unwrap();
    assert!(loaded.messages().is_empty(), "the messages went with their context");
}

pub async fn busy_contexts_without_a_live_lease_are_found(store: &dyn ContextStore) {
    let mut working = new_context();
    working.apply(Event::SendMessage { content: "go".into() }, Utc::now()).unwrap();
    save(store, &mut working).await;
    let idle = conversation(store, 2).await;
    let busy = [Status::Processing, Status::Streaming];
    let found = store.unleased_with_status(&busy).await.unwrap();
    assert!(found.contains(&working.id()), "nobody works on it");
    assert!(!found.contains(&idle.id()));

    assert!(store.acquire_lease(working.id(), "process-1", StdDuration::from_secs(60)).await.unwrap());
    let found = store.unleased_with_status(&busy).await.unwrap();
    assert!(!found.contains(&working.id()), "a live process works on it");
    store.release_lease(working.id(), "process-1").await.unwrap();
    assert!(store.unleased_with_status(&busy).await.unwrap().contains(&working.id()));
}

pub async fn a_lease_has_one_holder_until_it_is_released_or_expires(store: &dyn ContextStore) {
    let ctx = conversation(store, 2).await;
    let id = ctx.id();
    let minute = StdDuration::from_secs(60);
    assert!(store.acquire_lease(id, "one", minute).await.unwrap());
    assert!(store.acquire_lease(id, "one", minute).await.unwrap(), "the holder renews");
    assert!(!store.acquire_lease(id, "two", minute).await.unwrap(), "one holder at a time");
    assert!(store.leased_elsewhere(id, "two").await.unwrap());
    assert!(!store.leased_elsewhere(id, "one").await.unwrap(), "not elsewhere for its holder");
    store.release_lease(id, "two").await.unwrap();
    assert!(!store.acquire_lease(id, "two", minute).await.unwrap(), "only the holder can give it back");

    store.release_lease(id, "one").await.unwrap();
    assert!(store.acquire_lease(id, "two", StdDuration::from_millis(50)).await.unwrap());
    tokio::time::sleep(StdDuration::from_millis(150)).await;
    assert!(!store.leased_elsewhere(id, "one").await.unwrap(), "an unrenewed lease expires");
    assert!(store.acquire_lease(id, "one", minute).await.unwrap(), "and someone else may take it");
    store.clear_leases().await.unwrap();
    assert!(!store.leased_elsewhere(id, "two").await.unwrap());
}

pub async fn unknown_contexts_are_absent(store: &dyn ContextStore) {
    let id = Uuid::new_v4();
    assert!(store.load(id).await.unwrap().is_none());
    assert!(store.version_of(id).await.unwrap().is_none());
}

pub async fn ping_succeeds(store: &dyn ContextStore) {
    store.ping().await.unwrap();
}

/// Instantiates the account tests for one backend, like [`store_suite!`](crate::store_suite).
#[macro_export]
macro_rules! user_store_suite {
    (maybe $make:expr) => {
        $crate::user_store_suite!(@tests $make);
    };
    ($make:expr) => {
        $crate::user_store_suite!(@tests async { Some($make.await) });
    };
    (@tests $make:expr) => {
        $crate::store_suite!(@each $make;
            users_are_found_by_name_whatever_the_case,
            a_taken_name_is_a_conflict,
            only_the_first_user_can_register_first,
            sessions_lead_to_their_user_until_they_expire_or_end);
    };
}

fn user(name: &str) -> crate::User {
    crate::User { id: Uuid::new_v4(), username: name.into(), created_at: millis_now() }
}

fn millis_now() -> confab_core::Timestamp {
    chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

pub async fn users_are_found_by_name_whatever_the_case(store: &dyn crate::UserStore) {
    let alice = user("Alice");
    store.create_user(&alice, "hash-a").await.unwrap();
    let found = store.credentials("alice").await.unwrap().expect("found");
    assert_eq!(found.user, alice);
    assert_eq!(found.password_hash, "hash-a");
    assert!(store.credentials("bob").await.unwrap().is_none());
    assert_eq!(store.user_count().await.unwrap(), 1);
}

pub async fn a_taken_name_is_a_conflict(store: &dyn crate::UserStore) {
    store.create_user(&user("carol"), "h").await.unwrap();
    let again = store.create_user(&user("CAROL"), "h").await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(store.user_count().await.unwrap(), 1);
}

pub async fn only_the_first_user_can_register_first(store: &dyn crate::UserStore) {
    assert!(store.create_first_user(&user("first"), "h").await.unwrap());
    assert!(!store.create_first_user(&user("second"), "h").await.unwrap());
    assert_eq!(store.user_count().await.unwrap(), 1);
}

pub async fn sessions_lead_to_their_user_until_they_expire_or_end(store: &dyn crate::UserStore) {
    let dave = user("dave");
    store.create_user(&dave, "h").await.unwrap();
    let now = millis_now();
    let live = crate::Session {
        token_hash: "live".into(),
        user_id: dave.id,
        created_at: now,
        expires_at: now + Duration::hours(1),
    };
    let old = crate::Session { token_hash: "old".into(), expires_at: now - Duration::seconds(1), ..live.clone() };
    store.create_session(&live).await.unwrap();
    store.create_session(&old).await.unwrap();
    assert_eq!(store.session_user("live", now).await.unwrap(), Some(dave.clone()));
    assert_eq!(store.session_user("old", now).await.unwrap(), None, "expired");
    assert_eq!(store.session_user("nope", now).await.unwrap(), None);
    assert_eq!(store.delete_expired_sessions(now).await.unwrap(), 1);
    store.delete_session("live").await.unwrap();
    assert_eq!(store.session_user("live", now).await.unwrap(), None, "ended");
}

pub async fn search_finds_words_in_messages_and_titles_of_the_owner_only(store: &dyn ContextStore) {
    let owner = Uuid::new_v4();
    let mut ctx = ChatContext::new(Uuid::new_v4(), owner, Some("Holiday planning".into()), Utc::now());
    ctx.apply(Event::SendMessage { content: "We should visit the aquarium in Lisbon".into() }, Utc::now()).unwrap();
    ctx.apply(Event::ReplyFinished, Utc::now()).unwrap();
    save(store, &mut ctx).await;
    let mut other = ChatContext::new(Uuid::new_v4(), Uuid::new_v4(), None, Utc::now());
    other.apply(Event::SendMessage { content: "lisbon is lovely".into() }, Utc::now()).unwrap();
    save(store, &mut other).await;

    let hits = store.search(owner, "LISBON", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].context_id, ctx.id());
    assert_eq!(hits[0].message_id, Some(ctx.active_path()[0].id));
    assert!(hits[0].snippet.iter().any(|p| p.highlight && p.text == "Lisbon"), "{:?}", hits[0].snippet);

    let prefix = store.search(owner, "aqua", 10).await.unwrap();
    assert_eq!(prefix.len(), 1, "the last word matches as a prefix");
    let title = store.search(owner, "holiday", 10).await.unwrap();
    assert_eq!(title[0].message_id, None);
    assert_eq!(title[0].context_title, "Holiday planning");
    assert!(store.search(owner, "\"(*", 10).await.unwrap().is_empty(), "operators are not a syntax error");
    assert!(store.search(owner, "", 10).await.unwrap().is_empty());
}

pub async fn search_follows_edits_and_deletes(store: &dyn ContextStore) {
    let owner = Uuid::new_v4();
    let mut ctx = ChatContext::new(Uuid::new_v4(), owner, None, Utc::now());
    ctx.apply(Event::SendMessage { content: "draft".into() }, Utc::now()).unwrap();
    ctx.apply(Event::ReplyStarted, Utc::now()).unwrap();
    ctx.append_text("partial").unwrap();
    save(store, &mut ctx).await;
    ctx.append_text(" zebra").unwrap();
    save(store, &mut ctx).await;
    assert_eq!(store.search(owner, "zebra", 10).await.unwrap().len(), 1, "streamed text is found once saved");
    store.delete(ctx.id()).await.unwrap();
    assert!(store.search(owner, "zebra", 10).await.unwrap().is_empty(), "deleted conversations are not found");
    assert!(store.search(owner, "draft", 10).await.unwrap().is_empty());
}
