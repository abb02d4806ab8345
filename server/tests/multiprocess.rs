//! Two `confab` processes on one PostgreSQL database: every tab is live whichever process it
//! talks to, actions from both are serialized per context with no update lost, and when the
//! process running a reply dies, the other one recovers the conversation. Run through
//! `scripts/with-postgres.sh` (the test command does); skipped without PostgreSQL.

use crate::common;

use std::time::{Duration, Instant};

use common::client::{is_busy, messages_of, status, user_messages, SseStream};
use common::process::Confab;
use futures::StreamExt;
use serde_json::{json, Value};

/// Two processes on a fresh database, with the built-in model `delay_ms` between tokens.
async fn two_processes(delay_ms: u64, extra: &[&str]) -> Option<(Confab, Confab)> {
    let url = confab_store::testsuite::postgres_database().await?;
    let delay = delay_ms.to_string();
    let mut args = vec!["--builtin-token-delay-ms", delay.as_str()];
    args.extend_from_slice(extra);
    let a = Confab::start_with(&url, &args).await;
    let b = Confab::start_with(&url, &args).await;
    Some((a, b))
}

/// The next event, failing the test after 10 s.
async fn next(events: &mut SseStream) -> common::Sse {
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event within 10 s")
        .expect("the stream stays open")
}

/// Whether an event carries the whole state: a transition, or the snapshot a tab that fell
/// behind gets instead of the events it missed.
fn is_state(event: &common::Sse) -> bool {
    matches!(event.event.as_str(), "state" | "snapshot")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_on_one_process_sees_what_happens_through_the_other() {
    let Some((a, b)) = two_processes(0, &[]).await else { return };
    let id = a.new_context().await;
    let mut on_b = b.events(&id, None).await;
    assert_eq!(next(&mut on_b).await.event, "snapshot");

    let mut latencies = Vec::new();
    for n in 0..10 {
        let content = format!("message {n} through A");
        let started = Instant::now();
        let (code, body) = a.send_message(&id, &content, &format!("m{n}")).await;
        assert_eq!(code, 200, "{body}");
        // The tab on B sees the message, then the whole reply A generates. B reloads what
        // the store holds when a notice comes, so one state may already carry both.
        let mut seen_message = false;
        loop {
            let event = next(&mut on_b).await;
            if !is_state(&event) || !user_messages(&event.data).contains(&content) {
                continue;
            }
            if !seen_message {
                latencies.push(started.elapsed());
                seen_message = true;
            }
            if status(&event.data) == "idle" {
                assert_eq!(messages_of(&event.data, "assistant").len(), n + 1);
                break;
            }
        }
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    println!("from A's answer to B's tab: median {median:?}, slowest {:?}", latencies.last().unwrap());
    assert!(median < Duration::from_millis(100), "median {median:?}: {latencies:?}");
    assert_eq!(b.state(&id).await["context"], a.state(&id).await["context"], "both processes agree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_generated_by_one_process_streams_to_a_tab_on_the_other() {
    let Some((a, b)) = two_processes(20, &[]).await else { return };
    let id = a.new_context().await;
    let mut on_b = b.events(&id, None).await;
    assert_eq!(next(&mut on_b).await.event, "snapshot");
    a.send_message(&id, "stream to the other process", "s1").await;
    let mut streamed = String::new();
    let mut last_seq = 0;
    let reply = loop {
        let event = next(&mut on_b).await;
        match event.event.as_str() {
            "delta" => {
                let seq = event.data["seq"].as_u64().unwrap();
                if seq == last_seq + 1 {
                    streamed.push_str(event.data["text"].as_str().unwrap());
                    last_seq = seq;
                }
            }
            _ if is_state(&event) && status(&event.data) == "idle" => break event.data,
            _ => {}
        }
    };
    let text = messages_of(&reply, "assistant")[0]["content"].as_str().unwrap().to_string();
    assert!(last_seq > 10, "B relayed A's deltas as they came ({last_seq})");
    assert!(text.starts_with(&streamed), "the relayed pieces are the reply, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_through_both_processes_lose_and_double_nothing() {
    let Some((a, b)) = two_processes(0, &[]).await else { return };
    let id = a.new_context().await;
    let mut accepted = Vec::new();
    for round in 0..3 {
        let mut sends = Vec::new();
        for n in 0..20 {
            let api = if n % 2 == 0 { a.client() } else { b.client() };
            let (id, content) = (id.clone(), format!("round {round} sender {n}"));
            sends.push(tokio::spawn(async move {
                let (code, body) = api.send_message(&id, &content, &format!("r{round}-{n}")).await;
                (code, body, content)
            }));
        }
        for send in sends {
            let (code, body, content) = send.await.unwrap();
            match code {
                200 => accepted.push(content),
                409 => {}
                _ => panic!("only 2xx or 409: {code} {body}"),
            }
        }
        a.wait_for(&id, |s| !is_busy(s)).await;
    }
    let final_state = b.wait_for(&id, |s| !is_busy(s)).await;
    let stored = user_messages(&final_state);
    let mut expected = accepted.clone();
    expected.sort();
    let mut found = stored.clone();
    found.sort();
    assert_eq!(found, expected, "exactly one stored message per 2xx");
    assert!(accepted.len() >= 3, "each round let at least one through");
    println!("{} of 60 concurrent sends accepted, each stored once", accepted.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_through_one_process_stops_the_reply_the_other_writes() {
    let Some((a, b)) = two_processes(30, &[]).await else { return };
    let id = a.new_context().await;
    a.send_message(&id, "a long reply to interrupt", "c1").await;
    a.wait_for(&id, |s| messages_of(s, "assistant").first().is_some_and(|m| m["content"].as_str().unwrap().len() > 20))
        .await;
    let (code, body) = b.post(&format!("/api/contexts/{id}/actions/cancel"), json!({})).await;
    assert_eq!(code, 200, "{body}");
    // Titled too: the title is saved on its own, and could land between the two reads.
    let stopped = a.wait_for(&id, |s| status(s) == "idle" && s["context"]["title"] != confab_core::DEFAULT_TITLE).await;
    let reply = &messages_of(&stopped, "assistant")[0];
    assert_eq!(reply["stop_reason"], "cancelled");
    // A stopped writing: the reply stays as it was cut.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = b.state(&id).await;
    assert_eq!(messages_of(&later, "assistant")[0]["content"], reply["content"]);
    assert_eq!(later["context"]["version"], stopped["context"]["version"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_set_through_one_process_holds_in_the_other_at_once() {
    let Some((a, b)) = two_processes(0, &[]).await else { return };
    let (code, body) = a.put("/api/tools/calculator/policy", json!({ "policy": "always" })).await;
    assert_eq!(code, 200, "{body}");
    let id = b.new_context().await;
    b.send_message(&id, "calc 20+22", "p1").await;
    // Run without a card: the conversation never waits for a person.
    let done = b.wait_for(&id, |s| status(s) == "idle" || status(s) == "awaiting_tool_approval").await;
    assert_eq!(status(&done), "idle", "{done:#}");
    assert!(messages_of(&done, "assistant").last().unwrap()["content"].as_str().unwrap().contains("42"), "{done:#}");

    let (code, body) = b.put("/api/tools/calculator/policy", json!({ "policy": "ask" })).await;
    assert_eq!(code, 200, "{body}");
    // B may still be letting go of the conversation it just finished: A answers 409 until it
    // has, and a client sends again (the same action id, so it counts once).
    let mut tries = 0;
    loop {
        let (code, body) = a.send_message(&id, "calc 1+1", "p2").await;
        if code == 200 {
            break;
        }
        tries += 1;
        assert!(code == 409 && tries < 100, "{code}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waiting = a.wait_for(&id, |s| status(s) == "idle" || status(s) == "awaiting_tool_approval").await;
    assert_eq!(status(&waiting), "awaiting_tool_approval", "revoked in B, asked in A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_process_writing_a_reply_dies_the_other_recovers_the_conversation() {
    let Some((a, b)) = two_processes(40, &["--lease-secs", "2"]).await else { return };
    let id = a.new_context().await;
    a.send_message(&id, "a reply that will be cut short", "k1").await;
    let partial = |s: &Value| {
        messages_of(s, "assistant").first().is_some_and(|m| m["content"].as_str().unwrap().split(' ').count() > 8)
    };
    a.wait_for(&id, partial).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // a save of the partial text
    a.kill();

    // B takes over once A's lease has expired: not stuck, the partial text kept, retry works.
    let started = Instant::now();
    let recovered = b.wait_for(&id, |s| status(s) == "failed").await;
    println!("recovered by the other process after {:?}", started.elapsed());
    let cut = &messages_of(&recovered, "assistant")[0];
    assert_eq!(cut["stop_reason"], "interrupted");
    assert!(!cut["content"].as_str().unwrap().is_empty());
    let (code, body) = b.post(&format!("/api/contexts/{id}/actions/retry"), json!({})).await;
    assert_eq!(code, 200, "{body}");
    let done = b.wait_for(&id, |s| status(s) == "idle").await;
    assert!(messages_of(&done, "assistant").last().unwrap()["content"].as_str().unwrap().contains("cut short"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_postgres_unreachable_actions_answer_503_and_the_server_recovers_by_itself() {
    use sqlx::Connection;
    let Some(url) = confab_store::testsuite::postgres_database().await else { return };
    let a = Confab::start_with(&url, &["--builtin-token-delay-ms", "0"]).await;
    let id = a.new_context().await;
    assert_eq!(a.send_message(&id, "before the outage", "o1").await.0, 200);
    let before = a.wait_for(&id, |s| status(s) == "idle").await;

    // The database stops taking connections and drops the ones it has, as in an outage.
    let database = url.rsplit_once('/').unwrap().1.to_string();
    let admin_url = std::env::var("CONFAB_TEST_POSTGRES_URL").unwrap();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS false")).execute(&mut admin).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&database)
        .execute(&mut admin)
        .await
        .unwrap();

    let health = |confab: &Confab| {
        let request = confab.http().get(confab.url("/healthz"));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let (code, body) = a.send_message(&id, "during the outage", "o2").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["error"]["code"], "storage_unavailable");
    assert_eq!(health(&a).await, 503);

    sqlx::query(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true")).execute(&mut admin).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while health(&a).await != 200 {
        assert!(Instant::now() < deadline, "the server never recovered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let during = a.state(&id).await;
    assert_eq!(during["context"]["messages"], before["context"]["messages"], "nothing half-written");
    assert_eq!(a.send_message(&id, "after the outage", "o3").await.0, 200);
    let after = a.wait_for(&id, |s| status(s) == "idle").await;
    assert_eq!(user_messages(&after), ["before the outage", "after the outage"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reasoning_one_process_streams_reaches_a_tab_on_the_other() {
    let Some((a, b)) = two_processes(20, &[]).await else { return };
    let id = a.new_context().await;
    let mut on_b = b.events(&id, None).await;
    assert_eq!(next(&mut on_b).await.event, "snapshot");
    a.send_message(&id, "think about the other process", "r1").await;
    let mut thought = String::new();
    let mut last_seq = 0;
    let reply = loop {
        let event = next(&mut on_b).await;
        match event.event.as_str() {
            "reasoning" => {
                let seq = event.data["seq"].as_u64().unwrap();
                if seq == last_seq + 1 {
                    thought.push_str(event.data["text"].as_str().unwrap());
                    last_seq = seq;
                }
            }
            _ if is_state(&event) && status(&event.data) == "idle" => break event.data,
            _ => {}
        }
    };
    let saved = messages_of(&reply, "assistant")[0]["reasoning"].as_str().unwrap().to_string();
    assert!(last_seq > 3, "B relayed A's reasoning as it came ({last_seq})");
    assert!(saved.starts_with(&thought) && !thought.is_empty(), "{thought:?} / {saved:?}");
}

/// Uploads `bytes` as `name` through `server`; the file's JSON.
async fn upload(server: &Confab, name: &str, bytes: &[u8]) -> Value {
    let boundary = "multiprocess-boundary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = server
        .http()
        .post(server.url("/api/attachments"))
        .bearer_auth(&server.token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

async fn fetch_file(server: &Confab, id: &str) -> (u16, Vec<u8>) {
    let response = server
        .http()
        .get(server.url(&format!("/api/attachments/{id}")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_uploaded_through_one_process_is_sent_read_and_deleted_through_the_other() {
    let Some((a, b)) = two_processes(0, &[]).await else { return };
    let notes = b"line one\nline two\n".repeat(2000);
    let file = upload(&a, "notes.txt", &notes).await;
    let file_id = file["id"].as_str().unwrap();
    assert_eq!(fetch_file(&b, file_id).await, (200, notes.clone()), "B serves what A stored");

    let id = b.new_context().await;
    let (code, body) = b
        .post(
            &format!("/api/contexts/{id}/actions/send_message"),
            json!({ "content": "read this", "attachment_ids": [file_id] }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let state = a.wait_for(&id, |state| status(state) == "idle").await;
    let sent = &messages_of(&state, "user")[0]["attachments"][0];
    assert_eq!(sent["name"], "notes.txt", "A's copy of the conversation lists the file");
    let reply = messages_of(&state, "assistant")[0]["content"].as_str().unwrap().to_string();
    assert!(reply.contains("notes.txt (a text file, 35.2 KiB)"), "{reply}");

    let deleted = a.http().delete(a.url(&format!("/api/contexts/{id}"))).bearer_auth(&a.token).send().await.unwrap();
    assert!(deleted.status().is_success());
    assert_eq!(fetch_file(&b, file_id).await.0, 404, "deleted through A, gone for B");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_disabled_through_one_process_is_shut_out_of_the_other_at_once() {
    let Some((a, b)) = two_processes(0, &[]).await else { return };
    // Bob works through B: signed in, with a personal token, a stream open, all cached there.
    let anonymous = common::client::ApiClient::new(b.base.clone(), "");
    let credentials = json!({ "username": "bob", "password": "correct horse battery" });
    let (code, signed) = anonymous.post("/api/auth/register", credentials).await;
    assert_eq!(code, 201, "{signed}");
    let bob = common::client::ApiClient::new(b.base.clone(), signed["token"].as_str().unwrap());
    let (code, created) = bob.post("/api/tokens", json!({ "name": "script" })).await;
    assert_eq!(code, 201, "{created}");
    let script = common::client::ApiClient::new(b.base.clone(), created["token"].as_str().unwrap());
    for client in [&bob, &script] {
        assert_eq!(client.get("/api/auth/me").await.0, 200);
    }
    let chat = bob.new_context().await;
    let mut stream = bob.events(&chat, None).await;
    assert_eq!(next(&mut stream).await.event, "snapshot");

    // The administrator (the first account, through A) disables him.
    let bob_id = signed["user"]["id"].as_str().unwrap();
    let response = a
        .http()
        .patch(a.url(&format!("/api/admin/users/{bob_id}")))
        .bearer_auth(&a.token)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // B hears it over the notice channel: the stream ends (not at a cache expiry), and the
    // session and the token are refused on their next request there.
    let ended = tokio::time::timeout(Duration::from_secs(10), async { while stream.next().await.is_some() {} });
    ended.await.expect("the stream on the other process ends as soon as it hears");
    for client in [&bob, &script] {
        assert_eq!(client.get("/api/auth/me").await.0, 401);
    }
    let (code, _) =
        anonymous.post("/api/auth/login", json!({ "username": "bob", "password": "correct horse battery" })).await;
    assert_eq!(code, 403, "nor can he sign in again there");
}
