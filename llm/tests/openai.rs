//! The OpenAI-compatible provider against a fake server that speaks the real wire format.

use std::time::Duration;

use confab_llm::fake_openai::{FakeOpenAi, FakeReply};
use confab_llm::{
    ChatRequest, FinishReason, OpenAiConfig, OpenAiProvider, PromptMessage, PromptRole, PromptToolCall, Provider,
    ProviderError, Sampling, StreamEvent, ToolSpec, Usage,
};
use futures::StreamExt;
use serde_json::json;

fn provider(fake: &FakeOpenAi) -> OpenAiProvider {
    let mut config = OpenAiConfig::new(fake.base_url.clone(), "test-model");
    config.api_key = Some("sk-test".into());
    config.idle_timeout = Duration::from_millis(500);
    config.request_timeout = Duration::from_secs(5);
    OpenAiProvider::new(config).unwrap()
}

fn hello() -> ChatRequest {
    ChatRequest {
        model: "test-model".into(),
        messages: vec![PromptMessage::new(PromptRole::User, "hello")],
        ..Default::default()
    }
}

async fn collect(provider: &OpenAiProvider, request: ChatRequest) -> Vec<Result<StreamEvent, ProviderError>> {
    provider.stream(request).await.unwrap().collect().await
}

fn text_of(events: &[StreamEvent]) -> String {
    events.iter().filter_map(|e| if let StreamEvent::Text(t) = e { Some(t.as_str()) } else { None }).collect()
}

fn reasoning_of(events: &[StreamEvent]) -> String {
    events.iter().filter_map(|e| if let StreamEvent::Reasoning(r) = e { Some(r.as_str()) } else { None }).collect()
}

fn strings(pieces: &[&str]) -> Vec<String> {
    pieces.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn text_streams_piece_by_piece_and_finishes() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::Text(strings(&["Hel", "lo", " there"]))]).await;
    let events = collect(&provider(&fake), hello()).await;
    let events: Vec<_> = events.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        events,
        vec![
            StreamEvent::Text("Hel".into()),
            StreamEvent::Text("lo".into()),
            StreamEvent::Text(" there".into()),
            StreamEvent::Usage(Usage { prompt_tokens: 1, completion_tokens: 3 }),
            StreamEvent::Finished(FinishReason::Stop)
        ]
    );
}

#[tokio::test]
async fn the_request_is_in_the_chat_completions_format() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::Text(strings(&["ok"]))]).await;
    let mut assistant = PromptMessage::new(PromptRole::Assistant, "");
    assistant.tool_calls =
        vec![PromptToolCall { id: "c1".into(), name: "calculator".into(), arguments: json!({"expression": "1+1"}) }];
    let mut tool = PromptMessage::new(PromptRole::Tool, "2");
    tool.tool_call_id = Some("c1".into());
    let request = ChatRequest {
        model: "chosen-model".into(),
        messages: vec![PromptMessage::new(PromptRole::User, "calc 1+1"), assistant, tool],
        tools: vec![ToolSpec {
            name: "calculator".into(),
            description: "math".into(),
            parameters: json!({"type": "object"}),
        }],
        ..Default::default()
    };
    collect(&provider(&fake), request).await;
    let body = &fake.requests()[0];
    assert_eq!(body["model"], "chosen-model", "the request's model, not the configured default");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    for unset in ["temperature", "top_p", "max_tokens"] {
        assert!(body.get(unset).is_none(), "{unset} is left to the server: {body}");
    }
    assert_eq!(body["tools"][0]["function"]["name"], "calculator");
    assert_eq!(body["messages"][1]["tool_calls"][0]["function"]["arguments"], "{\"expression\":\"1+1\"}");
    assert_eq!(body["messages"][1]["content"], serde_json::Value::Null);
    assert_eq!(body["messages"][2], json!({"role": "tool", "tool_call_id": "c1", "content": "2"}));
}

#[tokio::test]
async fn tool_calls_split_across_chunks_are_put_back_together() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::ToolCalls(
        "Checking.".into(),
        vec![
            ("call_a".into(), "calculator".into(), r#"{"expression":"2*(3+4)"}"#.into()),
            ("call_b".into(), "current_time".into(), "{}".into()),
        ],
    )])
    .await;
    let events: Vec<_> = collect(&provider(&fake), hello()).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(events[0], StreamEvent::Text("Checking.".into()));
    let StreamEvent::ToolCalls(calls) = &events[2] else { panic!("{events:?}") };
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].id.as_str(), calls[0].name.as_str()), ("call_a", "calculator"));
    assert_eq!(calls[0].arguments, json!({"expression": "2*(3+4)"}));
    assert_eq!(calls[1].arguments, json!({}));
    assert!(matches!(events[1], StreamEvent::Usage(_)), "{events:?}");
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn an_error_status_is_reported_with_the_servers_message() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::Status(500, "The server had an error".into())]).await;
    let error = provider(&fake).stream(hello()).await.err().unwrap();
    assert_eq!(error, ProviderError::Status { status: 500, message: "The server had an error".into() });
}

#[tokio::test]
async fn a_dropped_stream_ends_in_an_error_after_the_text_so_far() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::DropAfter(strings(&["partial ", "text"]))]).await;
    let events = collect(&provider(&fake), hello()).await;
    assert_eq!(events[0], Ok(StreamEvent::Text("partial ".into())));
    assert_eq!(events[1], Ok(StreamEvent::Text("text".into())));
    assert!(events[2].is_err(), "{events:?}");
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn a_silent_stream_times_out() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::StallAfter(strings(&["wait"]))]).await;
    let events = collect(&provider(&fake), hello()).await;
    assert_eq!(events, vec![Ok(StreamEvent::Text("wait".into())), Err(ProviderError::Timeout)]);
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = OpenAiConfig::new(format!("http://127.0.0.1:{port}/v1"), "m");
    let error = OpenAiProvider::new(config).unwrap().stream(hello()).await.err().unwrap();
    assert!(matches!(error, ProviderError::Connection(_)), "{error:?}");
}

#[tokio::test]
async fn titles_come_from_a_plain_completion() {
    let fake = FakeOpenAi::start(|_| FakeReply::Text(vec!["\"Trip ".into(), "to Lisbon\"".into()])).await;
    let title = provider(&fake).title("test-model", "plan a trip to Lisbon").await;
    assert_eq!(title.as_deref(), Some("Trip to Lisbon"));
    assert_eq!(fake.requests()[0]["stream"], false);
}

#[tokio::test]
async fn sampling_and_an_empty_assistant_message_are_sent_as_set() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::Text(strings(&["ok"]))]).await;
    let mut request = hello();
    request.messages.push(PromptMessage::new(PromptRole::Assistant, ""));
    request.sampling = Sampling { temperature: Some(0.2), top_p: Some(0.9), max_tokens: Some(64) };
    let events = collect(&provider(&fake), request.clone()).await;
    assert_eq!(events.last(), Some(&Ok(StreamEvent::Finished(FinishReason::Stop))));
    let body = &fake.requests()[0];
    assert_eq!((body["temperature"].clone(), body["top_p"].clone()), (json!(0.2), json!(0.9)));
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["messages"][1], json!({"role": "assistant", "content": ""}));
    assert_eq!(confab_llm::fake_openai::parse_request(body), request, "the fake reads back what was sent");
}

#[tokio::test]
async fn reasoning_deltas_come_apart_from_the_text() {
    let fake =
        FakeOpenAi::scripted(vec![FakeReply::Reasoning(strings(&["Hmm, ", "two words."]), strings(&["Hi", "!"]))])
            .await;
    let events: Vec<_> = collect(&provider(&fake), hello()).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        events,
        vec![
            StreamEvent::Reasoning("Hmm, ".into()),
            StreamEvent::Reasoning("two words.".into()),
            StreamEvent::Text("Hi".into()),
            StreamEvent::Text("!".into()),
            StreamEvent::Usage(Usage { prompt_tokens: 1, completion_tokens: 4 }),
            StreamEvent::Finished(FinishReason::Stop),
        ]
    );
}

#[tokio::test]
async fn a_think_block_split_across_chunks_is_reasoning() {
    let pieces = strings(&["\n<thi", "nk>Let me see", ".</thi", "nk>\n\n", "It is <think>", " here."]);
    let fake = FakeOpenAi::scripted(vec![FakeReply::Text(pieces)]).await;
    let events: Vec<_> = collect(&provider(&fake), hello()).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(reasoning_of(&events), "Let me see.");
    assert_eq!(text_of(&events), "It is <think> here.");
    assert!(
        events.iter().all(|e| !matches!(e, StreamEvent::Text(t) if t.contains("<thi") && !t.contains("<think>"))),
        "no partial tag shown: {events:?}"
    );
}

#[tokio::test]
async fn a_reply_cut_at_the_budget_finishes_with_length_after_its_usage() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::Length(strings(&["Once ", "upon"]))]).await;
    let events: Vec<_> = collect(&provider(&fake), hello()).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        events[2..],
        [
            StreamEvent::Usage(Usage { prompt_tokens: 1, completion_tokens: 2 }),
            StreamEvent::Finished(FinishReason::Length)
        ]
    );
}

#[tokio::test]
async fn the_builtin_over_the_wire_reasons_and_keeps_to_the_budget() {
    let fake = FakeOpenAi::like_builtin().await;
    let provider = provider(&fake);
    let mut request = hello();
    request.messages[0].content = "think about octopuses".into();
    let events: Vec<_> = collect(&provider, request.clone()).await.into_iter().map(Result::unwrap).collect();
    let reasoning = reasoning_of(&events);
    assert!(matches!(events[0], StreamEvent::Reasoning(_)), "{events:?}");
    assert!(reasoning.contains("\"about octopuses\""), "{reasoning}");
    assert_eq!(events.last(), Some(&StreamEvent::Finished(FinishReason::Stop)));
    request.sampling.max_tokens = Some(3);
    let events: Vec<_> = collect(&provider, request).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(events.iter().filter(|e| matches!(e, StreamEvent::Text(_))).count(), 3);
    assert_eq!(events.last(), Some(&StreamEvent::Finished(FinishReason::Length)));
}

#[tokio::test]
async fn titles_from_reasoning_models_leave_the_reasoning_out() {
    let fake = FakeOpenAi::start(|_| FakeReply::Text(strings(&["<think>Short.</think>\n\n", "Octopus facts"]))).await;
    assert_eq!(provider(&fake).title("m", "tell me about octopuses").await.as_deref(), Some("Octopus facts"));
}
