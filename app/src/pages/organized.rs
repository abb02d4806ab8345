//! The conversation list, organized: pinned first, then folders, then by date; a menu on
//! each line (pin, move to a folder, archive), folders made, renamed and deleted, lines
//! dragged onto a folder, and the archive. Everything is the server's: the other tabs hear
//! of each change over the per-user stream and load the list again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use uuid::Uuid;

use super::attention::Attention;
use super::groups::{local_offset, now, sections};
use crate::data::Loaded;
use crate::limits::{check_title, MAX_TITLE_CHARS};
use crate::wire::{ChatContextDTO, ContextSummaryDTO, FolderDTO, FolderRequest, FoldersResponse, UpdateContextRequest};
use crate::{api, browser};

/// The list and what it is drawn with, shared by its parts.
#[derive(Clone, Copy)]
pub struct Organizer {
    pub contexts: Resource<Loaded<Vec<ContextSummaryDTO>>>,
    pub folders: RwSignal<Vec<FolderDTO>>,
    pub current: Memo<Option<Uuid>>,
    pub notice: RwSignal<Option<String>>,
}

impl Organizer {
    /// Loads the list and the folders again.
    pub fn reload(self) {
        self.contexts.refetch();
        spawn_local(async move {
            if let Ok(found) = api::get::<FoldersResponse>("/api/folders").await {
                self.folders.try_set(found.folders);
            }
        });
    }

    /// Changes a conversation's title or place, then shows the list as it is now.
    fn update(self, id: Uuid, change: UpdateContextRequest) {
        spawn_local(async move {
            match api::patch::<_, ChatContextDTO>(&format!("/api/contexts/{id}"), &change).await {
                Ok(_) => self.reload(),
                Err(failure) => {
                    self.notice.try_set(Some(failure.message));
                }
            }
        });
    }

    /// Hears the per-user stream's `contexts` events: a reply that finished in a
    /// conversation not open here leaves a dot, and the list is loaded again.
    #[cfg(feature = "hydrate")]
    fn listen(self) {
        use crate::chat::live_hub::{self, Heard};
        use crate::wire::ContextsChangeDTO;
        let attention = Attention::get();
        let listener: live_hub::Listener = std::rc::Rc::new(move |heard: Heard<'_>| {
            let Heard::Event { name: "contexts", data } = heard else { return };
            let Ok(change) = serde_json::from_str::<ContextsChangeDTO>(data) else { return };
            let before = self.contexts.get_untracked().and_then(Result::ok).unwrap_or_default();
            for row in &change.changed {
                let was_busy = before.iter().any(|old| old.id == row.id && old.status.is_busy());
                let open_here = self.current.get_untracked() == Some(row.id);
                if was_busy && !row.status.is_busy() && !open_here {
                    if let Some(attention) = attention {
                        attention.reply_finished(row.id, false);
                    }
                }
            }
            if let Some(folders) = change.folders {
                self.folders.set(folders);
            }
            self.contexts.refetch();
        });
        if let Some(subscription) = live_hub::subscribe_list(listener) {
            // Kept for the page's life: the sidebar never goes.
            std::mem::forget(subscription);
        }
    }
}

#[component]
pub fn OrganizedList(organizer: Organizer) -> impl IntoView {
    // Grouped in the browser, after hydration: the day boundaries are the reader's own, and
    // the server rendered the plain list (it knows neither their zone nor their folders).
    let ready = RwSignal::new(false);
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            organizer.reload();
            #[cfg(feature = "hydrate")]
            organizer.listen();
            ready.set(true);
        }
    });
    let showing_archive = RwSignal::new(false);
    view! {
        <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match organizer.contexts.await {
                    Ok(list) if list.is_empty() && organizer.folders.with(Vec::is_empty) => {
                        view! { <p class="empty">"No conversations yet."</p> }.into_any()
                    }
                    Ok(list) if !ready.get() => view! {
                        <nav>
                            <ul class="context-list">
                                {list.into_iter().map(|c| view! { <ContextLine context=c organizer/> }.into_any()).collect_view()}
                            </ul>
                        </nav>
                    }
                    .into_any(),
                    Ok(list) => {
                        let sections = organizer
                            .folders
                            .with(|folders| sections(&list, folders, now(), local_offset()));
                        view! {
                            <nav class="organized">
                                {sections.into_iter().map(|section| view! { <Section section organizer/> }).collect_view()}
                            </nav>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <p class="error">{error}</p> }.into_any(),
                }
            })}
        </Transition>
        <div class="list-actions">
            <button class="small quiet" on:click=move |_| new_folder(organizer)>"New folder"</button>
            <button class="small quiet" aria-pressed=move || showing_archive.get().to_string()
                on:click=move |_| showing_archive.update(|s| *s = !*s)>"Archived"</button>
        </div>
        <Show when=move || showing_archive.get()>
            <Archive organizer/>
        </Show>
    }
}

fn new_folder(organizer: Organizer) {
    let Some(name) = browser::prompt("Name of the new folder") else { return };
    spawn_local(async move {
        match api::post::<_, FolderDTO>("/api/folders", &FolderRequest { name }).await {
            Ok(_) => organizer.reload(),
            Err(failure) => {
                organizer.notice.try_set(Some(failure.message));
            }
        }
    });
}

#[component]
fn Section(section: super::groups::Section, organizer: Organizer) -> impl IntoView {
    let folder = section.folder;
    let label = section.label.clone();
    let over = RwSignal::new(false);
    // A line dropped on a folder moves into it.
    let on_drop = move |event: leptos::ev::DragEvent| {
        event.prevent_default();
        over.set(false);
        if let (Some(folder), Some(id)) = (folder, dragged(&event)) {
            organizer.update(id, UpdateContextRequest { folder_id: Some(Some(folder)), ..Default::default() });
        }
    };
    let rename = move |_| {
        let Some(folder) = folder else { return };
        let Some(name) = browser::prompt("New name of the folder") else { return };
        spawn_local(async move {
            let path = format!("/api/folders/{folder}");
            match api::patch::<_, FolderDTO>(&path, &FolderRequest { name }).await {
                Ok(_) => organizer.reload(),
                Err(failure) => {
                    organizer.notice.try_set(Some(failure.message));
                }
            }
        });
    };
    let delete = move |_| {
        let Some(folder) = folder else { return };
        if !browser::confirm("Delete this folder? Its conversations stay, in no folder.") {
            return;
        }
        spawn_local(async move {
            if api::send_only("DELETE", &format!("/api/folders/{folder}")).await.is_ok() {
                organizer.reload();
            }
        });
    };
    let heading = label.clone();
    view! {
        <section
            class="context-group"
            class:folder=folder.is_some()
            class:drop-over=move || over.get()
            aria-label=label
            data-folder=folder.map(|f| f.to_string())
            on:dragover=move |event| if folder.is_some() { event.prevent_default(); over.set(true) }
            on:dragleave=move |_| over.set(false)
            on:drop=on_drop
        >
            <h2 class="group-label">
                <span>{heading}</span>
                {folder.map(|_| view! {
                    <button class="icon" aria-label="Rename folder" on:click=rename>"✎"</button>
                    <button class="icon" aria-label="Delete folder" on:click=delete>"×"</button>
                })}
            </h2>
            <ul class="context-list">
                {section.items.into_iter().map(|c| view! { <ContextLine context=c organizer/> }.into_any()).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn ContextLine(context: ContextSummaryDTO, organizer: Organizer) -> impl IntoView {
    let Organizer { current, .. } = organizer;
    let id = context.id;
    let renaming = RwSignal::new(false);
    let title = RwSignal::new(context.title.clone());
    let navigate = use_navigate();
    let save = move || {
        renaming.set(false);
        // A title the server would refuse (empty, too long, control characters) is not sent.
        let Ok(new_title) = check_title(&title.get_untracked(), MAX_TITLE_CHARS) else {
            return;
        };
        organizer.update(id, UpdateContextRequest::rename(new_title));
    };
    let delete = move |_| {
        if !browser::confirm("Delete this conversation and everything in it?") {
            return;
        }
        let navigate = navigate.clone();
        spawn_local(async move {
            if api::send_only("DELETE", &format!("/api/contexts/{id}")).await.is_ok() {
                organizer.reload();
                if current.get_untracked() == Some(id) {
                    navigate("/", Default::default());
                }
            }
        });
    };
    let shown = crate::markdown::plain_text(&context.title);
    let busy = context.status.is_busy();
    let unread =
        move || Attention::get().is_some_and(|a| a.unread.with(|u| u.contains(&id))) && current.get() != Some(id);
    let (pinned, folder_id) = (context.pinned, context.folder_id);
    view! {
        <li class="context-line" class:current=move || current.get() == Some(id) class:pinned=pinned
            draggable="true"
            on:dragstart=move |event: leptos::ev::DragEvent| start_drag(&event, id)
        >
            <Show
                when=move || renaming.get()
                fallback=move || view! {
                    <a href=format!("/c/{id}") aria-current=move || (current.get() == Some(id)).then_some("page")>
                        {shown.clone()}
                        {busy.then(|| view! { <span class="busy-dot" aria-label="working"></span> })}
                        <Show when=unread>
                            <span class="unread-dot" role="img" aria-label="new reply"></span>
                        </Show>
                    </a>
                }
            >
                <input
                    class="rename"
                    aria-label="New title"
                    maxlength=MAX_TITLE_CHARS.to_string()
                    bind:value=title
                    on:keydown={
                        move |event: leptos::ev::KeyboardEvent| match event.key().as_str() {
                            "Enter" => save(),
                            "Escape" => renaming.set(false),
                            _ => {}
                        }
                    }
                    on:blur=move |_| save()
                />
            </Show>
            <LineMenu id pinned folder_id organizer/>
            <button class="icon" aria-label="Rename conversation" on:click=move |_| renaming.set(true)>"✎"</button>
            <button class="icon" aria-label="Delete conversation" on:click=delete.clone()>"×"</button>
        </li>
    }
}

/// A line being dragged carries its conversation's id.
fn start_drag(event: &leptos::ev::DragEvent, id: Uuid) {
    #[cfg(feature = "hydrate")]
    if let Some(transfer) = event.data_transfer() {
        let _ = transfer.set_data("text/plain", &id.to_string());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (event, id);
}

/// The conversation a drop brings.
fn dragged(event: &leptos::ev::DragEvent) -> Option<Uuid> {
    #[cfg(feature = "hydrate")]
    return event.data_transfer().and_then(|d| d.get_data("text/plain").ok()).and_then(|d| Uuid::parse_str(&d).ok());
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = event;
        None
    }
}

/// A line's menu: pin, archive, move to a folder.
#[component]
fn LineMenu(id: Uuid, pinned: bool, folder_id: Option<Uuid>, organizer: Organizer) -> impl IntoView {
    let pin = move |_| organizer.update(id, UpdateContextRequest { pinned: Some(!pinned), ..Default::default() });
    let archive = move |_| organizer.update(id, UpdateContextRequest { archived: Some(true), ..Default::default() });
    let move_to = move |event: leptos::ev::Event| {
        let folder = Uuid::parse_str(&event_target_value(&event)).ok();
        organizer.update(id, UpdateContextRequest { folder_id: Some(folder), ..Default::default() });
    };
    view! {
    <details class="menu line-menu">
        <summary aria-label="More for this conversation">"⋯"</summary>
        <div class="menu-items">
            <button class="small quiet" on:click=pin>{if pinned { "Unpin" } else { "Pin" }}</button>
            <button class="small quiet" on:click=archive>"Archive"</button>
            <label class="move-to">
                "Folder"
                <select aria-label="Move to folder" on:change=move_to>
                    <option value="" selected=folder_id.is_none()>"None"</option>
                    {move || organizer.folders.get().into_iter().map(|f| view! {
                        <option value=f.id.to_string() selected=folder_id == Some(f.id)>{f.name}</option>
                    }).collect_view()}
                </select>
            </label>
        </div>
    </details>
    }
    .into_any()
}

/// The archived conversations, each with a way back.
#[component]
fn Archive(organizer: Organizer) -> impl IntoView {
    let archived = LocalResource::new(move || {
        organizer.contexts.track();
        api::get::<Vec<ContextSummaryDTO>>("/api/contexts?archived=true")
    });
    view! {
        <section class="context-group archive" aria-label="Archived">
            <h2 class="group-label"><span>"Archived"</span></h2>
            <Suspense fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match archived.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"Nothing archived."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="context-list">
                                {list.into_iter().map(|c| {
                                    let id = c.id;
                                    let restore = move |_| organizer.update(id, UpdateContextRequest { archived: Some(false), ..Default::default() });
                                    view! {
                                        <li class="context-line">
                                            <a href=format!("/c/{id}")>{crate::markdown::plain_text(&c.title)}</a>
                                            <button class="small quiet" on:click=restore>"Restore"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(failure) => view! { <p class="error">{failure.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
