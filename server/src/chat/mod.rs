//! The chat runner: every change to a context goes through here.
//!
//! A change takes the context's lock (one writer per context), runs one event through the
//! domain's state machine, auto-saves what that marked dirty (and skips the save when
//! nothing is), publishes the new state to subscribers, and then does what the transition
//! asks: start a generation, run the approved tools, or stop. Generation and tool runs are
//! server tasks, detached from any HTTP request.

mod dto;
mod events;
mod prompt;
mod rejected;
mod runner;
mod shared;
mod slot;
pub mod transfer;
mod validate;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use app::wire::{
    ActionResponse, ChatContextDTO, ContextSummaryDTO, DeltaDTO, ExportedContext, SearchResultDTO, ServerInfoDTO,
    SnippetPartDTO,
};
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use confab_core::{Applied, ChatContext, ContextId, Effect, Event, FsmError, MessageId, Status, Timestamp, UserId};
use confab_llm::Provider;
use confab_store::{ContextStore, Notice, StoreError};
use confab_tools::ToolRegistry;
use tokio::sync::{broadcast, MutexGuard};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, instrument, warn};

pub use events::{event_id, ContextEvent, EventKind};
use runner::Job;
use slot::{Published, Run, Slot, SlotState};

/// Why the runner refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// No such context, or not the caller's (the two are indistinguishable on purpose).
    #[error("no such conversation")]
    NotFound,
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Fsm(#[from] FsmError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another server process has not finished its work on the context yet.
    #[error("another server process is still finishing its work on this conversation; try again")]
    Busy,
}

#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// How often a streaming reply is saved (it is not saved per token).
    pub stream_save_interval: Duration,
    pub tool_timeout: Duration,
    pub max_message_chars: usize,
    pub max_title_chars: usize,
    /// How long a process's claim to run work on a context lasts unless renewed: after a
    /// crash, how long until another process may recover the context.
    pub lease_ttl: Duration,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            stream_save_interval: Duration::from_millis(250),
            tool_timeout: Duration::from_secs(30),
            max_message_chars: app::limits::DEFAULT_MAX_MESSAGE_CHARS,
            max_title_chars: app::limits::MAX_TITLE_CHARS,
            lease_ttl: Duration::from_secs(15),
        }
    }
}

/// A cheap-to-clone handle to the runner.
#[derive(Clone)]
pub struct ChatService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn ContextStore>,
    provider: Arc<dyn Provider>,
    tools: ToolRegistry,
    settings: ChatSettings,
    /// A std mutex: held only to look a slot up, never across an await.
    slots: StdMutex<HashMap<ContextId, Arc<Slot>>>,
    next_run: AtomicU64,
    tasks: TaskTracker,
    /// Cancelled when the server shuts down: live streams end.
    closing: CancellationToken,
    /// Names this process in the leases it holds on contexts it runs work on.
    holder: String,
}

/// What `GET /state` answers.
pub struct StateView {
    pub etag: String,
    /// `None` when the caller's `If-None-Match` already names this state.
    pub body: Option<Bytes>,
}

/// How a new SSE subscriber starts.
pub enum StreamStart {
    /// Everything it missed since its `Last-Event-ID`.
    Replay(Vec<Arc<ContextEvent>>),
    /// A full state, current up to event `id`.
    Snapshot { json: Arc<str>, id: u64 },
}

pub struct Subscription {
    pub start: StreamStart,
    pub receiver: broadcast::Receiver<Arc<ContextEvent>>,
    pub context_id: ContextId,
    /// Names this stream's events apart from other channels' (see [`event_id`]).
    pub epoch: Arc<str>,
}

/// How many times an action is tried when other processes keep saving the context first.
const CONFLICT_ATTEMPTS: u32 = 4;

/// Runs `attempt` again, up to [`CONFLICT_ATTEMPTS`] times in all, while it fails because
/// another process saved the context first; each attempt starts from what the store holds.
async fn retry_on_conflict<T, F, Fut>(id: ContextId, mut attempt: F) -> Result<T, ChatError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ChatError>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(ChatError::Store(StoreError::Conflict)) if tries < CONFLICT_ATTEMPTS => {
                debug!(context = %id, tries, "changed elsewhere meanwhile; trying again on the new state");
                tries += 1;
            }
            result => return result,
        }
    }
}

/// The current time, at the millisecond precision stores keep, so what is in memory equals
/// what is on disk.
pub(crate) fn now() -> Timestamp {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

fn context_of(state: &mut SlotState) -> &mut ChatContext {
    state.context.as_mut().expect("the context was opened above")
}

impl ChatService {
    pub fn new(
        store: Arc<dyn ContextStore>,
        provider: Arc<dyn Provider>,
        tools: ToolRegistry,
        settings: ChatSettings,
    ) -> Self {
        ChatService {
            inner: Arc::new(Inner {
                store,
                // Nothing a model says reaches a save or a client with a NUL in it.
                provider: crate::untrusted::provider(provider),
                tools,
                settings,
                slots: StdMutex::new(HashMap::new()),
                next_run: AtomicU64::new(1),
                tasks: TaskTracker::new(),
                closing: CancellationToken::new(),
                holder: format!("confab-{}", uuid::Uuid::new_v4().simple()),
            }),
        }
    }

    pub fn info(&self) -> ServerInfoDTO {
        let model = self.inner.provider.info();
        ServerInfoDTO {
            provider: model.provider,
            model: model.model,
            model_label: model.label,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    pub fn store(&self) -> &Arc<dyn ContextStore> {
        &self.inner.store
    }

    /// Cancelled when the server begins to shut down.
    pub fn closing(&self) -> CancellationToken {
        self.inner.closing.clone()
    }

    pub fn settings(&self) -> &ChatSettings {
        &self.inner.settings
    }

    // --- contexts --------------------------------------------------------------------------

    #[instrument(skip(self), err(Debug))]
    pub async fn create(&self, owner: UserId, title: Option<String>) -> Result<ChatContextDTO, ChatError> {
        let title = title.map(|t| validate::title(t, self.inner.settings.max_title_chars)).transpose()?;
        let mut ctx = ChatContext::new(uuid::Uuid::new_v4(), owner, title, now());
        let slot = self.slot(ctx.id());
        let mut state = slot.state.lock().await;
        self.autosave(&mut ctx).await?;
        let dto = dto::context(&ctx);
        state.context = Some(ctx);
        self.publish_state(&slot, context_of(&mut state));
        Ok(dto)
    }

    pub async fn list(&self, owner: UserId) -> Result<Vec<ContextSummaryDTO>, ChatError> {
        let summaries = self.inner.store.list(owner).await?;
        Ok(summaries.into_iter().map(dto::summary).collect())
    }

    pub async fn get(&self, owner: UserId, id: ContextId) -> Result<ActionResponse, ChatError> {
        self.read(owner, id, dto::response).await
    }

    /// The whole conversation as a versioned export file.
    pub async fn export(&self, owner: UserId, id: ContextId) -> Result<ExportedContext, ChatError> {
        self.read(owner, id, transfer::export).await
    }

    /// The active branch as Markdown, with the conversation's title.
    pub async fn export_markdown(&self, owner: UserId, id: ContextId) -> Result<(String, String), ChatError> {
        self.read(owner, id, |ctx| (ctx.title().to_string(), transfer::markdown(ctx))).await
    }

    /// A new conversation from an export file; a broken or hostile file creates nothing.
    #[instrument(skip(self, file), err(Debug))]
    pub async fn import(&self, owner: UserId, file: ExportedContext) -> Result<ChatContextDTO, ChatError> {
        let max = self.inner.settings.max_message_chars;
        let mut ctx = transfer::import(file, owner, now(), max).map_err(|message| ChatError::Invalid {
            field: "file",
            message: format!("this file cannot be imported: {message}"),
        })?;
        let slot = self.slot(ctx.id());
        let mut state = slot.state.lock().await;
        self.autosave(&mut ctx).await?;
        let dto = dto::context(&ctx);
        state.context = Some(ctx);
        self.publish_state(&slot, context_of(&mut state));
        Ok(dto)
    }

    /// Full-text search over the user's messages and titles.
    pub async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchResultDTO>, ChatError> {
        let hits = self.inner.store.search(owner, query, limit).await?;
        Ok(hits
            .into_iter()
            .map(|hit| SearchResultDTO {
                context_id: hit.context_id,
                context_title: hit.context_title,
                message_id: hit.message_id,
                snippet: hit
                    .snippet
                    .into_iter()
                    .map(|p| SnippetPartDTO { text: p.text, highlight: p.highlight })
                    .collect(),
            })
            .collect())
    }

    /// Runs `f` on a context the caller owns.
    async fn read<T>(&self, owner: UserId, id: ContextId, f: impl FnOnce(&ChatContext) -> T) -> Result<T, ChatError> {
        let slot = self.slot(id);
        let mut state = slot.state.lock().await;
        self.open(&slot, &mut state, owner).await?;
        Ok(f(context_of(&mut state)))
    }

    #[instrument(skip(self), err(Debug))]
    pub async fn rename(&self, owner: UserId, id: ContextId, title: String) -> Result<ActionResponse, ChatError> {
        let title = validate::title(title, self.inner.settings.max_title_chars)?;
        // Saved first by another process: rename what it saved.
        retry_on_conflict(id, || async {
            let slot = self.slot(id);
            let mut state = slot.state.lock().await;
            self.open(&slot, &mut state, owner).await?;
            context_of(&mut state).rename(title.clone(), now());
            self.commit(&slot, &mut state, true).await?;
            Ok(dto::response(context_of(&mut state)))
        })
        .await
    }

    #[instrument(skip(self), err(Debug))]
    pub async fn delete(&self, owner: UserId, id: ContextId) -> Result<(), ChatError> {
        let slot = self.slot(id);
        let mut state = slot.state.lock().await;
        self.open(&slot, &mut state, owner).await?;
        self.inner.store.delete(id).await?;
        state.stop_run();
        state.context = None;
        slot.set_published(Published::default());
        slot.events.publish(EventKind::Closed);
        self.forget(id);
        Ok(())
    }

    // --- actions ---------------------------------------------------------------------------

    /// Runs a person's action. Returns once its effect is saved; a generation it starts
    /// runs on as a server task.
    #[instrument(skip(self, event), fields(event = %event.kind()), err(Debug))]
    pub async fn act(
        &self,
        owner: UserId,
        id: ContextId,
        event: Event,
        client_action_id: Option<String>,
    ) -> Result<ActionResponse, ChatError> {
        validate::event(&event, self.inner.settings.max_message_chars)?;
        validate::client_action_id(client_action_id.as_deref())?;
        // Another process saved first (a shared database): the action runs again on what it
        // saved, which may refuse it, or find it was this very action.
        retry_on_conflict(id, || self.act_once(owner, id, event.clone(), client_action_id.clone())).await
    }

    async fn act_once(
        &self,
        owner: UserId,
        id: ContextId,
        event: Event,
        client_action_id: Option<String>,
    ) -> Result<ActionResponse, ChatError> {
        let slot = self.slot(id);
        let mut state = slot.state.lock().await;
        self.open(&slot, &mut state, owner).await?;
        let ctx = context_of(&mut state);
        // The first message of a conversation gets the model to name it.
        let opening = match &event {
            Event::SendMessage { content } if ctx.messages().is_empty() => Some(content.clone()),
            _ => None,
        };
        match ctx.apply_action(event, client_action_id, now())? {
            Applied::Duplicate => {
                debug!(context = %id, "repeated action id: nothing to do");
                self.commit(&slot, &mut state, true).await?;
            }
            Applied::Done(transition) => {
                debug!(context = %id, from = %transition.from, to = %transition.to, "transition");
                // Work is claimed before the status that says it runs is saved, so no other
                // process ever sees that status without a live lease and takes it for work
                // abandoned by a dead process.
                let starts_work = matches!(transition.effect, Some(Effect::StartGeneration | Effect::ExecuteTools));
                if starts_work {
                    let taken = self.take_lease(id).await;
                    if !matches!(taken, Ok(true)) {
                        // Unsaved, so undone: the store stays the truth.
                        state.context = None;
                        return Err(taken.err().unwrap_or(ChatError::Busy));
                    }
                }
                if let Err(error) = self.commit(&slot, &mut state, true).await {
                    if starts_work {
                        self.release(id).await;
                    }
                    return Err(error);
                }
                self.follow(&slot, &mut state, transition.effect);
                if let Some(first_message) = opening {
                    self.spawn_title(id, first_message);
                }
            }
        }
        Ok(dto::response(context_of(&mut state)))
    }

    /// The state for polling, cheap when nothing changed: a matching `If-None-Match` is
    /// answered without taking the context lock.
    pub async fn state(
        &self,
        owner: UserId,
        id: ContextId,
        if_none_match: Option<&str>,
    ) -> Result<StateView, ChatError> {
        let slot = self.slot(id);
        if let Some(view) = Self::published_view(&slot, owner, if_none_match)? {
            return Ok(view);
        }
        let mut state = slot.state.lock().await;
        self.open(&slot, &mut state, owner).await?;
        if let Some(view) = Self::published_view(&slot, owner, if_none_match)? {
            return Ok(view);
        }
        let ctx = context_of(&mut state);
        let body = Bytes::from(serde_json::to_vec(&dto::response(ctx)).expect("wire types serialize"));
        let mut published = slot.published();
        published.body = Some(body.clone());
        let etag = published.etag.clone().unwrap_or_default();
        slot.set_published(published);
        Ok(StateView { etag, body: Some(body) })
    }

    fn published_view(slot: &Slot, owner: UserId, if_none_match: Option<&str>) -> Result<Option<StateView>, ChatError> {
        let published = slot.published();
        let (Some(known_owner), Some(etag)) = (published.owner, published.etag) else {
            return Ok(None);
        };
        if known_owner != owner {
            return Err(ChatError::NotFound);
        }
        if if_none_match.is_some_and(|header| etag_matches(header, &etag)) {
            return Ok(Some(StateView { etag, body: None }));
        }
        Ok(published.body.map(|body| StateView { etag, body: Some(body) }))
    }

    /// Subscribes to a context's events: a snapshot (or what was missed since
    /// `last_event_id`), then every event after it.
    pub async fn subscribe(
        &self,
        owner: UserId,
        id: ContextId,
        last_event_id: Option<&str>,
    ) -> Result<Subscription, ChatError> {
        let slot = self.slot(id);
        let mut state = slot.state.lock().await;
        self.open(&slot, &mut state, owner).await?;
        // Under the lock no event can be published, so the receiver starts right after the
        // snapshot or the replay: nothing doubled, nothing missed.
        let receiver = slot.events.subscribe();
        let replay = last_event_id.and_then(|raw| slot.events.parse_event_id(raw)).and_then(|n| slot.events.since(n));
        let start = match replay {
            Some(missed) => StreamStart::Replay(missed),
            None => self.snapshot_of(&slot, context_of(&mut state)),
        };
        Ok(Subscription { start, receiver, context_id: id, epoch: slot.events.epoch() })
    }

    /// A fresh snapshot for a subscriber that fell behind.
    pub async fn resnapshot(&self, owner: UserId, id: ContextId) -> Result<StreamStart, ChatError> {
        let slot = self.slot(id);
        let mut state = slot.state.lock().await;
        self.open(&slot, &mut state, owner).await?;
        Ok(self.snapshot_of(&slot, context_of(&mut state)))
    }

    fn snapshot_of(&self, slot: &Slot, ctx: &ChatContext) -> StreamStart {
        let json: Arc<str> = serde_json::to_string(&dto::response(ctx)).expect("wire types serialize").into();
        StreamStart::Snapshot { json, id: slot.events.last_id() }
    }

    // --- start and stop ---------------------------------------------------------------------

    /// Finds contexts a previous process left mid-work and marks them interrupted, so none
    /// stays stuck in `processing`, `streaming` or `executing_tools`.
    ///
    /// On a shared database only work whose lease has expired counts: another live process
    /// may be running the rest. On a store no one else uses, every lease is stale at start.
    pub async fn recover(&self) -> Result<usize, ChatError> {
        let store = &self.inner.store;
        if !store.is_shared() {
            store.clear_leases().await?;
        }
        let busy = [Status::Processing, Status::Streaming, Status::ExecutingTools];
        let ids = store.unleased_with_status(&busy).await?;
        for &id in &ids {
            let slot = self.slot(id);
            let mut state = slot.state.lock().await;
            if state.run.is_some() {
                continue;
            }
            // What this process holds of it may be old: the store is the truth.
            state.context = None;
            self.open_any(&slot, &mut state).await?;
        }
        if !ids.is_empty() {
            info!(count = ids.len(), "recovered contexts whose work was interrupted");
        }
        Ok(ids.len())
    }

    /// Stops every generation and saves it as interrupted (keeping its partial text), ends
    /// live streams, and waits for running tasks, at most `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.closing.cancel();
        let slots: Vec<Arc<Slot>> = self.inner.slots.lock().expect("slots lock").values().cloned().collect();
        for slot in slots {
            let mut state = slot.state.lock().await;
            if state.run.is_none() {
                continue;
            }
            state.stop_run();
            let busy = state.context.as_ref().is_some_and(|ctx| ctx.status().is_busy());
            if busy {
                let _ = context_of(&mut state).apply(Event::Interrupted, now());
                if let Err(error) = self.commit(&slot, &mut state, true).await {
                    warn!(context = %slot.id, %error, "could not save an interrupted reply at shutdown");
                }
            }
        }
        self.inner.tasks.close();
        if tokio::time::timeout(grace, self.inner.tasks.wait()).await.is_err() {
            warn!("some tasks were still running when shutdown's grace period ended");
        }
    }

    // --- internals ---------------------------------------------------------------------------

    fn slot(&self, id: ContextId) -> Arc<Slot> {
        let mut slots = self.inner.slots.lock().expect("slots lock");
        let slot = slots.entry(id).or_insert_with(|| Arc::new(Slot::new(id))).clone();
        slot.touch();
        slot
    }

    /// Drops from memory every context nobody has used for `idle`: no request, task or
    /// stream holds it and nothing runs. It loads again from the store on its next use, so
    /// memory follows the conversations in use, not every one ever opened. Returns how
    /// many were dropped.
    pub fn unload_idle(&self, idle: Duration) -> usize {
        let mut slots = self.inner.slots.lock().expect("slots lock");
        let before = slots.len();
        // Under the table's lock nobody can take a new reference to a slot.
        slots.retain(|_, slot| !slot.is_unused(Arc::strong_count(slot), idle));
        before - slots.len()
    }

    /// How many contexts are in memory now.
    pub fn loaded(&self) -> usize {
        self.inner.slots.lock().expect("slots lock").len()
    }

    /// Unloads idle contexts every `every`, until the server shuts down.
    pub fn spawn_unloader(&self, every: Duration, idle: Duration) {
        // A weak handle: the unloader must not keep a dropped service alive.
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                if inner.closing.is_cancelled() {
                    return;
                }
                let unloaded = ChatService { inner }.unload_idle(idle);
                if unloaded > 0 {
                    debug!(unloaded, "unloaded idle contexts");
                }
            }
        });
    }

    pub(super) fn forget(&self, id: ContextId) {
        self.inner.slots.lock().expect("slots lock").remove(&id);
    }

    /// Loads the context if it is not in memory and checks that `owner` may see it.
    async fn open(&self, slot: &Arc<Slot>, state: &mut SlotState, owner: UserId) -> Result<(), ChatError> {
        self.open_any(slot, state).await?;
        if context_of(state).owner() != owner {
            return Err(ChatError::NotFound);
        }
        Ok(())
    }

    async fn open_any(&self, slot: &Arc<Slot>, state: &mut SlotState) -> Result<(), ChatError> {
        if state.context.is_some() {
            return Ok(());
        }
        let Some(ctx) = self.inner.store.load(slot.id).await? else {
            self.forget(slot.id);
            return Err(ChatError::NotFound);
        };
        state.context = Some(ctx);
        self.refresh_published(slot, context_of(state), None);
        let orphaned =
            context_of(state).status().is_busy() && state.run.is_none() && !self.leased_elsewhere(slot.id).await?;
        if orphaned {
            // Its task died with an earlier process, or stopped when a save failed; no live
            // process holds its lease.
            warn!(context = %slot.id, status = %context_of(state).status(), "marking orphaned work as interrupted");
            context_of(state).apply(Event::Interrupted, now())?;
            self.commit(slot, state, true).await?;
        }
        Ok(())
    }

    /// Saves the context if it is dirty and tells subscribers. A failed save drops the
    /// in-memory copy (the store stays the truth) and stops any task working on it.
    async fn commit(&self, slot: &Slot, state: &mut SlotState, announce: bool) -> Result<(), ChatError> {
        let ctx = context_of(state);
        match self.autosave(ctx).await {
            Ok(false) => Ok(()),
            Ok(true) if announce => {
                self.publish_state(slot, context_of(state));
                Ok(())
            }
            Ok(true) => {
                self.refresh_published(slot, context_of(state), None);
                Ok(())
            }
            // What a model or tool produced cannot be stored: the run fails, naming why.
            Err(StoreError::Rejected(reason)) if state.run.is_some() => {
                self.fail_rejected_run(slot, state, &reason).await;
                Err(StoreError::Rejected(reason).into())
            }
            Err(error) => {
                warn!(context = %slot.id, %error, "save failed; dropping the unsaved change");
                state.stop_run();
                state.context = None;
                slot.set_published(Published::default());
                self.spawn_resync(slot);
                Err(error.into())
            }
        }
    }

    /// After a failed save, loads the context again as soon as storage is back (or, when
    /// another process saved first, at once), so work that was running is marked
    /// interrupted and every tab hears what the store holds, without anyone having to touch
    /// the conversation.
    fn spawn_resync(&self, slot: &Slot) {
        if slot.resyncing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (service, id) = (self.clone(), slot.id);
        self.inner.tasks.spawn(async move {
            let mut delay = Duration::from_millis(50);
            loop {
                tokio::select! {
                    _ = service.inner.closing.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
                let slot = service.slot(id);
                let mut state = slot.state.lock().await;
                let reload = state.context.is_none();
                match service.open_any(&slot, &mut state).await {
                    Ok(()) | Err(ChatError::NotFound) => {
                        slot.resyncing.store(false, Ordering::Release);
                        if reload && state.context.is_some() {
                            debug!(context = %id, "context reloaded after a failed save");
                            service.publish_state(&slot, context_of(&mut state));
                        }
                        return;
                    }
                    Err(error) => debug!(context = %id, %error, "storage still unavailable"),
                }
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        });
    }

    /// Writes what is dirty, or nothing when nothing is. Returns whether it wrote.
    async fn autosave(&self, ctx: &mut ChatContext) -> Result<bool, StoreError> {
        if !ctx.is_dirty() {
            debug!("context {} not dirty, skipping save", ctx.id());
            return Ok(false);
        }
        debug!("saving dirty context {}", ctx.id());
        self.inner.store.save(&ctx.changes()).await?;
        ctx.mark_saved();
        Ok(true)
    }

    fn publish_state(&self, slot: &Slot, ctx: &ChatContext) {
        let json = serde_json::to_vec(&dto::response(ctx)).expect("wire types serialize");
        let text: Arc<str> = String::from_utf8(json.clone()).expect("JSON is UTF-8").into();
        slot.events.publish(EventKind::State(text));
        self.refresh_published(slot, ctx, Some(Bytes::from(json)));
    }

    fn publish_delta(&self, slot: &Slot, ctx: &ChatContext, message_id: MessageId, seq: u64, text: &str) {
        let delta = DeltaDTO { message_id, seq, text: text.to_string() };
        let json: Arc<str> = serde_json::to_string(&delta).expect("wire types serialize").into();
        slot.events.publish(EventKind::Delta(json));
        self.refresh_published(slot, ctx, None);
        let notice = Notice::Delta { context: slot.id, message: message_id, seq, text: text.to_string() };
        self.inner.store.announce(notice);
    }

    /// The ETag names the saved version and every event since, so a streaming reply that
    /// grew in memory is a new state for pollers too.
    fn refresh_published(&self, slot: &Slot, ctx: &ChatContext, body: Option<Bytes>) {
        let etag = format!("\"{}-{}-{}\"", ctx.version(), slot.events.epoch(), slot.events.last_id());
        slot.set_published(Published { owner: Some(ctx.owner()), etag: Some(etag), body });
    }

    fn follow(&self, slot: &Arc<Slot>, state: &mut SlotState, effect: Option<Effect>) {
        match effect {
            Some(Effect::StartGeneration) => self.start(slot, state, Job::Generate),
            Some(Effect::ExecuteTools) => self.start(slot, state, Job::RunTools),
            Some(Effect::StopGeneration) => state.stop_run(),
            None => {}
        }
    }

    /// Asks the model for a title, off the hot path; a title set by hand meanwhile wins.
    fn spawn_title(&self, id: ContextId, first_message: String) {
        let service = self.clone();
        self.inner.tasks.spawn(async move {
            let Some(title) = service.inner.provider.title(&first_message).await else { return };
            let title: String = title.lines().next().unwrap_or_default().trim().chars().take(80).collect();
            if title.is_empty() {
                return;
            }
            let slot = service.slot(id);
            let mut state = slot.state.lock().await;
            if service.open_any(&slot, &mut state).await.is_err() {
                return;
            }
            if context_of(&mut state).set_generated_title(title, now()) {
                if let Err(error) = service.commit(&slot, &mut state, true).await {
                    debug!(context = %id, %error, "could not save the generated title");
                }
            }
        });
    }

    fn start(&self, slot: &Arc<Slot>, state: &mut SlotState, job: Job) {
        state.stop_run();
        let run = Run { id: self.inner.next_run.fetch_add(1, Ordering::Relaxed), token: CancellationToken::new() };
        let (run_id, token) = (run.id, run.token.clone());
        state.run = Some(run);
        let (service, slot) = (self.clone(), slot.clone());
        self.inner.tasks.spawn(async move { runner::run(service, slot, run_id, token, job).await });
    }

    /// The context's lock, if run `run_id` is still the one working on it.
    async fn lock_for_run<'a>(&self, slot: &'a Slot, run_id: u64) -> Option<MutexGuard<'a, SlotState>> {
        let state = slot.state.lock().await;
        let current = state.run.as_ref().is_some_and(|run| run.id == run_id && !run.token.is_cancelled());
        (current && state.context.is_some()).then_some(state)
    }

    async fn end_run(&self, slot: &Slot, run_id: u64) {
        let mut state = slot.state.lock().await;
        if state.run.as_ref().is_some_and(|run| run.id == run_id) {
            state.run = None;
        }
    }
}

/// True when an `If-None-Match` header names `etag` (or is `*`).
fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(|candidate| candidate.trim().trim_start_matches("W/")).any(|c| c == etag || c == "*")
}

#[cfg(test)]
mod tests {
    use super::etag_matches;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        assert!(etag_matches("\"3-a-1\"", "\"3-a-1\""));
        assert!(etag_matches("\"x\", W/\"3-a-1\"", "\"3-a-1\""));
        assert!(etag_matches("*", "\"3-a-1\""));
        assert!(!etag_matches("\"3-a-2\"", "\"3-a-1\""));
    }
}
