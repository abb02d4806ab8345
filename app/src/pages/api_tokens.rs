//! Personal API tokens on the account page: make one (its secret is shown once), list them
//! with their last use, revoke any.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::wire::{CreateTokenRequest, CreatedTokenDTO, TokenDTO, TokensResponse};

/// The tokens section: loads the list when shown.
pub fn tokens_section() -> AnyView {
    let tokens = RwSignal::new(Vec::<TokenDTO>::new());
    let notice = RwSignal::new(None::<String>);
    super::load_once("/api/tokens", notice, move |list: TokensResponse| tokens.set(list.tokens));
    view! {
        <section class="settings-section" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"Personal API tokens"</h2>
            <p class="form-note">"For scripts and other apps: send one as " <code>"Authorization: Bearer …"</code> "."</p>
            <p class="form-note" role="status">{move || notice.get()}</p>
            {token_list(tokens, notice)}
            {token_form(tokens, notice)}
        </section>
    }
    .into_any()
}

fn token_list(tokens: RwSignal<Vec<TokenDTO>>, notice: RwSignal<Option<String>>) -> AnyView {
    let revoke = move |token: TokenDTO| {
        spawn_local(async move {
            match api::send_only("DELETE", &format!("/api/tokens/{}", token.id)).await {
                Ok(()) => {
                    tokens.update(|list| list.retain(|t| t.id != token.id));
                    notice.set(Some(format!("Token \"{}\" revoked.", token.name)));
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <ul class="token-list" aria-label="Personal API tokens">
            <For each=move || tokens.get() key=|t| t.id let:token>
                {
                    let label = format!("Revoke token {}", token.name);
                    let used = token
                        .last_used_at
                        .map_or("never used".to_string(), |at| format!("last used {}", crate::dates::minute(at)));
                    let expires = token
                        .expires_at
                        .map_or("no expiry".to_string(), |at| format!("expires {}", crate::dates::day(at)));
                    let details = format!("{used} · {expires}");
                    let name = token.name.clone();
                    view! {
                        <li>
                            <span class="token-name">{name}</span>
                            <span class="token-details">{details}</span>
                            <button type="button" class="small danger" aria-label=label on:click=move |_| revoke(token.clone())>
                                "Revoke"
                            </button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
    .into_any()
}

fn token_form(tokens: RwSignal<Vec<TokenDTO>>, notice: RwSignal<Option<String>>) -> AnyView {
    let name = RwSignal::new(String::new());
    let days = RwSignal::new("90".to_string());
    let created = RwSignal::new(None::<String>);
    let shown = NodeRef::<leptos::html::Div>::new();
    // The new secret may open below the fold: bring it into view, it is shown once.
    Effect::new(move |_| {
        if created.with(Option::is_some) {
            request_animation_frame(move || {
                #[cfg(feature = "hydrate")]
                if let Some(box_) = shown.get_untracked() {
                    box_.scroll_into_view_with_bool(false);
                }
            });
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request =
            CreateTokenRequest { name: name.get_untracked(), expires_in_days: days.get_untracked().parse().ok() };
        spawn_local(async move {
            match api::post::<_, CreatedTokenDTO>("/api/tokens", &request).await {
                Ok(token) => {
                    name.set(String::new());
                    created.set(Some(token.token.clone()));
                    notice.set(None);
                    if let Ok(list) = api::get::<TokensResponse>("/api/tokens").await {
                        tokens.set(list.tokens);
                    }
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <form class="token-form" aria-label="New API token" on:submit=submit>
            <label>"Name" <input type="text" maxlength="100" required bind:value=name placeholder="backup script"/></label>
            <label>
                "Expires"
                <select on:change=move |event| days.set(event_target_value(&event)) prop:value=move || days.get()>
                    <option value="30">"in 30 days"</option>
                    <option value="90">"in 90 days"</option>
                    <option value="365">"in a year"</option>
                    <option value="">"never"</option>
                </select>
            </label>
            <button type="submit" class="small">"Create token"</button>
        </form>
        {move || created.get().map(|secret| view! {
            <div class="new-token" role="status" node_ref=shown>
                <p>"Copy your new token now: it is not shown again."</p>
                <code class="token-secret">{secret}</code>
            </div>
        })}
    }
    .into_any()
}
