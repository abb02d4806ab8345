//! Personal API tokens: `GET|POST /api/tokens`, `DELETE /api/tokens/{id}`.

use app::wire::{CreateTokenRequest, CreatedTokenDTO, TokensResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Your personal API tokens, newest first (never their secrets).
#[utoipa::path(get, path = "/api/tokens", tag = "accounts",
    responses((status = 200, body = TokensResponse), crate::openapi::Errors))]
pub async fn list(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<TokensResponse>, ApiError> {
    Ok(Json(TokensResponse { tokens: app.auth.tokens(&user).await? }))
}

/// Makes a personal API token, for `Authorization: Bearer`; its secret is shown this once.
#[utoipa::path(post, path = "/api/tokens", tag = "accounts", request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedTokenDTO), crate::openapi::Errors))]
pub async fn create(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> Result<(StatusCode, Json<CreatedTokenDTO>), ApiError> {
    Ok((StatusCode::CREATED, Json(app.auth.create_token(&user, body).await?)))
}

/// Revokes one of your tokens: refused from the next request on.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "accounts",
    params(("id" = Uuid, Path, description = "The token")),
    responses((status = 204, description = "Revoked"), crate::openapi::Errors))]
pub async fn revoke(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    app.auth.revoke_token(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
