//! One configured MCP server (a child over stdio, or a URL over streamable HTTP), kept
//! running: started at boot, its tools listed (again when it says they changed), restarted
//! with backoff when it exits or its connection ends. A stdio child gets `PATH` and
//! the environment its table names, nothing else of Confab's; its stderr goes to the log.
//! Requests a server makes of Confab (sampling, elicitation) are declined: the client
//! handler leaves them to rmcp's defaults, which answer "method not found".

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use rmcp::model::Tool as RemoteTool;
use rmcp::service::{NotificationContext, Peer, RoleClient};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ServiceExt};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::config::ServerConfig;
use crate::names::exposed_name;
use crate::tool::McpTool;

/// The longest wait between two starts of a server that keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How long a server may take to start and list its tools, whatever its per-call timeout:
/// a server whose calls must answer within a second may still need a few to boot.
const MIN_START_TIMEOUT: Duration = Duration::from_secs(30);

/// How a server is doing, as `GET /api/tools` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerState {
    Starting,
    Running,
    /// With a one-line reason; the details are in the server log.
    Failed(String),
}

/// A streamable-HTTP server's transport, with the headers whose values the configured
/// environment variables hold (a variable that is not set is a failure to start, named).
fn http_transport(config: &ServerConfig, url: &str) -> Result<StreamableHttpClientTransport<reqwest::Client>, String> {
    let mut headers = HashMap::new();
    for (header, variable) in &config.headers_env {
        let value = std::env::var(variable).map_err(|_| format!("the environment variable {variable} is not set"))?;
        let name = HeaderName::from_bytes(header.as_bytes()).map_err(|_| format!("{header:?} is not a header name"))?;
        let value = HeaderValue::from_str(&value).map_err(|_| format!("{variable} does not hold a header value"))?;
        headers.insert(name, value);
    }
    // The TLS of the HTTP client: the ring provider, as the rest of Confab uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport_config = StreamableHttpClientTransportConfig::with_uri(url).custom_headers(headers);
    Ok(StreamableHttpClientTransport::from_config(transport_config))
}

/// What the running server is, shared by its supervisor and its tools.
#[derive(Default)]
pub struct Connection {
    peer: RwLock<Option<Peer<RoleClient>>>,
    tools: RwLock<Vec<Arc<McpTool>>>,
    state: RwLock<Option<ServerState>>,
}

impl Connection {
    pub fn peer(&self) -> Option<Peer<RoleClient>> {
        self.peer.read().expect("peer lock").clone()
    }

    pub fn tools(&self) -> Vec<Arc<McpTool>> {
        self.tools.read().expect("tools lock").clone()
    }

    pub fn state(&self) -> ServerState {
        self.state.read().expect("state lock").clone().unwrap_or(ServerState::Starting)
    }

    fn set_state(&self, state: ServerState) {
        *self.state.write().expect("state lock") = Some(state);
    }
}

pub struct McpServer {
    pub config: ServerConfig,
    pub connection: Arc<Connection>,
}

impl McpServer {
    pub fn new(config: ServerConfig) -> Arc<Self> {
        Arc::new(McpServer { config, connection: Arc::new(Connection::default()) })
    }

    /// Runs the server until the process ends: starts it, and starts it again whenever it
    /// stops, waiting longer each time it fails in a row.
    pub async fn supervise(self: Arc<Self>) {
        let mut backoff = Duration::from_secs(1);
        loop {
            self.connection.set_state(ServerState::Starting);
            match self.start().await {
                Ok(running) => {
                    backoff = Duration::from_secs(1);
                    self.connection.set_state(ServerState::Running);
                    tracing::info!(server = %self.config.name, tools = self.connection.tools().len(), "MCP server running");
                    let quit = running.waiting().await;
                    tracing::warn!(server = %self.config.name, ?quit, "MCP server stopped; starting it again");
                    self.connection.set_state(ServerState::Failed("the server stopped; starting it again".into()));
                }
                Err(reason) => {
                    tracing::warn!(server = %self.config.name, %reason, "MCP server could not start");
                    self.connection.set_state(ServerState::Failed(reason));
                }
            }
            *self.connection.peer.write().expect("peer lock") = None;
            self.connection.tools.write().expect("tools lock").clear();
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn start(self: &Arc<Self>) -> Result<rmcp::service::RunningService<RoleClient, Listener>, String> {
        let config = &self.config;
        let listener = Listener { server: Arc::downgrade(self) };
        let limit = self.start_timeout();
        let handshake = match &config.url {
            Some(url) => tokio::time::timeout(limit, listener.serve(http_transport(config, url)?)).await,
            None => tokio::time::timeout(limit, listener.serve(self.child()?)).await,
        };
        let running = handshake
            .map_err(|_| format!("no answer to the MCP handshake within {} s", limit.as_secs()))?
            .map_err(|e| format!("the MCP handshake failed: {e}"))?;
        let peer = running.peer().clone();
        *self.connection.peer.write().expect("peer lock") = Some(peer.clone());
        self.refresh(&peer).await?;
        Ok(running)
    }

    fn start_timeout(&self) -> Duration {
        self.config.timeout().max(MIN_START_TIMEOUT)
    }

    /// Starts a stdio server's process: `PATH` and its configured env only, its stderr to
    /// the log.
    fn child(&self) -> Result<TokioChildProcess, String> {
        let config = &self.config;
        let command = config.command.as_deref().ok_or("no command")?;
        let mut process = tokio::process::Command::new(command);
        process.args(&config.args).env_clear().kill_on_drop(true);
        if let Some(path) = std::env::var_os("PATH") {
            process.env("PATH", path);
        }
        process.envs(&config.env);
        let (transport, stderr) = TokioChildProcess::builder(process)
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        if let Some(stderr) = stderr {
            let name = config.name.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::info!(server = %name, "{line}");
                }
            });
        }
        Ok(transport)
    }

    /// Lists the server's tools again.
    async fn refresh(&self, peer: &Peer<RoleClient>) -> Result<(), String> {
        let listed = tokio::time::timeout(self.start_timeout(), peer.list_all_tools())
            .await
            .map_err(|_| "no answer to tools/list".to_string())?
            .map_err(|e| format!("tools/list failed: {e}"))?;
        let tools = listed.into_iter().map(|tool| Arc::new(self.tool(tool))).collect();
        *self.connection.tools.write().expect("tools lock") = tools;
        Ok(())
    }

    fn tool(&self, remote: RemoteTool) -> McpTool {
        McpTool {
            exposed: exposed_name(&self.config.name, &remote.name),
            remote: remote.name.to_string(),
            server: self.config.name.clone(),
            description: remote.description.as_deref().unwrap_or_default().to_string(),
            schema: serde_json::Value::Object((*remote.input_schema).clone()),
            connection: self.connection.clone(),
            timeout: self.config.timeout(),
            max_result_bytes: self.config.max_result_bytes,
            approval: self.config.approval_rule(),
        }
    }
}

/// Hears what the server tells Confab: only that its tools changed.
pub struct Listener {
    server: std::sync::Weak<McpServer>,
}

impl ClientHandler for Listener {
    async fn on_tool_list_changed(&self, context: NotificationContext<RoleClient>) {
        if let Some(server) = self.server.upgrade() {
            if let Err(reason) = server.refresh(&context.peer).await {
                tracing::warn!(server = %server.config.name, %reason, "could not list the changed tools");
            }
        }
    }
}
