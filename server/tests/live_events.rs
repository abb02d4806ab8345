//! SSE against a real server on a free port: snapshot, state and delta events, resume with
//! Last-Event-ID, and graceful shutdown of streams.

use crate::common;

use common::{next_event, open_events, post_json, RunningServer};
use serde_json::{json, Value};

async fn new_context(server: &RunningServer) -> String {
    let (status, body) = post_json(server, "/api/contexts", json!({})).await;
    assert_eq!(status, 201);
    body["id"].as_str().unwrap().to_string()
}

/// Reads events until the context is idle again; returns them.
async fn until_idle(stream: &mut common::SseStream) -> Vec<common::Sse> {
    let mut seen = Vec::new();
    loop {
        let event = next_event(stream).await;
        let idle = event.event == "state" && event.data["status"] == "idle";
        seen.push(event);
        if idle {
            return seen;
        }
    }
}

fn streamed_text(events: &[common::Sse]) -> String {
    events.iter().filter(|e| e.event == "delta").map(|e| e.data["text"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_subscriber_sees_a_snapshot_then_every_transition_and_delta() {
    let server = RunningServer::start(|c| c.builtin_token_delay_ms = 2).await;
    let id = new_context(&server).await;
    let mut events = open_events(&server, &id, None).await;
    let snapshot = next_event(&mut events).await;
    assert_eq!(snapshot.event, "snapshot");
    assert_eq!(snapshot.data["context"]["id"], id.as_str());
    assert!(!snapshot.id.is_empty());

    post_json(&server, &format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "hello there" })).await;
    let seen = until_idle(&mut events).await;
    let states: Vec<_> =
        seen.iter().filter(|e| e.event == "state").map(|e| e.data["status"].as_str().unwrap()).collect();
    assert_eq!(states, vec!["processing", "streaming", "idle"]);
    let seqs: Vec<u64> = seen.iter().filter(|e| e.event == "delta").map(|e| e.data["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "deltas arrive in order, none missing");
    let last = seen.last().unwrap();
    assert_eq!(streamed_text(&seen), last.data["context"]["messages"][1]["content"].as_str().unwrap());
    let ids: Vec<_> = seen.iter().map(|e| e.id.clone()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "every event has its own id");
}

#[tokio::test]
async fn a_reconnect_with_last_event_id_gets_exactly_what_it_missed() {
    let server = RunningServer::start(|c| c.builtin_token_delay_ms = 5).await;
    let id = new_context(&server).await;
    let mut first = open_events(&server, &id, None).await;
    next_event(&mut first).await; // snapshot
    post_json(&server, &format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "resume me" })).await;
    // Read a few events, then drop the connection mid-reply.
    let mut before = Vec::new();
    while before.iter().filter(|e: &&common::Sse| e.event == "delta").count() < 5 {
        before.push(next_event(&mut first).await);
    }
    let last_id = before.last().unwrap().id.clone();
    drop(first);

    let mut second = open_events(&server, &id, Some(&last_id)).await;
    let after = until_idle(&mut second).await;
    assert!(after.iter().all(|e| e.event != "snapshot"), "a resume replays, it does not restart");
    let mut all = before.clone();
    all.extend(after.clone());
    let final_text = after.last().unwrap().data["context"]["messages"][1]["content"].as_str().unwrap().to_string();
    assert_eq!(streamed_text(&all), final_text, "nothing doubled, nothing missing");
}

#[tokio::test]
async fn a_stranger_event_id_gets_a_fresh_snapshot_with_the_text_so_far() {
    let server = RunningServer::start(|c| c.builtin_token_delay_ms = 5).await;
    let id = new_context(&server).await;
    post_json(&server, &format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "midway" })).await;
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    let mut events = open_events(&server, &id, Some("ffffffff-3")).await;
    let snapshot = next_event(&mut events).await;
    assert_eq!(snapshot.event, "snapshot");
    let reply = &snapshot.data["context"]["messages"][1];
    let mut text = reply["content"].as_str().unwrap_or_default().to_string();
    let seen_seq = reply["stream_seq"].as_u64().unwrap_or(0);
    let rest = until_idle(&mut events).await;
    for delta in rest.iter().filter(|e| e.event == "delta") {
        if delta.data["seq"].as_u64().unwrap() > seen_seq {
            text.push_str(delta.data["text"].as_str().unwrap());
        }
    }
    let final_text = rest.last().unwrap().data["context"]["messages"][1]["content"].as_str().unwrap();
    assert_eq!(text, final_text, "snapshot text plus later deltas is the whole reply");
}

#[tokio::test]
async fn events_of_an_unknown_context_are_404() {
    let server = RunningServer::start(|_| {}).await;
    let url = server.url(&format!("/api/contexts/{}/events", uuid::Uuid::new_v4()));
    let response = reqwest::Client::new().get(url).bearer_auth(&server.token).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn deleting_a_context_ends_its_streams() {
    let server = RunningServer::start(|_| {}).await;
    let id = new_context(&server).await;
    let mut events = open_events(&server, &id, None).await;
    next_event(&mut events).await;
    let url = server.url(&format!("/api/contexts/{id}"));
    reqwest::Client::new().delete(url).bearer_auth(&server.token).send().await.unwrap();
    let end = tokio::time::timeout(std::time::Duration::from_secs(5), futures::StreamExt::next(&mut events)).await;
    assert!(matches!(end, Ok(None)), "the stream closed");
}

#[tokio::test]
async fn shutdown_closes_streams_and_saves_the_partial_reply() {
    let mut server = RunningServer::start(|c| c.builtin_token_delay_ms = 20).await;
    let id = new_context(&server).await;
    let mut events = open_events(&server, &id, None).await;
    next_event(&mut events).await;
    post_json(&server, &format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "long reply" })).await;
    let mut deltas = 0;
    while deltas < 3 {
        if next_event(&mut events).await.event == "delta" {
            deltas += 1;
        }
    }
    let started = std::time::Instant::now();
    server.shutdown().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "shutdown is prompt");
    let end = tokio::time::timeout(std::time::Duration::from_secs(2), futures::StreamExt::next(&mut events)).await;
    assert!(matches!(end, Ok(None)), "the stream ended");
    let database_url = server.database_url();
    let store = confab_store::SqliteStore::open(&database_url).await.unwrap();
    let saved = confab_store::Conversations::load(&store, id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(saved.status(), confab_core::Status::Failed, "interrupted, ready to retry");
    let reply = saved.active_path()[1].content.clone();
    assert!(reply.split_whitespace().count() >= 3, "the partial reply was saved: {reply:?}");
}

#[tokio::test]
async fn reasoning_streams_as_its_own_events_never_as_deltas() {
    let server = RunningServer::start(|c| c.builtin_token_delay_ms = 2).await;
    let id = new_context(&server).await;
    let mut events = open_events(&server, &id, None).await;
    assert_eq!(next_event(&mut events).await.event, "snapshot");
    let send = json!({ "content": "think about the tides" });
    post_json(&server, &format!("/api/contexts/{id}/actions/send_message"), send).await;
    let seen = until_idle(&mut events).await;
    let reasoning: Vec<_> = seen.iter().filter(|e| e.event == "reasoning").collect();
    assert!(!reasoning.is_empty(), "reasoning events were sent");
    let seqs: Vec<u64> = reasoning.iter().map(|e| e.data["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "numbered on their own, from 1");
    let thought: String = reasoning.iter().map(|e| e.data["text"].as_str().unwrap()).collect();
    let reply = &seen.last().unwrap().data["context"]["messages"][1];
    assert_eq!(reply["reasoning"].as_str().unwrap(), thought);
    assert_eq!(streamed_text(&seen), reply["content"].as_str().unwrap(), "deltas carry the answer only");
    assert!(!reply["content"].as_str().unwrap().contains(&thought));
}
