//! A chat context: its row (title, status, branches, ...), its message tree and what changed
//! since the last save.

use serde::{Deserialize, Serialize};

use crate::branch::{Branch, MAIN_BRANCH};
use crate::dirty::{Changes, DirtySet};
use crate::fsm::Status;
use crate::message::{Approval, Message, MessageId, Role};
use crate::place::Place;
use crate::policy::AllowedTools;
use crate::settings::{ModelSettings, Timing, Usage};
use crate::tree::MessageTree;
use crate::{ContextId, Timestamp, UserId};

/// How many `client_action_id`s of non-message actions a context remembers for idempotency.
pub const RECENT_ACTIONS_KEPT: usize = 256;
/// The title of a context nobody named yet.
pub const DEFAULT_TITLE: &str = "New chat";
const TITLE_MAX_CHARS: usize = 60;

/// Everything about a context except its messages: what a store keeps in the context row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextRow {
    pub id: ContextId,
    pub owner: UserId,
    pub title: String,
    /// A title set by hand is never replaced by a generated one.
    pub title_is_manual: bool,
    pub status: Status,
    /// +1 on every persisted change.
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub active_branch: String,
    pub branches: Vec<Branch>,
    pub last_error: Option<String>,
    /// `client_action_id`s of recent actions that did not create a message, oldest first.
    pub recent_actions: Vec<String>,
    /// What the conversation asks of its model.
    pub settings: ModelSettings,
    /// The first message of the active path the model saw at the last request, when the
    /// older ones did not fit its context window; `None` when all of them fit.
    pub context_window_start: Option<MessageId>,
    /// Where it sits in the owner's list.
    #[serde(default)]
    pub place: Place,
    /// Tools whose calls run here without asking.
    #[serde(default)]
    pub allowed_tools: AllowedTools,
}

#[derive(Debug, Clone)]
pub struct ChatContext {
    pub(crate) row: ContextRow,
    pub(crate) tree: MessageTree,
    pub(crate) dirty: DirtySet,
}

/// An empty value with no branches: not a conversation, only something to leave in a place
/// a context was moved out of (the server's per-context guard does that while it is held).
impl Default for ChatContext {
    fn default() -> Self {
        let row = ContextRow {
            id: ContextId::nil(),
            owner: UserId::nil(),
            title: String::new(),
            title_is_manual: false,
            status: Status::Idle,
            version: 0,
            created_at: Timestamp::default(),
            updated_at: Timestamp::default(),
            active_branch: String::new(),
            branches: Vec::new(),
            last_error: None,
            recent_actions: Vec::new(),
            settings: ModelSettings::default(),
            context_window_start: None,
            place: Place::default(),
            allowed_tools: AllowedTools::new(),
        };
        ChatContext { row, tree: MessageTree::default(), dirty: DirtySet::default() }
    }
}

impl ChatContext {
    /// A new, empty context with its `main` branch. It is dirty until it is first saved.
    pub fn new(id: ContextId, owner: UserId, title: Option<String>, now: Timestamp) -> Self {
        let title_is_manual = title.is_some();
        let row = ContextRow {
            id,
            owner,
            title: title.unwrap_or_else(|| DEFAULT_TITLE.to_string()),
            title_is_manual,
            status: Status::Idle,
            version: 0,
            created_at: now,
            updated_at: now,
            active_branch: MAIN_BRANCH.to_string(),
            branches: vec![Branch { name: MAIN_BRANCH.to_string(), head: None }],
            last_error: None,
            recent_actions: Vec::new(),
            settings: ModelSettings::default(),
            context_window_start: None,
            place: Place::default(),
            allowed_tools: AllowedTools::new(),
        };
        let mut context = ChatContext { row, tree: MessageTree::default(), dirty: DirtySet::default() };
        context.mark_dirty();
        context
    }

    /// Rebuilds a stored context. Returns `None` when the parts do not form a valid context
    /// (a broken tree, or an active branch that does not exist).
    pub fn from_parts(row: ContextRow, messages: Vec<Message>) -> Option<Self> {
        let tree = MessageTree::from_messages(messages)?;
        let active_exists = row.branches.iter().any(|b| b.name == row.active_branch);
        let heads_exist = row.branches.iter().all(|b| b.head.is_none_or(|h| tree.contains(h)));
        if !active_exists || !heads_exist {
            return None;
        }
        Some(ChatContext { row, tree, dirty: DirtySet::default() })
    }

    /// A new context made of imported parts. The import arrives at rest: its status is
    /// `awaiting_tool_approval` when its last reply asked for tools, else `idle`, and any
    /// other call left undecided or unrun is closed (nothing will run it now). Everything is
    /// dirty and the version is 0, so the first save writes it all. `None` when the parts
    /// do not form a valid context.
    pub fn imported(mut row: ContextRow, messages: Vec<Message>) -> Option<Self> {
        row.version = 0;
        row.status = Status::Idle;
        row.last_error = None;
        let mut context = ChatContext::from_parts(row, messages)?;
        let last = context.last_assistant().map(|m| m.id);
        for position in 0..context.tree.len() {
            let id = context.tree.at(position).id;
            let message = context.tree.get_mut(id).expect("position is in the tree");
            for call in &mut message.tool_calls {
                let undecided_elsewhere = call.approval == Approval::Pending && Some(id) != last;
                if undecided_elsewhere || call.is_runnable() {
                    call.approval = Approval::Denied;
                    call.error = Some("not run before the conversation was exported".into());
                }
            }
        }
        let waiting = context.last_assistant().is_some_and(|m| m.pending_tool_calls().next().is_some());
        context.row.status = if waiting { Status::AwaitingToolApproval } else { Status::Idle };
        context.dirty.row = true;
        context.dirty.messages = (0..context.tree.len()).collect();
        Some(context)
    }

    pub fn id(&self) -> ContextId {
        self.row.id
    }
    pub fn owner(&self) -> UserId {
        self.row.owner
    }
    pub fn title(&self) -> &str {
        &self.row.title
    }
    pub fn status(&self) -> Status {
        self.row.status
    }
    pub fn version(&self) -> u64 {
        self.row.version
    }
    pub fn created_at(&self) -> Timestamp {
        self.row.created_at
    }
    pub fn updated_at(&self) -> Timestamp {
        self.row.updated_at
    }
    pub fn last_error(&self) -> Option<&str> {
        self.row.last_error.as_deref()
    }
    pub fn branches(&self) -> &[Branch] {
        &self.row.branches
    }
    pub fn active_branch(&self) -> &str {
        &self.row.active_branch
    }
    pub fn messages(&self) -> &MessageTree {
        &self.tree
    }
    pub fn row(&self) -> &ContextRow {
        &self.row
    }
    pub fn settings(&self) -> &ModelSettings {
        &self.row.settings
    }
    pub fn context_window_start(&self) -> Option<MessageId> {
        self.row.context_window_start
    }

    /// Settings for a context before its first save (new contexts start from the user's
    /// defaults or a preset). Later changes go through the `update_settings` event.
    pub fn with_settings(mut self, settings: ModelSettings) -> Self {
        self.row.settings = settings;
        self.mark_dirty();
        self
    }

    /// Fills a model or system prompt the context leaves to the server's defaults (one saved
    /// before settings existed) with those defaults. Not a change to save: the defaults are
    /// what it had all along.
    pub fn fill_default_settings(&mut self, model: &str, system_prompt: &str) {
        let settings = &mut self.row.settings;
        settings.model.get_or_insert_with(|| model.to_string());
        settings.system_prompt.get_or_insert_with(|| system_prompt.to_string());
    }

    /// Records where the model's view of the active path started at the request just made.
    pub fn set_context_window_start(&mut self, start: Option<MessageId>) {
        if self.row.context_window_start != start {
            self.row.context_window_start = start;
            self.mark_dirty();
        }
    }

    /// Records on the newest assistant message who wrote it and what it cost.
    pub fn record_reply(&mut self, model: &str, usage: Option<Usage>, timing: Option<Timing>) {
        let Some(id) = self.last_assistant().map(|m| m.id) else { return };
        let message = self.message_mut(id).expect("the last assistant message exists");
        message.model = Some(model.to_string());
        if usage.is_some() {
            message.usage = usage;
        }
        if timing.is_some() {
            message.timing = timing;
        }
    }

    /// The head of the active branch.
    pub fn active_head(&self) -> Option<MessageId> {
        self.active_branch_ref().head
    }

    /// The conversation shown: the active branch from the root to its head.
    pub fn active_path(&self) -> Vec<&Message> {
        self.tree.path_to(self.active_head())
    }

    /// The last assistant message on the active path: the one whose tool calls await approval.
    pub fn last_assistant(&self) -> Option<&Message> {
        self.tree.ancestors(self.active_head()).find(|m| m.role == Role::Assistant)
    }

    /// True when an action with this id was already applied.
    pub fn has_seen_action(&self, client_action_id: &str) -> bool {
        self.row.recent_actions.iter().any(|id| id == client_action_id)
            || self.tree.iter().any(|m| m.client_action_id.as_deref() == Some(client_action_id))
    }

    /// Renames the context. A manual title always wins over generated ones.
    pub fn rename(&mut self, title: String, now: Timestamp) {
        self.row.title = title;
        self.row.title_is_manual = true;
        self.touch(now);
    }

    /// Moves it in its owner's list (pin, archive, folder). Its `updated_at` stays: this is
    /// no news in the conversation. Returns whether anything changed.
    pub fn set_place(&mut self, place: Place) -> bool {
        if self.row.place == place {
            return false;
        }
        self.row.place = place;
        self.mark_dirty();
        true
    }

    /// The tools whose calls run here without asking.
    pub fn allowed_tools(&self) -> &AllowedTools {
        &self.row.allowed_tools
    }

    /// Lets these tools' calls run here without asking. Returns whether anything changed.
    pub fn allow_tools<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> bool {
        let before = self.row.allowed_tools.len();
        self.row.allowed_tools.extend(names.into_iter().map(str::to_string));
        let changed = self.row.allowed_tools.len() != before;
        if changed {
            self.mark_dirty();
        }
        changed
    }

    /// Sets a generated title unless someone named the context by hand.
    pub fn set_generated_title(&mut self, title: String, now: Timestamp) -> bool {
        if self.row.title_is_manual || self.row.title == title {
            return false;
        }
        self.row.title = title;
        self.touch(now);
        true
    }

    // --- dirty tracking -------------------------------------------------------------------

    /// Marks the context row as changed, so the next auto-save writes it.
    pub fn mark_dirty(&mut self) {
        self.dirty.row = true;
    }

    pub fn clear_dirty(&mut self) {
        self.dirty = DirtySet::default();
    }

    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// What the next save must write. The row carries the version the save creates.
    pub fn changes(&self) -> Changes<'_> {
        let mut row = self.row.clone();
        row.version += 1;
        let messages = self.dirty.messages.iter().map(|&position| (position, self.tree_message_at(position))).collect();
        Changes { row, messages }
    }

    /// The messages the next save writes (no copy of the row, unlike [`ChatContext::changes`]).
    pub fn dirty_message_ids(&self) -> Vec<MessageId> {
        self.dirty.messages.iter().map(|&position| self.tree_message_at(position).id).collect()
    }

    /// Records that the changes from [`ChatContext::changes`] are durably stored.
    pub fn mark_saved(&mut self) {
        self.row.version += 1;
        self.clear_dirty();
    }

    // --- mutation helpers used by the state machine --------------------------------------

    pub(crate) fn touch(&mut self, now: Timestamp) {
        self.row.updated_at = now;
        self.mark_dirty();
    }

    pub(crate) fn set_status(&mut self, status: Status) {
        self.row.status = status;
        self.mark_dirty();
    }

    pub(crate) fn set_last_error(&mut self, error: Option<String>) {
        self.row.last_error = error;
        self.mark_dirty();
    }

    pub(crate) fn remember_action(&mut self, client_action_id: String) {
        let actions = &mut self.row.recent_actions;
        actions.push(client_action_id);
        if actions.len() > RECENT_ACTIONS_KEPT {
            let excess = actions.len() - RECENT_ACTIONS_KEPT;
            actions.drain(..excess);
        }
        self.mark_dirty();
    }

    fn active_branch_ref(&self) -> &Branch {
        self.row
            .branches
            .iter()
            .find(|b| b.name == self.row.active_branch)
            .expect("the active branch always exists: constructors and switch_branch check it")
    }

    pub(crate) fn set_active_head(&mut self, head: Option<MessageId>) {
        let active = self.row.active_branch.clone();
        if let Some(branch) = self.row.branches.iter_mut().find(|b| b.name == active) {
            branch.head = head;
        }
        self.mark_dirty();
    }

    /// Adds a branch and makes it active.
    pub(crate) fn add_active_branch(&mut self, name: String, head: Option<MessageId>) {
        self.row.branches.push(Branch { name: name.clone(), head });
        self.row.active_branch = name;
        self.mark_dirty();
    }

    pub(crate) fn switch_to(&mut self, name: &str) -> bool {
        if !self.row.branches.iter().any(|b| b.name == name) {
            return false;
        }
        self.row.active_branch = name.to_string();
        self.mark_dirty();
        true
    }

    /// Appends a message at the head of the active branch and moves the head to it.
    pub(crate) fn append(&mut self, mut message: Message) -> MessageId {
        message.parent_id = self.active_head();
        self.insert(message)
    }

    /// Inserts a message (its parent already set) and makes it the active head.
    pub(crate) fn insert(&mut self, message: Message) -> MessageId {
        let id = message.id;
        self.dirty.messages.insert(self.tree.len());
        self.tree.push(message);
        self.set_active_head(Some(id));
        id
    }

    /// Mutable access to a message that marks it dirty.
    pub(crate) fn message_mut(&mut self, id: MessageId) -> Option<&mut Message> {
        let position = self.tree.position(id)?;
        self.dirty.messages.insert(position);
        self.tree.get_mut(id)
    }

    fn tree_message_at(&self, position: usize) -> &Message {
        self.tree.at(position)
    }
}

/// A short title from the first user message: its first line, cut at a word boundary.
pub fn title_from(content: &str) -> String {
    let line = content.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut title = String::new();
    for word in words {
        let extra = if title.is_empty() { 0 } else { 1 } + word.chars().count();
        if title.chars().count() + extra > TITLE_MAX_CHARS {
            if title.is_empty() {
                title = word.chars().take(TITLE_MAX_CHARS).collect();
            }
            title.push('…');
            return title;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        DEFAULT_TITLE.to_string()
    } else {
        title
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_line_and_are_cut_at_a_word() {
        assert_eq!(title_from("  hello there\nsecond line"), "hello there");
        let long = "word ".repeat(30);
        let title = title_from(&long);
        assert!(title.ends_with('…'));
        assert!(title.chars().count() <= TITLE_MAX_CHARS + 1);
        assert!(!title.contains("  "));
        assert_eq!(title_from("   \n  "), DEFAULT_TITLE);
    }
}
