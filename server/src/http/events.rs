//! `GET /events`: server-sent events. A `snapshot` first (or, after a reconnect with
//! `Last-Event-ID`, exactly the events missed), then `state` and `delta` events as they
//! happen. A subscriber that falls too far behind gets a fresh `snapshot` instead of a gap.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::accounts::request_token;
use super::extract::{ApiPath, ApiQuery};
use super::patches;
use super::state::{window_size, DEFAULT_WINDOW};
use crate::auth::CurrentUser;
use crate::chat::{event_id, ChatService, ContextEvent, EventKind, StreamStart, Subscription};
use crate::error::ApiError;
use crate::state::AppState;

pub(super) const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// What a client is told to wait before reconnecting when the server closes the stream.
const RECONNECT_HINT: Duration = Duration::from_secs(1);

/// A new `EventSource` cannot set `Last-Event-ID`; it may name the event in the URL instead.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct EventsQuery {
    /// Resume after this event (the `Last-Event-ID` header wins when both are sent).
    last_event_id: Option<String>,
    /// `patch`: a windowed `snapshot`, then `patch` events instead of `state` events.
    #[param(pattern = "^patch$")]
    live: Option<String>,
    /// With `live=patch`: how many of the branch's newest messages the client holds (1 to
    /// 10,000; 100 when absent).
    #[param(minimum = 1, maximum = 10000)]
    window: Option<u32>,
}

/// Server-sent events: `snapshot` (an ActionResponse) first, then `state` (an ActionResponse)
/// after each saved transition, `delta` (a DeltaDTO) while text streams and `reasoning` (a
/// DeltaDTO numbered on its own) while the model's reasoning streams. Send `Last-Event-ID`
/// to resume. With `live=patch`, the snapshot holds the newest `window` messages and each
/// change comes as a `patch` (a PatchDTO) from the version the client holds.
#[utoipa::path(get, path = "/api/contexts/{id}/events", tag = "live",
    params(("id" = Uuid, Path, description = "The conversation"),
           ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event"), EventsQuery),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = crate::openapi::ServerSentEvent),
              crate::openapi::Errors))]
pub async fn stream(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<EventsQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let header = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let last_event_id = header.or(query.last_event_id.as_deref());
    let events = match query.live.as_deref() {
        None => {
            let subscription = app.chat.subscribe(user.id, id, last_event_id).await?;
            events(app.chat.clone(), user.id, subscription).boxed()
        }
        Some("patch") => {
            let size = window_size(query.window.unwrap_or(DEFAULT_WINDOW))?;
            patches::stream(app.chat.clone(), user.id, id, last_event_id, size).await?.boxed()
        }
        Some(_) => return Err(ApiError::bad_request("invalid_field", "live must be \"patch\"")),
    };
    let events = events.take_until(app.auth.signed_out(user.id, request_token(&headers)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

fn events(
    chat: ChatService,
    user: uuid::Uuid,
    subscription: Subscription,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    async_stream::stream! {
        let ids = subscription.epoch.clone();
        let Subscription { start, mut receiver, context_id, .. } = subscription;
        let closing = chat.closing();
        // The id of the newest event this client has; anything at or below it is not sent.
        let mut sent = 0;
        match start {
            StreamStart::Snapshot { json, id } => {
                sent = id;
                yield Ok(snapshot(&ids, &json, id));
            }
            StreamStart::Replay(missed) => {
                for event in missed {
                    sent = event.id;
                    match to_sse(&ids, &event) {
                        Some(sse) => yield Ok(sse),
                        None => return,
                    }
                }
            }
        }
        loop {
            let Some(next) = next_event(&closing, &mut receiver).await else {
                yield Ok(restarting());
                return;
            };
            match next {
                Ok(event) if event.id <= sent => continue,
                Ok(event) => {
                    sent = event.id;
                    match to_sse(&ids, &event) {
                        Some(sse) => yield Ok(sse),
                        None => return,
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(%context_id, missed, "subscriber fell behind; sending a snapshot");
                    // Boxed: inline, this rarely taken path (it may load the context) would
                    // size every open stream's state for it, thousands of idle tabs at once.
                    match Box::pin(chat.resnapshot(user, context_id)).await {
                        Ok(StreamStart::Snapshot { json, id }) => {
                            sent = id;
                            yield Ok(snapshot(&ids, &json, id));
                        }
                        _ => return,
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    }
}

/// The next event, or `None` once the server is shutting down.
pub(super) async fn next_event<T: Clone>(
    closing: &CancellationToken,
    receiver: &mut broadcast::Receiver<T>,
) -> Option<Result<T, RecvError>> {
    tokio::select! {
        biased;
        _ = closing.cancelled() => None,
        next = receiver.recv() => Some(next),
    }
}

/// The last words of a stream the server closes: come back soon.
pub(super) fn restarting() -> SseEvent {
    SseEvent::default().retry(RECONNECT_HINT).comment("server restarting")
}

fn snapshot(epoch: &str, json: &str, id: u64) -> SseEvent {
    SseEvent::default().event("snapshot").id(event_id(epoch, id)).data(json)
}

/// `None` for the event that ends the stream (the context was deleted).
fn to_sse(epoch: &str, event: &Arc<ContextEvent>) -> Option<SseEvent> {
    let (name, data) = match &event.kind {
        EventKind::State(json) => ("state", json),
        EventKind::Delta(json) => ("delta", json),
        EventKind::Reasoning(json) => ("reasoning", json),
        EventKind::Closed => return None,
    };
    Some(SseEvent::default().event(name).id(event_id(epoch, event.id)).data(data.as_ref()))
}
