//! Approval policies: "always allow" (a person's, kept server-side, through a restart),
//! "allow in this conversation" (kept on the conversation), revoking, and bad requests that
//! change nothing. With Confab's own tools; the MCP servers' are in `mcp.rs`.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{pending_calls, TestApp};
use confab_server::{App, Config};
use serde_json::{json, Value};

/// The last assistant message's tool calls.
fn last_calls(state: &Value) -> Value {
    let messages = state["context"]["messages"].as_array().unwrap();
    messages.iter().rev().find(|m| m["role"] == "assistant" && m["tool_calls"] != json!([])).unwrap()["tool_calls"]
        .clone()
}

/// Sends `content` and waits until the model asks for its tool: the ids of its calls.
async fn ask(app: &TestApp, id: &str, content: &str) -> Vec<String> {
    assert_eq!(app.act(id, "send_message", json!({ "content": content })).await.status, StatusCode::OK);
    pending_calls(&app.wait_for(id, "awaiting_tool_approval").await)
}

/// Sends `content` and expects its tool call to run with no one asked: the state after.
async fn runs_without_asking(app: &TestApp, id: &str, content: &str) -> Value {
    assert_eq!(app.act(id, "send_message", json!({ "content": content })).await.status, StatusCode::OK);
    // A call that waited for a person would leave the conversation awaiting approval.
    let state = app.wait_for(id, "idle").await;
    assert_eq!(last_calls(&state)[0]["approval"], "approved", "{state:#}");
    state
}

async fn policy_of(app: &TestApp, name: &str) -> Value {
    let tools = app.get("/api/tools").await.body;
    tools["tools"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["policy"].clone()
}

#[tokio::test]
async fn always_allow_skips_the_card_in_every_conversation_and_holds_after_a_restart() {
    let app = TestApp::new().await;
    assert_eq!(policy_of(&app, "calculator").await, "ask");
    let id = app.create_context().await;
    let calls = ask(&app, &id, "calc 6*7").await;
    let approved = app.act(&id, "approve_tools", json!({ "tool_call_ids": calls, "remember": "always" })).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    app.wait_for(&id, "idle").await;
    assert_eq!(policy_of(&app, "calculator").await, "always");

    let other = app.create_context().await;
    let state = runs_without_asking(&app, &other, "calc 2+2").await;
    assert!(common::transcript(&state).last().unwrap().1.contains('4'), "{state:#}");
    assert_eq!(policy_of(&app, "current_time").await, "ask", "only the tool approved");

    // A new process on the same database: the choice was kept server-side.
    let TestApp { dir, database_url, token, .. } = app;
    let restarted = App::build(Config::for_tests(&database_url)).await.unwrap();
    let app = TestApp { router: restarted.router(), app: restarted, dir, database_url, token };
    assert_eq!(policy_of(&app, "calculator").await, "always");
    let third = app.create_context().await;
    runs_without_asking(&app, &third, "calc 1+1").await;

    // Revoked: the card comes back.
    let revoked = app.json(Method::PUT, "/api/tools/calculator/policy", json!({ "policy": "ask" })).await;
    assert_eq!((revoked.status, revoked.body["policy"].clone()), (StatusCode::OK, json!("ask")));
    assert_eq!(ask(&app, &third, "calc 3+3").await.len(), 1);
}

#[tokio::test]
async fn allow_in_this_conversation_holds_there_and_nowhere_else() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let calls = ask(&app, &id, "calc 1+2").await;
    let body = json!({ "tool_call_ids": calls, "remember": "conversation" });
    assert_eq!(app.act(&id, "approve_tools", body).await.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;
    runs_without_asking(&app, &id, "calc 2+3").await;
    assert_eq!(policy_of(&app, "calculator").await, "ask", "nothing kept for the person");

    let other = app.create_context().await;
    assert_eq!(ask(&app, &other, "calc 3+4").await.len(), 1, "another conversation asks");
}

#[tokio::test]
async fn policies_are_per_person() {
    let app = TestApp::new().await;
    let set = app.json(Method::PUT, "/api/tools/calculator/policy", json!({ "policy": "always" })).await;
    assert_eq!((set.status, set.body["name"].clone()), (StatusCode::OK, json!("calculator")));
    let other = TestApp { token: app.register("someone-else").await, ..app };
    assert_eq!(policy_of(&other, "calculator").await, "ask");
    let id = other.create_context().await;
    assert_eq!(ask(&other, &id, "calc 1+1").await.len(), 1);
}

#[tokio::test]
async fn bad_policy_requests_are_clear_errors_and_change_nothing() {
    let app = TestApp::new().await;
    let unknown = app.json(Method::PUT, "/api/tools/no_such_tool/policy", json!({ "policy": "always" })).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
    for body in [json!({ "policy": "sometimes" }), json!({}), json!({ "policy": "always", "extra": 1 })] {
        let reply = app.json(Method::PUT, "/api/tools/calculator/policy", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
    }

    let id = app.create_context().await;
    let calls = ask(&app, &id, "calc 5*5").await;
    let bad = app.act(&id, "approve_tools", json!({ "tool_call_ids": calls, "remember": "forever" })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);
    // An id that is not pending beside one that is: refused, and no policy kept.
    let mixed = json!({ "tool_call_ids": [calls[0].clone(), "not-a-call"], "remember": "always" });
    let refused = app.act(&id, "approve_tools", mixed).await;
    assert!(refused.status.is_client_error(), "{:?}", refused.body);
    assert_eq!(policy_of(&app, "calculator").await, "ask");
    assert_eq!(app.state(&id).await["status"], "awaiting_tool_approval");
}
