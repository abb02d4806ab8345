//! Keyboard shortcuts of the whole app, and the dialog that lists them (`?` or Ctrl+/).
//! A shortcut never fires while a person types where its key means something else: `?`
//! is a character in a text field; the Ctrl/Cmd ones are not.
// The server build renders the dialog but never runs the browser side.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code, unused_variables))]

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

/// Every shortcut, as the dialog lists it.
const SHORTCUTS: [(&str, &str); 6] = [
    ("Ctrl/⌘ + Shift + O", "New chat"),
    ("Ctrl/⌘ + K", "Search your chats"),
    ("Esc", "Stop the reply being written"),
    ("↑ in an empty message box", "Edit your last message"),
    ("Enter / Shift + Enter", "Send / new line"),
    ("? or Ctrl + /", "Show these shortcuts"),
];

/// Whether the key was pressed in a place that takes text.
pub fn typing(event: &KeyboardEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(element) = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else {
            return false;
        };
        matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || element.is_content_editable()
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Whether a modal dialog is open: its own keys (Esc closes it) come first.
pub fn dialog_open() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("dialog[open]").ok().flatten())
            .is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

fn command_key(event: &KeyboardEvent) -> bool {
    event.ctrl_key() || event.meta_key()
}

/// Listens for the app-wide shortcuts while the signed-in pages are shown, and holds the
/// dialog that lists them.
#[component]
pub fn Shortcuts(new_chat: Callback<()>, focus_search: Callback<()>) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let open_dialog = move || {
        if let Some(dialog) = dialog.get_untracked() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        }
    };
    // Effects run only in the browser, where there is a window to listen to.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |event: KeyboardEvent| {
            let key = event.key();
            let shortcut = if command_key(&event) && event.shift_key() && key.eq_ignore_ascii_case("o") {
                Some(new_chat)
            } else if command_key(&event) && !event.shift_key() && key.eq_ignore_ascii_case("k") {
                Some(focus_search)
            } else if (command_key(&event) && key == "/") || (key == "?" && !command_key(&event) && !typing(&event)) {
                Some(Callback::new(move |_| open_dialog()))
            } else {
                None
            };
            if let Some(action) = shortcut {
                event.prevent_default();
                action.run(());
            }
        });
        on_cleanup(move || handle.remove());
    });
    view! {
        <dialog class="shortcuts" node_ref=dialog aria-labelledby="shortcuts-title">
            <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
            <dl>
                {SHORTCUTS
                    .iter()
                    .map(|(keys, what)| view! { <div><dt><kbd>{*keys}</kbd></dt><dd>{*what}</dd></div> })
                    .collect::<Vec<_>>()}
            </dl>
            <form method="dialog">
                <button class="small primary">"Close"</button>
            </form>
        </dialog>
    }
    .into_any()
}
