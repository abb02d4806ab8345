//! 3. Push latency: from an action to its `state` event at each of 1,000 SSE subscribers of
//!    one conversation, against the same 1,000 clients polling every second (the latency a
//!    polling-only design gives). Also used across two processes on PostgreSQL.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::{mpsc, watch, Notify};

use crate::server::{client, poll_state, Server};
use crate::stats::{ms, Report, Sample};

/// What the subscribers look for: the round's marker text, and when its action was sent.
#[derive(Clone)]
struct Round {
    number: usize,
    marker: String,
    sent: Instant,
}

/// Subscribers that report when the current round's marker reaches them.
struct Audience {
    rounds: watch::Sender<Round>,
    arrivals: mpsc::UnboundedReceiver<(usize, Duration)>,
    size: usize,
}

impl Audience {
    /// `size` SSE subscribers of `id` on `base`, each reading its stream as bytes (a tab
    /// would parse every event; these only look for the marker, to keep the load generator
    /// light next to the server).
    async fn listen(base: &str, token: &str, id: &str, size: usize) -> Audience {
        let (rounds, watching) = watch::channel(Round { number: 0, marker: String::new(), sent: Instant::now() });
        let (report, arrivals) = mpsc::unbounded_channel();
        let ready = Arc::new((AtomicUsize::new(0), Notify::new()));
        let http = client();
        for _ in 0..size {
            let request = http.get(format!("{base}/api/contexts/{id}/events")).bearer_auth(token);
            let (mut watching, report, ready) = (watching.clone(), report.clone(), ready.clone());
            tokio::spawn(async move {
                let response = request.send().await.expect("a stream");
                let mut stream = response.bytes_stream();
                let mut seen_round = 0;
                let mut tail = String::new();
                let mut counted = false;
                while let Some(Ok(chunk)) = stream.next().await {
                    if !counted {
                        counted = true;
                        ready.0.fetch_add(1, Ordering::SeqCst);
                        ready.1.notify_one();
                    }
                    tail.push_str(&String::from_utf8_lossy(&chunk));
                    let round = watching.borrow_and_update().clone();
                    if round.number > seen_round && tail.contains(&round.marker) {
                        seen_round = round.number;
                        let _ = report.send((round.number, round.sent.elapsed()));
                    }
                    // Keep only what a marker split across chunks could need.
                    if tail.len() > 4096 {
                        let cut = tail.len() - 256;
                        let cut = (cut..tail.len()).find(|&i| tail.is_char_boundary(i)).unwrap_or(tail.len());
                        tail.drain(..cut);
                    }
                }
            });
        }
        while ready.0.load(Ordering::SeqCst) < size {
            ready.1.notified().await;
        }
        Audience { rounds, arrivals, size }
    }

    /// Announces a round; returns every subscriber's latency for it (those that never got it
    /// count as the timeout).
    async fn round(
        &mut self,
        number: usize,
        send: impl std::future::Future<Output = ()>,
        marker: String,
    ) -> Vec<Duration> {
        self.rounds.send_replace(Round { number, marker, sent: Instant::now() });
        send.await;
        let mut latencies = Vec::with_capacity(self.size);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while latencies.len() < self.size {
            match tokio::time::timeout_at(deadline, self.arrivals.recv()).await {
                Ok(Some((n, latency))) if n == number => latencies.push(latency),
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        let missing = self.size - latencies.len();
        latencies.extend(std::iter::repeat_n(Duration::from_secs(10), missing));
        latencies
    }
}

/// Rounds of one action each, pushed to `subscribers` tabs of `watcher` while `actor`
/// takes the action (the same server, or another process on the same database).
pub async fn push_rounds(
    actor: &Server,
    watcher: &Server,
    id: &str,
    subscribers: usize,
    rounds: usize,
) -> (Sample, Sample) {
    let mut audience = Audience::listen(&watcher.base, &watcher.token, id, subscribers).await;
    let (mut last, mut everyone) = (Sample::default(), Sample::default());
    for number in 1..=rounds {
        let marker = format!("push-marker-{number}-{}", uuid::Uuid::new_v4().simple());
        let latencies =
            audience.round(number, async { assert_eq!(actor.send(id, &marker).await, 200) }, marker.clone()).await;
        last.record(*latencies.iter().max().expect("subscribers"));
        for latency in latencies {
            everyone.record(latency);
        }
        actor.until_idle(id).await;
    }
    (last, everyone)
}

/// The same audience polling `GET /state` every second with `If-None-Match`.
async fn polling_rounds(server: &Server, id: &str, clients: usize, rounds: usize) -> Sample {
    let (round_tx, round_rx) = watch::channel(Round { number: 0, marker: String::new(), sent: Instant::now() });
    let (report, mut arrivals) = mpsc::unbounded_channel::<(usize, Duration)>();
    let http = client();
    let url = server.url(&format!("/api/contexts/{id}/state"));
    let stop = Arc::new(Notify::new());
    for n in 0..clients {
        let (http, url, token) = (http.clone(), url.clone(), server.token.clone());
        let (round_rx, report, stop) = (round_rx.clone(), report.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1) * n as u32 / clients as u32).await;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let (mut etag, mut seen_round) = (String::new(), 0);
            loop {
                tokio::select! {
                    _ = stop.notified() => return,
                    _ = tick.tick() => {}
                }
                let Ok(Some(body)) = poll_state(&http, &url, &token, &mut etag).await else { continue };
                let round = round_rx.borrow().clone();
                if round.number > seen_round && body.contains(&round.marker) {
                    seen_round = round.number;
                    let _ = report.send((round.number, round.sent.elapsed()));
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut sample = Sample::default();
    for number in 1..=rounds {
        let marker = format!("poll-marker-{number}-{}", uuid::Uuid::new_v4().simple());
        round_tx.send_replace(Round { number, marker: marker.clone(), sent: Instant::now() });
        assert_eq!(server.send(id, &marker).await, 200);
        let mut got = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while got < clients {
            match tokio::time::timeout_at(deadline, arrivals.recv()).await {
                Ok(Some((n, latency))) if n == number => {
                    sample.record(latency);
                    got += 1;
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        server.until_idle(id).await;
    }
    stop.notify_waiters();
    sample
}

pub async fn run(report: &mut Report, server: &Server, rounds: usize) {
    let scenario = "push";
    let id = server.new_context().await;
    let (last, everyone) = push_rounds(server, server, &id, 1_000, rounds).await;
    report.check(
        scenario,
        "SSE, last of 1,000 subscribers (median/p95/p99)",
        last.summary(),
        "p95 < 50 ms",
        last.p95() < Duration::from_millis(50),
    );
    report.note(scenario, "SSE, every subscriber (median/p95/p99)", everyone.summary());
    let polled = polling_rounds(server, &id, 1_000, 3).await;
    report.note(scenario, "polling every 1 s, 1,000 clients (median/p95/max)", {
        format!("{} / {} / {}", ms(polled.median()), ms(polled.p95()), ms(polled.quantile(1.0)))
    });
}
