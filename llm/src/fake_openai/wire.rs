//! The fake's replies in the chat-completions wire format: a plain `chat.completion`, or
//! server-sent chunks that end with `[DONE]`, a dropped connection or silence.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde_json::{json, Value};

use super::FakeReply;

/// The answer to a request for a reply that is not an HTTP error.
pub(super) fn reply(body: &Value, reply: FakeReply) -> Response {
    let streaming = body["stream"].as_bool().unwrap_or(false);
    let none = Vec::new();
    let (reasoning, text, finish) = match &reply {
        FakeReply::Text(text) => (&none, text, "stop"),
        FakeReply::Reasoning(reasoning, text) => (reasoning, text, "stop"),
        FakeReply::Length(text) => (&none, text, "length"),
        FakeReply::DropAfter(text) | FakeReply::StallAfter(text) => (&none, text, "stop"),
        FakeReply::ToolCalls(..) | FakeReply::Status(..) | FakeReply::RateLimited(_) => (&none, &none, "stop"),
    };
    let mut events: Vec<Value> = reasoning.iter().map(|p| chunk(json!({ "reasoning_content": p }), None)).collect();
    events.extend(text.iter().map(|p| chunk(json!({ "content": p }), None)));
    match &reply {
        FakeReply::Text(_) | FakeReply::Reasoning(..) | FakeReply::Length(_) if !streaming => {
            let mut message = json!({ "role": "assistant", "content": text.concat() });
            if !reasoning.is_empty() {
                message["reasoning_content"] = json!(reasoning.concat());
            }
            Json(json!({
                "id": "chatcmpl-fake", "object": "chat.completion", "model": "fake",
                "choices": [{ "index": 0, "finish_reason": finish, "message": message }],
                "usage": usage(body, events.len()),
            }))
            .into_response()
        }
        FakeReply::Text(_) | FakeReply::Reasoning(..) | FakeReply::Length(_) => finished(body, events, finish),
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
            finished(body, events, "tool_calls")
        }
        FakeReply::DropAfter(_) => sse(events, Ending::Drop),
        FakeReply::StallAfter(_) => sse(events, Ending::Stall),
        FakeReply::Status(..) | FakeReply::RateLimited(_) => unreachable!("errors are answered before"),
    }
}

/// `events`, the finish chunk, the usage chunk if the request asked for it, and `[DONE]`.
fn finished(body: &Value, mut events: Vec<Value>, finish: &str) -> Response {
    let sent = events.len();
    events.push(chunk(json!({}), Some(finish)));
    if body.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true) {
        events.push(json!({ "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                            "model": "fake", "choices": [], "usage": usage(body, sent) }));
    }
    sse(events, Ending::Done)
}

/// The prompt's tokens are its messages' words; the completion's, the chunks of content sent.
fn usage(body: &Value, completion_tokens: usize) -> Value {
    let empty = Vec::new();
    let prompt_tokens: usize = body["messages"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().split_whitespace().count())
        .sum();
    json!({ "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens })
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
