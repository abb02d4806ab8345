//! `GET /events?live=patch`: the event stream of a client that holds a window of the
//! conversation. A windowed `snapshot` first (or, resuming, the `patch` from the version the
//! last event id names), then a `patch` after each saved change instead of the whole state,
//! and `delta` and `reasoning` events as they come. Every event id also names the version
//! the client holds at that event, so a resume knows where to patch from.

use std::convert::Infallible;
use std::sync::Arc;

use axum::response::sse::Event as SseEvent;
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::events::{next_event, restarting};
use crate::chat::{patch_event_id, ChatService, EventKind, LiveUpdate, PatchSubscription};
use crate::error::ApiError;

/// One thing a stream of patches says, before it is framed as a server-sent event.
pub enum Said {
    /// An event: its name, its id (none when empty: the client keeps the last one) and its
    /// data (a JSON object).
    Event { name: &'static str, id: String, data: Arc<str> },
    /// The server is shutting down: come back soon.
    Restarting,
}

impl Said {
    pub fn into_sse(self) -> SseEvent {
        match self {
            Said::Event { name, id, data } => {
                let event = SseEvent::default().event(name).data(data.as_ref());
                if id.is_empty() {
                    event
                } else {
                    event.id(id)
                }
            }
            Said::Restarting => restarting(),
        }
    }
}

pub async fn stream(
    chat: ChatService,
    user: Uuid,
    context: Uuid,
    last_event_id: Option<&str>,
    size: usize,
) -> Result<impl Stream<Item = Result<SseEvent, Infallible>>, ApiError> {
    Ok(said(chat, user, context, last_event_id, size).await?.map(|said| Ok(said.into_sse())))
}

/// What a client of patches of one conversation is told, from now on.
pub async fn said(
    chat: ChatService,
    user: Uuid,
    context: Uuid,
    last_event_id: Option<&str>,
    size: usize,
) -> Result<impl Stream<Item = Said>, ApiError> {
    let subscription = chat.subscribe_patches(user, context, last_event_id, size).await?;
    Ok(async_stream::stream! {
        let PatchSubscription { first, mut held, mut sent, mut receiver, epoch } = subscription;
        let closing = chat.closing();
        if let Some(update) = first {
            (sent, held) = (update.id, update.version);
            yield update_said(&epoch, update);
        }
        loop {
            let Some(next) = next_event(&closing, &mut receiver).await else {
                yield Said::Restarting;
                return;
            };
            let ask = match next {
                Ok(event) if event.id <= sent => continue,
                Ok(event) => match &event.kind {
                    // The patch stands for every event up to now, these included.
                    EventKind::State(_) => Some(held),
                    EventKind::Delta(json) | EventKind::Reasoning(json) => {
                        let name = if matches!(event.kind, EventKind::Delta(_)) { "delta" } else { "reasoning" };
                        sent = event.id;
                        yield Said::Event { name, id: patch_event_id(&epoch, sent, held), data: json.clone() };
                        continue;
                    }
                    EventKind::Closed => return,
                },
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(%context, missed, "subscriber of patches fell behind; sending a snapshot");
                    None
                }
                Err(RecvError::Closed) => return,
            };
            // Boxed: this path may load the context, and would otherwise size every idle stream.
            match Box::pin(chat.live_update(user, context, ask, size)).await {
                Ok(Some(update)) => {
                    (sent, held) = (update.id, update.version);
                    yield update_said(&epoch, update);
                }
                Ok(None) => {}
                Err(_) => return,
            }
        }
    })
}

fn update_said(epoch: &str, update: LiveUpdate) -> Said {
    Said::Event { name: update.event, id: patch_event_id(epoch, update.id, update.version), data: update.json }
}
