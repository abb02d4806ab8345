//! Language-model providers for Confab.
//!
//! A [`Provider`] takes the conversation so far and the tools on offer, and streams its reply
//! as [`StreamEvent`]s: text deltas, then the tool calls it wants (if any), then the end.
//! [`BuiltinModel`] is a deterministic offline model so Confab works with no network and
//! tests repeat; [`OpenAiProvider`] talks to any OpenAI-compatible server.

mod builtin;
#[cfg(feature = "fake-server")]
pub mod fake_openai;
mod openai;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

pub use builtin::BuiltinModel;
pub use openai::{OpenAiConfig, OpenAiProvider};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptRole {
    System,
    User,
    Assistant,
    Tool,
}

/// A tool call as it appears in the conversation sent to a model.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptToolCall {
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
}

/// One message of the conversation sent to a model.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptMessage {
    pub role: PromptRole,
    pub content: String,
    /// On assistant messages: the calls the model made.
    pub tool_calls: Vec<PromptToolCall>,
    /// On tool messages: the call this answers.
    pub tool_call_id: Option<String>,
}

impl PromptMessage {
    pub fn new(role: PromptRole, content: impl Into<String>) -> Self {
        PromptMessage { role, content: content.into(), tool_calls: Vec::new(), tool_call_id: None }
    }
}

/// A tool the model may call, described by a JSON schema of its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    pub messages: Vec<PromptMessage>,
    pub tools: Vec<ToolSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// More reply text.
    Text(String),
    /// The model wants these tools run; its turn ends with them.
    ToolCalls(Vec<PromptToolCall>),
    /// The reply is complete.
    Finished,
}

pub type ReplyStream = BoxStream<'static, Result<StreamEvent, ProviderError>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the model server answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("could not reach the model server: {0}")]
    Connection(String),
    #[error("the model server sent something unexpected: {0}")]
    Protocol(String),
    #[error("the model server did not answer in time")]
    Timeout,
}

/// What the UI says about the model in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// `builtin` or `openai`.
    pub provider: String,
    pub model: String,
    /// A line for people: for the built-in model it says plainly that it is offline.
    pub label: String,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn info(&self) -> ModelInfo;

    /// Starts a reply. Errors before the first event come back here; errors midway come
    /// as the stream's last item.
    async fn stream(&self, request: ChatRequest) -> Result<ReplyStream, ProviderError>;

    /// A short title for a conversation that opens with `first_message`, if the provider
    /// can make one.
    async fn title(&self, first_message: &str) -> Option<String>;
}
