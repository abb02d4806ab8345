//! What a client that holds a window of a conversation is sent after a change: the patch
//! from the version it holds (DESIGN.md section 7), or, when that version is too old to be
//! remembered, the whole window again. Actions sent with `base_version`, `GET /state?since=`
//! and `/events?live=patch` all answer through here.

use std::sync::Arc;

use app::wire::{ActionPatchResponse, ActionReply, ActionResponse, PatchDTO};
use confab_core::{ChatContext, ContextId, UserId};
use serde::Serialize;
use tokio::sync::broadcast;

use super::events::ContextEvent;
use super::slot::Slot;
use super::{dto, ChatError, ChatService};

/// What an action answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The whole state (DESIGN.md section 4).
    Whole,
    /// The change from version `base`, for a client holding the newest `size` messages.
    Since { base: u64, size: usize },
}

impl Answer {
    pub(crate) fn render(self, slot: &Slot, ctx: &ChatContext) -> ActionReply {
        match self {
            Answer::Whole => ActionReply::Whole(dto::response(ctx)),
            Answer::Since { base, size } => match patch(slot, ctx, base, size) {
                Some(patch) => ActionReply::Patch(ActionPatchResponse { status: patch.context.status, patch }),
                None => ActionReply::Whole(window(ctx, size)),
            },
        }
    }
}

/// The patch from `base` to the context as it is, if every change since `base` is known.
pub(crate) fn patch(slot: &Slot, ctx: &ChatContext, base: u64, size: usize) -> Option<PatchDTO> {
    let since = slot.changes.lock().expect("change log lock").since(base, ctx.version())?;
    Some(dto::patch(ctx, base, &since, size))
}

/// Whether a patch changes nothing for its client.
pub(crate) fn is_empty(patch: &PatchDTO) -> bool {
    patch.base_version == patch.version && patch.upserts.is_empty() && patch.path.is_none()
}

/// The newest `size` messages and the context's fields.
pub(crate) fn window(ctx: &ChatContext, size: usize) -> ActionResponse {
    let context = dto::window(ctx, size);
    ActionResponse { status: context.status, context }
}

/// What a stream of patches sends next.
pub struct LiveUpdate {
    /// `patch` (a PatchDTO) or `snapshot` (a windowed ActionResponse).
    pub event: &'static str,
    pub json: Arc<str>,
    /// The newest event this covers: the context as it is includes every event up to it.
    pub id: u64,
    /// The version the client holds once it has this.
    pub version: u64,
}

/// A stream of patches, subscribed: what to send first, then every event after `sent`.
pub struct PatchSubscription {
    pub first: Option<LiveUpdate>,
    /// The version the client holds (before `first`).
    pub held: u64,
    /// The newest event the client has (before `first`).
    pub sent: u64,
    pub receiver: broadcast::Receiver<Arc<ContextEvent>>,
    pub epoch: Arc<str>,
}

impl ChatService {
    /// The patch from `held` for a client with the newest `size` messages, or a windowed
    /// snapshot when `held` is unknown or too old; `None` when nothing changed for it.
    pub async fn live_update(
        &self,
        owner: UserId,
        id: ContextId,
        held: Option<u64>,
        size: usize,
    ) -> Result<Option<LiveUpdate>, ChatError> {
        let guard = self.inner.persistence.open(owner, id).await?;
        let (slot, ctx) = guard.parts();
        Ok(live_update(slot, ctx, held, size))
    }

    /// Subscribes to the changes of `owner`'s conversation list.
    pub fn subscribe_list(&self, owner: UserId) -> broadcast::Receiver<Arc<app::wire::ContextsChangeDTO>> {
        self.inner.persistence.registry.users.subscribe(owner)
    }

    /// Subscribes a client of patches to a context's events. `last_event_id` is the last
    /// event of an earlier stream of patches (it names the version the client holds): the
    /// stream then starts with the patch from there instead of a snapshot.
    pub async fn subscribe_patches(
        &self,
        owner: UserId,
        id: ContextId,
        last_event_id: Option<&str>,
        size: usize,
    ) -> Result<PatchSubscription, ChatError> {
        let guard = self.inner.persistence.open(owner, id).await?;
        let (slot, ctx) = guard.parts();
        // Under the lock no event is published: the receiver starts right after `first`.
        let receiver = slot.events.subscribe();
        let held = last_event_id.and_then(|raw| {
            let (event, version) = raw.trim().rsplit_once('~')?;
            slot.events.parse_event_id(event)?;
            version.parse::<u64>().ok()
        });
        Ok(PatchSubscription {
            first: live_update(slot, ctx, held, size),
            held: held.unwrap_or_default(),
            sent: slot.events.last_id(),
            receiver,
            epoch: slot.events.epoch(),
        })
    }
}

/// The SSE id of event `n` for a client of patches that holds `version` then.
pub fn patch_event_id(epoch: &str, n: u64, version: u64) -> String {
    format!("{}~{version}", super::event_id(epoch, n))
}

fn live_update(slot: &Slot, ctx: &ChatContext, held: Option<u64>, size: usize) -> Option<LiveUpdate> {
    let (id, version) = (slot.events.last_id(), ctx.version());
    match held.and_then(|held| patch(slot, ctx, held, size)) {
        Some(patch) if is_empty(&patch) => None,
        Some(patch) => Some(LiveUpdate { event: "patch", json: to_json(&patch), id, version }),
        None => Some(LiveUpdate { event: "snapshot", json: to_json(&window(ctx, size)), id, version }),
    }
}

fn to_json(value: &impl Serialize) -> Arc<str> {
    serde_json::to_string(value).expect("wire types serialize").into()
}
