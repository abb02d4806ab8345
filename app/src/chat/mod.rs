//! The conversation view: messages, tool approvals, status and composer, kept live by the
//! sync engine, with actions going through the outbox.

mod approval;
mod composer;
mod copy;
mod earlier;
mod highlight;
mod list;
#[cfg(feature = "hydrate")]
pub(crate) mod live_hub;
mod math;
mod messages;
pub mod model;
pub mod outbox;
mod paging;
mod saved;
mod settings;
mod share;
mod shown;
mod store;
mod sync;
mod tray;

use leptos::prelude::*;

pub use settings::{model_options, use_models};
pub use store::ChatStore;

use crate::wire::{Action, ActionResponse, ChatStatus};

#[component]
pub fn ChatView(initial: ActionResponse) -> impl IntoView {
    let store = ChatStore::new(initial);
    if let Some(attention) = crate::pages::Attention::get() {
        attention.opened(store.id);
    }
    // Effects run in the browser only, once the page is live.
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            sync::start(store);
            outbox::restore(store);
            sync::flush_when_ready(store);
        }
    });
    // Keep the sidebar's line for this conversation in step (title, status).
    if let Some(sidebar) = use_context::<crate::pages::SidebarRefresh>() {
        let summary =
            Memo::new(move |_| store.model.with(|m| m.state.as_ref().map(|s| (s.context.title.clone(), s.status))));
        Effect::new(move |previous: Option<Option<(String, ChatStatus)>>| {
            let current = summary.get();
            if previous.is_some_and(|p| p != current) {
                sidebar.refresh();
            }
            current
        });
    }
    // Parsed as Markdown only when the title changes, not at every streamed token.
    let raw_title =
        Memo::new(move |_| store.model.with(|m| m.state.as_ref().map(|s| s.context.title.clone()).unwrap_or_default()));
    let title = Memo::new(move |_| raw_title.with(|t| crate::markdown::plain_text(t)));
    let id = store.id;
    // Esc stops a reply being written, from anywhere in the conversation but a dialog.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |event| {
            if event.key() == "Escape"
                && !event.default_prevented()
                && !crate::pages::shortcuts::dialog_open()
                && store.model.with_untracked(|m| m.status().is_some_and(ChatStatus::is_busy))
            {
                event.prevent_default();
                outbox::dispatch(store, Action::cancel(), "Stop".into());
            }
        });
        on_cleanup(move || handle.remove());
    });
    // Files dropped anywhere on the conversation go into the composer's tray.
    let tray = tray::Tray::default();
    let dropping = RwSignal::new(false);
    let carries_files = |event: &leptos::ev::DragEvent| {
        #[cfg(feature = "hydrate")]
        return event.data_transfer().is_some_and(|data| data.types().includes(&"Files".into(), 0));
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = event;
            false
        }
    };
    let on_dragover = move |event: leptos::ev::DragEvent| {
        if carries_files(&event) {
            event.prevent_default();
            dropping.set(true);
        }
    };
    let on_drop = move |event: leptos::ev::DragEvent| {
        dropping.set(false);
        if carries_files(&event) {
            event.prevent_default();
            #[cfg(feature = "hydrate")]
            tray.add_all(event.data_transfer().and_then(|data| data.files()));
        }
    };
    view! {
        <section
            class="chat"
            class:dropping=move || dropping.get()
            aria-label="Conversation"
            on:dragover=on_dragover
            on:dragleave=move |_| dropping.set(false)
            on:drop=on_drop
        >
            <header class="chat-header">
                <crate::pages::SidebarToggle/>
                <h1 class="chat-title">{move || title.get()}</h1>
                <settings::ModelPicker store/>
                <settings::SettingsPanel store/>
                <ConnectionBadge store/>
                <details class="menu">
                    <summary aria-label="Export this conversation">"Export"</summary>
                    <div class="menu-items">
                        <a href=format!("/api/contexts/{id}/export") download rel="external">"JSON (for import)"</a>
                        <a href=format!("/api/contexts/{id}/export?format=markdown") download rel="external">"Markdown"</a>
                    </div>
                </details>
                <share::ShareMenu context=id/>
            </header>
            <list::MessageList store/>
            <StatusBar store/>
            <tray::TrayView tray/>
            <composer::Composer store tray/>
        </section>
    }
}

#[component]
fn ConnectionBadge(store: ChatStore) -> impl IntoView {
    let label = move || store.connection.get().label();
    view! {
        <span class="connection" data-connection=label title="How this tab hears about changes" role="status">
            <span class="dot" aria-hidden="true"></span>
            {label}
        </span>
    }
}

fn status_text(status: ChatStatus) -> &'static str {
    match status {
        ChatStatus::Idle => "Ready",
        ChatStatus::Processing => "Thinking…",
        ChatStatus::Streaming => "Writing…",
        ChatStatus::AwaitingToolApproval => "Waiting for your approval",
        ChatStatus::ExecutingTools => "Running tools…",
        ChatStatus::Failed => "Failed",
    }
}

#[component]
fn StatusBar(store: ChatStore) -> impl IntoView {
    let status = Memo::new(move |_| store.model.with(|m| m.status().unwrap_or(ChatStatus::Idle)));
    // A reply that finishes is announced (the status line's "Ready" says nothing of it) and,
    // in a hidden tab, counted in its title.
    let finished = RwSignal::new(false);
    let attention = crate::pages::Attention::get();
    Effect::new(move |previous: Option<ChatStatus>| {
        let now = status.get();
        if previous.is_some_and(ChatStatus::is_busy) && now == ChatStatus::Idle {
            finished.set(true);
            if let Some(attention) = attention {
                attention.reply_finished(store.id, true);
            }
        } else if now.is_busy() {
            finished.set(false);
        }
        now
    });
    let error = Memo::new(move |_| store.model.with(|m| m.state.as_ref().and_then(|s| s.context.last_error.clone())));
    let notes = Memo::new(move |_| {
        store.model.with(|m| m.pending.iter().filter(|p| !p.is_message()).cloned().collect::<Vec<_>>())
    });
    let retry = move |_| outbox::dispatch(store, Action::retry(), "Retry".into());
    view! {
        <div class="status-bar" aria-live="polite">
            <span class="status" data-status=move || status.get().as_str()>{move || status_text(status.get())}</span>
            <span class="visually-hidden" data-announcement>{move || finished.get().then_some("Reply finished")}</span>
            {move || {
                (status.get() == ChatStatus::Failed)
                    .then(|| {
                        view! {
                            <span class="status-error">{error.get().unwrap_or_default()}</span>
                            <button class="small" on:click=retry>"Retry"</button>
                        }
                    })
            }}
            <For each=move || notes.get() key=|p| (p.client_action_id.clone(), p.error.clone(), p.queued) let:note>
                <ActionNote store note/>
            </For>
        </div>
    }
}

/// An action other than a message, on its way or refused.
#[component]
fn ActionNote(store: ChatStore, note: model::PendingAction) -> impl IntoView {
    let id = note.client_action_id.clone();
    let text = match (&note.error, note.queued) {
        (Some(error), _) => format!("{}: {error}", note.label),
        (None, true) => format!("{}: waiting for the server", note.label),
        (None, false) => format!("{}…", note.label),
    };
    let failed = note.error.is_some();
    let dismiss_id = id.clone();
    view! {
        <span class="action-note" class:failed=failed>
            {text}
            {failed.then(|| view! {
                <button class="small" on:click=move |_| outbox::retry(store, &id)>"Retry"</button>
                <button class="small quiet" on:click=move |_| outbox::dismiss(store, &dismiss_id)>"Dismiss"</button>
            })}
        </span>
    }
}
