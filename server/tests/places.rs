//! Pin, archive, folders: owned by the server, per person, pushed to the person's other tabs
//! over the per-user stream, kept in exports; bad requests change nothing.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

async fn list(app: &TestApp, query: &str) -> Vec<Value> {
    let reply = app.get(&format!("/api/contexts{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body.as_array().unwrap().clone()
}

fn line<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
    list.iter().find(|c| c["id"] == id)
}

/// A request as another user (their bearer token).
async fn as_user(app: &TestApp, token: &str, method: Method, uri: &str, body: Option<Value>) -> common::Reply {
    let request = Request::builder().method(method).uri(uri).header(header::AUTHORIZATION, format!("Bearer {token}"));
    let request = match body {
        Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    app.send(request.unwrap()).await
}

async fn patch(app: &TestApp, id: &str, body: Value) -> common::Reply {
    app.json(Method::PATCH, &format!("/api/contexts/{id}"), body).await
}

#[tokio::test]
async fn a_conversation_is_pinned_archived_and_filed_without_becoming_recent() {
    let app = TestApp::new().await;
    let (id, other) = (app.create_context().await, app.create_context().await);
    let folder = app.post("/api/folders", json!({ "name": "  Work  " })).await;
    assert_eq!(folder.status, StatusCode::CREATED, "{:?}", folder.body);
    assert_eq!(folder.body["name"], "Work", "trimmed like a title");
    let folder_id = folder.body["id"].as_str().unwrap().to_string();

    let before = list(&app, "").await;
    assert_eq!(before[0]["id"], other, "the newest first");
    let moved = patch(&app, &id, json!({ "pinned": true, "folder_id": folder_id })).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let after = list(&app, "").await;
    let row = line(&after, &id).unwrap();
    assert_eq!((row["pinned"].clone(), row["folder_id"].clone()), (json!(true), json!(folder_id)));
    assert_eq!(row["updated_at"], line(&before, &id).unwrap()["updated_at"], "moving is no news");
    assert_eq!(after[0]["id"], other, "still ordered by activity; pinning is the page's to show");

    // Archived: out of the list, in the archive, still found by search, and back.
    assert_eq!(patch(&app, &id, json!({ "archived": true })).await.status, StatusCode::OK);
    assert!(line(&list(&app, "").await, &id).is_none());
    let archived = list(&app, "?archived=true").await;
    assert_eq!(archived.len(), 1);
    app.json(Method::PATCH, &format!("/api/contexts/{id}"), json!({ "title": "Quarterly kumquat report" })).await;
    let found = app.get("/api/search?q=kumquat").await.body;
    assert_eq!(found["results"][0]["context_id"], id, "an archived conversation is still found: {found}");
    assert_eq!(archived[0]["pinned"], true, "what was not asked stays");
    assert_eq!(patch(&app, &id, json!({ "archived": false, "folder_id": null })).await.status, StatusCode::OK);
    let row = line(&list(&app, "").await, &id).cloned().unwrap();
    assert_eq!((row["archived"].clone(), row["folder_id"].clone()), (json!(false), Value::Null));

    // A deleted folder leaves its conversations in none.
    patch(&app, &id, json!({ "folder_id": folder_id })).await;
    let deleted = app.json(Method::DELETE, &format!("/api/folders/{folder_id}"), Value::Null).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(line(&list(&app, "").await, &id).unwrap()["folder_id"], Value::Null);
    assert_eq!(app.get("/api/folders").await.body, json!({ "folders": [] }));
}

#[tokio::test]
async fn bad_requests_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let mine = app.post("/api/folders", json!({ "name": "Mine" })).await.body["id"].as_str().unwrap().to_string();
    let before = list(&app, "").await;
    for (body, status) in [
        (json!({ "folder_id": uuid::Uuid::new_v4() }), StatusCode::NOT_FOUND),
        (json!({ "pinned": "yes" }), StatusCode::BAD_REQUEST),
        (json!({ "title": "   " }), StatusCode::BAD_REQUEST),
        (json!({ "folder": mine }), StatusCode::BAD_REQUEST),
    ] {
        let reply = patch(&app, &id, body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {:?}", reply.body);
        assert!(reply.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    for name in ["", "  ", "a\u{0}b", &"x".repeat(201)] {
        let reply = app.post("/api/folders", json!({ "name": name })).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name:?}: {:?}", reply.body);
    }
    assert_eq!(list(&app, "").await, before);
    assert_eq!(app.get("/api/folders").await.body["folders"].as_array().unwrap().len(), 1);

    // Someone else's folder is no folder of yours.
    let stranger = app.register("stranger").await;
    let theirs = as_user(&app, &stranger, Method::POST, "/api/folders", Some(json!({ "name": "Theirs" }))).await;
    let theirs = theirs.body["id"].as_str().unwrap().to_string();
    assert_eq!(patch(&app, &id, json!({ "folder_id": theirs })).await.status, StatusCode::NOT_FOUND);
    let rename = app.json(Method::PATCH, &format!("/api/folders/{theirs}"), json!({ "name": "x" })).await;
    assert_eq!(rename.status, StatusCode::NOT_FOUND);
    let delete = app.json(Method::DELETE, &format!("/api/folders/{theirs}"), Value::Null).await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_export_keeps_the_place_and_an_import_puts_the_conversation_back_there() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "hello" })).await;
    app.wait_for(&id, "idle").await;
    let folder = app.post("/api/folders", json!({ "name": "Recipes" })).await.body["id"].clone();
    patch(&app, &id, json!({ "pinned": true, "folder_id": folder })).await;
    let exported = app.get(&format!("/api/contexts/{id}/export")).await.body;
    assert_eq!(exported["place"], json!({ "pinned": true, "archived": false, "folder": "Recipes" }));

    let other = app.register("other").await;
    let imported = as_user(&app, &other, Method::POST, "/api/contexts/import", Some(exported)).await;
    assert_eq!(imported.status, StatusCode::CREATED, "{:?}", imported.body);
    let folders = as_user(&app, &other, Method::GET, "/api/folders", None).await.body;
    assert_eq!(folders["folders"][0]["name"], "Recipes", "the folder made again, by name");
    let listed = as_user(&app, &other, Method::GET, "/api/contexts", None).await.body;
    assert_eq!(listed[0]["pinned"], true);
    assert_eq!(listed[0]["folder_id"], folders["folders"][0]["id"]);
}
