//! Keeping contexts: saves, loads, conflicts, listings, deletes.

use chrono::{Duration, Utc};
use confab_core::{ChatContext, Event, SettingsPatch, Status, Timing, ToolCallRequest, Usage};
use uuid::Uuid;

use super::{conversation, futures_join, new_context, save};
use crate::{ContextStore, StoreError};

pub async fn save_then_load_round_trips_everything(store: &dyn ContextStore) {
    let mut ctx = new_context();
    save(store, &mut ctx).await;
    ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "what time is it?".into() }, Utc::now()).unwrap();
    save(store, &mut ctx).await;
    let call = ToolCallRequest {
        id: "call_1".into(),
        name: "current_time".into(),
        arguments: serde_json::json!({"zone": "UTC"}),
    };
    ctx.apply(Event::ToolCallsRequested { calls: vec![call] }, Utc::now()).unwrap();
    ctx.apply(Event::ApproveTools { tool_call_ids: vec!["call_1".into()], allow_here: false }, Utc::now()).unwrap();
    ctx.apply(Event::ToolFinished { tool_call_id: "call_1".into(), output: Ok("12:00".into()) }, Utc::now()).unwrap();
    ctx.apply(Event::ToolsFinished, Utc::now()).unwrap();
    ctx.apply(Event::ReplyStarted { model: "local/llama3.1".into() }, Utc::now()).unwrap();
    ctx.append_reasoning("The tool said 12:00.").unwrap();
    ctx.append_text("It is noon, ünïcödé 🎉").unwrap();
    ctx.apply(Event::GenerationFailed { error: "cut off".into() }, Utc::now()).unwrap();
    let usage = Usage { prompt_tokens: 120, completion_tokens: 7 };
    ctx.record_reply(
        "local/llama3.1",
        Some(usage),
        Some(Timing { first_token_ms: 350, tokens_per_second: 21.5, reasoning_ms: Some(1200) }),
    );
    let patch = SettingsPatch {
        model: Some("local/llama3.1".into()),
        system_prompt: Some("Answer in French.".into()),
        temperature: Some(Some(0.25)),
        top_p: Some(Some(0.9)),
        max_tokens: Some(Some(512)),
    };
    ctx.apply(Event::UpdateSettings { patch }, Utc::now()).unwrap();
    let first = ctx.active_path()[0].id;
    ctx.set_context_window_start(Some(first));
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
    ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "first writer".into() }, Utc::now()).unwrap();
    save(store, &mut ctx).await;
    stale.apply(Event::SendMessage { attachments: Vec::new(), content: "second writer".into() }, Utc::now()).unwrap();
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
        ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "one more question".into() }, Utc::now())
            .unwrap();
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
        copy.apply(Event::SendMessage { attachments: Vec::new(), content: format!("writer {i}") }, Utc::now()).unwrap();
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
        ctx.apply(Event::SendMessage { attachments: Vec::new(), content: format!("writer {i}") }, Utc::now()).unwrap();
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

pub async fn listing_shows_only_the_owners_contexts_most_recent_first(store: &dyn ContextStore) {
    let owner = Uuid::new_v4();
    let start = Utc::now();
    let mut ids = Vec::new();
    for minutes in [3, 1, 2] {
        let mut ctx = ChatContext::new(Uuid::new_v4(), owner, Some(format!("chat {minutes}")), start);
        ctx.apply(
            Event::SendMessage { attachments: Vec::new(), content: "hi".into() },
            start + Duration::minutes(minutes),
        )
        .unwrap();
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

    // Made in the same millisecond: the later id (ids are time-ordered, UUIDv7) comes first.
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    for id in [first, second] {
        save(store, &mut ChatContext::new(id, owner, None, start + Duration::minutes(9))).await;
    }
    let listed: Vec<Uuid> = store.list(owner).await.unwrap().iter().map(|s| s.id).take(2).collect();
    assert_eq!(listed, vec![second, first]);
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

pub async fn busy_contexts_are_found(store: &dyn ContextStore) {
    let mut working = new_context();
    working.apply(Event::SendMessage { attachments: Vec::new(), content: "go".into() }, Utc::now()).unwrap();
    save(store, &mut working).await;
    let idle = conversation(store, 2).await;
    let found = store.unleased_with_status(&[Status::Processing, Status::Streaming]).await.unwrap();
    assert!(found.contains(&working.id()), "nobody works on it");
    assert!(!found.contains(&idle.id()));
}

pub async fn unknown_contexts_are_absent(store: &dyn ContextStore) {
    let id = Uuid::new_v4();
    assert!(store.load(id).await.unwrap().is_none());
    assert!(store.version_of(id).await.unwrap().is_none());
}

pub async fn ping_succeeds(store: &dyn ContextStore) {
    store.ping().await.unwrap();
}

/// A user's defaults and presets change by compare-and-swap: a writer holding an old
/// version conflicts and writes nothing.
pub async fn preferences_change_by_compare_and_swap(store: &dyn ContextStore) {
    let user = Uuid::new_v4();
    let (empty, version) = store.preferences(user).await.unwrap();
    assert_eq!((empty, version), (crate::UserPreferences::default(), 0));
    let settings = confab_core::ModelSettings {
        model: Some("local/llama3.1".into()),
        system_prompt: Some("Be brief.".into()),
        temperature: Some(0.5),
        top_p: None,
        max_tokens: Some(256),
    };
    let preset = crate::Preset { id: Uuid::new_v4(), name: "Brief".into(), settings, created_at: Utc::now() };
    let first = crate::UserPreferences {
        default_model: Some("local/llama3.1".into()),
        default_system_prompt: None,
        presets: vec![preset],
        tool_policies: [("everything__echo".to_string(), confab_core::ToolPolicy::Always)].into(),
    };
    store.put_preferences(user, &first, 0).await.unwrap();
    assert_eq!(store.put_preferences(user, &first, 0).await.unwrap_err().to_string(), StoreError::Conflict.to_string());
    let (read, version) = store.preferences(user).await.unwrap();
    assert_eq!((&read, version), (&first, 1));
    let second = crate::UserPreferences { presets: Vec::new(), ..first.clone() };
    store.put_preferences(user, &second, 1).await.unwrap();
    assert!(matches!(store.put_preferences(user, &first, 1).await, Err(StoreError::Conflict)), "a stale writer");
    assert_eq!(store.preferences(user).await.unwrap(), (second, 2));
    assert_eq!(store.preferences(Uuid::new_v4()).await.unwrap().1, 0, "another user has none");
}
