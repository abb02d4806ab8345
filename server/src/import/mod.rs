//! Imports of conversations from files: Confab's own export and the exports of its peers
//! (ChatGPT's `conversations.json` or its `.zip`, Open WebUI's chat export, LibreChat's
//! conversation export).
//!
//! A file becomes a list of candidates, one per conversation, each turned into Confab's own
//! export structure ([`ExportedContext`]) or the reason it cannot be; [`service`] then
//! checks and stores each on its own. The top level of a file is split into the raw text of
//! its conversations first, and each is parsed only when its turn comes, so a large file is
//! never held in memory twice over.

mod chatgpt;
mod confab;
mod librechat;
mod nested;
mod openwebui;
pub(crate) mod service;
mod tree;
mod values;
mod zipfile;

use app::wire::{ExportedContext, EXPORT_FORMAT, EXPORT_VERSION};
use confab_core::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// The formats `?format=` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Confab,
    Chatgpt,
    Openwebui,
    Librechat,
}

impl Format {
    /// How sources of this format are named: `chatgpt:<their id>`.
    fn prefix(self) -> &'static str {
        match self {
            Format::Confab => "confab",
            Format::Chatgpt => "chatgpt",
            Format::Openwebui => "openwebui",
            Format::Librechat => "librechat",
        }
    }
}

/// One conversation of a file.
pub(crate) struct Candidate {
    pub title: String,
    /// Where it came from, e.g. `chatgpt:<their id>`: a second import of it is skipped.
    pub source: Option<String>,
    pub conversation: Result<Conversation, String>,
}

/// A conversation in Confab's terms, not yet checked by the chat service.
pub(crate) struct Conversation {
    pub file: ExportedContext,
    /// When it was last active, by the file (or by its messages).
    pub updated_at: Timestamp,
}

/// A file's conversations, their text not yet parsed.
pub(crate) struct Split<'a> {
    pub format: Format,
    pub items: Vec<&'a RawValue>,
    /// The file is one JSON object (not a list).
    pub object: bool,
}

/// Splits a JSON file into its conversations and recognizes its format unless `named`.
/// Errors name what is wrong with the file as a whole (nothing of it can be imported).
pub(crate) fn split(json: &[u8], named: Option<Format>) -> Result<Split<'_>, String> {
    let json = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    let top: &RawValue = serde_json::from_slice(json).map_err(|e| format!("the file is not valid JSON: {e}"))?;
    let text = top.get();
    let (items, object) = if text.starts_with('[') {
        let items: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|e| format!("the file is not valid JSON: {e}"))?;
        (items, false)
    } else if text.starts_with('{') {
        (vec![top], true)
    } else {
        return Err("the file holds neither a conversation nor a list of conversations".into());
    };
    let format = match (named, items.first()) {
        (Some(format), _) => format,
        (None, Some(first)) => detect(first)?,
        (None, None) => Format::Confab,
    };
    Ok(Split { format, items, object })
}

/// The format of a file, from its first conversation.
fn detect(first: &RawValue) -> Result<Format, String> {
    #[derive(Deserialize)]
    #[allow(non_snake_case)]
    struct Probe {
        format: Option<serde_json::Value>,
        mapping: Option<serde::de::IgnoredAny>,
        chat: Option<serde::de::IgnoredAny>,
        conversationId: Option<serde::de::IgnoredAny>,
        messages: Option<serde::de::IgnoredAny>,
        messagesTree: Option<serde::de::IgnoredAny>,
    }
    let unknown = "the file's format is not recognized: expected a Confab export, ChatGPT's conversations.json \
                   (or its .zip), an Open WebUI chat export or a LibreChat conversation export; name it with \
                   ?format=confab|chatgpt|openwebui|librechat";
    let probe: Probe = serde_json::from_str(first.get()).map_err(|_| unknown.to_string())?;
    Ok(if probe.format.as_ref().and_then(|f| f.as_str()) == Some(EXPORT_FORMAT) {
        Format::Confab
    } else if probe.mapping.is_some() {
        Format::Chatgpt
    } else if probe.chat.is_some() {
        Format::Openwebui
    } else if probe.messagesTree.is_some() || (probe.conversationId.is_some() && probe.messages.is_some()) {
        Format::Librechat
    } else {
        return Err(unknown.into());
    })
}

/// Parses the `n`th conversation (from 0) of a file of `format`.
pub(crate) fn convert(format: Format, raw: &RawValue, n: usize, now: Timestamp) -> Candidate {
    let mut candidate = match format {
        Format::Confab => confab::convert(raw),
        Format::Chatgpt => chatgpt::convert(raw, now),
        Format::Openwebui => openwebui::convert(raw, now),
        Format::Librechat => librechat::convert(raw, now),
    };
    if candidate.title.is_empty() {
        candidate.title = title_of(raw).unwrap_or_else(|| format!("Conversation {}", n + 1));
    }
    candidate
}

/// A conversation's `title`, read leniently (for naming one that cannot be parsed).
fn title_of(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Titled {
        title: Option<serde_json::Value>,
    }
    let titled: Titled = serde_json::from_str(raw.get()).ok()?;
    let title = values::clean_title(titled.title?.as_str()?);
    (!title.is_empty()).then_some(title)
}

/// `<format>:<their id>`, or, when the file gives no id, `<format>:sha256:<hash of the
/// conversation's text>` so that the same file imported again is still recognized.
fn source(format: Format, id: Option<&str>, raw: &RawValue) -> String {
    match id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => format!("{}:{}", format.prefix(), id.chars().take(200).collect::<String>()),
        None => {
            let digest = Sha256::digest(raw.get().as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("{}:sha256:{hex}", format.prefix())
        }
    }
}

/// A peer's conversation made into an export file: `nodes` become the message tree, the
/// conversation's times fall back to its messages' (and to `now`).
fn assemble(
    title: String,
    created_at: Option<Timestamp>,
    updated_at: Option<Timestamp>,
    nodes: Vec<tree::Node>,
    current: Option<&str>,
    now: Timestamp,
) -> Result<Conversation, String> {
    let times = || nodes.iter().filter_map(|n| n.message.as_ref()?.created_at);
    let created_at = created_at.or_else(|| times().min()).unwrap_or(now);
    let updated_at = updated_at.or_else(|| times().max()).unwrap_or(created_at).max(created_at);
    let built = tree::build(nodes, current, created_at)?;
    if built.messages.is_empty() {
        return Err("it holds no messages".into());
    }
    let file = ExportedContext {
        format: EXPORT_FORMAT.to_string(),
        version: EXPORT_VERSION,
        title,
        created_at,
        active_branch: tree::ACTIVE_BRANCH.to_string(),
        branches: built.branches,
        messages: built.messages,
        source_id: None,
        settings: None,
        place: None,
    };
    Ok(Conversation { file, updated_at })
}

/// What a conversation of a file is called when it names no title.
fn title_or_default(title: Option<&str>) -> String {
    title.map(values::clean_title).unwrap_or_default()
}
