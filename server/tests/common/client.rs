//! A small HTTP client for tests against a real server: JSON in and out as the test user,
//! and a connection error reported as status 0 (the server may be gone on purpose).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[derive(Clone)]
pub struct ApiClient {
    pub base: String,
    pub token: String,
    http: reqwest::Client,
}

impl ApiClient {
    pub fn new(base: impl Into<String>, token: impl Into<String>) -> Self {
        let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
        ApiClient { base: base.into(), token: token.into(), http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let mut request = self.http.post(self.url(path)).json(&body);
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        Self::read(request).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        Self::read(self.http.put(self.url(path)).json(&body).bearer_auth(&self.token)).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        Self::read(self.http.get(self.url(path)).bearer_auth(&self.token)).await
    }

    async fn read(request: reqwest::RequestBuilder) -> (u16, Value) {
        match request.send().await {
            Ok(response) => (response.status().as_u16(), response.json().await.unwrap_or(Value::Null)),
            Err(_) => (0, Value::Null),
        }
    }

    pub async fn state(&self, id: &str) -> Value {
        let (status, body) = self.get(&format!("/api/contexts/{id}/state")).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Polls the state until `check` holds, failing the test after 20 s.
    pub async fn wait_for(&self, id: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let state = self.state(id).await;
            if check(&state) {
                return state;
            }
            assert!(Instant::now() < deadline, "condition never held: {state:#}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn new_context(&self) -> String {
        let (status, body) = self.post("/api/contexts", json!({})).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Sends a message with an action id, as the browser does.
    pub async fn send_message(&self, id: &str, content: &str, action_id: &str) -> (u16, Value) {
        let body = json!({ "content": content, "client_action_id": action_id });
        self.post(&format!("/api/contexts/{id}/actions/send_message"), body).await
    }
}

/// One server-sent event as a test sees it.
#[derive(Debug, Clone)]
pub struct Sse {
    pub event: String,
    pub id: String,
    pub data: Value,
}

pub type SseStream = std::pin::Pin<Box<dyn futures::Stream<Item = Sse> + Send>>;

impl ApiClient {
    /// Opens `/events` of a context, optionally resuming after `last_event_id`.
    pub async fn events(&self, id: &str, last_event_id: Option<&str>) -> SseStream {
        self.events_at(&format!("/api/contexts/{id}/events"), last_event_id).await
    }

    /// Opens an event stream at `path` (with its query), optionally resuming.
    pub async fn events_at(&self, path: &str, last_event_id: Option<&str>) -> SseStream {
        use eventsource_stream::Eventsource;
        use futures::StreamExt;
        let mut request = self.http.get(self.url(path)).bearer_auth(&self.token);
        if let Some(last) = last_event_id {
            request = request.header("Last-Event-ID", last);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        response
            .bytes_stream()
            .eventsource()
            .filter_map(|event| async move {
                let event = event.ok()?;
                Some(Sse {
                    event: event.event,
                    id: event.id,
                    data: serde_json::from_str(&event.data).unwrap_or(Value::Null),
                })
            })
            .boxed()
    }
}

/// The status of an `ActionResponse`.
pub fn status(state: &Value) -> &str {
    state["status"].as_str().unwrap_or_default()
}

/// Whether a status means the server is working on the context.
pub fn is_busy(state: &Value) -> bool {
    matches!(status(state), "processing" | "streaming" | "executing_tools")
}

/// The contents of the user messages on the active branch.
pub fn user_messages(state: &Value) -> Vec<String> {
    messages_of(state, "user").into_iter().map(|m| m["content"].as_str().unwrap_or_default().to_string()).collect()
}

/// The messages of one role on the active branch.
pub fn messages_of<'a>(state: &'a Value, role: &str) -> Vec<&'a Value> {
    state["context"]["messages"].as_array().into_iter().flatten().filter(|m| m["role"] == role).collect()
}
