//! The pages: the app shell (sidebar of conversations around the open one) and signing in.

mod account;
mod admin;
mod api_tokens;
mod attention;
mod auth;
mod defaults;
mod groups;
mod organized;
pub(crate) mod shortcuts;
mod sidebar;
mod tools;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

pub use account::AccountPage;
pub use admin::AdminPage;
pub use attention::Attention;
pub use auth::{SignIn, SignUp};

use crate::chat::ChatView;
use crate::data::{self, Loaded};
use crate::wire::{Action, ActionResponse, ChatContextDTO, ContextSummaryDTO, CreateContextRequest};
use crate::{api, browser};

/// Fetches `path` once the page is in the browser (effects never run on the server) and
/// hands the answer to `loaded`, or says why not in `notice`.
fn load_once<T: serde::de::DeserializeOwned + 'static>(
    path: &'static str,
    notice: RwSignal<Option<String>>,
    loaded: impl Fn(T) + Clone + 'static,
) {
    Effect::new(move |_| {
        let loaded = loaded.clone();
        spawn_local(async move {
            match api::get::<T>(path).await {
                Ok(answer) => loaded(answer),
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    });
}

/// Lets the open conversation ask the sidebar to reload its list (a new title, a status).
#[derive(Clone, Copy)]
pub struct SidebarRefresh(Resource<Loaded<Vec<ContextSummaryDTO>>>);

impl SidebarRefresh {
    pub fn refresh(&self) {
        self.0.refetch();
    }
}

/// Whether the sidebar is shown on a narrow screen.
#[derive(Clone, Copy)]
struct SidebarOpen(RwSignal<bool>);

/// Everything signed-in pages share: the sidebar and the page beside it.
#[component]
pub fn Shell() -> impl IntoView {
    let contexts = Resource::new(|| (), |_| data::contexts());
    let me = Resource::new(|| (), |_| data::me());
    let info = Resource::new(|| (), |_| data::info());
    provide_context(SidebarRefresh(contexts));
    let open = RwSignal::new(false);
    provide_context(SidebarOpen(open));
    view! {
        <div class="app" class:sidebar-open=move || open.get()>
            <sidebar::Sidebar contexts me info/>
            <div class="scrim" on:click=move |_| open.set(false) aria-hidden="true"></div>
            <main class="main">
                <Outlet/>
            </main>
        </div>
    }
}

/// The button that shows the sidebar on a narrow screen.
#[component]
pub fn SidebarToggle() -> impl IntoView {
    let open = use_context::<SidebarOpen>().map(|o| o.0);
    view! {
        <button
            class="icon sidebar-toggle"
            aria-label="Show conversations"
            on:click=move |_| {
                if let Some(open) = open {
                    open.update(|o| *o = !*o);
                }
            }
        >
            "☰"
        </button>
    }
}

/// `/`: no conversation open yet.
#[component]
pub fn Welcome() -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let refresh = use_context::<SidebarRefresh>();
    let start = move || {
        let content = draft.get_untracked();
        if content.trim().is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = async {
                let context: ChatContextDTO = api::post("/api/contexts", &CreateContextRequest::default()).await?;
                let action = Action::send_message(content).with_client_action_id(browser::new_action_id());
                let _: ActionResponse = api::post(&action.path(context.id), &action.body()).await?;
                Ok::<_, api::ApiFailure>(context.id)
            }
            .await;
            busy.set(false);
            match result {
                Ok(id) => {
                    draft.set(String::new());
                    if let Some(refresh) = refresh {
                        refresh.refresh();
                    }
                    navigate(&format!("/c/{id}"), Default::default());
                }
                Err(failure) => error.set(Some(failure.message)),
            }
        });
    };
    let start_on_enter = start.clone();
    view! {
        <section class="chat welcome" aria-label="New conversation">
            <header class="chat-header">
                <SidebarToggle/>
                <h1 class="chat-title">"New conversation"</h1>
            </header>
            <div class="messages">
                <p class="empty">"Ask anything. Try “what time is it” or “calc 2*(3+4)” to see tools that wait for your approval."</p>
            </div>
            <p class="form-error" role="alert">{move || error.get()}</p>
            <form class="composer" on:submit=move |event| { event.prevent_default(); start(); }>
                <textarea
                    id="composer-input"
                    aria-label="Message"
                    rows="2"
                    placeholder="Message Confab (Enter sends, Shift+Enter for a new line)"
                    bind:value=draft
                    on:keydown=move |event: leptos::ev::KeyboardEvent| {
                        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
                            event.prevent_default();
                            start_on_enter();
                        }
                    }
                ></textarea>
                <button type="submit" class="primary" aria-label="Send message" disabled=move || busy.get()>"Send"</button>
            </form>
        </section>
    }
}

/// `/c/:id`: one conversation.
#[component]
pub fn Conversation() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| Uuid::parse_str(&id).ok()));
    let state = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => data::context(id).await,
                None => Err("That is not a conversation.".to_string()),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="empty">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(response) => view! { <ChatView initial=response/> }.into_any(),
                    Err(error) => view! {
                        <section class="chat">
                            <header class="chat-header"><SidebarToggle/></header>
                            <p class="empty error">{error}</p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}
