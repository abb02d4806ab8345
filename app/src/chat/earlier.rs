//! Messages above the window the server keeps this tab up to date on: pages the reader
//! loaded by scrolling up. They stay joined to the window: messages that slide out of the
//! window's top join them, and when the window no longer follows them (a branch switch, an
//! edit further up) they are let go, to be loaded again if the reader scrolls up.

use std::collections::HashMap;

use uuid::Uuid;

use crate::wire::MessageDTO;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Earlier {
    /// Oldest first; the last one is the parent of the window's first message.
    messages: Vec<MessageDTO>,
    /// Where each message is in `messages`: every shown message looks itself up at every
    /// change, thousands of them once the reader went far up.
    at: HashMap<Uuid, usize>,
}

impl Earlier {
    pub fn messages(&self) -> &[MessageDTO] {
        &self.messages
    }

    pub fn get(&self, id: Uuid) -> Option<&MessageDTO> {
        self.at.get(&id).map(|&at| &self.messages[at])
    }

    fn reindex(&mut self) {
        self.at = self.messages.iter().enumerate().map(|(at, m)| (m.id, at)).collect();
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Puts a page that ends just above the first message held (`first`) in front; a page
    /// that does not (the branch changed while it loaded) is dropped. Returns whether it
    /// was taken.
    pub fn prepend(&mut self, page: Vec<MessageDTO>, first: Option<&MessageDTO>) -> bool {
        let joins = match (page.last(), first) {
            (Some(last), Some(first)) => first.parent_id == Some(last.id),
            _ => false,
        };
        if joins {
            self.messages.splice(0..0, page);
            self.reindex();
        }
        joins
    }

    /// Follows the window from `old` to `new`: what slid out of its top joins these, and
    /// if they no longer end where the new window begins they go.
    pub fn follow(&mut self, old: &[MessageDTO], new: &[MessageDTO]) {
        let Some(new_first) = new.first() else {
            self.messages.clear();
            self.at.clear();
            return;
        };
        let slid_out = match old.iter().position(|m| m.id == new_first.id) {
            Some(at) => &old[..at],
            None if old.last().is_some_and(|last| new_first.parent_id == Some(last.id)) => old,
            None => &[],
        };
        let joined_before =
            self.messages.last().map(|m| m.id) == old.first().and_then(|m| m.parent_id) || self.is_empty();
        if joined_before {
            for message in slid_out {
                self.at.insert(message.id, self.messages.len());
                self.messages.push(message.clone());
            }
        }
        if self.messages.last().is_some_and(|last| new_first.parent_id != Some(last.id)) {
            self.messages.clear();
            self.at.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    /// Message `n` of a straight branch: its parent is `n - 1`.
    fn m(n: u128) -> MessageDTO {
        let parent_id = (n > 1).then(|| Uuid::from_u128(n - 1));
        MessageDTO { parent_id, ..MessageDTO::for_tests(Uuid::from_u128(n), &format!("{n}")) }
    }

    fn range(from: u128, to: u128) -> Vec<MessageDTO> {
        (from..=to).map(m).collect()
    }

    fn ids(earlier: &Earlier) -> Vec<u128> {
        earlier.messages().iter().map(|m| m.id.as_u128()).collect()
    }

    #[test]
    fn a_page_goes_in_front_only_when_it_ends_above_the_first_message() {
        let mut earlier = Earlier::default();
        assert!(earlier.prepend(range(41, 50), Some(&m(51))));
        assert!(earlier.prepend(range(31, 40), earlier.messages().first().cloned().as_ref()));
        assert_eq!(ids(&earlier), (31..=50).collect::<Vec<_>>());
        assert_eq!(earlier.get(Uuid::from_u128(45)).map(|m| m.content.as_str()), Some("45"));
        assert!(!earlier.prepend(range(1, 10), Some(&m(31))), "a page from elsewhere is dropped");
        assert_eq!(earlier.len(), 20);
    }

    #[test]
    fn messages_sliding_out_of_the_window_join_the_earlier_ones() {
        let mut earlier = Earlier::default();
        earlier.prepend(range(41, 50), Some(&m(51)));
        earlier.follow(&range(51, 60), &range(53, 62));
        assert_eq!(ids(&earlier), (41..=52).collect::<Vec<_>>());
        assert_eq!(earlier.get(Uuid::from_u128(52)).map(|m| m.content.as_str()), Some("52"));
        assert_eq!(earlier.get(Uuid::from_u128(41)).map(|m| m.content.as_str()), Some("41"));
        earlier.follow(&range(53, 62), &range(70, 79));
        assert!(earlier.is_empty(), "a window that jumped past what was held lets it go");
    }

    #[test]
    fn a_window_on_another_branch_lets_the_earlier_messages_go() {
        let mut earlier = Earlier::default();
        earlier.prepend(range(41, 50), Some(&m(51)));
        let mut elsewhere = range(51, 60);
        elsewhere[0].parent_id = Some(Uuid::from_u128(999));
        earlier.follow(&range(51, 60), &elsewhere);
        assert!(earlier.is_empty());
    }

    #[test]
    fn a_window_that_only_grew_keeps_them() {
        let mut earlier = Earlier::default();
        earlier.prepend(range(1, 10), Some(&m(11)));
        earlier.follow(&range(11, 20), &range(11, 21));
        assert_eq!(earlier.len(), 10);
    }
}
