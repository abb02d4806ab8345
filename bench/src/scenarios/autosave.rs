//! 1. Auto-save: one new message saved into conversations of 10, 1,000 and 10,000 messages,
//!    as the server's auto-save writes it (the context row and the new message, with the
//!    store's configured durability).

use std::time::{Duration, Instant};

use chrono::Utc;
use confab_core::{ChatContext, Event};
use confab_store::ContextStore;

use crate::stats::{ms, Report, Sample};

const SIZES: [usize; 3] = [10, 1_000, 10_000];
const SAVES: usize = 300;

/// A conversation of `messages` messages in memory, saved once.
async fn conversation(store: &dyn ContextStore, messages: usize) -> ChatContext {
    let mut ctx = ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), None, Utc::now());
    while ctx.messages().len() < messages {
        ctx.apply(
            Event::SendMessage { attachments: Vec::new(), content: "what is the weather like tomorrow".into() },
            Utc::now(),
        )
        .unwrap();
        ctx.apply(Event::ReplyStarted { model: "builtin/confab-builtin".into() }, Utc::now()).unwrap();
        ctx.append_text("sunny, with a light breeze from the west and a few clouds later").unwrap();
        ctx.apply(Event::ReplyFinished { cut_off: false }, Utc::now()).unwrap();
    }
    store.save(&ctx.changes()).await.expect("the first save");
    ctx.mark_saved();
    ctx
}

/// Times saving one new user message, `SAVES` times (each followed by an untimed reply).
async fn one_message_saves(store: &dyn ContextStore, ctx: &mut ChatContext) -> Sample {
    let mut sample = Sample::default();
    for n in 0..SAVES {
        ctx.apply(
            Event::SendMessage { attachments: Vec::new(), content: format!("one more question, number {n}") },
            Utc::now(),
        )
        .unwrap();
        let started = Instant::now();
        store.save(&ctx.changes()).await.expect("a save");
        sample.record(started.elapsed());
        ctx.mark_saved();
        ctx.apply(Event::ReplyFinished { cut_off: false }, Utc::now()).unwrap();
        store.save(&ctx.changes()).await.expect("a save");
        ctx.mark_saved();
    }
    sample
}

pub async fn run(report: &mut Report, backend: &str, store: &dyn ContextStore, runs: usize) {
    let scenario = format!("auto-save ({backend})");
    let mut p95s: Vec<Vec<Duration>> = vec![Vec::new(); SIZES.len()];
    let mut all: Vec<Sample> = SIZES.iter().map(|_| Sample::default()).collect();
    for _ in 0..runs {
        // Each run measures every size, so they share the machine's state of the moment.
        for (i, &size) in SIZES.iter().enumerate() {
            let mut ctx = conversation(store, size).await;
            let sample = one_message_saves(store, &mut ctx).await;
            p95s[i].push(sample.p95());
            all[i].merge(&sample);
        }
    }
    for (i, size) in SIZES.iter().enumerate() {
        let sample = &all[i];
        report.check(
            &scenario,
            &format!("save 1 message into {size} (median/p95/p99)"),
            sample.summary(),
            "p95 < 5 ms",
            sample.p95() < Duration::from_millis(5),
        );
    }
    let ratio = all[2].p95().as_secs_f64() / all[0].p95().as_secs_f64();
    report.check(
        &scenario,
        "p95 at 10,000 / p95 at 10",
        format!("{ratio:.2}x (per run: {})", per_run(&p95s[2], &p95s[0])),
        "< 1.5x",
        ratio < 1.5,
    );
}

fn per_run(long: &[Duration], short: &[Duration]) -> String {
    long.iter().zip(short).map(|(l, s)| format!("{}/{}", ms(*l), ms(*s))).collect::<Vec<_>>().join(", ")
}
