//! Per-IP rate limits through real sockets: the limits count the address a request comes
//! from, so one address cannot guess passwords across many usernames, nor read past its
//! budget with many accounts, while another address is still served.

use crate::common;

use std::net::IpAddr;

use common::RunningServer;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A client whose connections come from `source` (any address in 127.0.0.0/8 reaches the
/// server on 127.0.0.1).
fn client_from(source: &str) -> reqwest::Client {
    let source: IpAddr = source.parse().unwrap();
    reqwest::Client::builder().local_address(source).build().unwrap()
}

async fn sign_in(
    client: &reqwest::Client,
    server: &RunningServer,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let body = json!({ "username": username, "password": password });
    client.post(server.url("/api/auth/login")).json(&body).send().await.unwrap()
}

async fn register(client: &reqwest::Client, server: &RunningServer, username: &str) -> String {
    let body = json!({ "username": username, "password": "correct horse battery" });
    let response = client.post(server.url("/api/auth/register")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn many_usernames_guessed_from_one_address_hit_the_limit_while_another_address_is_served() {
    // The default budget: 10 attempts a minute per address and per username.
    let server = RunningServer::start(|config| config.rate_limit_sign_in = 10).await;
    let guesser = client_from("127.0.0.1");
    let mut refused = 0;
    for n in 0..40 {
        let response = sign_in(&guesser, &server, &format!("victim{n}"), "wrong password").await;
        match response.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = response.headers().get("retry-after").expect("Retry-After on a 429");
                let seconds: u64 = retry_after.to_str().unwrap().parse().unwrap();
                assert!((1..=60).contains(&seconds), "Retry-After {seconds}");
                refused += 1;
            }
            other => panic!("attempt {n}: unexpected {other}"),
        }
    }
    // The first ones used the address's budget (registering the test user took one more).
    assert!(refused >= 29, "only {refused} of 40 guesses from one address were refused");

    let neighbour = client_from("127.0.0.2");
    let response = sign_in(&neighbour, &server, "victim0", "wrong password").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "another address has its own budget");
}

#[tokio::test]
async fn api_requests_past_the_address_budget_are_refused_whoever_signs_them() {
    // 5 reads a minute per user, so 10 per address.
    let server = RunningServer::start(|config| {
        config.rate_limit_reads = 5;
        config.rate_limit_sign_in = 100;
    })
    .await;
    let signup = client_from("127.0.0.3");
    let mut tokens = Vec::new();
    for name in ["ann", "bob", "cyd"] {
        tokens.push(register(&signup, &server, name).await);
    }
    let shared = client_from("127.0.0.1");
    let read =
        |client: &reqwest::Client, token: &str| client.get(server.url("/api/contexts")).bearer_auth(token).send();
    for token in &tokens[..2] {
        for _ in 0..5 {
            assert_eq!(read(&shared, token).await.unwrap().status(), StatusCode::OK);
        }
    }
    // Within its own budget, but the address has used its ten.
    let response = read(&shared, &tokens[2]).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");

    let elsewhere = client_from("127.0.0.2");
    assert_eq!(read(&elsewhere, &tokens[2]).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let server = RunningServer::start(|config| {
        config.rate_limit_sign_in = 2;
        config.trust_forwarded_for = true;
    })
    .await;
    let proxy = client_from("127.0.0.4");
    let attempt = |client: &str, username: &str| {
        let body = json!({ "username": username, "password": "wrong password" });
        let forwarded = format!("198.51.100.7, {client}");
        proxy.post(server.url("/api/auth/login")).header("x-forwarded-for", forwarded).json(&body).send()
    };
    assert_eq!(attempt("203.0.113.1", "a1").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("203.0.113.1", "a2").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("203.0.113.1", "a3").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    // The same proxy, another client behind it.
    assert_eq!(attempt("203.0.113.2", "a4").await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
