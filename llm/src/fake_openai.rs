//! A fake OpenAI-compatible server for tests: it listens on a free loopback port and answers
//! `/chat/completions` in the real wire format (server-sent `chat.completion.chunk`s, tool
//! calls split over several chunks, `[DONE]`), or fails the ways real servers fail.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures::StreamExt;
use serde_json::{json, Value};

use crate::{BuiltinModel, ChatRequest, PromptMessage, PromptRole, PromptToolCall, ToolSpec};

/// How the fake answers one request.
#[derive(Debug, Clone)]
pub enum FakeReply {
    /// Text in these pieces, then `finish_reason: stop` and `[DONE]`.
    Text(Vec<String>),
    /// Some text, then these calls `(id, name, arguments as JSON text)`, each call's
    /// arguments split over three chunks.
    ToolCalls(String, Vec<(String, String, String)>),
    /// An HTTP error with an OpenAI-style error body.
    Status(u16, String),
    /// These text pieces, then the connection drops.
    DropAfter(Vec<String>),
    /// These text pieces, then silence for ever.
    StallAfter(Vec<String>),
}

type Responder = dyn Fn(&Value) -> FakeReply + Send + Sync;

#[derive(Clone)]
struct Shared {
    responder: Arc<Responder>,
    requests: Arc<Mutex<Vec<Value>>>,
}

pub struct FakeOpenAi {
    /// Ends in `/v1`, as the provider's base URL does.
    pub base_url: String,
    requests: Arc<Mutex<Vec<Value>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeOpenAi {
    pub async fn start(responder: impl Fn(&Value) -> FakeReply + Send + Sync + 'static) -> Self {
        Self::start_on("127.0.0.1:0", responder).await
    }

    pub async fn start_on(addr: &str, responder: impl Fn(&Value) -> FakeReply + Send + Sync + 'static) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { responder: Arc::new(responder), requests: requests.clone() };
        let app = Router::new().route("/v1/chat/completions", post(completions)).with_state(shared);
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the fake server");
        let addr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpenAi { base_url: format!("http://{addr}/v1"), requests, server }
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

    /// The JSON bodies received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}

/// The built-in model's answer to an OpenAI-format request.
pub fn builtin_reply(body: &Value) -> FakeReply {
    let request = parse_request(body);
    let (text, calls) = BuiltinModel::reply_to(&request);
    if calls.is_empty() {
        let pieces = text.split_inclusive(' ').map(str::to_string).collect();
        FakeReply::Text(pieces)
    } else {
        let calls = calls.into_iter().map(|c| (c.id, c.name, c.arguments.to_string())).collect();
        FakeReply::ToolCalls(text, calls)
    }
}

/// Reads a chat-completions request body back into a [`ChatRequest`].
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
            content: m["content"].as_str().unwrap_or_default().to_string(),
            tool_calls: tool_calls.collect(),
            tool_call_id: m["tool_call_id"].as_str().map(str::to_string),
        }
    });
    let tools = body["tools"].as_array().unwrap_or(&empty).iter().map(|t| ToolSpec {
        name: t["function"]["name"].as_str().unwrap_or_default().to_string(),
        description: t["function"]["description"].as_str().unwrap_or_default().to_string(),
        parameters: t["function"]["parameters"].clone(),
    });
    ChatRequest {
        model: body["model"].as_str().unwrap_or_default().to_string(),
        messages: messages.collect(),
        tools: tools.collect(),
        sampling: Default::default(),
    }
}

async fn completions(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    shared.requests.lock().unwrap().push(body.clone());
    let reply = (shared.responder)(&body);
    let streaming = body["stream"].as_bool().unwrap_or(false);
    match reply {
        FakeReply::Status(status, message) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(json!({ "error": { "message": message, "type": "fake_error" } }))).into_response()
        }
        FakeReply::Text(pieces) if !streaming => Json(json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "model": "fake",
            "choices": [{ "index": 0, "finish_reason": "stop",
                          "message": { "role": "assistant", "content": pieces.concat() } }]
        }))
        .into_response(),
        FakeReply::Text(pieces) => {
            let mut events: Vec<Value> = pieces.iter().map(|p| chunk(json!({ "content": p }), None)).collect();
            events.push(chunk(json!({}), Some("stop")));
            sse(events, Ending::Done)
        }
        FakeReply::ToolCalls(text, calls) => {
            let mut events = vec![chunk(json!({ "role": "assistant", "content": text }), None)];
            for (index, (id, name, arguments)) in calls.iter().enumerate() {
                events.push(chunk(
                    json!({ "tool_calls": [{ "index": index, "id": id, "type": "function",
                    "function": { "name": name, "arguments": "" } }] }),
                    None,
                ));
                for piece in split_in_three(arguments) {
                    events.push(chunk(
                        json!({ "tool_calls": [{ "index": index,
                        "function": { "arguments": piece } }] }),
                        None,
                    ));
                }
            }
            events.push(chunk(json!({}), Some("tool_calls")));
            sse(events, Ending::Done)
        }
        FakeReply::DropAfter(pieces) => {
            let events = pieces.iter().map(|p| chunk(json!({ "content": p }), None)).collect();
            sse(events, Ending::Drop)
        }
        FakeReply::StallAfter(pieces) => {
            let events = pieces.iter().map(|p| chunk(json!({ "content": p }), None)).collect();
            sse(events, Ending::Stall)
        }
    }
}

fn chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({ "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }] })
}

fn split_in_three(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let third = chars.len().div_ceil(3).max(1);
    chars.chunks(third).map(|c| c.iter().collect()).collect()
}

enum Ending {
    Done,
    Drop,
    Stall,
}

fn sse(events: Vec<Value>, ending: Ending) -> Response {
    let mut frames: Vec<Result<Bytes, std::io::Error>> =
        events.into_iter().map(|e| Ok(Bytes::from(format!("data: {e}\n\n")))).collect();
    let tail: futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>> = match ending {
        Ending::Done => {
            frames.push(Ok(Bytes::from_static(b"data: [DONE]\n\n")));
            futures::stream::empty().boxed()
        }
        // A pause first, so what came before reaches the client, as when a real server dies.
        Ending::Drop => futures::stream::once(async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped on purpose"))
        })
        .boxed(),
        Ending::Stall => futures::stream::pending().boxed(),
    };
    let body = futures::stream::iter(frames).chain(tail);
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_: axum::http::Error| Response::new(Body::empty()))
}
