//! Personal API tokens: shown once, work as bearer tokens, refused from the very next
//! request after they are revoked, and after they expire; only their owner lists or revokes
//! them.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{Duration, Utc};
use common::{Reply, TestApp};
use confab_store::{ApiToken, ApiTokens, SqliteStore};
use serde_json::json;
use sha2::{Digest, Sha256};

async fn with_token(app: &TestApp, token: &str, method: Method, uri: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    app.send(request).await
}

#[tokio::test]
async fn a_token_works_as_a_bearer_token_until_it_is_revoked() {
    let app = TestApp::new().await;
    let created = app.post("/api/tokens", json!({ "name": "backup script", "expires_in_days": 30 })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let token = created.body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("confab_pat_") && token.len() > 50, "{token}");
    let expires = created.body["expires_at"].as_str().unwrap().parse::<chrono::DateTime<Utc>>().unwrap();
    assert!((expires - Utc::now() - Duration::days(30)).num_seconds().abs() < 60);

    let me = with_token(&app, &token, Method::GET, "/api/auth/me").await;
    assert_eq!((me.status, &me.body["user"]["username"]), (StatusCode::OK, &json!("tester")));
    let id = app.create_context().await;
    let read = with_token(&app, &token, Method::GET, &format!("/api/contexts/{id}/state")).await;
    assert_eq!(read.status, StatusCode::OK, "the API answers it as its owner");

    let listed = app.get("/api/tokens").await;
    let tokens = listed.body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["name"], "backup script");
    assert!(tokens[0]["last_used_at"].is_string(), "its use is seen: {:?}", tokens[0]);
    assert!(!listed.body.to_string().contains(&token), "the secret is shown once, never listed");

    let stranger = app.register("stranger").await;
    let token_id = created.body["id"].as_str().unwrap();
    let theirs = with_token(&app, &stranger, Method::DELETE, &format!("/api/tokens/{token_id}")).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "only its owner revokes it");
    let revoked = app.json(Method::DELETE, &format!("/api/tokens/{token_id}"), serde_json::Value::Null).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = with_token(&app, &token, Method::GET, "/api/auth/me").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "refused on the very next request");
    let again = app.json(Method::DELETE, &format!("/api/tokens/{token_id}"), serde_json::Value::Null).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = TestApp::new().await;
    let me = app.get("/api/auth/me").await;
    let owner = me.body["user"]["id"].as_str().unwrap().parse().unwrap();
    let store = SqliteStore::open(&app.database_url).await.unwrap();
    let secret = "confab_pat_expired-for-the-test";
    let hash: String = Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let expired = ApiToken {
        id: uuid::Uuid::now_v7(),
        user_id: owner,
        name: "old".into(),
        created_at: Utc::now() - Duration::days(31),
        expires_at: Some(Utc::now() - Duration::seconds(1)),
        last_used_at: None,
    };
    store.create_api_token(&expired, &hash).await.unwrap();
    assert_eq!(with_token(&app, secret, Method::GET, "/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
    let live = ApiToken { id: uuid::Uuid::now_v7(), expires_at: Some(Utc::now() + Duration::hours(1)), ..expired };
    let live_secret = "confab_pat_live-for-the-test";
    let live_hash: String = Sha256::digest(live_secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    store.create_api_token(&live, &live_hash).await.unwrap();
    assert_eq!(with_token(&app, live_secret, Method::GET, "/api/auth/me").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_bad_name_or_lifetime_is_refused_and_nothing_is_made() {
    let app = TestApp::new().await;
    for body in [
        json!({ "name": "" }),
        json!({ "name": "   " }),
        json!({ "name": "x".repeat(101) }),
        json!({ "name": "bell\u{7}" }),
        json!({ "name": "ok", "expires_in_days": 0 }),
        json!({ "name": "ok", "expires_in_days": 3651 }),
        json!({ "name": "ok", "scope": "all" }),
    ] {
        let refused = app.post("/api/tokens", body.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}: {:?}", refused.body);
    }
    assert_eq!(app.get("/api/tokens").await.body["tokens"], json!([]));
    let longest = app.post("/api/tokens", json!({ "name": "y".repeat(100), "expires_in_days": 3650 })).await;
    assert_eq!(longest.status, StatusCode::CREATED);
}
