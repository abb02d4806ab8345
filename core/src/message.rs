//! Messages and the tool calls an assistant message may carry.

use serde::{Deserialize, Serialize};

use crate::settings::{Timing, Usage};
use crate::Timestamp;

pub type MessageId = uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "system" => Role::System,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            _ => return None,
        })
    }
}

/// Why an assistant message stopped before its natural end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The user pressed stop.
    Cancelled,
    /// The provider failed midway.
    Failed,
    /// The server stopped (crash or restart) while it streamed.
    Interrupted,
    /// The reply reached its output budget (`max_tokens`); `continue` extends it.
    Length,
}

impl StopReason {
    /// The name stores, exports and the wire use (the same as serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Cancelled => "cancelled",
            StopReason::Failed => "failed",
            StopReason::Interrupted => "interrupted",
            StopReason::Length => "length",
        }
    }

    pub fn parse(s: &str) -> Option<StopReason> {
        Some(match s {
            "cancelled" => StopReason::Cancelled,
            "failed" => StopReason::Failed,
            "interrupted" => StopReason::Interrupted,
            "length" => StopReason::Length,
            _ => return None,
        })
    }
}

/// A person's decision on a tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    Pending,
    Approved,
    Denied,
}

/// A tool call as the model requested it, before anyone decided on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRequest {
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
    pub approval: Approval,
    /// The tool's output once it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Why there is no result: the tool failed, or the call was denied or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ToolCall {
    pub fn from_request(request: ToolCallRequest) -> Self {
        ToolCall {
            id: request.id,
            name: request.name,
            arguments: request.arguments,
            approval: Approval::Pending,
            result: None,
            error: None,
        }
    }

    /// Approved and not yet run.
    pub fn is_runnable(&self) -> bool {
        self.approval == Approval::Approved && self.result.is_none() && self.error.is_none()
    }
}

/// A file sent with a message: what the conversation keeps of it (its bytes stay in the
/// store, under its owner, found by `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: uuid::Uuid,
    /// Cleaned: no path, no control characters.
    pub name: String,
    /// Decided by the bytes, never by the client.
    pub media_type: String,
    pub size: u64,
    /// What the file costs of a model's context (an estimate made when it was uploaded).
    #[serde(default)]
    pub prompt_tokens: u32,
}

impl Attachment {
    pub fn is_image(&self) -> bool {
        self.media_type.starts_with("image/")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub parent_id: Option<MessageId>,
    pub role: Role,
    pub content: String,
    pub created_at: Timestamp,
    /// False while the message streams.
    pub complete: bool,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
    pub client_action_id: Option<String>,
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// How many streamed deltas `content` holds; lets a client that took a snapshot drop
    /// the deltas it already has, and a process that loads a reply mid-stream continue it.
    /// Stores keep it; export files do not (it only matters while a message streams).
    #[serde(skip)]
    pub stream_seq: u64,
    /// On assistant messages: the model (`provider/model`) that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// On assistant messages: the model's reasoning, kept apart from the answer and never
    /// sent back to a model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// How many streamed reasoning deltas `reasoning` holds (as `stream_seq` for the text).
    #[serde(skip)]
    pub reasoning_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// Files the person sent with it (user messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>, parent_id: Option<MessageId>, now: Timestamp) -> Self {
        Message {
            id: uuid::Uuid::new_v4(),
            parent_id,
            role,
            content: content.into(),
            created_at: now,
            complete: true,
            tool_calls: Vec::new(),
            tool_call_id: None,
            client_action_id: None,
            stop_reason: None,
            stream_seq: 0,
            model: None,
            reasoning: None,
            reasoning_seq: 0,
            usage: None,
            timing: None,
            attachments: Vec::new(),
        }
    }

    pub fn pending_tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.tool_calls.iter().filter(|call| call.approval == Approval::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_reason_reads_back_what_it_writes_under_serde_s_name() {
        for reason in [StopReason::Cancelled, StopReason::Failed, StopReason::Interrupted, StopReason::Length] {
            assert_eq!(StopReason::parse(reason.as_str()), Some(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
        assert_eq!(StopReason::parse("exploded"), None);
        assert_eq!(StopReason::parse("Cancelled"), None);
    }
}
