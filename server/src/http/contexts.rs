//! Contexts: list, create, read, rename, delete.

use app::wire::{ChatContextDTO, ContextSummaryDTO, CreateContextRequest, RenameContextRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use super::extract::{ApiJson, ApiJsonOrDefault, ApiPath};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Your conversations, most recently active first.
#[utoipa::path(get, path = "/api/contexts", tag = "contexts",
    responses((status = 200, body = Vec<ContextSummaryDTO>), crate::openapi::Errors))]
pub async fn list(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<ContextSummaryDTO>>, ApiError> {
    Ok(Json(app.chat.list(user.id).await?))
}

/// Starts a conversation.
#[utoipa::path(post, path = "/api/contexts", tag = "contexts", request_body(content = CreateContextRequest, description = "May be omitted"),
    responses((status = 201, body = ChatContextDTO), crate::openapi::Errors))]
pub async fn create(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJsonOrDefault(body): ApiJsonOrDefault<CreateContextRequest>,
) -> Result<(StatusCode, Json<ChatContextDTO>), ApiError> {
    let settings = app.preferences.new_context_settings(user.id, body.preset_id).await?;
    let context = app.chat.create(user.id, body.title, settings).await?;
    Ok((StatusCode::CREATED, Json(context)))
}

/// One conversation (its active branch).
#[utoipa::path(get, path = "/api/contexts/{id}", tag = "contexts", params(("id" = Uuid, Path, description = "The conversation")),
    responses((status = 200, body = ChatContextDTO), crate::openapi::Errors))]
pub async fn get(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ChatContextDTO>, ApiError> {
    Ok(Json(app.chat.get(user.id, id).await?.context))
}

/// Renames a conversation; a title set by hand is never replaced by a generated one.
#[utoipa::path(patch, path = "/api/contexts/{id}", tag = "contexts", params(("id" = Uuid, Path, description = "The conversation")), request_body = RenameContextRequest,
    responses((status = 200, body = ChatContextDTO), crate::openapi::Errors))]
pub async fn rename(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RenameContextRequest>,
) -> Result<Json<ChatContextDTO>, ApiError> {
    Ok(Json(app.chat.rename(user.id, id, body.title).await?.context))
}

/// Deletes a conversation and everything in it.
#[utoipa::path(delete, path = "/api/contexts/{id}", tag = "contexts", params(("id" = Uuid, Path, description = "The conversation")),
    responses((status = 204, description = "Deleted"), crate::openapi::Errors))]
pub async fn delete(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    app.chat.delete(user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
