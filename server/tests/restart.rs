//! The real `confab` binary, killed and started again on the same database: nothing a
//! client was told is saved gets lost, and nothing stays stuck.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Confab {
    child: Child,
    base: String,
    token: String,
}

impl Confab {
    /// Starts `confab` on a free port over the database in `dir`, and waits until healthy.
    async fn start(dir: &std::path::Path, token_delay_ms: u64) -> Confab {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_confab"))
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &format!("sqlite://{}/confab.db", dir.display())])
            .args(["--builtin-token-delay-ms", &token_delay_ms.to_string()])
            .args(["--rate-limit-reads", "0", "--rate-limit-actions", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut confab = Confab { child, base: format!("http://127.0.0.1:{port}"), token: String::new() };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(response) = reqwest::get(format!("{}/healthz", confab.base)).await {
                if response.status() == 200 {
                    confab.sign_in().await;
                    return confab;
                }
            }
            assert!(Instant::now() < deadline, "confab did not become healthy");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Registers the test user on first start, signs in on later ones: the account and
    /// its data survive restarts.
    async fn sign_in(&mut self) {
        let credentials = json!({ "username": "tester", "password": "correct horse battery" });
        let (status, body) = self.post("/api/auth/register", credentials.clone()).await;
        let body = if status == 201 {
            body
        } else {
            let (status, body) = self.post("/api/auth/login", credentials).await;
            assert_eq!(status, 200, "{body}");
            body
        };
        self.token = body["token"].as_str().unwrap().to_string();
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "confab did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let mut request = reqwest::Client::new().post(format!("{}{path}", self.base)).json(&body);
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn state(&self, id: &str) -> Value {
        let request = reqwest::Client::new().get(format!("{}/api/contexts/{id}/state", self.base));
        request.bearer_auth(&self.token).send().await.unwrap().json().await.unwrap()
    }

    async fn wait_for(&self, id: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let state = self.state(id).await;
            if check(&state) {
                return state;
            }
            assert!(Instant::now() < deadline, "condition never held: {state:#}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn new_context(&self) -> String {
        let (status, body) = self.post("/api/contexts", json!({})).await;
        assert_eq!(status, 201);
        body["id"].as_str().unwrap().to_string()
    }
}

impl Drop for Confab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status(state: &Value) -> &str {
    state["status"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_message_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 0).await;
    let id = confab.new_context().await;
    let (code, _) =
        confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "remember me" })).await;
    assert_eq!(code, 200);
    let before = confab.wait_for(&id, |s| status(s) == "idle").await;
    confab.kill();

    let confab = Confab::start(dir.path(), 0).await;
    let after = confab.state(&id).await;
    assert_eq!(after["context"]["messages"], before["context"]["messages"]);
    assert_eq!(after["context"]["messages"][0]["content"], "remember me");
}

#[tokio::test]
async fn an_acknowledged_message_survives_sigkill_right_after_the_2xx() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 50).await;
    let id = confab.new_context().await;
    let (code, _) =
        confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "just sent" })).await;
    assert_eq!(code, 200);
    confab.kill();
    let confab = Confab::start(dir.path(), 0).await;
    let after = confab.state(&id).await;
    assert_eq!(after["context"]["messages"][0]["content"], "just sent");
    assert_ne!(status(&after), "processing", "nothing stays stuck");
}

#[tokio::test]
async fn a_pending_approval_survives_sigkill_and_the_answer_uses_the_tool() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 0).await;
    let id = confab.new_context().await;
    confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "what time is it" })).await;
    let waiting = confab.wait_for(&id, |s| status(s) == "awaiting_tool_approval").await;
    let call_id = waiting["context"]["messages"][1]["tool_calls"][0]["id"].as_str().unwrap().to_string();
    confab.kill();

    let confab = Confab::start(dir.path(), 0).await;
    assert_eq!(status(&confab.state(&id).await), "awaiting_tool_approval", "still approvable after the restart");
    let (code, body) =
        confab.post(&format!("/api/contexts/{id}/actions/approve_tools"), json!({ "tool_call_ids": [call_id] })).await;
    assert_eq!(code, 200, "{body}");
    let done = confab.wait_for(&id, |s| status(s) == "idle").await;
    let messages = done["context"]["messages"].as_array().unwrap();
    let time = messages[2]["content"].as_str().unwrap();
    assert!(time.ends_with("UTC"));
    assert!(messages[3]["content"].as_str().unwrap().contains(time), "the answer uses the tool's result");
}

#[tokio::test]
async fn a_reply_killed_mid_stream_is_not_stuck_and_can_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 30).await;
    let id = confab.new_context().await;
    confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "tell me a story" })).await;
    // Wait until a partial save has surely happened (saves come every 250 ms).
    confab
        .wait_for(&id, |s| {
            s["context"]["messages"][1]["content"].as_str().is_some_and(|t| t.split_whitespace().count() > 12)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    confab.kill();

    let confab = Confab::start(dir.path(), 0).await;
    let after = confab.state(&id).await;
    assert_eq!(status(&after), "failed", "recovered, not stuck in streaming");
    assert!(after["context"]["last_error"].as_str().unwrap().contains("Retry"));
    let partial = &after["context"]["messages"][1];
    assert_eq!(partial["stop_reason"], "interrupted");
    assert!(!partial["content"].as_str().unwrap().is_empty(), "the partial text was saved while streaming");

    let (code, _) = confab.post(&format!("/api/contexts/{id}/actions/retry"), json!({})).await;
    assert_eq!(code, 200);
    let done = confab.wait_for(&id, |s| status(s) == "idle").await;
    let reply = done["context"]["messages"][1]["content"].as_str().unwrap();
    assert!(reply.contains("tell me a story") && reply.split_whitespace().count() >= 40);
}

#[tokio::test]
async fn sigterm_saves_the_partial_reply_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 40).await;
    let id = confab.new_context().await;
    confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "a long answer" })).await;
    let streaming = confab
        .wait_for(&id, |s| {
            s["context"]["messages"][1]["content"].as_str().is_some_and(|t| t.split_whitespace().count() > 5)
        })
        .await;
    let seen = streaming["context"]["messages"][1]["content"].as_str().unwrap().to_string();
    let exit = confab.terminate();
    assert!(exit.success(), "{exit:?}");

    let confab = Confab::start(dir.path(), 0).await;
    let after = confab.state(&id).await;
    assert_eq!(status(&after), "failed");
    let saved = after["context"]["messages"][1]["content"].as_str().unwrap();
    assert!(saved.starts_with(&seen), "everything streamed before SIGTERM was kept: {saved:?} vs {seen:?}");
}
