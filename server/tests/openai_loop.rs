//! With `--llm openai` pointed at a fake OpenAI-compatible server, the whole loop works as it
//! does with the built-in model; provider failures go to `failed` and `retry` recovers.

use crate::common;

use axum::http::StatusCode;
use common::{pending_calls, transcript, TestApp};
use confab_llm::fake_openai::{FakeOpenAi, FakeReply};
use confab_server::LlmKind;
use serde_json::json;

async fn app_on(fake: &FakeOpenAi) -> TestApp {
    let base = fake.base_url.clone();
    TestApp::with(move |c| {
        c.llm = LlmKind::Openai;
        c.openai_base_url = base;
        c.openai_api_key = Some("sk-test".into());
        c.model = "fake-model".into();
        c.openai_timeout_secs = 2;
    })
    .await
}

#[tokio::test]
async fn message_tool_call_approval_and_answer() {
    let fake = FakeOpenAi::like_builtin().await;
    let app = app_on(&fake).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "what time is it?" })).await;
    let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
    let calls = pending_calls(&waiting);
    assert_eq!(waiting["context"]["messages"][1]["tool_calls"][0]["name"], "current_time");
    app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await;
    let done = app.wait_for(&id, "idle").await;
    let messages = transcript(&done);
    assert!(messages[3].1.contains(&messages[2].1), "the answer uses the tool's result: {messages:?}");

    // The conversation's requests; a title request goes on the side, unstreamed.
    let requests: Vec<_> = fake.requests().into_iter().filter(|r| r["stream"] == true).collect();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["model"], "fake-model");
    let names: Vec<_> =
        requests[0]["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].clone()).collect();
    assert!(names.contains(&json!("current_time")) && names.contains(&json!("calculator")));
    let second = requests[1]["messages"].as_array().unwrap();
    assert_eq!(second.last().unwrap()["role"], "tool", "the tool result went back to the model");
}

#[tokio::test]
async fn a_provider_error_fails_the_turn_and_retry_runs_it_again() {
    let fake = FakeOpenAi::scripted(vec![
        FakeReply::Status(503, "the model is overloaded".into()),
        FakeReply::Text(vec!["Hello ".into(), "again".into()]),
    ])
    .await;
    let app = app_on(&fake).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "hi" })).await;
    let failed = app.wait_for(&id, "failed").await;
    assert!(failed["context"]["last_error"].as_str().unwrap().contains("overloaded"));
    let retry = app.act(&id, "retry", json!({})).await;
    assert_eq!(retry.status, StatusCode::OK);
    let done = app.wait_for(&id, "idle").await;
    assert_eq!(transcript(&done).last().unwrap().1, "Hello again");
    assert_eq!(done["context"]["last_error"], json!(null));
}

#[tokio::test]
async fn a_stream_that_breaks_keeps_its_text_and_retry_answers_beside_it() {
    let fake = FakeOpenAi::scripted(vec![
        FakeReply::DropAfter(vec!["Half ".into(), "a reply".into()]),
        FakeReply::Text(vec!["A whole reply".into()]),
    ])
    .await;
    let app = app_on(&fake).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "hi" })).await;
    let failed = app.wait_for(&id, "failed").await;
    let partial = &failed["context"]["messages"][1];
    assert_eq!(partial["content"], "Half a reply");
    assert_eq!(partial["stop_reason"], "failed");
    app.act(&id, "retry", json!({})).await;
    let done = app.wait_for(&id, "idle").await;
    assert_eq!(transcript(&done), vec![("user".into(), "hi".into()), ("assistant".into(), "A whole reply".into())]);
    assert_eq!(
        done["context"]["messages"][1]["siblings"].as_array().unwrap().len(),
        2,
        "the broken reply stays as a sibling"
    );
}

#[tokio::test]
async fn a_silent_model_times_out_into_failed() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::StallAfter(vec!["wait…".into()])]).await;
    let app = app_on(&fake).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "hi" })).await;
    let failed = app.wait_for(&id, "failed").await;
    assert!(failed["context"]["last_error"].as_str().unwrap().contains("time"), "{failed:#}");
}
