//! A bounded soak run: 200 SSE subscribers and 20 senders against one server process, the
//! built-in model at full speed, for 60 s (`SOAK_SECS` changes that). Every acknowledged
//! message must be stored once and reach every subscriber of its conversation, and no
//! request may fail with a 5xx. Memory is printed: at the start, at its peak, and after the
//! clients have left and the idle conversations were unloaded.

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::client::{is_busy, user_messages, ApiClient};
use common::process::Confab;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::watch;

const SENDERS: usize = 20;
const SUBSCRIBERS_PER_CONTEXT: usize = 10;

#[derive(Default)]
struct Tally {
    acknowledged: AtomicUsize,
    refused_busy: AtomicUsize,
    server_errors: AtomicUsize,
    events: AtomicUsize,
    stream_failures: AtomicUsize,
}

/// Sends into `context` one message after another until told to stop.
async fn sender(
    api: ApiClient,
    context: String,
    n: usize,
    tally: Arc<Tally>,
    stop: watch::Receiver<bool>,
) -> Vec<String> {
    let mut acknowledged = Vec::new();
    let mut count = 0;
    while !*stop.borrow() {
        let (code, state) = api.get(&format!("/api/contexts/{context}/state")).await;
        if code >= 500 || code == 0 {
            tally.server_errors.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if is_busy(&state) {
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        let content = format!("sender {n} message {count}");
        count += 1;
        match api.send_message(&context, &content, &uuid::Uuid::new_v4().to_string()).await {
            (200..=299, _) => {
                tally.acknowledged.fetch_add(1, Ordering::Relaxed);
                acknowledged.push(content);
            }
            (409, _) => {
                tally.refused_busy.fetch_add(1, Ordering::Relaxed);
            }
            (code, body) => {
                assert!(code == 0 || code >= 500, "a client error in the soak: {code} {body}");
                tally.server_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    acknowledged
}

/// Listens to `context`, keeps the latest full state it was sent and reports its version.
async fn subscriber(
    api: ApiClient,
    context: String,
    tally: Arc<Tally>,
    seen: watch::Sender<u64>,
    mut stop: watch::Receiver<bool>,
) -> Value {
    let response = api
        .http()
        .get(api.url(&format!("/api/contexts/{context}/events")))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut events = response.bytes_stream().eventsource();
    let mut latest = Value::Null;
    loop {
        let next = tokio::select! {
            _ = stop.changed() => return latest,
            next = events.next() => next,
        };
        match next {
            Some(Ok(event)) => {
                tally.events.fetch_add(1, Ordering::Relaxed);
                if event.event == "snapshot" || event.event == "state" {
                    let state: Value = serde_json::from_str(&event.data).unwrap();
                    let version = state["context"]["version"].as_u64().unwrap_or(0);
                    if version >= latest["context"]["version"].as_u64().unwrap_or(0) {
                        latest = state;
                        seen.send_replace(version);
                    }
                }
            }
            _ => {
                tally.stream_failures.fetch_add(1, Ordering::Relaxed);
                return latest;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_subscribers_and_twenty_senders_lose_nothing() {
    let seconds: u64 = std::env::var("SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/confab.db", dir.path().display());
    let confab = Confab::start_with(&url, &["--builtin-token-delay-ms", "0", "--unload-idle-secs", "2"]).await;
    let rss_start = confab.rss_kib();
    let tally = Arc::new(Tally::default());
    let (stop_senders, senders_stopped) = watch::channel(false);
    let (stop_listeners, listeners_stopped) = watch::channel(false);

    let mut contexts = Vec::new();
    let mut listeners = Vec::new();
    for _ in 0..SENDERS {
        let context = confab.new_context().await;
        for _ in 0..SUBSCRIBERS_PER_CONTEXT {
            let (seen, progress) = watch::channel(0);
            let task = subscriber(confab.client(), context.clone(), tally.clone(), seen, listeners_stopped.clone());
            listeners.push((context.clone(), progress, tokio::spawn(task)));
        }
        contexts.push(context);
    }
    let senders: Vec<_> = contexts
        .iter()
        .enumerate()
        .map(|(n, context)| {
            let task = sender(confab.client(), context.clone(), n, tally.clone(), senders_stopped.clone());
            tokio::spawn(task)
        })
        .collect();

    let started = Instant::now();
    let mut rss_peak = rss_start;
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss_peak = rss_peak.max(confab.rss_kib());
    }
    let _ = stop_senders.send(true);
    let mut sent: HashMap<String, Vec<String>> = HashMap::new();
    for (context, task) in contexts.iter().zip(senders) {
        sent.insert(context.clone(), task.await.unwrap());
    }

    // Every acknowledged message is stored exactly once, and the conversations settle.
    let mut stored = HashMap::new();
    for context in &contexts {
        let state = confab.wait_for(context, |s| !is_busy(s)).await;
        let messages = user_messages(&state);
        assert_eq!(messages, sent[context], "stored exactly what was acknowledged, in order, once");
        stored.insert(context.clone(), state);
    }
    // Every subscriber gets there too: its latest state is the final one.
    let deadline = Instant::now() + Duration::from_secs(60);
    for (context, progress, _) in &mut listeners {
        let last = stored[context]["context"]["version"].as_u64().unwrap();
        let caught_up = tokio::time::timeout_at(deadline.into(), progress.wait_for(|v| *v >= last)).await;
        if caught_up.is_err() {
            break;
        }
    }
    let _ = stop_listeners.send(true);
    let mut behind = 0;
    for (context, _, task) in listeners {
        let latest = task.await.unwrap();
        if latest["context"]["version"] != stored[&context]["context"]["version"]
            || user_messages(&latest) != sent[&context]
        {
            behind += 1;
        }
    }

    // Clients gone: the idle conversations unload and memory comes back down.
    let left = Instant::now();
    tokio::time::sleep(Duration::from_secs(15)).await;
    let rss_after = confab.rss_kib();
    let caught_up_in = started.elapsed() - Duration::from_secs(seconds) - (Instant::now() - left);
    let acknowledged = tally.acknowledged.load(Ordering::Relaxed);
    println!(
        "soak {seconds} s: {acknowledged} messages acknowledged ({:.0}/s), {} refused as busy, {} 5xx, \
         {} events delivered to {} subscribers, {} streams failed, {behind} subscribers behind \
         (the rest caught up {caught_up_in:?} after the senders stopped)",
        acknowledged as f64 / seconds as f64,
        tally.refused_busy.load(Ordering::Relaxed),
        tally.server_errors.load(Ordering::Relaxed),
        tally.events.load(Ordering::Relaxed),
        SENDERS * SUBSCRIBERS_PER_CONTEXT,
        tally.stream_failures.load(Ordering::Relaxed),
    );
    println!(
        "memory: {} MiB at the start, {} MiB at the peak, {} MiB after the clients left",
        rss_start / 1024,
        rss_peak / 1024,
        rss_after / 1024
    );
    assert!(acknowledged > SENDERS, "the soak did real work");
    assert_eq!(tally.server_errors.load(Ordering::Relaxed), 0, "no 5xx and no dropped request");
    assert_eq!(tally.stream_failures.load(Ordering::Relaxed), 0, "no stream broke");
    assert_eq!(behind, 0, "every subscriber saw every message");
}
