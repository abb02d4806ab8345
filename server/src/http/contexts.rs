//! Contexts: list, create, read, rename, delete.

use app::wire::{ChatContextDTO, ContextSummaryDTO, CreateContextRequest, RenameContextRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use super::extract::{ApiJson, ApiJsonOrDefault, ApiPath, CurrentUser};
use crate::error::ApiError;
use crate::state::AppState;

pub async fn list(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<ContextSummaryDTO>>, ApiError> {
    Ok(Json(app.chat.list(user).await?))
}

pub async fn create(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJsonOrDefault(body): ApiJsonOrDefault<CreateContextRequest>,
) -> Result<(StatusCode, Json<ChatContextDTO>), ApiError> {
    let context = app.chat.create(user, body.title).await?;
    Ok((StatusCode::CREATED, Json(context)))
}

pub async fn get(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ChatContextDTO>, ApiError> {
    Ok(Json(app.chat.get(user, id).await?.context))
}

pub async fn rename(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RenameContextRequest>,
) -> Result<Json<ChatContextDTO>, ApiError> {
    Ok(Json(app.chat.rename(user, id, body.title).await?.context))
}

pub async fn delete(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    app.chat.delete(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
