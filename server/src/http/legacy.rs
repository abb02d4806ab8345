//! The deprecated message endpoints, kept for old clients. They are thin aliases of the
//! actions, so they pass the same state machine and checks and can never overwrite state
//! the server owns: a `PUT` of a message is an edit, which adds a branch.

use app::wire::{ActionResponse, LegacyMessageRequest, MessageRole};
use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_core::Event;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

fn deprecated(response: ActionResponse, successor: String) -> Response {
    let mut response = Json(response).into_response();
    let headers = response.headers_mut();
    headers.insert(HeaderName::from_static("deprecation"), HeaderValue::from_static("true"));
    if let Ok(link) = HeaderValue::from_str(&format!("<{successor}>; rel=\"successor-version\"")) {
        headers.insert(header::LINK, link);
    }
    response
}

fn user_role_only(role: Option<MessageRole>) -> Result<(), ApiError> {
    match role {
        None | Some(MessageRole::User) => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "invalid_field",
            "role: only user messages can be written; replies come from the server",
        )),
    }
}

/// Deprecated: use `actions/send_message`.
#[utoipa::path(post, path = "/api/contexts/{id}/messages", tag = "legacy", params(("id" = Uuid, Path, description = "The conversation")), request_body = LegacyMessageRequest,
    responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn post_message(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LegacyMessageRequest>,
) -> Result<Response, ApiError> {
    user_role_only(body.role)?;
    let event = Event::SendMessage { attachments: Vec::new(), content: body.content };
    let response = app.chat.act(user.id, id, event, body.client_action_id).await?;
    Ok(deprecated(response, format!("/api/contexts/{id}/actions/send_message")))
}

/// Deprecated: use `actions/edit_message` (this edits into a new branch, never in place).
#[utoipa::path(put, path = "/api/contexts/{id}/messages/{message_id}", tag = "legacy",
    params(("id" = Uuid, Path, description = "The conversation"), ("message_id" = Uuid, Path, description = "The user message")),
    request_body = LegacyMessageRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn put_message(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, message_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<LegacyMessageRequest>,
) -> Result<Response, ApiError> {
    user_role_only(body.role)?;
    let event = Event::EditMessage { message_id, content: body.content };
    let response = app.chat.act(user.id, id, event, body.client_action_id).await?;
    Ok(deprecated(response, format!("/api/contexts/{id}/actions/edit_message")))
}
