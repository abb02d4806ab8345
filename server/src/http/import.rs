//! `POST /api/contexts/import`: conversations from a file of Confab's or of a peer's.

use app::wire::{ChatContextDTO, ExportedContext};
use app::wire_import::ImportResponse;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::extract::ApiQuery;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::import::service::{self, Answer, ImportRequest};
use crate::import::Format;
use crate::state::AppState;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The file's format; recognized from its content when absent.
    #[param(inline)]
    format: Option<Format>,
}

/// Imports the conversations of a file: a Confab export (`confab`), ChatGPT's
/// `conversations.json` or the `.zip` it comes in (`chatgpt`), an Open WebUI chat export
/// (`openwebui`) or a LibreChat conversation export (`librechat`). Each conversation is
/// imported or skipped on its own, with the reason (`already imported` for one imported
/// before); a file of one conversation that cannot be imported is a 400 that says where.
/// Compatibility: a single Confab export posted as JSON without `format`, as this endpoint
/// always took it, is answered as before: `201` with the new conversation, a new copy each
/// time.
#[utoipa::path(post, path = "/api/contexts/import", tag = "contexts", params(ImportQuery),
    request_body(content = ExportedContext, description = "The file: JSON of any of the formats, or ChatGPT's zip"),
    responses(
        (status = 200, body = ImportResponse, description = "What was imported and what was skipped"),
        (status = 201, body = ChatContextDTO, description = "A single Confab export posted as JSON without format: the new conversation"),
        crate::openapi::Errors))]
pub async fn import(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(query): ApiQuery<ImportQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let json_body = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().starts_with("application/json"));
    let limit = app.config.max_import_bytes;
    let body = Bytes::from_request(request, &app).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::bad_request("invalid_body", rejection.body_text())
        }
    })?;
    let request = ImportRequest { owner: user.id, body, format: query.format, json_body, limit };
    Ok(match service::import(&app, request).await? {
        Answer::Summary(summary) => Json(summary).into_response(),
        Answer::Legacy(context) => (StatusCode::CREATED, Json(context)).into_response(),
    })
}
