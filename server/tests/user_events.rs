//! The per-user stream (`GET /api/events`), through a real socket: one connection carries
//! the patches of every conversation a browser's tabs have open, each event naming its
//! conversation, and the changes of the conversation list.

use crate::common;

use std::time::Duration;

use app::patch::Held;
use app::wire::{ActionResponse, PatchDTO};
use common::client::ApiClient;
use common::{RunningServer, Sse, SseStream};
use futures::StreamExt;
use serde_json::{json, Value};

async fn next(events: &mut SseStream) -> Sse {
    tokio::time::timeout(Duration::from_secs(20), events.next())
        .await
        .expect("an event within 20 s")
        .expect("the stream stays open")
}

/// The next event that is not a streamed piece of text.
async fn next_change(events: &mut SseStream) -> Sse {
    loop {
        let event = next(events).await;
        if !matches!(event.event.as_str(), "delta" | "reasoning") {
            return event;
        }
    }
}

async fn send(client: &ApiClient, id: &str, content: &str) {
    let (status, body) =
        client.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": content })).await;
    assert_eq!(status, 200, "{body}");
}

/// Follows the patches of `id` on the stream until its copy shows `content` answered.
async fn until_answered(events: &mut SseStream, held: &mut Held, id: &str, content: &str) {
    loop {
        let event = next_change(events).await;
        if event.event != "patch" || event.data["context_id"] != id {
            continue;
        }
        held.apply(&serde_json::from_value::<PatchDTO>(event.data).unwrap()).expect("patches in order");
        let state = held.to_state();
        let messages = &state.context.messages;
        let asked = messages.iter().any(|m| m.content == content);
        if asked && messages.last().is_some_and(|m| m.complete && m.role == app::wire::MessageRole::Assistant) {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_stream_carries_every_open_conversation_and_the_list() {
    let server = RunningServer::start(|_| {}).await;
    let client = server.client();
    let (a, b) = (client.new_context().await, client.new_context().await);
    let mut events = client.events_at(&format!("/api/events?contexts={a},{b}&live=patch&window=10"), None).await;
    let mut held = std::collections::HashMap::new();
    for _ in 0..2 {
        let snapshot = next(&mut events).await;
        assert_eq!(snapshot.event, "snapshot");
        let id = snapshot.data["context_id"].as_str().unwrap().to_string();
        assert!(snapshot.id.starts_with(&format!("{id}/")), "the id names the conversation: {}", snapshot.id);
        let state: ActionResponse = serde_json::from_value(snapshot.data).unwrap();
        held.insert(id, Held::from_state(&state));
    }
    assert_eq!(held.len(), 2, "a snapshot of each");

    send(&client, &a, "hello from a").await;
    until_answered(&mut events, held.get_mut(&a).unwrap(), &a, "hello from a").await;
    send(&client, &b, "hello from b").await;
    until_answered(&mut events, held.get_mut(&b).unwrap(), &b, "hello from b").await;
    for id in [&a, &b] {
        let (_, state) = client.get(&format!("/api/contexts/{id}/state?window=10")).await;
        assert_eq!(held[id.as_str()].to_state(), serde_json::from_value::<ActionResponse>(state).unwrap());
    }

    // The list: a new conversation, a renamed one, a deleted one.
    let c = client.new_context().await;
    let change = loop {
        let event = next_change(&mut events).await;
        if event.event == "contexts" && event.data["changed"][0]["id"] == c.as_str() {
            break event;
        }
    };
    assert_eq!(change.data["removed"], json!([]));
    let renamed = client.http().patch(client.url(&format!("/api/contexts/{a}"))).bearer_auth(&client.token);
    let reply = renamed.json(&json!({ "title": "Renamed" })).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    loop {
        let event = next_change(&mut events).await;
        if event.event == "contexts" && event.data["changed"][0]["title"] == "Renamed" {
            assert_eq!(event.data["changed"][0]["id"], a.as_str());
            break;
        }
    }
    let deleted = client.http().delete(client.url(&format!("/api/contexts/{b}"))).bearer_auth(&client.token);
    assert_eq!(deleted.send().await.unwrap().status(), 204);
    loop {
        let event = next_change(&mut events).await;
        if event.event == "contexts" && event.data["removed"] == json!([b]) {
            break;
        }
    }
}

#[tokio::test]
async fn gone_conversations_are_named_and_bad_requests_refused() {
    let server = RunningServer::start(|_| {}).await;
    let client = server.client();
    let a = client.new_context().await;
    let missing = uuid::Uuid::new_v4();
    let mut events = client.events_at(&format!("/api/events?contexts={a},{missing}"), None).await;
    let first = next(&mut events).await;
    assert_eq!((first.event.as_str(), &first.data), ("contexts", &json!({ "changed": [], "removed": [missing] })));
    assert_eq!(next(&mut events).await.data["context_id"], a.as_str());

    let many: Vec<String> = (0..65).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    for query in
        ["contexts=nope".to_string(), "live=full".into(), "window=0".into(), format!("contexts={}", many.join(","))]
    {
        let (status, body) = client.get(&format!("/api/events?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field");
    }
    let (status, _) = ApiClient::new(server.base.clone(), "").get("/api/events").await;
    assert_eq!(status, 401, "signed-in users only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_stream_patches_the_conversation_its_last_event_named() {
    let server = RunningServer::start(|_| {}).await;
    let client = server.client();
    let (a, b) = (client.new_context().await, client.new_context().await);
    let url = format!("/api/events?contexts={a},{b}&window=10");
    let mut held = None;
    let mut last_id = String::new();
    {
        let mut events = client.events_at(&url, None).await;
        for _ in 0..2 {
            let snapshot = next(&mut events).await;
            if snapshot.data["context_id"] == a.as_str() {
                held = Some(Held::from_state(&serde_json::from_value(snapshot.data).unwrap()));
                last_id = snapshot.id;
            }
        }
    }
    send(&client, &a, "while away").await;
    client.wait_for(&a, |state: &Value| state["status"] == "idle").await;
    let mut events = client.events_at(&url, Some(&last_id)).await;
    let mut kinds = std::collections::HashMap::new();
    for _ in 0..2 {
        let event = next(&mut events).await;
        kinds.insert(event.data["context_id"].as_str().unwrap().to_string(), event.clone());
    }
    assert_eq!(kinds[&a].event, "patch", "from the version the last event named");
    assert_eq!(kinds[&b].event, "snapshot", "the others start afresh");
    let mut held = held.unwrap();
    held.apply(&serde_json::from_value(kinds[&a].data.clone()).unwrap()).unwrap();
    assert!(held.to_state().context.messages.iter().any(|m| m.content == "while away"));
}
