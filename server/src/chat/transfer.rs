//! Export and import: a conversation as a versioned JSON file (the whole tree) or as
//! Markdown (the active branch, for reading), and a new conversation made from such a file.
//!
//! An import trusts nothing in the file: every id, parent, branch and tool call is checked,
//! and every message gets a fresh id, so importing the same file twice gives two
//! independent conversations.

use std::collections::{HashMap, HashSet};

use app::limits::{clean_name, replace_nul_in_json, replace_nul_owned, MAX_BRANCH_CHARS, MAX_TITLE_CHARS};
use app::wire::{
    self, BranchDTO, ExportedAttachment, ExportedContext, ExportedMessage, ExportedPlace, MessageRole, SettingsDTO,
    ToolApproval, ToolCallDTO, EXPORT_FORMAT, EXPORT_OLDEST_VERSION, EXPORT_VERSION,
};
use confab_core::{
    Approval, Attachment, Branch, ChatContext, ContextRow, Message, MessageId, ModelSettings, Place, Role,
    SettingsPatch, Status, StopReason, Timestamp, Timing, ToolCall, Usage, UserId,
};
use uuid::Uuid;

use super::dto;

/// The most messages one import may hold.
pub const MAX_IMPORT_MESSAGES: usize = 20_000;
/// The longest message of any role an import may hold, in characters.
const MAX_IMPORTED_MESSAGE_CHARS: usize = 1_000_000;

/// The conversation as a file; `folder` is the name of its folder, if it is in one.
pub fn export(ctx: &ChatContext, folder: Option<String>) -> ExportedContext {
    let wire = dto::context(ctx);
    let place = &ctx.row().place;
    let place = ExportedPlace { pinned: place.pinned, archived: place.archived, folder };
    let place = (place != ExportedPlace::default()).then_some(place);
    ExportedContext {
        format: EXPORT_FORMAT.to_string(),
        version: EXPORT_VERSION,
        title: wire.title,
        created_at: wire.created_at,
        active_branch: wire.active_branch,
        branches: wire.branches,
        messages: ctx.messages().iter().map(exported_message).collect(),
        settings: Some(wire.settings),
        source_id: Some(ctx.id()),
        place,
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
        model: wire.model,
        reasoning: wire.reasoning,
        usage: wire.usage,
        timing: wire.timing,
        // The bytes are the caller's to add (they are in the store): see `ChatService::export`.
        attachments: message
            .attachments
            .iter()
            .map(|file| ExportedAttachment {
                id: file.id,
                name: file.name.clone(),
                media_type: file.media_type.clone(),
                size: file.size,
                data: None,
            })
            .collect(),
    }
}

/// What a share link shows: the active branch as it is now, in the export format (so that a
/// viewer's "Continue in my account" imports it like any file), without the conversation's
/// settings (its system prompt is the owner's, not part of what they share) or system
/// messages, and with no way back to the original (no `source_id`).
pub fn share_snapshot(ctx: &ChatContext) -> ExportedContext {
    let mut messages: Vec<ExportedMessage> = Vec::new();
    for message in ctx.active_path().into_iter().filter(|m| m.role != Role::System) {
        let mut exported = exported_message(message);
        exported.parent_id = messages.last().map(|previous| previous.id);
        messages.push(exported);
    }
    let branch = "main".to_string();
    ExportedContext {
        format: EXPORT_FORMAT.to_string(),
        version: EXPORT_VERSION,
        title: ctx.title().to_string(),
        created_at: ctx.created_at(),
        active_branch: branch.clone(),
        branches: vec![BranchDTO { name: branch, head_message_id: messages.last().map(|m| m.id) }],
        messages,
        settings: None,
        source_id: None,
        place: None,
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
            out.push_str(&format!("*(stopped: {})*\n\n", reason.as_str()));
        }
    }
    out
}

/// A new conversation for `owner` from an export file, or why the file is refused.
/// `files` maps the ids of the files the file's messages carry to what they became here
/// (see `ChatService::import_files`); a file not among them is left out.
pub fn import(
    file: ExportedContext,
    owner: UserId,
    now: Timestamp,
    max_user_chars: usize,
    files: &HashMap<Uuid, Attachment>,
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
    // Text from a file is history: what cannot be kept is replaced, never refused.
    let title = clean_name(file.title.trim()).chars().take(MAX_TITLE_CHARS).collect::<String>();
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
        let stop_reason = message
            .stop_reason
            .map(|reason| {
                stop_reason(reason).ok_or_else(|| at("stop_reason must be cancelled, failed, interrupted or length"))
            })
            .transpose()?;
        let tool_calls = tool_calls(message.tool_calls).map_err(|e| at(&e))?;
        let id = Uuid::new_v4();
        new_ids.insert(message.id, id);
        messages.push(Message {
            id,
            parent_id,
            role,
            content: replace_nul_owned(message.content),
            created_at: message.created_at,
            // Nothing streams into an imported conversation.
            complete: true,
            stop_reason: stop_reason.or((!message.complete).then_some(StopReason::Interrupted)),
            tool_calls,
            tool_call_id: message.tool_call_id.map(replace_nul_owned),
            client_action_id: None,
            stream_seq: 0,
            model: message.model.map(|m| clean_name(&m).into_owned()),
            reasoning: message.reasoning.map(replace_nul_owned),
            reasoning_seq: 0,
            usage: message
                .usage
                .map(|u| Usage { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens }),
            timing: message.timing.map(|t| Timing {
                first_token_ms: t.first_token_ms,
                tokens_per_second: t.tokens_per_second,
                reasoning_ms: t.reasoning_ms,
            }),
            attachments: message.attachments.iter().filter_map(|file| files.get(&file.id).cloned()).collect(),
        });
    }

    let mut names = HashSet::new();
    let mut branches = Vec::with_capacity(file.branches.len());
    for BranchDTO { name, head_message_id } in file.branches {
        let name = clean_name(&name).into_owned();
        if name.trim().is_empty() || name.chars().count() > MAX_BRANCH_CHARS || !names.insert(name.clone()) {
            return Err(format!("branch {name:?}: names must be 1 to {MAX_BRANCH_CHARS} characters and unique"));
        }
        let head = match head_message_id {
            None => None,
            Some(head) => {
                Some(*new_ids.get(&head).ok_or_else(|| format!("branch {name:?}: its head is not a message"))?)
            }
        };
        branches.push(Branch { name, head });
    }
    let active_branch = clean_name(&file.active_branch).into_owned();
    if !names.contains(&active_branch) {
        return Err(format!("active_branch {active_branch:?} is not one of the branches"));
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
        active_branch,
        branches,
        last_error: None,
        recent_actions: Vec::new(),
        settings: file.settings.map(imported_settings).transpose()?.unwrap_or_default(),
        context_window_start: None,
        // A file grants no tool anything: what ran without asking there asks here.
        allowed_tools: Default::default(),
        // Its folder, by name, is the caller's to find.
        place: Place {
            pinned: file.place.as_ref().is_some_and(|p| p.pinned),
            archived: file.place.as_ref().is_some_and(|p| p.archived),
            folder: None,
        },
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

/// `None` for a reason this server does not know.
fn stop_reason(reason: wire::StopReason) -> Option<StopReason> {
    match reason {
        wire::StopReason::Cancelled => Some(StopReason::Cancelled),
        wire::StopReason::Failed => Some(StopReason::Failed),
        wire::StopReason::Interrupted => Some(StopReason::Interrupted),
        wire::StopReason::Length => Some(StopReason::Length),
        wire::StopReason::Unknown => None,
    }
}

/// A file's settings, checked like an `update_settings` (the model need not exist here: a
/// conversation from another server keeps its model's name, and fails clearly if used).
fn imported_settings(settings: SettingsDTO) -> Result<ModelSettings, String> {
    let patch = SettingsPatch {
        model: Some(settings.model),
        system_prompt: Some(settings.system_prompt),
        temperature: Some(settings.temperature),
        top_p: Some(settings.top_p),
        max_tokens: Some(settings.max_tokens),
    };
    super::validate::settings(&patch).map_err(|e| format!("settings: {e}"))?;
    Ok(patch.applied_to(&ModelSettings::default()))
}

fn tool_calls(calls: Vec<ToolCallDTO>) -> Result<Vec<ToolCall>, String> {
    let mut seen = HashSet::new();
    calls
        .into_iter()
        .map(|call| {
            let (id, name) = (replace_nul_owned(call.id), replace_nul_owned(call.name));
            if id.trim().is_empty() || name.trim().is_empty() || !seen.insert(id.clone()) {
                return Err("tool calls need a unique id and a name".to_string());
            }
            let approval = match call.approval {
                ToolApproval::Pending => Approval::Pending,
                ToolApproval::Approved => Approval::Approved,
                ToolApproval::Denied => Approval::Denied,
            };
            let mut arguments = call.arguments;
            replace_nul_in_json(&mut arguments);
            Ok(ToolCall {
                id,
                name,
                arguments,
                approval,
                result: call.result.map(replace_nul_owned),
                error: call.error.map(replace_nul_owned),
            })
        })
        .collect()
}
