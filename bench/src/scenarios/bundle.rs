//! 7. Bundle: the release `.wasm` as built, compressed (gzip -9, brotli 11), and as the
//!    server sends it; and the time from navigation to an interactive page in headless
//!    Chromium (`end2end/perf/interactive.mjs`).

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use crate::server::Server;
use crate::stats::{kib, Report};

fn gzip(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory").len()
}

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("brotli in memory");
    out.len()
}

/// The bytes the server sends for `path` when the browser accepts `encoding`.
async fn served(server: &Server, path: &str, encoding: &str) -> (usize, String) {
    // reqwest here decompresses nothing, so the body is what travels.
    let response =
        server.http.get(server.url(path)).header("accept-encoding", encoding).send().await.expect("the asset");
    let used = response.headers().get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("none").to_string();
    (response.bytes().await.expect("the asset").len(), used)
}

pub async fn run(report: &mut Report, server: &Server, site: &Path, root: &Path) {
    let scenario = "bundle";
    let wasm = std::fs::read(site.join("pkg/confab.wasm")).expect("a built site: run `cargo leptos build --release`");
    let js = std::fs::read(site.join("pkg/confab.js")).expect("the site's JS");
    report.note(scenario, "confab.wasm, raw", kib(wasm.len() as u64));
    report.note(scenario, "confab.wasm, gzip -9", kib(gzip(&wasm) as u64));
    let brotli_size = brotli(&wasm) as u64;
    report.check(scenario, "confab.wasm, brotli 11", kib(brotli_size), "< 250 KiB", brotli_size < 250 * 1024);
    report.note(scenario, "confab.js, brotli 11", kib(brotli(&js) as u64));
    let (bytes, encoding) = served(server, "/pkg/confab.wasm", "br, gzip").await;
    report.note(scenario, "confab.wasm as served", format!("{} ({encoding})", kib(bytes as u64)));

    let id = server.new_context().await;
    server.send(&id, "hello").await;
    server.until_idle(&id).await;
    let output = Command::new("node")
        .arg(root.join("end2end/perf/interactive.mjs"))
        .args([&server.base, &server.token, &format!("/c/{id}")])
        .output()
        .expect("node runs");
    let text = String::from_utf8_lossy(&output.stdout);
    match serde_json::from_str::<serde_json::Value>(text.trim()) {
        Ok(result) => {
            let median = result["median_ms"].as_f64().unwrap_or(f64::MAX);
            let runs = result["runs_ms"].to_string();
            report.check(
                scenario,
                "navigation to interactive (median)",
                format!("{median:.0} ms (runs: {runs})"),
                "< 1 s",
                median < 1000.0,
            );
        }
        Err(_) => report.check(
            scenario,
            "navigation to interactive",
            format!("not measured: {}", String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("")),
            "< 1 s",
            false,
        ),
    }
}
