//! The sidebar: new conversation, search, the organized list ([`super::organized`]), import,
//! and who is signed in with which model.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_location, use_navigate};
use uuid::Uuid;

use crate::data::Loaded;
use crate::wire::{
    ChatContextDTO, ContextSummaryDTO, CreateContextRequest, SearchResponse, SearchResultDTO, ServerInfoDTO, UserDTO,
};
#[cfg(feature = "hydrate")]
use crate::wire_import::ImportResponse;
use crate::{api, browser};

#[component]
pub fn Sidebar(
    contexts: Resource<Loaded<Vec<ContextSummaryDTO>>>,
    me: Resource<Loaded<UserDTO>>,
    info: Resource<Loaded<ServerInfoDTO>>,
) -> impl IntoView {
    let navigate = use_navigate();
    let location = use_location();
    let current =
        Memo::new(move |_| location.pathname.get().strip_prefix("/c/").and_then(|id| Uuid::parse_str(id).ok()));
    let notice = RwSignal::new(None::<String>);
    let organizer = super::organized::Organizer { contexts, folders: RwSignal::new(Vec::new()), current, notice };
    // How much of an import's file has reached the server; `None` when none is under way.
    let import_progress = RwSignal::new(None::<f64>);
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(None::<Vec<SearchResultDTO>>);

    let new_chat = {
        let navigate = navigate.clone();
        move || {
            let navigate = navigate.clone();
            spawn_local(async move {
                match api::post::<_, ChatContextDTO>("/api/contexts", &CreateContextRequest::default()).await {
                    Ok(context) => {
                        contexts.refetch();
                        navigate(&format!("/c/{}", context.id), Default::default());
                        browser::focus("composer-input");
                    }
                    Err(failure) => notice.set(Some(failure.message)),
                }
            });
        }
    };

    // Search as you type, dropping answers to queries that were typed over.
    let searches = StoredValue::new(0u64);
    let on_search = move |text: String| {
        query.set(text.clone());
        searches.update_value(|n| *n += 1);
        let this = searches.get_value();
        if text.trim().is_empty() {
            results.set(None);
            return;
        }
        spawn_local(async move {
            browser::sleep_ms(200).await;
            if searches.try_get_value() != Some(this) {
                return;
            }
            let path = format!("/api/search?q={}", urlencode(&text));
            match api::get::<SearchResponse>(&path).await {
                Ok(found) if searches.try_get_value() == Some(this) => results.set(Some(found.results)),
                Ok(_) => {}
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };

    let import = {
        let navigate = navigate.clone();
        move |event: leptos::ev::Event| {
            let navigate = navigate.clone();
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let Some(input) = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                    return;
                };
                let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
                input.set_value("");
                spawn_local(async move {
                    // ChatGPT's export comes as a zip; everything else is JSON.
                    let zipped =
                        file.name().to_ascii_lowercase().ends_with(".zip") || file.type_() == "application/zip";
                    let content_type = if zipped { "application/zip" } else { "application/json" };
                    notice.set(None);
                    import_progress.set(Some(0.0));
                    /// A file of many conversations is answered with what became of each; a
                    /// single Confab export with the conversation, as it always was.
                    enum Answer {
                        Summary(ImportResponse),
                        Context(Box<ChatContextDTO>),
                    }
                    impl<'de> serde::Deserialize<'de> for Answer {
                        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                            let context = |context: ChatContextDTO| Answer::Context(Box::new(context));
                            crate::wire::shape::by_field(deserializer, "imported", Answer::Summary, context)
                        }
                    }
                    let progress = move |done: f64| import_progress.set(Some(done));
                    let answer = api::upload::<Answer>(
                        "/api/contexts/import",
                        api::UploadBody::File { file: &file, content_type },
                        progress,
                    )
                    .await;
                    import_progress.set(None);
                    match answer {
                        Ok(Answer::Context(context)) => {
                            notice.set(None);
                            contexts.refetch();
                            navigate(&format!("/c/{}", context.id), Default::default());
                        }
                        Ok(Answer::Summary(summary)) => {
                            contexts.refetch();
                            let skipped: Vec<String> =
                                summary.skipped.iter().map(|s| format!("{:?} ({})", s.title, s.reason)).collect();
                            let text = if skipped.is_empty() {
                                format!("Imported {} conversations.", summary.imported.len())
                            } else {
                                let (imported, reasons) = (summary.imported.len(), skipped.join("; "));
                                format!("Imported {imported}, skipped {}: {reasons}", skipped.len())
                            };
                            notice.set(Some(text));
                            if let [only] = summary.imported.as_slice() {
                                navigate(&format!("/c/{}", only.id), Default::default());
                            }
                        }
                        Err(failure) => notice.set(Some(failure.message)),
                    }
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (event, navigate);
        }
    };

    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::send_only("POST", "/api/auth/logout").await;
            api::go_to("/login");
        });
    };

    view! {
        <super::shortcuts::Shortcuts
            new_chat=Callback::new({
                let new_chat = new_chat.clone();
                move |_| new_chat()
            })
            focus_search=Callback::new(|_| browser::focus("search-input"))
        />
        <aside class="sidebar" aria-label="Conversations">
            <div class="sidebar-top">
                <a class="brand" href="/">"Confab"</a>
                <button class="primary small" on:click={
                    let new_chat = new_chat.clone();
                    move |_| new_chat()
                }>"New chat"</button>
            </div>
            <input
                id="search-input"
                class="search"
                type="search"
                placeholder="Search your chats"
                aria-label="Search your chats"
                prop:value=move || query.get()
                on:input=move |event| on_search(event_target_value(&event))
            />
            <p class="form-error" role="alert">{move || notice.get()}</p>
            <Show
                when=move || results.with(Option::is_some)
                fallback=move || view! { <super::organized::OrganizedList organizer/> }
            >
                <SearchResults results/>
            </Show>
            <div class="sidebar-bottom">
                <label class="button small">
                    "Import…"
                    <input
                        type="file"
                        class="visually-hidden"
                        accept=".json,.zip,application/json,application/zip"
                        on:change=import.clone()
                    />
                </label>
                {move || import_progress.get().map(import_progress_bar)}
                <super::defaults::Defaults on_created=Callback::new(move |_| contexts.refetch())/>
                <super::tools::ToolSettings/>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let model = info.await.map(|i| i.model_label).unwrap_or_default();
                        let (user, admin) = me.await.map(|u| (u.username, u.admin)).unwrap_or_default();
                        view! {
                            <p class="model-label" title="The model answering">{model}</p>
                            <nav class="account-links" aria-label="Account">
                                <a href="/account">"Account"</a>
                                {admin.then(|| view! { <a href="/admin">"Administration"</a> })}
                            </nav>
                            <p class="signed-in">
                                <span>{user}</span>
                                <button class="small quiet" on:click=sign_out>"Sign out"</button>
                            </p>
                        }
                    })}
                </Transition>
            </div>
        </aside>
    }
}

#[component]
fn SearchResults(results: RwSignal<Option<Vec<SearchResultDTO>>>) -> impl IntoView {
    view! {
        <ul class="search-results" aria-label="Search results">
            {move || {
                let list = results.get().unwrap_or_default();
                if list.is_empty() {
                    return view! { <li class="empty">"Nothing found."</li> }.into_any();
                }
                list.into_iter()
                    .map(|hit| {
                        let link = hit_link(&hit);
                        view! {
                            <li>
                                <a href=link>
                                    <span class="hit-title">{crate::markdown::plain_text(&hit.context_title)}</span>
                                    <span class="snippet">
                                        {hit.snippet.into_iter().map(|part| if part.highlight {
                                            view! { <mark>{part.text}</mark> }.into_any()
                                        } else {
                                            view! { <span>{part.text}</span> }.into_any()
                                        }).collect_view()}
                                    </span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
        </ul>
    }
}

pub(crate) fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An import under way: how much of the file has gone up, then (once it all has) a bar
/// with no value while the server imports it.
fn import_progress_bar(done: f64) -> AnyView {
    let uploading = done < 1.0;
    let label = if uploading { format!("Uploading… {}%", (done * 100.0) as u32) } else { "Importing…".to_string() };
    view! {
        <div class="import-progress" role="status">
            {if uploading {
                view! { <progress aria-label="Import progress" max="100" value=((done * 100.0) as u32).to_string()></progress> }
                    .into_any()
            } else {
                view! { <progress aria-label="Import progress"></progress> }.into_any()
            }}
            <span>{label}</span>
        </div>
    }
    .into_any()
}

/// Where a search hit leads: its conversation, at the message that matched.
fn hit_link(hit: &SearchResultDTO) -> String {
    match hit.message_id {
        Some(message) => format!("/c/{}?m={message}", hit.context_id),
        None => format!("/c/{}", hit.context_id),
    }
}
