//! ChatGPT's data export: `conversations.json`, a list of conversations, each a `mapping` of
//! nodes (`parent`, `children`, `message`) and the `current_node` shown.
//!
//! Kept: user, assistant and visible system messages with text (`text` and
//! `multimodal_text` parts; an image part reads `[image]`) and the code an assistant ran.
//! Left out, their children kept: the empty root, hidden system messages, tool outputs,
//! browsing and reasoning displays, and anything else without text to show.

use std::collections::BTreeMap;

use app::wire::MessageRole;
use confab_core::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::tree::{Node, NodeMessage};
use super::{assemble, source, title_or_default, values, Candidate, Format};

#[derive(Deserialize)]
struct Conversation {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    update_time: Option<f64>,
    mapping: BTreeMap<String, MappingNode>,
    #[serde(default)]
    current_node: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct MappingNode {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    children: Vec<String>,
}

#[derive(Deserialize)]
struct Message {
    author: Author,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    recipient: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct Author {
    role: String,
}

#[derive(Deserialize)]
struct Content {
    content_type: String,
    #[serde(default)]
    parts: Vec<Value>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    model_slug: Option<String>,
    #[serde(default)]
    is_visually_hidden_from_conversation: Option<bool>,
}

pub(super) fn convert(raw: &RawValue, now: Timestamp) -> Candidate {
    let conversation: Conversation = match serde_json::from_str(raw.get()) {
        Ok(conversation) => conversation,
        Err(e) => {
            return Candidate {
                title: String::new(),
                source: None,
                conversation: Err(format!("not a ChatGPT conversation: {e}")),
            }
        }
    };
    let id = conversation.conversation_id.as_deref().or(conversation.id.as_deref());
    let source = Some(source(Format::Chatgpt, id, raw));
    let title = title_or_default(conversation.title.as_deref());
    let created_at = conversation.create_time.and_then(|t| values::from_epoch(t, now));
    let updated_at = conversation.update_time.and_then(|t| values::from_epoch(t, now));
    let nodes = conversation
        .mapping
        .into_iter()
        .map(|(id, node)| Node {
            id,
            parent: node.parent.filter(|p| !p.is_empty()),
            children: node.children,
            message: node.message.and_then(|m| message(m, now)),
        })
        .collect();
    let current = conversation.current_node;
    let conversation = assemble(title.clone(), created_at, updated_at, nodes, current.as_deref(), now);
    Candidate { title, source, conversation }
}

/// The message a node shows, if it shows one.
fn message(message: Message, now: Timestamp) -> Option<NodeMessage> {
    let role = match message.author.role.as_str() {
        "user" => MessageRole::User,
        "assistant" => MessageRole::Assistant,
        "system" => MessageRole::System,
        _ => return None,
    };
    let metadata = message.metadata.unwrap_or_default();
    if metadata.is_visually_hidden_from_conversation == Some(true) {
        return None;
    }
    let content = message.content?;
    let text = match content.content_type.as_str() {
        "text" | "multimodal_text" => content.parts.iter().filter_map(part).collect::<Vec<_>>().join("\n\n"),
        "code" if matches!(message.recipient.as_deref(), None | Some("all" | "python")) => {
            let language = content.language.filter(|l| l != "unknown").unwrap_or_default();
            format!("```{language}\n{}\n```", content.text.unwrap_or_default().trim_end())
        }
        _ => return None,
    };
    if text.trim().is_empty() {
        return None;
    }
    Some(NodeMessage {
        role,
        content: values::clean_text(&text),
        created_at: message.create_time.and_then(|t| values::from_epoch(t, now)),
        model: metadata.model_slug.filter(|m| !m.is_empty()),
        complete: message.status.as_deref() != Some("in_progress"),
    })
}

/// The text of one part of a message: a string, a transcript, or a placeholder for an image.
fn part(part: &Value) -> Option<String> {
    match part {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Object(object) => match object.get("content_type").and_then(Value::as_str) {
            Some("image_asset_pointer") => Some("[image]".into()),
            Some("audio_transcription") => object.get("text").and_then(Value::as_str).map(str::to_string),
            _ => None,
        },
        _ => None,
    }
}
