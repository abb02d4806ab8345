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
    /// The policy that holds for the caller.
    pub policy: Policy,
    /// Whether the caller may set `always` (a server configured with `allow_always = false`
    /// forbids it).
    pub allow_always: bool,
}

/// Whether a tool's calls wait for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Each call waits for a person's approval.
    Ask,
    /// Calls run without asking.
    Always,
}

/// `PUT /api/tools/{name}/policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ToolPolicyRequest {
    pub policy: Policy,
}

/// What an approval also remembers (`approve_tools`' `remember`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Remember {
    /// These tools run without asking in this conversation from now on.
    Conversation,
    /// These tools run without asking in every conversation of the caller's.
    Always,
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
