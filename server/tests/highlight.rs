//! `POST /api/highlight`: code blocks coloured by the server, checked input, signed-in only.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn blocks_come_back_coloured_or_plain_in_order() {
    let app = TestApp::new().await;
    let body = json!({ "blocks": [
        { "language": "rust", "code": "fn main() {}\n" },
        { "language": "no-such-language", "code": "x\n" },
        { "language": "py", "code": "def f():\n    return '<b>'\n" },
    ]});
    let reply = app.post("/api/highlight", body).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let blocks = reply.body["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 3);
    assert!(blocks[0].as_str().unwrap().contains("<span class=\"hl-"));
    assert!(blocks[1].is_null(), "a language not known stays plain");
    let python = blocks[2].as_str().unwrap();
    assert!(python.contains("&lt;b&gt;") && !python.contains("<b>"), "{python}");
}

#[tokio::test]
async fn bad_requests_are_refused() {
    let app = TestApp::new().await;
    let many: Vec<_> = (0..33).map(|_| json!({ "language": "rust", "code": "x" })).collect();
    for body in [
        json!({ "blocks": many }),
        json!({ "blocks": [{ "language": "r".repeat(41), "code": "x" }] }),
        json!({ "blocks": [{ "language": "rust" }] }),
        json!({ "blocks": [], "extra": 1 }),
        json!({}),
    ] {
        let reply = app.post("/api/highlight", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
    }
    let huge = json!({ "blocks": [{ "language": "rust", "code": "let x = 1;\n".repeat(10_000) }] });
    assert_eq!(app.post("/api/highlight", huge).await.body["blocks"], json!([null]), "over 100 KiB: plain");
    let anonymous = Request::post("/api/highlight")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "blocks": [] }).to_string()))
        .unwrap();
    assert_eq!(app.send_anonymous(anonymous).await.status, StatusCode::UNAUTHORIZED);
}
