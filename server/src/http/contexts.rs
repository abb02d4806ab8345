//! Contexts: list, create, read, rename and move, delete.

use app::wire::{ChatContextDTO, ContextSummaryDTO, CreateContextRequest, UpdateContextRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use super::extract::{ApiJson, ApiJsonOrDefault, ApiPath, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `true`: the archived conversations instead of the others.
    #[serde(default)]
    archived: bool,
}

/// Your conversations, most recently active first: the archived ones with `?archived=true`,
/// else the others.
#[utoipa::path(get, path = "/api/contexts", tag = "contexts", params(ListQuery),
    responses((status = 200, body = Vec<ContextSummaryDTO>), crate::openapi::Errors))]
pub async fn list(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ContextSummaryDTO>>, ApiError> {
    Ok(Json(app.chat.list_in(user.id, query.archived).await?))
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

/// Renames a conversation (a title set by hand is never replaced by a generated one), pins
/// it, archives it, or moves it to a folder; what the body leaves out stays.
#[utoipa::path(patch, path = "/api/contexts/{id}", tag = "contexts", params(("id" = Uuid, Path, description = "The conversation")), request_body = UpdateContextRequest,
    responses((status = 200, body = ChatContextDTO), crate::openapi::Errors))]
pub async fn update(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateContextRequest>,
) -> Result<Json<ChatContextDTO>, ApiError> {
    if body == UpdateContextRequest::default() {
        let message = "nothing to change: give title, pinned, archived or folder_id";
        return Err(ApiError::bad_request("invalid_body", message));
    }
    Ok(Json(app.chat.update(user.id, id, body).await?))
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
