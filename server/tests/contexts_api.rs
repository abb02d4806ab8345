//! Contexts CRUD over the router, happy paths and every bad input.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn creating_a_context_answers_201_with_the_context() {
    let app = TestApp::new().await;
    let reply = app.post("/api/contexts", json!({ "title": "Trip planning" })).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["title"], "Trip planning");
    assert_eq!(reply.body["status"], "idle");
    assert_eq!(reply.body["version"], 1);
    assert_eq!(reply.body["active_branch"], "main");
    assert_eq!(reply.body["branches"], json!([{ "name": "main", "head_message_id": null }]));
    assert_eq!(reply.body["messages"], json!([]));
    assert_eq!(reply.body["last_error"], json!(null));
}

#[tokio::test]
async fn a_context_can_be_created_without_a_body() {
    let app = TestApp::new().await;
    let reply = app.send(Request::post("/api/contexts").body(Body::empty()).unwrap()).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["title"], "New chat");
}

#[tokio::test]
async fn the_list_is_newest_first() {
    let app = TestApp::new().await;
    let first = app.create_context().await;
    let second = app.create_context().await;
    // Times are kept to the millisecond: a rename in the same millisecond as the second
    // creation would tie, and a tie is ordered by id, not by activity.
    std::thread::sleep(std::time::Duration::from_millis(2));
    app.json(Method::PATCH, &format!("/api/contexts/{first}"), json!({ "title": "touched" })).await;
    let reply = app.get("/api/contexts").await;
    assert_eq!(reply.status, StatusCode::OK);
    let ids: Vec<_> = reply.body.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, vec![first, second], "the renamed one was active last");
}

#[tokio::test]
async fn a_context_can_be_read_renamed_and_deleted() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let read = app.get(&format!("/api/contexts/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["id"], id.as_str());

    let renamed = app.json(Method::PATCH, &format!("/api/contexts/{id}"), json!({ "title": "  Renamed  " })).await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["title"], "Renamed");
    assert_eq!(renamed.body["version"], 2);

    let deleted = app.send(Request::delete(format!("/api/contexts/{id}")).body(Body::empty()).unwrap()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app.get(&format!("/api/contexts/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["error"]["code"], "not_found");
    assert!(app.get("/api/contexts").await.body.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let app = TestApp::new().await;
    let unknown = uuid::Uuid::new_v4();
    for uri in [format!("/api/contexts/{unknown}"), format!("/api/contexts/{unknown}/state")] {
        let reply = app.get(&uri).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(reply.body["error"]["code"], "not_found");
    }
    let reply = app.get("/api/contexts/not-a-uuid").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["error"]["code"], "invalid_id");
    let send = app.act(&unknown.to_string(), "send_message", json!({ "content": "hi" })).await;
    assert_eq!(send.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_bodies_are_400_with_the_error_shape() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let uri = format!("/api/contexts/{id}");
    let cases = [
        ("{not json", "invalid_json"),
        ("{\"title\": 5}", "invalid_body"),
        ("{\"title\": \"ok\", \"color\": \"red\"}", "invalid_body"),
        ("{}", "invalid_body"),
        ("[1,2]", "invalid_body"),
        ("{\"title\": \"   \"}", "invalid_field"),
    ];
    for (body, code) in cases {
        let request =
            Request::patch(&uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
        assert_eq!(reply.body["error"]["code"], code, "{body}");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.len() > 5);
        if code == "invalid_field" {
            assert!(message.starts_with("title"), "the message names the field: {message}");
        }
    }
    let long_title = app.json(Method::PATCH, &uri, json!({ "title": "x".repeat(201) })).await;
    assert_eq!(long_title.status, StatusCode::BAD_REQUEST);
    assert!(long_title.body["error"]["message"].as_str().unwrap().contains("title"));
    // Nothing changed.
    assert_eq!(app.get(&uri).await.body["version"], 1);
}

#[tokio::test]
async fn invalid_utf8_is_a_400() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let request = Request::post(format!("/api/contexts/{id}/actions/send_message"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(vec![
            b'{', b'"', b'c', b'o', b'n', b't', b'e', b'n', b't', b'"', b':', b'"', 0xff, 0xfe, b'"', b'}',
        ]))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
}

#[tokio::test]
async fn a_body_without_json_content_type_is_415() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let request = Request::patch(format!("/api/contexts/{id}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{\"title\": \"x\"}"))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(reply.body["error"]["code"], "unsupported_media_type");
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let huge = json!({ "content": "x".repeat(1024 * 1024 + 10) });
    let reply = app.act(&id, "send_message", huge).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.body["error"]["code"], "payload_too_large");
    assert_eq!(app.state(&id).await["context"]["messages"], json!([]));
}

#[tokio::test]
async fn unknown_api_routes_and_methods_answer_in_the_error_shape() {
    let app = TestApp::new().await;
    let missing = app.get("/api/nothing-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"]["code"], "not_found");
    let wrong_method = app.send(Request::put("/api/contexts").body(Body::empty()).unwrap()).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn health_and_info() {
    let app = TestApp::new().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    let info = app.get("/api/info").await;
    assert_eq!(info.body["provider"], "builtin");
    assert!(info.body["model_label"].as_str().unwrap().contains("offline"));
}
