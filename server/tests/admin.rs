//! Administrators: the first account is one; they list accounts, disable and enable them (a
//! disabled account's open stream ends and its session and token are refused on the very
//! next request), promote and demote (never the last one), set a password, and decide who may
//! register (open, closed, or single-use invites), a choice that outlives restarts. Nobody
//! else may, and an administrator still cannot read anyone's conversations.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{Reply, RunningServer, TestApp};
use futures::StreamExt;
use serde_json::{json, Value};

async fn register(app: &TestApp, username: &str, invite: Option<&str>) -> Reply {
    let mut body = json!({ "username": username, "password": "correct horse battery" });
    if let Some(invite) = invite {
        body["invite"] = json!(invite);
    }
    let request = Request::post("/api/auth/register")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send_anonymous(request).await
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let me = app.as_user(token, Method::GET, "/api/auth/me", Value::Null).await;
    me.body["user"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_first_account_is_the_admin_and_only_admins_reach_the_admin_api() {
    let app = TestApp::new().await;
    let me = app.get("/api/auth/me").await;
    assert_eq!(me.body["user"]["admin"], true, "the first account runs the server");
    let bob = app.register("bob").await;
    assert_eq!(app.as_user(&bob, Method::GET, "/api/auth/me", Value::Null).await.body["user"]["admin"], false);

    let bobs_chat = app.as_user(&bob, Method::POST, "/api/contexts", json!({ "title": "bob's" })).await;
    let bobs_chat = bobs_chat.body["id"].as_str().unwrap();
    let read = app.get(&format!("/api/contexts/{bobs_chat}/state")).await;
    assert_eq!(read.status, StatusCode::NOT_FOUND, "an admin cannot read someone else's conversation");

    for (method, uri, body) in [
        (Method::GET, "/api/admin/users", Value::Null),
        (Method::GET, "/api/admin/registration", Value::Null),
        (Method::PUT, "/api/admin/registration", json!({ "mode": "open" })),
        (Method::POST, "/api/admin/invites", json!({})),
    ] {
        let refused = app.as_user(&bob, method.clone(), uri, body).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {uri}");
        assert_eq!(refused.body["error"]["code"], "admin_only");
    }

    let users = app.get("/api/admin/users").await;
    assert_eq!(users.status, StatusCode::OK);
    let listed: Vec<(&str, bool, u64)> = users.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["username"].as_str().unwrap(), u["admin"].as_bool().unwrap(), u["conversations"].as_u64().unwrap()))
        .collect();
    assert_eq!(listed, [("tester", true, 0), ("bob", false, 1)]);
    assert!(users.body["users"][1]["last_seen_at"].is_string(), "bob was seen: {}", users.body);
    assert!(!users.body.to_string().contains("bob's"), "never a title or a message");
}

#[tokio::test]
async fn the_last_admin_can_be_neither_demoted_nor_disabled() {
    let app = TestApp::new().await;
    let me = user_id(&app, &app.token).await;
    let bob = app.register("bob").await;
    let bob_id = user_id(&app, &bob).await;
    for change in [json!({ "admin": false }), json!({ "disabled": true })] {
        let refused = app.json(Method::PATCH, &format!("/api/admin/users/{me}"), change.clone()).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{change}: {:?}", refused.body);
        assert_eq!(refused.body["error"]["code"], "last_admin");
    }
    assert_eq!(app.get("/api/auth/me").await.body["user"]["admin"], true, "nothing changed");

    let promoted = app.json(Method::PATCH, &format!("/api/admin/users/{bob_id}"), json!({ "admin": true })).await;
    assert_eq!((promoted.status, &promoted.body["admin"]), (StatusCode::OK, &json!(true)), "{:?}", promoted.body);
    let promoted_me = app.as_user(&bob, Method::GET, "/api/auth/me", Value::Null).await;
    assert_eq!(promoted_me.body["user"]["admin"], true, "seen on bob's very next request");
    let demoted = app.json(Method::PATCH, &format!("/api/admin/users/{me}"), json!({ "admin": false })).await;
    assert_eq!(demoted.status, StatusCode::OK, "{:?}", demoted.body);
    assert_eq!(app.get("/api/admin/users").await.status, StatusCode::FORBIDDEN, "no longer an admin");
    let last =
        app.as_user(&bob, Method::PATCH, &format!("/api/admin/users/{bob_id}"), json!({ "disabled": true })).await;
    assert_eq!(last.body["error"]["code"], "last_admin");

    let nobody = app.json(Method::PATCH, &format!("/api/admin/users/{}", uuid::Uuid::new_v4()), json!({})).await;
    assert_eq!(nobody.status, StatusCode::FORBIDDEN, "tester is not an admin any more");
    let unknown =
        app.as_user(&bob, Method::PATCH, &format!("/api/admin/users/{}", uuid::Uuid::new_v4()), json!({})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = app.as_user(&bob, Method::PATCH, &format!("/api/admin/users/{me}"), json!({ "admin": "yes" })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_its_token_stops_until_it_is_enabled() {
    let app = TestApp::new().await;
    let bob = app.register("bob").await;
    let bob_id = user_id(&app, &bob).await;
    let token = app.as_user(&bob, Method::POST, "/api/tokens", json!({ "name": "script" })).await;
    let token = token.body["token"].as_str().unwrap().to_string();
    assert_eq!(app.as_user(&token, Method::GET, "/api/auth/me", Value::Null).await.status, StatusCode::OK);

    let off = app.json(Method::PATCH, &format!("/api/admin/users/{bob_id}"), json!({ "disabled": true })).await;
    assert_eq!((off.status, &off.body["disabled"]), (StatusCode::OK, &json!(true)), "{:?}", off.body);
    for credential in [&bob, &token] {
        let refused = app.as_user(credential, Method::GET, "/api/auth/me", Value::Null).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "refused on the very next request");
    }
    let login = json!({ "username": "bob", "password": "correct horse battery" });
    let signing_in = app.send_anonymous(post("/api/auth/login", &login)).await;
    assert_eq!(
        (signing_in.status, &signing_in.body["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("account_disabled"))
    );
    let wrong =
        app.send_anonymous(post("/api/auth/login", &json!({ "username": "bob", "password": "wrong guess!" }))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "a wrong password does not learn the account is disabled");

    let on = app.json(Method::PATCH, &format!("/api/admin/users/{bob_id}"), json!({ "disabled": false })).await;
    assert_eq!(on.status, StatusCode::OK);
    assert_eq!(app.send_anonymous(post("/api/auth/login", &login)).await.status, StatusCode::OK);
    assert_eq!(app.as_user(&token, Method::GET, "/api/auth/me", Value::Null).await.status, StatusCode::OK);
    assert_eq!(
        app.as_user(&bob, Method::GET, "/api/auth/me", Value::Null).await.status,
        StatusCode::UNAUTHORIZED,
        "ended sessions stay ended"
    );
}

fn post(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn an_admin_sets_a_password_and_every_session_of_the_account_ends() {
    let app = TestApp::new().await;
    let bob = app.register("bob").await;
    let bob_id = user_id(&app, &bob).await;
    let set =
        app.post(&format!("/api/admin/users/{bob_id}/password"), json!({ "new_password": "a brand new one" })).await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{:?}", set.body);
    assert_eq!(app.as_user(&bob, Method::GET, "/api/auth/me", Value::Null).await.status, StatusCode::UNAUTHORIZED);
    let login = json!({ "username": "bob", "password": "a brand new one" });
    assert_eq!(app.send_anonymous(post("/api/auth/login", &login)).await.status, StatusCode::OK);
    let short = app.post(&format!("/api/admin/users/{bob_id}/password"), json!({ "new_password": "short" })).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn invite_links_make_one_account_each_and_the_mode_outlives_a_restart() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/api/admin/registration").await.body, json!({ "mode": "open" }), "as the server started");
    let set = app.json(Method::PUT, "/api/admin/registration", json!({ "mode": "invite" })).await;
    assert_eq!(set.status, StatusCode::OK);
    let bad = app.json(Method::PUT, "/api/admin/registration", json!({ "mode": "everyone" })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let uninvited = register(&app, "carol", None).await;
    assert_eq!(
        (uninvited.status, &uninvited.body["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("registration_closed"))
    );
    let invite = app.post("/api/admin/invites", json!({ "expires_in_days": 2 })).await;
    assert_eq!(invite.status, StatusCode::CREATED, "{:?}", invite.body);
    let url = invite.body["url"].as_str().unwrap();
    let secret = url.strip_prefix("/register?invite=").expect("a link to the sign-up page");
    let expires = invite.body["expires_at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    assert!((expires - chrono::Utc::now() - chrono::Duration::days(2)).num_seconds().abs() < 60);

    let carol = register(&app, "carol", Some(secret)).await;
    assert_eq!(carol.status, StatusCode::CREATED, "{:?}", carol.body);
    assert_eq!(carol.body["user"]["admin"], false);
    let again = register(&app, "dave", Some(secret)).await;
    assert_eq!(
        (again.status, &again.body["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("invite_invalid")),
        "single use"
    );
    let forged = register(&app, "dave", Some("made-up")).await;
    assert_eq!(forged.body["error"]["code"], "invite_invalid");
    let too_long = app.post("/api/admin/invites", json!({ "expires_in_days": 31 })).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);

    app.json(Method::PUT, "/api/admin/registration", json!({ "mode": "closed" })).await;
    let database_url = app.database_url.clone();
    let dir = app.dir;
    app.app.chat().shutdown(Duration::from_secs(5)).await;
    // Started again with --open-registration (the default): the stored mode wins.
    let restarted = confab_server::App::build(confab_server::Config::for_tests(&database_url)).await.unwrap();
    let body = json!({ "username": "erin", "password": "correct horse battery" });
    let request = Request::post("/api/auth/register")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let closed = tower::ServiceExt::oneshot(restarted.router(), request).await.unwrap();
    assert_eq!(closed.status(), StatusCode::FORBIDDEN, "registration stays closed");
    restarted.chat().shutdown(Duration::from_secs(5)).await;
    drop(dir);
}

/// Through a real socket: the stream a disabled person has open ends, with no sleep.
#[tokio::test]
async fn disabling_an_account_ends_its_open_stream() {
    let server = RunningServer::start(|_| {}).await;
    let credentials = json!({ "username": "bob", "password": "correct horse battery" });
    let registered =
        reqwest::Client::new().post(server.url("/api/auth/register")).json(&credentials).send().await.unwrap();
    assert_eq!(registered.status(), 201);
    let body: Value = registered.json().await.unwrap();
    let bob = common::client::ApiClient::new(server.base.clone(), body["token"].as_str().unwrap());
    let bob_id = body["user"]["id"].as_str().unwrap().to_string();
    let chat = bob.new_context().await;
    let mut stream = bob.events(&chat, None).await;
    assert_eq!(common::next_event(&mut stream).await.event, "snapshot");
    let mut list = bob.events_at(&format!("/api/events?contexts={chat}"), None).await;
    assert!(!common::next_event(&mut list).await.event.is_empty());

    let admin = server.client();
    let response = admin
        .http()
        .patch(admin.url(&format!("/api/admin/users/{bob_id}")))
        .bearer_auth(&admin.token)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    for open in [&mut stream, &mut list] {
        let ended = tokio::time::timeout(Duration::from_secs(10), async { while open.next().await.is_some() {} });
        ended.await.expect("the stream ends at once, not at the next keep-alive");
    }
    let (status, _) = bob.get("/api/auth/me").await;
    assert_eq!(status, 401);
}
