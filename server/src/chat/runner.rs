//! The server tasks that work on a context without anyone waiting: a generation streams the
//! model's reply into the context, a tool run executes the approved calls and hands the
//! results back to the model.
//!
//! A task holds the context's lock only for one step at a time, and before every step checks
//! that it is still the context's current run: `cancel` (or a new run) simply makes it stop.
//! What a run needs besides the context is in [`RunDeps`]: the model, the tools and two
//! timings.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use confab_core::{Effect, Event, Status, Timing, ToolCallRequest, Usage};
use confab_llm::{FinishReason, PromptToolCall, StreamEvent};
use confab_store::Notice;
use confab_tools::ToolRegistry;
use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, instrument, warn};

use super::persist::Persistence;
use super::registry::{Guard, Locked};
use super::slot::{Run, Slot};
use super::{now, policies, prompt, publish};
use crate::models::Catalog;

/// Tool output beyond this is cut, so one call cannot bloat a conversation.
const MAX_TOOL_OUTPUT_BYTES: usize = 64 * 1024;

/// What generation and tool runs use, and nothing else of the service.
pub(crate) struct RunDeps {
    pub models: Arc<Catalog>,
    pub tools: ToolRegistry,
    /// How often a streaming reply is saved (it is not saved per token).
    pub stream_save_interval: Duration,
    pub tool_timeout: Duration,
}

/// Starts and stops the runs of every context.
pub(crate) struct Runs {
    pub deps: Arc<RunDeps>,
    persistence: Arc<Persistence>,
    next_run: AtomicU64,
}

impl Runs {
    pub fn new(deps: RunDeps, persistence: Arc<Persistence>) -> Self {
        Runs { deps: Arc::new(deps), persistence, next_run: AtomicU64::new(1) }
    }

    /// Does what a transition asks for: start a generation or a tool run, or stop.
    pub fn follow(&self, guard: &mut Guard, effect: Option<Effect>) {
        match effect {
            Some(Effect::StartGeneration) => self.start(guard, Job::Generate),
            Some(Effect::ExecuteTools) => self.start(guard, Job::RunTools),
            Some(Effect::StopGeneration) => guard.locked().stop_run(),
            None => {}
        }
    }

    /// Starts a run on the context, stopping the one before it.
    fn start(&self, guard: &mut Guard, job: Job) {
        let run = Run { id: self.next_run.fetch_add(1, Ordering::Relaxed), token: CancellationToken::new() };
        let (run_id, token) = (run.id, run.token.clone());
        guard.locked().set_run(run);
        let (persistence, deps, slot) = (self.persistence.clone(), self.deps.clone(), guard.slot().clone());
        self.persistence.tasks.spawn(async move { run_job(persistence, deps, slot, run_id, token, job).await });
    }
}

#[derive(Debug, Clone, Copy)]
enum Job {
    Generate,
    RunTools,
}

/// One run: where to save the context, and what the run works with.
struct Runner<'a> {
    persistence: &'a Arc<Persistence>,
    deps: &'a RunDeps,
    slot: &'a Arc<Slot>,
    run_id: u64,
    token: &'a CancellationToken,
}

#[instrument(skip(persistence, deps, slot, token), fields(context = %slot.id))]
async fn run_job(
    persistence: Arc<Persistence>,
    deps: Arc<RunDeps>,
    slot: Arc<Slot>,
    run_id: u64,
    token: CancellationToken,
    job: Job,
) {
    let runner = Runner { persistence: &persistence, deps: &deps, slot: &slot, run_id, token: &token };
    let leases = &persistence.leases;
    // One process at a time works on a context: the one holding its lease.
    if leases.claim(slot.id, &token).await {
        let keeper = leases.keep(slot.id, token.clone());
        let mut next = Some(job);
        while let Some(job) = next {
            next = match job {
                Job::Generate => runner.generate().await,
                Job::RunTools => runner.run_tools().await,
            };
        }
        keeper.abort();
        let mut locked = Locked::new(slot.clone()).await;
        // Under the lock: work that started since this run saved its end (the next message)
        // took the lease again under this same lock and needs it. Letting it go then would
        // show another process a busy conversation nobody holds, which it would take for
        // work abandoned by a dead process and interrupt.
        if locked.run().is_none_or(|run| run.id == run_id) {
            leases.release(slot.id).await;
        }
        locked.end_run(run_id);
        return;
    }
    if let Some(mut guard) = runner.lock().await {
        let error = "another server process kept this conversation busy; try again".to_string();
        runner.step(&mut guard, Event::GenerationFailed { error }).await;
    }
    Locked::new(slot.clone()).await.end_run(run_id);
}

impl Runner<'_> {
    /// The context's guard, if this run is still the one working on it.
    async fn lock(&self) -> Option<Guard> {
        let locked = Locked::new(self.slot.clone()).await;
        if !locked.is_current_run(self.run_id) {
            return None;
        }
        locked.into_guard().ok()
    }

    /// Applies an event from this run and saves it. Returns false when the run must stop
    /// (the event was refused, or the save failed and the context was dropped).
    async fn step(&self, guard: &mut Guard, event: Event) -> bool {
        let kind = event.kind();
        if let Err(error) = guard.ctx().apply(event, now()) {
            warn!(%kind, %error, "the state machine refused an event from the runner");
            return false;
        }
        self.persistence.commit(guard, true).await.is_ok()
    }

    async fn generate(&self) -> Option<Job> {
        let (route, planned, owner) = {
            let mut guard = self.lock().await?;
            let model = guard.context().settings().model.clone().unwrap_or_default();
            let route = match self.deps.models.route(&model) {
                Ok(route) => route,
                Err(error) => {
                    self.step(&mut guard, Event::GenerationFailed { error: error.to_string() }).await;
                    return None;
                }
            };
            let planned = prompt::plan(guard.context(), &self.deps.tools, &route);
            // Saved with the next step; the UI shows where the model's view begins.
            guard.ctx().set_context_window_start(planned.window_start);
            (route, planned, guard.context().owner())
        };
        // The files of the messages the model will see, read outside the context's lock.
        let mut planned = planned;
        if planned.request.messages.iter().any(|m| !m.attachments.is_empty()) {
            let vision = self.deps.models.takes_images(&route.id).await;
            let store = self.persistence.store.as_ref();
            super::attachments::load(store, owner, &mut planned.request, vision).await;
        }
        let asked = Instant::now();
        let started = tokio::select! {
            biased;
            _ = self.token.cancelled() => return None,
            started = route.provider.stream(planned.request) => started,
        };
        let mut stream = match started {
            Ok(stream) => stream,
            Err(error) => {
                let mut guard = self.lock().await?;
                self.step(&mut guard, Event::GenerationFailed { error: error.to_string() }).await;
                return None;
            }
        };
        let mut reply = ReplyStats { asked, first_token: None, first_text: None, usage: None, deltas: 0 };
        let mut last_save = Instant::now();
        loop {
            let item = tokio::select! {
                biased;
                _ = self.token.cancelled() => return None,
                item = stream.next() => item,
            };
            let mut guard = self.lock().await?;
            let event = match item {
                Some(Ok(StreamEvent::Text(text))) => {
                    self.stream_piece(&mut guard, &route.id, &mut reply, Piece::Text(text)).await?;
                    self.save_now_and_then(&mut guard, &mut last_save).await?;
                    continue;
                }
                Some(Ok(StreamEvent::Reasoning(text))) => {
                    self.stream_piece(&mut guard, &route.id, &mut reply, Piece::Reasoning(text)).await?;
                    self.save_now_and_then(&mut guard, &mut last_save).await?;
                    continue;
                }
                Some(Ok(StreamEvent::Usage(usage))) => {
                    reply.usage =
                        Some(Usage { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens });
                    continue;
                }
                Some(Ok(StreamEvent::ToolCalls(calls))) if !calls.is_empty() => {
                    Event::ToolCallsRequested { calls: calls.into_iter().map(requested).collect() }
                }
                Some(Ok(StreamEvent::Finished(FinishReason::Length))) => Event::ReplyFinished { cut_off: true },
                Some(Ok(StreamEvent::ToolCalls(_) | StreamEvent::Finished(FinishReason::Stop))) | None => {
                    Event::ReplyFinished { cut_off: false }
                }
                Some(Err(error)) => Event::GenerationFailed { error: error.to_string() },
            };
            debug!(event = %event.kind(), "generation ends");
            let ends_a_reply = !matches!(event, Event::GenerationFailed { .. });
            if let Err(error) = guard.ctx().apply(event.clone(), now()) {
                warn!(kind = %event.kind(), %error, "the state machine refused an event from the runner");
                // A model answer the state machine refuses (say, two calls with one id) fails
                // the turn visibly rather than leaving it hanging.
                if matches!(event, Event::ToolCallsRequested { .. }) {
                    let error = "the model asked for tools in a form Confab cannot accept".to_string();
                    self.step(&mut guard, Event::GenerationFailed { error }).await;
                }
                return None;
            }
            if ends_a_reply {
                let (usage, timing) = reply.finish(guard.context().last_assistant().and_then(|m| m.usage));
                guard.ctx().record_reply(&route.id, usage, timing);
            }
            let next = match event {
                Event::ToolCallsRequested { .. } => self.approve_in_advance(&mut guard).await,
                _ => None,
            };
            let saved = self.persistence.commit(&mut guard, true).await.is_ok();
            return next.filter(|_| saved);
        }
    }

    /// Approves, saved with the request itself, the calls whose tool the conversation or
    /// its owner allows without asking; runs the tools when none is left waiting.
    async fn approve_in_advance(&self, guard: &mut Guard) -> Option<Job> {
        let calls: Vec<_> = guard.context().last_assistant()?.pending_tool_calls().cloned().collect();
        let store = self.persistence.store.as_ref();
        let ids = match policies::approved_in_advance(store, &self.deps.tools, guard.context(), &calls).await {
            Ok(ids) if !ids.is_empty() => ids,
            Ok(_) => return None,
            Err(error) => {
                warn!(%error, "cannot read tool policies; every call waits for a person");
                return None;
            }
        };
        debug!(calls = ids.len(), "tool calls approved in advance");
        match guard.ctx().apply(Event::ApproveTools { tool_call_ids: ids, allow_here: false }, now()) {
            Ok(transition) => (transition.effect == Some(Effect::ExecuteTools)).then_some(Job::RunTools),
            Err(error) => {
                warn!(%error, "the state machine refused approving calls in advance");
                None
            }
        }
    }

    /// Saves a streaming reply once per interval: it survives a crash at most one interval
    /// behind (a save per token would cost as much as the tokens).
    async fn save_now_and_then(&self, guard: &mut Guard, last_save: &mut Instant) -> Option<()> {
        if last_save.elapsed() >= self.deps.stream_save_interval {
            self.persistence.commit(guard, false).await.ok()?;
            *last_save = Instant::now();
        }
        Some(())
    }

    /// One streamed piece of the reply: the reply starts with the first, each is told to
    /// subscribers here and in other processes.
    async fn stream_piece(&self, guard: &mut Guard, model: &str, reply: &mut ReplyStats, piece: Piece) -> Option<()> {
        if guard.context().status() == Status::Processing
            && !self.step(guard, Event::ReplyStarted { model: model.to_string() }).await
        {
            return None;
        }
        reply.first_token.get_or_insert_with(Instant::now);
        match piece {
            Piece::Text(text) => {
                reply.deltas += 1;
                reply.first_text.get_or_insert_with(Instant::now);
                let (message_id, seq) = guard.ctx().append_text(&text).ok()?;
                let (slot, ctx) = guard.parts();
                publish::delta(slot, ctx, message_id, seq, &text);
                let notice = Notice::Delta { context: slot.id, message: message_id, seq, text };
                self.persistence.leases.announce(notice);
            }
            Piece::Reasoning(text) => {
                let (message_id, seq) = guard.ctx().append_reasoning(&text).ok()?;
                let (slot, ctx) = guard.parts();
                publish::reasoning(slot, ctx, message_id, seq, &text);
                let notice = Notice::Reasoning { context: slot.id, message: message_id, seq, text };
                self.persistence.leases.announce(notice);
            }
        }
        Some(())
    }

    async fn run_tools(&self) -> Option<Job> {
        loop {
            let next_call = {
                let guard = self.lock().await?;
                guard.context().runnable_tool_calls().into_iter().next()
            };
            let Some(call) = next_call else {
                let mut guard = self.lock().await?;
                return self.step(&mut guard, Event::ToolsFinished).await.then_some(Job::Generate);
            };
            let timeout = self.deps.tool_timeout;
            let output = tokio::select! {
                biased;
                _ = self.token.cancelled() => return None,
                output = tokio::time::timeout(timeout, self.deps.tools.call(&call.name, &call.arguments)) => output,
            };
            let output = match output {
                Ok(Ok(text)) => Ok(truncate(text)),
                Ok(Err(error)) => Err(error.to_string()),
                Err(_) => Err(format!("the tool did not finish within {} s", timeout.as_secs())),
            };
            let output = crate::untrusted::tool_output(output);
            let mut guard = self.lock().await?;
            if !self.step(&mut guard, Event::ToolFinished { tool_call_id: call.id, output }).await {
                return None;
            }
        }
    }
}

enum Piece {
    Text(String),
    Reasoning(String),
}

/// What a reply's stream told about its cost and speed.
struct ReplyStats {
    asked: Instant,
    first_token: Option<Instant>,
    /// The first piece of the answer, after any reasoning.
    first_text: Option<Instant>,
    usage: Option<Usage>,
    /// Text deltas: the token count when the provider reports no usage.
    deltas: u64,
}

impl ReplyStats {
    /// Usage and timing to record; `before` is what a continued reply had already cost.
    fn finish(&self, before: Option<Usage>) -> (Option<Usage>, Option<Timing>) {
        let usage = self.usage.map(|usage| match before {
            Some(before) => Usage { completion_tokens: before.completion_tokens + usage.completion_tokens, ..usage },
            None => usage,
        });
        let timing = self.first_token.map(|first| {
            let tokens = self.usage.map_or(self.deltas, |u| u.completion_tokens);
            let streaming = first.elapsed().as_secs_f32();
            let tokens_per_second = if streaming > 0.0 { tokens.saturating_sub(1) as f32 / streaming } else { 0.0 };
            let reasoned = self.first_text.map_or(first.elapsed(), |text| text.duration_since(first));
            Timing {
                first_token_ms: first.duration_since(self.asked).as_millis() as u64,
                tokens_per_second: (tokens_per_second * 10.0).round() / 10.0,
                // Only when reasoning came before the answer.
                reasoning_ms: (self.first_text != Some(first)).then_some(reasoned.as_millis() as u64),
            }
        });
        (usage, timing)
    }
}

/// A model's call as the domain keeps it; some servers send no id, so one is made up.
fn requested(call: PromptToolCall) -> ToolCallRequest {
    let id = if call.id.trim().is_empty() { format!("call_{}", uuid::Uuid::new_v4().simple()) } else { call.id };
    ToolCallRequest { id, name: call.name, arguments: call.arguments }
}

fn truncate(mut text: String) -> String {
    if text.len() > MAX_TOOL_OUTPUT_BYTES {
        let mut cut = MAX_TOOL_OUTPUT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n[output truncated]");
    }
    text
}
