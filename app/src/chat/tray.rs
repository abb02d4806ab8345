//! Files waiting to go with the next message: added with the paperclip, by dropping them
//! onto the conversation, or by pasting an image; each is uploaded at once, shows its
//! progress (and a thumbnail for an image), and can be removed before sending. The message
//! is sent once every file in the tray is uploaded.

use leptos::prelude::*;
use uuid::Uuid;

use crate::wire::AttachmentDTO;

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Upload {
    /// Going up: how much of it has gone, 0.0 to 1.0.
    Sending(f64),
    Ready(AttachmentDTO),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct TrayItem {
    key: u64,
    name: String,
    /// An object URL of the picked image itself, while it is in the tray.
    preview: Option<String>,
    state: RwSignal<Upload>,
}

/// The tray of one conversation's composer (files are added in the browser only).
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct Tray {
    items: RwSignal<Vec<TrayItem>>,
    next_key: StoredValue<u64>,
}

impl Default for Tray {
    fn default() -> Self {
        Tray { items: RwSignal::new(Vec::new()), next_key: StoredValue::new(0) }
    }
}

impl Tray {
    pub fn is_empty(&self) -> bool {
        self.items.with(Vec::is_empty)
    }

    /// The uploaded files' ids, in the tray's order; `None` while one is still going up or
    /// has failed (the person removes it, or the message would go without it).
    pub fn ready_ids(&self) -> Option<Vec<Uuid>> {
        self.items.with(|items| {
            items
                .iter()
                .map(|item| match item.state.get() {
                    Upload::Ready(file) => Some(file.id),
                    _ => None,
                })
                .collect()
        })
    }

    /// What a pending message says for files sent without words: their names.
    pub fn names(&self) -> String {
        self.items.with_untracked(|items| items.iter().map(|i| i.name.clone()).collect::<Vec<_>>().join(", "))
    }

    pub fn remove(&self, key: u64) {
        let mut removed = None;
        self.items.update(|items| {
            if let Some(at) = items.iter().position(|item| item.key == key) {
                removed = Some(items.remove(at));
            }
        });
        if let Some(item) = removed {
            forget_preview(item.preview.as_deref());
        }
    }

    /// Empties the tray once its files went with a message.
    pub fn clear(&self) {
        for item in self.items.get_untracked() {
            forget_preview(item.preview.as_deref());
        }
        self.items.set(Vec::new());
    }

    /// Uploads each of `files` (a file input's, a drop's, a paste's).
    #[cfg(feature = "hydrate")]
    pub fn add_all(&self, files: Option<leptos::web_sys::FileList>) {
        let Some(files) = files else { return };
        for index in 0..files.length() {
            if let Some(file) = files.item(index) {
                self.add(file);
            }
        }
    }

    #[cfg(feature = "hydrate")]
    fn add(&self, file: leptos::web_sys::File) {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        let name = match file.name() {
            name if name.is_empty() => "pasted image".to_string(),
            name => name,
        };
        let preview =
            file.type_().starts_with("image/").then(|| web_sys::Url::create_object_url_with_blob(&file).ok()).flatten();
        let state = RwSignal::new(Upload::Sending(0.0));
        self.items.update(|items| items.push(TrayItem { key, name: name.clone(), preview, state }));
        leptos::task::spawn_local(async move {
            let form = match web_sys::FormData::new() {
                Ok(form) if form.append_with_blob_and_filename("file", &file, &name).is_ok() => form,
                _ => {
                    state.set(Upload::Failed("the browser could not read this file".into()));
                    return;
                }
            };
            let body = crate::api::UploadBody::Form(&form);
            let sent = crate::api::upload::<AttachmentDTO>("/api/attachments", body, move |part| {
                state.try_set(Upload::Sending(part));
            })
            .await;
            state.try_set(match sent {
                Ok(file) => Upload::Ready(file),
                Err(failure) => Upload::Failed(failure.message),
            });
        });
    }
}

fn forget_preview(url: Option<&str>) {
    #[cfg(feature = "hydrate")]
    if let Some(url) = url {
        let _ = web_sys::Url::revoke_object_url(url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// The tray's chips, above the composer.
#[component]
pub fn TrayView(tray: Tray) -> impl IntoView {
    view! {
        <Show when=move || !tray.is_empty()>
            <ul class="tray" aria-label="Files to send">
                <For each=move || tray.items.get() key=|item| item.key let:item>
                    <TrayChip tray item/>
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn TrayChip(tray: Tray, item: TrayItem) -> impl IntoView {
    let TrayItem { key, name, preview, state } = item;
    let status = move || match state.get() {
        Upload::Sending(part) => format!("{} %", (part * 100.0).round() as u32),
        Upload::Ready(file) => crate::attachments::human_size(file.size),
        Upload::Failed(why) => why,
    };
    let data_state = move || match state.get() {
        Upload::Sending(_) => "sending",
        Upload::Ready(_) => "ready",
        Upload::Failed(_) => "failed",
    };
    let progress = move || match state.get() {
        Upload::Sending(part) => Some(view! { <progress max="1" value=part aria-label="Uploading"></progress> }),
        _ => None,
    };
    let thumbnail = match preview {
        Some(url) => view! { <img class="chip-thumbnail" src=url alt=""/> }.into_any(),
        None => view! { <span class="file-icon" aria-hidden="true">"FILE"</span> }.into_any(),
    };
    let remove_label = format!("Remove {name}");
    view! {
        <li class="tray-chip" data-state=data_state>
            {thumbnail}
            <span class="chip-text">
                <span class="file-name">{name}</span>
                <span class="chip-status" role="status">{status}</span>
                {progress}
            </span>
            <button type="button" class="icon small" aria-label=remove_label on:click=move |_| tray.remove(key)>"×"</button>
        </li>
    }
}
