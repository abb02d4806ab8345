//! From the domain to the wire: what clients see of a context.

use std::collections::{HashMap, HashSet};

use app::wire::{
    self, ActionResponse, BranchDTO, ChatContextDTO, ChatStatus, ContextFieldsDTO, ContextSummaryDTO, MessageDTO,
    MessageRole, PatchDTO, SettingsDTO, SiblingDTO, TimingDTO, ToolApproval, ToolCallDTO, UsageDTO,
};

use super::changes::Since;
use confab_core::{Approval, ChatContext, Message, MessageId, ModelSettings, Role, Status, StopReason, ToolCall};
use confab_store::ContextSummary;

pub fn response(ctx: &ChatContext) -> ActionResponse {
    let context = context(ctx);
    ActionResponse { status: context.status, context }
}

pub fn context(ctx: &ChatContext) -> ChatContextDTO {
    window(ctx, usize::MAX)
}

/// The context with only the newest `size` messages of its active branch (all of them when
/// the branch is no longer), and how many come before those.
pub fn window(ctx: &ChatContext, size: usize) -> ChatContextDTO {
    let mut path = ctx.active_path();
    let before = path.len().saturating_sub(size);
    let path = path.split_off(before);
    let siblings = SiblingIndex::new(ctx);
    let messages = path.into_iter().map(|m| message(m, siblings.of(m))).collect();
    fields(ctx, (size != usize::MAX).then_some(before as u64)).with_messages(messages)
}

/// Every field of the context but its messages: no walk of the tree.
fn fields(ctx: &ChatContext, messages_before: Option<u64>) -> ContextFieldsDTO {
    ContextFieldsDTO {
        id: ctx.id(),
        title: ctx.title().to_string(),
        status: status(ctx.status()),
        version: ctx.version(),
        created_at: ctx.created_at(),
        updated_at: ctx.updated_at(),
        active_branch: ctx.active_branch().to_string(),
        branches: ctx.branches().iter().map(|b| BranchDTO { name: b.name.clone(), head_message_id: b.head }).collect(),
        last_error: ctx.last_error().map(str::to_string),
        settings: settings(ctx.settings()),
        context_window_start: ctx.context_window_start(),
        messages_before,
    }
}

/// Where a page of the active branch starts: just before or just after a message on it.
#[derive(Debug, Clone, Copy)]
pub enum PageFrom {
    Before(MessageId),
    After(MessageId),
}

/// Up to `limit` messages of the active branch before or after `from`, oldest first; `None`
/// when that message is not on the active branch.
pub fn page(ctx: &ChatContext, from: PageFrom, limit: usize) -> Option<Vec<MessageDTO>> {
    let path = ctx.active_path();
    let (PageFrom::Before(anchor) | PageFrom::After(anchor)) = from;
    let at = path.iter().position(|m| m.id == anchor)?;
    let range = match from {
        PageFrom::Before(_) => at.saturating_sub(limit)..at,
        PageFrom::After(_) => at + 1..(at + 1 + limit).min(path.len()),
    };
    let siblings = SiblingIndex::new(ctx);
    Some(path[range].iter().map(|m| message(m, siblings.of(m))).collect())
}

/// Settings as the server applies them (defaults are filled in when a context loads).
pub fn settings(settings: &ModelSettings) -> SettingsDTO {
    SettingsDTO {
        model: settings.model.clone().unwrap_or_default(),
        system_prompt: settings.system_prompt.clone().unwrap_or_default(),
        temperature: settings.temperature,
        top_p: settings.top_p,
        max_tokens: settings.max_tokens,
    }
}

pub fn summary(summary: ContextSummary) -> ContextSummaryDTO {
    ContextSummaryDTO {
        id: summary.id,
        title: summary.title,
        status: status(summary.status),
        version: summary.version,
        created_at: summary.created_at,
        updated_at: summary.updated_at,
        pinned: summary.place.pinned,
        archived: summary.place.archived,
        folder_id: summary.place.folder,
    }
}

pub fn status(status: Status) -> ChatStatus {
    match status {
        Status::Idle => ChatStatus::Idle,
        Status::Processing => ChatStatus::Processing,
        Status::Streaming => ChatStatus::Streaming,
        Status::AwaitingToolApproval => ChatStatus::AwaitingToolApproval,
        Status::ExecutingTools => ChatStatus::ExecutingTools,
        Status::Failed => ChatStatus::Failed,
    }
}

pub fn message(message: &Message, siblings: Vec<SiblingDTO>) -> MessageDTO {
    MessageDTO {
        id: message.id,
        parent_id: message.parent_id,
        role: role(message.role),
        content: message.content.clone(),
        created_at: message.created_at,
        complete: message.complete,
        tool_calls: message.tool_calls.iter().map(tool_call).collect(),
        tool_call_id: message.tool_call_id.clone(),
        client_action_id: message.client_action_id.clone(),
        stop_reason: message.stop_reason.map(stop_reason),
        // Only a streaming message takes deltas; a finished one reads the same whether it
        // streamed in this process or was loaded from disk.
        stream_seq: if message.complete { 0 } else { message.stream_seq },
        model: message.model.clone(),
        reasoning: message.reasoning.clone(),
        reasoning_seq: if message.complete { 0 } else { message.reasoning_seq },
        usage: message
            .usage
            .map(|u| UsageDTO { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens }),
        timing: message.timing.map(|t| TimingDTO {
            first_token_ms: t.first_token_ms,
            tokens_per_second: t.tokens_per_second,
            reasoning_ms: t.reasoning_ms,
        }),
        siblings,
        attachments: message.attachments.iter().map(attachment).collect(),
    }
}

pub fn attachment(file: &confab_core::Attachment) -> wire::AttachmentDTO {
    wire::AttachmentDTO { id: file.id, name: file.name.clone(), media_type: file.media_type.clone(), size: file.size }
}

pub fn stop_reason(reason: StopReason) -> wire::StopReason {
    match reason {
        StopReason::Cancelled => wire::StopReason::Cancelled,
        StopReason::Failed => wire::StopReason::Failed,
        StopReason::Interrupted => wire::StopReason::Interrupted,
        StopReason::Length => wire::StopReason::Length,
    }
}

fn role(role: Role) -> MessageRole {
    match role {
        Role::System => MessageRole::System,
        Role::User => MessageRole::User,
        Role::Assistant => MessageRole::Assistant,
        Role::Tool => MessageRole::Tool,
    }
}

fn tool_call(call: &ToolCall) -> ToolCallDTO {
    ToolCallDTO {
        id: call.id.clone(),
        name: call.name.clone(),
        arguments: call.arguments.clone(),
        approval: match call.approval {
            Approval::Pending => ToolApproval::Pending,
            Approval::Approved => ToolApproval::Approved,
            Approval::Denied => ToolApproval::Denied,
        },
        result: call.result.clone(),
        error: call.error.clone(),
    }
}

/// Which messages share a parent, and which branch shows each: built once per render, so a
/// render stays linear in the size of the tree.
struct SiblingIndex {
    children: HashMap<Option<MessageId>, Vec<MessageId>>,
    branch_of: HashMap<MessageId, String>,
}

impl SiblingIndex {
    fn new(ctx: &ChatContext) -> Self {
        let mut children: HashMap<Option<MessageId>, Vec<MessageId>> = HashMap::new();
        for m in ctx.messages().iter().filter(|m| m.role != Role::Tool) {
            children.entry(m.parent_id).or_default().push(m.id);
        }
        let mut branch_of = HashMap::new();
        // The active branch first, so a message on it is shown through it.
        let active = ctx.branches().iter().filter(|b| b.name == ctx.active_branch());
        let others = ctx.branches().iter().filter(|b| b.name != ctx.active_branch());
        for branch in active.chain(others) {
            for m in ctx.messages().ancestors(branch.head) {
                branch_of.entry(m.id).or_insert_with(|| branch.name.clone());
            }
        }
        SiblingIndex { children, branch_of }
    }

    /// Empty for a message without siblings, so most messages carry nothing extra.
    fn of(&self, message: &Message) -> Vec<SiblingDTO> {
        match self.children.get(&message.parent_id) {
            Some(ids) if ids.len() > 1 => {
                ids.iter().map(|id| SiblingDTO { message_id: *id, branch: self.branch_of.get(id).cloned() }).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The patch from `base` to the context as it is, for a client holding the newest `size`
/// messages of the active branch at `base`: the fields, the messages of the new window it
/// does not hold or that changed (and their siblings, whose switchers changed), and the
/// window's path when it moved.
pub fn patch(ctx: &ChatContext, base: u64, since: &Since, size: usize) -> PatchDTO {
    let path = ctx.active_path();
    let before = path.len().saturating_sub(size);
    let window = &path[before..];
    let held: HashSet<MessageId> = {
        let old = ctx.messages().path_to(since.base_head);
        let start = old.len().saturating_sub(size);
        old[start..].iter().map(|m| m.id).collect()
    };
    let changed: HashSet<MessageId> = since.messages.iter().copied().collect();
    let siblings = SiblingIndex::new(ctx);
    // When branches moved, a switcher's siblings (or the branch that shows one) may have
    // changed: messages that have siblings go again. A streaming message goes every time:
    // its text grows between saves, and the patch stands for every event up to now.
    let upserts = window
        .iter()
        .map(|m| message(m, siblings.of(m)))
        .filter(|m| {
            !held.contains(&m.id)
                || changed.contains(&m.id)
                || !m.complete
                || (since.path_moved && m.siblings.len() > 1)
        })
        .collect();
    let ids: Vec<MessageId> = window.iter().map(|m| m.id).collect();
    let moved = since.path_moved || ids.len() != held.len() || ids.iter().any(|id| !held.contains(id));
    let context = fields(ctx, Some(before as u64));
    PatchDTO { base_version: base, version: ctx.version(), context, upserts, path: moved.then_some(ids) }
}
