//! The pages: a list of conversations, one conversation, and signing in.

mod auth;

pub use auth::{SignIn, SignUp};

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::data;
use crate::wire::{ActionResponse, MessageDTO};

#[component]
pub fn Home() -> impl IntoView {
    let contexts = Resource::new(|| (), |_| data::contexts());
    view! {
        <main class="page">
            <h1>"Confab"</h1>
            <Suspense fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match contexts.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No conversations yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="context-list">
                                {list.into_iter().map(|c| view! {
                                    <li>
                                        <a href=format!("/c/{}", c.id)>{c.title}</a>
                                        " "
                                        <span class="status">{c.status.as_str()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <p class="error">{error}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
pub fn Conversation() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| Uuid::parse_str(&id).ok());
    let state = Resource::new(id, |id| async move {
        match id {
            Some(id) => data::context(id).await,
            None => Err("That is not a conversation id.".to_string()),
        }
    });
    view! {
        <main class="page">
            <p><a href="/">"← All conversations"</a></p>
            <Suspense fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match state.await {
                        Ok(response) => view! { <ConversationView response/> }.into_any(),
                        Err(error) => view! { <p class="error">{error}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn ConversationView(response: ActionResponse) -> impl IntoView {
    let context = response.context;
    view! {
        <h1>{context.title.clone()}</h1>
        <p class="status" data-status=response.status.as_str()>{response.status.as_str()}</p>
        <ol class="messages">
            {context.messages.into_iter().map(|m| view! { <MessageItem message=m/> }).collect_view()}
        </ol>
    }
}

#[component]
fn MessageItem(message: MessageDTO) -> impl IntoView {
    let role = format!("{:?}", message.role).to_lowercase();
    view! {
        <li class=format!("message {role}") data-role=role.clone()>
            <span class="role">{role.clone()}</span>
            <div class="content">{message.content}</div>
        </li>
    }
}
