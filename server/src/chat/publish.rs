//! What a context looks like from outside, kept current after every change: the `state`
//! and `delta` events its subscribers get, and the published view (ETag and JSON) that
//! polling reads without taking the context's lock. One serialization of a state serves
//! both.

use std::sync::Arc;

use app::wire::DeltaDTO;
use confab_core::{ChatContext, MessageId, UserId};

use super::events::EventKind;
use super::slot::{Published, Slot};
use super::{dto, ChatError};

/// The state as clients get it: an `ActionResponse`, as JSON.
pub(crate) fn state_json(ctx: &ChatContext) -> Arc<str> {
    serde_json::to_string(&dto::response(ctx)).expect("wire types serialize").into()
}

/// Tells subscribers the context's new state, and publishes it for polling.
pub(crate) fn state(slot: &Slot, ctx: &ChatContext) {
    let json = state_json(ctx);
    slot.events.publish(EventKind::State(json.clone()));
    refresh(slot, ctx, Some(json));
    slot.users.changed(ctx);
}

/// Tells subscribers a piece of streamed text.
pub(crate) fn delta(slot: &Slot, ctx: &ChatContext, message_id: MessageId, seq: u64, text: &str) {
    let delta = DeltaDTO { message_id, seq, text: text.to_string() };
    let json: Arc<str> = serde_json::to_string(&delta).expect("wire types serialize").into();
    slot.events.publish(EventKind::Delta(json));
    refresh(slot, ctx, None);
}

/// Tells subscribers a piece of streamed reasoning.
pub(crate) fn reasoning(slot: &Slot, ctx: &ChatContext, message_id: MessageId, seq: u64, text: &str) {
    let delta = DeltaDTO { message_id, seq, text: text.to_string() };
    let json: Arc<str> = serde_json::to_string(&delta).expect("wire types serialize").into();
    slot.events.publish(EventKind::Reasoning(json));
    refresh(slot, ctx, None);
}

/// Updates the published view. The ETag names the saved version and every event since, so
/// a streaming reply that grew in memory is a new state for pollers too.
pub(crate) fn refresh(slot: &Slot, ctx: &ChatContext, body: Option<Arc<str>>) {
    let etag = format!("\"{}-{}-{}\"", ctx.version(), slot.events.epoch(), slot.events.last_id());
    slot.set_published(Published { owner: Some(ctx.owner()), etag: Some(etag), body });
}

/// The context is gone: streams end, polls find nothing.
pub(crate) fn closed(slot: &Slot) {
    if let Some(owner) = slot.published().owner {
        slot.users.removed(owner, slot.id);
    }
    slot.set_published(Published::default());
    slot.events.publish(EventKind::Closed);
}

/// What a poll gets: the state's ETag and, unless the client has it already, its JSON.
pub struct StateView {
    pub etag: String,
    /// `None` when the caller already has this state.
    pub body: Option<Arc<str>>,
}

/// The published view, if it can answer for `owner` without the context's lock. `has` says
/// whether the caller already holds a state with a given ETag.
pub(crate) fn view(
    slot: &Slot,
    owner: UserId,
    has: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Option<StateView>, ChatError> {
    let published = slot.published();
    let (Some(known_owner), Some(etag)) = (published.owner, published.etag) else {
        return Ok(None);
    };
    if known_owner != owner {
        return Err(ChatError::NotFound);
    }
    if has(&etag) {
        return Ok(Some(StateView { etag, body: None }));
    }
    Ok(published.body.map(|body| StateView { etag, body: Some(body) }))
}

/// Renders the state for polling and keeps it published until the next change.
pub(crate) fn render(slot: &Slot, ctx: &ChatContext) -> StateView {
    let body = state_json(ctx);
    let mut published = slot.published();
    published.body = Some(body.clone());
    let etag = published.etag.clone().unwrap_or_default();
    slot.set_published(published);
    StateView { etag, body: Some(body) }
}
