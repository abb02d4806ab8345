//! 4. Action latency: `send_message` to its 2xx, with 50 senders at once on conversations of
//!    their own. The target is measured with the built-in model at its default pace; a second
//!    figure, with replies at full speed (0 ms a token), shows the same while 50 generations
//!    keep both cores busy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::server::Server;
use crate::stats::{Report, Sample};

const SENDERS: usize = 50;
const DURATION: Duration = Duration::from_secs(5);

/// `token_delay_ms`: the pace the server was started with, `None` for its default.
pub async fn run(report: &mut Report, server: Arc<Server>, runs: usize, token_delay_ms: Option<u64>) {
    let scenario = "action latency";
    let mut contexts = Vec::new();
    for _ in 0..SENDERS {
        contexts.push(server.new_context().await);
    }
    let mut all = Sample::default();
    for _ in 0..runs {
        let mut senders = Vec::new();
        for id in contexts.clone() {
            let server = server.clone();
            senders.push(tokio::spawn(async move {
                let mut sample = Sample::default();
                let end = Instant::now() + DURATION;
                while Instant::now() < end {
                    server.until_idle(&id).await;
                    let body = json!({ "content": "how are you today?", "client_action_id": uuid::Uuid::new_v4().to_string() });
                    let started = Instant::now();
                    let (status, _) = server.post(&format!("/api/contexts/{id}/actions/send_message"), body).await;
                    sample.record(started.elapsed());
                    assert_eq!(status, 200, "send_message failed");
                }
                sample
            }));
        }
        for sender in senders {
            all.merge(&sender.await.expect("a sender"));
        }
    }
    match token_delay_ms {
        None => {
            report.note(scenario, "actions measured (default pace)", all.count().to_string());
            report.check(
                scenario,
                "send_message to 2xx, 50 senders (median/p95/p99)",
                all.summary(),
                "p95 < 10 ms",
                all.p95() < Duration::from_millis(10),
            );
        }
        Some(delay) => {
            report.note(scenario, &format!("actions measured ({delay} ms a token)"), all.count().to_string());
            report.note(
                scenario,
                &format!("send_message to 2xx, 50 senders, {delay} ms a token (median/p95/p99)"),
                all.summary(),
            );
        }
    }
}
