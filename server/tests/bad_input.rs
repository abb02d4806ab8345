//! Text a client sends breaks no backend: NUL (which PostgreSQL's `text` cannot hold) is
//! refused in every field, and control and bidirectional formatting characters in short
//! names, with `400 invalid_field` naming the field, never a `503`, and nothing is stored.
//! Message bodies keep every other control character. Each test runs on SQLite and, through
//! `scripts/with-postgres.sh` (the test command), on PostgreSQL.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{backend_name, backends, pending_calls, stored_context, Reply, TestApp};
use serde_json::{json, Value};

/// Asserts a `400 invalid_field` whose message names `field`.
#[track_caller]
fn refused(reply: &Reply, field: &str, backend: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{backend}: {field}: {:?}", reply.body);
    assert_eq!(reply.body["error"]["code"], "invalid_field", "{backend}: {:?}", reply.body);
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(field), "{backend}: the message names {field}: {message}");
}

async fn post_anonymous(app: &TestApp, uri: &str, body: Value) -> Reply {
    let request =
        Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap();
    app.send_anonymous(request).await
}

const BAD_NAMES: [&str; 5] =
    ["nul\u{0}title", "tab\there", "line\nbreak", "evil\u{202E}txt.exe", "\u{2066}iso\u{2069}"];

#[tokio::test]
async fn a_title_with_nul_or_control_characters_is_refused_when_created_and_renamed() {
    for database in backends().await {
        let backend = backend_name(&database);
        let app = TestApp::on_database(database, |_| {}).await;
        for title in BAD_NAMES {
            refused(&app.post("/api/contexts", json!({ "title": title })).await, "title", backend);
        }
        assert_eq!(app.get("/api/contexts").await.body, json!([]), "{backend}: nothing was created");

        let id = app.create_context().await;
        let uri = format!("/api/contexts/{id}");
        let before = app.get(&uri).await.body;
        for title in BAD_NAMES {
            refused(&app.json(Method::PATCH, &uri, json!({ "title": title })).await, "title", backend);
        }
        let after = app.get(&uri).await.body;
        assert_eq!((&after["title"], &after["version"]), (&before["title"], &before["version"]), "{backend}");
        assert_eq!(stored_context(&app.database_url, &id).await.title(), "New chat", "{backend}");

        // Any script is fine; only what can hide or break a name is not.
        let renamed = app.json(Method::PATCH, &uri, json!({ "title": "Ünïcödé 日本語 😀" })).await;
        assert_eq!(renamed.status, StatusCode::OK, "{backend}: {:?}", renamed.body);
    }
}

#[tokio::test]
async fn a_message_with_nul_is_refused_and_every_other_control_character_kept() {
    for database in backends().await {
        let backend = backend_name(&database);
        let app = TestApp::on_database(database, |_| {}).await;
        let id = app.create_context().await;
        let version = app.state(&id).await["context"]["version"].clone();
        refused(&app.act(&id, "send_message", json!({ "content": "before\u{0}after" })).await, "content", backend);
        let legacy = app.post(&format!("/api/contexts/{id}/messages"), json!({ "content": "\u{0}" })).await;
        refused(&legacy, "content", backend);
        let bad_id = json!({ "content": "hello", "client_action_id": "a\u{0}" });
        refused(&app.act(&id, "send_message", bad_id).await, "client_action_id", backend);
        let state = app.state(&id).await;
        assert_eq!(state["context"]["messages"], json!([]), "{backend}: nothing was stored");
        assert_eq!(state["context"]["version"], version, "{backend}");

        // Pasted terminal output keeps its tabs, carriage returns, escapes and bells.
        let pasted = "col1\tcol2\r\n\u{1b}[31mred\u{1b}[0m\u{7} \u{202E}rtl\u{1}";
        let sent = app.act(&id, "send_message", json!({ "content": pasted })).await;
        assert_eq!(sent.status, StatusCode::OK, "{backend}: {:?}", sent.body);
        // Every save the message brings is in, its title too, before versions are compared.
        let done = app.wait_for_titled(&id, "idle").await;
        let first = &done["context"]["messages"][0];
        assert_eq!(first["content"], pasted, "{backend}");
        let stored = stored_context(&app.database_url, &id).await;
        assert_eq!(stored.active_path()[0].content, pasted, "{backend}: kept as sent");

        let edit = json!({ "message_id": first["id"], "content": "edited\u{0}" });
        refused(&app.act(&id, "edit_message", edit).await, "content", backend);
        let message_id = first["id"].as_str().unwrap();
        let put_uri = format!("/api/contexts/{id}/messages/{message_id}");
        refused(&app.json(Method::PUT, &put_uri, json!({ "content": "\u{0}" })).await, "content", backend);
        assert_eq!(app.state(&id).await["context"]["version"], done["context"]["version"], "{backend}");
    }
}

#[tokio::test]
async fn a_branch_name_a_deny_reason_or_a_tool_call_id_with_nul_is_refused() {
    for database in backends().await {
        let backend = backend_name(&database);
        let app = TestApp::on_database(database, |_| {}).await;
        let id = app.create_context().await;
        app.act(&id, "send_message", json!({ "content": "what time is it?" })).await;
        let waiting = app.wait_for_titled(&id, "awaiting_tool_approval").await;
        let calls = pending_calls(&waiting);
        assert_eq!(calls.len(), 1, "{backend}");

        for branch in ["ma\u{0}in", "main\u{202E}", "tab\t"] {
            refused(&app.act(&id, "switch_branch", json!({ "branch": branch })).await, "branch", backend);
        }
        let deny = json!({ "tool_call_ids": calls, "reason": "not\u{0}now" });
        refused(&app.act(&id, "deny_tools", deny).await, "reason", backend);
        let approve = json!({ "tool_call_ids": [format!("{}\u{0}", calls[0])] });
        refused(&app.act(&id, "approve_tools", approve).await, "tool_call_ids", backend);

        let state = app.state(&id).await;
        assert_eq!(state["status"], "awaiting_tool_approval", "{backend}");
        assert_eq!(state["context"]["version"], waiting["context"]["version"], "{backend}: nothing changed");
        assert_eq!(pending_calls(&state), calls, "{backend}");

        // A reason may have lines.
        let deny = json!({ "tool_call_ids": calls, "reason": "not now,\nthanks" });
        assert_eq!(app.act(&id, "deny_tools", deny).await.status, StatusCode::OK, "{backend}");
        app.wait_for(&id, "idle").await;
    }
}

#[tokio::test]
async fn nul_in_a_username_or_password_is_refused_at_sign_up_and_sign_in() {
    for database in backends().await {
        let backend = backend_name(&database);
        let app = TestApp::on_database(database, |_| {}).await;
        let good = "a good password";
        for (username, password, field) in [
            ("new\u{0}comer", good, "username"),
            ("new\u{202E}comer", good, "username"),
            ("newcomer", "a good\u{0}password", "password"),
        ] {
            let body = json!({ "username": username, "password": password });
            refused(&post_anonymous(&app, "/api/auth/register", body).await, field, backend);
        }
        for (username, password, field) in
            [("tes\u{0}ter", "correct horse battery", "username"), ("tester", "correct horse\u{0}battery", "password")]
        {
            let body = json!({ "username": username, "password": password });
            refused(&post_anonymous(&app, "/api/auth/login", body).await, field, backend);
        }

        // Nothing was stored: the account does not exist until it is made properly.
        let body = json!({ "username": "newcomer", "password": good });
        let login = post_anonymous(&app, "/api/auth/login", body.clone()).await;
        assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{backend}: {:?}", login.body);
        let register = post_anonymous(&app, "/api/auth/register", body).await;
        assert_eq!(register.status, StatusCode::CREATED, "{backend}: {:?}", register.body);
    }
}

#[tokio::test]
async fn nul_in_a_search_is_refused_not_taken_for_an_outage() {
    for database in backends().await {
        let backend = backend_name(&database);
        let app = TestApp::on_database(database, |_| {}).await;
        let reply = app.get("/api/search?q=hel%00lo").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{backend}: {:?}", reply.body);
        assert!(reply.body["error"]["message"].as_str().unwrap().contains('q'), "{backend}");
        assert_eq!(app.get("/api/search?q=hello").await.status, StatusCode::OK, "{backend}");
    }
}
