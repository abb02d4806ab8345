//! The built-in model's second-round rules: the output budget, continuing a cut-off reply,
//! reasoning on request, and the usage it reports.

use std::time::Duration;

use confab_llm::{
    BuiltinModel, ChatRequest, FinishReason, PromptMessage, PromptRole, Provider, StreamEvent, ToolSpec, Usage,
};
use futures::StreamExt;
use serde_json::json;

fn tools() -> Vec<ToolSpec> {
    ["current_time", "calculator"]
        .into_iter()
        .map(|name| ToolSpec { name: name.into(), description: String::new(), parameters: json!({}) })
        .collect()
}

fn asking(text: &str, max_tokens: Option<u32>) -> ChatRequest {
    let mut request = ChatRequest {
        model: BuiltinModel::NAME.into(),
        messages: vec![PromptMessage::new(PromptRole::User, text)],
        tools: tools(),
        ..Default::default()
    };
    request.sampling.max_tokens = max_tokens;
    request
}

/// `request` with the reply so far sent back as the last message, to be continued.
fn continuing(mut request: ChatRequest, so_far: &str) -> ChatRequest {
    request.messages.push(PromptMessage::new(PromptRole::Assistant, so_far));
    request.sampling.max_tokens = None;
    request
}

async fn collect(request: ChatRequest) -> Vec<StreamEvent> {
    let model = BuiltinModel::new(Duration::ZERO);
    model.stream(request).await.unwrap().map(|e| e.unwrap()).collect().await
}

fn text_of(events: &[StreamEvent]) -> String {
    events.iter().filter_map(|e| if let StreamEvent::Text(t) = e { Some(t.as_str()) } else { None }).collect()
}

fn reasoning_of(events: &[StreamEvent]) -> Vec<&str> {
    events.iter().filter_map(|e| if let StreamEvent::Reasoning(r) = e { Some(r.as_str()) } else { None }).collect()
}

fn count(events: &[StreamEvent], kind: fn(&StreamEvent) -> bool) -> usize {
    events.iter().filter(|e| kind(e)).count()
}

#[tokio::test]
async fn a_reply_longer_than_the_budget_is_cut_and_says_so() {
    let whole = text_of(&collect(asking("Tell me about octopuses", None)).await);
    let events = collect(asking("Tell me about octopuses", Some(5))).await;
    assert_eq!(count(&events, |e| matches!(e, StreamEvent::Text(_))), 5);
    assert!(whole.starts_with(&text_of(&events)));
    assert_eq!(events.last(), Some(&StreamEvent::Finished(FinishReason::Length)));

    let roomy = collect(asking("Tell me about octopuses", Some(10_000))).await;
    assert_eq!(text_of(&roomy), whole);
    assert_eq!(roomy.last(), Some(&StreamEvent::Finished(FinishReason::Stop)));
}

#[tokio::test]
async fn tool_calls_are_lost_with_the_cut_off_part() {
    let events = collect(asking("What time is it?", Some(2))).await;
    assert_eq!(text_of(&events), "Let me ");
    assert_eq!(events.last(), Some(&StreamEvent::Finished(FinishReason::Length)));
}

#[tokio::test]
async fn a_cut_off_reply_continues_where_it_stopped() {
    let request = asking("Tell me about octopuses", Some(7));
    let whole = text_of(&collect(asking("Tell me about octopuses", None)).await);
    let start = text_of(&collect(request.clone()).await);
    let rest = collect(continuing(request, &start)).await;
    assert_eq!(format!("{start}{}", text_of(&rest)), whole);
    assert_eq!(rest.last(), Some(&StreamEvent::Finished(FinishReason::Stop)));
    assert!(!text_of(&rest).starts_with(&start), "only the rest is streamed");
}

#[tokio::test]
async fn a_continued_tool_reply_still_makes_its_call() {
    let request = asking("What time is it?", Some(2));
    let fresh = collect(asking("What time is it?", None)).await;
    let rest = collect(continuing(request, "Let me ")).await;
    assert_eq!(text_of(&rest), "check the clock.");
    assert_eq!(rest.last(), fresh.last(), "the same call, with the same id");
}

#[tokio::test]
async fn a_prefix_it_would_not_have_written_gets_the_whole_reply() {
    let whole = text_of(&collect(asking("hello", None)).await);
    let events = collect(continuing(asking("hello", None), "Something else entirely")).await;
    assert_eq!(text_of(&events), whole);
}

#[tokio::test]
async fn think_first_streams_a_reasoning_that_quotes_the_message() {
    let events = collect(asking("Think about octopuses", None)).await;
    let reasoning = reasoning_of(&events);
    assert!(reasoning.len() >= 10, "several tokens: {reasoning:?}");
    assert!(reasoning.concat().contains("\"about octopuses\""), "{reasoning:?}");
    let first_text = events.iter().position(|e| matches!(e, StreamEvent::Text(_))).unwrap();
    assert_eq!(first_text, reasoning.len(), "all the reasoning comes first");
    assert_eq!(text_of(&events), text_of(&collect(asking("about octopuses", None)).await));

    let events = collect(asking("THINK what time is it?", None)).await;
    assert!(!reasoning_of(&events).is_empty());
    assert!(matches!(events.last(), Some(StreamEvent::ToolCalls(calls)) if calls[0].name == "current_time"));
    assert!(reasoning_of(&collect(asking("thinking of you", None)).await).is_empty(), "only `think ` counts");
}

#[tokio::test]
async fn the_usage_counts_the_prompt_and_what_was_streamed() {
    let mut request = asking("think hello there", Some(4));
    request.messages.insert(0, PromptMessage::new(PromptRole::System, "Be brief."));
    let events = collect(request).await;
    let streamed = count(&events, |e| matches!(e, StreamEvent::Text(_) | StreamEvent::Reasoning(_)));
    let usage = Usage { prompt_tokens: 2 + 3, completion_tokens: streamed as u64 };
    assert_eq!(events[events.len() - 2], StreamEvent::Usage(usage));
    assert_eq!(count(&events, |e| matches!(e, StreamEvent::Usage(_))), 1);
}

#[tokio::test(start_paused = true)]
async fn the_usage_comes_with_the_end_without_a_delay_of_its_own() {
    let model = BuiltinModel::new(Duration::from_millis(10));
    let start = tokio::time::Instant::now();
    let events: Vec<_> = model.stream(asking("hi", None)).await.unwrap().collect().await;
    assert_eq!(start.elapsed(), Duration::from_millis(10) * (events.len() as u32 - 1));
}
