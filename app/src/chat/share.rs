//! The conversation's share menu: make a read-only link to the active branch as it is now
//! (optionally expiring), copy a link, revoke one. Links are listed when the menu opens.

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::wire::{CreateShareRequest, ShareDTO, SharesResponse};
use crate::{api, browser};

/// The choices of a link's life, in hours (`0`: until revoked).
const LIFETIMES: [(u32, &str); 6] = [
    (0, "Never expires"),
    (1, "1 hour"),
    (24, "1 day"),
    (24 * 7, "7 days"),
    (24 * 30, "30 days"),
    (24 * 365, "1 year"),
];

#[component]
pub fn ShareMenu(context: Uuid) -> impl IntoView {
    let links = RwSignal::new(Vec::<ShareDTO>::new());
    let hours = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<String>);
    let load = move || {
        spawn_local(async move {
            match api::get::<SharesResponse>(&format!("/api/contexts/{context}/shares")).await {
                Ok(list) => links.set(list.shares),
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    let create = move |_| {
        let request = CreateShareRequest { expires_in_hours: Some(hours.get_untracked()).filter(|h| *h > 0) };
        spawn_local(async move {
            match api::post::<_, ShareDTO>(&format!("/api/contexts/{context}/shares"), &request).await {
                Ok(link) => {
                    let copied = browser::copy_text(&full_url(&link)).await;
                    notice.set(Some(if copied { "Link created and copied" } else { "Link created" }.into()));
                    links.update(|list| list.insert(0, link));
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <details class="menu share-menu" on:toggle=move |event| {
            if event_target::<leptos::web_sys::HtmlDetailsElement>(&event).open() {
                notice.set(None);
                load();
            }
        }>
            <summary aria-label="Share this conversation">"Share"</summary>
            <div class="menu-items share-items">
                <p class="form-note">"Anyone with a link can read this conversation as it is now. Later messages are not shared."</p>
                <div class="share-create">
                    <select
                        aria-label="Link expires"
                        on:change=move |event| hours.set(event_target_value(&event).parse().unwrap_or(0))
                    >
                        {LIFETIMES
                            .iter()
                            .map(|(value, label)| view! { <option value=value.to_string()>{*label}</option> })
                            .collect::<Vec<_>>()}
                    </select>
                    <button class="small primary" on:click=create>"Create link"</button>
                </div>
                <p class="form-note" role="status">{move || notice.get()}</p>
                <ul class="share-links" aria-label="Share links">
                    <For each=move || links.get() key=|link| link.id let:link>
                        <ShareLine link links notice/>
                    </For>
                </ul>
            </div>
        </details>
    }
    .into_any()
}

#[component]
fn ShareLine(link: ShareDTO, links: RwSignal<Vec<ShareDTO>>, notice: RwSignal<Option<String>>) -> impl IntoView {
    let url = full_url(&link);
    let expires = match link.expires_at {
        Some(at) => format!("Works until {} UTC", crate::dates::minute(at)),
        None => "Until revoked".to_string(),
    };
    let copy = {
        let url = url.clone();
        move |_| {
            let url = url.clone();
            spawn_local(async move {
                let copied = browser::copy_text(&url).await;
                notice.set(Some(if copied { "Link copied" } else { "Copy the link from its field" }.into()));
            });
        }
    };
    let id = link.id;
    let revoke = move |_| {
        spawn_local(async move {
            match api::send_only("DELETE", &format!("/api/shares/{id}")).await {
                Ok(()) => {
                    links.update(|list| list.retain(|l| l.id != id));
                    notice.set(Some("Link revoked: it no longer works".into()));
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <li class="share-link">
            <input class="share-url" readonly aria-label="Share link" prop:value=url/>
            <span class="share-expiry">{expires}</span>
            <button class="small" on:click=copy>"Copy"</button>
            <button class="small quiet" on:click=revoke>"Revoke"</button>
        </li>
    }
}

fn full_url(link: &ShareDTO) -> String {
    format!("{}{}", browser::origin(), link.url)
}
