//! What each of a context's recent saves changed, so a client holding version V can be sent
//! only the change since V (a patch) instead of the whole conversation.

use std::collections::VecDeque;

use confab_core::MessageId;

/// How many saves a context remembers; a client further behind gets the whole state.
const KEPT: usize = 256;

/// The head of the active path, and the branch it belongs to.
pub(crate) type Head = (Option<MessageId>, String);

/// One step from version `from` to `version`: a save of this process, a reload of what
/// another process saved (maybe several versions at once), or, with `from == version`, a
/// version known as it is, with nothing known of how it came about (a fresh load).
#[derive(Debug, Clone, PartialEq)]
struct Change {
    from: u64,
    version: u64,
    messages: Vec<MessageId>,
    path_moved: bool,
    head: Head,
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
    /// Records a step from `from` to `version` that wrote `messages`. A step that does not
    /// start where the last one ended (another process saved in between) starts the log again.
    pub fn record(&mut self, from: u64, version: u64, messages: Vec<MessageId>, head: Head) {
        if self.entries.back().is_some_and(|last| last.version != from) {
            self.entries.clear();
        }
        let path_moved = self.entries.back().is_none_or(|last| last.head != head);
        self.entries.push_back(Change { from, version, messages, path_moved, head });
        if self.entries.len() > KEPT {
            self.entries.pop_front();
        }
    }

    /// Marks `version` as loaded: a patch may start from it. Nothing changes when it is the
    /// newest version recorded already.
    pub fn loaded(&mut self, version: u64, head: Head) {
        if self.entries.back().is_none_or(|last| last.version != version) {
            // Kept after what came before, so that a reload can be joined to it (see
            // `reloaded`); `since` goes no further back than such a mark.
            self.entries.push_back(Change { from: version, version, messages: Vec::new(), path_moved: true, head });
            if self.entries.len() > KEPT {
                self.entries.pop_front();
            }
        }
    }

    /// Replaces the mark a reload left at its version with the step from `from` that led
    /// there, when `from` is the version recorded before it (what another process saved,
    /// found by comparing what was loaded before with what is loaded now).
    pub fn reloaded(&mut self, from: u64, messages: Vec<MessageId>) {
        let Some(last) = self.entries.back_mut() else { return };
        if last.from != last.version || from >= last.version {
            return;
        }
        let (version, head) = (last.version, last.head.clone());
        self.entries.pop_back();
        if self.entries.back().is_some_and(|before| before.version == from) {
            self.record(from, version, messages, head);
        } else {
            self.entries.clear();
            self.record(version, version, Vec::new(), head);
        }
    }

    /// The change from `base` to `current`, if every step in between is remembered (and the
    /// one that made `base`, so that a moved path is known).
    pub fn since(&self, base: u64, current: u64) -> Option<Since> {
        if base > current || self.entries.back()?.version != current {
            return None;
        }
        let at = self.entries.iter().rposition(|c| c.version == base)?;
        let mut since = Since { base_head: self.entries[at].head.0, ..Since::default() };
        let mut version = base;
        for change in self.entries.iter().skip(at + 1) {
            if change.from != version || change.from == change.version {
                return None;
            }
            version = change.version;
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

    fn head(n: Option<u128>) -> Head {
        (n.map(id), "main".into())
    }

    #[test]
    fn the_change_since_a_version_is_the_union_of_the_saves_after_it() {
        let mut log = ChangeLog::default();
        log.loaded(1, head(None));
        log.record(1, 2, vec![id(1)], head(Some(1)));
        log.record(2, 3, vec![id(2)], head(Some(2)));
        log.record(3, 4, vec![id(2)], head(Some(2)));
        let grew = Since { messages: vec![id(2)], path_moved: false, base_head: Some(id(2)) };
        assert_eq!(log.since(3, 4), Some(grew), "text grew");
        let both = Since { messages: vec![id(1), id(2)], path_moved: true, base_head: None };
        assert_eq!(log.since(1, 4), Some(both), "from the version loaded");
        assert_eq!(log.since(4, 4), Some(Since { base_head: Some(id(2)), ..Since::default() }));
        assert_eq!(log.since(0, 4), None, "older than the log");
        assert_eq!(log.since(2, 5), None, "a version not saved here");
    }

    #[test]
    fn a_gap_in_versions_starts_the_log_again() {
        let mut log = ChangeLog::default();
        log.loaded(1, head(None));
        log.record(2, 3, vec![id(1)], head(Some(1)));
        assert_eq!(log.since(1, 3), None);
        assert!(log.since(3, 3).is_some());
        log.loaded(3, head(Some(1)));
        assert!(log.since(3, 3).is_some(), "loading the newest version again keeps the log");
        log.loaded(5, head(Some(1)));
        assert_eq!(log.since(3, 5), None, "a version loaded without its history is a new start");
        assert!(log.since(5, 5).is_some());
    }

    #[test]
    fn what_another_process_saved_is_one_step_from_the_version_held_before() {
        let mut log = ChangeLog::default();
        log.loaded(4, head(Some(1)));
        log.loaded(7, head(Some(3)));
        log.reloaded(4, vec![id(2), id(3)]);
        let step = Since { messages: vec![id(2), id(3)], path_moved: true, base_head: Some(id(1)) };
        assert_eq!(log.since(4, 7), Some(step));
        assert_eq!(log.since(5, 7), None, "versions in between were never held here");

        let mut fresh = ChangeLog::default();
        fresh.loaded(7, head(Some(3)));
        fresh.reloaded(4, vec![id(2)]);
        assert_eq!(fresh.since(4, 7), None, "a step from a version this process never held is not made up");
        assert!(fresh.since(7, 7).is_some());
    }
}
