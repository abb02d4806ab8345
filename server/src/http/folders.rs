//! Folders for conversations: list, create, rename, delete.

use app::wire::{FolderDTO, FolderRequest, FoldersResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Your folders, by name.
#[utoipa::path(get, path = "/api/folders", tag = "contexts",
    responses((status = 200, body = FoldersResponse), crate::openapi::Errors))]
pub async fn list(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<FoldersResponse>, ApiError> {
    Ok(Json(FoldersResponse { folders: app.chat.folders(user.id).await? }))
}

/// A new folder; its name is checked like a title.
#[utoipa::path(post, path = "/api/folders", tag = "contexts", request_body = FolderRequest,
    responses((status = 201, body = FolderDTO), crate::openapi::Errors))]
pub async fn create(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<FolderRequest>,
) -> Result<(StatusCode, Json<FolderDTO>), ApiError> {
    Ok((StatusCode::CREATED, Json(app.chat.create_folder(user.id, body.name).await?)))
}

/// Renames one of your folders.
#[utoipa::path(patch, path = "/api/folders/{id}", tag = "contexts", params(("id" = Uuid, Path, description = "The folder")),
    request_body = FolderRequest, responses((status = 200, body = FolderDTO), crate::openapi::Errors))]
pub async fn rename(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<FolderRequest>,
) -> Result<Json<FolderDTO>, ApiError> {
    Ok(Json(app.chat.rename_folder(user.id, id, body.name).await?))
}

/// Deletes one of your folders; its conversations stay, in no folder.
#[utoipa::path(delete, path = "/api/folders/{id}", tag = "contexts", params(("id" = Uuid, Path, description = "The folder")),
    responses((status = 204, description = "Deleted"), crate::openapi::Errors))]
pub async fn delete(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    app.chat.delete_folder(user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
