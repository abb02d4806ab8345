//! The server tasks that work on a context without anyone waiting: a generation streams the
//! model's reply into the context, a tool run executes the approved calls and hands the
//! results back to the model.
//!
//! A task holds the context's lock only for one step at a time, and before every step checks
//! that it is still the context's current run: `cancel` (or a new run) simply makes it stop.

use std::sync::Arc;

use confab_core::{Event, Status, ToolCallRequest};
use confab_llm::{PromptToolCall, StreamEvent};
use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, instrument, warn};

use super::slot::{Slot, SlotState};
use super::{context_of, now, prompt, ChatService};

/// Tool output beyond this is cut, so one call cannot bloat a conversation.
const MAX_TOOL_OUTPUT_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Job {
    Generate,
    RunTools,
}

#[instrument(skip(service, slot, token), fields(context = %slot.id))]
pub(crate) async fn run(service: ChatService, slot: Arc<Slot>, run_id: u64, token: CancellationToken, job: Job) {
    // One process at a time works on a context: the one holding its lease.
    if service.claim(slot.id, &token).await {
        let keeper = service.keep_claim(slot.id, token.clone());
        let mut next = Some(job);
        while let Some(job) = next {
            next = match job {
                Job::Generate => generate(&service, &slot, run_id, &token).await,
                Job::RunTools => run_tools(&service, &slot, run_id, &token).await,
            };
        }
        if let Some(keeper) = keeper {
            keeper.abort();
        }
        service.release(slot.id).await;
    } else if let Some(mut state) = service.lock_for_run(&slot, run_id).await {
        let error = "another server process kept this conversation busy; try again".to_string();
        step(&service, &slot, &mut state, Event::GenerationFailed { error }).await;
    }
    service.end_run(&slot, run_id).await;
}

/// Applies an event from this run and saves it. Returns false when the run must stop (the
/// event was refused, or the save failed and the context was dropped).
async fn step(service: &ChatService, slot: &Slot, state: &mut SlotState, event: Event) -> bool {
    let kind = event.kind();
    if let Err(error) = context_of(state).apply(event, now()) {
        warn!(%kind, %error, "the state machine refused an event from the runner");
        return false;
    }
    service.commit(slot, state, true).await.is_ok()
}

async fn generate(service: &ChatService, slot: &Slot, run_id: u64, token: &CancellationToken) -> Option<Job> {
    let request = {
        let mut state = service.lock_for_run(slot, run_id).await?;
        prompt::request(context_of(&mut state), &service.inner.tools)
    };
    let started = tokio::select! {
        biased;
        _ = token.cancelled() => return None,
        started = service.inner.provider.stream(request) => started,
    };
    let mut stream = match started {
        Ok(stream) => stream,
        Err(error) => {
            let mut state = service.lock_for_run(slot, run_id).await?;
            step(service, slot, &mut state, Event::GenerationFailed { error: error.to_string() }).await;
            return None;
        }
    };
    let save_interval = service.inner.settings.stream_save_interval;
    let mut last_save = Instant::now();
    loop {
        let item = tokio::select! {
            biased;
            _ = token.cancelled() => return None,
            item = stream.next() => item,
        };
        let mut state = service.lock_for_run(slot, run_id).await?;
        let event = match item {
            Some(Ok(StreamEvent::Text(text))) => {
                if context_of(&mut state).status() == Status::Processing
                    && !step(service, slot, &mut state, Event::ReplyStarted).await
                {
                    return None;
                }
                let ctx = context_of(&mut state);
                let Ok((message_id, seq)) = ctx.append_text(&text) else {
                    return None;
                };
                service.publish_delta(slot, ctx, message_id, seq, &text);
                if last_save.elapsed() >= save_interval {
                    // The partial reply survives a crash, at most one interval behind.
                    service.commit(slot, &mut state, false).await.ok()?;
                    last_save = Instant::now();
                }
                continue;
            }
            Some(Ok(StreamEvent::ToolCalls(calls))) if !calls.is_empty() => {
                Event::ToolCallsRequested { calls: calls.into_iter().map(requested).collect() }
            }
            Some(Ok(StreamEvent::ToolCalls(_) | StreamEvent::Finished)) | None => Event::ReplyFinished,
            Some(Err(error)) => Event::GenerationFailed { error: error.to_string() },
        };
        debug!(event = %event.kind(), "generation ends");
        if !step(service, slot, &mut state, event.clone()).await {
            // A model answer the state machine refuses (say, two calls with one id) fails
            // the turn visibly rather than leaving it hanging.
            if matches!(event, Event::ToolCallsRequested { .. }) && state.context.is_some() {
                let error = "the model asked for tools in a form Confab cannot accept".to_string();
                step(service, slot, &mut state, Event::GenerationFailed { error }).await;
            }
        }
        return None;
    }
}

async fn run_tools(service: &ChatService, slot: &Slot, run_id: u64, token: &CancellationToken) -> Option<Job> {
    loop {
        let next_call = {
            let mut state = service.lock_for_run(slot, run_id).await?;
            context_of(&mut state).runnable_tool_calls().into_iter().next()
        };
        let Some(call) = next_call else {
            let mut state = service.lock_for_run(slot, run_id).await?;
            return step(service, slot, &mut state, Event::ToolsFinished).await.then_some(Job::Generate);
        };
        let timeout = service.inner.settings.tool_timeout;
        let output = tokio::select! {
            biased;
            _ = token.cancelled() => return None,
            output = tokio::time::timeout(timeout, service.inner.tools.call(&call.name, &call.arguments)) => output,
        };
        let output = match output {
            Ok(Ok(text)) => Ok(truncate(text)),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("the tool did not finish within {} s", timeout.as_secs())),
        };
        let output = crate::untrusted::tool_output(output);
        let mut state = service.lock_for_run(slot, run_id).await?;
        if !step(service, slot, &mut state, Event::ToolFinished { tool_call_id: call.id, output }).await {
            return None;
        }
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
