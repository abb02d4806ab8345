//! The actions: a person's intent, run through the state machine. Each answers as soon as
//! its effect is saved; it never waits for the model.

use app::wire::{
    ActionReply, ApproveToolsRequest, DenyToolsRequest, EditMessageRequest, PlainActionRequest, RegenerateRequest,
    SendMessageRequest, SwitchBranchRequest, UpdateSettingsRequest,
};
use axum::extract::State;
use axum::Json;
use confab_core::{Event, SettingsPatch};
use uuid::Uuid;

use super::extract::{ApiJson, ApiJsonOrDefault, ApiPath};
use super::state::{window_size, DEFAULT_WINDOW};
use crate::auth::CurrentUser;
use crate::chat::Answer;
use crate::error::ApiError;
use crate::state::AppState;

type Reply = Result<Json<ActionReply>, ApiError>;

/// The answer a body's `base_version` and `window` ask for.
fn answer(base_version: Option<u64>, window: Option<u32>) -> Result<Answer, ApiError> {
    let Some(base) = base_version else { return Ok(Answer::Whole) };
    Ok(Answer::Since { base, size: window_size(window.unwrap_or(DEFAULT_WINDOW))? })
}

async fn act(app: &AppState, user: CurrentUser, id: Uuid, event: Event, body: Common) -> Reply {
    let answer = answer(body.base_version, body.window)?;
    Ok(Json(app.chat.act_answering(user.0.id, id, event, body.client_action_id, answer).await?))
}

/// What every action's body has besides its own fields.
struct Common {
    client_action_id: Option<String>,
    base_version: Option<u64>,
    window: Option<u32>,
}

macro_rules! common {
    ($body:expr) => {
        Common { client_action_id: $body.client_action_id, base_version: $body.base_version, window: $body.window }
    };
}

/// Sends a message; returns once it is saved and the reply has started.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/send_message", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = SendMessageRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn send_message(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SendMessageRequest>,
) -> Reply {
    let answer = answer(body.base_version, body.window)?;
    let (owner, ids) = (user.0.id, body.attachment_ids);
    Ok(Json(app.chat.send_message(owner, id, body.content, &ids, body.client_action_id, answer).await?))
}

/// Approves pending tool calls; the approved ones run once none is pending.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/approve_tools", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = ApproveToolsRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn approve_tools(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ApproveToolsRequest>,
) -> Reply {
    let (ids, remember, common) = (body.tool_call_ids.clone(), body.remember, common!(body));
    let answer = answer(common.base_version, common.window)?;
    Ok(Json(app.chat.approve_tools(user.0.id, id, ids, remember, common.client_action_id, answer).await?))
}

/// Denies pending tool calls; the model answers without them.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/deny_tools", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = DenyToolsRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn deny_tools(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DenyToolsRequest>,
) -> Reply {
    let event = Event::DenyTools { tool_call_ids: body.tool_call_ids, reason: body.reason };
    act(&app, user, id, event, common!(body)).await
}

/// Stops the running reply or tool run, keeping what was written.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/cancel", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = PlainActionRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn cancel(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<PlainActionRequest>,
) -> Reply {
    act(&app, user, id, Event::Cancel, common!(body)).await
}

/// Runs a failed reply or tool run again.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/retry", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = PlainActionRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn retry(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<PlainActionRequest>,
) -> Reply {
    act(&app, user, id, Event::Retry, common!(body)).await
}

/// Edits a user message into a new branch (made active) and answers it.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/edit_message", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = EditMessageRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn edit_message(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EditMessageRequest>,
) -> Reply {
    let event = Event::EditMessage { message_id: body.message_id, content: body.content };
    act(&app, user, id, event, common!(body)).await
}

/// Generates a new reply beside an assistant message, on a new branch (made active).
#[utoipa::path(post, path = "/api/contexts/{id}/actions/regenerate", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = RegenerateRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn regenerate(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RegenerateRequest>,
) -> Reply {
    act(&app, user, id, Event::Regenerate { message_id: body.message_id }, common!(body)).await
}

/// Shows another branch.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/switch_branch", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = SwitchBranchRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn switch_branch(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SwitchBranchRequest>,
) -> Reply {
    act(&app, user, id, Event::SwitchBranch { branch: body.branch }, common!(body)).await
}

/// Changes the conversation's model, system prompt or parameters (between replies).
#[utoipa::path(post, path = "/api/contexts/{id}/actions/update_settings", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = UpdateSettingsRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
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
    let answer = answer(body.base_version, body.window)?;
    Ok(Json(app.chat.update_settings(user.0.id, id, patch, body.client_action_id, answer).await?))
}

/// Extends a reply that stopped at the length limit, in the same message.
#[utoipa::path(post, path = "/api/contexts/{id}/actions/continue", tag = "actions", params(("id" = Uuid, Path, description = "The conversation")),
    request_body = PlainActionRequest, responses((status = 200, body = ActionReply), crate::openapi::Errors))]
pub async fn continue_reply(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<PlainActionRequest>,
) -> Reply {
    act(&app, user, id, Event::Continue, common!(body)).await
}
