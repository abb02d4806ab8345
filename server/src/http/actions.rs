//! The actions: a person's intent, run through the state machine. Each answers as soon as
//! its effect is saved; it never waits for the model.

use app::wire::{
    ActionResponse, ApproveToolsRequest, DenyToolsRequest, EditMessageRequest, PlainActionRequest, RegenerateRequest,
    SendMessageRequest, SwitchBranchRequest, UpdateSettingsRequest,
};
use axum::extract::State;
use axum::Json;
use confab_core::{Event, SettingsPatch};
use uuid::Uuid;

use super::extract::{ApiJson, ApiJsonOrDefault, ApiPath};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

type Reply = Result<Json<ActionResponse>, ApiError>;

async fn act(app: &AppState, user: CurrentUser, id: Uuid, event: Event, action_id: Option<String>) -> Reply {
    Ok(Json(app.chat.act(user.0.id, id, event, action_id).await?))
}

/// Sends a message; returns once it is saved and the reply has started.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/send_message", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = SendMessageRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn send_message(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SendMessageRequest>,
) -> Reply {
    act(&app, user, id, Event::SendMessage { content: body.content }, body.client_action_id).await
}

/// Approves pending tool calls; the approved ones run once none is pending.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/approve_tools", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = ApproveToolsRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn approve_tools(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ApproveToolsRequest>,
) -> Reply {
    let event = Event::ApproveTools { tool_call_ids: body.tool_call_ids };
    act(&app, user, id, event, body.client_action_id).await
}

/// Denies pending tool calls; the model answers without them.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/deny_tools", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = DenyToolsRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn deny_tools(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DenyToolsRequest>,
) -> Reply {
    let event = Event::DenyTools { tool_call_ids: body.tool_call_ids, reason: body.reason };
    act(&app, user, id, event, body.client_action_id).await
}

/// Stops the running reply or tool run, keeping what was written.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/cancel", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = PlainActionRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn cancel(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<PlainActionRequest>,
) -> Reply {
    act(&app, user, id, Event::Cancel, body.client_action_id).await
}

/// Runs a failed reply or tool run again.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/retry", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = PlainActionRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn retry(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<PlainActionRequest>,
) -> Reply {
    act(&app, user, id, Event::Retry, body.client_action_id).await
}

/// Edits a user message into a new branch (made active) and answers it.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/edit_message", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = EditMessageRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn edit_message(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EditMessageRequest>,
) -> Reply {
    let event = Event::EditMessage { message_id: body.message_id, content: body.content };
    act(&app, user, id, event, body.client_action_id).await
}

/// Generates a new reply beside an assistant message, on a new branch (made active).
#[utoipa::path(post, path = "/api/contexts/{id}/actions/regenerate", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = RegenerateRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn regenerate(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RegenerateRequest>,
) -> Reply {
    act(&app, user, id, Event::Regenerate { message_id: body.message_id }, body.client_action_id).await
}

/// Shows another branch.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/switch_branch", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = SwitchBranchRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn switch_branch(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SwitchBranchRequest>,
) -> Reply {
    act(&app, user, id, Event::SwitchBranch { branch: body.branch }, body.client_action_id).await
}

/// Changes the conversation's model, system prompt or parameters (between replies).
#[utoipa::path(post, path = "/api/contexts/{id}/actions/update_settings", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = UpdateSettingsRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn update_settings(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateSettingsRequest>,
) -> Reply {
    let s = body.settings;
    let patch = SettingsPatch {
        model: s.model,
        system_prompt: s.system_prompt,
        temperature: s.temperature,
        top_p: s.top_p,
        max_tokens: s.max_tokens,
    };
    Ok(Json(app.chat.update_settings(user.0.id, id, patch, body.client_action_id).await?))
}

/// Extends a reply that stopped at the length limit, in the same message.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/continue", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = PlainActionRequest, responses((status = 200, body = ActionResponse), crate::openapi::Errors))]
pub async fn continue_reply(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<PlainActionRequest>,
) -> Reply {
    act(&app, user, id, Event::Continue, body.client_action_id).await
}
