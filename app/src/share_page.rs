//! The public page of a share link, rendered on the server as a whole HTML document with no
//! scripts: readable without JavaScript or an account, marked `noindex`, and linking to
//! nothing of its owner's. Messages are shown as the app shows them (Markdown made safe by
//! [`crate::markdown`]), from the share's snapshot.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::tachys::view::RenderHtml;

use crate::wire::{AttachmentDTO, ExportedContext, ExportedMessage, MessageRole, ToolApproval};

/// What the page needs besides the snapshot.
pub struct SharePage {
    pub snapshot: ExportedContext,
    pub shared_at: DateTime<Utc>,
    /// The path "Continue in my account" posts to, for a signed-in viewer; `None` for anyone
    /// else, who gets a sign-in link back to this page instead.
    pub continue_path: Option<String>,
    /// This page's own path.
    pub page_path: String,
    /// Colours code blocks: the page has no script to ask for it later.
    pub highlight: fn(&str, &str) -> Option<String>,
}

/// The whole document.
pub fn render(page: SharePage) -> String {
    let SharePage { snapshot, shared_at, continue_path, page_path, highlight } = page;
    let title = crate::markdown::plain_text(&snapshot.title);
    let when = format!("{} UTC", crate::dates::minute(shared_at));
    let follow_up = match continue_path {
        Some(path) => view! {
            <form method="post" action=path class="shared-continue">
                <button type="submit" class="primary">"Continue in my account"</button>
            </form>
        }
        .into_any(),
        None => view! {
            <p class="shared-continue">
                <a href=format!("/login?next={page_path}")>"Sign in to continue this conversation"</a>
            </p>
        }
        .into_any(),
    };
    let messages = snapshot.messages.into_iter().map(|m| message(m, highlight, &page_path)).collect::<Vec<_>>();
    let body = Owner::new().with(|| {
        view! {
            <main class="shared-page">
                <header class="shared-header">
                    <h1>{title.clone()}</h1>
                    <p class="shared-note">{format!("A shared conversation, as it was on {when}. Read only.")}</p>
                    {follow_up}
                </header>
                <ol class="message-list">{messages}</ol>
            </main>
        }
        .to_html()
    });
    let head = Owner::new().with(|| {
        view! {
            <title>{format!("{title} · shared from Confab")}</title>
        }
        .to_html()
    });
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <meta name=\"color-scheme\" content=\"light dark\"/>\
         <meta name=\"robots\" content=\"noindex, nofollow\"/>{head}\
         <link rel=\"stylesheet\" href=\"/pkg/confab.css\"/>\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"/></head><body>{body}</body></html>"
    )
}

/// The page a link that does not work (never made, revoked, expired) answers with.
pub fn not_found() -> &'static str {
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
     <meta name=\"robots\" content=\"noindex, nofollow\"/><title>Not found</title>\
     <link rel=\"stylesheet\" href=\"/pkg/confab.css\"/></head><body><main class=\"shared-page\">\
     <h1>This link does not work</h1><p>It may have been revoked or have expired.</p></main></body></html>"
}

/// `page_path` is the share's own path: its files are served under it.
fn message(m: ExportedMessage, highlight: fn(&str, &str) -> Option<String>, page_path: &str) -> AnyView {
    match m.role {
        MessageRole::User => {
            let files = m
                .attachments
                .into_iter()
                .map(|f| AttachmentDTO { id: f.id, name: f.name, media_type: f.media_type, size: f.size })
                .collect();
            let files = crate::attachments::sent_files(files, |file| format!("{page_path}/attachments/{}", file.id));
            let words = (!m.content.is_empty()).then(|| view! { <div class="bubble">{m.content}</div> });
            view! { <li class="message user" data-role="user">{words}{files}</li> }.into_any()
        }
        MessageRole::Assistant => {
            let html = crate::markdown::to_html_highlighted(&m.content, &highlight);
            let calls = m
                .tool_calls
                .into_iter()
                .map(|call| {
                    let state = match call.approval {
                        ToolApproval::Pending => "waiting for approval",
                        ToolApproval::Approved => "approved",
                        ToolApproval::Denied => "denied",
                    };
                    view! {
                        <li class="tool-call" data-state=state>
                            <code>{call.name}</code>" "<span class="tool-state">{state}</span>
                        </li>
                    }
                })
                .collect::<Vec<_>>();
            view! {
                <li class="message assistant" data-role="assistant">
                    <div class="bubble markdown" inner_html=html></div>
                    {(!calls.is_empty()).then(|| view! { <ul class="tool-calls">{calls}</ul> })}
                    {m.model.map(|model| view! { <p class="reply-meta">{model}</p> })}
                </li>
            }
            .into_any()
        }
        MessageRole::Tool => view! {
            <li class="message tool" data-role="tool">
                <details class="tool-result">
                    <summary>"Tool result"</summary>
                    <pre>{m.content}</pre>
                </details>
            </li>
        }
        .into_any(),
        MessageRole::System => ().into_any(),
    }
}
