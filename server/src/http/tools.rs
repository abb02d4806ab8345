//! `GET /api/tools`: the tools on offer now, with the caller's policy for each, and the
//! state of each MCP server; `PUT /api/tools/{name}/policy`: the caller's policy for one.

use app::wire::{Policy, ToolDTO, ToolPolicyRequest, ToolServerDTO, ToolsResponse};
use axum::extract::State;
use axum::Json;
use confab_core::ToolPolicy;
use confab_mcp::ServerState;
use confab_tools::Tool;

use super::extract::{ApiJson, ApiPath};
use crate::auth::CurrentUser;
use crate::chat::PolicyView;
use crate::error::ApiError;
use crate::state::AppState;

/// Every tool models may ask for, built-in and from MCP servers, and how each server is.
#[utoipa::path(get, path = "/api/tools", tag = "models",
    responses((status = 200, body = ToolsResponse), crate::openapi::Errors))]
pub async fn list(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<ToolsResponse>, ApiError> {
    let tools = app.chat.tool_policies(user.id).await?.into_iter().map(|(tool, view)| tool_dto(&*tool, view)).collect();
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

/// Sets whether the caller's calls to a tool wait for them (`ask`) or run at once
/// (`always`). Kept server-side: it holds after a restart and in every server process.
#[utoipa::path(put, path = "/api/tools/{name}/policy", tag = "models",
    params(("name" = String, Path, description = "The tool, as `GET /api/tools` names it")),
    request_body = ToolPolicyRequest,
    responses((status = 200, body = ToolDTO), crate::openapi::Errors))]
pub async fn set_policy(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<ToolPolicyRequest>,
) -> Result<Json<ToolDTO>, ApiError> {
    let policy = match body.policy {
        Policy::Ask => ToolPolicy::Ask,
        Policy::Always => ToolPolicy::Always,
    };
    let (tool, view) = app.chat.set_tool_policy(user.id, &name, policy).await?;
    Ok(Json(tool_dto(&*tool, view)))
}

fn tool_dto(tool: &dyn Tool, view: PolicyView) -> ToolDTO {
    ToolDTO {
        name: tool.name().to_string(),
        server: tool.source().map(str::to_string),
        description: tool.description().to_string(),
        policy: match view.policy {
            ToolPolicy::Ask => Policy::Ask,
            ToolPolicy::Always => Policy::Always,
        },
        allow_always: view.allow_always,
    }
}
