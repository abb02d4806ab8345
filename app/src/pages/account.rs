//! `/account`: your password, the sessions signed in as you, your personal API tokens, and
//! deleting the account.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::api_tokens::tokens_section;
use super::SidebarToggle;
use crate::api;
use crate::wire::{AccountDeletedDTO, ChangePasswordRequest, DeleteAccountRequest, SessionDTO, SessionsResponse};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <section class="settings-page" aria-labelledby="account-heading">
            <header class="chat-header">
                <SidebarToggle/>
                <h1 id="account-heading" class="chat-title">"Account"</h1>
            </header>
            <div class="settings-body">
                {password_section()}
                {sessions_section()}
                {tokens_section()}
                {delete_section()}
            </div>
        </section>
    }
}

fn password_section() -> AnyView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request =
            ChangePasswordRequest { current_password: current.get_untracked(), new_password: new.get_untracked() };
        spawn_local(async move {
            match api::post_only("/api/auth/password", &request).await {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    outcome.set(Some("Password changed. Your other sessions were signed out.".into()));
                }
                Err(failure) => outcome.set(Some(failure.message)),
            }
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <form class="password-form" aria-labelledby="password-heading" on:submit=submit>
                <label>
                    "Current password"
                    <input type="password" autocomplete="current-password" required bind:value=current/>
                </label>
                <label>
                    "New password"
                    <input type="password" autocomplete="new-password" minlength="8" required bind:value=new/>
                </label>
                <button type="submit" class="small">"Change password"</button>
                <p class="form-note" role="status">{move || outcome.get()}</p>
            </form>
        </section>
    }
    .into_any()
}

fn sessions_section() -> AnyView {
    let sessions = RwSignal::new(Vec::<SessionDTO>::new());
    let notice = RwSignal::new(None::<String>);
    super::load_once("/api/auth/sessions", notice, move |list: SessionsResponse| sessions.set(list.sessions));
    let end = move |session: SessionDTO| {
        spawn_local(async move {
            match api::send_only("DELETE", &format!("/api/auth/sessions/{}", session.id)).await {
                Ok(()) => {
                    sessions.update(|list| list.retain(|s| s.id != session.id));
                    notice.set(Some(format!("Signed out {}.", device(&session.user_agent))));
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            <p class="form-note" role="status">{move || notice.get()}</p>
            <ul class="token-list session-list" aria-labelledby="sessions-heading">
                <For each=move || sessions.get() key=|s| s.id.clone() let:session>
                    {
                        let name = device(&session.user_agent);
                        let active = session.last_used_at.unwrap_or(session.created_at);
                        let used = format!("last active {} UTC", crate::dates::minute(active));
                        let label = format!("Sign out {name}");
                        let current = session.current;
                        view! {
                            <li>
                                <span class="token-name" title=session.user_agent.clone()>{name}</span>
                                <span class="token-details">
                                    {if current { "this browser".to_string() } else { used }}
                                </span>
                                {(!current).then(|| view! {
                                    <button type="button" class="small danger" aria-label=label on:click=move |_| end(session.clone())>
                                        "Sign out"
                                    </button>
                                })}
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
    .into_any()
}

/// A short name for the browser a `User-Agent` describes, for people rather than parsers.
fn device(user_agent: &str) -> String {
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/", "curl/"]
        .into_iter()
        .find(|name| user_agent.contains(name))
        .map(|name| if name == "Edg/" { "Edge" } else { name.trim_end_matches('/') });
    let system = ["Android", "iPhone", "iPad", "Windows", "Mac OS X", "Linux"]
        .into_iter()
        .find(|name| user_agent.contains(name))
        .map(|name| if name == "Mac OS X" { "macOS" } else { name });
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(one), None) | (None, Some(one)) => one.to_string(),
        (None, None) if user_agent.is_empty() => "An unknown device".to_string(),
        (None, None) => user_agent.chars().take(40).collect(),
    }
}

fn delete_section() -> AnyView {
    let password = RwSignal::new(String::new());
    let confirming = RwSignal::new(false);
    let outcome = RwSignal::new(None::<String>);
    // An account made through single sign-on has no password: a fresh sign-in proves it.
    let reauthenticate = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        let request = DeleteAccountRequest { password: Some(password.get_untracked()) };
        spawn_local(async move {
            match api::delete::<_, AccountDeletedDTO>("/api/auth/me", &request).await {
                Ok(_) => api::go_to("/login"),
                Err(failure) => {
                    confirming.set(false);
                    reauthenticate.set(failure.code == "reauthenticate");
                    outcome.set(Some(failure.message));
                }
            }
        });
    };
    view! {
        <section class="settings-section danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <p class="form-note">
                "Deletes your account and everything in it at once: conversations, files, shared links, folders, "
                "settings and tokens. This cannot be undone."
            </p>
            <form class="password-form" aria-labelledby="delete-heading" on:submit=submit>
                <label>
                    "Your password"
                    <input type="password" autocomplete="current-password" bind:value=password
                        on:input=move |_| confirming.set(false)/>
                </label>
                {move || confirming.get().then(|| view! {
                    <p class="form-error" role="alert">"Really delete your account and everything in it?"</p>
                })}
                <button type="submit" class="small danger">
                    {move || if confirming.get() { "Yes, delete everything" } else { "Delete my account" }}
                </button>
                <p class="form-note" role="status">{move || outcome.get()}</p>
                {move || reauthenticate.get().then(|| view! {
                    <a class="button small" href="/api/auth/oidc/start?next=/account">"Sign in again"</a>
                })}
            </form>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn a_user_agent_reads_as_a_browser_on_a_system() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36";
        assert_eq!(device(chrome), "Chrome on Linux");
        assert_eq!(
            device("Mozilla/5.0 (Android 15; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0"),
            "Firefox on Android"
        );
        assert_eq!(device("curl/8.5.0"), "curl");
        assert_eq!(device(""), "An unknown device");
    }
}
