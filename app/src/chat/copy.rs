//! Copying from the conversation: a message's own button (its Markdown, as written) and the
//! button on every code block (the block's text exactly). Code blocks come from Markdown
//! rendered to HTML, so their buttons are served by one listener on the message list.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;

/// How long a button says "Copied".
const CONFIRM_MS: u32 = 1500;

#[component]
pub fn CopyButton(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let text = text.get_untracked();
        spawn_local(async move {
            if browser::copy_text(&text).await {
                copied.set(true);
                browser::sleep_ms(CONFIRM_MS).await;
                copied.try_set(false);
            }
        });
    };
    view! {
        <button class="icon" aria-label="Copy message" title="Copy (Markdown)" on:click=copy>
            {move || if copied.get() { "✓" } else { "⧉" }}
        </button>
    }
}

/// For the message list's clicks: copies a code block when its Copy button was clicked.
pub fn copy_code_block(event: &leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(target) = event.target().and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok()) else {
            return;
        };
        let Ok(Some(button)) = target.closest("button.copy-code") else { return };
        let Some(code) =
            button.closest(".code-block").ok().flatten().and_then(|b| b.query_selector("code").ok().flatten())
        else {
            return;
        };
        // The block's text ends with the newline before its closing fence, not part of the code.
        let mut text = code.text_content().unwrap_or_default();
        if text.ends_with('\n') {
            text.pop();
        }
        spawn_local(async move {
            if browser::copy_text(&text).await {
                button.set_text_content(Some("Copied"));
                browser::sleep_ms(CONFIRM_MS).await;
                button.set_text_content(Some("Copy"));
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
}
