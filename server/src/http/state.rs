//! `GET /state`: the polling fallback. The ETag names the state, so an unchanged one is a
//! bodiless `304`.

#[allow(unused_imports)]
use app::wire::ActionResponse;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::extract::ApiPath;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The current state, for polling. Send the last `ETag` as `If-None-Match` to get `304`
/// while nothing changed.
#[utoipa::path(get, path = "/api/contexts/{id}/state", tag = "live",
    params(("id" = Uuid, Path, description = "The conversation"),
           ("If-None-Match" = Option<String>, Header, description = "The ETag of the state you have")),
    responses((status = 200, body = ActionResponse, headers(("ETag" = String, description = "Names this state"))),
              (status = 304, description = "Not modified since the ETag sent"), crate::openapi::Errors))]
pub async fn get(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let view = app.chat.state(user.id, id, if_none_match).await?;
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
            Body::from(body),
        )
            .into_response(),
    };
    Ok(response)
}
