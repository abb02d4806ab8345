//! LibreChat's conversation export (a conversation's Export, JSON): `{conversationId, title,
//! messages | messagesTree, recursive}`, messages with `messageId`, `parentMessageId` (the
//! nil UUID for the first), `isCreatedByUser`, `text` (or `content` parts), `model` and
//! `createdAt`. With "recursive" the messages are nested, each holding its replies in
//! `children`; flat otherwise. The file marks no message current: the branch shown is the
//! one LibreChat shows first, the latest reply at every turn.

use app::wire::MessageRole;
use confab_core::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::tree::{Node, NodeMessage};
use super::{assemble, nested, source, title_or_default, values, Candidate, Format};

/// LibreChat's parent of a first message.
const NO_PARENT: &str = "00000000-0000-0000-0000-000000000000";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export<'a> {
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default, borrow)]
    messages: Option<&'a RawValue>,
    #[serde(default, borrow)]
    messages_tree: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    message_id: String,
    #[serde(default)]
    parent_message_id: Option<String>,
    #[serde(default)]
    is_created_by_user: Option<bool>,
    #[serde(default)]
    sender: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    content: Option<Vec<Value>>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    unfinished: Option<bool>,
}

pub(super) fn convert(raw: &RawValue, now: Timestamp) -> Candidate {
    let broken = |reason: String| Candidate { title: String::new(), source: None, conversation: Err(reason) };
    let export: Export = match serde_json::from_str(raw.get()) {
        Ok(export) => export,
        Err(e) => return broken(format!("not a LibreChat conversation: {e}")),
    };
    let source = Some(source(Format::Librechat, export.conversation_id.as_deref(), raw));
    let title = title_or_default(export.title.as_deref());
    let Some(list) = export.messages_tree.or(export.messages) else {
        return broken("it has neither messages nor messagesTree".into());
    };
    let conversation = nodes(list.get(), now)
        .and_then(|nodes| assemble(title.clone(), None, None, nodes, None, now))
        .map_err(|e| e.to_string());
    Candidate { title, source, conversation }
}

/// The messages, nested or flat; a nested message's parent is the one it is nested in.
fn nodes(list: &str, now: Timestamp) -> Result<Vec<Node>, String> {
    let flat = nested::flatten(list)?;
    let mut ids: Vec<String> = Vec::with_capacity(flat.len());
    let mut nodes = Vec::with_capacity(flat.len());
    for (n, item) in flat.into_iter().enumerate() {
        let message: Message =
            serde_json::from_str(&item.json).map_err(|e| format!("message {}: not a LibreChat message: {e}", n + 1))?;
        let parent = match item.parent {
            Some(parent) => Some(ids[parent].clone()),
            None => message.parent_message_id.clone().filter(|p| !p.is_empty() && p != NO_PARENT),
        };
        ids.push(message.message_id.clone());
        nodes.push(node(message, parent, now));
    }
    Ok(nodes)
}

fn node(message: Message, parent: Option<String>, now: Timestamp) -> Node {
    let by_user = message.is_created_by_user.unwrap_or(message.sender.as_deref() == Some("User"));
    let text = match message.text.filter(|t| !t.trim().is_empty()) {
        Some(text) => text,
        None => message.content.as_deref().map(content).unwrap_or_default(),
    };
    let shown = (!text.trim().is_empty()).then(|| NodeMessage {
        role: if by_user { MessageRole::User } else { MessageRole::Assistant },
        content: values::clean_text(&text),
        created_at: message.created_at.as_deref().and_then(|t| values::from_text(t, now)),
        model: message.model.filter(|m| !by_user && !m.is_empty()),
        complete: message.unfinished != Some(true),
    });
    Node { id: message.message_id, parent, children: Vec::new(), message: shown }
}

/// The text parts of a message's `content` (`{type: "text", text: "..." | {value}}`);
/// reasoning and tool calls are left out.
fn content(parts: &[Value]) -> String {
    parts
        .iter()
        .filter(|part| part.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|part| match part.get("text") {
            Some(Value::String(text)) => Some(text.as_str()),
            Some(Value::Object(object)) => object.get("value").and_then(Value::as_str),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
