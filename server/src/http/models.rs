//! Models, a user's defaults for new conversations, and presets.

use app::wire::{ModelsResponse, PresetDTO, PresetRequest, PresetsResponse, UserSettingsDTO};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Every model of every provider; a provider that is down lists its models as unavailable.
#[utoipa::path(get, path = "/api/models", tag = "models",
    responses((status = 200, body = ModelsResponse), crate::openapi::Errors))]
pub async fn list(State(app): State<AppState>, _user: CurrentUser) -> Json<ModelsResponse> {
    Json(ModelsResponse { models: app.chat.models().models().await })
}

/// What your new conversations start with.
#[utoipa::path(get, path = "/api/me/settings", tag = "models",
    responses((status = 200, body = UserSettingsDTO), crate::openapi::Errors))]
pub async fn user_settings(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<UserSettingsDTO>, ApiError> {
    Ok(Json(app.preferences.user_settings(user.id).await?))
}

/// Sets what your new conversations start with (null: the server's default).
#[utoipa::path(put, path = "/api/me/settings", tag = "models", request_body = UserSettingsDTO,
    responses((status = 200, body = UserSettingsDTO), crate::openapi::Errors))]
pub async fn put_user_settings(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<UserSettingsDTO>,
) -> Result<Json<UserSettingsDTO>, ApiError> {
    Ok(Json(app.preferences.put_user_settings(user.id, body).await?))
}

/// Your presets.
#[utoipa::path(get, path = "/api/presets", tag = "models",
    responses((status = 200, body = PresetsResponse), crate::openapi::Errors))]
pub async fn presets(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<PresetsResponse>, ApiError> {
    Ok(Json(PresetsResponse { presets: app.preferences.presets(user.id).await? }))
}

/// Saves a preset: a name and any of model, system prompt and parameters.
#[utoipa::path(post, path = "/api/presets", tag = "models", request_body = PresetRequest,
    responses((status = 201, body = PresetDTO), crate::openapi::Errors))]
pub async fn create_preset(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<PresetRequest>,
) -> Result<(StatusCode, Json<PresetDTO>), ApiError> {
    Ok((StatusCode::CREATED, Json(app.preferences.create_preset(user.id, body).await?)))
}

/// Changes a preset; a field left out stays.
#[utoipa::path(patch, path = "/api/presets/{id}", tag = "models", params(("id" = Uuid, Path, description = "The preset")),
    request_body = PresetRequest, responses((status = 200, body = PresetDTO), crate::openapi::Errors))]
pub async fn update_preset(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PresetRequest>,
) -> Result<Json<PresetDTO>, ApiError> {
    Ok(Json(app.preferences.update_preset(user.id, id, body).await?))
}

/// Deletes a preset.
#[utoipa::path(delete, path = "/api/presets/{id}", tag = "models", params(("id" = Uuid, Path, description = "The preset")),
    responses((status = 204), crate::openapi::Errors))]
pub async fn delete_preset(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    app.preferences.delete_preset(user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
