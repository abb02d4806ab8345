//! 10. A long conversation in the browser: imported conversations of 200, 2,000 and 10,000
//!     messages (questions and answers with a code block each) opened in headless Chromium
//!     (`end2end/perf/long.mjs`): the page's HTML, time to a hydrated page, keystroke to
//!     frame in the composer, and the longest main-thread task while a reply streams.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::server::Server;
use crate::stats::Report;

/// Imports a conversation of `count` messages; returns its id.
async fn import(server: &Server, count: usize) -> String {
    let id = |n: usize| format!("00000000-0000-4000-8000-{n:012}");
    let messages: Vec<Value> = (1..=count)
        .map(|n| {
            let content = if n % 2 == 1 {
                format!("Question {n}: how do I reverse a list in Python?")
            } else {
                format!("Answer {n}: in place, with\n\n```python\nitems.reverse()\nprint(items)\n```\n")
            };
            let role = if n % 2 == 1 { "user" } else { "assistant" };
            json!({ "id": id(n), "parent_id": (n > 1).then(|| id(n - 1)), "role": role, "content": content,
                    "created_at": "2025-01-01T00:00:00Z" })
        })
        .collect();
    let file = json!({ "format": "confab.context", "version": 2, "title": format!("{count} messages"),
        "created_at": "2025-01-01T00:00:00Z", "active_branch": "main",
        "branches": [{ "name": "main", "head_message_id": id(count) }], "messages": messages });
    let (status, body) = server.post("/api/contexts/import", file).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("an id").to_string()
}

pub async fn run(report: &mut Report, server: &Server, root: &Path) {
    let scenario = "long view";
    for count in [200, 2_000, 10_000] {
        let id = import(server, count).await;
        let output = Command::new("node")
            .arg(root.join("end2end/perf/long.mjs"))
            .args([&server.base, &server.token, &format!("/c/{id}")])
            .output()
            .expect("node runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let Ok(result) = serde_json::from_str::<Value>(text.trim()) else {
            let why = String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("").to_string();
            report.check(scenario, &format!("{count} messages"), format!("not measured: {why}"), "", false);
            continue;
        };
        let number = |key: &str| result[key].as_f64().unwrap_or(f64::MAX);
        let html_kib = number("html_bytes") / 1024.0;
        let at = |figure: &str| format!("{count} messages: {figure}");
        report.check(
            scenario,
            &at("server-rendered HTML"),
            format!("{html_kib:.0} KiB"),
            "< 300 KiB",
            html_kib < 300.0,
        );
        let runs = result["hydrated_runs_ms"].to_string();
        let hydrated = number("hydrated_ms");
        report.check(
            scenario,
            &at("hydrated (median)"),
            format!("{hydrated:.0} ms (runs: {runs})"),
            "< 1 s",
            hydrated < 1000.0,
        );
        let (p50, max) = (number("key_p50_ms"), number("key_max_ms"));
        report.check(scenario, &at("keystroke to frame, p50"), format!("{p50:.1} ms"), "< 16 ms", p50 < 16.0);
        report.check(scenario, &at("keystroke to frame, max"), format!("{max:.1} ms"), "< 50 ms", max < 50.0);
        let longest = number("longest_task_ms");
        report.check(
            scenario,
            &at("longest main-thread task while a reply streams"),
            format!("{longest:.0} ms"),
            "< 50 ms",
            longest < 50.0,
        );
        report.note(scenario, &at("DOM elements"), format!("{}", result["dom_nodes"]));
    }
}
