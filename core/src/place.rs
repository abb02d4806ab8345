//! Where a conversation sits in its owner's list: pinned to the top, archived out of the
//! list, in a folder. Kept on the context row like its title, but no part of the chat: the
//! state machine never reads it, and changing it does not make the conversation recent.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub archived: bool,
    /// One of the owner's folders; a folder that was deleted counts as none.
    #[serde(default)]
    pub folder: Option<Uuid>,
}
