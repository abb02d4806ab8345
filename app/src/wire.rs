//! The JSON wire contract between the browser (or any API client) and the server, defined
//! once and compiled for both. DESIGN.md section 4 fixes these names: fields may be added,
//! never renamed. On the server they also describe themselves for the OpenAPI document.

mod action;
mod admin;
mod attachments;
mod highlight;
mod math;
mod models;
mod patch;
mod places;
pub(crate) mod shape;
mod shares;
mod tokens;
mod tools;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use action::{
    Action, ActionBody, ApproveToolsRequest, DenyToolsRequest, EditMessageRequest, PlainActionRequest,
    RegenerateRequest, SendMessageRequest, SwitchBranchRequest,
};
pub use admin::{
    AccountDeletedDTO, AdminUserDTO, AdminUsersResponse, ChangeUserRequest, CreateInviteRequest, DeleteAccountRequest,
    InviteDTO, RegistrationDTO, RegistrationMode, ResetPasswordRequest, SessionDTO, SessionsResponse, SignInMethodsDTO,
    DEFAULT_INVITE_DAYS, INVITE_DAYS,
};
pub use attachments::{AttachmentDTO, ExportedAttachment, DEFAULT_MAX_ATTACHMENTS_PER_MESSAGE};
pub use highlight::{
    CodeBlockDTO, HighlightRequest, HighlightResponse, MAX_HIGHLIGHT_BLOCKS, MAX_HIGHLIGHT_CODE_BYTES,
    MAX_LANGUAGE_CHARS,
};
pub use math::{FormulaDTO, MathRequest, MathResponse, MAX_MATH_FORMULAS, MAX_MATH_SOURCE_BYTES};
pub use models::{
    ModelDTO, ModelsResponse, PresetDTO, PresetRequest, PresetsResponse, SettingsDTO, SettingsPatchDTO, TimingDTO,
    UpdateSettingsRequest, UsageDTO, UserSettingsDTO,
};
pub use patch::{ActionPatchResponse, ActionReply, ContextFieldsDTO, PatchDTO};
pub use places::{FolderDTO, FolderRequest, FoldersResponse, UpdateContextRequest};
pub use shares::{CreateShareRequest, ShareDTO, SharesResponse, SHARE_HOURS};
pub use tokens::{CreateTokenRequest, CreatedTokenDTO, TokenDTO, TokensResponse, MAX_TOKEN_NAME_CHARS, TOKEN_DAYS};
pub use tools::{Policy, Remember, ToolDTO, ToolPolicyRequest, ToolServerDTO, ToolsResponse};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    Idle,
    Processing,
    Streaming,
    AwaitingToolApproval,
    ExecutingTools,
    Failed,
}

impl ChatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatStatus::Idle => "idle",
            ChatStatus::Processing => "processing",
            ChatStatus::Streaming => "streaming",
            ChatStatus::AwaitingToolApproval => "awaiting_tool_approval",
            ChatStatus::ExecutingTools => "executing_tools",
            ChatStatus::Failed => "failed",
        }
    }

    /// True while the server is working on a reply (the composer waits, Stop is offered).
    pub fn is_busy(self) -> bool {
        matches!(self, ChatStatus::Processing | ChatStatus::Streaming | ChatStatus::ExecutingTools)
    }

    /// Whether a new message can be sent now.
    pub fn accepts_messages(self) -> bool {
        matches!(self, ChatStatus::Idle | ChatStatus::Failed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    System,
    User,
    Assistant,
    Tool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ToolApproval {
    Pending,
    Approved,
    Denied,
}

/// Why a reply stopped before its natural end. `unknown` is never sent: it is what a client
/// reads for a reason it does not know yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Someone pressed stop.
    Cancelled,
    /// The model's provider failed midway.
    Failed,
    /// The server stopped (a crash or a restart) while the reply streamed.
    Interrupted,
    /// The reply reached the length limit (DESIGN.md section 7).
    Length,
    /// A reason this client does not know (from a newer server): read as this rather than
    /// refusing the whole state. This server never sends it.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolCallDTO {
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
    pub approval: ToolApproval,
    /// The tool's output once it ran.
    pub result: Option<String>,
    /// Why there is no result: the tool failed, or the call was denied or cancelled.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageDTO {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub role: MessageRole,
    pub content: String,
    pub created_at: DateTime<Utc>,
    /// False while the message streams.
    pub complete: bool,
    #[serde(default)]
    pub tool_calls: Vec<ToolCallDTO>,
    pub tool_call_id: Option<String>,
    pub client_action_id: Option<String>,
    /// Why a reply stopped early.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// How many streamed deltas `content` already holds: a client drops deltas with a
    /// `seq` at or below it.
    #[serde(default)]
    pub stream_seq: u64,
    /// On replies: the model (`provider/name`) that wrote it.
    #[serde(default)]
    pub model: Option<String>,
    /// On replies: the model's reasoning, apart from the answer (streamed as `reasoning`
    /// events; never sent back to a model).
    #[serde(default)]
    pub reasoning: Option<String>,
    /// How many `reasoning` events `reasoning` already holds.
    #[serde(default)]
    pub reasoning_seq: u64,
    #[serde(default)]
    pub usage: Option<UsageDTO>,
    #[serde(default)]
    pub timing: Option<TimingDTO>,
    /// The messages that share this one's parent (itself included), oldest first, each with
    /// the branch that shows it: what a `< 2/3 >` switcher needs.
    #[serde(default)]
    pub siblings: Vec<SiblingDTO>,
    /// Files the person sent with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentDTO>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SiblingDTO {
    pub message_id: Uuid,
    /// A branch whose path runs through this sibling, if any.
    pub branch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BranchDTO {
    pub name: String,
    pub head_message_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChatContextDTO {
    pub id: Uuid,
    pub title: String,
    pub status: ChatStatus,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub active_branch: String,
    pub branches: Vec<BranchDTO>,
    /// The active branch, root to leaf.
    pub messages: Vec<MessageDTO>,
    pub last_error: Option<String>,
    /// What the conversation asks of its model.
    #[serde(default)]
    pub settings: SettingsDTO,
    /// The first message the model saw at the last request; null when all of the branch fit.
    #[serde(default)]
    pub context_window_start: Option<Uuid>,
    /// In a windowed state (`?window=N`): how many messages of the active branch come before
    /// `messages`. Absent when `messages` is the whole branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_before: Option<u64>,
}

/// `GET /api/contexts/{id}/messages`: a page of the active branch.
/// A `contexts` event of the per-user stream: rows of the conversation list that changed
/// (or are new), and conversations that went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContextsChangeDTO {
    pub changed: Vec<ContextSummaryDTO>,
    pub removed: Vec<Uuid>,
    /// Every folder of the user, when they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folders: Option<Vec<FolderDTO>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessagesPage {
    /// Oldest first.
    pub messages: Vec<MessageDTO>,
}

impl ChatContextDTO {
    /// The tool calls waiting for a person: the pending ones on the last assistant message.
    pub fn pending_tool_calls(&self) -> Vec<&ToolCallDTO> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == MessageRole::Assistant)
            .map(|m| m.tool_calls.iter().filter(|c| c.approval == ToolApproval::Pending).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionResponse {
    pub context: ChatContextDTO,
    pub status: ChatStatus,
}

/// One line of `GET /api/contexts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContextSummaryDTO {
    pub id: Uuid,
    pub title: String,
    pub status: ChatStatus,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub pinned: bool,
    /// Archived conversations are listed only with `?archived=true`.
    #[serde(default)]
    pub archived: bool,
    /// One of the owner's folders.
    #[serde(default)]
    pub folder_id: Option<Uuid>,
}

/// A piece of streamed text (`delta` events on the SSE stream), or of streamed reasoning
/// (`reasoning` events, numbered on their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeltaDTO {
    pub message_id: Uuid,
    /// 1 for a message's first delta, then +1 each.
    pub seq: u64,
    pub text: String,
}

/// The model this server talks to (`GET /api/info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServerInfoDTO {
    pub provider: String,
    pub model: String,
    pub model_label: String,
    pub version: String,
}

/// Every error: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable and machine-readable, e.g. `not_found`, `invalid_state`.
    pub code: String,
    /// For people.
    pub message: String,
}

// --- request bodies ------------------------------------------------------------------------
// Unknown fields are refused so a misspelt field is an error, not silently ignored. The
// actions' bodies are in the `action` module, beside `Action`.

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateContextRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200, pattern = "\\S"))]
    pub title: Option<String>,
    /// Start from one of the user's presets (model, system prompt, parameters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset_id: Option<Uuid>,
}

/// The deprecated `PUT /messages/{id}`: an edit by another name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LegacyMessageRequest {
    /// Only `user` is accepted; replies come from the server.
    #[serde(default)]
    pub role: Option<MessageRole>,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, pattern = "\\S"))]
    pub content: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
}

// --- accounts -------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserDTO {
    pub id: Uuid,
    pub username: String,
    pub created_at: DateTime<Utc>,
    /// Runs the server (the admin page): manages accounts, never reads anyone's chats.
    #[serde(default)]
    pub admin: bool,
}

/// The body of `register` and `login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CredentialsRequest {
    #[cfg_attr(feature = "ssr", schema(min_length = 3, max_length = 32, pattern = "^[A-Za-z0-9_.-]+$"))]
    pub username: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 256))]
    pub password: String,
    /// `register` only: the secret of an invite link, when registration takes invites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// `POST /api/auth/password`: a new password, proven by the current one. Every other session
/// of the account ends; the one that asked stays signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 256))]
    pub new_password: String,
}

/// What `register` and `login` answer: the user, and a token for `Authorization: Bearer`
/// (the browser gets the same session as an HttpOnly cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    pub user: UserDTO,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MeResponse {
    pub user: UserDTO,
}

// --- search, export and import ----------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SnippetPartDTO {
    pub text: String,
    /// True for the words that matched.
    pub highlight: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchResultDTO {
    pub context_id: Uuid,
    pub context_title: String,
    /// The matching message; null when the title matched.
    pub message_id: Option<Uuid>,
    pub snippet: Vec<SnippetPartDTO>,
}

/// `GET /api/search?q=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchResponse {
    pub results: Vec<SearchResultDTO>,
}

/// What `format` says in an export file.
pub const EXPORT_FORMAT: &str = "confab.context";
/// The export format's version this server writes. Version 2 added `source_id`, the
/// conversation's settings and, on replies, the model, reasoning, usage and timing.
pub const EXPORT_VERSION: u32 = 2;
/// The oldest version an import still reads.
pub const EXPORT_OLDEST_VERSION: u32 = 1;

/// A whole conversation as a file: every message of the tree, every branch, every tool
/// call. `GET /api/contexts/{id}/export` writes it; `POST /api/contexts/import` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportedContext {
    pub format: String,
    pub version: u32,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub active_branch: String,
    pub branches: Vec<BranchDTO>,
    /// Parents before children.
    pub messages: Vec<ExportedMessage>,
    /// Version 2: the conversation's model settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsDTO>,
    /// The id of the conversation the file was exported from (version 2): importing the
    /// same conversation again is recognized and skipped.
    #[serde(default)]
    pub source_id: Option<Uuid>,
    /// Where it sat in the list (version 2, when not the default place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<ExportedPlace>,
}

/// Where an exported conversation sat in its owner's list; its folder by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportedPlace {
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub folder: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportedMessage {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub role: MessageRole,
    pub content: String,
    pub created_at: DateTime<Utc>,
    #[serde(default = "complete_by_default")]
    pub complete: bool,
    #[serde(default)]
    pub tool_calls: Vec<ToolCallDTO>,
    #[serde(default)]
    pub tool_call_id: Option<String>,
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// Version 2: on replies, the model that wrote it, its reasoning, usage and timing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageDTO>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<TimingDTO>,
    /// Version 2: files sent with a message, with their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<ExportedAttachment>,
}

fn complete_by_default() -> bool {
    true
}

#[cfg(test)]
impl MessageDTO {
    /// A complete user message without a parent, at a fixed time: tests change what they need.
    pub fn for_tests(id: Uuid, content: &str) -> MessageDTO {
        MessageDTO {
            id,
            parent_id: None,
            role: MessageRole::User,
            content: content.into(),
            created_at: DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time"),
            complete: true,
            tool_calls: vec![],
            tool_call_id: None,
            client_action_id: None,
            stop_reason: None,
            stream_seq: 0,
            model: None,
            reasoning: None,
            reasoning_seq: 0,
            usage: None,
            timing: None,
            siblings: vec![],
            attachments: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_reasons_keep_their_wire_names() {
        for (reason, name) in [
            (StopReason::Cancelled, "cancelled"),
            (StopReason::Failed, "failed"),
            (StopReason::Interrupted, "interrupted"),
            (StopReason::Length, "length"),
        ] {
            let text = format!("\"{name}\"");
            assert_eq!(serde_json::to_string(&reason).unwrap(), text);
            assert_eq!(serde_json::from_str::<StopReason>(&text).unwrap(), reason);
        }
    }

    #[test]
    fn a_stop_reason_from_a_newer_server_reads_as_unknown_and_the_message_still_parses() {
        assert_eq!(serde_json::from_str::<StopReason>("\"out_of_coffee\"").unwrap(), StopReason::Unknown);
        let message = r#"{"id": "00000000-0000-0000-0000-000000000001", "parent_id": null, "role": "assistant",
            "content": "Hel", "created_at": "2024-01-01T00:00:00Z", "complete": true, "tool_calls": [],
            "tool_call_id": null, "client_action_id": null, "stop_reason": "out_of_coffee"}"#;
        let message: MessageDTO = serde_json::from_str(message).unwrap();
        assert_eq!(message.stop_reason, Some(StopReason::Unknown));
    }
}
