//! Whether a tool's calls wait for a person: a person's standing choice per tool (kept with
//! their preferences), and the tools a conversation allows for itself (kept on it).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolPolicy {
    /// Each call waits for a person's approval.
    #[default]
    Ask,
    /// Calls run without asking.
    Always,
}

impl ToolPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolPolicy::Ask => "ask",
            ToolPolicy::Always => "always",
        }
    }
}

/// The tools whose calls a conversation runs without asking ("allow in this conversation").
pub type AllowedTools = BTreeSet<String>;
