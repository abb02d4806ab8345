//! What each of a context's recent saves changed, so a client holding version V can be sent
//! only the change since V (a patch) instead of the whole conversation.

use std::collections::VecDeque;

use confab_core::MessageId;

/// How many saves a context remembers; a client further behind gets the whole state.
const KEPT: usize = 256;

/// One save: the version it made, the messages it wrote, and whether the active path's
/// head or branch moved (then the window's path is sent again).
#[derive(Debug, Clone, PartialEq)]
struct Change {
    version: u64,
    messages: Vec<MessageId>,
    path_moved: bool,
    head: (Option<MessageId>, String),
}

#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    entries: VecDeque<Change>,
}

/// What changed from one version to a later one.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Since {
    pub messages: Vec<MessageId>,
    pub path_moved: bool,
    /// The head of the active path at the base version.
    pub base_head: Option<MessageId>,
}

impl ChangeLog {
    /// Records a save. A version that does not follow the last one (another process saved
    /// in between) starts the log again.
    pub fn record(&mut self, version: u64, messages: Vec<MessageId>, head: (Option<MessageId>, String)) {
        let follows = self.entries.back().is_some_and(|last| last.version + 1 == version);
        if !follows {
            self.entries.clear();
        }
        let path_moved = self.entries.back().is_none_or(|last| last.head != head);
        self.entries.push_back(Change { version, messages, path_moved, head });
        if self.entries.len() > KEPT {
            self.entries.pop_front();
        }
    }

    /// The change from `base` to `current`, if every save in between is remembered (and the
    /// one that made `base`, so that a moved path is known).
    pub fn since(&self, base: u64, current: u64) -> Option<Since> {
        if base > current {
            return None;
        }
        let first = self.entries.front()?.version;
        if base < first || self.entries.back()?.version != current {
            return None;
        }
        let base_head = self.entries.iter().find(|c| c.version == base)?.head.0;
        let mut since = Since { base_head, ..Since::default() };
        for change in self.entries.iter().filter(|c| c.version > base) {
            since.messages.extend(change.messages.iter().copied());
            since.path_moved |= change.path_moved;
        }
        since.messages.sort_unstable();
        since.messages.dedup();
        Some(since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> MessageId {
        uuid::Uuid::from_u128(n)
    }

    #[test]
    fn the_change_since_a_version_is_the_union_of_the_saves_after_it() {
        let mut log = ChangeLog::default();
        log.record(1, vec![], (None, "main".into()));
        log.record(2, vec![id(1)], (Some(id(1)), "main".into()));
        log.record(3, vec![id(2)], (Some(id(2)), "main".into()));
        log.record(4, vec![id(2)], (Some(id(2)), "main".into()));
        let grew = Since { messages: vec![id(2)], path_moved: false, base_head: Some(id(2)) };
        assert_eq!(log.since(3, 4), Some(grew), "text grew");
        let both = Since { messages: vec![id(1), id(2)], path_moved: true, base_head: None };
        assert_eq!(log.since(1, 4), Some(both));
        assert_eq!(log.since(4, 4), Some(Since { base_head: Some(id(2)), ..Since::default() }));
        assert_eq!(log.since(0, 4), None, "older than the log");
        assert_eq!(log.since(2, 5), None, "a version not saved here");
    }

    #[test]
    fn a_gap_in_versions_starts_the_log_again() {
        let mut log = ChangeLog::default();
        log.record(1, vec![], (None, "main".into()));
        log.record(3, vec![id(1)], (Some(id(1)), "main".into()));
        assert_eq!(log.since(1, 3), None);
        assert!(log.since(3, 3).is_some());
    }
}
