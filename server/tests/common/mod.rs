//! Helpers shared by the server's integration tests: an app on a temporary SQLite database,
//! requests through the router (`oneshot`), and a real server on a free port.

#![allow(dead_code)]

pub mod client;
pub mod import;
pub mod process;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use confab_server::{App, Config};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub app: App,
    pub dir: tempfile::TempDir,
    pub database_url: String,
    /// The bearer token of the user every request acts as, unless it says otherwise.
    pub token: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with(|_| {}).await
    }

    /// An app whose built-in model streams with `delay` between tokens.
    pub async fn slow(delay_ms: u64) -> TestApp {
        Self::with(move |config| config.builtin_token_delay_ms = delay_ms).await
    }

    pub async fn with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::on_database(None, adjust).await
    }

    /// An app on `database_url` (a `postgres://` one, say), or on a new SQLite file.
    pub async fn on_database(database_url: Option<String>, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let database_url = database_url.unwrap_or_else(|| format!("sqlite://{}/confab.db", dir.path().display()));
        let mut config = Config::for_tests(&database_url);
        adjust(&mut config);
        let app = App::build(config).await.unwrap();
        let mut test = TestApp { router: app.router(), app, dir, database_url, token: String::new() };
        test.token = test.register("tester").await;
        test
    }

    /// Registers a user and returns their bearer token.
    pub async fn register(&self, username: &str) -> String {
        let body = serde_json::json!({ "username": username, "password": "correct horse battery" });
        let request = Request::post("/api/auth/register")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let reply = self.send_anonymous(request).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["token"].as_str().unwrap().to_string()
    }

    /// Sends as the test's user (a bearer token) unless the request carries its own
    /// Authorization or Cookie header.
    pub async fn send(&self, mut request: Request<Body>) -> Reply {
        let headers = request.headers();
        if !headers.contains_key(header::AUTHORIZATION) && !headers.contains_key(header::COOKIE) {
            let value = format!("Bearer {}", self.token).parse().unwrap();
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
        self.send_anonymous(request).await
    }

    /// Sends exactly what it is given.
    pub async fn send_anonymous(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    /// Sends as the user of `token`, with `body` as JSON unless it is null.
    pub async fn as_user(&self, token: &str, method: Method, uri: &str, body: Value) -> Reply {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(if body.is_null() { Body::empty() } else { Body::from(body.to_string()) })
            .unwrap();
        self.send(request).await
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn json(&self, method: Method, uri: &str, body: Value) -> Reply {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    pub async fn post(&self, uri: &str, body: Value) -> Reply {
        self.json(Method::POST, uri, body).await
    }

    /// Creates a context and returns its id.
    pub async fn create_context(&self) -> String {
        let reply = self.post("/api/contexts", serde_json::json!({})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["id"].as_str().unwrap().to_string()
    }

    pub async fn act(&self, id: &str, action: &str, body: Value) -> Reply {
        self.post(&format!("/api/contexts/{id}/actions/{action}"), body).await
    }

    pub async fn state(&self, id: &str) -> Value {
        let reply = self.get(&format!("/api/contexts/{id}/state")).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body
    }

    /// Polls the state until its status is `status` (at most 10 s).
    pub async fn wait_for(&self, id: &str, status: &str) -> Value {
        self.wait_until(id, status, |state| state["status"] == status).await
    }

    /// Polls the state until its status is `status` and the conversation has the title its
    /// first message gives it (at most 10 s): the title is saved on its own, off the reply's
    /// path, and can land later.
    pub async fn wait_for_titled(&self, id: &str, status: &str) -> Value {
        self.wait_until(id, &format!("{status}, titled"), |state| {
            state["status"] == status && state["context"]["title"] != confab_core::DEFAULT_TITLE
        })
        .await
    }

    /// Polls the state until `reached` holds of it (at most 10 s); `what` names it.
    async fn wait_until(&self, id: &str, what: &str, reached: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let state = self.state(id).await;
            if reached(&state) {
                return state;
            }
            assert!(tokio::time::Instant::now() < deadline, "never reached {what}: {state:#}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The databases a test runs on: a new SQLite file (`None`) always, and a new PostgreSQL
/// database when there is a cluster (`scripts/with-postgres.sh`; the test command requires it).
pub async fn backends() -> Vec<Option<String>> {
    let mut list = vec![None];
    if let Some(url) = confab_store::testsuite::postgres_database().await {
        list.push(Some(url));
    }
    list
}

/// A context as its database holds it, not as the server's memory does.
pub async fn stored_context(database_url: &str, id: &str) -> confab_core::ChatContext {
    use confab_store::Conversations;
    let id = id.parse().unwrap();
    let loaded = if database_url.starts_with("postgres") {
        confab_store::PgStore::open(database_url).await.unwrap().load(id).await
    } else {
        confab_store::SqliteStore::open(database_url).await.unwrap().load(id).await
    };
    loaded.unwrap().expect("the context is stored")
}

/// A backend's name, for assertion messages.
pub fn backend_name(database_url: &Option<String>) -> &'static str {
    if database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// The messages of a state, as (role, content) pairs.
pub fn transcript(state: &Value) -> Vec<(String, String)> {
    state["context"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap().to_string(), m["content"].as_str().unwrap().to_string()))
        .collect()
}

/// The ids of the pending tool calls.
pub fn pending_calls(state: &Value) -> Vec<String> {
    let messages = state["context"]["messages"].as_array().unwrap();
    let Some(assistant) = messages.iter().rev().find(|m| m["role"] == "assistant") else {
        return vec![];
    };
    assistant["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["approval"] == "pending")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// A real server on a free loopback port, stopped when dropped.
pub struct RunningServer {
    pub base: String,
    pub token: String,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    pub async fn start(adjust: impl FnOnce(&mut Config)) -> RunningServer {
        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}/confab.db", dir.path().display());
        let mut config = Config::for_tests(&database_url);
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = App::build(config).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.serve(listener, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        let mut server = RunningServer { base, token: String::new(), dir, stop: Some(stop), handle: Some(handle) };
        let credentials = serde_json::json!({ "username": "tester", "password": "correct horse battery" });
        let (status, body) = post_json(&server, "/api/auth/register", credentials).await;
        assert_eq!(status, 201, "{body}");
        server.token = body["token"].as_str().unwrap().to_string();
        server
    }

    /// Asks the server to shut down gracefully and waits until it has. The database folder
    /// stays until the value is dropped.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap();
        }
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}/confab.db", self.dir.path().display())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client of this server, signed in as the test user.
    pub fn client(&self) -> client::ApiClient {
        client::ApiClient::new(self.base.clone(), self.token.clone())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}

pub use client::{Sse, SseStream};

/// Opens `/events` of a context, optionally resuming after `last_event_id`.
pub async fn open_events(server: &RunningServer, id: &str, last_event_id: Option<&str>) -> SseStream {
    server.client().events(id, last_event_id).await
}

/// The next event, failing the test after 10 s.
pub async fn next_event(stream: &mut SseStream) -> Sse {
    use futures::StreamExt;
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event within 10 s")
        .expect("the stream is still open")
}

/// Posts JSON to a running server.
pub async fn post_json(server: &RunningServer, path: &str, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(server.url(path)).json(&body);
    if !server.token.is_empty() {
        request = request.bearer_auth(&server.token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}
