//! The account menu's tool settings: every tool on offer with its policy ("Asks" or
//! "Always allowed"), to allow always or revoke, and the state of each MCP server.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::wire::{Policy, ToolDTO, ToolPolicyRequest, ToolServerDTO, ToolsResponse};

#[component]
pub fn ToolSettings() -> impl IntoView {
    let tools = RwSignal::new(Vec::<ToolDTO>::new());
    let servers = RwSignal::new(Vec::<ToolServerDTO>::new());
    let notice = RwSignal::new(None::<String>);
    let load = move || {
        spawn_local(async move {
            match api::get::<ToolsResponse>("/api/tools").await {
                Ok(list) => {
                    tools.set(list.tools);
                    servers.set(list.servers);
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    let set = move |name: String, policy: Policy| {
        spawn_local(async move {
            // Tool names are made of [A-Za-z0-9_-] (OpenAI's rule), safe in a path.
            let path = format!("/api/tools/{name}/policy");
            match api::put::<_, ToolDTO>(&path, &ToolPolicyRequest { policy }).await {
                Ok(changed) => tools.update(|list| {
                    if let Some(tool) = list.iter_mut().find(|t| t.name == changed.name) {
                        *tool = changed;
                    }
                }),
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <details class="menu tool-settings" on:toggle=move |event| {
            if event_target::<leptos::web_sys::HtmlDetailsElement>(&event).open() {
                load();
            }
        }>
            <summary>"Tools"</summary>
            <div class="menu-items">
                <p class="form-note" role="status">{move || notice.get()}</p>
                {server_list(servers)}
                {tool_list(tools, set)}
            </div>
        </details>
    }
    .into_any()
}

fn server_list(servers: RwSignal<Vec<ToolServerDTO>>) -> AnyView {
    view! {
        <ul class="tool-servers" aria-label="Tool servers">
            <For each=move || servers.get() key=|s| (s.name.clone(), s.state.clone()) let:server>
                <li>
                    {format!("{}: {}", server.name, server.state)}
                    {server.error.map(|error| view! { <span class="form-error">{format!(" ({error})")}</span> })}
                </li>
            </For>
        </ul>
    }
    .into_any()
}

fn tool_list(tools: RwSignal<Vec<ToolDTO>>, set: impl Fn(String, Policy) + Copy + Send + Sync + 'static) -> AnyView {
    view! {
        <ul class="tool-policies" aria-label="Tool policies">
            <For each=move || tools.get() key=|t| (t.name.clone(), t.policy) let:tool>
                <li>
                    <code title=tool.description.clone()>{tool.name.clone()}</code>
                    {match tool.policy {
                        Policy::Always => policy_change("Always allowed", "Revoke", "Revoke always allowing", &tool.name, Policy::Ask, set),
                        Policy::Ask if tool.allow_always => policy_change("Asks", "Always allow", "Always allow", &tool.name, Policy::Always, set),
                        Policy::Ask => view! { <span class="policy">"Asks (always)"</span> }.into_any(),
                    }}
                </li>
            </For>
        </ul>
    }
    .into_any()
}

/// A tool's policy, and the button that changes it to `to`.
fn policy_change(
    shown: &'static str,
    button: &'static str,
    label: &'static str,
    name: &str,
    to: Policy,
    set: impl Fn(String, Policy) + Copy + Send + Sync + 'static,
) -> AnyView {
    let name = name.to_string();
    view! {
        <span class="policy">{shown}</span>
        <button class="small" aria-label=format!("{label} {name}") on:click={
            let name = name.clone();
            move |_| set(name.clone(), to)
        }>{button}</button>
    }
    .into_any()
}
