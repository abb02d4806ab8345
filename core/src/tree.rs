//! The message tree: every message points at its parent, so editing and regenerating add
//! siblings instead of overwriting history.

use std::collections::HashMap;

use crate::message::{Message, MessageId};

/// Messages in insertion order with an index by id. Insertion order keeps listings and
/// exports stable; the index keeps lookups O(1) however long the conversation grows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageTree {
    messages: Vec<Message>,
    index: HashMap<MessageId, usize>,
}

impl MessageTree {
    /// Builds a tree from stored messages, which must be in insertion order (parents first).
    /// Returns `None` when a parent is missing or an id repeats: a broken tree is never
    /// accepted silently.
    pub fn from_messages(messages: Vec<Message>) -> Option<Self> {
        let mut tree = MessageTree::default();
        for message in messages {
            if let Some(parent) = message.parent_id {
                if !tree.contains(parent) {
                    return None;
                }
            }
            if tree.contains(message.id) {
                return None;
            }
            tree.push(message);
        }
        Some(tree)
    }

    pub(crate) fn push(&mut self, message: Message) {
        self.index.insert(message.id, self.messages.len());
        self.messages.push(message);
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn contains(&self, id: MessageId) -> bool {
        self.index.contains_key(&id)
    }

    pub fn get(&self, id: MessageId) -> Option<&Message> {
        self.index.get(&id).map(|&i| &self.messages[i])
    }

    pub(crate) fn get_mut(&mut self, id: MessageId) -> Option<&mut Message> {
        self.index.get(&id).map(|&i| &mut self.messages[i])
    }

    /// A message's position: its insertion order, which stores keep to load parents first.
    pub fn position(&self, id: MessageId) -> Option<usize> {
        self.index.get(&id).copied()
    }

    pub(crate) fn at(&self, position: usize) -> &Message {
        &self.messages[position]
    }

    /// Every message, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter()
    }

    /// The path from the root down to `leaf`, root first.
    pub fn path_to(&self, leaf: Option<MessageId>) -> Vec<&Message> {
        let mut path: Vec<&Message> = self.ancestors(leaf).collect();
        path.reverse();
        path
    }

    /// `leaf` and then its parents up to the root: cheaper than a whole path when only the
    /// last few messages matter.
    pub fn ancestors(&self, leaf: Option<MessageId>) -> impl Iterator<Item = &Message> {
        let mut next = leaf;
        std::iter::from_fn(move || {
            let message = self.get(next?)?;
            next = message.parent_id;
            Some(message)
        })
    }

    /// Messages sharing `parent` (the roots when `parent` is `None`), oldest first.
    pub fn children(&self, parent: Option<MessageId>) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(move |m| m.parent_id == parent)
    }

    /// True when `ancestor` lies on the path from the root to `id` (a message is its own ancestor).
    pub fn is_ancestor(&self, ancestor: MessageId, id: Option<MessageId>) -> bool {
        let mut next = id;
        while let Some(current) = next {
            if current == ancestor {
                return true;
            }
            next = self.get(current).and_then(|m| m.parent_id);
        }
        false
    }
}
