//! Single sign-on: `GET /api/auth/oidc/start` sends the browser to the provider,
//! `GET /api/auth/oidc/callback` is where it comes back signed in (or is told why not, on the
//! sign-in page); `GET /api/auth/methods` tells the sign-in page what to offer.

use app::wire::SignInMethodsDTO;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::client_ip::ClientIp;
use super::extract::ApiQuery;
use crate::auth::oidc::{Callback, COOKIE, COOKIE_PATH, PENDING_SECS};
use crate::auth::session;
use crate::error::ApiError;
use crate::rate_limit::Budget;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StartQuery {
    /// The page of this server to end on (a path); `/` by default.
    next: Option<String>,
}

/// How people sign in here.
#[utoipa::path(get, path = "/api/auth/methods", tag = "accounts", security(()),
    responses((status = 200, body = SignInMethodsDTO)))]
pub async fn methods(State(app): State<AppState>) -> Json<SignInMethodsDTO> {
    Json(SignInMethodsDTO { password: app.auth.password_login(), sso: app.auth.oidc().is_some() })
}

/// Starts single sign-on: a redirect to the provider. `404` when none is set up.
#[utoipa::path(get, path = "/api/auth/oidc/start", tag = "accounts", security(()), params(StartQuery),
    responses((status = 303, description = "To the provider"), crate::openapi::Errors))]
pub async fn start(
    State(app): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StartQuery>,
) -> Result<Response, ApiError> {
    let oidc = app.auth.oidc().ok_or_else(|| ApiError::NotFound("single sign-on is not set up here".into()))?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| !h.is_empty());
    let host = host.ok_or_else(|| ApiError::bad_request("invalid_request", "the request names no Host"))?;
    let secure = app.auth.secure_cookie(&headers);
    let scheme = if secure { "https" } else { "http" };
    let next = local_path(query.next);
    let (url, pending) = oidc.start(format!("{scheme}://{host}{COOKIE_PATH}/callback"), next).await?;
    let cookie = Cookie::build((COOKIE, pending))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path(COOKIE_PATH)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(PENDING_SECS))
        .build();
    Ok(redirect(&url, &[cookie.to_string()]))
}

/// Where the provider sends the browser back: signed in and on to the page it started from,
/// or to the sign-in page with the reason.
#[utoipa::path(get, path = "/api/auth/oidc/callback", tag = "accounts", security(()),
    responses((status = 303, description = "Signed in, or to the sign-in page with the reason"), crate::openapi::Errors))]
pub async fn callback(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiQuery(callback): ApiQuery<Callback>,
) -> Result<Response, ApiError> {
    let oidc = app.auth.oidc().ok_or_else(|| ApiError::NotFound("single sign-on is not set up here".into()))?;
    app.limits.check(Budget::SignIn, None, ip)?;
    let secure = app.auth.secure_cookie(&headers);
    let pending = session::cookie(&headers, COOKIE);
    let cleared = Cookie::build((COOKIE, ""))
        .http_only(true)
        .path(COOKIE_PATH)
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let signed = match oidc.finish(pending.as_deref(), callback).await {
        Ok((identity, next)) => app.auth.sso_sign_in(identity, user_agent).await.map(|signed| (signed, next)),
        Err(error) => Err(error),
    };
    match signed {
        Ok((signed, next)) => {
            let session = session::session_cookie(&signed.token, app.auth.session_ttl().num_seconds(), secure);
            Ok(redirect(&next, &[session, cleared.to_string()]))
        }
        Err(error @ (ApiError::StorageUnavailable | ApiError::Internal(_) | ApiError::RateLimited { .. })) => {
            Err(error)
        }
        Err(error) => {
            tracing::info!(%error, "single sign-on refused");
            let reason: String =
                openidconnect::url::form_urlencoded::byte_serialize(error.to_string().as_bytes()).collect();
            Ok(redirect(&format!("/login?sso_error={reason}"), &[cleared.to_string()]))
        }
    }
}

/// A page of this server to go to: a local path, never another site.
fn local_path(raw: Option<String>) -> String {
    raw.filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\')).unwrap_or_else(|| "/".into())
}

fn redirect(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
