//! `GET /state`: the polling fallback. The ETag names the state, so an unchanged one is a
//! bodiless `304`.

#[allow(unused_imports)]
use app::wire::ActionResponse;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{ApiPath, ApiQuery};
use crate::auth::CurrentUser;
use crate::chat::SinceView;
use crate::error::ApiError;
use crate::state::AppState;

/// The largest window a state may be asked for.
pub const MAX_WINDOW: u32 = 10_000;

/// How many messages a client holds when it asks for patches without saying.
pub const DEFAULT_WINDOW: u32 = app::patch::WINDOW;

/// A window size from a request: 1 to [`MAX_WINDOW`].
pub fn window_size(window: u32) -> Result<usize, ApiError> {
    match window {
        1..=MAX_WINDOW => Ok(window as usize),
        _ => Err(ApiError::bad_request("invalid_field", format!("window must be 1 to {MAX_WINDOW}"))),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StateQuery {
    /// Only the newest `window` messages of the active branch, with `messages_before`
    /// counting the rest (1 to 10,000).
    #[param(minimum = 1, maximum = 10000)]
    window: Option<u32>,
    /// The version the client holds: the answer is a patch from it (`base_version`), `304`
    /// when nothing changed, or the whole (windowed) state when it is too old.
    since: Option<u64>,
}

/// The current state, for polling. Send the last `ETag` as `If-None-Match` to get `304`
/// while nothing changed.
#[utoipa::path(get, path = "/api/contexts/{id}/state", tag = "live",
    params(("id" = Uuid, Path, description = "The conversation"),
           ("If-None-Match" = Option<String>, Header, description = "The ETag of the state you have"), StateQuery),
    responses((status = 200, body = crate::openapi::StateAnswer, headers(("ETag" = String, description = "Names this state"))),
              (status = 304, description = "Not modified since the ETag sent"), crate::openapi::Errors))]
pub async fn get(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<StateQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let has = |etag: &str| if_none_match.is_some_and(|header| etag_matches(header, etag));
    if let Some(base) = query.since {
        let size = query.window.map(window_size).transpose()?.unwrap_or(usize::MAX);
        let no_cache = [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))];
        return Ok(match app.chat.state_since(user.id, id, base, size).await? {
            SinceView::Unchanged => (StatusCode::NOT_MODIFIED, no_cache).into_response(),
            SinceView::Patch(patch) => (no_cache, axum::Json(patch)).into_response(),
            SinceView::Whole(state) => (no_cache, axum::Json(state)).into_response(),
        });
    }
    let view = match query.window {
        None => app.chat.state(user.id, id, &has).await?,
        Some(window) => app.chat.state_window(user.id, id, window_size(window)?, &has).await?,
    };
    let etag = HeaderValue::from_str(&view.etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    let no_cache = HeaderValue::from_static("no-cache");
    let response = match view.body {
        None => (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, no_cache)]).into_response(),
        Some(body) => (
            StatusCode::OK,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, no_cache),
                (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            ],
            Body::from(Bytes::from_owner(JsonBody(body))),
        )
            .into_response(),
    };
    Ok(response)
}

/// A state's JSON, shared with the published view, as a response body without a copy.
struct JsonBody(Arc<str>);

impl AsRef<[u8]> for JsonBody {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
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
