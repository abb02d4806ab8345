//! Share links: the owner's API (create, list, revoke) and the public page a link opens.

use app::share_page::{self, SharePage};
use app::wire::{CreateShareRequest, ShareDTO, SharesResponse};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use uuid::Uuid;

use super::extract::{ApiJsonOrDefault, ApiPath};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::shares;
use crate::state::AppState;

/// Makes a read-only link to the conversation's active branch as it is now.
#[utoipa::path(post, path = "/api/contexts/{id}/shares", tag = "shares",
    params(("id" = Uuid, Path, description = "The conversation")),
    request_body(content = CreateShareRequest, description = "May be omitted: a link that works until revoked"),
    responses((status = 201, body = ShareDTO), crate::openapi::Errors))]
pub async fn create(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<CreateShareRequest>,
) -> Result<(StatusCode, Json<ShareDTO>), ApiError> {
    Ok((StatusCode::CREATED, Json(shares::create(&app, user.id, id, body).await?)))
}

/// The conversation's share links, newest first.
#[utoipa::path(get, path = "/api/contexts/{id}/shares", tag = "shares",
    params(("id" = Uuid, Path, description = "The conversation")),
    responses((status = 200, body = SharesResponse), crate::openapi::Errors))]
pub async fn list(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SharesResponse>, ApiError> {
    Ok(Json(SharesResponse { shares: shares::list(&app, user.id, id).await? }))
}

/// Revokes a share link: it answers 404 from now on.
#[utoipa::path(delete, path = "/api/shares/{id}", tag = "shares",
    params(("id" = Uuid, Path, description = "The share link")),
    responses((status = 204, description = "Revoked"), crate::openapi::Errors))]
pub async fn revoke(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    shares::revoke(&app, user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /s/{token}`: the shared conversation, or a 404 page for a link that does not work.
/// The page sets no cookie, runs no script and asks search engines to stay away.
pub async fn page(
    State(app): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let share = match open(&app, &token).await {
        Ok(share) => share,
        Err(answer) => return answer,
    };
    // A viewer who is signed in may take a copy; nobody's session is started or renewed here.
    let signed_in = matches!(app.auth.user_of(&headers).await, Ok(Some(_)));
    let page_path = format!("/s/{token}");
    let html = share_page::render(SharePage {
        snapshot: share.snapshot,
        shared_at: share.link.created_at,
        continue_path: signed_in.then(|| format!("{page_path}/continue")),
        page_path,
        highlight: crate::highlight::highlight,
    });
    public(StatusCode::OK, html)
}

/// `POST /s/{token}/continue`: copies the shared conversation into the viewer's account and
/// opens the copy; a viewer who is not signed in is sent to sign in first.
pub async fn continue_in_account(
    State(app): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    viewer: Result<CurrentUser, ApiError>,
) -> Response {
    let viewer = match viewer {
        Ok(CurrentUser(viewer)) => viewer,
        Err(ApiError::Unauthorized) => return Redirect::to(&format!("/login?next=/s/{token}")).into_response(),
        Err(error) => return error.into_response(),
    };
    let share = match open(&app, &token).await {
        Ok(share) => share,
        Err(answer) => return answer,
    };
    match shares::continue_in_account(&app, viewer.id, share).await {
        Ok(copy) => Redirect::to(&format!("/c/{copy}")).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The share behind `token`, or the answer for a link that does not work (the same 404 page
/// for every reason).
async fn open(app: &AppState, token: &str) -> Result<shares::OpenShare, Response> {
    match shares::open(app, token).await {
        Ok(Some(share)) => Ok(share),
        Ok(None) => Err(public(StatusCode::NOT_FOUND, share_page::not_found().to_string())),
        Err(error) => Err(error.into_response()),
    }
}

/// A public page: no scripts at all, styles and images from here, forms only to here; never
/// cached (a revoked link must stop at once) and never indexed.
fn public(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
