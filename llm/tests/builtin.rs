//! The built-in offline model, exactly as DESIGN.md section 6 describes it.

use std::time::Duration;

use confab_llm::{
    BuiltinModel, ChatRequest, FinishReason, PromptMessage, PromptRole, PromptToolCall, Provider, StreamEvent, ToolSpec,
};
use futures::StreamExt;
use serde_json::json;

fn tools() -> Vec<ToolSpec> {
    ["current_time", "calculator"]
        .into_iter()
        .map(|name| ToolSpec { name: name.into(), description: String::new(), parameters: json!({}) })
        .collect()
}

fn asking(text: &str) -> ChatRequest {
    ChatRequest { messages: vec![PromptMessage::new(PromptRole::User, text)], tools: tools(), ..Default::default() }
}

async fn collect(model: &BuiltinModel, request: ChatRequest) -> Vec<StreamEvent> {
    model.stream(request).await.unwrap().map(|e| e.unwrap()).collect().await
}

fn text_of(events: &[StreamEvent]) -> String {
    events.iter().filter_map(|e| if let StreamEvent::Text(t) = e { Some(t.as_str()) } else { None }).collect()
}

#[tokio::test]
async fn an_ordinary_message_gets_at_least_forty_words_quoting_it() {
    let model = BuiltinModel::new(Duration::ZERO);
    let events = collect(&model, asking("Tell me about octopuses")).await;
    assert_eq!(events.last(), Some(&StreamEvent::Finished(FinishReason::Stop)));
    let text = text_of(&events);
    assert!(text.contains("\"Tell me about octopuses\""), "{text}");
    assert!(text.split_whitespace().count() >= 40, "{text}");
    assert!(events.len() > 20, "it streams token by token");
}

#[tokio::test]
async fn the_same_message_always_gets_the_same_reply() {
    let model = BuiltinModel::new(Duration::ZERO);
    let a = collect(&model, asking("hello")).await;
    let b = collect(&model, asking("hello")).await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn the_word_time_asks_for_the_clock() {
    let model = BuiltinModel::new(Duration::ZERO);
    let events = collect(&model, asking("What time is it?")).await;
    let Some(StreamEvent::ToolCalls(calls)) = events.last() else { panic!("{events:?}") };
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "current_time");
    let sometimes = collect(&model, asking("sometimes I wonder")).await;
    assert_eq!(sometimes.last(), Some(&StreamEvent::Finished(FinishReason::Stop)), "only the word time counts");
}

#[tokio::test]
async fn calc_asks_for_the_calculator_with_the_expression() {
    let model = BuiltinModel::new(Duration::ZERO);
    let events = collect(&model, asking("calc 2*(3+4)")).await;
    let Some(StreamEvent::ToolCalls(calls)) = events.last() else { panic!("{events:?}") };
    assert_eq!(calls[0].name, "calculator");
    assert_eq!(calls[0].arguments, json!({ "expression": "2*(3+4)" }));
}

#[tokio::test]
async fn without_tools_on_offer_it_just_answers() {
    let model = BuiltinModel::new(Duration::ZERO);
    let request =
        ChatRequest { messages: vec![PromptMessage::new(PromptRole::User, "what time is it")], ..Default::default() };
    let events = collect(&model, request).await;
    assert_eq!(events.last(), Some(&StreamEvent::Finished(FinishReason::Stop)));
}

fn after_tool(name: &str, arguments: serde_json::Value, result: &str) -> ChatRequest {
    let mut assistant = PromptMessage::new(PromptRole::Assistant, "");
    assistant.tool_calls = vec![PromptToolCall { id: "c1".into(), name: name.into(), arguments }];
    let mut tool = PromptMessage::new(PromptRole::Tool, result);
    tool.tool_call_id = Some("c1".into());
    ChatRequest {
        messages: vec![PromptMessage::new(PromptRole::User, "q"), assistant, tool],
        tools: tools(),
        ..Default::default()
    }
}

#[tokio::test]
async fn after_a_tool_result_it_answers_with_it() {
    let model = BuiltinModel::new(Duration::ZERO);
    let time = text_of(&collect(&model, after_tool("current_time", json!({}), "2026-11-23 12:00:00 UTC")).await);
    assert!(time.contains("2026-11-23 12:00:00 UTC"), "{time}");
    let sum = text_of(&collect(&model, after_tool("calculator", json!({"expression": "2*(3+4)"}), "14")).await);
    assert!(sum.contains("= 14"), "{sum}");
    let denied =
        text_of(&collect(&model, after_tool("current_time", json!({}), "The user denied this tool call.")).await);
    assert!(denied.contains("could not"), "{denied}");
}

#[tokio::test(start_paused = true)]
async fn tokens_arrive_the_configured_delay_apart() {
    let model = BuiltinModel::new(Duration::from_millis(30));
    let mut stream = model.stream(asking("hi")).await.unwrap();
    let start = tokio::time::Instant::now();
    stream.next().await.unwrap().unwrap();
    stream.next().await.unwrap().unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(60));
}

#[tokio::test]
async fn it_says_it_is_the_offline_model_and_makes_short_titles() {
    let model = BuiltinModel::new(Duration::ZERO);
    assert!(model.info().label.contains("offline"));
    assert_eq!(
        model.title(BuiltinModel::NAME, "plan a trip to Lisbon in May with kids").await.as_deref(),
        Some("plan a trip to Lisbon in…")
    );
    assert_eq!(model.title(BuiltinModel::NAME, "hi").await.as_deref(), Some("hi"));
}
