//! The real `confab` binary as a child process: started on a free port, signed in, and
//! killed (SIGKILL) or stopped (SIGTERM) by the tests that check what survives.

use std::ops::Deref;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::client::ApiClient;

pub struct Confab {
    child: Child,
    api: ApiClient,
}

impl Deref for Confab {
    type Target = ApiClient;
    fn deref(&self) -> &ApiClient {
        &self.api
    }
}

impl Confab {
    /// Starts `confab` on a free port over the SQLite database in `dir`, with the built-in
    /// model `token_delay_ms` apart, and waits until it is healthy and signed in.
    pub async fn start(dir: &std::path::Path, token_delay_ms: u64) -> Confab {
        let url = format!("sqlite://{}/confab.db", dir.display());
        Self::start_with(&url, &["--builtin-token-delay-ms", &token_delay_ms.to_string()]).await
    }

    /// Starts `confab` over `database_url` with extra flags.
    pub async fn start_with(database_url: &str, args: &[&str]) -> Confab {
        Self::start_with_env(database_url, args, &[]).await
    }

    /// Like [`Confab::start_with`], with environment variables of its own (secrets a config
    /// file names).
    pub async fn start_with_env(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Confab {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_confab"))
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .args(["--database-url", database_url])
            .args(["--rate-limit-reads", "0", "--rate-limit-actions", "0", "--rate-limit-sign-in", "0"])
            .args(args)
            .envs(env.iter().copied())
            // CONFAB_TEST_LOG=confab_server=debug shows what the server did.
            .env("RUST_LOG", std::env::var("CONFAB_TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut confab = Confab { child, api: ApiClient::new(format!("http://127.0.0.1:{port}"), "") };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = confab.http().get(confab.url("/healthz")).send().await {
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
        self.api.token = body["token"].as_str().unwrap().to_string();
    }

    /// A client of this server, to hand to concurrent tasks.
    pub fn client(&self) -> ApiClient {
        self.api.clone()
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// SIGKILL: the process gets no chance to save anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the process to exit on its own.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "confab did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Confab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
