//! The tools Confab's models may call.
//!
//! Each [`Tool`] declares a JSON schema for its arguments (sent to the model) and whether a
//! person must approve a call before it runs; the [`ToolRegistry`] holds the ones this server
//! offers. Tools never panic on bad arguments: they answer with a [`ToolError`] the model
//! can read.

mod calculator;
mod clock;
mod files;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

pub use calculator::Calculator;
pub use clock::CurrentTime;
pub use confab_core::ToolPolicy;
pub use files::{ListDirectory, ReadFile, Workspace};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
    #[error("no tool named {0:?}")]
    Unknown(String),
}

#[async_trait]
pub trait Tool: Send + Sync + 'static {
    fn name(&self) -> &str;
    fn description(&self) -> &str;
    /// The MCP server it comes from; `None` for Confab's own.
    fn source(&self) -> Option<&str> {
        None
    }
    /// JSON schema of the arguments object.
    fn parameters(&self) -> Value;
    /// How its calls are approved: the policy when a person set none, and whether one may
    /// set "always". Confab's own tools ask, and may be always allowed.
    fn approval(&self) -> ApprovalRule {
        ApprovalRule::default()
    }
    async fn call(&self, arguments: &Value) -> Result<String, ToolError>;
}

/// A tool's approval rule, from its server's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalRule {
    /// The policy of a person who set none.
    pub default: ToolPolicy,
    /// Whether a person may set `Always` (a dangerous server's tools may not).
    pub allow_always: bool,
}

impl Default for ApprovalRule {
    fn default() -> Self {
        ApprovalRule { default: ToolPolicy::Ask, allow_always: true }
    }
}

impl ApprovalRule {
    /// The policy that holds for a person who chose `chosen` (or nothing): a choice of
    /// "always" the rule forbids counts as "ask".
    pub fn effective(&self, chosen: Option<ToolPolicy>) -> ToolPolicy {
        match chosen.unwrap_or(self.default) {
            ToolPolicy::Always if self.allow_always => ToolPolicy::Always,
            _ => ToolPolicy::Ask,
        }
    }
}

/// Tools that come and go while the server runs (an MCP server's, as it starts, stops and
/// changes its list).
pub trait ToolSource: Send + Sync + 'static {
    fn tools(&self) -> Vec<Arc<dyn Tool>>;
}

/// The tools a server offers: its own, then those of its sources as they are now.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: Vec<Arc<dyn Tool>>,
    sources: Vec<Arc<dyn ToolSource>>,
}

impl ToolRegistry {
    /// `current_time` and `calculator`, plus `read_file` and `list_directory` when a
    /// workspace folder is given.
    pub fn standard(workspace: Option<Workspace>) -> Self {
        let mut registry = ToolRegistry::default().with(CurrentTime).with(Calculator);
        if let Some(workspace) = workspace {
            registry = registry.with(ReadFile(workspace.clone())).with(ListDirectory(workspace));
        }
        registry
    }

    pub fn with(mut self, tool: impl Tool) -> Self {
        self.tools.push(Arc::new(tool));
        self
    }

    pub fn with_source(mut self, source: Arc<dyn ToolSource>) -> Self {
        self.sources.push(source);
        self
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn Tool>> {
        self.all().into_iter().find(|t| t.name() == name)
    }

    /// Every tool on offer now.
    pub fn all(&self) -> Vec<Arc<dyn Tool>> {
        let mut all = self.tools.clone();
        for source in &self.sources {
            all.extend(source.tools());
        }
        all
    }

    /// Runs a call by name.
    pub async fn call(&self, name: &str, arguments: &Value) -> Result<String, ToolError> {
        let tool = self.get(name).ok_or_else(|| ToolError::Unknown(name.to_string()))?;
        tool.call(arguments).await
    }
}

/// The argument object, or a clear error when the model sent something else.
pub(crate) fn object(arguments: &Value) -> Result<&serde_json::Map<String, Value>, ToolError> {
    arguments.as_object().ok_or_else(|| ToolError::InvalidArguments("the arguments must be a JSON object".into()))
}

/// A required string argument.
pub(crate) fn string_arg<'a>(arguments: &'a Value, name: &str) -> Result<&'a str, ToolError> {
    object(arguments)?
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| ToolError::InvalidArguments(format!("{name:?} must be a string")))
}
