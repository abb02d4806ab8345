//! Server-sent `chat.completion.chunk`s into [`StreamEvent`]s: text, reasoning (its own delta
//! field or a leading `<think>` block), tool calls put together from pieces spread over
//! several chunks, the usage the server reports, and how the reply ended.
//!
//! The usage comes in a chunk of its own after the one with `finish_reason`, so the finish is
//! only remembered there; the reply ends at `[DONE]`, or when the stream ends, breaks or goes
//! silent after the finish was seen (the answer is whole; only the usage may be missing).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use futures::stream::{BoxStream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::{error_message, stream_error};
use super::think::ThinkSplitter;
use crate::{FinishReason, PromptToolCall, ProviderError, ReplyStream, StreamEvent, Usage};

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    error: Option<Value>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
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
    /// DeepSeek, vLLM and llama.cpp's server.
    reasoning_content: Option<String>,
    /// OpenRouter and Ollama.
    reasoning: Option<String>,
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

pub(crate) type SseStream =
    BoxStream<'static, Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>>;

/// What the chunks have said so far.
#[derive(Default)]
pub(crate) struct Decoder {
    calls: BTreeMap<usize, PartialCall>,
    think: ThinkSplitter,
    usage: Option<Usage>,
    /// The first `finish_reason` seen.
    finish: Option<String>,
    /// Events decoded, waiting to be handed out.
    queued: VecDeque<StreamEvent>,
    /// The last event is queued: nothing more is read.
    done: bool,
}

struct State {
    events: SseStream,
    idle_timeout: Duration,
    decoder: Decoder,
    api_key: Option<String>,
}

/// Turns server-sent chunks into reply events, ending with `Finished` or `ToolCalls`, or an
/// error when the stream breaks, goes silent, or ends before the reply is complete.
pub(crate) fn chunk_stream(events: SseStream, idle_timeout: Duration, api_key: Option<String>) -> ReplyStream {
    let state = State { events, idle_timeout, decoder: Decoder::default(), api_key };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.decoder.queued.pop_front() {
                return Some((Ok(event), state));
            }
            if state.decoder.done {
                return None;
            }
            let next = match tokio::time::timeout(state.idle_timeout, state.events.next()).await {
                Err(_) => Err(ProviderError::Timeout),
                Ok(None) => Err(ProviderError::Protocol("the stream ended before the reply was complete".into())),
                Ok(Some(Err(e))) => Err(stream_error(e)),
                Ok(Some(Ok(event))) => state.decoder.take(&event.data, state.api_key.as_deref()),
            };
            if let Err(error) = next {
                if state.decoder.finish.is_some() {
                    tracing::debug!(%error, "the stream ended untidily after the reply was complete");
                    state.decoder.complete();
                    continue;
                }
                state.decoder.done = true;
                return Some((Err(error), state));
            }
        }
    })
    .boxed()
}

impl Decoder {
    /// Decodes one `data:` payload into queued events.
    pub(crate) fn take(&mut self, data: &str, api_key: Option<&str>) -> Result<(), ProviderError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.complete();
            return Ok(());
        }
        if data.is_empty() || self.done {
            return Ok(());
        }
        let chunk: Chunk = serde_json::from_str(data)
            .map_err(|e| ProviderError::Protocol(format!("a chunk is not valid JSON: {e}")))?;
        if let Some(error) = chunk.error {
            let message = error_message(&json!({ "error": error }).to_string(), api_key);
            return Err(ProviderError::Status { status: 200, message });
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(Usage { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens });
        }
        for choice in chunk.choices.into_iter().take(1) {
            let delta = choice.delta;
            for reasoning in [delta.reasoning_content, delta.reasoning].into_iter().flatten() {
                if !reasoning.is_empty() {
                    self.queued.push_back(StreamEvent::Reasoning(reasoning));
                }
            }
            if let Some(text) = delta.content {
                self.queued.extend(self.think.push(&text));
            }
            for piece in delta.tool_calls {
                let call = self.calls.entry(piece.index).or_default();
                if let Some(id) = piece.id {
                    call.id = id;
                }
                if let Some(function) = piece.function {
                    call.name.push_str(function.name.as_deref().unwrap_or_default());
                    call.arguments.push_str(function.arguments.as_deref().unwrap_or_default());
                }
            }
            if self.finish.is_none() {
                self.finish = choice.finish_reason;
            }
        }
        Ok(())
    }

    /// Queues the end of the reply: text held back, the usage, then the calls or the finish.
    pub(crate) fn complete(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        self.queued.extend(self.think.finish());
        if let Some(usage) = self.usage {
            self.queued.push_back(StreamEvent::Usage(usage));
        }
        let calls = std::mem::take(&mut self.calls);
        if !calls.is_empty() {
            let calls = calls
                .into_values()
                .map(|call| PromptToolCall {
                    arguments: parse_arguments(&call.arguments),
                    id: call.id,
                    name: call.name,
                })
                .collect();
            self.queued.push_back(StreamEvent::ToolCalls(calls));
            return;
        }
        let reason = match self.finish.as_deref() {
            Some("length") => FinishReason::Length,
            _ => FinishReason::Stop,
        };
        self.queued.push_back(StreamEvent::Finished(reason));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[Value]) -> Vec<StreamEvent> {
        let mut decoder = Decoder::default();
        for chunk in chunks {
            decoder.take(&chunk.to_string(), None).unwrap();
        }
        decoder.take("[DONE]", None).unwrap();
        decoder.queued.into_iter().collect()
    }

    fn delta(delta: Value) -> Value {
        json!({ "choices": [{ "index": 0, "delta": delta, "finish_reason": null }], "usage": null })
    }

    #[test]
    fn both_reasoning_fields_become_reasoning() {
        let events = decode(&[
            delta(json!({ "reasoning_content": "DeepSeek thinks" })),
            delta(json!({ "reasoning": "OpenRouter thinks", "content": "" })),
            delta(json!({ "content": "Answer" })),
        ]);
        assert_eq!(
            events,
            vec![
                StreamEvent::Reasoning("DeepSeek thinks".into()),
                StreamEvent::Reasoning("OpenRouter thinks".into()),
                StreamEvent::Text("Answer".into()),
                StreamEvent::Finished(FinishReason::Stop),
            ]
        );
    }

    #[test]
    fn the_usage_after_the_finish_comes_before_the_end() {
        let events = decode(&[
            delta(json!({ "content": "<think>hm</think>Cut" })),
            json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": "length" }] }),
            json!({ "choices": [], "usage": { "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15 } }),
        ]);
        assert_eq!(
            events,
            vec![
                StreamEvent::Reasoning("hm".into()),
                StreamEvent::Text("Cut".into()),
                StreamEvent::Usage(Usage { prompt_tokens: 12, completion_tokens: 3 }),
                StreamEvent::Finished(FinishReason::Length),
            ]
        );
    }

    /// A stream of these `data:` payloads, then silence when `then_stall`, else its end.
    fn sse(payloads: &[Value], then_stall: bool) -> SseStream {
        use eventsource_stream::Eventsource;
        let frames: Vec<Result<String, reqwest::Error>> =
            payloads.iter().map(|p| Ok(format!("data: {p}\n\n"))).collect();
        let tail = if then_stall { futures::stream::pending().boxed() } else { futures::stream::empty().boxed() };
        futures::stream::iter(frames).chain(tail).eventsource().boxed()
    }

    async fn run(payloads: &[Value], then_stall: bool) -> Vec<Result<StreamEvent, ProviderError>> {
        chunk_stream(sse(payloads, then_stall), Duration::from_secs(5), None).collect().await
    }

    fn finish(reason: &str) -> Value {
        json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }] })
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_finish_an_end_or_silence_without_done_is_no_error() {
        let text = delta(json!({ "content": "Hi" }));
        let usage = json!({ "choices": [], "usage": { "prompt_tokens": 1, "completion_tokens": 1 } });
        let expected = vec![
            Ok(StreamEvent::Text("Hi".into())),
            Ok(StreamEvent::Usage(Usage { prompt_tokens: 1, completion_tokens: 1 })),
            Ok(StreamEvent::Finished(FinishReason::Stop)),
        ];
        assert_eq!(run(&[text.clone(), finish("stop"), usage.clone()], false).await, expected);
        let start = tokio::time::Instant::now();
        assert_eq!(run(&[text, finish("stop"), usage], true).await, expected);
        assert_eq!(start.elapsed(), Duration::from_secs(5), "it waited the idle timeout for [DONE]");
    }

    #[tokio::test(start_paused = true)]
    async fn before_the_finish_an_end_or_silence_is_an_error() {
        let text = [delta(json!({ "content": "Hi" }))];
        let ended = run(&text, false).await;
        assert!(matches!(ended[..], [Ok(_), Err(ProviderError::Protocol(_))]), "{ended:?}");
        let stalled = run(&text, true).await;
        assert!(matches!(stalled[..], [Ok(_), Err(ProviderError::Timeout)]), "{stalled:?}");
    }

    #[test]
    fn an_error_chunk_is_reported_without_the_key() {
        let mut decoder = Decoder::default();
        let error = decoder.take(r#"{"error": {"message": "key sk-1 is over quota"}}"#, Some("sk-1")).unwrap_err();
        assert_eq!(error, ProviderError::Status { status: 200, message: "key [redacted] is over quota".into() });
    }
}
