//! Polling with ETags, and the deprecated message endpoints.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{transcript, TestApp};
use serde_json::json;

async fn state_with_etag(app: &TestApp, id: &str, etag: Option<&str>) -> common::Reply {
    let mut request = Request::get(format!("/api/contexts/{id}/state"));
    if let Some(etag) = etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn an_unchanged_state_is_304_and_a_changed_one_200() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let first = state_with_etag(&app, &id, None).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.headers[header::ETAG].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'));

    let again = state_with_etag(&app, &id, Some(&etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.body, serde_json::Value::Null, "no body");
    assert_eq!(again.headers[header::ETAG].to_str().unwrap(), etag);

    app.json(Method::PATCH, &format!("/api/contexts/{id}"), json!({ "title": "new" })).await;
    let changed = state_with_etag(&app, &id, Some(&etag)).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body["context"]["title"], "new");
    assert_ne!(changed.headers[header::ETAG].to_str().unwrap(), etag);
}

#[tokio::test]
async fn the_etag_changes_while_a_reply_streams() {
    let app = TestApp::slow(20).await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "stream please" })).await;
    app.wait_for(&id, "streaming").await;
    let first = state_with_etag(&app, &id, None).await;
    let etag = first.headers[header::ETAG].to_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let later = state_with_etag(&app, &id, Some(&etag)).await;
    assert_eq!(later.status, StatusCode::OK, "more text arrived, so it is a new state");
    let before = first.body["context"]["messages"][1]["content"].as_str().unwrap().len();
    let after = later.body["context"]["messages"][1]["content"].as_str().unwrap().len();
    assert!(after > before);
}

#[tokio::test]
async fn the_legacy_post_is_deprecated_and_goes_through_the_state_machine() {
    let app = TestApp::slow(30).await;
    let id = app.create_context().await;
    let reply =
        app.post(&format!("/api/contexts/{id}/messages"), json!({ "role": "user", "content": "old client" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.headers["deprecation"], "true");
    assert!(reply.headers[header::LINK].to_str().unwrap().contains("send_message"));
    assert_eq!(reply.body["status"], "processing");

    let busy = app.post(&format!("/api/contexts/{id}/messages"), json!({ "content": "again" })).await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "the same rules as send_message");
    let forged = app
        .post(&format!("/api/contexts/{id}/messages"), json!({ "role": "assistant", "content": "I am the model" }))
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "replies come only from the server");
}

#[tokio::test]
async fn the_legacy_put_edits_into_a_branch_and_never_overwrites() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "original" })).await;
    let done = app.wait_for(&id, "idle").await;
    let message_id = done["context"]["messages"][0]["id"].as_str().unwrap().to_string();
    let reply = app
        .json(Method::PUT, &format!("/api/contexts/{id}/messages/{message_id}"), json!({ "content": "rewritten" }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.headers["deprecation"], "true");
    assert_eq!(reply.body["context"]["active_branch"], "edit-1");
    app.wait_for(&id, "idle").await;
    let main = app.act(&id, "switch_branch", json!({ "branch": "main" })).await;
    assert_eq!(transcript(&main.body)[0].1, "original", "the old message is untouched");
}
