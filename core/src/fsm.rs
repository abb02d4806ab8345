//! The chat state machine: statuses, events, the transition table and what each event does
//! to a context.
//!
//! Every change to a context goes through [`ChatContext::apply`]. An event either is valid in
//! the current status, changes the context and marks it dirty, or is refused with an
//! [`FsmError`] and changes nothing: handlers check everything before they touch anything.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::branch::next_name;
use crate::context::{title_from, ChatContext};
use crate::error::FsmError;
use crate::message::{Approval, Attachment, Message, MessageId, Role, StopReason, ToolCall, ToolCallRequest};
use crate::settings::SettingsPatch;
use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Idle,
    Processing,
    Streaming,
    AwaitingToolApproval,
    ExecutingTools,
    Failed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Idle,
        Status::Processing,
        Status::Streaming,
        Status::AwaitingToolApproval,
        Status::ExecutingTools,
        Status::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Processing => "processing",
            Status::Streaming => "streaming",
            Status::AwaitingToolApproval => "awaiting_tool_approval",
            Status::ExecutingTools => "executing_tools",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// True while the server works on the context (a task is running for it).
    pub fn is_busy(self) -> bool {
        matches!(self, Status::Processing | Status::Streaming | Status::ExecutingTools)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can happen to a context: a person's actions first, then what the
/// generation and tool tasks report.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    SendMessage {
        content: String,
        /// Files sent with it, already stored under the context's owner.
        attachments: Vec<Attachment>,
    },
    EditMessage {
        message_id: MessageId,
        content: String,
    },
    Regenerate {
        message_id: MessageId,
    },
    SwitchBranch {
        branch: String,
    },
    ApproveTools {
        tool_call_ids: Vec<String>,
        /// "Allow in this conversation": these calls' tools run here without asking from now on.
        allow_here: bool,
    },
    DenyTools {
        tool_call_ids: Vec<String>,
        reason: Option<String>,
    },
    Cancel,
    Retry,
    /// Change the conversation's model settings.
    UpdateSettings {
        patch: SettingsPatch,
    },
    /// Extend a reply that stopped at the length limit.
    Continue,
    /// The model began its reply: an assistant message starts streaming (or, when a reply
    /// is being continued, streams again).
    ReplyStarted {
        model: String,
    },
    /// The model asked for tools; they wait for approval.
    ToolCallsRequested {
        calls: Vec<ToolCallRequest>,
    },
    /// The model finished its reply; `cut_off` when it stopped at the output budget.
    ReplyFinished {
        cut_off: bool,
    },
    /// The model (or the provider) failed.
    GenerationFailed {
        error: String,
    },
    /// One approved tool call ran.
    ToolFinished {
        tool_call_id: String,
        output: Result<String, String>,
    },
    /// Every approved tool call ran; the model continues with the results.
    ToolsFinished,
    /// The server found this context mid-work at start: whatever ran was lost with the
    /// previous process.
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    SendMessage,
    EditMessage,
    Regenerate,
    SwitchBranch,
    ApproveTools,
    DenyTools,
    Cancel,
    Retry,
    UpdateSettings,
    Continue,
    ReplyStarted,
    ToolCallsRequested,
    ReplyFinished,
    GenerationFailed,
    ToolFinished,
    ToolsFinished,
    Interrupted,
}

impl EventKind {
    pub const ALL: [EventKind; 17] = [
        EventKind::SendMessage,
        EventKind::EditMessage,
        EventKind::Regenerate,
        EventKind::SwitchBranch,
        EventKind::ApproveTools,
        EventKind::DenyTools,
        EventKind::Cancel,
        EventKind::Retry,
        EventKind::UpdateSettings,
        EventKind::Continue,
        EventKind::ReplyStarted,
        EventKind::ToolCallsRequested,
        EventKind::ReplyFinished,
        EventKind::GenerationFailed,
        EventKind::ToolFinished,
        EventKind::ToolsFinished,
        EventKind::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SendMessage => "send_message",
            EventKind::EditMessage => "edit_message",
            EventKind::Regenerate => "regenerate",
            EventKind::SwitchBranch => "switch_branch",
            EventKind::ApproveTools => "approve_tools",
            EventKind::DenyTools => "deny_tools",
            EventKind::Cancel => "cancel",
            EventKind::Retry => "retry",
            EventKind::UpdateSettings => "update_settings",
            EventKind::Continue => "continue",
            EventKind::ReplyStarted => "reply_started",
            EventKind::ToolCallsRequested => "tool_calls_requested",
            EventKind::ReplyFinished => "reply_finished",
            EventKind::GenerationFailed => "generation_failed",
            EventKind::ToolFinished => "tool_finished",
            EventKind::ToolsFinished => "tools_finished",
            EventKind::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::SendMessage { .. } => EventKind::SendMessage,
            Event::EditMessage { .. } => EventKind::EditMessage,
            Event::Regenerate { .. } => EventKind::Regenerate,
            Event::SwitchBranch { .. } => EventKind::SwitchBranch,
            Event::ApproveTools { .. } => EventKind::ApproveTools,
            Event::DenyTools { .. } => EventKind::DenyTools,
            Event::Cancel => EventKind::Cancel,
            Event::Retry => EventKind::Retry,
            Event::UpdateSettings { .. } => EventKind::UpdateSettings,
            Event::Continue => EventKind::Continue,
            Event::ReplyStarted { .. } => EventKind::ReplyStarted,
            Event::ToolCallsRequested { .. } => EventKind::ToolCallsRequested,
            Event::ReplyFinished { .. } => EventKind::ReplyFinished,
            Event::GenerationFailed { .. } => EventKind::GenerationFailed,
            Event::ToolFinished { .. } => EventKind::ToolFinished,
            Event::ToolsFinished => EventKind::ToolsFinished,
            Event::Interrupted => EventKind::Interrupted,
        }
    }
}

/// The transition table: the statuses `kind` may lead to from `from`. Empty means the event
/// is not allowed there. Where there are several, the context's data decides (approving one
/// of two pending calls keeps the context awaiting approval).
pub fn targets(from: Status, kind: EventKind) -> &'static [Status] {
    use EventKind as E;
    use Status as S;
    match (from, kind) {
        (S::Idle | S::Failed, E::SendMessage | E::EditMessage | E::Regenerate) => &[S::Processing],
        (S::Idle | S::Failed, E::SwitchBranch) => &[S::Idle],
        (S::Failed, E::Retry) => &[S::Processing, S::ExecutingTools],
        // Settings change between replies, never during one.
        (S::Idle, E::UpdateSettings) => &[S::Idle],
        (S::Failed, E::UpdateSettings) => &[S::Failed],
        (S::AwaitingToolApproval, E::UpdateSettings) => &[S::AwaitingToolApproval],
        (S::Idle, E::Continue) => &[S::Processing],
        (S::Processing, E::ReplyStarted) => &[S::Streaming],
        (S::Processing | S::Streaming, E::ToolCallsRequested) => &[S::AwaitingToolApproval],
        (S::Processing | S::Streaming, E::ReplyFinished) => &[S::Idle],
        (S::Processing | S::Streaming | S::ExecutingTools, E::GenerationFailed | E::Interrupted) => &[S::Failed],
        (S::AwaitingToolApproval, E::ApproveTools) => &[S::AwaitingToolApproval, S::ExecutingTools],
        (S::AwaitingToolApproval, E::DenyTools) => &[S::AwaitingToolApproval, S::ExecutingTools, S::Processing],
        (S::ExecutingTools, E::ToolFinished) => &[S::ExecutingTools],
        (S::ExecutingTools, E::ToolsFinished) => &[S::Processing],
        (S::Processing | S::Streaming | S::AwaitingToolApproval | S::ExecutingTools, E::Cancel) => &[S::Idle],
        _ => &[],
    }
}

/// What the runner must do after a transition; the core itself does no I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Ask the model for the next reply.
    StartGeneration,
    /// Run the approved tool calls of the last assistant message.
    ExecuteTools,
    /// Stop the running generation or tool task.
    StopGeneration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    pub effect: Option<Effect>,
}

/// The outcome of a person's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Done(Transition),
    /// An action with the same `client_action_id` was applied before; nothing changed.
    Duplicate,
}

const DENIED_TEXT: &str = "The user denied this tool call.";
const CANCELLED_TEXT: &str = "The tool call was cancelled.";
const INTERRUPTED_ERROR: &str = "The server stopped while this reply was being generated. Retry to continue.";

impl ChatContext {
    /// Applies a person's action once: an action whose `client_action_id` was seen before
    /// changes nothing and reports [`Applied::Duplicate`].
    pub fn apply_action(
        &mut self,
        event: Event,
        client_action_id: Option<String>,
        now: Timestamp,
    ) -> Result<Applied, FsmError> {
        if let Some(id) = client_action_id.as_deref() {
            if self.has_seen_action(id) {
                return Ok(Applied::Duplicate);
            }
        }
        let creates_message = matches!(event.kind(), EventKind::SendMessage | EventKind::EditMessage);
        let transition = self.apply(event, now)?;
        if let Some(id) = client_action_id {
            match self.active_head().filter(|_| creates_message) {
                Some(head) => {
                    if let Some(message) = self.message_mut(head) {
                        message.client_action_id = Some(id);
                    }
                }
                None => self.remember_action(id),
            }
        }
        Ok(Applied::Done(transition))
    }

    /// Runs one event through the state machine.
    pub fn apply(&mut self, event: Event, now: Timestamp) -> Result<Transition, FsmError> {
        let from = self.status();
        let kind = event.kind();
        let allowed = targets(from, kind);
        if allowed.is_empty() {
            return Err(FsmError::NotAllowed { status: from, event: kind });
        }
        let (to, effect) = match event {
            Event::SendMessage { content, attachments } => self.on_send_message(content, attachments, now)?,
            Event::EditMessage { message_id, content } => self.on_edit(message_id, content, now)?,
            Event::Regenerate { message_id } => self.on_regenerate(message_id)?,
            Event::SwitchBranch { branch } => self.on_switch_branch(&branch)?,
            Event::ApproveTools { tool_call_ids, allow_here } => self.on_approve(&tool_call_ids, allow_here)?,
            Event::DenyTools { tool_call_ids, reason } => self.on_deny(&tool_call_ids, reason, now)?,
            Event::Cancel => self.on_cancel(from, now),
            Event::Retry => self.on_retry(),
            Event::UpdateSettings { patch } => self.on_update_settings(from, &patch)?,
            Event::Continue => self.on_continue()?,
            Event::ReplyStarted { model } => self.on_reply_started(model, now),
            Event::ToolCallsRequested { calls } => self.on_tool_calls(calls, now)?,
            Event::ReplyFinished { cut_off } => self.on_reply_finished(cut_off, now),
            Event::GenerationFailed { error } => self.on_failed(StopReason::Failed, error),
            Event::Interrupted => self.on_failed(StopReason::Interrupted, INTERRUPTED_ERROR.to_string()),
            Event::ToolFinished { tool_call_id, output } => self.on_tool_finished(&tool_call_id, output, now)?,
            Event::ToolsFinished => self.on_tools_finished()?,
        };
        debug_assert!(allowed.contains(&to), "{kind} from {from} led to {to}, outside the table");
        self.set_status(to);
        self.touch(now);
        Ok(Transition { from, to, effect })
    }

    /// Appends streamed text to the reply being generated. Only valid while streaming.
    /// Returns the message and the delta's sequence number (1 for the first delta).
    pub fn append_text(&mut self, text: &str) -> Result<(MessageId, u64), FsmError> {
        let head = self
            .streaming_message()
            .ok_or(FsmError::NotAllowed { status: self.status(), event: EventKind::ReplyStarted })?;
        let message = self.message_mut(head).expect("the streaming message exists");
        message.content.push_str(text);
        message.stream_seq += 1;
        Ok((head, message.stream_seq))
    }

    /// Appends streamed reasoning to the reply being generated (kept apart from its text).
    /// Returns the message and the reasoning delta's own sequence number.
    pub fn append_reasoning(&mut self, text: &str) -> Result<(MessageId, u64), FsmError> {
        let head = self
            .streaming_message()
            .ok_or(FsmError::NotAllowed { status: self.status(), event: EventKind::ReplyStarted })?;
        let message = self.message_mut(head).expect("the streaming message exists");
        message.reasoning.get_or_insert_with(String::new).push_str(text);
        message.reasoning_seq += 1;
        Ok((head, message.reasoning_seq))
    }

    /// The assistant message that is streaming now, if any.
    pub fn streaming_message(&self) -> Option<MessageId> {
        if self.status() != Status::Streaming {
            return None;
        }
        let head = self.tree.get(self.active_head()?)?;
        (head.role == Role::Assistant && !head.complete).then_some(head.id)
    }

    /// The approved tool calls that have not run yet, in the order the model asked for them.
    pub fn runnable_tool_calls(&self) -> Vec<ToolCall> {
        self.last_assistant()
            .map(|m| m.tool_calls.iter().filter(|c| c.is_runnable()).cloned().collect())
            .unwrap_or_default()
    }

    // --- handlers: each checks first, then changes -----------------------------------------

    fn on_send_message(
        &mut self,
        content: String,
        attachments: Vec<Attachment>,
        now: Timestamp,
    ) -> Result<(Status, Option<Effect>), FsmError> {
        // A file alone is a message too (a screenshot, "what is this?" left unsaid).
        let content = if attachments.is_empty() { non_empty(content, "content")? } else { content };
        self.close_open_tool_calls(CANCELLED_TEXT, now);
        // The opening message of a conversation names it, until someone renames it.
        if self.active_head().is_none() {
            let opening = if content.trim().is_empty() { &attachments[0].name } else { &content };
            self.set_generated_title(title_from(opening), now);
        }
        let mut message = Message::new(Role::User, content, None, now);
        message.attachments = attachments;
        self.append(message);
        self.set_last_error(None);
        Ok((Status::Processing, Some(Effect::StartGeneration)))
    }

    fn on_edit(
        &mut self,
        message_id: MessageId,
        content: String,
        now: Timestamp,
    ) -> Result<(Status, Option<Effect>), FsmError> {
        let content = non_empty(content, "content")?;
        let original = self.message_with_role(message_id, Role::User, "only user messages can be edited")?;
        let (parent, attachments) = (original.parent_id, original.attachments.clone());
        let name = next_name(self.branches(), "edit");
        self.add_active_branch(name, parent);
        // An edit changes the words; the files sent with them stay.
        let mut edited = Message::new(Role::User, content, parent, now);
        edited.attachments = attachments;
        self.insert(edited);
        self.set_last_error(None);
        Ok((Status::Processing, Some(Effect::StartGeneration)))
    }

    fn on_regenerate(&mut self, message_id: MessageId) -> Result<(Status, Option<Effect>), FsmError> {
        let original =
            self.message_with_role(message_id, Role::Assistant, "only assistant messages can be regenerated")?;
        let parent = original.parent_id;
        let name = next_name(self.branches(), "regen");
        self.add_active_branch(name, parent);
        self.set_last_error(None);
        Ok((Status::Processing, Some(Effect::StartGeneration)))
    }

    fn on_switch_branch(&mut self, branch: &str) -> Result<(Status, Option<Effect>), FsmError> {
        if !self.switch_to(branch) {
            return Err(FsmError::NotFound(format!("no branch named {branch:?}")));
        }
        self.set_last_error(None);
        Ok((Status::Idle, None))
    }

    fn on_approve(&mut self, ids: &[String], allow_here: bool) -> Result<(Status, Option<Effect>), FsmError> {
        let assistant = self.check_pending(ids)?;
        let message = self.message_mut(assistant).expect("checked above");
        let names: Vec<String> =
            message.tool_calls.iter().filter(|c| ids.contains(&c.id)).map(|c| c.name.clone()).collect();
        for call in message.tool_calls.iter_mut() {
            // Allowed here: the other pending calls of the same tools need no card either.
            let allowed_now = allow_here && call.approval == Approval::Pending && names.contains(&call.name);
            if ids.contains(&call.id) || allowed_now {
                call.approval = Approval::Approved;
            }
        }
        if allow_here {
            self.allow_tools(names.iter().map(String::as_str));
        }
        Ok(self.after_decision())
    }

    fn on_deny(
        &mut self,
        ids: &[String],
        reason: Option<String>,
        now: Timestamp,
    ) -> Result<(Status, Option<Effect>), FsmError> {
        let assistant = self.check_pending(ids)?;
        let reason = reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let text = match &reason {
            Some(reason) => format!("{DENIED_TEXT} Reason: {reason}"),
            None => DENIED_TEXT.to_string(),
        };
        let message = self.message_mut(assistant).expect("checked above");
        for call in message.tool_calls.iter_mut().filter(|c| ids.contains(&c.id)) {
            call.approval = Approval::Denied;
            call.error = Some(reason.clone().unwrap_or_else(|| "denied".to_string()));
        }
        for id in ids {
            self.append_tool_message(id, text.clone(), now);
        }
        Ok(self.after_decision())
    }

    /// Once no call is pending, run the approved ones, or let the model answer without them.
    fn after_decision(&self) -> (Status, Option<Effect>) {
        let Some(assistant) = self.last_assistant() else {
            return (Status::Processing, Some(Effect::StartGeneration));
        };
        if assistant.pending_tool_calls().next().is_some() {
            (Status::AwaitingToolApproval, None)
        } else if assistant.tool_calls.iter().any(ToolCall::is_runnable) {
            (Status::ExecutingTools, Some(Effect::ExecuteTools))
        } else {
            (Status::Processing, Some(Effect::StartGeneration))
        }
    }

    fn on_cancel(&mut self, from: Status, now: Timestamp) -> (Status, Option<Effect>) {
        if let Some(streaming) = self.open_reply() {
            let message = self.message_mut(streaming).expect("the streaming message exists");
            message.complete = true;
            message.stop_reason = Some(StopReason::Cancelled);
        }
        if matches!(from, Status::AwaitingToolApproval | Status::ExecutingTools) {
            self.close_open_tool_calls(CANCELLED_TEXT, now);
        }
        self.set_last_error(None);
        (Status::Idle, Some(Effect::StopGeneration))
    }

    fn on_retry(&mut self) -> (Status, Option<Effect>) {
        self.set_last_error(None);
        if !self.runnable_tool_calls().is_empty() {
            return (Status::ExecutingTools, Some(Effect::ExecuteTools));
        }
        // A reply cut short stays in the tree; the new attempt becomes its sibling.
        let head = self.active_head().and_then(|id| self.tree.get(id));
        if let Some(partial) = head.filter(|m| {
            m.role == Role::Assistant
                && m.tool_calls.is_empty()
                && matches!(m.stop_reason, Some(StopReason::Failed | StopReason::Interrupted))
        }) {
            let parent = partial.parent_id;
            self.set_active_head(parent);
        }
        (Status::Processing, Some(Effect::StartGeneration))
    }

    fn on_update_settings(
        &mut self,
        from: Status,
        patch: &SettingsPatch,
    ) -> Result<(Status, Option<Effect>), FsmError> {
        patch.check()?;
        self.row.settings = patch.applied_to(&self.row.settings);
        Ok((from, None))
    }

    fn on_continue(&mut self) -> Result<(Status, Option<Effect>), FsmError> {
        let head = self.active_head().and_then(|id| self.tree.get(id));
        let Some(cut) = head.filter(|m| m.role == Role::Assistant && m.stop_reason == Some(StopReason::Length)) else {
            return Err(FsmError::Conflict("only a reply stopped at the length limit can be continued".into()));
        };
        let id = cut.id;
        let message = self.message_mut(id).expect("the head exists");
        message.complete = false;
        message.stop_reason = None;
        self.set_last_error(None);
        Ok((Status::Processing, Some(Effect::StartGeneration)))
    }

    fn on_reply_started(&mut self, model: String, now: Timestamp) -> (Status, Option<Effect>) {
        match self.open_reply() {
            // A reply being continued streams on in the same message.
            Some(id) => self.message_mut(id).expect("the open reply exists").model = Some(model),
            None => {
                let mut reply = Message::new(Role::Assistant, String::new(), None, now);
                reply.complete = false;
                reply.model = Some(model);
                self.append(reply);
            }
        }
        (Status::Streaming, None)
    }

    /// The head of the active path when it is a reply that is not complete: streaming, or
    /// about to be continued.
    fn open_reply(&self) -> Option<MessageId> {
        let head = self.tree.get(self.active_head()?)?;
        (head.role == Role::Assistant && !head.complete).then_some(head.id)
    }

    fn on_tool_calls(
        &mut self,
        calls: Vec<ToolCallRequest>,
        now: Timestamp,
    ) -> Result<(Status, Option<Effect>), FsmError> {
        if calls.is_empty() {
            return Err(FsmError::Invalid("a tool call request needs at least one call".into()));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = calls.iter().find(|c| !seen.insert(c.id.as_str())) {
            return Err(FsmError::Invalid(format!("tool call id {:?} appears twice", dup.id)));
        }
        let message_id = match self.open_reply() {
            Some(id) => id,
            _ => self.append(Message::new(Role::Assistant, String::new(), None, now)),
        };
        let message = self.message_mut(message_id).expect("just found or created");
        message.tool_calls = calls.into_iter().map(ToolCall::from_request).collect();
        message.complete = true;
        Ok((Status::AwaitingToolApproval, None))
    }

    fn on_reply_finished(&mut self, cut_off: bool, now: Timestamp) -> (Status, Option<Effect>) {
        let id = match self.open_reply() {
            Some(id) => id,
            // The model finished without a word: keep an empty reply so the turn is visible.
            None => self.append(Message::new(Role::Assistant, String::new(), None, now)),
        };
        let message = self.message_mut(id).expect("found or made above");
        message.complete = true;
        if cut_off {
            message.stop_reason = Some(StopReason::Length);
        }
        (Status::Idle, None)
    }

    fn on_failed(&mut self, reason: StopReason, error: String) -> (Status, Option<Effect>) {
        if let Some(id) = self.open_reply() {
            let message = self.message_mut(id).expect("the open reply exists");
            message.complete = true;
            message.stop_reason = Some(reason);
        }
        self.set_last_error(Some(error));
        (Status::Failed, None)
    }

    fn on_tool_finished(
        &mut self,
        tool_call_id: &str,
        output: Result<String, String>,
        now: Timestamp,
    ) -> Result<(Status, Option<Effect>), FsmError> {
        let assistant = self
            .last_assistant()
            .filter(|m| m.tool_calls.iter().any(|c| c.id == tool_call_id && c.is_runnable()))
            .map(|m| m.id)
            .ok_or_else(|| FsmError::Conflict(format!("tool call {tool_call_id:?} is not waiting to run")))?;
        let text = match &output {
            Ok(result) => result.clone(),
            Err(error) => format!("Error: {error}"),
        };
        let message = self.message_mut(assistant).expect("found above");
        let call = message.tool_calls.iter_mut().find(|c| c.id == tool_call_id).expect("found above");
        match output {
            Ok(result) => call.result = Some(result),
            Err(error) => call.error = Some(error),
        }
        self.append_tool_message(tool_call_id, text, now);
        Ok((Status::ExecutingTools, None))
    }

    fn on_tools_finished(&mut self) -> Result<(Status, Option<Effect>), FsmError> {
        if let Some(call) = self.runnable_tool_calls().first() {
            return Err(FsmError::Conflict(format!("tool call {:?} has not run yet", call.id)));
        }
        Ok((Status::Processing, Some(Effect::StartGeneration)))
    }

    // --- helpers ---------------------------------------------------------------------------

    fn message_with_role(&self, id: MessageId, role: Role, wrong_role: &str) -> Result<&Message, FsmError> {
        let message =
            self.tree.get(id).ok_or_else(|| FsmError::NotFound(format!("no message {id} in this context")))?;
        if message.role != role {
            return Err(FsmError::Invalid(wrong_role.to_string()));
        }
        Ok(message)
    }

    /// Checks that every id names a pending call of the last assistant message.
    fn check_pending(&self, ids: &[String]) -> Result<MessageId, FsmError> {
        if ids.is_empty() {
            return Err(FsmError::Invalid("tool_call_ids must name at least one tool call".into()));
        }
        let assistant = self.last_assistant().ok_or_else(|| FsmError::Conflict("no tool call is pending".into()))?;
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                return Err(FsmError::Invalid(format!("tool call id {id:?} appears twice")));
            }
            if !assistant.pending_tool_calls().any(|c| &c.id == id) {
                return Err(FsmError::Conflict(format!("tool call {id:?} is not pending")));
            }
        }
        Ok(assistant.id)
    }

    /// Gives every call of the last assistant message that is still open (pending, or
    /// approved and not run) an answer, so the conversation stays valid for any model API.
    fn close_open_tool_calls(&mut self, text: &str, now: Timestamp) {
        let Some(assistant) = self
            .last_assistant()
            .filter(|m| m.tool_calls.iter().any(|c| c.approval == Approval::Pending || c.is_runnable()))
            .map(|m| m.id)
        else {
            return;
        };
        let message = self.message_mut(assistant).expect("found above");
        let mut closed = Vec::new();
        for call in &mut message.tool_calls {
            if call.approval == Approval::Pending || call.is_runnable() {
                if call.approval == Approval::Pending {
                    call.approval = Approval::Denied;
                }
                call.error = Some("cancelled".to_string());
                closed.push(call.id.clone());
            }
        }
        for id in closed {
            self.append_tool_message(&id, text.to_string(), now);
        }
    }

    fn append_tool_message(&mut self, tool_call_id: &str, content: String, now: Timestamp) {
        let mut message = Message::new(Role::Tool, content, None, now);
        message.tool_call_id = Some(tool_call_id.to_string());
        self.append(message);
    }
}

fn non_empty(content: String, field: &str) -> Result<String, FsmError> {
    if content.trim().is_empty() {
        return Err(FsmError::Invalid(format!("{field} must not be empty")));
    }
    Ok(content)
}
