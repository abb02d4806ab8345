//! Your sessions: each browser or device signed in as you, with what it said it was and when
//! it was last used; ending one signs it out on its very next request, and nobody can end
//! someone else's.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

async fn sign_in(app: &TestApp, user_agent: &str) -> String {
    let request = Request::post("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, user_agent)
        .body(Body::from(json!({ "username": "tester", "password": "correct horse battery" }).to_string()))
        .unwrap();
    let reply = app.send_anonymous(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sessions_are_listed_with_their_device_and_any_of_them_can_be_ended() {
    let app = TestApp::new().await;
    let phone = sign_in(&app, "Mozilla/5.0 (Android 15; Mobile) Firefox/140.0").await;
    let laptop = sign_in(&app, "Mozilla/5.0 (X11; Linux x86_64) Chrome/142.0\t").await;
    assert_eq!(app.as_user(&phone, Method::GET, "/api/auth/me", Value::Null).await.status, StatusCode::OK);

    let listed = app.as_user(&laptop, Method::GET, "/api/auth/sessions", Value::Null).await;
    assert_eq!(listed.status, StatusCode::OK);
    let sessions = listed.body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3, "the registration's, the phone's and the laptop's: {}", listed.body);
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Mozilla/5.0 (X11; Linux x86_64) Chrome/142.0", "control characters dropped");
    let phone_session = sessions.iter().find(|s| s["user_agent"].as_str().unwrap().contains("Android")).unwrap();
    assert!(phone_session["last_used_at"].is_string(), "the phone was used: {phone_session}");
    assert!(!listed.body.to_string().contains(&phone), "a session's id is not its token");

    let id = phone_session["id"].as_str().unwrap();
    let stranger = app.register("stranger").await;
    let theirs = app.as_user(&stranger, Method::DELETE, &format!("/api/auth/sessions/{id}"), Value::Null).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "nobody ends someone else's session");
    assert_eq!(app.as_user(&phone, Method::GET, "/api/auth/me", Value::Null).await.status, StatusCode::OK);

    let ended = app.as_user(&laptop, Method::DELETE, &format!("/api/auth/sessions/{id}"), Value::Null).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT, "{:?}", ended.body);
    assert_eq!(
        app.as_user(&phone, Method::GET, "/api/auth/me", Value::Null).await.status,
        StatusCode::UNAUTHORIZED,
        "signed out on its very next request"
    );
    assert_eq!(app.as_user(&laptop, Method::GET, "/api/auth/me", Value::Null).await.status, StatusCode::OK);
    let again = app.as_user(&laptop, Method::DELETE, &format!("/api/auth/sessions/{id}"), Value::Null).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    for bad in ["nothex", "%25", &"f".repeat(33), &"A".repeat(32)] {
        let refused = app.as_user(&laptop, Method::DELETE, &format!("/api/auth/sessions/{bad}"), Value::Null).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{bad}: {:?}", refused.body);
    }
    let listed = app.as_user(&laptop, Method::GET, "/api/auth/sessions", Value::Null).await;
    assert_eq!(listed.body["sessions"].as_array().unwrap().len(), 2);
}
