//! `GET /api/events`: one stream for everything a browser's tabs watch, so ten tabs use one
//! connection. It carries the patch streams of the conversations named in `contexts` (each
//! event's data names its `context_id`) and `contexts` events when the user's conversation
//! list changes. The tabs share it (one leader tab holds it); opening another conversation
//! opens a new stream that starts with a snapshot of each.

use std::convert::Infallible;

use app::wire::ContextsChangeDTO;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::accounts::request_token;
use super::events::{next_event, KEEP_ALIVE};
use super::extract::ApiQuery;
use super::patches::{self, Said};
use super::state::{window_size, DEFAULT_WINDOW};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// How many conversations one stream may carry.
pub const MAX_CONTEXTS: usize = 64;

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct UserEventsQuery {
    /// The conversations to follow, comma-separated ids (at most 64; none: only the list).
    contexts: Option<String>,
    /// `patch`, the only kind this stream carries (the default).
    #[param(pattern = "^patch$")]
    live: Option<String>,
    /// How many of each branch's newest messages the client holds (1 to 10,000; 100 when
    /// absent).
    #[param(minimum = 1, maximum = 10000)]
    window: Option<u32>,
    /// Resume after this event (the `Last-Event-ID` header wins when both are sent).
    last_event_id: Option<String>,
}

/// The user's stream: for each conversation in `contexts` a windowed `snapshot`, then its
/// `patch`, `delta` and `reasoning` events, each with `context_id` in its data; and a
/// `contexts` event (a ContextsChangeDTO) whenever the conversation list changes. A
/// conversation that is gone is named in a `contexts` event's `removed`.
#[utoipa::path(get, path = "/api/events", tag = "live",
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this event"), UserEventsQuery),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = crate::openapi::ServerSentEvent),
              crate::openapi::Errors))]
pub async fn stream(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(query): ApiQuery<UserEventsQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    if query.live.as_deref().is_some_and(|live| live != "patch") {
        return Err(ApiError::bad_request("invalid_field", "live must be \"patch\""));
    }
    let size = window_size(query.window.unwrap_or(DEFAULT_WINDOW))?;
    let ids = context_ids(query.contexts.as_deref().unwrap_or_default())?;
    let header = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let resume = header.or(query.last_event_id.as_deref()).and_then(|raw| raw.split_once('/'));
    // The list first: no change made while the conversations are opened is missed.
    let list = list_changes(&app, user.id);
    let mut streams: Vec<BoxStream<'static, Said>> = Vec::new();
    let mut gone = Vec::new();
    for id in ids {
        let last = resume.filter(|(context, _)| *context == id.to_string()).map(|(_, rest)| rest);
        match patches::said(app.chat.clone(), user.id, id, last, size).await {
            Ok(said) => streams.push(said.map(move |said| tag(id, said)).boxed()),
            Err(ApiError::NotFound(_)) => gone.push(id),
            Err(error) => return Err(error),
        }
    }
    let first = (!gone.is_empty())
        .then(|| contexts_event(&ContextsChangeDTO { changed: vec![], removed: gone, folders: None }));
    streams.push(list.boxed());
    let events = stream::iter(first).chain(stream::select_all(streams)).map(|said| Ok(said.into_sse()));
    let events = events.take_until(app.auth.signed_out(user.id, request_token(&headers)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The ids in `contexts=`, each once, in order.
fn context_ids(raw: &str) -> Result<Vec<Uuid>, ApiError> {
    let mut ids: Vec<Uuid> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let id = Uuid::parse_str(part).map_err(|_| {
            ApiError::bad_request("invalid_field", format!("contexts: {part:?} is not a conversation id"))
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_CONTEXTS {
        return Err(ApiError::bad_request("invalid_field", format!("contexts: at most {MAX_CONTEXTS}")));
    }
    Ok(ids)
}

/// A conversation's event, its data naming the conversation and its id too (for a resume).
fn tag(context: Uuid, said: Said) -> Said {
    match said {
        Said::Event { name, id, data } => {
            let rest = data.strip_prefix('{').unwrap_or("}");
            let separator = if rest.trim_start().starts_with('}') { "" } else { "," };
            let data = format!("{{\"context_id\":\"{context}\"{separator}{rest}").into();
            Said::Event { name, id: format!("{context}/{id}"), data }
        }
        Said::Restarting => Said::Restarting,
    }
}

fn contexts_event(change: &ContextsChangeDTO) -> Said {
    let data = serde_json::to_string(change).expect("wire types serialize").into();
    Said::Event { name: "contexts", id: String::new(), data }
}

/// The user's conversation list changing, until the server shuts down.
fn list_changes(app: &AppState, user: Uuid) -> impl Stream<Item = Said> {
    let mut receiver = app.chat.subscribe_list(user);
    let closing = app.chat.closing();
    async_stream::stream! {
        loop {
            let Some(next) = next_event(&closing, &mut receiver).await else { return };
            match next {
                Ok(change) => yield contexts_event(&change),
                // Missed changes: the tabs fetch the list again when told nothing changed
                // but a row they do not know comes later; nothing to say here.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_conversations_event_names_its_conversation_in_its_data_and_id() {
        let context = Uuid::from_u128(7);
        let Said::Event { data, id, .. } =
            tag(context, Said::Event { name: "patch", id: "ab-3~2".into(), data: Arc::from("{\"version\":2}") })
        else {
            panic!("an event stays an event")
        };
        let value: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(value["context_id"], context.to_string());
        assert_eq!(value["version"], 2);
        assert_eq!(id, format!("{context}/ab-3~2"));
    }

    #[test]
    fn contexts_are_ids_each_once_and_not_too_many() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(context_ids(&format!("{a}, {b},{a},")).unwrap(), vec![a, b]);
        assert!(context_ids("").unwrap().is_empty());
        assert!(context_ids("nope").is_err());
        let many: Vec<String> = (0..65).map(|n| Uuid::from_u128(n).to_string()).collect();
        assert!(context_ids(&many.join(",")).is_err());
    }
}
