//! 9. Highlighting: `POST /api/highlight` of one 200-line block (Rust, and Python), as the
//!    page asks for it once a reply is finished. The first request of each language also
//!    pays for compiling its grammar's regexes; the figures are of the warm ones after it.

use std::time::Instant;

use serde_json::json;

use crate::server::Server;
use crate::stats::{Report, Sample};

/// A 200-line Rust block of the kind a model writes.
fn rust_block() -> String {
    (0..40)
        .map(|n| {
            format!(
                "/// Adds {n} to the value.\nfn add_{n}(value: u64) -> u64 {{\n    let step = {n}u64; // the step\n    value.saturating_add(step)\n}}\n"
            )
        })
        .collect()
}

fn python_block() -> String {
    (0..50)
        .map(|n| {
            format!(
                "def add_{n}(value):\n    \"\"\"Adds {n}.\"\"\"\n    step = {n}  # the step\n    return value + step\n"
            )
        })
        .collect()
}

pub async fn run(report: &mut Report, server: &Server, runs: usize) {
    let scenario = "highlight";
    for (language, code) in [("rust", rust_block()), ("python", python_block())] {
        assert_eq!(code.lines().count(), 200);
        let body = json!({ "blocks": [{ "language": language, "code": code }] });
        let (status, first) = server.post("/api/highlight", body.clone()).await;
        assert_eq!(status, 200, "{first}");
        assert!(first["blocks"][0].is_string(), "the block is coloured");
        let mut sample = Sample::default();
        for _ in 0..runs.max(1) * 30 {
            let started = Instant::now();
            let (status, _) = server.post("/api/highlight", body.clone()).await;
            sample.record(started.elapsed());
            assert_eq!(status, 200);
        }
        report.note(scenario, &format!("200-line {language} block, request to answer"), sample.summary());
    }
}
