//! The JSON API of DESIGN.md section 4.

mod actions;
mod contexts;
mod events;
pub(crate) mod extract;
mod legacy;
mod state;

use app::wire::ServerInfoDTO;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::routing::{get, post, put};
use axum::{Json, Router};

use crate::error::ApiError;
use crate::state::AppState;

/// Everything under `/api`.
pub fn api() -> Router<AppState> {
    let actions = Router::new()
        .route("/send_message", post(actions::send_message))
        .route("/approve_tools", post(actions::approve_tools))
        .route("/deny_tools", post(actions::deny_tools))
        .route("/cancel", post(actions::cancel))
        .route("/retry", post(actions::retry))
        .route("/edit_message", post(actions::edit_message))
        .route("/regenerate", post(actions::regenerate))
        .route("/switch_branch", post(actions::switch_branch));
    Router::new()
        .route("/contexts", get(contexts::list).post(contexts::create))
        .route(
            "/contexts/{id}",
            get(contexts::get)
                .patch(contexts::rename)
                .delete(contexts::delete),
        )
        .route("/contexts/{id}/state", get(state::get))
        .route("/contexts/{id}/events", get(events::stream))
        .nest("/contexts/{id}/actions", actions)
        .route("/contexts/{id}/messages", post(legacy::post_message))
        .route(
            "/contexts/{id}/messages/{message_id}",
            put(legacy::put_message),
        )
        .route("/info", get(info))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn info(State(app): State<AppState>) -> Json<ServerInfoDTO> {
    Json(app.chat.info())
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no API endpoint at {}", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} does not take this method", uri.path()))
}

/// `GET /healthz`: `200` when storage answers, `503` when it does not.
pub async fn health(State(app): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match app.chat.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({ "status": "ok" }))),
        Err(error) => {
            tracing::warn!(%error, "health check: storage unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "storage_unavailable" })),
            )
        }
    }
}
