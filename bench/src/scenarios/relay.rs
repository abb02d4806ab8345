//! 5. Token relay: 100 generations at once, each watched by a subscriber; the time from a
//!    piece of text being produced by the model to it arriving at the subscriber.
//!
//! The server runs in this process with a model that writes, as its text, the moment each
//! piece was produced, so the subscriber can tell how long the piece travelled: through the
//! runner, the event channel, SSE, HTTP and a client's parser.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use confab_llm::{
    ChatRequest, FinishReason, ListedModel, ModelInfo, Provider, ProviderError, ReplyStream, StreamEvent,
};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use serde_json::Value;

use crate::server::Api;
use crate::stats::{Report, Sample};

const GENERATIONS: usize = 100;
const PIECES: usize = 60;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// A model whose every piece of text is the time it was produced.
struct StampingModel;

#[async_trait]
impl Provider for StampingModel {
    fn info(&self) -> ModelInfo {
        ModelInfo { provider: "bench".into(), model: "stamps".into(), label: "benchmark model".into() }
    }

    async fn stream(&self, _request: ChatRequest) -> Result<ReplyStream, ProviderError> {
        let pieces = futures::stream::iter(0..PIECES).then(|_| async {
            // Yield between pieces, as a model answering at full speed over a socket does.
            tokio::task::yield_now().await;
            Ok(StreamEvent::Text(format!("{} ", epoch().elapsed().as_micros())))
        });
        Ok(pieces.chain(futures::stream::once(async { Ok(StreamEvent::Finished(FinishReason::Stop)) })).boxed())
    }

    async fn models(&self) -> Result<Vec<ListedModel>, ProviderError> {
        Ok(vec![ListedModel { name: "stamps".into(), ..ListedModel::default() }])
    }

    async fn title(&self, _model: &str, _first_message: &str) -> Option<String> {
        None
    }
}

async fn serve() -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = confab_server::Config::for_tests(format!("sqlite://{}/confab.db", dir.path().display()));
    config.stream_save_interval_ms = 250;
    let app = confab_server::App::build_with_provider(config, Arc::new(StampingModel)).await.expect("the app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(app.serve(listener, std::future::pending()));
    (addr, dir)
}

pub async fn run(report: &mut Report, runs: usize) {
    let scenario = "token relay";
    epoch();
    let (addr, _dir) = serve().await;
    let api = Api::sign_in(format!("http://{addr}")).await;

    let mut all = Sample::default();
    for _ in 0..runs {
        let mut watchers = Vec::new();
        let mut contexts = Vec::new();
        for _ in 0..GENERATIONS {
            let id = api.new_context().await;
            let events = api.http.get(api.url(&format!("/api/contexts/{id}/events"))).bearer_auth(&api.token);
            let mut events = events.send().await.unwrap().bytes_stream().eventsource();
            events.next().await; // the snapshot
            watchers.push(tokio::spawn(async move {
                let mut sample = Sample::default();
                while let Some(Ok(event)) = events.next().await {
                    match event.event.as_str() {
                        "delta" => {
                            let arrived = epoch().elapsed();
                            let delta: Value = serde_json::from_str(&event.data).expect("a delta");
                            let produced: u64 = delta["text"].as_str().unwrap().trim().parse().expect("a stamp");
                            sample.record(arrived.saturating_sub(Duration::from_micros(produced)));
                        }
                        "state" if event.data.contains("\"status\":\"idle\"") => break,
                        _ => {}
                    }
                }
                sample
            }));
            contexts.push(id);
        }
        let sends = futures::future::join_all(contexts.iter().map(|id| api.send(id, "go"))).await;
        assert!(sends.iter().all(|&status| status == 200), "every send_message answers 200: {sends:?}");
        for watcher in watchers {
            all.merge(&watcher.await.expect("a watcher"));
        }
    }
    report.note(scenario, "pieces measured", format!("{} ({GENERATIONS} generations at once)", all.count()));
    report.check(
        scenario,
        "produced to received (median/p95/p99)",
        all.summary(),
        "p95 < 5 ms",
        all.p95() < Duration::from_millis(5),
    );
}
