//! The JSON wire contract between the browser (or any API client) and the server, defined
//! once and compiled for both. DESIGN.md section 4 fixes these names: fields may be added,
//! never renamed. On the server they also describe themselves for the OpenAPI document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// Why a reply stopped early: `cancelled`, `failed` or `interrupted`.
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// How many streamed deltas `content` already holds: a client drops deltas with a
    /// `seq` at or below it.
    #[serde(default)]
    pub stream_seq: u64,
    /// The messages that share this one's parent (itself included), oldest first, each with
    /// the branch that shows it: what a `< 2/3 >` switcher needs.
    #[serde(default)]
    pub siblings: Vec<SiblingDTO>,
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
}

/// A piece of streamed text (`delta` events on the SSE stream).
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
// Unknown fields are refused so a misspelt field is an error, not silently ignored.

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateContextRequest {
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200, pattern = "\\S"))]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RenameContextRequest {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200, pattern = "\\S"))]
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// Not blank; at most the server's message limit (100,000 characters by default).
    #[cfg_attr(feature = "ssr", schema(min_length = 1, pattern = "\\S"))]
    pub content: String,
    /// Makes the action idempotent: the same id again changes nothing.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveToolsRequest {
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 64))]
    pub tool_call_ids: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DenyToolsRequest {
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 64))]
    pub tool_call_ids: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub reason: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
}

/// The body of `cancel` and `retry`: nothing but an optional action id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlainActionRequest {
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EditMessageRequest {
    pub message_id: Uuid,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, pattern = "\\S"))]
    pub content: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegenerateRequest {
    pub message_id: Uuid,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SwitchBranchRequest {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub branch: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
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
/// The export format's version that exports write. Version 2 added `source_id`.
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
    /// The id of the conversation the file was exported from (version 2): importing the
    /// same conversation again is recognized and skipped.
    #[serde(default)]
    pub source_id: Option<Uuid>,
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
    pub stop_reason: Option<String>,
}

fn complete_by_default() -> bool {
    true
}
