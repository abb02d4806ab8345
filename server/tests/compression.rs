//! What is compressed: API answers and pages, when the client accepts it. Event streams never
//! are: each event must leave at once, so they are served as they are.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use common::TestApp;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Sends a GET as the test's user, accepting gzip; returns the response with its body unread
/// (an event stream's never ends).
async fn get_gzip(app: &TestApp, uri: &str) -> Response<Body> {
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    app.router.clone().oneshot(request).await.unwrap()
}

fn encoding(response: &Response<Body>) -> Option<&str> {
    response.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn answers_and_pages_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    for uri in
        ["/api/openapi.json".to_string(), "/api/contexts".into(), format!("/api/contexts/{id}/state"), "/".into()]
    {
        let response = get_gzip(&app, &uri).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(encoding(&response), Some("gzip"), "{uri}");
    }
}

#[tokio::test]
async fn an_event_stream_is_sent_as_it_is_even_to_a_client_that_accepts_gzip() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let response = get_gzip(&app, &format!("/api/contexts/{id}/events")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
    assert_eq!(encoding(&response), None);
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("event: snapshot\n"), "{first:?}");
}
