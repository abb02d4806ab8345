//! Faults: the server killed or stopped while twenty clients send and replies stream, the
//! database locked by someone else, clients that vanish mid-request or stop reading. Nothing
//! a client was told is saved may be lost or doubled, nothing may stay stuck, and the server
//! must recover by itself.

use crate::common;

use std::time::{Duration, Instant};

use common::client::{is_busy, messages_of, status, user_messages, ApiClient};
use common::process::Confab;
use common::{open_events, RunningServer};
use futures::StreamExt;
use serde_json::json;
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

const CLIENTS: usize = 20;

/// What one client sent: the messages the server acknowledged with a 2xx, and the one whose
/// answer never came (the server went away while it was in flight).
#[derive(Debug, Default)]
struct Sent {
    context: String,
    acknowledged: Vec<String>,
    unanswered: Option<(String, String)>,
    server_errors: usize,
}

/// Sends one message after another into `context` (each once the previous reply is done),
/// until told to stop or the server goes away.
async fn keep_sending(api: ApiClient, context: String, client: usize, mut stop: watch::Receiver<bool>) -> Sent {
    let mut sent = Sent { context: context.clone(), ..Sent::default() };
    for n in 0.. {
        // Wait for the previous reply; a gone server ends the run.
        loop {
            if *stop.borrow() {
                return sent;
            }
            let (code, state) = api.get(&format!("/api/contexts/{context}/state")).await;
            if code != 200 {
                return sent;
            }
            if !is_busy(&state) && status(&state) != "awaiting_tool_approval" {
                break;
            }
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(5)) => {}
            }
        }
        let content = format!("client {client} says hello number {n}");
        let action_id = uuid::Uuid::new_v4().to_string();
        match api.send_message(&context, &content, &action_id).await {
            (200..=299, _) => sent.acknowledged.push(content),
            (409, _) => continue,
            (0, _) => {
                sent.unanswered = Some((action_id, content));
                return sent;
            }
            (code, body) => {
                assert!(code < 500 || code == 503, "unexpected {code}: {body}");
                if code >= 500 {
                    sent.server_errors += 1;
                }
            }
        }
    }
    sent
}

/// Starts the twenty clients, each on a conversation of its own.
async fn start_clients(confab: &Confab) -> (watch::Sender<bool>, Vec<tokio::task::JoinHandle<Sent>>) {
    let (stop, stopped) = watch::channel(false);
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let context = confab.new_context().await;
        clients.push(tokio::spawn(keep_sending(confab.client(), context, client, stopped.clone())));
    }
    (stop, clients)
}

/// Lets the clients run for a while, replies streaming, before the fault.
async fn let_them_run(confab: &Confab) {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (code, list) = confab.get("/api/contexts").await;
    assert_eq!(code, 200);
    assert_eq!(list.as_array().unwrap().len(), CLIENTS);
}

async fn collect(stop: watch::Sender<bool>, clients: Vec<tokio::task::JoinHandle<Sent>>) -> Vec<Sent> {
    let _ = stop.send(true);
    let mut all = Vec::new();
    for client in clients {
        all.push(client.await.unwrap());
    }
    all
}

/// After the restart: every acknowledged message is there exactly once, nothing is stuck,
/// and an unanswered send retried with its action id lands exactly once.
async fn check_nothing_lost(confab: &Confab, sent: &[Sent]) {
    let acknowledged: usize = sent.iter().map(|s| s.acknowledged.len()).sum();
    assert!(acknowledged >= CLIENTS, "the clients got going before the fault: {acknowledged} sends");
    for client in sent {
        let state = confab.state(&client.context).await;
        assert!(!is_busy(&state), "stuck after the restart: {state:#}");
        let stored = user_messages(&state);
        for message in &client.acknowledged {
            let copies = stored.iter().filter(|m| *m == message).count();
            assert_eq!(copies, 1, "{message:?} is there {copies} times");
        }
        let mut unique = stored.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), stored.len(), "no message doubled: {stored:?}");
        assert_eq!(client.server_errors, 0, "no 5xx");

        if let Some((action_id, content)) = &client.unanswered {
            let (code, body) = confab.send_message(&client.context, content, action_id).await;
            assert_eq!(code, 200, "the retry of an unanswered send is accepted: {body}");
            let state = confab.state(&client.context).await;
            let copies = user_messages(&state).iter().filter(|m| *m == content).count();
            assert_eq!(copies, 1, "a retried send lands exactly once");
        }
    }
    println!("{acknowledged} acknowledged sends from {CLIENTS} clients, all there once after the restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_twenty_clients_send_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 3).await;
    let (stop, clients) = start_clients(&confab).await;
    let_them_run(&confab).await;
    confab.kill();
    let sent = collect(stop, clients).await;

    let confab = Confab::start(dir.path(), 0).await;
    check_nothing_lost(&confab, &sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_twenty_clients_send_also_keeps_every_partial_reply() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 3).await;
    let (stop, clients) = start_clients(&confab).await;
    let_them_run(&confab).await;
    // What every tab has seen of each reply just before the signal.
    let mut seen = Vec::new();
    for context in confab.get("/api/contexts").await.1.as_array().unwrap() {
        seen.push(confab.state(context["id"].as_str().unwrap()).await);
    }
    let exit = confab.terminate();
    assert!(exit.success(), "{exit:?}");
    let sent = collect(stop, clients).await;

    let confab = Confab::start(dir.path(), 0).await;
    check_nothing_lost(&confab, &sent).await;
    let mut partial = 0;
    for before in &seen {
        let id = before["context"]["id"].as_str().unwrap();
        let (code, after) = confab.get(&format!("/api/contexts/{id}")).await;
        assert_eq!(code, 200);
        let stored = after["messages"].as_array().unwrap();
        for reply in messages_of(before, "assistant") {
            let kept = stored.iter().find(|m| m["id"] == reply["id"]).expect("every reply seen is kept");
            let (seen_text, kept_text) = (reply["content"].as_str().unwrap(), kept["content"].as_str().unwrap());
            assert!(kept_text.starts_with(seen_text), "no streamed text lost: {kept_text:?} vs {seen_text:?}");
            if reply["complete"] == false {
                partial += 1;
            }
        }
    }
    println!("{partial} replies were mid-stream at SIGTERM; all kept their text");
}

/// Holds SQLite's write lock from another connection, as a backup tool or a second program
/// would.
async fn lock_database(server: &RunningServer) -> sqlx::SqliteConnection {
    let mut other = sqlx::SqliteConnection::connect(&server.database_url()).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();
    other
}

async fn health(api: &ApiClient) -> u16 {
    api.http().get(api.url("/healthz")).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_locked_database_answers_503_changes_nothing_and_recovers_by_itself() {
    let server = RunningServer::start(|_| {}).await;
    let api = server.client();
    let id = api.new_context().await;
    let (code, _) = api.send_message(&id, "before the lock", "a1").await;
    assert_eq!(code, 200);
    let before = api.wait_for(&id, |s| status(s) == "idle").await;

    let mut other = lock_database(&server).await;
    let (code, body) = api.send_message(&id, "while locked", "a2").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["error"]["code"], "storage_unavailable");
    assert_eq!(health(&api).await, 503, "the health check says so");
    let during = api.state(&id).await;
    assert_eq!(during["context"], before["context"], "nothing half-written is visible");

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    assert_eq!(health(&api).await, 200);
    let (code, body) = api.send_message(&id, "after the lock", "a3").await;
    assert_eq!(code, 200, "{body}");
    let after = api.wait_for(&id, |s| status(s) == "idle").await;
    assert_eq!(user_messages(&after), ["before the lock", "after the lock"]);
}

#[tokio::test]
async fn a_client_that_disconnects_mid_request_leaves_nothing_locked_or_stuck() {
    let server = RunningServer::start(|_| {}).await;
    let api = server.client();
    let id = api.new_context().await;
    // The save will wait for the lock, and the client will not wait for the save.
    let mut other = lock_database(&server).await;
    let impatient = api
        .http()
        .post(api.url(&format!("/api/contexts/{id}/actions/send_message")))
        .bearer_auth(&api.token)
        .json(&json!({ "content": "sent and abandoned", "client_action_id": "gone-1" }))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(impatient.is_err(), "the client gave up first");
    tokio::time::sleep(Duration::from_millis(200)).await;
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();

    // The action was carried through without its client: saved, answered, unlocked.
    let done = api.wait_for(&id, |s| status(s) == "idle" && messages_of(s, "assistant").len() == 1).await;
    assert_eq!(user_messages(&done), ["sent and abandoned"]);
    let (code, body) = api.send_message(&id, "and the next one", "gone-2").await;
    assert_eq!(code, 200, "the context is not locked: {body}");
    // The abandoned action's id still answers with its original result, without a copy.
    let (code, _) = api.send_message(&id, "sent and abandoned", "gone-1").await;
    assert_eq!(code, 200);
    let after = api.wait_for(&id, |s| status(s) == "idle").await;
    assert_eq!(user_messages(&after), ["sent and abandoned", "and the next one"]);
}

/// Opens the event stream on a raw socket, to then not read it.
async fn stalled_reader(server: &RunningServer, id: &str) -> tokio::net::TcpStream {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /api/contexts/{id}/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Accept: text/event-stream\r\n\r\n",
        server.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_reading_is_dropped_and_slows_nobody() {
    let server = RunningServer::start(|config| config.write_timeout_secs = 1).await;
    let api = server.client();
    let id = api.new_context().await;
    let mut stalled = stalled_reader(&server, &id).await;
    let mut live = open_events(&server, &id, None).await;

    // Enough traffic to fill every buffer between the server and the stalled reader: each
    // `state` event carries the whole, growing conversation.
    let rounds = 150;
    let started = Instant::now();
    for n in 0..rounds {
        let (code, body) =
            api.send_message(&id, &format!("message {n} {}", "padding ".repeat(100)), &format!("s{n}")).await;
        assert_eq!(code, 200, "{body}");
        // The live reader sees this round through to its end, however stuck the other is.
        loop {
            let event = tokio::time::timeout(Duration::from_secs(10), live.next())
                .await
                .expect("the live reader keeps getting events")
                .expect("the live stream stays open");
            if event.event == "state" && status(&event.data) == "idle" && user_messages(&event.data).len() == n + 1 {
                break;
            }
        }
    }
    println!("{rounds} rounds reached the live reader in {:?}", started.elapsed());

    // The stalled connection was closed: once we drain what the buffers held, it ends.
    let drained = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buffer = vec![0u8; 64 * 1024];
        let mut total = 0usize;
        loop {
            match stalled.read(&mut buffer).await {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    })
    .await
    .expect("the server dropped the reader that stopped reading");
    println!("the stalled reader was cut off after {drained} bytes");
}
