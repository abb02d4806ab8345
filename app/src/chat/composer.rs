//! Where a person writes. Enter sends, Shift+Enter starts a new line; while a reply is being
//! written the composer waits and Stop is offered.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::outbox;
use super::store::ChatStore;
use crate::wire::{Action, ChatStatus};

fn has_modifier(event: &KeyboardEvent) -> bool {
    event.shift_key() || event.ctrl_key() || event.alt_key() || event.meta_key()
}

#[component]
pub fn Composer(store: ChatStore) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let status = Memo::new(move |_| store.model.with(|m| m.status().unwrap_or(ChatStatus::Idle)));
    let accepts = move || status.get().accepts_messages();
    let can_send = move || accepts() && !draft.with(|d| d.trim().is_empty());
    let send = move || {
        let content = draft.get_untracked();
        if content.trim().is_empty() || !status.get_untracked().accepts_messages() {
            return;
        }
        draft.set(String::new());
        outbox::dispatch(store, Action::send_message(content.clone()), content);
    };
    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            send();
        } else if event.key() == "ArrowUp" && draft.with_untracked(String::is_empty) && !has_modifier(&event) {
            // As in a terminal or Slack: Up in an empty box takes the last message back.
            if let Some(last) =
                store.model.with_untracked(|m| m.accepts_messages().then(|| m.last_user_message()).flatten())
            {
                event.prevent_default();
                store.edit_request.set(Some(last));
            }
        }
    };
    let stop = move |_| outbox::dispatch(store, Action::cancel(), "Stop".into());
    let placeholder = move || match status.get() {
        ChatStatus::AwaitingToolApproval => "Approve or deny the tool call above to continue",
        s if s.is_busy() => "Wait for the reply, or stop it",
        _ => "Message Confab (Enter sends, Shift+Enter for a new line)",
    };
    view! {
        <form class="composer" on:submit=move |event| { event.prevent_default(); send(); }>
            <textarea
                id="composer-input"
                aria-label="Message"
                rows="2"
                placeholder=placeholder
                bind:value=draft
                on:keydown=on_keydown
                disabled=move || !accepts()
            ></textarea>
            <Show
                when=move || status.get().is_busy()
                fallback=move || view! {
                    <button type="submit" class="primary" aria-label="Send message" disabled=move || !can_send()>"Send"</button>
                }
            >
                <button type="button" class="danger" aria-label="Stop the reply" on:click=stop>"Stop"</button>
            </Show>
        </form>
    }
}
