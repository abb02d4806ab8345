//! Language-model providers for Confab.
//!
//! A [`Provider`] takes the conversation so far and the tools on offer, and streams its reply
//! as [`StreamEvent`]s: reasoning and text deltas, the usage, then the tool calls it wants (if
//! any) or how it finished. [`BuiltinModel`] is a deterministic offline model so Confab works
//! with no network and tests repeat; [`OpenAiProvider`] talks to any OpenAI-compatible server.
//! [`tokens`] counts a prompt's tokens before it is sent.

mod builtin;
#[cfg(feature = "fake-server")]
pub mod fake_openai;
mod openai;
pub mod tokens;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

pub use builtin::{BuiltinModel, BuiltinReply};
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
    /// On user messages: the files sent with it.
    pub attachments: Vec<PromptAttachment>,
}

impl PromptMessage {
    pub fn new(role: PromptRole, content: impl Into<String>) -> Self {
        PromptMessage {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            attachments: Vec::new(),
        }
    }
}

/// A file sent with a message, as a model gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptAttachment {
    /// What the caller found it by; providers ignore it.
    pub key: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    /// What it costs of the context, estimated when it was uploaded.
    pub tokens: u32,
    pub content: AttachmentContent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttachmentContent {
    /// An image, as a `data:` URL, for a model that takes images.
    Image { data_url: String },
    /// What a model reads of a text file or a PDF.
    Text(String),
    /// Nothing the model can read: a sentence saying why (a scanned PDF, an image for a
    /// model without vision, a file no longer stored, or not loaded yet).
    Unreadable(String),
}

impl PromptAttachment {
    /// The file as words, for a model that reads it as text: its name and kind, then its
    /// text, or why there is none.
    pub fn as_text(&self) -> String {
        match &self.content {
            AttachmentContent::Text(text) => {
                format!("<file name=\"{}\" type=\"{}\">\n{text}\n</file>", self.name, self.media_type)
            }
            AttachmentContent::Image { .. } => format!("[image {}]", self.name),
            AttachmentContent::Unreadable(why) => format!("[file {} ({}): {why}]", self.name, self.media_type),
        }
    }
}

/// A tool the model may call, described by a JSON schema of its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

/// Sampling parameters a conversation sets; `None` leaves the server's default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sampling {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// The output budget: the most tokens the reply may have.
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// The model's name at its provider (without the `provider/` prefix Confab adds).
    pub model: String,
    pub messages: Vec<PromptMessage>,
    pub tools: Vec<ToolSpec>,
    pub sampling: Sampling,
}

/// Tokens a reply cost, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// How a reply ended when it ended without tool calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The model finished its answer.
    Stop,
    /// The reply hit the output budget (`max_tokens`) and was cut off.
    Length,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// More reply text.
    Text(String),
    /// More of the model's reasoning (`reasoning_content`, `reasoning`, or a
    /// `<think>...</think>` block): shown apart, never part of the answer.
    Reasoning(String),
    /// What the reply cost; comes before the last event, when the provider reports it.
    Usage(Usage),
    /// The model wants these tools run; its turn ends with them.
    ToolCalls(Vec<PromptToolCall>),
    /// The reply is complete.
    Finished(FinishReason),
}

pub type ReplyStream = BoxStream<'static, Result<StreamEvent, ProviderError>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the model server refused the API key ({status}): {message}")]
    Unauthorized { status: u16, message: String },
    #[error("the model server does not know this model ({status}): {message}")]
    UnknownModel { status: u16, message: String },
    #[error("the model server is limiting requests (429) and still was after one retry: {message}")]
    RateLimited { message: String },
    #[error("the model server answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("could not reach the model server: {0}")]
    Connection(String),
    #[error("the model server sent something unexpected: {0}")]
    Protocol(String),
    #[error("the model server did not answer in time")]
    Timeout,
}

/// What the UI says about the default model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The provider's name: `builtin`, `openai`, or a name from the config file.
    pub provider: String,
    pub model: String,
    /// A line for people: for the built-in model it says plainly that it is offline.
    pub label: String,
}

/// A model a provider offers, with what its listing says about it (`None`: not said).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListedModel {
    /// The name at the provider, e.g. `gpt-4o-mini` or `llama3.1:8b`.
    pub name: String,
    /// Tokens of context (prompt and reply), from the listing's metadata where it has
    /// one (`context_length`, `max_model_len`, `max_input_tokens`, ...).
    pub context_length: Option<u32>,
    pub vision: Option<bool>,
    pub tools: Option<bool>,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn info(&self) -> ModelInfo;

    /// The models this provider offers now (`/v1/models` for OpenAI-compatible servers).
    async fn models(&self) -> Result<Vec<ListedModel>, ProviderError>;

    /// Starts a reply. Errors before the first event come back here; errors midway come
    /// as the stream's last item.
    async fn stream(&self, request: ChatRequest) -> Result<ReplyStream, ProviderError>;

    /// A short title, written by `model`, for a conversation that opens with
    /// `first_message`, if the provider can make one.
    async fn title(&self, model: &str, first_message: &str) -> Option<String>;
}
