//! Dirty tracking: what changed since the last save, so a save writes only that.

use std::collections::BTreeSet;

use crate::context::ContextRow;
use crate::message::Message;

/// The parts of a context changed since the last successful save. Never serialized.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DirtySet {
    pub(crate) row: bool,
    /// Tree positions of new or changed messages; a set keeps parents before children.
    pub(crate) messages: BTreeSet<usize>,
}

impl DirtySet {
    pub(crate) fn is_empty(&self) -> bool {
        !self.row && self.messages.is_empty()
    }
}

/// What a save has to write: the context row and the messages that changed, each with its
/// position in the tree (its insertion order), parents before children.
#[derive(Debug, Clone)]
pub struct Changes<'a> {
    pub row: ContextRow,
    pub messages: Vec<(usize, &'a Message)>,
}
