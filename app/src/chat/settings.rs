//! The conversation's model and settings: a model picker in the header (grouped by
//! provider, unavailable models greyed with why) and a settings panel (system prompt,
//! parameters, save as preset). Both show the server's settings, so a change made in one
//! tab appears in every other.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::outbox;
use super::store::ChatStore;
use crate::api;
use crate::wire::{Action, ModelDTO, ModelsResponse, PresetDTO, PresetRequest, SettingsDTO, SettingsPatchDTO};

/// The models of every provider, fetched once the page is live.
pub fn use_models() -> RwSignal<Vec<ModelDTO>> {
    let models = RwSignal::new(Vec::new());
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            spawn_local(async move {
                if let Ok(list) = api::get::<ModelsResponse>("/api/models").await {
                    models.try_set(list.models);
                }
            });
        }
    });
    models
}

/// `<optgroup>`s of `models` by provider, `current` always among them (even if its
/// provider no longer lists it).
pub fn model_options(models: &[ModelDTO], current: &str) -> impl IntoView + use<> {
    let known = models.iter().any(|m| m.id == current);
    let extra = (!known && !current.is_empty()).then(|| ModelDTO {
        id: current.to_string(),
        provider: current.split('/').next().unwrap_or_default().to_string(),
        name: current.split_once('/').map_or(current, |(_, name)| name).to_string(),
        context_length: None,
        vision: false,
        tools: false,
        available: true,
        error: None,
    });
    let all: Vec<ModelDTO> = models.iter().cloned().chain(extra).collect();
    let current = current.to_string();
    matching(&all, "")
        .into_iter()
        .map(|(provider, list)| {
            let options = list
                .into_iter()
                .map(|m| {
                    let label = match (&m.error, m.context_length) {
                        (Some(_), _) => format!("{} (unavailable)", m.name),
                        (None, Some(tokens)) => format!("{} · {}k", m.name, tokens / 1000),
                        (None, None) => m.name.clone(),
                    };
                    let selected = m.id == current;
                    view! {
                        <option value=m.id.clone() selected=selected disabled=!m.available title=m.error.clone()>
                            {label}
                        </option>
                    }
                })
                .collect_view();
            view! { <optgroup label=provider>{options}</optgroup> }
        })
        .collect_view()
}

fn current_settings(store: ChatStore) -> Memo<SettingsDTO> {
    Memo::new(move |_| store.model.with(|m| m.state.as_ref().map(|s| s.context.settings.clone()).unwrap_or_default()))
}

/// The models whose provider or name holds every word of `query`, grouped by provider.
fn matching(models: &[ModelDTO], query: &str) -> Vec<(String, Vec<ModelDTO>)> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut groups: Vec<(String, Vec<ModelDTO>)> = Vec::new();
    for model in models {
        let id = model.id.to_lowercase();
        if !words.iter().all(|w| id.contains(w.as_str())) {
            continue;
        }
        match groups.iter_mut().find(|(provider, _)| *provider == model.provider) {
            Some((_, list)) => list.push(model.clone()),
            None => groups.push((model.provider.clone(), vec![model.clone()])),
        }
    }
    groups
}

/// The conversation's model, and a searchable list of every model by provider to switch to
/// (unavailable ones greyed, with why).
#[component]
pub fn ModelPicker(store: ChatStore) -> impl IntoView {
    let models = use_models();
    let settings = current_settings(store);
    let current = Memo::new(move |_| settings.with(|s| s.model.clone()));
    let query = RwSignal::new(String::new());
    let menu = NodeRef::<leptos::html::Details>::new();
    let idle = move || store.model.with(|m| m.accepts_messages());
    let choose = move |id: String| {
        if let Some(menu) = menu.get_untracked() {
            menu.set_open(false);
        }
        query.set(String::new());
        if id != current.get_untracked() {
            let patch = SettingsPatchDTO { model: Some(id), ..SettingsPatchDTO::default() };
            outbox::dispatch(store, Action::update_settings(patch), "Switch model".into());
        }
    };
    let label = move || {
        let id = current.get();
        id.split_once('/').map_or(id.clone(), |(_, name)| name.to_string())
    };
    let list = move || {
        let groups = models.with(|all| matching(all, &query.get()));
        if groups.is_empty() {
            return view! { <p class="form-note">"No model matches"</p> }.into_any();
        }
        let current = current.get();
        groups
            .into_iter()
            .map(|(provider, list)| {
                let options = list
                    .into_iter()
                    .map(|m| {
                        let size = m.context_length.map(|t| format!("{}k", t / 1000)).unwrap_or_default();
                        let why = m.error.clone().map(|e| format!("Unavailable: {e}"));
                        let (available, id, chosen) = (m.available, m.id.clone(), m.id == current);
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="model-option"
                                    aria-pressed=chosen.to_string()
                                    title=why
                                    disabled=move || !available || !idle()
                                    on:click=move |_| choose(id.clone())
                                >
                                    <span>{m.name}</span>
                                    <span class="model-size">{if available { size } else { "unavailable".into() }}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <li class="model-group">
                        <span class="model-provider">{provider}</span>
                        <ul>{options}</ul>
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <details class="menu model-picker" node_ref=menu>
            <summary aria-label="Model" title=move || format!("Model: {}", current.get())>{label}</summary>
            <div class="menu-items model-menu">
                <input type="search" aria-label="Search models" placeholder="Search models" bind:value=query/>
                <ul class="model-list" aria-label="Models">{list}</ul>
            </div>
        </details>
    }
    .into_any()
}

/// A number field's text: empty for none.
fn shown<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Empty means "the model's default" (`null`); anything else must parse.
fn parsed<T: std::str::FromStr>(text: &str, name: &str) -> Result<Option<T>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| format!("{name} must be a number"))
}

#[component]
pub fn SettingsPanel(store: ChatStore) -> impl IntoView {
    let settings = current_settings(store);
    let prompt = RwSignal::new(String::new());
    let temperature = RwSignal::new(String::new());
    let top_p = RwSignal::new(String::new());
    let max_tokens = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let preset_name = RwSignal::new(String::new());
    // The form shows what the server holds, also when another tab changed it.
    Effect::new(move |_| {
        let s = settings.get();
        prompt.set(s.system_prompt);
        temperature.set(shown(s.temperature));
        top_p.set(shown(s.top_p));
        max_tokens.set(shown(s.max_tokens));
    });
    let idle = move || store.model.with(|m| m.accepts_messages());
    let apply = move |event: SubmitEvent| {
        event.prevent_default();
        let patch = (|| -> Result<SettingsPatchDTO, String> {
            Ok(SettingsPatchDTO {
                model: None,
                system_prompt: Some(prompt.get_untracked()),
                temperature: Some(parsed(&temperature.get_untracked(), "Temperature")?),
                top_p: Some(parsed(&top_p.get_untracked(), "Top p")?),
                max_tokens: Some(parsed(&max_tokens.get_untracked(), "Max output tokens")?),
            })
        })();
        match patch {
            Ok(patch) => {
                notice.set(None);
                outbox::dispatch(store, Action::update_settings(patch), "Settings".into());
            }
            Err(message) => notice.set(Some(message)),
        }
    };
    let save_preset = move |_| {
        let name = preset_name.get_untracked();
        if name.trim().is_empty() {
            notice.set(Some("Name the preset first".into()));
            return;
        }
        let s = settings.get_untracked();
        let request = PresetRequest {
            name: Some(name),
            model: Some(s.model),
            system_prompt: Some(s.system_prompt),
            temperature: s.temperature,
            top_p: s.top_p,
            max_tokens: s.max_tokens,
        };
        spawn_local(async move {
            match api::post::<_, PresetDTO>("/api/presets", &request).await {
                Ok(preset) => {
                    preset_name.set(String::new());
                    notice.set(Some(format!("Saved the preset “{}”", preset.name)));
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <details class="menu settings-panel">
            <summary aria-label="Conversation settings">"Settings"</summary>
            <form class="menu-items settings-form" on:submit=apply>
                <label>
                    "System prompt"
                    <textarea name="system_prompt" rows="4" bind:value=prompt></textarea>
                </label>
                <div class="settings-numbers">
                    <label>
                        "Temperature"
                        <input name="temperature" type="number" min="0" max="2" step="0.05" placeholder="default" bind:value=temperature/>
                    </label>
                    <label>
                        "Top p"
                        <input name="top_p" type="number" min="0" max="1" step="0.05" placeholder="default" bind:value=top_p/>
                    </label>
                    <label>
                        "Max output tokens"
                        <input name="max_tokens" type="number" min="1" step="1" placeholder="default" bind:value=max_tokens/>
                    </label>
                </div>
                <button type="submit" class="small primary" disabled=move || !idle()>"Apply"</button>
                <p class="form-note" role="status">{move || notice.get()}</p>
                <div class="preset-save">
                    <input aria-label="Preset name" placeholder="Preset name" bind:value=preset_name/>
                    <button type="button" class="small" on:click=save_preset>"Save as preset"</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(provider: &str, name: &str) -> ModelDTO {
        ModelDTO {
            id: format!("{provider}/{name}"),
            provider: provider.into(),
            name: name.into(),
            context_length: None,
            vision: false,
            tools: true,
            available: true,
            error: None,
        }
    }

    #[test]
    fn a_search_keeps_the_models_holding_every_word_grouped_by_provider() {
        let all = [model("openai", "gpt-4o"), model("ollama", "llama3.1"), model("openai", "gpt-4o-mini")];
        let names = |query: &str| -> Vec<(String, Vec<String>)> {
            matching(&all, query).into_iter().map(|(p, list)| (p, list.into_iter().map(|m| m.name).collect())).collect()
        };
        assert_eq!(names("").len(), 2, "everything, in two groups");
        assert_eq!(names("MINI"), [("openai".to_string(), vec!["gpt-4o-mini".to_string()])]);
        assert_eq!(names("openai 4o"), [("openai".to_string(), vec!["gpt-4o".to_string(), "gpt-4o-mini".to_string()])]);
        assert_eq!(names("llama"), [("ollama".to_string(), vec!["llama3.1".to_string()])]);
        assert!(names("claude").is_empty());
    }
}
