//! The account menu's model defaults (what a new conversation starts with) and presets
//! (start a conversation from one, or delete it).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::chat::{model_options, use_models};
use crate::wire::{ChatContextDTO, CreateContextRequest, ModelDTO, PresetDTO, PresetsResponse, UserSettingsDTO};

#[component]
pub fn Defaults(on_created: Callback<()>) -> impl IntoView {
    let models = use_models();
    let model = RwSignal::new(String::new());
    let prompt = RwSignal::new(String::new());
    let presets = RwSignal::new(Vec::<PresetDTO>::new());
    let notice = RwSignal::new(None::<String>);
    let load = move || {
        spawn_local(async move {
            if let Ok(settings) = api::get::<UserSettingsDTO>("/api/me/settings").await {
                model.set(settings.default_model.unwrap_or_default());
                prompt.set(settings.default_system_prompt.unwrap_or_default());
            }
            if let Ok(list) = api::get::<PresetsResponse>("/api/presets").await {
                presets.set(list.presets);
            }
        });
    };
    let save = move |event: SubmitEvent| {
        event.prevent_default();
        let (model, prompt) = (model.get_untracked(), prompt.get_untracked());
        let body = UserSettingsDTO {
            default_model: (!model.is_empty()).then_some(model),
            default_system_prompt: (!prompt.trim().is_empty()).then_some(prompt),
        };
        spawn_local(async move {
            match api::put::<_, UserSettingsDTO>("/api/me/settings", &body).await {
                Ok(_) => notice.set(Some("Saved: new chats start with these".into())),
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    let menu = NodeRef::<leptos::html::Details>::new();
    let navigate = use_navigate();
    let start = move |preset: PresetDTO| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let request = CreateContextRequest { preset_id: Some(preset.id), ..CreateContextRequest::default() };
            match api::post::<_, ChatContextDTO>("/api/contexts", &request).await {
                Ok(context) => {
                    // The menu has done its job; it would cover the new conversation.
                    if let Some(menu) = menu.get_untracked() {
                        menu.set_open(false);
                    }
                    on_created.run(());
                    navigate(&format!("/c/{}", context.id), Default::default());
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    let delete = move |preset: PresetDTO| {
        spawn_local(async move {
            match api::send_only("DELETE", &format!("/api/presets/{}", preset.id)).await {
                Ok(()) => presets.update(|list| list.retain(|p| p.id != preset.id)),
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <details class="menu defaults" node_ref=menu on:toggle=move |event| {
            if event_target::<leptos::web_sys::HtmlDetailsElement>(&event).open() {
                load();
            }
        }>
            <summary>"Models & presets"</summary>
            <div class="menu-items">
                {defaults_form(models, model, prompt, save)}
                <p class="form-note" role="status">{move || notice.get()}</p>
                {preset_list(presets, start, delete)}
            </div>
        </details>
    }
    .into_any()
}

/// The default model and system prompt; its own erased view keeps the menu's type shallow
/// enough for the compiler's query depth in the wasm build.
fn defaults_form(
    models: RwSignal<Vec<ModelDTO>>,
    model: RwSignal<String>,
    prompt: RwSignal<String>,
    save: impl Fn(SubmitEvent) + 'static,
) -> AnyView {
    view! {
        <form class="defaults-form" on:submit=save>
            <label>
                "Default model"
                <select
                    aria-label="Default model"
                    prop:value=move || model.get()
                    on:change=move |event| model.set(event_target_value(&event))
                >
                    <option value="" selected=move || model.with(String::is_empty)>"The server's default"</option>
                    {move || models.with(|list| model_options(list, &model.get()))}
                </select>
            </label>
            <label>
                "Default system prompt"
                <textarea rows="3" placeholder="Confab's default" bind:value=prompt></textarea>
            </label>
            <button type="submit" class="small primary">"Save defaults"</button>
        </form>
    }
    .into_any()
}

fn preset_list(
    presets: RwSignal<Vec<PresetDTO>>,
    start: impl Fn(PresetDTO) + Clone + Send + Sync + 'static,
    delete: impl Fn(PresetDTO) + Copy + Send + Sync + 'static,
) -> AnyView {
    view! {
        <ul class="presets" aria-label="Presets">
            <For each=move || presets.get() key=|p| (p.id, p.name.clone()) let:preset>
                <li>
                    <button class="small" title="Start a new chat with this preset" on:click={
                        let (start, preset) = (start.clone(), preset.clone());
                        move |_| start(preset.clone())
                    }>
                        {format!("New chat: {}", preset.name)}
                    </button>
                    <button class="icon" aria-label=format!("Delete preset {}", preset.name) on:click={
                        let preset = preset.clone();
                        move |_| delete(preset.clone())
                    }>
                        "×"
                    </button>
                </li>
            </For>
        </ul>
    }
    .into_any()
}
