//! Sign in and sign up.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::limits::{self, MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS, MIN_PASSWORD_CHARS, MIN_USERNAME_CHARS};
use crate::wire::{AuthResponse, CredentialsRequest, SignInMethodsDTO};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    SignIn,
    SignUp,
}

#[component]
pub fn SignIn() -> impl IntoView {
    view! { <AuthForm mode=Mode::SignIn/> }
}

#[component]
pub fn SignUp() -> impl IntoView {
    view! { <AuthForm mode=Mode::SignUp/> }
}

/// Where to go after signing in: a local path from `?next=`, never another site.
fn next_page(raw: Option<String>) -> String {
    raw.filter(|p| p.starts_with('/') && !p.starts_with("//")).unwrap_or_else(|| "/".to_string())
}

#[component]
fn AuthForm(mode: Mode) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let query = use_query_map();
    // Why a single sign-on came back refused, said on this page.
    let error = RwSignal::new(query.get_untracked().get("sso_error"));
    let busy = RwSignal::new(false);
    let methods = RwSignal::new(SignInMethodsDTO { password: true, sso: false });
    Effect::new(move |_| {
        spawn_local(async move {
            if let Ok(found) = api::get::<SignInMethodsDTO>("/api/auth/methods").await {
                methods.set(found);
            }
        });
    });
    let sso_link = move || {
        let next = next_page(query.get_untracked().get("next"));
        format!("/api/auth/oidc/start?next={}", super::sidebar::urlencode(&next))
    };
    let (title, button, endpoint) = match mode {
        Mode::SignIn => ("Sign in to Confab", "Sign in", "/api/auth/login"),
        Mode::SignUp => ("Create your Confab account", "Create account", "/api/auth/register"),
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        // An invite link (`/register?invite=...`) lets its holder create one account.
        let invite = (mode == Mode::SignUp).then(|| query.get_untracked().get("invite")).flatten();
        let body =
            CredentialsRequest { username: username.get_untracked(), password: password.get_untracked(), invite };
        // A new account is checked here first, by the rules the server applies.
        if mode == Mode::SignUp {
            let checked = limits::check_username(&body.username).and_then(|_| limits::check_password(&body.password));
            if let Err(refused) = checked {
                error.set(Some(refused.message));
                return;
            }
        }
        busy.set(true);
        error.set(None);
        let next = next_page(query.get_untracked().get("next"));
        spawn_local(async move {
            match api::post::<_, AuthResponse>(endpoint, &body).await {
                Ok(_) => api::go_to(&next),
                Err(failure) => {
                    error.set(Some(failure.message));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <main class="auth-page">
            <form class="auth-card" on:submit=on_submit class:sso-only=move || !methods.get().password>
                <h1>{title}</h1>
                {move || {
                    (mode == Mode::SignUp && query.with(|q| q.get("invite").is_some()))
                        .then(|| view! { <p class="auth-note">"You were invited: choose a username and a password."</p> })
                }}
                <label>
                    "Username"
                    <input
                        name="username"
                        autocomplete="username"
                        required
                        minlength=MIN_USERNAME_CHARS.to_string()
                        maxlength=MAX_USERNAME_CHARS.to_string()
                        bind:value=username
                    />
                </label>
                <label>
                    "Password"
                    <input
                        name="password"
                        type="password"
                        autocomplete=if mode == Mode::SignUp { "new-password" } else { "current-password" }
                        required
                        minlength=MIN_PASSWORD_CHARS.to_string()
                        maxlength=MAX_PASSWORD_CHARS.to_string()
                        bind:value=password
                    />
                </label>
                <p class="form-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || busy.get()>{button}</button>
                {move || methods.get().sso.then(|| view! {
                    <a class="button sso" href=sso_link()>"Sign in with single sign-on"</a>
                })}
                {match mode {
                    Mode::SignIn => view! { <p class="switch">"New here? " <a href="/register">"Create an account"</a></p> }.into_any(),
                    Mode::SignUp => view! { <p class="switch">"Have an account? " <a href="/login">"Sign in"</a></p> }.into_any(),
                }}
            </form>
        </main>
    }
}
