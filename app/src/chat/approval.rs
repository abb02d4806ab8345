//! The cards of the tool calls waiting for a person: approve once, for the rest of this
//! conversation, or always (where the tool's server allows it), or deny.

use leptos::prelude::*;

use super::outbox;
use super::store::ChatStore;
use crate::api;
use crate::wire::{Action, ChatStatus, Remember, ToolCallDTO, ToolsResponse};

#[component]
pub fn ApprovalCards(store: ChatStore) -> impl IntoView {
    let pending = Memo::new(move |_| {
        store.model.with(|m| match &m.state {
            Some(state) if state.status == ChatStatus::AwaitingToolApproval => {
                state.context.pending_tool_calls().into_iter().cloned().collect::<Vec<_>>()
            }
            _ => Vec::new(),
        })
    });
    view! {
        <For each=move || pending.get() key=|call| call.id.clone() let:call>
            <ApprovalCard store call/>
        </For>
    }
}

#[component]
fn ApprovalCard(store: ChatStore, call: ToolCallDTO) -> impl IntoView {
    let arguments = serde_json::to_string_pretty(&call.arguments).unwrap_or_default();
    let decided = move || store.model.with(|m| m.pending.iter().any(|p| p.action.is_tool_decision()));
    // "Always allow" only where the tool's server lets a person choose it. Asked with a plain
    // task, not a resource: a resource read here would suspend the whole conversation (the
    // page's Suspense), taking it off the page and its scroll position with it.
    let may_always = RwSignal::new(false);
    let name = call.name.clone();
    Effect::new(move |_| {
        let name = name.clone();
        leptos::task::spawn_local(async move {
            if let Ok(tools) = api::get::<ToolsResponse>("/api/tools").await {
                let allowed = tools.tools.iter().any(|t| t.name == name && t.allow_always);
                may_always.try_set(allowed);
            }
        });
    });
    let approve = {
        let id = call.id.clone();
        move |remember: Option<Remember>, label: &str| {
            outbox::dispatch(store, Action::approve_tools(vec![id.clone()], remember), label.into())
        }
    };
    let deny = {
        let id = call.id.clone();
        move |_| outbox::dispatch(store, Action::deny_tools(vec![id.clone()]), "Deny".into())
    };
    let (once, here, always) = (approve.clone(), approve.clone(), approve);
    view! {
        <div class="approval-card" role="group" aria-label=format!("Tool call {}", call.name)>
            <p class="approval-title">"The model wants to run " <code>{call.name.clone()}</code></p>
            <pre class="approval-arguments">{arguments}</pre>
            <div class="approval-actions">
                <button class="primary" on:click=move |_| once(None, "Approve") disabled=decided>"Approve"</button>
                <button
                    on:click=move |_| here(Some(Remember::Conversation), "Allow in this conversation")
                    disabled=decided
                >
                    "Allow in this conversation"
                </button>
                <Show when=move || may_always.get()>
                    <button
                        on:click={
                            let always = always.clone();
                            move |_| always(Some(Remember::Always), "Always allow")
                        }
                        disabled=decided
                    >
                        "Always allow"
                    </button>
                </Show>
                <button on:click=deny disabled=decided>"Deny"</button>
            </div>
        </div>
    }
}
