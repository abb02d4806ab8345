//! Patches against the server's own states: a client that applies `state?since=` answers,
//! with the browser's own patch-applying code (`app::patch`), always holds what a fresh
//! windowed state says, whatever happened in between (sends, tool calls, edits, regenerations,
//! branch switches) and however many versions it skipped.

use crate::common;

use app::patch::Held;
use app::wire::{ActionResponse, PatchDTO};
use axum::http::StatusCode;
use common::{pending_calls, TestApp};
use serde_json::{json, Value};

/// A small deterministic generator, so a failure repeats.
struct Steps(u64);

impl Steps {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

async fn windowed(app: &TestApp, id: &str, window: usize) -> ActionResponse {
    let reply = app.get(&format!("/api/contexts/{id}/state?window={window}")).await;
    serde_json::from_value(reply.body).unwrap()
}

/// Brings `held` up to date through `since=`; a whole state (the version was too old)
/// starts it again.
async fn catch_up(app: &TestApp, id: &str, window: usize, held: &mut Held) {
    let reply = app.get(&format!("/api/contexts/{id}/state?since={}&window={window}", held.version())).await;
    match reply.status {
        StatusCode::NOT_MODIFIED => {}
        StatusCode::OK if reply.body.get("base_version").is_some() => {
            let patch: PatchDTO = serde_json::from_value(reply.body).unwrap();
            held.apply(&patch).expect("a patch from the version held");
        }
        StatusCode::OK => *held = Held::from_state(&serde_json::from_value(reply.body).unwrap()),
        other => panic!("since= answered {other}: {:?}", reply.body),
    }
}

async fn act(app: &TestApp, id: &str, steps: &mut Steps) {
    let state = app.state(id).await;
    let messages = state["context"]["messages"].as_array().unwrap().clone();
    let of = |role: &str| -> Vec<Value> { messages.iter().filter(|m| m["role"] == role).cloned().collect() };
    match steps.next(6) {
        0 | 1 => {
            app.act(id, "send_message", json!({ "content": format!("message {}", steps.next(1000)) })).await;
        }
        2 => {
            app.act(id, "send_message", json!({ "content": "calc 6*7" })).await;
        }
        3 if !of("user").is_empty() => {
            let users = of("user");
            let target = &users[steps.next(users.len())];
            app.act(id, "edit_message", json!({ "message_id": target["id"], "content": "edited" })).await;
        }
        4 if !of("assistant").is_empty() => {
            let replies = of("assistant");
            let target = &replies[steps.next(replies.len())];
            app.act(id, "regenerate", json!({ "message_id": target["id"] })).await;
        }
        5 => {
            let branches = state["context"]["branches"].as_array().unwrap();
            let branch = branches[steps.next(branches.len())]["name"].clone();
            app.act(id, "switch_branch", json!({ "branch": branch })).await;
        }
        _ => {
            app.act(id, "send_message", json!({ "content": "and another" })).await;
        }
    }
    settle(app, id).await;
}

/// Waits until the conversation rests, approving any tool call on the way (an edit or a
/// regeneration of a `calc` question asks again).
async fn settle(app: &TestApp, id: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let state = app.state(id).await;
        match state["status"].as_str().unwrap() {
            "idle" => return,
            "awaiting_tool_approval" => {
                app.act(id, "approve_tools", json!({ "tool_call_ids": pending_calls(&state) })).await;
            }
            other => assert!(tokio::time::Instant::now() < deadline, "stuck {other}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn applying_patches_to_the_first_snapshot_always_gives_the_servers_window() {
    for seed in [1u64, 7, 42] {
        let app = TestApp::new().await;
        let id = app.create_context().await;
        let mut steps = Steps(seed);
        // A close follower (window 3), a wide one, and one that is often away.
        let windows = [3usize, 1000, 4];
        let mut held: Vec<Held> = Vec::new();
        for &window in &windows {
            held.push(Held::from_state(&windowed(&app, &id, window).await));
        }
        for step in 0..30 {
            act(&app, &id, &mut steps).await;
            for (n, &window) in windows.iter().enumerate() {
                if n == 2 && steps.next(3) != 0 {
                    continue; // away: catches up over several versions later
                }
                catch_up(&app, &id, window, &mut held[n]).await;
                let expected = windowed(&app, &id, window).await;
                assert_eq!(held[n].to_state(), expected, "seed {seed}, step {step}, window {window}");
            }
        }
    }
}

#[tokio::test]
async fn a_patch_is_small_in_a_long_conversation_and_nothing_changed_is_a_304() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    for n in 0..40 {
        app.act(&id, "send_message", json!({ "content": format!("question {n}") })).await;
        app.wait_for(&id, "idle").await;
    }
    let version = app.state(&id).await["context"]["version"].as_u64().unwrap();
    let same = app.get(&format!("/api/contexts/{id}/state?since={version}&window=10")).await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    app.act(&id, "send_message", json!({ "content": "one more" })).await;
    app.wait_for(&id, "idle").await;
    let reply = app.get(&format!("/api/contexts/{id}/state?since={version}&window=10")).await;
    assert!(reply.body.get("base_version").is_some(), "{:?}", reply.body);
    let upserts = reply.body["upserts"].as_array().unwrap();
    assert_eq!(upserts.len(), 2, "the new question and its reply, nothing else");
    let whole = app.get(&format!("/api/contexts/{id}/state")).await;
    assert!(reply.body.to_string().len() * 5 < whole.body.to_string().len(), "a patch is a fraction of the state");
    let ancient = app.get(&format!("/api/contexts/{id}/state?since=0&window=10")).await;
    assert!(ancient.body.get("context").is_some(), "too old a version gets the whole window");
}
