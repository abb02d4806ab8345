//! Confab's client of MCP (Model Context Protocol) tool servers, on the official Rust SDK
//! (`rmcp`, pinned): each server configured in `[[mcp_servers]]` runs under a supervisor,
//! and its tools join the built-in ones as `server__tool`. Everything rmcp is kept in this
//! crate: the rest of Confab sees [`confab_tools::Tool`]s and a [`ServerStatus`] per server.

mod config;
mod names;
mod server;
mod tool;

use std::sync::Arc;

use confab_tools::{Tool, ToolSource};

pub use config::ServerConfig;
pub use names::{exposed_name, names_tool, MAX_NAME_CHARS};
pub use server::ServerState;
pub use tool::{cap, McpTool};

/// A server as `GET /api/tools` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    pub name: String,
    pub state: ServerState,
}

/// Every configured server.
#[derive(Default)]
pub struct McpHub {
    servers: Vec<Arc<server::McpServer>>,
}

impl McpHub {
    /// Starts every server in the background (a server that cannot start is retried, and
    /// shows as failed meanwhile; Confab starts either way).
    pub fn start(configs: Vec<ServerConfig>) -> Arc<Self> {
        let servers: Vec<_> = configs.into_iter().map(server::McpServer::new).collect();
        for server in &servers {
            tokio::spawn(server.clone().supervise());
        }
        Arc::new(McpHub { servers })
    }

    pub fn statuses(&self) -> Vec<ServerStatus> {
        self.servers.iter().map(|s| ServerStatus { name: s.config.name.clone(), state: s.connection.state() }).collect()
    }
}

impl ToolSource for McpHub {
    fn tools(&self) -> Vec<Arc<dyn Tool>> {
        self.servers.iter().flat_map(|s| s.connection.tools()).map(|tool| tool as Arc<dyn Tool>).collect()
    }
}
