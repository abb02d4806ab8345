//! A fake OpenAI-compatible server for tests: it listens on a free loopback port and answers
//! `/chat/completions` in the real wire format (server-sent `chat.completion.chunk`s, tool
//! calls split over several chunks, reasoning deltas, a usage chunk when asked for, `[DONE]`),
//! or fails the ways real servers fail; and it lists models at `GET /models`.

mod wire;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::builtin::{tokens, within_budget};
use crate::{BuiltinModel, ChatRequest, PromptMessage, PromptRole, PromptToolCall, Sampling, ToolSpec};

/// How the fake answers one request. Every streamed reply that finishes (all but `Status`,
/// `RateLimited`, `DropAfter` and `StallAfter`) sends a usage chunk after its finish chunk
/// when the request asks for one (`stream_options.include_usage`): the prompt's tokens are
/// the words of its messages, the completion's the content chunks sent.
#[derive(Debug, Clone)]
pub enum FakeReply {
    /// Text in these pieces, then `finish_reason: stop` and `[DONE]`.
    Text(Vec<String>),
    /// Reasoning in these pieces (`reasoning_content` deltas, as DeepSeek and vLLM send it),
    /// then text in these, then `finish_reason: stop`.
    Reasoning(Vec<String>, Vec<String>),
    /// Text in these pieces, then `finish_reason: length`: the output budget ran out.
    Length(Vec<String>),
    /// Some text, then these calls `(id, name, arguments as JSON text)`, each call's
    /// arguments split over three chunks.
    ToolCalls(String, Vec<(String, String, String)>),
    /// An HTTP error with an OpenAI-style error body.
    Status(u16, String),
    /// A 429 with `Retry-After: <seconds>` and an OpenAI-style error body.
    RateLimited(u64),
    /// These text pieces, then the connection drops.
    DropAfter(Vec<String>),
    /// These text pieces, then silence for ever.
    StallAfter(Vec<String>),
}

type Responder = dyn Fn(&Value) -> FakeReply + Send + Sync;

/// What `GET /models` answers.
#[derive(Debug, Clone)]
enum ModelList {
    /// `{"object": "list", "data": <these>}`.
    Models(Vec<Value>),
    /// This status with an OpenAI-style error body.
    Fails(u16, String),
}

/// The state the handlers share with the test. Plain `std` mutexes: each is held for a copy
/// or a push, never across an `.await`.
#[derive(Clone)]
struct Shared {
    responder: Arc<Responder>,
    requests: Arc<Mutex<Vec<Value>>>,
    models: Arc<Mutex<ModelList>>,
    model_list_requests: Arc<Mutex<usize>>,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
}

pub struct FakeOpenAi {
    /// Ends in `/v1`, as the provider's base URL does.
    pub base_url: String,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeOpenAi {
    /// The one model `GET /models` lists unless told otherwise.
    pub const DEFAULT_MODEL: &'static str = "fake-model";

    pub async fn start(responder: impl Fn(&Value) -> FakeReply + Send + Sync + 'static) -> Self {
        Self::start_on("127.0.0.1:0", responder).await
    }

    pub async fn start_on(addr: &str, responder: impl Fn(&Value) -> FakeReply + Send + Sync + 'static) -> Self {
        let default_models = vec![json!({ "id": Self::DEFAULT_MODEL, "object": "model", "owned_by": "fake" })];
        let shared = Shared {
            responder: Arc::new(responder),
            requests: Default::default(),
            models: Arc::new(Mutex::new(ModelList::Models(default_models))),
            model_list_requests: Default::default(),
            authorizations: Default::default(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .route("/v1/models", get(models))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the fake server");
        let addr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpenAi { base_url: format!("http://{addr}/v1"), shared, server }
    }

    /// Answers streaming requests with `replies` in order, then with an error once they run
    /// out. Plain (non-streaming) requests, such as a title, get "Fake title" on the side.
    pub async fn scripted(replies: Vec<FakeReply>) -> Self {
        let queue = Mutex::new(VecDeque::from(replies));
        Self::start(move |body| {
            if !body["stream"].as_bool().unwrap_or(false) {
                return FakeReply::Text(vec!["Fake title".into()]);
            }
            queue.lock().unwrap().pop_front().unwrap_or(FakeReply::Status(500, "the fake's script ran out".into()))
        })
        .await
    }

    /// Answers as the built-in model would, but over the OpenAI wire format.
    pub async fn like_builtin() -> Self {
        Self::start(builtin_reply).await
    }

    /// Lists these entries at `GET /models` (each at least `{"id": ...}`, with whatever
    /// metadata the test needs), from now on.
    pub fn with_models(self, models: Vec<Value>) -> Self {
        self.set_models(models);
        self
    }

    /// Lists these entries at `GET /models` from now on.
    pub fn set_models(&self, models: Vec<Value>) {
        *self.shared.models.lock().unwrap() = ModelList::Models(models);
    }

    /// Makes `GET /models` fail with this status and message from now on.
    pub fn fail_models(&self, status: u16, message: impl Into<String>) {
        *self.shared.models.lock().unwrap() = ModelList::Fails(status, message.into());
    }

    /// The JSON bodies of the chat requests received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// How many times `GET /models` was asked.
    pub fn model_list_requests(&self) -> usize {
        *self.shared.model_list_requests.lock().unwrap()
    }

    /// The `Authorization` header of every request received (chat or list), in order.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.shared.authorizations.lock().unwrap().clone()
    }
}

/// The built-in model's answer to an OpenAI-format request: its reasoning as reasoning deltas
/// (left out before tool calls and of a reply cut at `max_tokens`), its text token by token,
/// cut at `max_tokens` where it cuts it.
pub fn builtin_reply(body: &Value) -> FakeReply {
    let request = parse_request(body);
    let reply = BuiltinModel::full_reply(&request);
    let owned = |tokens: Vec<&str>| tokens.into_iter().map(str::to_string).collect::<Vec<_>>();
    let (text, cut) = within_budget(&reply.text, request.sampling.max_tokens);
    if cut {
        return FakeReply::Length(owned(text));
    }
    if !reply.tool_calls.is_empty() {
        let calls = reply.tool_calls.into_iter().map(|c| (c.id, c.name, c.arguments.to_string())).collect();
        return FakeReply::ToolCalls(reply.text, calls);
    }
    if reply.reasoning.is_empty() {
        FakeReply::Text(owned(text))
    } else {
        FakeReply::Reasoning(owned(tokens(&reply.reasoning)), owned(text))
    }
}

/// Reads a chat-completions request body back into a [`ChatRequest`].
/// A message's content as text: a string as it is, content parts' texts one after another.
fn content_text(content: &Value) -> String {
    match content {
        Value::Array(parts) => parts.iter().filter_map(|part| part["text"].as_str()).collect::<Vec<_>>().join("\n"),
        other => other.as_str().unwrap_or_default().to_string(),
    }
}

pub fn parse_request(body: &Value) -> ChatRequest {
    let empty = Vec::new();
    let messages = body["messages"].as_array().unwrap_or(&empty).iter().map(|m| {
        let role = match m["role"].as_str() {
            Some("system") => PromptRole::System,
            Some("assistant") => PromptRole::Assistant,
            Some("tool") => PromptRole::Tool,
            _ => PromptRole::User,
        };
        let tool_calls = m["tool_calls"].as_array().unwrap_or(&empty).iter().map(|c| PromptToolCall {
            id: c["id"].as_str().unwrap_or_default().to_string(),
            name: c["function"]["name"].as_str().unwrap_or_default().to_string(),
            arguments: serde_json::from_str(c["function"]["arguments"].as_str().unwrap_or("{}")).unwrap_or(json!({})),
        });
        PromptMessage {
            role,
            content: content_text(&m["content"]),
            tool_calls: tool_calls.collect(),
            tool_call_id: m["tool_call_id"].as_str().map(str::to_string),
            attachments: Vec::new(),
        }
    });
    let tools = body["tools"].as_array().unwrap_or(&empty).iter().map(|t| ToolSpec {
        name: t["function"]["name"].as_str().unwrap_or_default().to_string(),
        description: t["function"]["description"].as_str().unwrap_or_default().to_string(),
        parameters: t["function"]["parameters"].clone(),
    });
    let max_tokens = body["max_tokens"].as_u64().or_else(|| body["max_completion_tokens"].as_u64());
    let sampling = Sampling {
        temperature: body["temperature"].as_f64().map(|t| t as f32),
        top_p: body["top_p"].as_f64().map(|p| p as f32),
        max_tokens: max_tokens.map(|max| u32::try_from(max).unwrap_or(u32::MAX)),
    };
    ChatRequest {
        model: body["model"].as_str().unwrap_or_default().to_string(),
        messages: messages.collect(),
        tools: tools.collect(),
        sampling,
    }
}

fn note_authorization(shared: &Shared, headers: &HeaderMap) {
    let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    shared.authorizations.lock().unwrap().push(value);
}

fn error_response(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({ "error": { "message": message, "type": "fake_error" } }))).into_response()
}

async fn models(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    note_authorization(&shared, &headers);
    *shared.model_list_requests.lock().unwrap() += 1;
    let list = shared.models.lock().unwrap().clone();
    match list {
        ModelList::Models(data) => Json(json!({ "object": "list", "data": data })).into_response(),
        ModelList::Fails(status, message) => error_response(status, &message),
    }
}

async fn completions(State(shared): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    note_authorization(&shared, &headers);
    shared.requests.lock().unwrap().push(body.clone());
    let reply = (shared.responder)(&body);
    match reply {
        FakeReply::Status(status, message) => error_response(status, &message),
        FakeReply::RateLimited(seconds) => {
            let mut response = error_response(429, &format!("Rate limit reached. Please try again in {seconds}s."));
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
            response
        }
        reply => wire::reply(&body, reply),
    }
}
