//! Changing a password: it needs the current one, ends every other session of the account at
//! once (the one that asked stays), and changes nothing when refused.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Reply, TestApp};
use serde_json::{json, Value};

async fn as_user(app: &TestApp, token: &str, request: Request<Body>) -> Reply {
    let mut request = request;
    request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    app.send(request).await
}

fn post(uri: &str, body: Value) -> Request<Body> {
    Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap()
}

async fn login(app: &TestApp, password: &str) -> Reply {
    app.send_anonymous(post("/api/auth/login", json!({ "username": "tester", "password": password }))).await
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    as_user(app, token, Request::get("/api/auth/me").body(Body::empty()).unwrap()).await.status
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions_and_keeps_this_one() {
    let app = TestApp::new().await;
    let laptop = login(&app, "correct horse battery").await.body["token"].as_str().unwrap().to_string();
    let other_user = app.register("bystander").await;
    assert_eq!(me(&app, &laptop).await, StatusCode::OK, "the laptop is signed in (and its session cached)");

    let change = json!({ "current_password": "correct horse battery", "new_password": "battery staple horse" });
    let changed = as_user(&app, &app.token, post("/api/auth/password", change)).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);

    assert_eq!(me(&app, &app.token).await, StatusCode::OK, "the session that asked stays");
    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED, "the other one ends at once");
    assert_eq!(me(&app, &other_user).await, StatusCode::OK, "nobody else's");
    assert_eq!(login(&app, "correct horse battery").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "battery staple horse").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_current_password_or_a_bad_new_one_changes_nothing() {
    let app = TestApp::new().await;
    let laptop = login(&app, "correct horse battery").await.body["token"].as_str().unwrap().to_string();
    let cases = [
        (json!({ "current_password": "not it at all", "new_password": "battery staple horse" }), "wrong_password"),
        (json!({ "current_password": "correct horse battery", "new_password": "short" }), "invalid_field"),
        (json!({ "current_password": "correct horse battery", "new_password": "with a \u{0} in it" }), "invalid_field"),
        (json!({ "current_password": "correct horse battery" }), "invalid_body"),
    ];
    for (body, code) in cases {
        let refused = as_user(&app, &app.token, post("/api/auth/password", body.clone())).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}: {:?}", refused.body);
        assert_eq!(refused.body["error"]["code"], code, "{body}");
    }
    assert_eq!(me(&app, &laptop).await, StatusCode::OK, "no session ended");
    assert_eq!(login(&app, "correct horse battery").await.status, StatusCode::OK, "the password is as it was");
    let anonymous = app
        .send_anonymous(post(
            "/api/auth/password",
            json!({ "current_password": "correct horse battery", "new_password": "battery staple horse" }),
        ))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
