//! Text that is history or comes from elsewhere (an imported file, a model's stream, a
//! tool's output) is never refused: a NUL in it becomes U+FFFD before it is saved or sent,
//! so nothing is lost on PostgreSQL, whose `text` cannot hold NUL. Each test runs on SQLite
//! and, through `scripts/with-postgres.sh` (the test command), on PostgreSQL.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{backend_name, backends, pending_calls, stored_context, TestApp};
use confab_core::Role;
use confab_llm::fake_openai::{FakeOpenAi, FakeReply};
use confab_server::LlmKind;
use serde_json::{json, Value};

const R: char = '\u{FFFD}';

#[tokio::test]
async fn an_imported_file_with_nul_is_imported_with_replacement_characters() {
    for database in backends().await {
        let backend = backend_name(&database);
        let app = TestApp::on_database(database, |_| {}).await;
        let (first, second) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let at = "2025-01-01T00:00:00Z";
        let call = json!({ "id": "call\u{0}1", "name": "calc\u{0}", "arguments": { "expression": "1\u{0}" },
                           "approval": "denied", "result": null, "error": "denied\u{0}" });
        let file = json!({
            "format": "confab.context", "version": 1, "title": "Old\u{0} chat\u{202E}", "created_at": at,
            "active_branch": "ma\u{0}in", "branches": [{ "name": "ma\u{0}in", "head_message_id": second }],
            "messages": [
                { "id": first, "parent_id": null, "role": "user", "content": "hello\u{0}world", "created_at": at },
                { "id": second, "parent_id": first, "role": "assistant", "content": "a reply\u{0}",
                  "created_at": at, "tool_calls": [call] },
            ],
        });
        let imported = app.post("/api/contexts/import", file).await;
        assert_eq!(imported.status, StatusCode::CREATED, "{backend}: {:?}", imported.body);
        let id = imported.body["id"].as_str().unwrap().to_string();

        let state = app.state(&id).await;
        let context = &state["context"];
        assert_eq!(context["title"], format!("Old{R} chat{R}"), "{backend}");
        assert_eq!(context["active_branch"], format!("ma{R}in"), "{backend}");
        assert_eq!(context["messages"][0]["content"], format!("hello{R}world"), "{backend}");
        let reply = &context["messages"][1];
        assert_eq!(reply["content"], format!("a reply{R}"), "{backend}");
        assert_eq!(reply["tool_calls"][0]["id"], format!("call{R}1"), "{backend}");
        assert_eq!(reply["tool_calls"][0]["arguments"]["expression"], format!("1{R}"), "{backend}");

        let stored = stored_context(&app.database_url, &id).await;
        assert_eq!(stored.title(), format!("Old{R} chat{R}"), "{backend}");
        assert_eq!(stored.active_path()[0].content, format!("hello{R}world"), "{backend}: stored whole");
        assert!(!format!("{:?}", stored.active_path()).contains('\0'), "{backend}");

        // The imported conversation goes on like any other.
        app.act(&id, "send_message", json!({ "content": "and now?" })).await;
        app.wait_for(&id, "idle").await;
    }
}

/// A model that puts NUL everywhere it can: in its text, in a tool call's id and arguments,
/// and in the title it writes; asked for a tool with `read <path>`, it calls `read_file`.
fn nul_model(body: &Value) -> FakeReply {
    if !body["stream"].as_bool().unwrap_or(false) {
        return FakeReply::Text(vec!["A ti\u{0}tle\u{202E}".into()]);
    }
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    let content = last["content"].as_str().unwrap_or_default();
    if last["role"] == "tool" {
        return FakeReply::Text(vec!["The file says: ".into(), content.into(), " (done\u{0})".into()]);
    }
    match content.strip_prefix("read ") {
        Some(path) => FakeReply::ToolCalls(
            "Reading\u{0} it".into(),
            vec![("call\u{0}1".into(), "read_file".into(), json!({ "path": path, "note": "x\u{0}" }).to_string())],
        ),
        None => FakeReply::Text(vec!["Hello\u{0}".into(), " wor".into(), "\u{0}ld".into()]),
    }
}

async fn app_with_model(database: Option<String>, fake: &FakeOpenAi, workspace: &std::path::Path) -> TestApp {
    let (base, workspace) = (fake.base_url.clone(), workspace.to_path_buf());
    TestApp::on_database(database, move |c| {
        c.llm = LlmKind::Openai;
        c.openai_base_url = base;
        c.model = "fake-model".into();
        c.openai_timeout_secs = 5;
        c.workspace_dir = Some(workspace);
    })
    .await
}

#[tokio::test]
async fn a_model_stream_with_nul_is_saved_whole_and_the_conversation_is_idle() {
    for database in backends().await {
        let backend = backend_name(&database);
        let fake = FakeOpenAi::start(nul_model).await;
        let workspace = tempfile::tempdir().unwrap();
        let app = app_with_model(database, &fake, workspace.path()).await;
        let id = app.create_context().await;
        let sent = app.act(&id, "send_message", json!({ "content": "hi" })).await;
        assert_eq!(sent.status, StatusCode::OK, "{backend}: {:?}", sent.body);
        let done = app.wait_for(&id, "idle").await;
        let expected = format!("Hello{R} wor{R}ld");
        assert_eq!(done["context"]["messages"][1]["content"], expected, "{backend}");
        assert_eq!(done["context"]["last_error"], Value::Null, "{backend}");
        let stored = stored_context(&app.database_url, &id).await;
        assert_eq!(stored.active_path()[1].content, expected, "{backend}: the reply was saved");
        assert_eq!(stored.last_error(), None, "{backend}");

        // The title the model wrote is a name: its NUL and its override are replaced.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while app.state(&id).await["context"]["title"] == "New chat" {
            assert!(tokio::time::Instant::now() < deadline, "{backend}: no generated title");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(app.state(&id).await["context"]["title"], format!("A ti{R}tle{R}"), "{backend}");
        assert_eq!(stored_context(&app.database_url, &id).await.title(), format!("A ti{R}tle{R}"), "{backend}");
    }
}

#[tokio::test]
async fn a_tool_call_and_a_tool_output_with_nul_are_kept_whole() {
    for database in backends().await {
        let backend = backend_name(&database);
        let fake = FakeOpenAi::start(nul_model).await;
        let workspace = tempfile::tempdir().unwrap();
        std::fs::write(workspace.path().join("notes.txt"), "before\u{0}after").unwrap();
        let app = app_with_model(database, &fake, workspace.path()).await;
        let id = app.create_context().await;
        app.act(&id, "send_message", json!({ "content": "read notes.txt" })).await;
        let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
        let call = &waiting["context"]["messages"][1]["tool_calls"][0];
        assert_eq!(call["id"], format!("call{R}1"), "{backend}");
        assert_eq!(call["arguments"]["note"], format!("x{R}"), "{backend}");
        assert_eq!(waiting["context"]["messages"][1]["content"], format!("Reading{R} it"), "{backend}");

        let approved = app.act(&id, "approve_tools", json!({ "tool_call_ids": pending_calls(&waiting) })).await;
        assert_eq!(approved.status, StatusCode::OK, "{backend}: {:?}", approved.body);
        let done = app.wait_for(&id, "idle").await;
        let messages = done["context"]["messages"].as_array().unwrap();
        assert_eq!(messages[2]["role"], "tool", "{backend}");
        assert_eq!(messages[2]["content"], format!("before{R}after"), "{backend}: the tool's output");
        assert_eq!(messages[3]["content"], format!("The file says: before{R}after (done{R})"), "{backend}");

        let stored = stored_context(&app.database_url, &id).await;
        let tool = stored.messages().iter().find(|m| m.role == Role::Tool).unwrap();
        assert_eq!(tool.content, format!("before{R}after"), "{backend}: saved");
        // What went back to the model was clean too.
        let requests = fake.requests();
        let last = requests.iter().rev().find(|r| r["stream"] == true).unwrap();
        assert!(!last.to_string().contains("\\u0000"), "{backend}: {last}");
    }
}
