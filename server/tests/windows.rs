//! A window of the active branch instead of all of it, and pages before and after.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

async fn conversation(app: &TestApp, exchanges: usize) -> String {
    let id = app.create_context().await;
    for n in 0..exchanges {
        app.act(&id, "send_message", json!({ "content": format!("question {n}") })).await;
        app.wait_for(&id, "idle").await;
    }
    id
}

fn ids(messages: &Value) -> Vec<String> {
    messages.as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_windowed_state_holds_the_newest_messages_and_counts_the_rest() {
    let app = TestApp::new().await;
    let id = conversation(&app, 12).await;
    let full = app.get(&format!("/api/contexts/{id}/state")).await;
    let all = ids(&full.body["context"]["messages"]);
    assert_eq!(all.len(), 24);
    assert!(full.body["context"].get("messages_before").is_none(), "a whole branch says nothing of a window");

    let windowed = app.get(&format!("/api/contexts/{id}/state?window=5")).await;
    assert_eq!(windowed.status, StatusCode::OK);
    assert_eq!(ids(&windowed.body["context"]["messages"]), all[19..]);
    assert_eq!(windowed.body["context"]["messages_before"], 19);
    assert_eq!(windowed.body["context"]["version"], full.body["context"]["version"]);
    let etag = windowed.headers[header::ETAG].to_str().unwrap().to_string();
    assert_ne!(etag, full.headers[header::ETAG].to_str().unwrap(), "a window is a state of its own");
    let again = app
        .send(
            Request::get(format!("/api/contexts/{id}/state?window=5"))
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    let wide = app.get(&format!("/api/contexts/{id}/state?window=100")).await;
    assert_eq!(ids(&wide.body["context"]["messages"]), all, "a window wider than the branch holds all of it");
    assert_eq!(wide.body["context"]["messages_before"], 0);
    for bad in ["0", "10001", "-1", "many"] {
        let reply = app.get(&format!("/api/contexts/{id}/state?window={bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "window={bad}");
    }
}

#[tokio::test]
async fn pages_come_before_and_after_a_message_of_the_active_branch() {
    let app = TestApp::new().await;
    let id = conversation(&app, 10).await;
    let all = ids(&app.state(&id).await["context"]["messages"]);
    let page = |query: String| {
        let app = &app;
        let id = id.clone();
        async move { app.get(&format!("/api/contexts/{id}/messages?{query}")).await }
    };

    let older = page(format!("before={}&limit=6", all[15])).await;
    assert_eq!(older.status, StatusCode::OK, "{:?}", older.body);
    assert_eq!(ids(&older.body["messages"]), all[9..15], "oldest first, right before the anchor");
    let first = page(format!("before={}&limit=6", all[2])).await;
    assert_eq!(ids(&first.body["messages"]), all[..2], "the start of the branch ends the page");
    let newer = page(format!("after={}&limit=3", all[4])).await;
    assert_eq!(ids(&newer.body["messages"]), all[5..8]);
    let last = page(format!("after={}", all[19])).await;
    assert!(ids(&last.body["messages"]).is_empty());
    let default = page(format!("before={}", all[19])).await;
    assert_eq!(ids(&default.body["messages"]).len(), 19);

    for bad in [
        format!("before={}&limit=201", all[3]),
        format!("before={}&limit=0", all[3]),
        format!("before={}&after={}", all[3], all[4]),
        "limit=5".to_string(),
        "before=nope".to_string(),
    ] {
        assert_eq!(page(bad.clone()).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let stranger = page(format!("before={}", uuid::Uuid::new_v4())).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);

    // A message of another branch is not on the active one.
    app.act(&id, "edit_message", json!({ "message_id": all[0], "content": "a new start" })).await;
    app.wait_for(&id, "idle").await;
    let elsewhere = page(format!("before={}", all[5])).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{:?}", elsewhere.body);
}
