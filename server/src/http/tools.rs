//! `GET /api/tools`: the tools on offer now and the state of each MCP server.

use app::wire::{ToolDTO, ToolServerDTO, ToolsResponse};
use axum::extract::State;
use axum::Json;
use confab_mcp::ServerState;

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Every tool models may ask for, built-in and from MCP servers, and how each server is.
#[utoipa::path(get, path = "/api/tools", tag = "models",
    responses((status = 200, body = ToolsResponse), crate::openapi::Errors))]
pub async fn list(
    State(app): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Result<Json<ToolsResponse>, ApiError> {
    let tools = app
        .chat
        .tools()
        .all()
        .iter()
        .map(|tool| ToolDTO {
            name: tool.name().to_string(),
            server: tool.source().map(str::to_string),
            description: tool.description().to_string(),
            policy: "ask".to_string(),
        })
        .collect();
    let servers = app
        .mcp
        .statuses()
        .into_iter()
        .map(|status| {
            let (state, error) = match status.state {
                ServerState::Starting => ("starting", None),
                ServerState::Running => ("running", None),
                ServerState::Failed(reason) => ("failed", Some(reason)),
            };
            ToolServerDTO { name: status.name, state: state.to_string(), error }
        })
        .collect();
    Ok(Json(ToolsResponse { tools, servers }))
}
