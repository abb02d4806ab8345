//! One `[[mcp_servers]]` table of the config file (DESIGN.md section 7), checked.

use std::collections::BTreeMap;
use std::time::Duration;

use confab_tools::{ApprovalRule, ToolPolicy};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Its tools are offered as `<name>__<tool>`.
    pub name: String,
    /// A server over stdio: the program to start, and its arguments.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// The only environment the child gets, besides `PATH`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A server over streamable HTTP.
    #[serde(default)]
    pub url: Option<String>,
    /// HTTP headers whose values are read from these environment variables.
    #[serde(default)]
    pub headers_env: BTreeMap<String, String>,
    /// Whether its tools wait for a person when that person chose nothing.
    #[serde(default)]
    pub approval: ToolPolicy,
    /// `false`: nobody may set "always" for this server's tools.
    #[serde(default = "yes")]
    pub allow_always: bool,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    #[serde(default = "default_max_result_bytes")]
    pub max_result_bytes: usize,
}

fn yes() -> bool {
    true
}

fn default_timeout_secs() -> u64 {
    60
}

fn default_max_result_bytes() -> usize {
    100 * 1024
}

impl ServerConfig {
    /// What is wrong with it, if anything, in words for the person who wrote the file.
    pub fn check(&self) -> Result<(), String> {
        let name = &self.name;
        let name_ok = (1..=40).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            && !name.contains("__");
        if !name_ok {
            return Err(format!("MCP server name {name:?} must be 1 to 40 of a-z, 0-9, _ and - (no \"__\")"));
        }
        match (&self.command, &self.url) {
            (Some(command), None) if !command.trim().is_empty() => {}
            (None, Some(url)) if url.starts_with("http://") || url.starts_with("https://") => {}
            (None, Some(url)) => {
                return Err(format!("MCP server {name:?}: url {url:?} must start with http:// or https://"))
            }
            _ => return Err(format!("MCP server {name:?} needs exactly one of command (stdio) or url (HTTP)")),
        }
        if !self.headers_env.is_empty() && self.url.is_none() {
            return Err(format!("MCP server {name:?}: headers_env is for servers over HTTP (url)"));
        }
        for header in self.headers_env.keys() {
            if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(format!("MCP server {name:?}: {header:?} is not an HTTP header name"));
            }
        }
        if !(1..=3600).contains(&self.timeout_secs) {
            return Err(format!("MCP server {name:?}: timeout_secs must be 1 to 3600"));
        }
        if !(1..=10 * 1024 * 1024).contains(&self.max_result_bytes) {
            return Err(format!("MCP server {name:?}: max_result_bytes must be 1 to 10485760"));
        }
        if self.approval == ToolPolicy::Always && !self.allow_always {
            return Err(format!("MCP server {name:?}: approval = \"always\" contradicts allow_always = false"));
        }
        Ok(())
    }

    /// How its tools' calls are approved.
    pub fn approval_rule(&self) -> ApprovalRule {
        ApprovalRule { default: self.approval, allow_always: self.allow_always }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ServerConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_stdio_server_with_defaults_is_fine() {
        let config = parse("name = \"time\"\ncommand = \"mcp-server-time\"");
        assert_eq!(config.check(), Ok(()));
        assert_eq!((config.timeout_secs, config.max_result_bytes, config.approval), (60, 102_400, ToolPolicy::Ask));
        assert!(config.allow_always);
    }

    #[test]
    fn bad_tables_are_named_in_their_errors() {
        for (text, part) in [
            ("name = \"Bad Name\"\ncommand = \"x\"", "must be 1 to 40"),
            ("name = \"a__b\"\ncommand = \"x\"", "(no \"__\")"),
            ("name = \"x\"", "exactly one of"),
            ("name = \"x\"\ncommand = \"y\"\ntimeout_secs = 0", "timeout_secs"),
            ("name = \"x\"\ncommand = \"y\"\napproval = \"always\"\nallow_always = false", "contradicts"),
            ("name = \"x\"\nurl = \"ftp://host/mcp\"", "must start with http"),
            ("name = \"x\"\ncommand = \"y\"\nheaders_env = { A = \"B\" }", "for servers over HTTP"),
            ("name = \"x\"\nurl = \"http://h/mcp\"\nheaders_env = { \"Bad Header\" = \"B\" }", "not an HTTP header"),
            ("name = \"x\"\nurl = \"http://h/mcp\"\ncommand = \"y\"", "exactly one of"),
        ] {
            let error = parse(text).check().unwrap_err();
            assert!(error.contains(part), "{text}: {error}");
        }
    }
}
