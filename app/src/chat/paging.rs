//! Loading the page of messages above the first one shown, keeping the reader's place.

use leptos::html;
use leptos::prelude::*;

use crate::chat::store::ChatStore;

/// How many older messages come at a time.
#[cfg(feature = "hydrate")]
const PAGE: u32 = 100;

#[cfg(feature = "hydrate")]
pub fn load_earlier(store: ChatStore, list: NodeRef<html::Div>, loading: RwSignal<bool>) {
    if loading.get_untracked() {
        return;
    }
    let Some(first) = store.model.with_untracked(|m| m.first_message().map(|f| f.id)) else { return };
    loading.set(true);
    leptos::task::spawn_local(async move {
        let page = page_above(store, first, PAGE).await;
        let Some(element) = list.get_untracked() else { return };
        // The reader keeps looking at the same message while the page goes in above it.
        let (height, top) = (element.scroll_height(), element.scroll_top());
        if let Some(page) = page {
            store.model.try_update(|m| m.prepend(page));
        }
        request_animation_frame(move || {
            element.set_scroll_top(top + element.scroll_height() - height);
            loading.try_set(false);
        });
    });
}

#[cfg(not(feature = "hydrate"))]
pub fn load_earlier(_store: ChatStore, _list: NodeRef<html::Div>, _loading: RwSignal<bool>) {}

/// The most a jump loads at a time (the server's limit).
#[cfg(feature = "hydrate")]
const JUMP_PAGE: u32 = 200;

/// Brings message `target` (a search hit) into view, loading the pages above the window
/// until it is among them.
#[cfg(feature = "hydrate")]
pub fn jump_to(store: ChatStore, list: NodeRef<html::Div>, loading: RwSignal<bool>, target: uuid::Uuid) {
    loading.set(true);
    leptos::task::spawn_local(async move {
        // A page that no longer joins (the window moved, or another load got there first)
        // is asked for again from the new first message, a few times at most.
        let mut misses = 0;
        while misses < 3 && store.model.with_untracked(|m| m.message(target).is_none() && m.not_loaded() > 0) {
            let Some(first) = store.model.with_untracked(|m| m.first_message().map(|f| f.id)) else { break };
            let Some(page) = page_above(store, first, JUMP_PAGE).await else { break };
            if store.model.try_update(|m| m.prepend(page)) != Some(true) {
                misses += 1;
            }
        }
        request_animation_frame(move || {
            loading.try_set(false);
            let Some(element) = list.get_untracked() else { return };
            let selector = format!("[data-message-id=\"{target}\"]");
            if let Ok(Some(message)) = element.query_selector(&selector) {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Center);
                message.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    });
}

#[cfg(not(feature = "hydrate"))]
pub fn jump_to(_store: ChatStore, _list: NodeRef<html::Div>, _loading: RwSignal<bool>, _target: uuid::Uuid) {}

/// Up to `limit` messages of the branch just above message `first`; `None` when they could
/// not be fetched.
#[cfg(feature = "hydrate")]
async fn page_above(store: ChatStore, first: uuid::Uuid, limit: u32) -> Option<Vec<crate::wire::MessageDTO>> {
    let path = format!("/api/contexts/{}/messages?before={first}&limit={limit}", store.id);
    crate::api::get::<crate::wire::MessagesPage>(&path).await.ok().map(|page| page.messages)
}
