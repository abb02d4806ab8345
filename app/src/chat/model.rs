//! The browser's picture of one conversation, as plain data: the server's last state with
//! streamed text applied, and the actions this tab sent that the server has not confirmed.
//! Everything here is pure, so it is tested natively.
// The server build renders these views but never runs the browser side of them.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::earlier::Earlier;
use crate::patch::Held;
use crate::wire::{Action, ActionReply, ActionResponse, ChatStatus, DeltaDTO, MessageDTO, MessageRole, PatchDTO};

/// An action this tab made: sent and awaiting its answer, waiting in the offline queue, or
/// refused. A `send_message` shows as a pending message until the server's state holds it.
///
/// Serialized (in localStorage) as `{client_action_id, context_id, action: "<name>", body,
/// label, error, queued}`: the shape the outbox had before actions were typed, so entries an
/// earlier version left, or a tab still running it writes, read as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredAction")]
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

/// A [`PendingAction`] as it is read back: the action by its name and body, each read as
/// the request of that name (serde would buffer the whole entry to read a flattened action,
/// with code the page's wasm would carry for it).
#[derive(Deserialize)]
struct StoredAction {
    client_action_id: String,
    context_id: Uuid,
    action: String,
    body: Box<serde_json::value::RawValue>,
    label: String,
    error: Option<String>,
    queued: bool,
}

impl TryFrom<StoredAction> for PendingAction {
    type Error = serde_json::Error;

    fn try_from(stored: StoredAction) -> Result<Self, Self::Error> {
        Ok(PendingAction {
            client_action_id: stored.client_action_id,
            context_id: stored.context_id,
            action: Action::from_parts(&stored.action, stored.body.get())?,
            label: stored.label,
            error: stored.error,
            queued: stored.queued,
        })
    }
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

/// What a patch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOutcome {
    Applied,
    /// This version or a newer one is shown already (an action's answer after the stream's).
    Stale,
    /// It does not follow the version held: fetch a snapshot.
    Resync,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatModel {
    /// The window of the active branch the server keeps this tab up to date on (the whole
    /// branch for a state without `messages_before`), with streamed text applied.
    pub state: Option<ActionResponse>,
    /// The same as the server sent it, for applying the next patch.
    held: Option<Held>,
    /// Pages above the window the reader loaded.
    pub earlier: Earlier,
    pub pending: Vec<PendingAction>,
}

impl ChatModel {
    pub fn new(state: ActionResponse) -> Self {
        ChatModel { held: Some(Held::from_state(&state)), state: Some(state), ..ChatModel::default() }
    }

    pub fn status(&self) -> Option<ChatStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    pub fn version(&self) -> Option<u64> {
        self.held.as_ref().map(Held::version)
    }

    /// The window's messages, oldest first.
    pub fn window(&self) -> &[MessageDTO] {
        self.state.as_ref().map_or(&[], |s| &s.context.messages)
    }

    pub fn message(&self, id: Uuid) -> Option<&MessageDTO> {
        let in_window = self.window().iter().rev().find(|m| m.id == id);
        in_window.or_else(|| self.earlier.get(id))
    }

    /// Every message shown, earlier pages first.
    pub fn message_ids(&self) -> Vec<Uuid> {
        self.earlier.messages().iter().chain(self.window()).map(|m| m.id).collect()
    }

    /// How many messages of the branch come before the first one held.
    pub fn not_loaded(&self) -> u64 {
        let before = self.state.as_ref().and_then(|s| s.context.messages_before).unwrap_or(0);
        before.saturating_sub(self.earlier.len() as u64)
    }

    /// The first message held, to load the page above it.
    pub fn first_message(&self) -> Option<&MessageDTO> {
        self.earlier.messages().first().or_else(|| self.window().first())
    }

    /// A page of older messages that ends just above the first one held.
    pub fn prepend(&mut self, page: Vec<MessageDTO>) -> bool {
        let first = self.first_message().cloned();
        self.earlier.prepend(page, first.as_ref())
    }

    /// Applies a patch from the server (a `patch` event, an action's answer, a poll).
    pub fn apply_patch(&mut self, patch: &PatchDTO) -> PatchOutcome {
        let Some(held) = self.held.as_mut() else { return PatchOutcome::Resync };
        if patch.version <= held.version() {
            return PatchOutcome::Stale;
        }
        if held.apply(patch).is_err() {
            return PatchOutcome::Resync;
        }
        let state = held.to_state();
        self.take(state);
        PatchOutcome::Applied
    }

    /// Takes a full state from the server (a snapshot, a `state` event, an action's answer
    /// or a poll), unless it is older than what is shown. Text that streamed in ahead of a
    /// state of the same reply is kept. Returns whether anything changed.
    pub fn apply_state(&mut self, incoming: ActionResponse) -> bool {
        if let Some(current) = &self.state {
            if incoming.context.id != current.context.id || incoming.context.version < current.context.version {
                return false;
            }
        }
        self.held = Some(Held::from_state(&incoming));
        self.take(incoming)
    }

    fn take(&mut self, mut incoming: ActionResponse) -> bool {
        if let Some(current) = &self.state {
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
            self.earlier.follow(&current.context.messages, &incoming.context.messages);
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

    /// The server confirmed an action: its answer is the new state or the patch to it, and
    /// the action is done. Returns what a patch did (a whole state is always taken).
    pub fn confirm(&mut self, client_action_id: &str, answer: ActionReply) -> PatchOutcome {
        self.pending.retain(|p| p.client_action_id != client_action_id);
        match answer {
            ActionReply::Patch(reply) => self.apply_patch(&reply.patch),
            ActionReply::Whole(state) => {
                self.apply_state(state);
                PatchOutcome::Applied
            }
        }
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
        MessageDTO { role, complete, stream_seq: seq, ..MessageDTO::for_tests(id, content) }
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

    fn patch(base: u64, version: u64, upserts: Vec<MessageDTO>, path: Option<Vec<Uuid>>) -> PatchDTO {
        let mut fields = crate::wire::ContextFieldsDTO::of(&state(version, ChatStatus::Idle, vec![]).context);
        fields.messages_before = Some(0);
        PatchDTO { base_version: base, version, context: fields, upserts, path }
    }

    #[test]
    fn patches_apply_in_order_and_a_gap_asks_for_a_snapshot() {
        let first = message(Uuid::from_u128(1), MessageRole::User, "hi", true, 0);
        let mut model = ChatModel::new(state(3, ChatStatus::Idle, vec![first.clone()]));
        let reply = message(Uuid::from_u128(2), MessageRole::Assistant, "hello", true, 0);
        let path = Some(vec![first.id, reply.id]);
        assert_eq!(model.apply_patch(&patch(3, 4, vec![reply.clone()], path.clone())), PatchOutcome::Applied);
        assert_eq!(model.message_ids(), vec![first.id, reply.id]);
        assert_eq!(model.version(), Some(4));
        assert_eq!(model.apply_patch(&patch(3, 4, vec![reply], path.clone())), PatchOutcome::Stale, "had it already");
        assert_eq!(model.apply_patch(&patch(5, 6, vec![], path)), PatchOutcome::Resync, "version 5 never came");
        assert_eq!(model.version(), Some(4), "nothing changed");
    }

    #[test]
    fn an_action_answered_with_a_patch_is_confirmed_and_applied() {
        let mut model = ChatModel::new(state(1, ChatStatus::Idle, vec![]));
        model.push_pending(PendingAction::new(Uuid::nil(), Action::send_message("hi"), "a1".into(), "hi".into()));
        let mut mine = message(Uuid::from_u128(1), MessageRole::User, "hi", true, 0);
        mine.client_action_id = Some("a1".into());
        let answer = crate::wire::ActionPatchResponse {
            status: ChatStatus::Idle,
            patch: patch(1, 2, vec![mine.clone()], Some(vec![mine.id])),
        };
        assert_eq!(model.confirm("a1", ActionReply::Patch(answer)), PatchOutcome::Applied);
        assert!(model.pending.is_empty());
        assert_eq!(model.message(mine.id).map(|m| m.content.as_str()), Some("hi"));
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
