//! The actions over the router: the whole chat loop with the built-in model, every action's
//! happy path and the ones the state machine refuses.

use crate::common;

use app::wire::{Action, SettingsPatchDTO};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{pending_calls, transcript, TestApp};
use confab_llm::fake_openai::{FakeOpenAi, FakeReply};
use confab_server::LlmKind;
use serde_json::{json, Value};

#[tokio::test]
async fn send_message_returns_at_once_and_the_reply_arrives_later() {
    let app = TestApp::slow(5).await;
    let id = app.create_context().await;
    let reply = app.act(&id, "send_message", json!({ "content": "Tell me about octopuses" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "processing", "it answers before the model does");
    assert_eq!(reply.body["context"]["messages"][0]["role"], "user");
    assert_eq!(reply.body["context"]["title"], "Tell me about octopuses");

    let done = app.wait_for(&id, "idle").await;
    let messages = transcript(&done);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].0, "assistant");
    assert!(messages[1].1.contains("Tell me about octopuses"));
    assert!(messages[1].1.split_whitespace().count() >= 40);
    assert_eq!(done["context"]["messages"][1]["complete"], true);
}

#[tokio::test]
async fn sending_while_a_reply_is_being_generated_is_409() {
    let app = TestApp::slow(50).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "first" })).await;
    let second = app.act(&id, "send_message", json!({ "content": "second" })).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.body["error"]["code"], "invalid_state");
    let messages = transcript(&app.state(&id).await);
    assert_eq!(messages.iter().filter(|(role, _)| role == "user").count(), 1);
}

#[tokio::test]
async fn bad_message_bodies_are_400_and_change_nothing() {
    let app = TestApp::with(|c| c.max_message_chars = 50).await;
    let id = app.create_context().await;
    for body in [
        json!({ "content": "   " }),
        json!({ "content": "x".repeat(51) }),
        json!({ "text": "hi" }),
        json!({ "content": 3 }),
        json!({ "content": "hi", "client_action_id": "" }),
    ] {
        let reply = app.act(&id, "send_message", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
    }
    let state = app.state(&id).await;
    assert_eq!(state["context"]["version"], 1);
    assert_eq!(state["status"], "idle");
}

#[tokio::test]
async fn actions_that_make_no_sense_now_are_409() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    for (action, body) in [
        ("cancel", json!({})),
        ("retry", json!({})),
        ("approve_tools", json!({ "tool_call_ids": ["x"] })),
        ("deny_tools", json!({ "tool_call_ids": ["x"] })),
    ] {
        let reply = app.act(&id, action, body).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{action}: {:?}", reply.body);
        assert!(reply.body["error"]["message"].as_str().unwrap().contains("idle"), "{action}");
    }
}

#[tokio::test]
async fn what_time_is_it_waits_for_approval_then_answers_with_the_time() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "what time is it?" })).await;
    let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
    let calls = pending_calls(&waiting);
    assert_eq!(calls.len(), 1);
    let call = &waiting["context"]["messages"][1]["tool_calls"][0];
    assert_eq!(call["name"], "current_time");
    assert_eq!(call["approval"], "pending");

    let blocked = app.act(&id, "send_message", json!({ "content": "hello?" })).await;
    assert_eq!(blocked.status, StatusCode::CONFLICT, "no new message while a tool waits");
    let wrong = app.act(&id, "approve_tools", json!({ "tool_call_ids": ["call_nope"] })).await;
    assert_eq!(wrong.status, StatusCode::CONFLICT, "approving what is not pending");
    let empty = app.act(&id, "approve_tools", json!({ "tool_call_ids": [] })).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    let approved = app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "executing_tools");
    let done = app.wait_for(&id, "idle").await;
    let messages = transcript(&done);
    let roles: Vec<_> = messages.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, vec!["user", "assistant", "tool", "assistant"]);
    let time = &messages[2].1;
    assert!(time.ends_with("UTC"), "{time}");
    assert!(messages[3].1.contains(time.as_str()), "the answer uses the tool's result");
    assert_eq!(done["context"]["messages"][1]["tool_calls"][0]["result"], time.as_str());
}

#[tokio::test]
async fn calc_runs_the_calculator() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "calc 2*(3+4)" })).await;
    let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
    app.act(&id, "approve_tools", json!({ "tool_call_ids": pending_calls(&waiting) })).await;
    let done = app.wait_for(&id, "idle").await;
    assert!(transcript(&done).last().unwrap().1.contains("= 14"));
}

#[tokio::test]
async fn a_denied_call_is_answered_without_the_tool() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "what time is it" })).await;
    let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
    let denied =
        app.act(&id, "deny_tools", json!({ "tool_call_ids": pending_calls(&waiting), "reason": "not now" })).await;
    assert_eq!(denied.status, StatusCode::OK);
    let done = app.wait_for(&id, "idle").await;
    let messages = transcript(&done);
    assert!(messages[2].1.contains("denied") && messages[2].1.contains("not now"));
    assert!(messages[3].1.contains("could not"), "{}", messages[3].1);
    assert_eq!(done["context"]["messages"][1]["tool_calls"][0]["approval"], "denied");
}

#[tokio::test]
async fn cancel_stops_the_stream_and_keeps_the_partial_text() {
    let app = TestApp::slow(20).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "a long story please" })).await;
    let streaming = app.wait_for(&id, "streaming").await;
    assert_eq!(streaming["context"]["messages"][1]["complete"], false);
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    let cancelled = app.act(&id, "cancel", json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(cancelled.body["status"], "idle");
    let partial = cancelled.body["context"]["messages"][1].clone();
    assert_eq!(partial["complete"], true);
    assert_eq!(partial["stop_reason"], "cancelled");
    let text = partial["content"].as_str().unwrap().to_string();
    assert!(!text.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let later = app.state(&id).await;
    assert_eq!(later["status"], "idle");
    assert_eq!(later["context"]["messages"][1]["content"], text.as_str(), "nothing streams after cancel");
}

#[tokio::test]
async fn a_cancel_without_a_body_is_fine() {
    let app = TestApp::slow(20).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "hello" })).await;
    let request = axum::http::Request::post(format!("/api/contexts/{id}/actions/cancel"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_same_client_action_id_twice_sends_once() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let body = json!({ "content": "only once", "client_action_id": "5d3c-once" });
    let first = app.act(&id, "send_message", body.clone()).await;
    assert_eq!(first.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;
    let again = app.act(&id, "send_message", body).await;
    assert_eq!(again.status, StatusCode::OK, "a retry of the same action succeeds");
    let messages = transcript(&app.state(&id).await);
    assert_eq!(messages.iter().filter(|(r, _)| r == "user").count(), 1);
    assert_eq!(again.body["context"]["messages"][0]["client_action_id"], "5d3c-once");
}

#[tokio::test]
async fn edit_regenerate_and_switch_branch() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "first question" })).await;
    let done = app.wait_for(&id, "idle").await;
    let question = done["context"]["messages"][0]["id"].as_str().unwrap().to_string();
    let answer = done["context"]["messages"][1]["id"].as_str().unwrap().to_string();

    let edited = app.act(&id, "edit_message", json!({ "message_id": question, "content": "better question" })).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(edited.body["context"]["active_branch"], "edit-1");
    let edited = app.wait_for(&id, "idle").await;
    assert!(transcript(&edited)[1].1.contains("better question"));
    assert_eq!(edited["context"]["messages"][0]["siblings"].as_array().unwrap().len(), 2);

    let switched = app.act(&id, "switch_branch", json!({ "branch": "main" })).await;
    assert_eq!(switched.body["context"]["messages"][1]["id"], answer.as_str());

    let regen = app.act(&id, "regenerate", json!({ "message_id": answer })).await;
    assert_eq!(regen.body["context"]["active_branch"], "regen-1");
    let regenerated = app.wait_for(&id, "idle").await;
    assert_ne!(regenerated["context"]["messages"][1]["id"], answer.as_str());
    let names: Vec<_> =
        regenerated["context"]["branches"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["main", "edit-1", "regen-1"]);

    let unknown = app.act(&id, "switch_branch", json!({ "branch": "nope" })).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad_edit = app.act(&id, "edit_message", json!({ "message_id": answer, "content": "x" })).await;
    assert_eq!(bad_edit.status, StatusCode::BAD_REQUEST, "assistant messages are not edited");
}

#[tokio::test]
async fn switching_branch_while_generating_is_409() {
    let app = TestApp::slow(30).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "hello" })).await;
    let reply = app.act(&id, "switch_branch", json!({ "branch": "main" })).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
}

/// Each variant of the browser's `Action` by number. The match is exhaustive, so a new
/// variant does not compile here until it has a number (and `VARIANTS` counts it), and then
/// `every_action_the_ui_can_build_is_one_the_server_parses` fails until it posts one.
fn variant(action: &Action) -> usize {
    match action {
        Action::SendMessage(_) => 0,
        Action::ApproveTools(_) => 1,
        Action::DenyTools(_) => 2,
        Action::Cancel(_) => 3,
        Action::Retry(_) => 4,
        Action::EditMessage(_) => 5,
        Action::Regenerate(_) => 6,
        Action::SwitchBranch(_) => 7,
        Action::UpdateSettings(_) => 8,
        Action::Continue(_) => 9,
    }
}

const VARIANTS: usize = 10;

/// Posts an action as the browser's outbox does (a fresh `client_action_id`, the body alone
/// serialized by serde_json, at the action's path) and expects it to succeed.
async fn post_as_the_ui(app: &TestApp, id: &str, action: Action, posted: &mut [bool; VARIANTS]) -> Value {
    let action = action.with_client_action_id(uuid::Uuid::new_v4().to_string());
    let body = serde_json::to_string(&action.body()).unwrap();
    let request = Request::post(action.path(id.parse().unwrap()))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.clone()))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{} {body}: {:?}", action.name(), reply.body);
    posted[variant(&action)] = true;
    reply.body
}

#[tokio::test]
async fn every_action_the_ui_can_build_is_one_the_server_parses() {
    let mut posted = [false; VARIANTS];
    let app = TestApp::slow(10).await;
    let id = app.create_context().await;

    post_as_the_ui(&app, &id, Action::send_message("calc 1+1"), &mut posted).await;
    let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
    post_as_the_ui(&app, &id, Action::approve_tools(pending_calls(&waiting), None), &mut posted).await;
    let done = app.wait_for(&id, "idle").await;
    assert!(transcript(&done)[3].1.contains('2'), "{:?}", transcript(&done));

    post_as_the_ui(&app, &id, Action::send_message("calc 2+2"), &mut posted).await;
    let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
    post_as_the_ui(&app, &id, Action::deny_tools(pending_calls(&waiting)), &mut posted).await;
    let done = app.wait_for(&id, "idle").await;

    let first: uuid::Uuid = done["context"]["messages"][0]["id"].as_str().unwrap().parse().unwrap();
    let edited = post_as_the_ui(&app, &id, Action::edit_message(first, "hello again"), &mut posted).await;
    assert_eq!(edited["context"]["active_branch"], "edit-1");
    let done = app.wait_for(&id, "idle").await;
    let answer: uuid::Uuid = done["context"]["messages"][1]["id"].as_str().unwrap().parse().unwrap();
    let regenerated = post_as_the_ui(&app, &id, Action::regenerate(answer), &mut posted).await;
    assert_eq!(regenerated["context"]["active_branch"], "regen-1");
    app.wait_for(&id, "idle").await;
    let switched = post_as_the_ui(&app, &id, Action::switch_branch("main"), &mut posted).await;
    assert_eq!(switched["context"]["active_branch"], "main");

    post_as_the_ui(&app, &id, Action::send_message("a long story please"), &mut posted).await;
    app.wait_for(&id, "streaming").await;
    let cancelled = post_as_the_ui(&app, &id, Action::cancel(), &mut posted).await;
    assert_eq!(cancelled["status"], "idle");

    // A budget of five tokens cuts the next reply; `continue` finishes it in place.
    let budget = SettingsPatchDTO { max_tokens: Some(Some(5)), ..SettingsPatchDTO::default() };
    let updated = post_as_the_ui(&app, &id, Action::update_settings(budget), &mut posted).await;
    assert_eq!(updated["context"]["settings"]["max_tokens"], 5);
    post_as_the_ui(&app, &id, Action::send_message("tell me about rivers"), &mut posted).await;
    let cut = app.wait_for(&id, "idle").await;
    let last = cut["context"]["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["stop_reason"], "length", "{last}");
    let unlimited = SettingsPatchDTO { max_tokens: Some(None), ..SettingsPatchDTO::default() };
    post_as_the_ui(&app, &id, Action::update_settings(unlimited), &mut posted).await;
    post_as_the_ui(&app, &id, Action::continue_reply(), &mut posted).await;
    let continued = app.wait_for(&id, "idle").await;
    let whole = continued["context"]["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(whole["id"], last["id"], "the same message grew");
    assert!(whole["stop_reason"].is_null());
    let (before, after) = (last["content"].as_str().unwrap(), whole["content"].as_str().unwrap());
    assert!(after.starts_with(before) && after.len() > before.len(), "{before:?} -> {after:?}");

    // `retry` needs a failed reply: a provider that fails once.
    let fake = FakeOpenAi::scripted(vec![
        FakeReply::Status(503, "the model is overloaded".into()),
        FakeReply::Text(vec!["Hello ".into(), "again".into()]),
    ])
    .await;
    let base = fake.base_url.clone();
    let failing = TestApp::with(move |c| {
        c.llm = LlmKind::Openai;
        c.openai_base_url = base;
        c.openai_api_key = Some("sk-test".into());
        c.model = "fake-model".into();
    })
    .await;
    let id = failing.create_context().await;
    post_as_the_ui(&failing, &id, Action::send_message("hi"), &mut posted).await;
    failing.wait_for(&id, "failed").await;
    post_as_the_ui(&failing, &id, Action::retry(), &mut posted).await;
    assert_eq!(transcript(&failing.wait_for(&id, "idle").await).last().unwrap().1, "Hello again");

    let missing: Vec<_> = (0..VARIANTS).filter(|&n| !posted[n]).collect();
    assert!(missing.is_empty(), "no case posts the variants numbered {missing:?}");
}
