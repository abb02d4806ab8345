//! The browser's picture of one conversation, as plain data: the server's last state with
//! streamed text applied, and the actions this tab sent that the server has not confirmed.
//! Everything here is pure, so it is tested natively.
// The server build renders these views but never runs the browser side of them.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire::{Action, ActionResponse, ChatStatus, DeltaDTO, MessageDTO, MessageRole};

/// An action this tab made: sent and awaiting its answer, waiting in the offline queue, or
/// refused. A `send_message` shows as a pending message until the server's state holds it.
///
/// Serialized (in localStorage) as `{client_action_id, context_id, action: "<name>", body,
/// label, error, queued}`: the shape the outbox had before actions were typed, so entries an
/// earlier version left, or a tab still running it writes, read as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingAction {
    pub client_action_id: String,
    pub context_id: Uuid,
    /// The action, whose body carries `client_action_id` too (see [`PendingAction::new`]).
    #[serde(flatten)]
    pub action: Action,
    /// The text a person sees for it: the message for a send.
    pub label: String,
    /// Why it failed, when it did; it stays until retried or dismissed.
    pub error: Option<String>,
    /// Waiting for the server to be reachable.
    pub queued: bool,
}

impl PendingAction {
    /// A fresh action under its id, which goes into the body so the server dedupes by it.
    pub fn new(context_id: Uuid, action: Action, client_action_id: String, label: String) -> Self {
        PendingAction {
            action: action.with_client_action_id(client_action_id.clone()),
            client_action_id,
            context_id,
            label,
            error: None,
            queued: false,
        }
    }

    pub fn is_message(&self) -> bool {
        self.action.is_message()
    }
}

/// What a delta did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaOutcome {
    Applied,
    /// Already in the text (a replay): ignored.
    Duplicate,
    /// Some text before it never arrived: fetch the whole state.
    Gap,
    /// For a message this state does not have yet: the next state brings it.
    Unknown,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatModel {
    pub state: Option<ActionResponse>,
    pub pending: Vec<PendingAction>,
}

impl ChatModel {
    pub fn new(state: ActionResponse) -> Self {
        ChatModel { state: Some(state), pending: Vec::new() }
    }

    pub fn status(&self) -> Option<ChatStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    pub fn message(&self, id: Uuid) -> Option<&MessageDTO> {
        self.state.as_ref()?.context.messages.iter().find(|m| m.id == id)
    }

    /// Takes a full state from the server (a snapshot, a `state` event, an action's answer
    /// or a poll), unless it is older than what is shown. Text that streamed in ahead of a
    /// state of the same reply is kept. Returns whether anything changed.
    pub fn apply_state(&mut self, mut incoming: ActionResponse) -> bool {
        if let Some(current) = &self.state {
            if incoming.context.id != current.context.id || incoming.context.version < current.context.version {
                return false;
            }
            for message in incoming.context.messages.iter_mut().filter(|m| !m.complete) {
                let ahead = current.context.messages.iter().find(|o| o.id == message.id && !o.complete);
                if let Some(ahead) = ahead.filter(|o| o.stream_seq > message.stream_seq) {
                    message.content = ahead.content.clone();
                    message.stream_seq = ahead.stream_seq;
                }
            }
            if &incoming == current {
                return false;
            }
        }
        self.state = Some(incoming);
        self.reconcile();
        true
    }

    /// Appends a streamed piece of text to its message.
    pub fn apply_delta(&mut self, delta: &DeltaDTO) -> DeltaOutcome {
        let Some(state) = self.state.as_mut() else { return DeltaOutcome::Unknown };
        let Some(message) = state.context.messages.iter_mut().find(|m| m.id == delta.message_id) else {
            return DeltaOutcome::Unknown;
        };
        if message.complete || delta.seq <= message.stream_seq {
            return DeltaOutcome::Duplicate;
        }
        if delta.seq > message.stream_seq + 1 {
            return DeltaOutcome::Gap;
        }
        message.content.push_str(&delta.text);
        message.stream_seq = delta.seq;
        DeltaOutcome::Applied
    }

    /// Appends a streamed piece of reasoning to its message (numbered on its own).
    pub fn apply_reasoning(&mut self, delta: &DeltaDTO) -> DeltaOutcome {
        let Some(state) = self.state.as_mut() else { return DeltaOutcome::Unknown };
        let Some(message) = state.context.messages.iter_mut().find(|m| m.id == delta.message_id) else {
            return DeltaOutcome::Unknown;
        };
        if message.complete || delta.seq <= message.reasoning_seq {
            return DeltaOutcome::Duplicate;
        }
        if delta.seq > message.reasoning_seq + 1 {
            return DeltaOutcome::Gap;
        }
        message.reasoning.get_or_insert_with(String::new).push_str(&delta.text);
        message.reasoning_seq = delta.seq;
        DeltaOutcome::Applied
    }

    /// Drops the pending sends the server's state now holds.
    fn reconcile(&mut self) {
        let Some(state) = &self.state else { return };
        let delivered = |id: &str| state.context.messages.iter().any(|m| m.client_action_id.as_deref() == Some(id));
        self.pending.retain(|p| !(p.is_message() && delivered(&p.client_action_id)));
    }

    /// Adds an action the person just made.
    pub fn push_pending(&mut self, action: PendingAction) {
        if !self.pending.iter().any(|p| p.client_action_id == action.client_action_id) {
            self.pending.push(action);
        }
    }

    /// The server confirmed an action: its answer is the new state, and the action is done.
    pub fn confirm(&mut self, client_action_id: &str, response: ActionResponse) {
        self.pending.retain(|p| p.client_action_id != client_action_id);
        self.apply_state(response);
    }

    pub fn fail(&mut self, client_action_id: &str, error: String) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.client_action_id == client_action_id) {
            p.error = Some(error);
            p.queued = false;
        }
    }

    pub fn set_queued(&mut self, client_action_id: &str, queued: bool) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.client_action_id == client_action_id) {
            p.queued = queued;
            p.error = None;
        }
    }

    pub fn dismiss(&mut self, client_action_id: &str) {
        self.pending.retain(|p| p.client_action_id != client_action_id);
    }

    /// The actions still to send, oldest first (failed ones wait for a person).
    pub fn outbox(&self) -> Vec<PendingAction> {
        self.pending.iter().filter(|p| p.error.is_none()).cloned().collect()
    }

    /// Whether a person can send a message now (as far as this tab knows).
    pub fn accepts_messages(&self) -> bool {
        self.status().is_none_or(ChatStatus::accepts_messages)
    }

    /// The newest message of the person on the branch shown.
    pub fn last_user_message(&self) -> Option<Uuid> {
        let messages = &self.state.as_ref()?.context.messages;
        messages.iter().rev().find(|m| m.role == MessageRole::User).map(|m| m.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{ChatContextDTO, MessageRole};
    use chrono::{DateTime, Utc};

    /// A fixed time: the tests compare whole states.
    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time")
    }

    fn message(id: Uuid, role: MessageRole, content: &str, complete: bool, seq: u64) -> MessageDTO {
        MessageDTO {
            id,
            parent_id: None,
            role,
            content: content.into(),
            created_at: at(),
            complete,
            tool_calls: vec![],
            tool_call_id: None,
            client_action_id: None,
            stop_reason: None,
            stream_seq: seq,
            model: None,
            reasoning: None,
            reasoning_seq: 0,
            usage: None,
            timing: None,
            siblings: vec![],
        }
    }

    fn state(version: u64, status: ChatStatus, messages: Vec<MessageDTO>) -> ActionResponse {
        let now = at();
        ActionResponse {
            status,
            context: ChatContextDTO {
                id: Uuid::nil(),
                title: "t".into(),
                status,
                version,
                created_at: now,
                updated_at: now,
                active_branch: "main".into(),
                branches: vec![],
                messages,
                last_error: None,
                settings: Default::default(),
                context_window_start: None,
                messages_before: None,
            },
        }
    }

    fn delta(id: Uuid, seq: u64, text: &str) -> DeltaDTO {
        DeltaDTO { message_id: id, seq, text: text.into() }
    }

    #[test]
    fn deltas_extend_the_streaming_message_once_each_in_order() {
        let reply = Uuid::new_v4();
        let mut model =
            ChatModel::new(state(3, ChatStatus::Streaming, vec![message(reply, MessageRole::Assistant, "", false, 0)]));
        assert_eq!(model.apply_delta(&delta(reply, 1, "Hel")), DeltaOutcome::Applied);
        assert_eq!(model.apply_delta(&delta(reply, 2, "lo")), DeltaOutcome::Applied);
        assert_eq!(model.apply_delta(&delta(reply, 2, "lo")), DeltaOutcome::Duplicate);
        assert_eq!(model.apply_delta(&delta(reply, 4, "!")), DeltaOutcome::Gap);
        assert_eq!(model.apply_delta(&delta(Uuid::new_v4(), 1, "x")), DeltaOutcome::Unknown);
        assert_eq!(model.message(reply).unwrap().content, "Hello");
    }

    #[test]
    fn an_older_state_never_replaces_a_newer_one() {
        let mut model = ChatModel::new(state(5, ChatStatus::Idle, vec![]));
        assert!(!model.apply_state(state(4, ChatStatus::Processing, vec![])));
        assert_eq!(model.state.as_ref().unwrap().context.version, 5);
        let newer = state(6, ChatStatus::Processing, vec![]);
        assert!(model.apply_state(newer.clone()));
        assert!(!model.apply_state(newer), "the same state again changes nothing");
    }

    #[test]
    fn text_streamed_ahead_of_a_state_is_kept() {
        let reply = Uuid::new_v4();
        let mut model =
            ChatModel::new(state(3, ChatStatus::Streaming, vec![message(reply, MessageRole::Assistant, "", false, 0)]));
        for (seq, text) in [(1, "a"), (2, "b"), (3, "c")] {
            model.apply_delta(&delta(reply, seq, text));
        }
        // A poll answered with a save from before the last two deltas.
        model.apply_state(state(4, ChatStatus::Streaming, vec![message(reply, MessageRole::Assistant, "a", false, 1)]));
        assert_eq!(model.message(reply).unwrap().content, "abc");
        assert_eq!(model.apply_delta(&delta(reply, 4, "d")), DeltaOutcome::Applied);
        // The finished reply replaces the streamed copy.
        model.apply_state(state(5, ChatStatus::Idle, vec![message(reply, MessageRole::Assistant, "abcd!", true, 0)]));
        assert_eq!(model.message(reply).unwrap().content, "abcd!");
    }

    #[test]
    fn a_pending_send_disappears_when_the_server_has_it() {
        let mut model = ChatModel::new(state(1, ChatStatus::Idle, vec![]));
        model.push_pending(PendingAction::new(Uuid::nil(), Action::send_message("hi"), "a1".into(), "hi".into()));
        assert_eq!(model.outbox().len(), 1);
        let mut mine = message(Uuid::new_v4(), MessageRole::User, "hi", true, 0);
        mine.client_action_id = Some("a1".into());
        model.apply_state(state(2, ChatStatus::Processing, vec![mine]));
        assert!(model.pending.is_empty(), "reconciled by client_action_id: no duplicate");
    }

    #[test]
    fn a_failed_action_waits_for_a_person() {
        let mut model = ChatModel::new(state(1, ChatStatus::Idle, vec![]));
        let mut action = PendingAction::new(Uuid::nil(), Action::send_message("x"), "a2".into(), "x".into());
        action.queued = true;
        model.push_pending(action.clone());
        model.push_pending(action);
        assert_eq!(model.pending.len(), 1, "the same action is queued once");
        model.fail("a2", "too long".into());
        assert!(model.outbox().is_empty());
        model.set_queued("a2", true);
        assert_eq!(model.outbox().len(), 1, "retrying puts it back");
        model.dismiss("a2");
        assert!(model.pending.is_empty());
    }
}
