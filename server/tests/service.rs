//! The chat service used directly, without HTTP, over the in-memory store and on paused
//! tokio time: the built-in model's token delay, the unload timer and the resync back-off
//! all run on a clock the test moves, so nothing here sleeps for real or depends on the
//! machine's speed.

use confab_server::models::Catalog;
use std::sync::Arc;
use std::time::Duration;

use app::wire::ChatStatus;
use confab_core::{Event, UserId};
use confab_llm::BuiltinModel;
use confab_server::chat::ChatError;
use confab_server::{ChatService, ChatSettings};
use confab_store::{MemoryStore, StoreError};
use confab_tools::ToolRegistry;

/// A service whose built-in model writes a token every `token_delay`.
fn service(token_delay: Duration) -> (ChatService, MemoryStore) {
    let store = MemoryStore::new();
    let chat = ChatService::new(
        Arc::new(store.clone()),
        Arc::new(Catalog::only(Arc::new(BuiltinModel::new(token_delay)))),
        ToolRegistry::standard(None),
        ChatSettings::default(),
    );
    (chat, store)
}

fn owner() -> UserId {
    uuid::Uuid::new_v4()
}

/// Lets the clock run until the context has this status (the built-in model needs a few
/// hundred token delays at most).
async fn wait_for(chat: &ChatService, owner: UserId, id: uuid::Uuid, status: ChatStatus) -> app::wire::ActionResponse {
    for _ in 0..10_000 {
        let state = chat.get(owner, id).await.unwrap();
        if state.status == status {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never reached {status:?}");
}

#[tokio::test(start_paused = true)]
async fn another_users_context_is_not_found() {
    let (chat, _) = service(Duration::ZERO);
    let (alice, bob) = (owner(), owner());
    let context = chat.create(alice, None, Default::default()).await.unwrap();
    assert!(matches!(chat.get(bob, context.id).await, Err(ChatError::NotFound)));
    let send = Event::SendMessage { attachments: Vec::new(), content: "hi".into() };
    assert!(matches!(chat.act(bob, context.id, send, None).await, Err(ChatError::NotFound)));
    assert!(chat.list(bob).await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn cancel_keeps_what_was_written_and_nothing_streams_after_it() {
    let (chat, _) = service(Duration::from_millis(20));
    let user = owner();
    let id = chat.create(user, None, Default::default()).await.unwrap().id;
    chat.act(user, id, Event::SendMessage { attachments: Vec::new(), content: "a long story please".into() }, None)
        .await
        .unwrap();
    // Six token delays: some text, not all of it (the reply is at least 40 words).
    tokio::time::sleep(Duration::from_millis(120)).await;
    let cancelled = chat.act(user, id, Event::Cancel, None).await.unwrap();
    assert_eq!(cancelled.status, ChatStatus::Idle);
    let partial = cancelled.context.messages[1].clone();
    assert!(partial.complete);
    assert_eq!(partial.stop_reason, Some(app::wire::StopReason::Cancelled));
    assert!(!partial.content.is_empty());

    tokio::time::sleep(Duration::from_secs(10)).await;
    let later = chat.get(user, id).await.unwrap();
    assert_eq!(later.context.messages[1].content, partial.content, "nothing streams after cancel");
}

#[tokio::test(start_paused = true)]
async fn an_idle_context_unloads_after_the_idle_time_and_loads_again_unchanged() {
    let (chat, _) = service(Duration::from_millis(5));
    let user = owner();
    let id = chat.create(user, None, Default::default()).await.unwrap().id;
    chat.act(user, id, Event::SendMessage { attachments: Vec::new(), content: "keep me".into() }, None).await.unwrap();
    let before = wait_for(&chat, user, id, ChatStatus::Idle).await;
    let idle = Duration::from_secs(300);
    assert_eq!(chat.unload_idle(idle), 0, "used just now");
    tokio::time::sleep(idle).await;
    assert_eq!(chat.unload_idle(idle), 1);
    assert_eq!(chat.loaded(), 0);
    assert_eq!(chat.get(user, id).await.unwrap(), before, "loaded again from the store, unchanged");
}

#[tokio::test(start_paused = true)]
async fn an_outage_refuses_changes_and_the_context_comes_back_by_itself() {
    let (chat, store) = service(Duration::ZERO);
    let user = owner();
    let id = chat.create(user, None, Default::default()).await.unwrap().id;
    store.set_unavailable(true);
    let refused = chat.rename(user, id, "during the outage".into()).await;
    assert!(matches!(refused, Err(ChatError::Store(StoreError::Unavailable(_)))), "{refused:?}");
    store.set_unavailable(false);
    // The resync task loads it again on its own back-off (50 ms first).
    tokio::time::sleep(Duration::from_millis(60)).await;
    let state = chat.get(user, id).await.unwrap();
    assert_eq!(state.context.title, "New chat", "the refused rename left nothing behind");
    chat.rename(user, id, "after".into()).await.unwrap();
    assert_eq!(chat.get(user, id).await.unwrap().context.title, "after");
}

#[tokio::test(start_paused = true)]
async fn a_tool_call_waits_for_approval_and_its_result_reaches_the_answer() {
    let (chat, _) = service(Duration::from_millis(1));
    let user = owner();
    let id = chat.create(user, None, Default::default()).await.unwrap().id;
    chat.act(user, id, Event::SendMessage { attachments: Vec::new(), content: "calc 2*(3+4)".into() }, None)
        .await
        .unwrap();
    let waiting = wait_for(&chat, user, id, ChatStatus::AwaitingToolApproval).await;
    let calls: Vec<String> = waiting.context.pending_tool_calls().iter().map(|c| c.id.clone()).collect();
    assert_eq!(calls.len(), 1);
    // However long nobody answers, it waits.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(chat.get(user, id).await.unwrap().status, ChatStatus::AwaitingToolApproval);
    chat.act(user, id, Event::ApproveTools { tool_call_ids: calls, allow_here: false }, None).await.unwrap();
    let done = wait_for(&chat, user, id, ChatStatus::Idle).await;
    let answer = &done.context.messages.last().unwrap().content;
    assert!(answer.contains("14"), "{answer}");
}
