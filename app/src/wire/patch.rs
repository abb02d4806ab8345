//! Patches on the wire (DESIGN.md section 7, opt-in): what changed from one version of a
//! conversation to the next, so a client that holds a window of it never gets the whole
//! conversation again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ActionResponse, BranchDTO, ChatContextDTO, ChatStatus, MessageDTO, SettingsDTO};

/// Every field of a [`ChatContextDTO`] but its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContextFieldsDTO {
    pub id: Uuid,
    pub title: String,
    pub status: ChatStatus,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub active_branch: String,
    pub branches: Vec<BranchDTO>,
    pub last_error: Option<String>,
    #[serde(default)]
    pub settings: SettingsDTO,
    #[serde(default)]
    pub context_window_start: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_before: Option<u64>,
}

impl ContextFieldsDTO {
    /// The fields of a whole context (its messages left aside).
    pub fn of(context: &ChatContextDTO) -> Self {
        ContextFieldsDTO {
            id: context.id,
            title: context.title.clone(),
            status: context.status,
            version: context.version,
            created_at: context.created_at,
            updated_at: context.updated_at,
            active_branch: context.active_branch.clone(),
            branches: context.branches.clone(),
            last_error: context.last_error.clone(),
            settings: context.settings.clone(),
            context_window_start: context.context_window_start,
            messages_before: context.messages_before,
        }
    }

    /// A whole context: these fields with `messages`.
    pub fn with_messages(&self, messages: Vec<MessageDTO>) -> ChatContextDTO {
        ChatContextDTO {
            id: self.id,
            title: self.title.clone(),
            status: self.status,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            active_branch: self.active_branch.clone(),
            branches: self.branches.clone(),
            messages,
            last_error: self.last_error.clone(),
            settings: self.settings.clone(),
            context_window_start: self.context_window_start,
            messages_before: self.messages_before,
        }
    }
}

/// The change from `base_version` to `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PatchDTO {
    pub base_version: u64,
    pub version: u64,
    pub context: ContextFieldsDTO,
    /// Messages added or changed (a client keeps those of its window, drops the rest).
    #[serde(default)]
    pub upserts: Vec<MessageDTO>,
    /// The ids of the window's messages, oldest first, when they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<Uuid>>,
}

/// What an action sent with `base_version` answers: the change from that version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionPatchResponse {
    pub status: ChatStatus,
    pub patch: PatchDTO,
}

/// What an action answers: with `base_version`, the patch from it; otherwise, or when that
/// version is too old, the whole (windowed) state. Read back by whether it has `patch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ActionReply {
    Patch(ActionPatchResponse),
    Whole(ActionResponse),
}

impl<'de> Deserialize<'de> for ActionReply {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::shape::by_field(deserializer, "patch", ActionReply::Patch, ActionReply::Whole)
    }
}
