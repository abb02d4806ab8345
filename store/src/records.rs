//! Flat records between the domain types and SQL rows, shared by every backend: ids as
//! text, timestamps as Unix milliseconds, nested parts (branches, tool calls) as JSON.

use chrono::DateTime;
use confab_core::{ChatContext, ContextRow, Message, Place, Role, Status, StopReason, Timestamp};
use uuid::Uuid;

use crate::{ContextSummary, StoreError, User};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ContextRecord {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub title_is_manual: bool,
    pub status: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub active_branch: String,
    pub branches: String,
    pub last_error: Option<String>,
    pub recent_actions: String,
    pub settings: Option<String>,
    pub context_window_start: Option<String>,
    /// JSON; `NULL` is the default place (not pinned, not archived, no folder).
    pub place: Option<String>,
    /// JSON array of tool names; `NULL` is none.
    pub allowed_tools: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MessageRecord {
    pub id: String,
    pub context_id: String,
    pub position: i64,
    pub parent_id: Option<String>,
    pub role: String,
    pub content: String,
    pub created_at: i64,
    pub complete: bool,
    pub tool_calls: String,
    pub tool_call_id: Option<String>,
    pub client_action_id: Option<String>,
    pub stop_reason: Option<String>,
    pub stream_seq: i64,
    pub model: Option<String>,
    pub reasoning: Option<String>,
    pub reasoning_seq: i64,
    pub usage: Option<String>,
    pub timing: Option<String>,
    /// A JSON array of [`confab_core::Attachment`]; NULL when none.
    pub attachments: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SummaryRecord {
    pub id: String,
    pub title: String,
    pub status: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub place: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UserRecord {
    pub id: String,
    pub username: String,
    pub created_at: i64,
    pub admin: bool,
}

impl UserRecord {
    pub fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            id: parse_uuid(&self.id)?,
            username: self.username,
            created_at: parse_millis(self.created_at)?,
            admin: self.admin,
        })
    }
}

/// A unique key taken (a username, an id) is a conflict; anything else as usual.
pub(crate) fn unique_violation(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => error.into(),
    }
}

impl ContextRecord {
    pub fn from_row(row: &ContextRow) -> Self {
        ContextRecord {
            id: row.id.to_string(),
            owner: row.owner.to_string(),
            title: row.title.clone(),
            title_is_manual: row.title_is_manual,
            status: row.status.as_str().to_string(),
            version: row.version as i64,
            created_at: row.created_at.timestamp_millis(),
            updated_at: row.updated_at.timestamp_millis(),
            active_branch: row.active_branch.clone(),
            branches: to_json(&row.branches),
            last_error: row.last_error.clone(),
            recent_actions: to_json(&row.recent_actions),
            settings: Some(to_json(&row.settings)),
            context_window_start: row.context_window_start.map(|id| id.to_string()),
            place: (row.place != Place::default()).then(|| to_json(&row.place)),
            allowed_tools: (!row.allowed_tools.is_empty()).then(|| to_json(&row.allowed_tools)),
        }
    }

    pub fn into_row(self) -> Result<ContextRow, StoreError> {
        Ok(ContextRow {
            id: parse_uuid(&self.id)?,
            owner: parse_uuid(&self.owner)?,
            title: self.title,
            title_is_manual: self.title_is_manual,
            status: parse_status(&self.status)?,
            version: self.version as u64,
            created_at: parse_millis(self.created_at)?,
            updated_at: parse_millis(self.updated_at)?,
            active_branch: self.active_branch,
            branches: from_json(&self.branches, "branches")?,
            last_error: self.last_error,
            recent_actions: from_json(&self.recent_actions, "recent_actions")?,
            settings: self.settings.as_deref().map(|s| from_json(s, "settings")).transpose()?.unwrap_or_default(),
            context_window_start: self.context_window_start.as_deref().map(parse_uuid).transpose()?,
            place: parse_place(self.place.as_deref())?,
            allowed_tools: self
                .allowed_tools
                .as_deref()
                .map(|s| from_json(s, "allowed_tools"))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    pub fn byte_len(&self) -> usize {
        self.title.len()
            + self.branches.len()
            + self.recent_actions.len()
            + self.last_error.as_ref().map_or(0, String::len)
            + self.settings.as_ref().map_or(0, String::len)
    }
}

impl MessageRecord {
    pub fn from_message(context_id: &str, position: usize, message: &Message) -> Self {
        MessageRecord {
            id: message.id.to_string(),
            context_id: context_id.to_string(),
            position: position as i64,
            parent_id: message.parent_id.map(|id| id.to_string()),
            role: message.role.as_str().to_string(),
            content: message.content.clone(),
            created_at: message.created_at.timestamp_millis(),
            complete: message.complete,
            tool_calls: to_json(&message.tool_calls),
            tool_call_id: message.tool_call_id.clone(),
            client_action_id: message.client_action_id.clone(),
            stop_reason: message.stop_reason.map(|r| r.as_str().to_string()),
            stream_seq: message.stream_seq as i64,
            model: message.model.clone(),
            reasoning: message.reasoning.clone(),
            reasoning_seq: message.reasoning_seq as i64,
            usage: message.usage.as_ref().map(to_json),
            timing: message.timing.as_ref().map(to_json),
            attachments: (!message.attachments.is_empty()).then(|| to_json(&message.attachments)),
        }
    }

    pub fn into_message(self) -> Result<Message, StoreError> {
        Ok(Message {
            id: parse_uuid(&self.id)?,
            parent_id: self.parent_id.as_deref().map(parse_uuid).transpose()?,
            role: Role::parse(&self.role).ok_or_else(|| corrupt(format!("unknown role {:?}", self.role)))?,
            content: self.content,
            created_at: parse_millis(self.created_at)?,
            complete: self.complete,
            tool_calls: from_json(&self.tool_calls, "tool_calls")?,
            tool_call_id: self.tool_call_id,
            client_action_id: self.client_action_id,
            stop_reason: self.stop_reason.as_deref().map(parse_stop_reason).transpose()?,
            stream_seq: self.stream_seq as u64,
            model: self.model,
            reasoning: self.reasoning,
            reasoning_seq: self.reasoning_seq as u64,
            usage: self.usage.as_deref().map(|u| from_json(u, "usage")).transpose()?,
            timing: self.timing.as_deref().map(|t| from_json(t, "timing")).transpose()?,
            attachments: self
                .attachments
                .as_deref()
                .map(|a| from_json(a, "attachments"))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    pub fn byte_len(&self) -> usize {
        self.content.len()
            + self.tool_calls.len()
            + self.reasoning.as_ref().map_or(0, String::len)
            + self.model.as_ref().map_or(0, String::len)
            + self.attachments.as_ref().map_or(0, String::len)
    }
}

/// A context from its stored row and messages (in position order).
pub(crate) fn into_context(row: ContextRecord, messages: Vec<MessageRecord>) -> Result<ChatContext, StoreError> {
    let id = row.id.clone();
    let messages = messages.into_iter().map(MessageRecord::into_message).collect::<Result<_, _>>()?;
    ChatContext::from_parts(row.into_row()?, messages)
        .ok_or_else(|| corrupt(format!("context {id} does not form a valid tree")))
}

impl SummaryRecord {
    pub fn into_summary(self) -> Result<ContextSummary, StoreError> {
        Ok(ContextSummary {
            id: parse_uuid(&self.id)?,
            title: self.title,
            status: parse_status(&self.status)?,
            version: self.version as u64,
            created_at: parse_millis(self.created_at)?,
            updated_at: parse_millis(self.updated_at)?,
            place: parse_place(self.place.as_deref())?,
        })
    }
}

fn parse_place(place: Option<&str>) -> Result<Place, StoreError> {
    Ok(place.map(|p| from_json(p, "place")).transpose()?.unwrap_or_default())
}

fn parse_stop_reason(s: &str) -> Result<StopReason, StoreError> {
    StopReason::parse(s).ok_or_else(|| corrupt(format!("unknown stop reason {s:?}")))
}

pub(crate) fn parse_status(s: &str) -> Result<Status, StoreError> {
    Status::parse(s).ok_or_else(|| corrupt(format!("unknown status {s:?}")))
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|_| corrupt(format!("bad id {s:?}")))
}

pub(crate) fn parse_millis(millis: i64) -> Result<Timestamp, StoreError> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| corrupt(format!("bad timestamp {millis}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data always serializes")
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("{what}: {e}")))
}

fn corrupt(message: String) -> StoreError {
    StoreError::Corrupt(message)
}
