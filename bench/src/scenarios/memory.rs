//! 6. Memory and start: resident memory of an idle server, per idle SSE connection with
//!    15,000 open (a process may hold 20,000 files here), and the time from start to a
//!    healthy `/healthz` on an existing database.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::scenarios::polling::Baseline;
use crate::server::{Launch, Server};
use crate::stats::{kib, Report, Sample};

const CONNECTIONS: usize = 15_000;
/// Connections being opened at once.
const OPENING: usize = 250;

/// An SSE connection read up to its first event, then left idle.
async fn idle_stream(addr: String, request: String) -> TcpStream {
    let mut stream = TcpStream::connect(&addr).await.expect("a connection");
    stream.write_all(request.as_bytes()).await.expect("the request goes out");
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("event: snapshot") {
        let n = stream.read(&mut buffer).await.expect("the stream answers");
        assert!(n > 0, "the stream closed: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buffer[..n]);
    }
    stream
}

pub async fn run(report: &mut Report, launch: &Launch) {
    let scenario = "memory and start";
    let (server, _) = launch.start().await;
    // A database with something in it, as a restart would find it.
    for _ in 0..20 {
        server.conversation(10).await;
    }
    let id = server.new_context().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = server.rss_kib();
    report.check(scenario, "resident memory, idle server", kib(idle * 1024), "< 50 MiB", idle < 50 * 1024);

    let addr = server.base.trim_start_matches("http://").to_string();
    let request = format!(
        "GET /api/contexts/{id}/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\r\n",
        server.token
    );
    let streams = open_streams(&addr, &request).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let loaded = server.rss_kib();
    let per_connection = (loaded.saturating_sub(idle) * 1024) / CONNECTIONS as u64;
    report.note(scenario, "resident memory, 15,000 idle SSE connections", kib(loaded * 1024));
    report.check(scenario, "per idle SSE connection", kib(per_connection), "< 10 KiB", per_connection < 10 * 1024);
    drop(streams);

    // The same against a bare axum SSE handler: what the HTTP stack alone costs.
    let (baseline, state_url) = Baseline::start().await;
    let addr = state_url.trim_start_matches("http://").trim_end_matches("/state").to_string();
    let before = baseline.rss_kib();
    let streams = open_streams(&addr, &format!("GET /events HTTP/1.1\r\nHost: {addr}\r\n\r\n")).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let per_bare = (baseline.rss_kib().saturating_sub(before) * 1024) / CONNECTIONS as u64;
    report.note(scenario, "per idle SSE connection, bare `axum::serve` (system allocator)", kib(per_bare));
    drop(streams);
    restarts(report, scenario, server, launch).await;
}

async fn open_streams(addr: &str, request: &str) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(CONNECTIONS);
    while streams.len() < CONNECTIONS {
        let batch = (CONNECTIONS - streams.len()).min(OPENING);
        let opening = (0..batch).map(|_| tokio::spawn(idle_stream(addr.to_string(), request.to_string())));
        for stream in futures::future::join_all(opening).await {
            streams.push(stream.expect("a connection"));
        }
    }
    streams
}

async fn restarts(report: &mut Report, scenario: &str, server: Server, launch: &Launch) {
    server.stop();
    let mut sample = Sample::default();
    for _ in 0..5 {
        let (server, healthy) = launch.start().await;
        sample.record(healthy);
        server.stop();
    }
    report.check(
        scenario,
        "start to healthy on an existing database (median/p95/p99)",
        sample.summary(),
        "< 1 s",
        sample.p95() < Duration::from_secs(1),
    );
}
