//! Applying patches to what the page holds of a conversation: its fields, the messages of
//! its window by id, and the window's path. Plain data, no I/O: the same code runs in the
//! browser and in the server's tests (which check it against the server's own states).

use std::collections::HashMap;

use uuid::Uuid;

use crate::wire::{ActionResponse, ContextFieldsDTO, MessageDTO, PatchDTO};

/// How many of a branch's newest messages the page holds and is kept up to date on.
pub const WINDOW: u32 = 100;

/// What a client holds of one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub fields: ContextFieldsDTO,
    messages: HashMap<Uuid, MessageDTO>,
    /// The window's messages, oldest first.
    path: Vec<Uuid>,
}

/// A patch that does not follow what the client holds: it must fetch a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resync {
    pub held: u64,
    pub base: u64,
}

impl Held {
    /// What a snapshot (a windowed state, or a whole one) holds.
    pub fn from_state(state: &ActionResponse) -> Self {
        let context = &state.context;
        let path = context.messages.iter().map(|m| m.id).collect();
        let messages = context.messages.iter().map(|m| (m.id, m.clone())).collect();
        Held { fields: ContextFieldsDTO::of(context), messages, path }
    }

    pub fn version(&self) -> u64 {
        self.fields.version
    }

    /// Applies the change from the version held to the next; a patch from another version
    /// changes nothing and asks for a resync.
    pub fn apply(&mut self, patch: &PatchDTO) -> Result<(), Resync> {
        if patch.base_version != self.fields.version {
            return Err(Resync { held: self.fields.version, base: patch.base_version });
        }
        self.fields = patch.context.clone();
        if let Some(path) = &patch.path {
            self.path = path.clone();
        }
        for message in &patch.upserts {
            self.messages.insert(message.id, message.clone());
        }
        // Only the window's messages are kept.
        let window: std::collections::HashSet<Uuid> = self.path.iter().copied().collect();
        self.messages.retain(|id, _| window.contains(id));
        Ok(())
    }

    /// The state this amounts to, as a snapshot of the same window would give it. Messages
    /// of the path the client was never sent are missing (the server always sends them).
    pub fn to_state(&self) -> ActionResponse {
        let messages = self.path.iter().filter_map(|id| self.messages.get(id).cloned()).collect();
        let context = self.fields.with_messages(messages);
        ActionResponse { status: context.status, context }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::wire::{ChatContextDTO, ChatStatus, MessageRole};

    fn message(n: u128, content: &str) -> MessageDTO {
        MessageDTO {
            parent_id: (n > 1).then(|| Uuid::from_u128(n - 1)),
            role: if n % 2 == 1 { MessageRole::User } else { MessageRole::Assistant },
            ..MessageDTO::for_tests(Uuid::from_u128(n), content)
        }
    }

    fn state(version: u64, messages: Vec<MessageDTO>, before: u64) -> ActionResponse {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let context = ChatContextDTO {
            id: Uuid::nil(),
            title: "t".into(),
            status: ChatStatus::Idle,
            version,
            created_at: at,
            updated_at: at,
            active_branch: "main".into(),
            branches: vec![],
            messages,
            last_error: None,
            settings: Default::default(),
            context_window_start: None,
            messages_before: Some(before),
        };
        ActionResponse { status: ChatStatus::Idle, context }
    }

    fn patch(from: &ActionResponse, to: &ActionResponse, upserts: Vec<MessageDTO>, path: bool) -> PatchDTO {
        PatchDTO {
            base_version: from.context.version,
            version: to.context.version,
            context: ContextFieldsDTO::of(&to.context),
            upserts,
            path: path.then(|| to.context.messages.iter().map(|m| m.id).collect()),
        }
    }

    #[test]
    fn patches_applied_in_order_give_the_state_of_the_same_window() {
        let v1 = state(1, vec![message(1, "a"), message(2, "b")], 0);
        let mut held = Held::from_state(&v1);
        // A new message slides the window of two: the oldest falls out.
        let v2 = state(2, vec![message(2, "b"), message(3, "c")], 1);
        held.apply(&patch(&v1, &v2, vec![message(3, "c")], true)).unwrap();
        assert_eq!(held.to_state(), v2);
        // A message that grows changes only itself.
        let v3 = state(3, vec![message(2, "b"), message(3, "c, longer")], 1);
        held.apply(&patch(&v2, &v3, vec![message(3, "c, longer")], false)).unwrap();
        assert_eq!(held.to_state(), v3);
    }

    #[test]
    fn a_patch_from_another_version_asks_for_a_resync_and_changes_nothing() {
        let v1 = state(1, vec![message(1, "a")], 0);
        let v3 = state(3, vec![message(1, "a"), message(2, "b")], 0);
        let mut held = Held::from_state(&v1);
        let before = held.clone();
        let skipped = PatchDTO { base_version: 2, ..patch(&v1, &v3, vec![message(2, "b")], true) };
        assert_eq!(held.apply(&skipped), Err(Resync { held: 1, base: 2 }));
        assert_eq!(held, before);
    }
}
