//! 2. Polling: `GET /state` answered `304` (a matching `If-None-Match`) and `200` (a
//!    50-message conversation), with 500 pollers, against a bare axum handler that answers
//!    a fixed `304`, in the same run and the same conditions.
//!
//! The pollers behave like tabs: each polls on its own clock, every 100 ms (ten times the
//! fastest interval the browser uses), so together they send about 5,000 requests a second.

use std::convert::Infallible;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::StreamExt;

use crate::server::{client, free_port, Server};
use crate::stats::{Report, Sample};

const POLLERS: usize = 500;
const INTERVAL: Duration = Duration::from_millis(100);
const DURATION: Duration = Duration::from_secs(5);

/// `confab-bench baseline-server`: the cheapest possible conditional GET, and the cheapest
/// SSE stream (one event, then keep-alives), for the memory figures.
pub async fn baseline_server(port: u16) {
    async fn handler(headers: HeaderMap) -> (StatusCode, [(&'static str, &'static str); 1]) {
        let matched = headers.get("if-none-match").is_some_and(|v| v == "\"1\"");
        let status = if matched { StatusCode::NOT_MODIFIED } else { StatusCode::OK };
        (status, [("etag", "\"1\"")])
    }
    async fn events() -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
        let first = futures::stream::once(async { Ok(Event::default().event("snapshot").data("{}")) });
        Sse::new(first.chain(futures::stream::pending())).keep_alive(KeepAlive::default())
    }
    let app = axum::Router::new().route("/state", get(handler)).route("/events", get(events));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("a port for the baseline");
    axum::serve(listener, app).await.expect("the baseline serves");
}

pub struct Baseline(Child);

impl Baseline {
    /// Starts the baseline server; returns it and the URL of its `/state`.
    pub async fn start() -> (Baseline, String) {
        let port = free_port();
        let child = Command::new(std::env::current_exe().expect("this program"))
            .args(["baseline-server", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("the baseline server starts");
        let url = format!("http://127.0.0.1:{port}/state");
        let http = client();
        while http.get(&url).send().await.is_err() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (Baseline(child), url)
    }
}

impl Baseline {
    /// Resident memory of the baseline process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        crate::server::rss_kib(self.0.id())
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `POLLERS` pollers on `url` for `DURATION`; the latencies of answers with `expect`.
pub async fn poll(url: &str, token: Option<&str>, etag: Option<&str>, expect: u16) -> Sample {
    let http = client();
    let mut pollers = Vec::new();
    for n in 0..POLLERS {
        let (http, url) = (http.clone(), url.to_string());
        let (token, etag) = (token.map(str::to_string), etag.map(str::to_string));
        pollers.push(tokio::spawn(async move {
            // Spread the pollers over the interval, as tabs opened at different times are.
            tokio::time::sleep(INTERVAL * n as u32 / POLLERS as u32).await;
            let mut tick = tokio::time::interval(INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut sample = Sample::default();
            let end = Instant::now() + DURATION;
            while Instant::now() < end {
                tick.tick().await;
                let mut request = http.get(&url);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                if let Some(etag) = &etag {
                    request = request.header("if-none-match", etag);
                }
                let started = Instant::now();
                let response = request.send().await.expect("an answer");
                let status = response.status().as_u16();
                let _ = response.bytes().await;
                assert_eq!(status, expect, "unexpected status while polling");
                sample.record(started.elapsed());
            }
            sample
        }));
    }
    let mut all = Sample::default();
    for poller in pollers {
        all.merge(&poller.await.expect("a poller"));
    }
    all
}

pub async fn run(report: &mut Report, backend: &str, server: &Server, runs: usize) {
    let scenario = format!("polling ({backend})");
    let id = server.conversation(50).await;
    let state = server.http.get(server.url(&format!("/api/contexts/{id}/state"))).bearer_auth(&server.token);
    let etag = state.send().await.expect("a state").headers()["etag"].to_str().expect("an ETag").to_string();
    let url = server.url(&format!("/api/contexts/{id}/state"));
    let (_baseline, baseline_url) = Baseline::start().await;

    let (mut not_modified, mut full, mut bare) = (Sample::default(), Sample::default(), Sample::default());
    let mut ratios = Vec::new();
    for _ in 0..runs {
        let run_bare = poll(&baseline_url, None, Some("\"1\""), 304).await;
        let run_304 = poll(&url, Some(&server.token), Some(&etag), 304).await;
        let run_200 = poll(&url, Some(&server.token), None, 200).await;
        ratios.push(run_304.p95().as_secs_f64() / run_bare.p95().as_secs_f64());
        bare.merge(&run_bare);
        not_modified.merge(&run_304);
        full.merge(&run_200);
    }
    let requests = not_modified.count() + full.count();
    report.note(&scenario, "requests measured", format!("{requests} ({POLLERS} pollers, every {INTERVAL:?})"));
    report.check(
        &scenario,
        "304 with If-None-Match (median/p95/p99)",
        not_modified.summary(),
        "p95 < 2 ms",
        not_modified.p95() < Duration::from_millis(2),
    );
    report.check(
        &scenario,
        "200, 50 messages (median/p95/p99)",
        full.summary(),
        "p95 < 10 ms",
        full.p95() < Duration::from_millis(10),
    );
    report.note(&scenario, "bare axum 304 (median/p95/p99)", bare.summary());
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    report.check(&scenario, "304 p95 / bare axum p95 (median of runs)", format!("{ratio:.2}x"), "< 2x", ratio < 2.0);
}
