//! A client for any OpenAI-compatible `/chat/completions` endpoint with `stream: true`
//! (OpenAI, Ollama, llama.cpp's server, vLLM, ...).
//!
//! The HTTP is reqwest's and the server-sent events are parsed by `eventsource-stream`; this
//! module only maps the chat-completions chunks, including tool calls whose id, name and
//! arguments arrive in pieces spread over several chunks.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures::stream::{BoxStream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    ChatRequest, FinishReason, ListedModel, ModelInfo, PromptMessage, PromptRole, PromptToolCall, Provider,
    ProviderError, ReplyStream, StreamEvent,
};

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Up to and including the version segment, e.g. `https://api.openai.com/v1` or
    /// `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    /// How long to wait for the response headers.
    pub request_timeout: Duration,
    /// How long the stream may stay silent between two chunks.
    pub idle_timeout: Duration,
}

impl OpenAiConfig {
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        OpenAiConfig {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            request_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

pub struct OpenAiProvider {
    client: reqwest::Client,
    config: OpenAiConfig,
}

impl OpenAiProvider {
    pub fn new(config: OpenAiConfig) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ProviderError::Connection(e.to_string()))?;
        Ok(OpenAiProvider { client, config })
    }

    fn url(&self) -> String {
        format!("{}/chat/completions", self.config.base_url.trim_end_matches('/'))
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        let request = self.client.post(self.url()).json(body);
        match &self.config.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    async fn send(&self, body: &Value) -> Result<reqwest::Response, ProviderError> {
        let response = tokio::time::timeout(self.config.request_timeout, self.post(body).send())
            .await
            .map_err(|_| ProviderError::Timeout)?
            .map_err(connection_error)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        Err(ProviderError::Status { status: status.as_u16(), message: error_message(&text) })
    }
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            provider: "openai".into(),
            model: self.config.model.clone(),
            label: format!("{} via {}", self.config.model, self.config.base_url),
        }
    }

    async fn stream(&self, request: ChatRequest) -> Result<ReplyStream, ProviderError> {
        let body = request_body(&request, true);
        let response = self.send(&body).await?;
        let events = response.bytes_stream().eventsource().boxed();
        Ok(chunk_stream(events, self.config.idle_timeout))
    }

    async fn models(&self) -> Result<Vec<ListedModel>, ProviderError> {
        let url = format!("{}/models", self.config.base_url.trim_end_matches('/'));
        let request = self.client.get(url);
        let request = match &self.config.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        };
        let response = tokio::time::timeout(self.config.request_timeout, request.send())
            .await
            .map_err(|_| ProviderError::Timeout)?
            .map_err(connection_error)?;
        let status = response.status();
        let text = response.text().await.map_err(connection_error)?;
        if !status.is_success() {
            return Err(ProviderError::Status { status: status.as_u16(), message: error_message(&text) });
        }
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| ProviderError::Protocol(format!("the model list is not JSON: {e}")))?;
        let empty = Vec::new();
        Ok(value["data"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .filter_map(|m| m["id"].as_str())
            .map(|name| ListedModel { name: name.to_string(), ..ListedModel::default() })
            .collect())
    }

    async fn title(&self, model: &str, first_message: &str) -> Option<String> {
        let prompt = ChatRequest {
            model: model.to_string(),
            messages: vec![
                PromptMessage::new(
                    PromptRole::System,
                    "Write a title of at most six words for a conversation that starts with the \
                     user's message. Answer with the title only, no quotes.",
                ),
                PromptMessage::new(PromptRole::User, first_message),
            ],
            tools: Vec::new(),
            sampling: Default::default(),
        };
        let body = request_body(&prompt, false);
        let response = self.send(&body).await.ok()?;
        let value: Value = response.json().await.ok()?;
        let title = value.pointer("/choices/0/message/content")?.as_str()?;
        let title = title.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!title.is_empty()).then(|| title.chars().take(80).collect())
    }
}

/// The request body in the chat-completions wire format.
pub(crate) fn request_body(request: &ChatRequest, stream: bool) -> Value {
    let messages: Vec<Value> = request.messages.iter().map(message_json).collect();
    let mut body = json!({ "model": request.model, "messages": messages, "stream": stream });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| {
                json!({ "type": "function", "function": {
                    "name": tool.name, "description": tool.description, "parameters": tool.parameters } })
            })
            .collect();
    }
    body
}

fn message_json(message: &PromptMessage) -> Value {
    match message.role {
        PromptRole::System => json!({ "role": "system", "content": message.content }),
        PromptRole::User => json!({ "role": "user", "content": message.content }),
        PromptRole::Tool => json!({
            "role": "tool", "tool_call_id": message.tool_call_id, "content": message.content }),
        PromptRole::Assistant if message.tool_calls.is_empty() => {
            json!({ "role": "assistant", "content": message.content })
        }
        PromptRole::Assistant => {
            let calls: Vec<Value> = message
                .tool_calls
                .iter()
                .map(|call| {
                    json!({ "id": call.id, "type": "function", "function": {
                        "name": call.name, "arguments": call.arguments.to_string() } })
                })
                .collect();
            let content = (!message.content.is_empty()).then_some(message.content.as_str());
            json!({ "role": "assistant", "content": content, "tool_calls": calls })
        }
    }
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallDelta>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: usize,
    id: Option<String>,
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    name: Option<String>,
    arguments: Option<String>,
}

/// A tool call being put together from its pieces.
#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

type SseStream =
    BoxStream<'static, Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>>;

struct ChunkState {
    events: SseStream,
    idle_timeout: Duration,
    calls: BTreeMap<usize, PartialCall>,
    /// Events decoded from one chunk, waiting to be handed out.
    queued: std::collections::VecDeque<StreamEvent>,
    done: bool,
}

/// Turns server-sent chunks into reply events, ending with `Finished` or `ToolCalls`, or an
/// error when the stream breaks, goes silent, or ends without saying it is done.
fn chunk_stream(events: SseStream, idle_timeout: Duration) -> ReplyStream {
    let state = ChunkState { events, idle_timeout, calls: BTreeMap::new(), queued: Default::default(), done: false };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.queued.pop_front() {
                return Some((Ok(event), state));
            }
            if state.done {
                return None;
            }
            let next = match tokio::time::timeout(state.idle_timeout, state.events.next()).await {
                Err(_) => Err(ProviderError::Timeout),
                Ok(None) => Err(ProviderError::Protocol("the stream ended before the reply was complete".into())),
                Ok(Some(Err(e))) => Err(stream_error(e)),
                Ok(Some(Ok(event))) => state.take(&event.data),
            };
            if let Err(error) = next {
                state.done = true;
                return Some((Err(error), state));
            }
        }
    })
    .boxed()
}

impl ChunkState {
    /// Decodes one `data:` payload into queued events.
    fn take(&mut self, data: &str) -> Result<(), ProviderError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.finish();
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let chunk: Chunk = serde_json::from_str(data)
            .map_err(|e| ProviderError::Protocol(format!("a chunk is not valid JSON: {e}")))?;
        if let Some(error) = chunk.error {
            return Err(ProviderError::Status { status: 200, message: error_message(&error.to_string()) });
        }
        for choice in chunk.choices.into_iter().take(1) {
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                self.queued.push_back(StreamEvent::Text(text));
            }
            for piece in choice.delta.tool_calls {
                let call = self.calls.entry(piece.index).or_default();
                if let Some(id) = piece.id {
                    call.id = id;
                }
                if let Some(function) = piece.function {
                    if let Some(name) = function.name {
                        call.name.push_str(&name);
                    }
                    if let Some(arguments) = function.arguments {
                        call.arguments.push_str(&arguments);
                    }
                }
            }
            if choice.finish_reason.is_some() {
                self.finish();
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        let calls = std::mem::take(&mut self.calls);
        if calls.is_empty() {
            self.queued.push_back(StreamEvent::Finished(FinishReason::Stop));
            return;
        }
        let calls = calls
            .into_values()
            .map(|call| PromptToolCall { arguments: parse_arguments(&call.arguments), id: call.id, name: call.name })
            .collect();
        self.queued.push_back(StreamEvent::ToolCalls(calls));
    }
}

/// Arguments are a JSON object sent as a string; an empty string means no arguments, and
/// text that is not JSON is passed on as a string for the tool to refuse clearly.
fn parse_arguments(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return json!({});
    }
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
}

/// The human part of an error body: `{"error": {"message": ...}}` where servers follow
/// OpenAI, else the raw text, shortened.
fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let text = message.unwrap_or_else(|| body.trim().to_string());
    if text.is_empty() {
        return "no details".to_string();
    }
    text.chars().take(500).collect()
}

fn connection_error(error: reqwest::Error) -> ProviderError {
    if error.is_timeout() {
        ProviderError::Timeout
    } else {
        ProviderError::Connection(error.to_string())
    }
}

fn stream_error(error: eventsource_stream::EventStreamError<reqwest::Error>) -> ProviderError {
    match error {
        eventsource_stream::EventStreamError::Transport(e) => {
            ProviderError::Connection(format!("the stream broke: {e}"))
        }
        other => ProviderError::Protocol(other.to_string()),
    }
}
