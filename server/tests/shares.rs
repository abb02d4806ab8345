//! Share links: a read-only snapshot of the active branch for anyone with the link, rendered
//! without scripts or cookies; revoked or expired links answer 404; only the owner manages
//! them; a signed-in viewer can take a copy into their own account.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{Reply, TestApp};
use serde_json::{json, Value};

/// Sends `content` and waits for the reply; returns the reply's text.
async fn exchange(app: &TestApp, id: &str, content: &str) -> String {
    let sent = app.act(id, "send_message", json!({ "content": content })).await;
    assert_eq!(sent.status, StatusCode::OK, "{:?}", sent.body);
    let state = app.wait_for(id, "idle").await;
    let last = state["context"]["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "assistant");
    last["content"].as_str().unwrap().to_string()
}

async fn share(app: &TestApp, id: &str, body: Value) -> Value {
    let reply = app.post(&format!("/api/contexts/{id}/shares"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

/// Opens a link as someone with no account and no cookie.
async fn open_anonymously(app: &TestApp, url: &str) -> Reply {
    app.send_anonymous(Request::get(url).body(Body::empty()).unwrap()).await
}

fn page(reply: &Reply) -> &str {
    reply.body.as_str().expect("an HTML page")
}

#[tokio::test]
async fn a_link_shows_the_active_branch_as_it_was_to_anyone_without_scripts_cookies_or_indexing() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let answer = exchange(&app, &id, "tell me about the weather").await;
    let link = share(&app, &id, json!({})).await;
    let token = link["token"].as_str().unwrap();
    assert_eq!(token.len(), 32, "128 bits in hex");
    assert_eq!(link["url"], format!("/s/{token}"));
    assert_eq!(link["expires_at"], Value::Null, "no expiry asked: until revoked");
    exchange(&app, &id, "said after sharing").await;

    let reply = open_anonymously(&app, &format!("/s/{token}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = page(&reply);
    assert!(html.contains("tell me about the weather"));
    assert!(answer.contains("built-in offline model") && html.contains("built-in offline model"), "the reply");
    assert!(!html.contains("said after sharing"), "a snapshot: later messages are not in it");
    assert!(html.contains(r#"<meta name="robots" content="noindex, nofollow"/>"#));
    assert_eq!(reply.headers["x-robots-tag"], "noindex, nofollow");
    assert!(!html.contains("<script"), "no scripts: readable without JavaScript");
    let policy = reply.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'") && !policy.contains("script-src"), "{policy}");
    assert!(!reply.headers.contains_key(header::SET_COOKIE), "no session for an anonymous viewer");
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store", "a revoked link must not live on in caches");
    assert!(!html.contains("/c/") && !html.contains("/api/"), "nothing else of the owner's is linked");
    assert!(html.contains(&format!("/login?next=/s/{token}")), "a way to sign in and continue");
    assert!(!html.contains("Continue in my account"), "only a signed-in viewer can take a copy");
}

#[tokio::test]
async fn message_text_is_shown_as_typed_never_run() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    exchange(&app, &id, "<script>alert('hi')</script> and <img src=x onerror=alert(1)>").await;
    let token = share(&app, &id, json!({})).await["token"].as_str().unwrap().to_string();
    let html = open_anonymously(&app, &format!("/s/{token}")).await.body.as_str().unwrap().to_string();
    assert!(html.contains("&lt;script&gt;alert("), "{html}");
    assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
}

#[tokio::test]
async fn a_revoked_link_answers_404_at_once_and_so_does_one_of_a_deleted_conversation() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    exchange(&app, &id, "hello").await;
    let (first, second) =
        (share(&app, &id, json!({})).await, share(&app, &id, json!({ "expires_in_hours": 24 })).await);
    let listed = app.get(&format!("/api/contexts/{id}/shares")).await;
    assert_eq!(listed.status, StatusCode::OK);
    let ids: Vec<&Value> = listed.body["shares"].as_array().unwrap().iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, [&second["id"], &first["id"]], "newest first");

    let revoked = app.json(Method::DELETE, &format!("/api/shares/{}", first["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let gone = open_anonymously(&app, first["url"].as_str().unwrap()).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(page(&gone).contains("This link does not work"));
    assert_eq!(gone.headers["x-robots-tag"], "noindex, nofollow");
    let again = app.json(Method::DELETE, &format!("/api/shares/{}", first["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(open_anonymously(&app, second["url"].as_str().unwrap()).await.status, StatusCode::OK);

    let deleted = app.json(Method::DELETE, &format!("/api/contexts/{id}"), json!({})).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(open_anonymously(&app, second["url"].as_str().unwrap()).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_expired_link_answers_404() {
    use confab_store::ShareLink;
    let app = TestApp::new().await;
    let id = app.create_context().await;
    exchange(&app, &id, "hello").await;
    let link = share(&app, &id, json!({ "expires_in_hours": 1 })).await;
    let expires = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
    let in_an_hour = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!((in_an_hour - expires.to_utc()).num_seconds().abs() < 60, "{expires}");

    // A link whose hour is over, as the store would hold it an hour later.
    let store = app.app.chat().store();
    let (stored, snapshot) = store.share_by_token(link["token"].as_str().unwrap()).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let expired = ShareLink {
        id: uuid::Uuid::new_v4(),
        token: "0123456789abcdef0123456789abcdef".into(),
        created_at: now - chrono::Duration::hours(2),
        expires_at: Some(now - chrono::Duration::seconds(1)),
        ..stored
    };
    store.create_share(&expired, &snapshot).await.unwrap();
    assert_eq!(open_anonymously(&app, &format!("/s/{}", expired.token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(open_anonymously(&app, link["url"].as_str().unwrap()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn only_the_owner_can_share_list_or_revoke() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    exchange(&app, &id, "hello").await;
    let link = share(&app, &id, json!({})).await;
    let other = app.register("someone-else").await;
    let as_other = |method: Method, uri: String| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {other}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap()
    };
    let created = app.send(as_other(Method::POST, format!("/api/contexts/{id}/shares"))).await;
    assert_eq!(created.status, StatusCode::NOT_FOUND, "{:?}", created.body);
    let listed = app.send(as_other(Method::GET, format!("/api/contexts/{id}/shares"))).await;
    assert_eq!(listed.status, StatusCode::NOT_FOUND);
    let revoked = app.send(as_other(Method::DELETE, format!("/api/shares/{}", link["id"].as_str().unwrap()))).await;
    assert_eq!(revoked.status, StatusCode::NOT_FOUND);
    assert_eq!(open_anonymously(&app, link["url"].as_str().unwrap()).await.status, StatusCode::OK, "still works");
    let anonymous =
        app.send_anonymous(Request::post(format!("/api/contexts/{id}/shares")).body(Body::empty()).unwrap()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_share_requests_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    for body in [
        json!({ "expires_in_hours": 0 }),
        json!({ "expires_in_hours": 8785 }),
        json!({ "expires_in_hours": -1 }),
        json!({ "expires_in_hours": "soon" }),
        json!({ "expires": 3 }),
    ] {
        let reply = app.post(&format!("/api/contexts/{id}/shares"), body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
    }
    let unknown = app.post(&format!("/api/contexts/{}/shares", uuid::Uuid::new_v4()), json!({})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/contexts/{id}/shares")).await.body["shares"], json!([]));
    for url in ["/s/nothing", "/s/0123456789abcdef0123456789abcdef", "/s/..%2F..%2Fetc"] {
        assert_eq!(open_anonymously(&app, url).await.status, StatusCode::NOT_FOUND, "{url}");
    }
    let wrong = app.json(Method::DELETE, "/api/shares/not-an-id", json!({})).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    // Without a body: a link until revoked.
    let bare = app.send(Request::post(format!("/api/contexts/{id}/shares")).body(Body::empty()).unwrap()).await;
    assert_eq!(bare.status, StatusCode::CREATED, "{:?}", bare.body);
}

#[tokio::test]
async fn a_signed_in_viewer_continues_in_their_own_account_once() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let answer = exchange(&app, &id, "tell me about the weather").await;
    let token = share(&app, &id, json!({})).await["token"].as_str().unwrap().to_string();
    let viewer = app.register("viewer").await;
    let as_viewer = |method: Method, uri: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {viewer}"))
            .body(Body::empty())
            .unwrap()
    };
    let shown = app.send(as_viewer(Method::GET, &format!("/s/{token}"))).await;
    assert!(page(&shown).contains(&format!(r#"action="/s/{token}/continue""#)), "{:?}", shown.body);
    assert!(page(&shown).contains("Continue in my account"));

    let copied = app.send(as_viewer(Method::POST, &format!("/s/{token}/continue"))).await;
    assert_eq!(copied.status, StatusCode::SEE_OTHER);
    let location = copied.headers[header::LOCATION].to_str().unwrap().to_string();
    let copy = location.strip_prefix("/c/").expect("opens the copy").to_string();
    assert_ne!(copy, id);
    let state = app.send(as_viewer(Method::GET, &format!("/api/contexts/{copy}/state"))).await;
    assert_eq!(state.status, StatusCode::OK, "the copy is the viewer's");
    let texts: Vec<&str> =
        state.body["context"]["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(texts, ["tell me about the weather", answer.as_str()]);
    let again = app.send(as_viewer(Method::POST, &format!("/s/{token}/continue"))).await;
    assert_eq!(again.headers[header::LOCATION], location.as_str(), "continuing twice opens the same copy");
    let owners = app.get(&format!("/api/contexts/{copy}")).await;
    assert_eq!(owners.status, StatusCode::NOT_FOUND, "the copy is not the owner's");

    let anonymous =
        app.send_anonymous(Request::post(format!("/s/{token}/continue")).body(Body::empty()).unwrap()).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers[header::LOCATION], format!("/login?next=/s/{token}").as_str());
}

#[tokio::test]
async fn code_in_a_shared_conversation_is_highlighted_on_the_server() {
    let app = TestApp::new().await;
    let at = chrono::Utc::now().to_rfc3339();
    let (user, assistant) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let reply = "Here:\n\n```rust\nfn main() { let tag = \"</code><script>alert(1)</script>\"; }\n```\n";
    let file = json!({
        "format": "confab.context", "version": 2, "title": "Code", "created_at": at,
        "active_branch": "main", "branches": [{ "name": "main", "head_message_id": assistant }],
        "messages": [
            { "id": user, "parent_id": null, "role": "user", "content": "some code", "created_at": at },
            { "id": assistant, "parent_id": user, "role": "assistant", "content": reply, "created_at": at },
        ],
    });
    let imported = app.post("/api/contexts/import?format=confab", file).await;
    let id = imported.body["imported"][0]["id"].as_str().unwrap().to_string();
    let token = share(&app, &id, json!({})).await["token"].as_str().unwrap().to_string();
    let html = open_anonymously(&app, &format!("/s/{token}")).await.body.as_str().unwrap().to_string();
    assert!(html.contains("<span class=\"hl-storage hl-type hl-function hl-rust\">fn</span>"), "{html}");
    assert!(html.contains("&lt;/code&gt;&lt;script&gt;") && !html.contains("<script"), "{html}");
}
