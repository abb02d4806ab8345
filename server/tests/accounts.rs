//! Accounts, sessions, ownership on every route, CSRF, rate limits, input limits and the
//! security headers of pages.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

fn json_request(method: Method, uri: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn with_bearer(mut request: Request<Body>, token: &str) -> Request<Body> {
    request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    request
}

/// Every route that takes a context id, with a well-formed body.
fn context_routes(id: &str, message_id: &str) -> Vec<(Method, String, Value)> {
    let action = |name: &str| format!("/api/contexts/{id}/actions/{name}");
    vec![
        (Method::GET, format!("/api/contexts/{id}"), Value::Null),
        (Method::PATCH, format!("/api/contexts/{id}"), json!({ "title": "mine now" })),
        (Method::GET, format!("/api/contexts/{id}/state"), Value::Null),
        (Method::GET, format!("/api/contexts/{id}/events"), Value::Null),
        (Method::POST, action("send_message"), json!({ "content": "hi" })),
        (Method::POST, action("approve_tools"), json!({ "tool_call_ids": ["c"] })),
        (Method::POST, action("deny_tools"), json!({ "tool_call_ids": ["c"] })),
        (Method::POST, action("cancel"), json!({})),
        (Method::POST, action("retry"), json!({})),
        (Method::POST, action("edit_message"), json!({ "message_id": message_id, "content": "x" })),
        (Method::POST, action("regenerate"), json!({ "message_id": message_id })),
        (Method::POST, action("switch_branch"), json!({ "branch": "main" })),
        (Method::POST, format!("/api/contexts/{id}/messages"), json!({ "content": "legacy" })),
        (Method::PUT, format!("/api/contexts/{id}/messages/{message_id}"), json!({ "content": "legacy" })),
        (Method::DELETE, format!("/api/contexts/{id}"), Value::Null),
    ]
}

fn request_for(method: &Method, uri: &str, body: &Value) -> Request<Body> {
    if body.is_null() {
        Request::builder().method(method.clone()).uri(uri).body(Body::empty()).unwrap()
    } else {
        json_request(method.clone(), uri, body)
    }
}

#[tokio::test]
async fn without_a_session_every_api_route_is_401() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let mut routes = context_routes(&id, &uuid::Uuid::new_v4().to_string());
    routes.push((Method::GET, "/api/contexts".into(), Value::Null));
    routes.push((Method::POST, "/api/contexts".into(), json!({})));
    routes.push((Method::GET, "/api/auth/me".into(), Value::Null));
    routes.push((Method::POST, "/api/auth/logout".into(), Value::Null));
    for (method, uri, body) in routes {
        let reply = app.send_anonymous(request_for(&method, &uri, &body)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert_eq!(reply.body["error"]["code"], "unauthorized", "{method} {uri}");
        let wrong = app.send_anonymous(with_bearer(request_for(&method, &uri, &body), "not-a-token")).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{method} {uri} with a bad token");
    }
    // Nothing was changed by any of them.
    assert_eq!(app.state(&id).await["context"]["version"], 1);
}

#[tokio::test]
async fn another_users_context_is_404_on_every_route() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "private" })).await;
    let done = app.wait_for_titled(&id, "idle").await;
    let message_id = done["context"]["messages"][0]["id"].as_str().unwrap().to_string();
    let stranger = app.register("stranger").await;
    for (method, uri, body) in context_routes(&id, &message_id) {
        let reply = app.send(with_bearer(request_for(&method, &uri, &body), &stranger)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {uri}: {:?}", reply.body);
        assert_eq!(reply.body["error"]["code"], "not_found", "{method} {uri}");
    }
    let list = app.send(with_bearer(Request::get("/api/contexts").body(Body::empty()).unwrap(), &stranger)).await;
    assert_eq!(list.body, json!([]), "the stranger sees none of it");
    let unchanged = app.state(&id).await;
    assert_eq!(unchanged["context"]["version"], done["context"]["version"]);
    assert_eq!(unchanged["context"]["messages"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn register_login_me_and_logout() {
    let app = TestApp::new().await;
    let credentials = json!({ "username": "Erin", "password": "a long enough password" });
    let registered = app.send_anonymous(json_request(Method::POST, "/api/auth/register", &credentials)).await;
    assert_eq!(registered.status, StatusCode::CREATED);
    assert_eq!(registered.body["user"]["username"], "Erin");
    let cookie = registered.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("confab_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    let login = json!({ "username": "erin", "password": "a long enough password" });
    let logged_in = app.send_anonymous(json_request(Method::POST, "/api/auth/login", &login)).await;
    assert_eq!(logged_in.status, StatusCode::OK, "usernames are case-insensitive");
    let token = logged_in.body["token"].as_str().unwrap().to_string();
    let me = app.send(with_bearer(Request::get("/api/auth/me").body(Body::empty()).unwrap(), &token)).await;
    assert_eq!(me.body["user"]["username"], "Erin");

    let logout = app.send(with_bearer(Request::post("/api/auth/logout").body(Body::empty()).unwrap(), &token)).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(logout.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let after = app.send(with_bearer(Request::get("/api/auth/me").body(Body::empty()).unwrap(), &token)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "the token died with the session");
    let cookie_value = cookie.split(';').next().unwrap().to_string();
    let other =
        app.send(Request::get("/api/auth/me").header(header::COOKIE, cookie_value).body(Body::empty()).unwrap()).await;
    assert_eq!(other.status, StatusCode::OK, "other sessions of the same user live on");
}

#[tokio::test]
async fn wrong_passwords_and_bad_account_fields() {
    let app = TestApp::new().await;
    let wrong = json!({ "username": "tester", "password": "not the password" });
    let reply = app.send_anonymous(json_request(Method::POST, "/api/auth/login", &wrong)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"]["code"], "invalid_credentials");
    let nobody = json!({ "username": "nobody", "password": "whatever123" });
    let reply = app.send_anonymous(json_request(Method::POST, "/api/auth/login", &nobody)).await;
    assert_eq!(reply.body["error"]["code"], "invalid_credentials", "unknown users look the same");

    for body in [
        json!({ "username": "ab", "password": "long enough" }),
        json!({ "username": "bad name!", "password": "long enough" }),
        json!({ "username": "x".repeat(33), "password": "long enough" }),
        json!({ "username": "shorty", "password": "short" }),
        json!({ "username": "extra", "password": "long enough", "admin": true }),
    ] {
        let reply = app.send_anonymous(json_request(Method::POST, "/api/auth/register", &body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
    }
    let taken = json!({ "username": "TESTER", "password": "long enough" });
    let reply = app.send_anonymous(json_request(Method::POST, "/api/auth/register", &taken)).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.body["error"]["code"], "username_taken");
}

#[tokio::test]
async fn closed_registration_still_lets_the_first_account_in() {
    let app = TestApp::with(|c| c.open_registration = false).await; // "tester" registers first
    let second = json!({ "username": "latecomer", "password": "long enough" });
    let reply = app.send_anonymous(json_request(Method::POST, "/api/auth/register", &second)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body["error"]["code"], "registration_closed");
}

async fn cookie_of(app: &TestApp) -> String {
    let login = json!({ "username": "tester", "password": "correct horse battery" });
    let reply = app.send_anonymous(json_request(Method::POST, "/api/auth/login", &login)).await;
    reply.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn a_cookie_post_needs_our_origin() {
    let app = TestApp::new().await;
    let cookie = cookie_of(&app).await;
    let post = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut request = json_request(Method::POST, "/api/contexts", &json!({}));
        request.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
        request.headers_mut().insert(header::HOST, "confab.test".parse().unwrap());
        if let Some(origin) = origin {
            request.headers_mut().insert(header::ORIGIN, origin.parse().unwrap());
        }
        if let Some(site) = fetch_site {
            request.headers_mut().insert("sec-fetch-site", site.parse().unwrap());
        }
        request
    };
    let no_origin = app.send(post(None, None)).await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN);
    assert_eq!(no_origin.body["error"]["code"], "cross_origin");
    assert_eq!(app.send(post(Some("https://evil.example"), None)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.send(post(None, Some("cross-site"))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.send(post(Some("http://confab.test"), None)).await.status, StatusCode::CREATED);
    assert_eq!(app.send(post(None, Some("same-origin"))).await.status, StatusCode::CREATED);
    // Reads need no Origin, and bearer tokens need none at all.
    let read = Request::get("/api/contexts").header(header::COOKIE, cookie.as_str()).body(Body::empty()).unwrap();
    assert_eq!(app.send(read).await.status, StatusCode::OK);
    assert_eq!(app.post("/api/contexts", json!({})).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let app = TestApp::with(|c| c.rate_limit_sign_in = 3).await;
    let wrong = json!({ "username": "tester", "password": "guess guess" });
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let reply = app.send_anonymous(json_request(Method::POST, "/api/auth/login", &wrong)).await;
        statuses.push(reply.status);
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(reply.body["error"]["code"], "rate_limited");
            let retry: u64 = reply.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry), "{retry}");
        }
    }
    // The registration of "tester" in setup took one attempt of that name's budget.
    assert_eq!(&statuses[..2], &[StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED]);
    assert!(statuses[2..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

#[tokio::test]
async fn reads_and_actions_have_their_own_budgets() {
    let app = TestApp::with(|c| {
        c.rate_limit_reads = 5;
        c.rate_limit_actions = 3;
    })
    .await;
    let id = app.create_context().await; // one action
    let mut read_statuses = Vec::new();
    for _ in 0..7 {
        read_statuses.push(app.get(&format!("/api/contexts/{id}/state")).await.status);
    }
    assert_eq!(read_statuses.iter().filter(|s| **s == StatusCode::OK).count(), 5);
    let limited = app.get(&format!("/api/contexts/{id}/state")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    // Reads ran out; actions did not.
    let renamed = app.json(Method::PATCH, &format!("/api/contexts/{id}"), json!({ "title": "t" })).await;
    assert_eq!(renamed.status, StatusCode::OK);
    app.json(Method::PATCH, &format!("/api/contexts/{id}"), json!({ "title": "t2" })).await;
    let fourth = app.json(Method::PATCH, &format!("/api/contexts/{id}"), json!({ "title": "t3" })).await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn too_many_tool_call_ids_is_a_400() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let ids: Vec<String> = (0..65).map(|n| format!("call_{n}")).collect();
    let reply = app.act(&id, "approve_tools", json!({ "tool_call_ids": ids })).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("tool_call_ids"));
    let long_reason = app.act(&id, "deny_tools", json!({ "tool_call_ids": ["a"], "reason": "x".repeat(2001) })).await;
    assert_eq!(long_reason.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pages_send_security_headers_and_need_a_session() {
    let app = TestApp::new().await;
    let anonymous = app.send_anonymous(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers[header::LOCATION], "/login?next=/");

    let login = app.send_anonymous(Request::get("/login").body(Body::empty()).unwrap()).await;
    assert_eq!(login.status, StatusCode::OK);
    let csp = login.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    let html = login.body.as_str().unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the policy's nonce");
    assert_eq!(login.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(login.headers[header::REFERRER_POLICY], "same-origin");

    let cookie = cookie_of(&app).await;
    let home = app.send(Request::get("/").header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(home.status, StatusCode::OK);
    let api = app.get("/api/contexts").await;
    assert_eq!(api.headers[header::CONTENT_SECURITY_POLICY], "default-src 'none'; frame-ancestors 'none'");
}
