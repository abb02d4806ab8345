//! Memory follows the conversations in use: an idle context is dropped from memory and
//! loads again, unchanged, when next used; one that a stream listens to or a task works on
//! stays.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use common::TestApp;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test]
async fn an_idle_context_is_unloaded_and_loads_again_unchanged() {
    let test = TestApp::new().await;
    let id = test.create_context().await;
    test.act(&id, "send_message", json!({ "content": "keep me" })).await;
    let before = test.wait_for(&id, "idle").await;
    let chat = test.app.chat();
    assert_eq!(chat.loaded(), 1);
    assert_eq!(chat.unload_idle(Duration::from_secs(60)), 0, "a context used just now stays");
    unload_once_let_go(chat).await;

    let after = test.state(&id).await;
    assert_eq!(after["context"], before["context"], "loaded again from the store, unchanged");
    test.act(&id, "send_message", json!({ "content": "and more" })).await;
    let more = test.wait_for(&id, "idle").await;
    assert!(more["context"]["version"].as_u64() > before["context"]["version"].as_u64(), "versions go on");
    assert_eq!(common::transcript(&more).len(), 4);
}

#[tokio::test]
async fn a_context_with_a_listener_or_a_running_reply_stays_loaded() {
    let test = TestApp::slow(20).await;
    let id = test.create_context().await;
    let request = Request::get(format!("/api/contexts/{id}/events"))
        .header("authorization", format!("Bearer {}", test.token))
        .body(Body::empty())
        .unwrap();
    let stream = test.router.clone().oneshot(request).await.unwrap();
    assert_eq!(stream.status(), 200);
    let chat = test.app.chat();
    assert_eq!(chat.unload_idle(Duration::ZERO), 0, "a tab listens to it");
    drop(stream);

    test.act(&id, "send_message", json!({ "content": "a slow reply" })).await;
    assert_eq!(chat.unload_idle(Duration::ZERO), 0, "a reply is being written");
    test.wait_for(&id, "idle").await;
    unload_once_let_go(chat).await;
}

/// Unloads the one loaded context as soon as nothing holds it: the generation task lets go
/// of it just after its last save, once it has given its lease back.
async fn unload_once_let_go(chat: &confab_server::ChatService) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while chat.unload_idle(Duration::ZERO) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the context was never let go");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(chat.loaded(), 0);
}
