//! Moving through a long conversation: which messages are on the page ([`Shown`]), the
//! pages of older messages loaded as the reader scrolls up, and jumps to a message. Every
//! move keeps the message the reader is looking at where it was on the screen.
// The server build renders the list but never scrolls it.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code, unused_variables))]

use leptos::html;
use leptos::prelude::*;
use uuid::Uuid;

use super::shown::Shown;
use crate::chat::store::ChatStore;

/// How many older messages come at a time.
const PAGE: u32 = 100;
/// The most a jump loads at a time (the server's limit).
const JUMP_PAGE: u32 = 200;

/// The list of messages and what it shows, for the moves below.
#[derive(Clone, Copy)]
pub struct Scroller {
    pub store: ChatStore,
    pub list: NodeRef<html::Div>,
    pub shown: RwSignal<Shown>,
    /// True while a page loads or a move settles: scroll events then change nothing.
    pub busy: RwSignal<bool>,
}

impl Scroller {
    pub fn new(store: ChatStore) -> Self {
        Self { store, list: NodeRef::new(), shown: RwSignal::new(Shown::default()), busy: RwSignal::new(false) }
    }

    fn ids(&self) -> Vec<Uuid> {
        self.store.model.with_untracked(|m| m.message_ids())
    }

    /// The reader is near the top of what is shown: show the messages above, loading them
    /// first when they are not held yet.
    pub fn near_top(self) {
        let ids = self.ids();
        let shown = self.shown.get_untracked();
        if shown.range(&ids).start > 0 {
            self.show(shown.up(&ids));
        } else if self.store.model.with_untracked(|m| m.not_loaded()) > 0 {
            self.load_earlier();
        }
    }

    /// The reader is near the bottom of what is shown, with newer messages below it.
    pub fn near_bottom(self) {
        let ids = self.ids();
        let shown = self.shown.get_untracked();
        if !shown.at_newest(&ids) {
            self.show(shown.down(&ids));
        }
    }

    /// Back to the newest message, following it again.
    pub fn to_latest(self) {
        // Busy until there: the list is at its top for a moment, which must not move it up.
        self.busy.set(true);
        self.shown.set(Shown::default());
        let (list, busy) = (self.list, self.busy);
        request_animation_frame(move || {
            if let Some(element) = list.get_untracked() {
                element.set_scroll_top(element.scroll_height());
            }
            busy.try_set(false);
        });
    }

    /// Shows `to` instead of what is shown, keeping the reader's place.
    fn show(self, to: Shown) {
        if self.busy.get_untracked() || to == self.shown.get_untracked() {
            return;
        }
        self.settle_after(move || self.shown.set(to));
    }

    /// Runs `change`, then puts the message that was first in view back where it was.
    fn settle_after(self, change: impl FnOnce()) {
        let anchor = self.list.get_untracked().and_then(|list| imp::first_in_view(&list));
        self.busy.set(true);
        change();
        let (list, busy) = (self.list, self.busy);
        request_animation_frame(move || {
            if let (Some(element), Some(anchor)) = (list.get_untracked(), anchor) {
                imp::restore(&element, &anchor);
            }
            busy.try_set(false);
        });
    }

    /// Loads the page above the first message held and shows it.
    pub fn load_earlier(self) {
        if self.busy.get_untracked() {
            return;
        }
        let Some(first) = self.store.model.with_untracked(|m| m.first_message().map(|f| f.id)) else { return };
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            let page = page_above(self.store, first, PAGE).await;
            self.busy.try_set(false);
            if let Some(page) = page {
                self.settle_after(move || {
                    if self.store.model.try_update(|m| m.prepend(page)) == Some(true) {
                        self.shown.set(Shown::starting_at(&self.ids(), 0));
                    }
                });
            }
        });
    }

    /// Brings message `target` (a search hit) into view, loading the pages above the
    /// window until it is among them.
    pub fn jump_to(self, target: Uuid) {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            // A page that no longer joins (the window moved, or another load got there
            // first) is asked for again from the new first message, a few times at most.
            let store = self.store;
            let mut misses = 0;
            while misses < 3 && store.model.with_untracked(|m| m.message(target).is_none() && m.not_loaded() > 0) {
                let Some(first) = store.model.with_untracked(|m| m.first_message().map(|f| f.id)) else { break };
                let Some(page) = page_above(store, first, JUMP_PAGE).await else { break };
                if store.model.try_update(|m| m.prepend(page)) != Some(true) {
                    misses += 1;
                }
            }
            self.shown.try_set(Shown::around(&self.ids(), target));
            let (list, busy) = (self.list, self.busy);
            request_animation_frame(move || {
                if let Some(element) = list.get_untracked() {
                    imp::centre(&element, target);
                }
                busy.try_set(false);
            });
        });
    }
}

/// Up to `limit` messages of the branch just above message `first`; `None` when they could
/// not be fetched.
async fn page_above(store: ChatStore, first: Uuid, limit: u32) -> Option<Vec<crate::wire::MessageDTO>> {
    let path = format!("/api/contexts/{}/messages?before={first}&limit={limit}", store.id);
    crate::api::get::<crate::wire::MessagesPage>(&path).await.ok().map(|page| page.messages)
}

#[cfg(feature = "hydrate")]
mod imp {
    use uuid::Uuid;
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlDivElement};

    /// A message on the page and how far below the list's top edge it was.
    pub struct Anchor {
        id: String,
        offset: f64,
    }

    fn message(list: &HtmlDivElement, id: &str) -> Option<Element> {
        list.query_selector(&format!("[data-message-id=\"{id}\"]")).ok().flatten()
    }

    /// The first message whose bottom is below the list's top edge.
    pub fn first_in_view(list: &HtmlDivElement) -> Option<Anchor> {
        let top = list.get_bounding_client_rect().top();
        let found = list.query_selector_all(".message-list > [data-message-id]").ok()?;
        (0..found.length()).find_map(|n| {
            let element = found.item(n)?.dyn_into::<Element>().ok()?;
            let rect = element.get_bounding_client_rect();
            let id = element.get_attribute("data-message-id")?;
            (rect.bottom() > top).then(|| Anchor { id, offset: rect.top() - top })
        })
    }

    /// Scrolls so the anchor's message is as far below the top edge as it was. Idempotent:
    /// where the browser's own scroll anchoring already did it, nothing moves.
    pub fn restore(list: &HtmlDivElement, anchor: &Anchor) {
        if let Some(element) = message(list, &anchor.id) {
            let now = element.get_bounding_client_rect().top() - list.get_bounding_client_rect().top();
            list.set_scroll_top(list.scroll_top() + (now - anchor.offset).round() as i32);
        }
    }

    pub fn centre(list: &HtmlDivElement, target: Uuid) {
        if let Some(message) = message(list, &target.to_string()) {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Center);
            message.scroll_into_view_with_scroll_into_view_options(&options);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use leptos::web_sys::HtmlDivElement;
    use uuid::Uuid;

    pub struct Anchor;

    pub fn first_in_view(_list: &HtmlDivElement) -> Option<Anchor> {
        None
    }

    pub fn restore(_list: &HtmlDivElement, _anchor: &Anchor) {}

    pub fn centre(_list: &HtmlDivElement, _target: Uuid) {}
}
