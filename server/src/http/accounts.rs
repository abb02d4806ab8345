//! `register`, `login`, `logout` and `me`; your password, your sessions, and deleting your
//! account.

use app::wire::{
    AccountDeletedDTO, AuthResponse, ChangePasswordRequest, CredentialsRequest, DeleteAccountRequest, MeResponse,
    SessionsResponse, UserDTO,
};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_store::User;

use super::client_ip::ClientIp;
use super::extract::{ApiJson, ApiPath};
use crate::auth::{session, CurrentUser, SignUp, SignedIn};
use crate::error::ApiError;
use crate::rate_limit::Budget;
use crate::state::AppState;

pub fn user_dto(user: &User) -> UserDTO {
    UserDTO { id: user.id, username: user.username.clone(), created_at: user.created_at, admin: user.admin }
}

/// The request's `User-Agent`, kept with a new session so its owner can tell it apart.
fn user_agent(headers: &HeaderMap) -> &str {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The session token the request came with.
pub(crate) fn request_token(headers: &HeaderMap) -> String {
    session::request_token(headers).map(|(token, _)| token).unwrap_or_default()
}

/// Sign-in forms posted from another site are refused too (login CSRF); API clients that
/// send no Origin are fine.
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    if headers.contains_key(header::ORIGIN) && !session::same_origin(headers) {
        return Err(ApiError::Forbidden { code: "cross_origin", message: "sign in from Confab's own pages".into() });
    }
    Ok(())
}

fn signed_in(app: &AppState, headers: &HeaderMap, status: StatusCode, signed: SignedIn) -> Response {
    let secure = app.auth.secure_cookie(headers);
    let cookie = session::session_cookie(&signed.token, app.auth.session_ttl().num_seconds(), secure);
    let body = AuthResponse { user: user_dto(&signed.user), token: signed.token };
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Creates an account and signs in: answers a bearer token and sets the session cookie.
/// Whether anyone may is the registration mode (`GET /api/admin/registration`); an `invite`
/// from an invite link works whatever it is, once.
#[utoipa::path(post, path = "/api/auth/register", tag = "accounts", request_body = CredentialsRequest, security(()),
    responses((status = 201, body = AuthResponse), crate::openapi::Errors))]
pub async fn register(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CredentialsRequest>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    app.limits.check(Budget::SignIn, Some(&body.username), ip)?;
    let sign_up = SignUp { invite: body.invite, user_agent: user_agent(&headers).to_string() };
    let signed = app.auth.register(&body.username, body.password, sign_up).await?;
    Ok(signed_in(&app, &headers, StatusCode::CREATED, signed))
}

/// Signs in: answers a bearer token and sets the session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = CredentialsRequest, security(()),
    responses((status = 200, body = AuthResponse), crate::openapi::Errors))]
pub async fn login(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CredentialsRequest>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    app.limits.check(Budget::SignIn, Some(&body.username), ip)?;
    let signed = app.auth.login(&body.username, body.password, user_agent(&headers)).await?;
    Ok(signed_in(&app, &headers, StatusCode::OK, signed))
}

/// Changes your password (the current one proves it is you); every other session of the
/// account ends, this one stays signed in. Counts against the sign-in rate limit.
#[utoipa::path(post, path = "/api/auth/password", tag = "accounts", request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed; other sessions ended"), crate::openapi::Errors))]
pub async fn change_password(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    app.limits.check(Budget::SignIn, Some(&user.username), ip)?;
    app.auth.change_password(&user, &request_token(&headers), body.current_password, body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends this session: its cookie and token stop working.
#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts",
    responses((status = 204, description = "Signed out"), crate::openapi::Errors))]
pub async fn logout(State(app): State<AppState>, _user: CurrentUser, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some((token, _)) = session::request_token(&headers) {
        app.auth.logout(&token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&session::cleared_cookie(app.auth.secure_cookie(&headers))) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "accounts",
    responses((status = 200, body = MeResponse), crate::openapi::Errors))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<MeResponse> {
    Json(MeResponse { user: user_dto(&user) })
}

/// Your sessions: each browser or device signed in as you, the most recently used first.
#[utoipa::path(get, path = "/api/auth/sessions", tag = "accounts",
    responses((status = 200, body = SessionsResponse), crate::openapi::Errors))]
pub async fn sessions(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
) -> Result<Json<SessionsResponse>, ApiError> {
    Ok(Json(SessionsResponse { sessions: app.auth.sessions(&user, &request_token(&headers)).await? }))
}

/// Ends one of your sessions: that browser or device is signed out on its next request.
#[utoipa::path(delete, path = "/api/auth/sessions/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The session, as listed")),
    responses((status = 204, description = "Ended"), crate::openapi::Errors))]
pub async fn end_session(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    app.auth.end_session(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes your account and everything in it (conversations, messages, files, shares,
/// folders, settings, sessions, tokens) at once; the password proves it is you. The only
/// administrator cannot while other accounts exist. Counts against the sign-in rate limit.
#[utoipa::path(delete, path = "/api/auth/me", tag = "accounts", request_body = DeleteAccountRequest,
    responses((status = 200, body = AccountDeletedDTO), crate::openapi::Errors))]
pub async fn delete_me(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DeleteAccountRequest>,
) -> Result<Response, ApiError> {
    app.limits.check(Budget::SignIn, Some(&user.username), ip)?;
    let contexts = app.auth.delete_account(&user, &request_token(&headers), body.password).await?;
    app.chat.forget_deleted(&contexts).await;
    let body = AccountDeletedDTO { username: user.username, conversations: contexts.len() as u64 };
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&session::cleared_cookie(app.auth.secure_cookie(&headers))) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}
