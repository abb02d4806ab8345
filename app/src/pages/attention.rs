//! Signs of replies that finished where the person was not looking: a dot on a conversation
//! whose reply finished while it was not open (until it is opened), the count of replies
//! finished while the tab was hidden in the tab's title, and a polite announcement of a
//! finished reply for screen readers.

use std::collections::HashSet;

use leptos::prelude::*;
use uuid::Uuid;

use crate::browser;

#[derive(Clone, Copy)]
pub struct Attention {
    /// Conversations with a reply finished while they were not open in this tab.
    pub unread: RwSignal<HashSet<Uuid>>,
    /// Replies finished while this tab was hidden.
    pub while_hidden: RwSignal<u32>,
}

impl Attention {
    /// Made once for the app; the title follows it.
    pub fn provide() -> Self {
        let attention = Attention { unread: RwSignal::new(HashSet::new()), while_hidden: RwSignal::new(0) };
        provide_context(attention);
        // Seen again: the count goes.
        Effect::new(move |_| {
            let handle = window_event_listener_untyped("visibilitychange", move |_| {
                if !browser::is_hidden() {
                    attention.while_hidden.set(0);
                }
            });
            on_cleanup(move || handle.remove());
        });
        attention
    }

    pub fn get() -> Option<Self> {
        use_context::<Self>()
    }

    /// The tab's title: "(2) Confab" when two replies finished while it was hidden.
    pub fn title(&self) -> String {
        match self.while_hidden.get() {
            0 => "Confab".to_string(),
            n => format!("({n}) Confab"),
        }
    }

    /// A reply of conversation `id` finished; `open` is whether this tab shows it.
    pub fn reply_finished(&self, id: Uuid, open: bool) {
        if !open {
            self.unread.update(|unread| {
                unread.insert(id);
            });
        }
        if browser::is_hidden() {
            self.while_hidden.update(|n| *n += 1);
        }
    }

    pub fn opened(&self, id: Uuid) {
        if self.unread.with_untracked(|unread| unread.contains(&id)) {
            self.unread.update(|unread| {
                unread.remove(&id);
            });
        }
    }
}
