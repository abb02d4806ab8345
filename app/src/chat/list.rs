//! The list of messages: at most [`MAX_SHOWN`](super::shown::MAX_SHOWN) of them on the page
//! at once, following the newest one unless the reader scrolled up, with the pending sends
//! and the approval cards after it.

use leptos::prelude::*;
use uuid::Uuid;

use super::approval::ApprovalCards;
use super::messages::{MessageItem, PendingMessage};
use super::paging::Scroller;
use super::store::ChatStore;
use crate::wire::ChatStatus;

/// How close to an end of the list (in pixels) the reader is "at" it.
const NEAR: i32 = 400;

#[component]
pub fn MessageList(store: ChatStore) -> impl IntoView {
    let scroller = Scroller::new(store);
    let (list, shown) = (scroller.list, scroller.shown);
    let ids = Memo::new(move |_| store.model.with(|m| m.message_ids()));
    // What is on the page, and how many messages of the branch are above it, held or not.
    let on_page = Memo::new(move |_| ids.with(|ids| ids[shown.get().range(ids)].to_vec()));
    let at_newest = Memo::new(move |_| ids.with(|ids| shown.get().at_newest(ids)));
    let not_loaded = Memo::new(move |_| store.model.with(|m| m.not_loaded()));
    let above = move || ids.with(|ids| shown.get().range(ids).start as u64) + not_loaded.get();
    let pending = Memo::new(move |_| {
        store.model.with(|m| m.pending.iter().filter(|p| p.is_message()).cloned().collect::<Vec<_>>())
    });
    let empty = move || ids.with(Vec::is_empty) && pending.with(Vec::is_empty);
    // Whether the reader is at the newest message, and whether something new arrived below
    // while they read further up.
    let at_latest = RwSignal::new(true);
    let unseen = RwSignal::new(false);
    let to_latest = move || {
        scroller.to_latest();
        at_latest.set(true);
        unseen.set(false);
    };
    // What grows at the bottom: the newest message and its text, sends not yet saved, and
    // the cards of calls waiting for approval.
    let tail = Memo::new(move |_| {
        store.model.with(|m| {
            let last = m.window().last().map(|l| (l.id, l.content.len(), l.tool_calls.len()));
            let waiting = m.state.as_ref().is_some_and(|s| s.status == ChatStatus::AwaitingToolApproval);
            (last, m.pending.len(), waiting)
        })
    });
    // A conversation opens on its newest message and follows it as it grows, unless the
    // reader scrolled up to read: then it stays put and offers a way back. A message the
    // reader sends takes them down to it wherever they were.
    Effect::new(move |previous: Option<usize>| {
        let sends = tail.with(|(_, sends, _)| *sends);
        if previous.is_some_and(|before| sends > before) {
            to_latest();
        } else if previous.is_none() || (at_latest.get_untracked() && at_newest.get_untracked()) {
            let follow = move || {
                if let Some(element) = list.get_untracked() {
                    element.set_scroll_top(element.scroll_height());
                }
            };
            follow();
            // What the same change renders elsewhere (an approval card) may land after this
            // effect: follow once more when it is laid out.
            request_animation_frame(follow);
        } else {
            unseen.set(true);
        }
        sends
    });
    // Finished replies get their code coloured and their math drawn, once they are on the
    // page: looked for when a save lands (a reply finishing is one) or other messages come
    // into view, not at every streamed token.
    let saved = Memo::new(move |_| store.model.with(|m| m.state.as_ref().map(|s| (s.context.version, s.status))));
    Effect::new(move |_| {
        saved.with(|_| ());
        on_page.with(|_| ());
        if list.get().is_none() {
            return;
        }
        // After this change is on the page: the effect can run before the list has drawn it.
        request_animation_frame(move || {
            if let Some(element) = list.get_untracked() {
                super::highlight::highlight_finished_blocks(&element);
                super::math::typeset_within(&element);
            }
        });
    });
    // `?m=<id>` (a search hit): that message, in view.
    let query = leptos_router::hooks::use_query_map();
    Effect::new(move |_| {
        let target = query.with(|q| q.get("m")).and_then(|m| Uuid::parse_str(&m).ok());
        if let Some(target) = target {
            scroller.jump_to(target);
        }
    });
    let on_scroll = move |_| {
        let Some(element) = list.get_untracked() else { return };
        let below = element.scroll_height() - element.scroll_top() - element.client_height();
        let latest = below < 80 && at_newest.get_untracked();
        at_latest.set(latest);
        if latest {
            unseen.set(false);
        }
        if scroller.busy.get_untracked() {
            return;
        }
        // Near an end: the messages beyond it come before the reader gets there.
        if element.scroll_top() < NEAR {
            scroller.near_top();
        } else if below < NEAR {
            scroller.near_bottom();
        }
    };
    view! {
        <Show when=move || unseen.get() || !at_newest.get()>
            <button class="jump-latest small" on:click=move |_| to_latest()>"Jump to latest ↓"</button>
        </Show>
        <div class="messages" node_ref=list on:scroll=on_scroll on:click=|event| super::copy::copy_code_block(&event)>
            <Show when=empty>
                <p class="empty">"Say hello to start. Try “what time is it” or “calc 2*(3+4)” to see tools at work."</p>
            </Show>
            <Show when=move || { above() > 0 }>
                <button class="earlier small" on:click=move |_| scroller.near_top() disabled=move || scroller.busy.get()>
                    {move || format!("Show earlier messages ({})", above())}
                </button>
            </Show>
            <ol class="message-list">
                <For each=move || on_page.get() key=|id| *id let:id>
                    <MessageItem store id/>
                </For>
                <Show when=move || at_newest.get()>
                    <For each=move || pending.get() key=|p| (p.client_action_id.clone(), p.error.clone(), p.queued) let:action>
                        <PendingMessage store action/>
                    </For>
                </Show>
            </ol>
            <Show when=move || at_newest.get()>
                <ApprovalCards store/>
            </Show>
        </div>
    }
}
