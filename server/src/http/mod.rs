//! The JSON API of DESIGN.md section 4.

pub(crate) mod accounts;
pub(crate) mod actions;
pub(crate) mod admin;
pub(crate) mod attachments;
pub(crate) mod client_ip;
pub(crate) mod contexts;
pub(crate) mod events;
pub(crate) mod extract;
pub(crate) mod folders;
pub(crate) mod import;
pub(crate) mod legacy;
pub(crate) mod messages;
pub(crate) mod models;
pub(crate) mod patches;
pub(crate) mod shares;
pub(crate) mod sso;
pub(crate) mod state;
pub(crate) mod tokens;
pub(crate) mod tools;
pub(crate) mod transfer;
pub(crate) mod user_events;

pub use client_ip::ClientIp;

use app::wire::ServerInfoDTO;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use tower_http::compression::CompressionLayer;

use crate::error::ApiError;
use crate::state::AppState;

/// Everything under `/api`. Reads and actions are rate limited by their budgets; sign-in
/// counts its own attempts. Answers are compressed when the client accepts it, except event
/// streams: those are never compressed (nor should they be: each event must leave at once),
/// yet the compressing wrapper would stay in memory for the whole life of every open stream,
/// 5.7 KiB each with its encoders' state, more than the stream itself.
pub fn api(state: &AppState) -> Router<AppState> {
    let accounts = Router::new()
        .route("/auth/register", post(accounts::register))
        .route("/auth/login", post(accounts::login))
        .route("/auth/logout", post(accounts::logout))
        .route("/auth/password", post(accounts::change_password))
        .route("/auth/me", get(accounts::me).delete(accounts::delete_me))
        .route("/auth/sessions", get(accounts::sessions))
        .route("/auth/methods", get(sso::methods))
        .route("/auth/oidc/start", get(sso::start))
        .route("/auth/oidc/callback", get(sso::callback))
        .route("/auth/sessions/{id}", axum::routing::delete(accounts::end_session))
        .route("/admin/users", get(admin::users))
        .route("/admin/users/{id}", axum::routing::patch(admin::change_user))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/admin/registration", get(admin::registration).put(admin::set_registration))
        .route("/admin/invites", post(admin::create_invite))
        .route("/openapi.json", get(openapi))
        .layer(CompressionLayer::new());
    let actions = Router::new()
        .route("/send_message", post(actions::send_message))
        .route("/approve_tools", post(actions::approve_tools))
        .route("/deny_tools", post(actions::deny_tools))
        .route("/cancel", post(actions::cancel))
        .route("/retry", post(actions::retry))
        .route("/edit_message", post(actions::edit_message))
        .route("/regenerate", post(actions::regenerate))
        .route("/switch_branch", post(actions::switch_branch))
        .route("/update_settings", post(actions::update_settings))
        .route("/continue", post(actions::continue_reply));
    Router::new()
        .route("/contexts", get(contexts::list).post(contexts::create))
        .route("/contexts/{id}", get(contexts::get).patch(contexts::update).delete(contexts::delete))
        .route("/folders", get(folders::list).post(folders::create))
        .route("/folders/{id}", patch(folders::rename).delete(folders::delete))
        .route("/contexts/{id}/state", get(state::get))
        .route("/contexts/{id}/export", get(transfer::export))
        .route(
            "/contexts/import",
            post(import::import).layer(axum::extract::DefaultBodyLimit::max(state.config.max_import_bytes)),
        )
        .route(
            "/attachments",
            post(attachments::upload)
                // Room for the multipart framing around the largest file; the file itself is
                // measured as it comes.
                .layer(axum::extract::DefaultBodyLimit::max(
                    state.chat.settings().attachments.max_file_bytes + 64 * 1024,
                )),
        )
        .route("/attachments/{id}", get(attachments::download))
        .route("/search", get(transfer::search))
        .route("/highlight", post(crate::highlight::endpoint))
        .route("/math", post(crate::math::endpoint))
        .route("/contexts/{id}/shares", get(shares::list).post(shares::create))
        .route("/shares/{id}", axum::routing::delete(shares::revoke))
        .nest("/contexts/{id}/actions", actions)
        .route("/contexts/{id}/messages", get(messages::page).post(legacy::post_message))
        .route("/contexts/{id}/messages/{message_id}", put(legacy::put_message))
        .route("/info", get(info))
        .route("/models", get(models::list))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/tools", get(tools::list))
        .route("/tools/{name}/policy", put(tools::set_policy))
        .route("/me/settings", get(models::user_settings).put(models::put_user_settings))
        .route("/presets", get(models::presets).post(models::create_preset))
        .route("/presets/{id}", patch(models::update_preset).delete(models::delete_preset))
        .layer(CompressionLayer::new())
        // Added after the compression layer, so it does not wrap the stream.
        .route("/contexts/{id}/events", get(events::stream))
        .route("/events", get(user_events::stream))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::rate_limit::limit_api))
        .merge(accounts)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(run_to_completion))
}

/// The pages anyone with a share link may open, rate limited like the API.
pub fn public_pages(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(shares::page))
        .route("/s/{token}/continue", post(shares::continue_in_account))
        .route("/s/{token}/attachments/{id}", get(attachments::shared))
        .layer(CompressionLayer::new())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::rate_limit::limit_api))
}

/// Runs each API request in a task of its own, so a client that disconnects halfway never
/// cancels it: a change is saved and followed through (its generation started, the
/// context's lock released) whether or not anyone is still there for the answer. A streamed
/// response still ends when its client goes: only the handler is detached, not the body.
async fn run_to_completion(request: Request, next: Next) -> Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(error) => ApiError::Internal(format!("a request handler failed: {error}")).into_response(),
    }
}

/// The model this server talks to.
#[utoipa::path(get, path = "/api/info", tag = "contexts", responses((status = 200, body = ServerInfoDTO), crate::openapi::Errors))]
pub async fn info(State(app): State<AppState>) -> Json<ServerInfoDTO> {
    Json(app.chat.info())
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no API endpoint at {}", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} does not take this method", uri.path()))
}

/// `GET /healthz`: `200` when storage can be written now, `503` when it cannot (down, or
/// locked by another writer). The store bounds how long it waits.
pub async fn health(State(app): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match app.chat.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({ "status": "ok" }))),
        Err(error) => {
            tracing::warn!(%error, "health check: storage unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "storage_unavailable" })))
        }
    }
}

/// `GET /api/openapi.json`: public, like any API description.
async fn openapi() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], crate::openapi::json())
}
