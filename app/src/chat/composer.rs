//! Where a person writes. Enter sends, Shift+Enter starts a new line; while a reply is being
//! written the composer waits and Stop is offered.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::outbox;
use super::store::ChatStore;
use super::tray::Tray;
use crate::wire::{Action, ChatStatus};

fn has_modifier(event: &KeyboardEvent) -> bool {
    event.shift_key() || event.ctrl_key() || event.alt_key() || event.meta_key()
}

#[component]
pub fn Composer(store: ChatStore, tray: Tray) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let status = Memo::new(move |_| store.model.with(|m| m.status().unwrap_or(ChatStatus::Idle)));
    let accepts = move || status.get().accepts_messages();
    // Words or files, and every file uploaded.
    let can_send =
        move || accepts() && tray.ready_ids().is_some() && (!draft.with(|d| d.trim().is_empty()) || !tray.is_empty());
    let send = move || {
        let content = draft.get_untracked();
        let Some(files) = untrack(|| tray.ready_ids()) else { return };
        if (content.trim().is_empty() && files.is_empty()) || !status.get_untracked().accepts_messages() {
            return;
        }
        let label = if content.trim().is_empty() { tray.names() } else { content.clone() };
        draft.set(String::new());
        tray.clear();
        outbox::dispatch(store, Action::send_message_with(content, files), label);
    };
    let picker = NodeRef::<leptos::html::Input>::new();
    let on_picked = move |_event: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = picker.get_untracked() {
            tray.add_all(input.files());
            // The same file picked again is a change too.
            input.set_value("");
        }
    };
    // A pasted image (a screenshot) goes into the tray; pasted text stays text.
    let on_paste = move |event: leptos::ev::ClipboardEvent| {
        #[cfg(feature = "hydrate")]
        {
            let files = event.clipboard_data().and_then(|data| data.files()).filter(|files| files.length() > 0);
            if files.is_some() {
                event.prevent_default();
                tray.add_all(files);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
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
            <input type="file" multiple class="visually-hidden" tabindex="-1" aria-hidden="true" node_ref=picker on:change=on_picked/>
            <button
                type="button"
                class="icon attach"
                aria-label="Attach files"
                title="Attach files (or drop them here, or paste an image)"
                on:click=move |_| {
                    if let Some(input) = picker.get_untracked() {
                        input.click();
                    }
                }
            >
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <path
                        d="M20.5 11.5l-8.4 8.4a5.5 5.5 0 0 1-7.8-7.8l8.7-8.7a3.7 3.7 0 0 1 5.2 5.2l-8.7 8.7a1.8 1.8 0 0 1-2.6-2.6l8-8"
                        fill="none"
                        stroke="currentColor"
                        stroke-width="1.8"
                        stroke-linecap="round"
                        stroke-linejoin="round"
                    />
                </svg>
            </button>
            <textarea
                id="composer-input"
                aria-label="Message"
                rows="2"
                placeholder=placeholder
                bind:value=draft
                on:keydown=on_keydown
                on:paste=on_paste
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
