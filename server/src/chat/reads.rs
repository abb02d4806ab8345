//! Watching a context: polling its state (cheap when nothing changed) and subscribing to its
//! events, starting from a snapshot or from exactly what a reconnecting client missed.

use std::sync::Arc;

use app::wire::{ActionResponse, MessagesPage, PatchDTO};
use confab_core::{ContextId, FsmError, UserId};
use tokio::sync::broadcast;

use super::answers;
use super::dto::{self, PageFrom};
use super::events::ContextEvent;
use super::publish::{self, StateView};
use super::registry::Guard;
use super::{ChatError, ChatService};

/// How a new SSE subscriber starts.
pub enum StreamStart {
    /// Everything it missed since its `Last-Event-ID`.
    Replay(Vec<Arc<ContextEvent>>),
    /// A full state, current up to event `id`.
    Snapshot { json: Arc<str>, id: u64 },
}

/// What `GET /state?since=` answers.
pub enum SinceView {
    Unchanged,
    Patch(PatchDTO),
    Whole(ActionResponse),
}

pub struct Subscription {
    pub start: StreamStart,
    pub receiver: broadcast::Receiver<Arc<ContextEvent>>,
    pub context_id: ContextId,
    /// Names this stream's events apart from other channels' (see [`super::event_id`]).
    pub epoch: Arc<str>,
}

impl ChatService {
    /// The state for polling. `has` tells whether the caller already holds the state with a
    /// given ETag; then no body is made, and while the published view is current the
    /// context's lock is not taken at all.
    pub async fn state(
        &self,
        owner: UserId,
        id: ContextId,
        has: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<StateView, ChatError> {
        let persistence = &self.inner.persistence;
        let slot = persistence.registry.slot(id);
        if let Some(view) = publish::view(&slot, owner, has)? {
            return Ok(view);
        }
        let guard = persistence.open(owner, id).await?;
        if let Some(view) = publish::view(guard.slot(), owner, has)? {
            return Ok(view);
        }
        let (slot, ctx) = guard.parts();
        Ok(publish::render(slot, ctx))
    }

    /// A windowed state for polling: the newest `size` messages of the active branch. Its
    /// ETag is the full state's, marked with the window.
    pub async fn state_window(
        &self,
        owner: UserId,
        id: ContextId,
        size: usize,
        has: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<StateView, ChatError> {
        let guard = self.inner.persistence.open(owner, id).await?;
        let (slot, ctx) = guard.parts();
        let etag = slot.published().etag.unwrap_or_default();
        let etag = format!("{}-w{size}\"", etag.trim_end_matches('"'));
        if has(&etag) {
            return Ok(StateView { etag, body: None });
        }
        let context = dto::window(ctx, size);
        let response = ActionResponse { status: context.status, context };
        let body: Arc<str> = serde_json::to_string(&response).expect("wire types serialize").into();
        Ok(StateView { etag, body: Some(body) })
    }

    /// What changed since `base` for a client holding the newest `size` messages: nothing,
    /// a patch, or (when `base` is older than what is remembered) the whole windowed state.
    pub async fn state_since(
        &self,
        owner: UserId,
        id: ContextId,
        base: u64,
        size: usize,
    ) -> Result<SinceView, ChatError> {
        let guard = self.inner.persistence.open(owner, id).await?;
        let (slot, ctx) = guard.parts();
        Ok(match answers::patch(slot, ctx, base, size) {
            Some(patch) if answers::is_empty(&patch) => SinceView::Unchanged,
            Some(patch) => SinceView::Patch(patch),
            None => SinceView::Whole(answers::window(ctx, size)),
        })
    }

    /// A page of the active branch before or after one of its messages.
    pub async fn messages_page(
        &self,
        owner: UserId,
        id: ContextId,
        from: PageFrom,
        limit: usize,
    ) -> Result<MessagesPage, ChatError> {
        let page = self.read(owner, id, |ctx| dto::page(ctx, from, limit)).await?;
        let (PageFrom::Before(anchor) | PageFrom::After(anchor)) = from;
        let messages =
            page.ok_or_else(|| FsmError::NotFound(format!("message {anchor} is not on the active branch")))?;
        Ok(MessagesPage { messages })
    }

    /// Subscribes to a context's events: a snapshot (or what was missed since
    /// `last_event_id`), then every event after it.
    pub async fn subscribe(
        &self,
        owner: UserId,
        id: ContextId,
        last_event_id: Option<&str>,
    ) -> Result<Subscription, ChatError> {
        let guard = self.inner.persistence.open(owner, id).await?;
        let events = &guard.slot().events;
        // Under the lock no event can be published, so the receiver starts right after the
        // snapshot or the replay: nothing doubled, nothing missed.
        let receiver = events.subscribe();
        let replay = last_event_id.and_then(|raw| events.parse_event_id(raw)).and_then(|n| events.since(n));
        let start = match replay {
            Some(missed) => StreamStart::Replay(missed),
            None => snapshot(&guard),
        };
        Ok(Subscription { start, receiver, context_id: id, epoch: events.epoch() })
    }

    /// A fresh snapshot for a subscriber that fell behind.
    pub async fn resnapshot(&self, owner: UserId, id: ContextId) -> Result<StreamStart, ChatError> {
        let guard = self.inner.persistence.open(owner, id).await?;
        Ok(snapshot(&guard))
    }
}

fn snapshot(guard: &Guard) -> StreamStart {
    let (slot, ctx) = guard.parts();
    StreamStart::Snapshot { json: publish::state_json(ctx), id: slot.events.last_id() }
}
