//! The `confab` under test: a child process on a free loopback port, and a signed-in client
//! of a server (that process, or one the benchmark runs in its own).

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A `confab` process, used through its signed-in [`Api`].
pub struct Server {
    child: Child,
    api: Api,
}

impl Deref for Server {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

/// A client of a `confab` server, signed in as the benchmark's user.
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// How to start a server: which binary, on which database, with which flags.
#[derive(Clone)]
pub struct Launch {
    pub binary: PathBuf,
    pub site: PathBuf,
    pub database_url: String,
    /// Milliseconds between the built-in model's tokens; `None` keeps the server's default.
    pub token_delay_ms: Option<u64>,
}

/// One poll of a state `url` as the app polls it: with `If-None-Match` once an `ETag` is
/// known. The body when the state changed (`etag` then names it), `None` when it did not.
pub async fn poll_state(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    etag: &mut String,
) -> Result<Option<String>, reqwest::Error> {
    let mut request = http.get(url).bearer_auth(token);
    if !etag.is_empty() {
        request = request.header("if-none-match", etag.as_str());
    }
    let response = request.send().await?;
    if response.status() != 200 {
        return Ok(None);
    }
    *etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    Ok(Some(response.text().await?))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("an address").port()
}

/// A client that keeps many connections open at once, as many tabs would.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(2048).build().expect("an HTTP client")
}

impl Launch {
    /// Starts the server and returns once `/healthz` answers `200`, with how long that took.
    pub async fn start(&self) -> (Server, Duration) {
        let port = free_port();
        let started = Instant::now();
        let mut command = Command::new(&self.binary);
        if let Some(delay) = self.token_delay_ms {
            command.args(["--builtin-token-delay-ms", &delay.to_string()]);
        }
        let child = command
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &self.database_url])
            .args(["--rate-limit-reads", "0", "--rate-limit-actions", "0", "--rate-limit-sign-in", "0"])
            .env("LEPTOS_SITE_ROOT", &self.site)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        let base = format!("http://127.0.0.1:{port}");
        let http = client();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = http.get(format!("{base}/healthz")).send().await {
                if response.status() == 200 {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "the server did not become healthy");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let healthy = started.elapsed();
        (Server { child, api: Api::sign_in(base).await }, healthy)
    }
}

impl Api {
    /// Signs in to the server at `base` (registering the benchmark's user the first time).
    pub async fn sign_in(base: String) -> Api {
        let mut api = Api { base, token: String::new(), http: client() };
        let credentials = json!({ "username": "bench", "password": "benchmark password" });
        let (status, body) = api.post("/api/auth/register", credentials.clone()).await;
        let body = if status == 201 { body } else { api.post("/api/auth/login", credentials).await.1 };
        api.token = body["token"].as_str().expect("a session token").to_string();
        api
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let mut request = self.http.post(self.url(path)).json(&body);
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        let response = request.send().await.expect("the server answers");
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    pub async fn new_context(&self) -> String {
        let (status, body) = self.post("/api/contexts", json!({})).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("an id").to_string()
    }

    pub async fn send(&self, id: &str, content: &str) -> u16 {
        let body = json!({ "content": content, "client_action_id": uuid::Uuid::new_v4().to_string() });
        self.post(&format!("/api/contexts/{id}/actions/send_message"), body).await.0
    }

    /// Waits until the conversation is idle again, polling as a slow tab would: with the
    /// state's `ETag`, so an unchanged state costs a `304` rather than the whole
    /// conversation (a tighter loop, or one without it, from many waiters at once would be
    /// the heaviest load on the server).
    pub async fn until_idle(&self, id: &str) -> Value {
        let url = self.url(&format!("/api/contexts/{id}/state"));
        let mut etag = String::new();
        loop {
            let changed = poll_state(&self.http, &url, &self.token, &mut etag).await.expect("the server answers");
            if let Some(body) = changed {
                let state: Value = serde_json::from_str(&body).expect("a state");
                if state["status"] == "idle" {
                    return state;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A conversation of `messages` messages (user and assistant, taking turns).
    pub async fn conversation(&self, messages: usize) -> String {
        let id = self.new_context().await;
        for n in 0..messages / 2 {
            assert_eq!(self.send(&id, &format!("question number {n} about the weather")).await, 200);
            self.until_idle(&id).await;
        }
        id
    }
}

impl Server {
    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    /// SIGTERM, and waits for the process to end.
    pub fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A SQLite URL in `dir`.
pub fn sqlite_in(dir: &Path) -> String {
    format!("sqlite://{}/confab.db", dir.display())
}
