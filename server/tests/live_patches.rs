//! Patches on the wire, through a real socket: in a 10,000-message conversation a client that
//! holds a window of 100 messages gets a few KiB for a message and its reply, not megabytes,
//! on one process (SQLite) and through a second one (PostgreSQL); it applies them with the
//! browser's own code (`app::patch`) and ends up holding exactly the server's window; and a
//! stream of patches resumes from the version its last event names.

use crate::common;

use std::time::Duration;

use app::patch::Held;
use app::wire::{ActionResponse, ChatStatus, PatchDTO};
use common::client::ApiClient;
use common::process::Confab;
use common::{RunningServer, Sse, SseStream};
use futures::StreamExt;
use serde_json::{json, Value};

const WINDOW: usize = 100;
const KIB: usize = 1024;

/// A conversation of `exchanges` questions and answers with a code block each, imported.
async fn long_conversation(client: &ApiClient, exchanges: usize) -> String {
    let id = |n: usize| format!("00000000-0000-4000-8000-{n:012}");
    let messages: Vec<Value> = (1..=exchanges * 2)
        .map(|n| {
            let (role, content) = if n % 2 == 1 {
                ("user", format!("Question {n}: how do I reverse a list?"))
            } else {
                ("assistant", format!("Answer {n}:\n\n```python\nitems.reverse()\nprint(items)\n```\n"))
            };
            json!({ "id": id(n), "parent_id": (n > 1).then(|| id(n - 1)), "role": role, "content": content,
                    "created_at": "2025-01-01T00:00:00Z", "complete": true, "tool_calls": [],
                    "tool_call_id": null, "stop_reason": null })
        })
        .collect();
    let file = json!({ "format": "confab.context", "version": 1, "title": "A long one",
        "created_at": "2025-01-01T00:00:00Z", "active_branch": "main",
        "branches": [{ "name": "main", "head_message_id": id(exchanges * 2) }], "messages": messages });
    let (status, body) = client.post("/api/contexts/import", file).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn patches_url(id: &str) -> String {
    format!("/api/contexts/{id}/events?live=patch&window={WINDOW}")
}

async fn next(events: &mut SseStream) -> Sse {
    tokio::time::timeout(Duration::from_secs(20), events.next())
        .await
        .expect("an event within 20 s")
        .expect("the stream stays open")
}

/// About what the event took on the wire: its data, name and id.
fn size(event: &Sse) -> usize {
    event.data.to_string().len() + event.event.len() + event.id.len() + 20
}

async fn windowed(client: &ApiClient, id: &str) -> ActionResponse {
    let (status, body) = client.get(&format!("/api/contexts/{id}/state?window={WINDOW}")).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// A tab watches through `watcher` while `actor` sends one message with `base_version` and
/// the reply finishes: every size the issue names, and the tab's copy at the end.
async fn one_exchange_costs_a_few_kib(actor: &ApiClient, watcher: &ApiClient, id: &str) {
    let mut events = watcher.events_at(&patches_url(id), None).await;
    let first = next(&mut events).await;
    assert_eq!(first.event, "snapshot");
    let snapshot: ActionResponse = serde_json::from_value(first.data.clone()).unwrap();
    assert_eq!(snapshot.context.messages.len(), WINDOW);
    assert_eq!(snapshot.context.messages_before, Some(10_000 - WINDOW as u64));
    let mut held = Held::from_state(&snapshot);

    let body = json!({ "content": "And a tuple?", "base_version": held.version(), "window": WINDOW });
    let (status, answer) = actor.post(&format!("/api/contexts/{id}/actions/send_message"), body).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.to_string().len() < 8 * KIB, "the action's answer is {} bytes", answer.to_string().len());
    let patch: PatchDTO = serde_json::from_value(answer["patch"].clone()).expect("a patch answers base_version");
    let mut held_by_actor = held.clone();
    held_by_actor.apply(&patch).expect("the answer patches the version sent");
    assert!(held_by_actor.to_state().context.messages.iter().any(|m| m.content == "And a tuple?"));

    let mut bytes = 0;
    loop {
        let event = next(&mut events).await;
        match event.event.as_str() {
            "delta" | "reasoning" => continue,
            "patch" => {
                assert!(size(&event) < 8 * KIB, "a patch of {} bytes", size(&event));
                bytes += size(&event);
                let patch: PatchDTO = serde_json::from_value(event.data).unwrap();
                held.apply(&patch).expect("each patch follows the version held");
                let finished = held.to_state().context.messages.last().is_some_and(|m| m.complete);
                if patch.context.status == ChatStatus::Idle && finished && held.version() > snapshot.context.version {
                    break;
                }
            }
            other => panic!("a {other} event in a stream of patches: {:?}", event.data),
        }
    }
    assert!(bytes < 20 * KIB, "{bytes} bytes of events besides the deltas");
    assert_eq!(held.to_state(), windowed(watcher, id).await, "the patched copy is the server's window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_10000_message_conversation_a_message_and_its_reply_cost_a_few_kib() {
    let server = RunningServer::start(|_| {}).await;
    let client = server.client();
    let id = long_conversation(&client, 5_000).await;
    one_exchange_costs_a_few_kib(&client, &client, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_second_process_a_message_and_its_reply_cost_a_few_kib_too() {
    let Some(url) = confab_store::testsuite::postgres_database().await else { return };
    let a = Confab::start_with(&url, &[]).await;
    let b = Confab::start_with(&url, &[]).await;
    let id = long_conversation(&a, 5_000).await;
    one_exchange_costs_a_few_kib(&a, &b, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_patches_resumes_from_the_version_its_last_event_names() {
    let server = RunningServer::start(|_| {}).await;
    let client = server.client();
    let id = long_conversation(&client, 200).await;
    let (mut held, last_id) = {
        let mut events = client.events_at(&patches_url(&id), None).await;
        let first = next(&mut events).await;
        (Held::from_state(&serde_json::from_value(first.data).unwrap()), first.id)
    };
    // Away: two exchanges happen meanwhile.
    for content in ["first while away", "second while away"] {
        let (status, body) =
            client.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": content })).await;
        assert_eq!(status, 200, "{body}");
        client.wait_for(&id, |state| state["status"] == "idle").await;
    }
    let mut events = client.events_at(&patches_url(&id), Some(&last_id)).await;
    let resumed = next(&mut events).await;
    assert_eq!(resumed.event, "patch", "a patch from the version held, not the whole window");
    held.apply(&serde_json::from_value(resumed.data).unwrap()).expect("from the version the id named");
    assert_eq!(held.to_state(), windowed(&client, &id).await);

    let mut unknown = client.events_at(&patches_url(&id), Some("0badc0de-3~1")).await;
    assert_eq!(next(&mut unknown).await.event, "snapshot", "an id of another stream starts afresh");
}

#[tokio::test]
async fn bad_stream_and_action_options_are_refused_and_an_old_base_gets_the_whole_window() {
    let server = RunningServer::start(|_| {}).await;
    let client = server.client();
    let id = long_conversation(&client, 150).await;
    for query in ["live=full", "live=patch&window=0", "live=patch&window=10001"] {
        let (status, body) = client.get(&format!("/api/contexts/{id}/events?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let path = format!("/api/contexts/{id}/actions/send_message");
    let send = |body: Value| client.post(&path, body);
    let (status, body) = send(json!({ "content": "hi", "base_version": 1, "window": 0 })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_field")), "{body}");
    assert_eq!(client.state(&id).await["context"]["messages"].as_array().unwrap().len(), 300, "nothing sent");

    let (status, body) = send(json!({ "content": "hi", "base_version": 999, "window": 10 })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("patch").is_none(), "a version never made has no patch: {body}");
    let window = body["context"]["messages"].as_array().unwrap();
    assert_eq!(window.len(), 10, "the whole window instead");
    // 300 imported, the question, and its reply once it has begun.
    let on_branch = if window.last().unwrap()["role"] == "user" { 301 } else { 302 };
    assert_eq!(body["context"]["messages_before"], on_branch - 10);
}
