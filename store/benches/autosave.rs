//! Criterion's view of auto-save: saving one new message into conversations of 10, 1,000
//! and 10,000 messages on SQLite. The cost must follow the change, not the conversation.
//! `cargo bench -p confab-store` (the `confab-bench` tool reports percentiles of the same).

use std::time::{Duration, Instant};

use chrono::Utc;
use confab_core::{ChatContext, Event};
use confab_store::{Conversations, SqliteStore};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

async fn conversation(store: &SqliteStore, messages: usize) -> ChatContext {
    let mut ctx = ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), None, Utc::now());
    while ctx.messages().len() < messages {
        ctx.apply(
            Event::SendMessage { attachments: Vec::new(), content: "what is the weather like tomorrow".into() },
            Utc::now(),
        )
        .unwrap();
        ctx.apply(Event::ReplyFinished { cut_off: false }, Utc::now()).unwrap();
    }
    store.save(&ctx.changes()).await.unwrap();
    ctx.mark_saved();
    ctx
}

fn autosave(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let store = runtime.block_on(SqliteStore::open(&url)).unwrap();
    let mut group = c.benchmark_group("save one new message");
    for size in [10, 1_000, 10_000] {
        let ctx = tokio::sync::Mutex::new(runtime.block_on(conversation(&store, size)));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            // Only the save of the new message is timed; the reply that makes room for the
            // next one is saved outside the measurement.
            b.to_async(&runtime).iter_custom(|iterations| {
                let (store, ctx) = (&store, &ctx);
                async move {
                    let mut ctx = ctx.lock().await;
                    let mut timed = Duration::ZERO;
                    for _ in 0..iterations {
                        ctx.apply(
                            Event::SendMessage { attachments: Vec::new(), content: "one more".into() },
                            Utc::now(),
                        )
                        .unwrap();
                        let started = Instant::now();
                        store.save(&ctx.changes()).await.unwrap();
                        timed += started.elapsed();
                        ctx.mark_saved();
                        ctx.apply(Event::ReplyFinished { cut_off: false }, Utc::now()).unwrap();
                        store.save(&ctx.changes()).await.unwrap();
                        ctx.mark_saved();
                    }
                    timed
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, autosave);
criterion_main!(benches);
