//! A user's defaults for new conversations, their named presets and their tool policies,
//! kept as one document that changes by compare-and-swap on its version.

use async_trait::async_trait;
use std::collections::BTreeMap;

use confab_core::{ModelSettings, Timestamp, ToolPolicy, UserId};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Everything a user set up for starting conversations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserPreferences {
    /// `provider/model`; `None`: the server's default.
    #[serde(default)]
    pub default_model: Option<String>,
    /// `None`: Confab's default system prompt.
    #[serde(default)]
    pub default_system_prompt: Option<String>,
    #[serde(default)]
    pub presets: Vec<Preset>,
    /// What the user chose for a tool's calls (by the tool's name); a tool not here follows
    /// its server's default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tool_policies: BTreeMap<String, ToolPolicy>,
}

/// Named settings to start a conversation from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub id: uuid::Uuid,
    pub name: String,
    pub settings: ModelSettings,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait Preferences: Send + Sync + 'static {
    /// A user's preferences and their version (0 and the defaults for a user who never
    /// saved any).
    async fn preferences(&self, user: UserId) -> Result<(UserPreferences, u64), StoreError>;

    /// Replaces a user's preferences if they are still at version `expected` (they then are
    /// at `expected + 1`); [`StoreError::Conflict`] when someone saved in between.
    async fn put_preferences(
        &self,
        user: UserId,
        preferences: &UserPreferences,
        expected: u64,
    ) -> Result<(), StoreError>;
}
