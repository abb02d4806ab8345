//! Open WebUI's chat export (Settings, Chats, Export; or a chat's Download, Export chat):
//! a list of chats, each `{id, title, chat: {history: {messages, currentId}}, created_at,
//! updated_at}` with `messages` a map of `{id, parentId, childrenIds, role, content,
//! timestamp, model}`. Older chats without `history` keep the same messages as a list in
//! `chat.messages`.

use std::collections::BTreeMap;

use app::wire::MessageRole;
use confab_core::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::tree::{Node, NodeMessage};
use super::{assemble, source, title_or_default, values, Candidate, Format};

#[derive(Deserialize)]
struct Chat {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    chat: Body,
    #[serde(default)]
    created_at: Option<f64>,
    #[serde(default)]
    updated_at: Option<f64>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    history: Option<History>,
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    timestamp: Option<f64>,
}

#[derive(Deserialize)]
struct History {
    #[serde(default)]
    messages: BTreeMap<String, Message>,
    #[serde(default, rename = "currentId")]
    current_id: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "parentId")]
    parent_id: Option<String>,
    #[serde(default, rename = "childrenIds")]
    children_ids: Vec<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    content: Value,
    #[serde(default)]
    timestamp: Option<f64>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    done: Option<bool>,
}

pub(super) fn convert(raw: &RawValue, now: Timestamp) -> Candidate {
    let chat: Chat = match serde_json::from_str(raw.get()) {
        Ok(chat) => chat,
        Err(e) => {
            return Candidate {
                title: String::new(),
                source: None,
                conversation: Err(format!("not an Open WebUI chat: {e}")),
            }
        }
    };
    let source = Some(source(Format::Openwebui, chat.id.as_deref(), raw));
    let title = title_or_default(chat.title.as_deref().or(chat.chat.title.as_deref()));
    let created_at = chat.created_at.or(chat.chat.timestamp).and_then(|t| values::from_epoch(t, now));
    let updated_at = chat.updated_at.and_then(|t| values::from_epoch(t, now));
    let (messages, current) = match chat.chat.history {
        Some(history) => (history.messages.into_iter().collect::<Vec<_>>(), history.current_id),
        None => {
            let listed: Vec<(String, Message)> = chat
                .chat
                .messages
                .into_iter()
                .enumerate()
                .map(|(n, m)| (m.id.clone().unwrap_or_else(|| format!("#{n}")), m))
                .collect();
            let last = listed.last().map(|(id, _)| id.clone());
            (listed, last)
        }
    };
    let nodes = messages.into_iter().map(|(key, message)| node(key, message, now)).collect();
    let conversation = assemble(title.clone(), created_at, updated_at, nodes, current.as_deref(), now);
    Candidate { title, source, conversation }
}

fn node(key: String, message: Message, now: Timestamp) -> Node {
    let role = match message.role.as_deref() {
        Some("user") => Some(MessageRole::User),
        Some("assistant") => Some(MessageRole::Assistant),
        Some("system") => Some(MessageRole::System),
        _ => None,
    };
    let text = content(&message.content);
    let shown = role.filter(|_| !text.trim().is_empty()).map(|role| NodeMessage {
        role,
        content: values::clean_text(&text),
        created_at: message.timestamp.and_then(|t| values::from_epoch(t, now)),
        model: message.model.filter(|m| !m.is_empty()),
        complete: message.done != Some(false),
    });
    Node {
        id: message.id.filter(|id| !id.is_empty()).unwrap_or(key),
        parent: message.parent_id.filter(|p| !p.is_empty()),
        children: message.children_ids,
        message: shown,
    }
}

/// A message's text: a string, or the text parts of a list (`{type: "text", text}`).
fn content(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| match part {
                Value::String(text) => Some(text.as_str()),
                Value::Object(object) if object.get("type").and_then(Value::as_str) == Some("text") => {
                    object.get("text").and_then(Value::as_str)
                }
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n\n"),
        _ => String::new(),
    }
}
