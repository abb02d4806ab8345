//! The administrators' API: `GET /api/admin/users`, `PATCH /api/admin/users/{id}`,
//! `POST /api/admin/users/{id}/password`, `GET|PUT /api/admin/registration`,
//! `POST /api/admin/invites`. Everyone else gets `403 admin_only`.

use app::wire::{
    AdminUserDTO, AdminUsersResponse, ChangeUserRequest, CreateInviteRequest, InviteDTO, RegistrationDTO,
    ResetPasswordRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath};
use crate::auth::admin::AdminUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Every account, oldest first, with when it was last seen and what it keeps (never its
/// conversations).
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    responses((status = 200, body = AdminUsersResponse), crate::openapi::Errors))]
pub async fn users(State(app): State<AppState>, _admin: AdminUser) -> Result<Json<AdminUsersResponse>, ApiError> {
    Ok(Json(AdminUsersResponse { users: app.auth.users().await? }))
}

/// Disables, enables, promotes or demotes an account. A disabled account's sessions end and
/// its tokens are refused from the next request, and its open streams close. Never the last
/// enabled administrator (`409 last_admin`).
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin", request_body = ChangeUserRequest,
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, body = AdminUserDTO), crate::openapi::Errors))]
pub async fn change_user(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ChangeUserRequest>,
) -> Result<Json<AdminUserDTO>, ApiError> {
    Ok(Json(app.auth.change_user(&admin, id, body).await?))
}

/// Sets an account's password (for someone who lost theirs); all its sessions end.
#[utoipa::path(post, path = "/api/admin/users/{id}/password", tag = "admin", request_body = ResetPasswordRequest,
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 204, description = "Set; the account's sessions ended"), crate::openapi::Errors))]
pub async fn reset_password(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    app.auth.reset_password(&admin, id, body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who may create an account: `open`, `closed` or `invite`.
#[utoipa::path(get, path = "/api/admin/registration", tag = "admin",
    responses((status = 200, body = RegistrationDTO), crate::openapi::Errors))]
pub async fn registration(State(app): State<AppState>, _admin: AdminUser) -> Result<Json<RegistrationDTO>, ApiError> {
    Ok(Json(RegistrationDTO { mode: app.auth.registration().await? }))
}

/// Sets who may create an account; it holds from the next registration, in every process,
/// and across restarts (`--open-registration` decides only the first value).
#[utoipa::path(put, path = "/api/admin/registration", tag = "admin", request_body = RegistrationDTO,
    responses((status = 200, body = RegistrationDTO), crate::openapi::Errors))]
pub async fn set_registration(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<RegistrationDTO>,
) -> Result<Json<RegistrationDTO>, ApiError> {
    app.auth.set_registration(&admin, body.mode).await?;
    Ok(Json(body))
}

/// A single-use invite link (1 to 30 days, 7 by default): whoever opens it may create one
/// account, whatever the registration mode.
#[utoipa::path(post, path = "/api/admin/invites", tag = "admin", request_body = CreateInviteRequest,
    responses((status = 201, body = InviteDTO), crate::openapi::Errors))]
pub async fn create_invite(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<CreateInviteRequest>,
) -> Result<(StatusCode, Json<InviteDTO>), ApiError> {
    Ok((StatusCode::CREATED, Json(app.auth.create_invite(&admin, body.expires_in_days).await?)))
}
