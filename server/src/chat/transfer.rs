//! Export and import: a conversation as a versioned JSON file (the whole tree) or as
//! Markdown (the active branch, for reading), and a new conversation made from such a file.
//!
//! An import trusts nothing in the file: every id, parent, branch and tool call is checked,
//! and every message gets a fresh id, so importing the same file twice gives two
//! independent conversations.

use std::collections::{HashMap, HashSet};

use app::wire::{
    BranchDTO, ExportedContext, ExportedMessage, MessageRole, ToolApproval, ToolCallDTO, EXPORT_FORMAT,
    EXPORT_OLDEST_VERSION, EXPORT_VERSION,
};
use confab_core::{
    Approval, Branch, ChatContext, ContextRow, Message, MessageId, Role, Status, StopReason, Timestamp, ToolCall,
    UserId,
};
use uuid::Uuid;

use super::dto;

/// The most messages one import may hold.
pub const MAX_IMPORT_MESSAGES: usize = 20_000;
/// The longest message of any role an import may hold, in characters.
const MAX_IMPORTED_MESSAGE_CHARS: usize = 1_000_000;

pub fn export(ctx: &ChatContext) -> ExportedContext {
    let wire = dto::context(ctx);
    ExportedContext {
        format: EXPORT_FORMAT.to_string(),
        version: EXPORT_VERSION,
        title: wire.title,
        created_at: wire.created_at,
        active_branch: wire.active_branch,
        branches: wire.branches,
        messages: ctx.messages().iter().map(exported_message).collect(),
        source_id: Some(ctx.id()),
    }
}

fn exported_message(message: &Message) -> ExportedMessage {
    let wire = dto::message(message, Vec::new());
    ExportedMessage {
        id: wire.id,
        parent_id: wire.parent_id,
        role: wire.role,
        content: wire.content,
        created_at: wire.created_at,
        complete: wire.complete,
        tool_calls: wire.tool_calls,
        tool_call_id: wire.tool_call_id,
        stop_reason: wire.stop_reason,
    }
}

/// The active branch as Markdown, for reading and sharing.
pub fn markdown(ctx: &ChatContext) -> String {
    let mut out = format!("# {}\n\n", ctx.title().replace('\n', " "));
    for message in ctx.active_path() {
        let when = message.created_at.format("%Y-%m-%d %H:%M UTC");
        let who = match message.role {
            Role::System => "System".to_string(),
            Role::User => "You".to_string(),
            Role::Assistant => "Assistant".to_string(),
            Role::Tool => format!("Tool result ({})", message.tool_call_id.as_deref().unwrap_or("?")),
        };
        out.push_str(&format!("### {who} · {when}\n\n"));
        if !message.content.is_empty() {
            out.push_str(message.content.trim_end());
            out.push_str("\n\n");
        }
        for call in &message.tool_calls {
            let approval = match call.approval {
                Approval::Pending => "waiting for approval",
                Approval::Approved => "approved",
                Approval::Denied => "denied",
            };
            out.push_str(&format!("> Tool call `{}` ({approval}): `{}`\n\n", call.name, call.arguments));
        }
        if let Some(reason) = message.stop_reason {
            out.push_str(&format!("*(stopped: {})*\n\n", stop_reason_str(reason)));
        }
    }
    out
}

fn stop_reason_str(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Cancelled => "cancelled",
        StopReason::Failed => "failed",
        StopReason::Interrupted => "interrupted",
    }
}

/// A new conversation for `owner` from an export file, or why the file is refused.
pub fn import(
    file: ExportedContext,
    owner: UserId,
    now: Timestamp,
    max_user_chars: usize,
) -> Result<ChatContext, String> {
    if file.format != EXPORT_FORMAT {
        return Err(format!("format must be {EXPORT_FORMAT:?}"));
    }
    if !(EXPORT_OLDEST_VERSION..=EXPORT_VERSION).contains(&file.version) {
        return Err(format!(
            "version {} is not supported; this server reads versions {EXPORT_OLDEST_VERSION} to {EXPORT_VERSION}",
            file.version
        ));
    }
    if file.messages.len() > MAX_IMPORT_MESSAGES {
        return Err(format!("a file may hold at most {MAX_IMPORT_MESSAGES} messages"));
    }
    let title = file.title.trim().chars().take(200).collect::<String>();
    let title = if title.is_empty() { "Imported chat".to_string() } else { title };

    // Fresh ids for everything; parents must come before their children.
    let mut new_ids: HashMap<Uuid, MessageId> = HashMap::new();
    let mut messages = Vec::with_capacity(file.messages.len());
    for (n, message) in file.messages.into_iter().enumerate() {
        let at = |what: &str| format!("messages[{n}]: {what}");
        if new_ids.contains_key(&message.id) {
            return Err(at("the id appears twice"));
        }
        let parent_id = match message.parent_id {
            None => None,
            Some(parent) => Some(*new_ids.get(&parent).ok_or_else(|| at("its parent is not an earlier message"))?),
        };
        let limit = if message.role == MessageRole::User { max_user_chars } else { MAX_IMPORTED_MESSAGE_CHARS };
        if message.content.chars().count() > limit {
            return Err(at(&format!("content is longer than {limit} characters")));
        }
        let role = role(message.role);
        if role == Role::Tool && message.tool_call_id.as_deref().is_none_or(str::is_empty) {
            return Err(at("a tool message needs its tool_call_id"));
        }
        if role != Role::Assistant && !message.tool_calls.is_empty() {
            return Err(at("only assistant messages carry tool calls"));
        }
        let stop_reason = match message.stop_reason.as_deref() {
            None => None,
            Some("cancelled") => Some(StopReason::Cancelled),
            Some("failed") => Some(StopReason::Failed),
            Some("interrupted") => Some(StopReason::Interrupted),
            Some(other) => return Err(at(&format!("unknown stop_reason {other:?}"))),
        };
        let tool_calls = tool_calls(message.tool_calls).map_err(|e| at(&e))?;
        let id = Uuid::new_v4();
        new_ids.insert(message.id, id);
        messages.push(Message {
            id,
            parent_id,
            role,
            content: message.content,
            created_at: message.created_at,
            // Nothing streams into an imported conversation.
            complete: true,
            stop_reason: stop_reason.or((!message.complete).then_some(StopReason::Interrupted)),
            tool_calls,
            tool_call_id: message.tool_call_id,
            client_action_id: None,
            stream_seq: 0,
        });
    }

    let mut names = HashSet::new();
    let mut branches = Vec::with_capacity(file.branches.len());
    for BranchDTO { name, head_message_id } in file.branches {
        if name.trim().is_empty() || name.chars().count() > 100 || !names.insert(name.clone()) {
            return Err(format!("branch {name:?}: names must be 1 to 100 characters and unique"));
        }
        let head = match head_message_id {
            None => None,
            Some(head) => {
                Some(*new_ids.get(&head).ok_or_else(|| format!("branch {name:?}: its head is not a message"))?)
            }
        };
        branches.push(Branch { name, head });
    }
    if !names.contains(&file.active_branch) {
        return Err(format!("active_branch {:?} is not one of the branches", file.active_branch));
    }

    let row = ContextRow {
        id: Uuid::new_v4(),
        owner,
        title,
        title_is_manual: true,
        status: Status::Idle,
        version: 0,
        created_at: file.created_at,
        updated_at: now,
        active_branch: file.active_branch,
        branches,
        last_error: None,
        recent_actions: Vec::new(),
    };
    ChatContext::imported(row, messages).ok_or_else(|| "the messages do not form a valid tree".to_string())
}

fn role(role: MessageRole) -> Role {
    match role {
        MessageRole::System => Role::System,
        MessageRole::User => Role::User,
        MessageRole::Assistant => Role::Assistant,
        MessageRole::Tool => Role::Tool,
    }
}

fn tool_calls(calls: Vec<ToolCallDTO>) -> Result<Vec<ToolCall>, String> {
    let mut seen = HashSet::new();
    calls
        .into_iter()
        .map(|call| {
            if call.id.trim().is_empty() || call.name.trim().is_empty() || !seen.insert(call.id.clone()) {
                return Err("tool calls need a unique id and a name".to_string());
            }
            let approval = match call.approval {
                ToolApproval::Pending => Approval::Pending,
                ToolApproval::Approved => Approval::Approved,
                ToolApproval::Denied => Approval::Denied,
            };
            Ok(ToolCall {
                id: call.id,
                name: call.name,
                arguments: call.arguments,
                approval,
                result: call.result,
                error: call.error,
            })
        })
        .collect()
}
