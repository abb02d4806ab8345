//! `GET /api/tools`: every tool on offer and every MCP server's state (DESIGN.md section 7).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolDTO {
    /// What models call it: `server__tool` for an MCP server's.
    pub name: String,
    /// The MCP server it comes from; `null` for Confab's own.
    pub server: Option<String>,
    pub description: String,
    /// `ask`: each call waits for a person.
    pub policy: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolServerDTO {
    pub name: String,
    /// `starting`, `running` or `failed`.
    pub state: String,
    /// Why it failed, in one line (the details are in the server log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolsResponse {
    pub tools: Vec<ToolDTO>,
    pub servers: Vec<ToolServerDTO>,
}
