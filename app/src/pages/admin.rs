//! `/admin`, for administrators: every account (never its conversations) with buttons to
//! disable, enable, promote, demote and set a password; who may register; invite links.

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::SidebarToggle;
use crate::api;
use crate::attachments::human_size;
use crate::wire::{
    AdminUserDTO, AdminUsersResponse, ChangeUserRequest, CreateInviteRequest, InviteDTO, RegistrationDTO,
    RegistrationMode, ResetPasswordRequest,
};

#[component]
pub fn AdminPage() -> impl IntoView {
    let users = RwSignal::new(Vec::<AdminUserDTO>::new());
    let notice = RwSignal::new(None::<String>);
    super::load_once("/api/admin/users", notice, move |list: AdminUsersResponse| users.set(list.users));
    view! {
        <section class="settings-page" aria-labelledby="admin-heading">
            <header class="chat-header">
                <SidebarToggle/>
                <h1 id="admin-heading" class="chat-title">"Administration"</h1>
            </header>
            <div class="settings-body">
                <section class="settings-section" aria-labelledby="users-heading">
                    <h2 id="users-heading">"Users"</h2>
                    <p class="form-note" role="status">{move || notice.get()}</p>
                    {users_table(users, notice)}
                </section>
                {registration_section()}
            </div>
        </section>
    }
}

fn users_table(users: RwSignal<Vec<AdminUserDTO>>, notice: RwSignal<Option<String>>) -> AnyView {
    let change = move |user: AdminUserDTO, request: ChangeUserRequest, done: &'static str| {
        spawn_local(async move {
            match api::patch::<_, AdminUserDTO>(&format!("/api/admin/users/{}", user.id), &request).await {
                Ok(changed) => {
                    users.update(|list| {
                        if let Some(row) = list.iter_mut().find(|row| row.id == changed.id) {
                            *row = changed;
                        }
                    });
                    notice.set(Some(format!("{} {done}.", user.username)));
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <table class="users-table">
            <caption class="visually-hidden">"Every account on this server"</caption>
            <thead>
                <tr>
                    <th scope="col">"User"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Last seen"</th>
                    <th scope="col">"Chats"</th>
                    <th scope="col">"Files"</th>
                    <th scope="col">"Actions"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || users.get() key=|u| (u.id, u.admin, u.disabled) let:user>
                    {
                        let seen = user.last_seen_at.map_or("never".to_string(), crate::dates::minute);
                        let role = match (user.admin, user.disabled) {
                            (_, true) => "disabled",
                            (true, false) => "admin",
                            (false, false) => "member",
                        };
                        let (toggle, toggle_request, toggle_done) = if user.disabled {
                            ("Enable", ChangeUserRequest { disabled: Some(false), admin: None }, "is enabled")
                        } else {
                            ("Disable", ChangeUserRequest { disabled: Some(true), admin: None }, "is disabled and signed out")
                        };
                        let (promote, promote_request, promote_done) = if user.admin {
                            ("Make member", ChangeUserRequest { disabled: None, admin: Some(false) }, "is no longer an administrator")
                        } else {
                            ("Make admin", ChangeUserRequest { disabled: None, admin: Some(true) }, "is an administrator")
                        };
                        let (for_toggle, for_promote) = (user.clone(), user.clone());
                        let toggle_label = format!("{toggle} {}", user.username);
                        let promote_label = format!("{promote}: {}", user.username);
                        view! {
                            <tr class:disabled=user.disabled>
                                <th scope="row">{user.username.clone()}</th>
                                <td>{role}</td>
                                <td>{seen}</td>
                                <td>{user.conversations}</td>
                                <td>{human_size(user.storage_bytes)}</td>
                                <td class="row-actions">
                                    <button type="button" class="small" aria-label=toggle_label
                                        on:click=move |_| change(for_toggle.clone(), toggle_request.clone(), toggle_done)>
                                        {toggle}
                                    </button>
                                    <button type="button" class="small quiet" aria-label=promote_label
                                        on:click=move |_| change(for_promote.clone(), promote_request.clone(), promote_done)>
                                        {promote}
                                    </button>
                                    {password_reset(user.id, user.username.clone(), notice)}
                                </td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
    }
    .into_any()
}

/// "Set password": a small form that opens in place.
fn password_reset(id: Uuid, username: String, notice: RwSignal<Option<String>>) -> AnyView {
    let password = RwSignal::new(String::new());
    let label = format!("New password for {username}");
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request = ResetPasswordRequest { new_password: password.get_untracked() };
        let username = username.clone();
        spawn_local(async move {
            match api::post_only(&format!("/api/admin/users/{id}/password"), &request).await {
                Ok(()) => {
                    password.set(String::new());
                    notice.set(Some(format!("{username}'s password is set; their sessions were signed out.")));
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    view! {
        <details class="inline-form">
            <summary class="button small quiet">"Set password"</summary>
            <form on:submit=submit>
                <input type="password" autocomplete="new-password" minlength="8" required aria-label=label bind:value=password/>
                <button type="submit" class="small">"Set"</button>
            </form>
        </details>
    }
    .into_any()
}

fn registration_section() -> AnyView {
    let mode = RwSignal::new(None::<RegistrationMode>);
    let notice = RwSignal::new(None::<String>);
    let invite = RwSignal::new(None::<InviteDTO>);
    super::load_once("/api/admin/registration", notice, move |found: RegistrationDTO| mode.set(Some(found.mode)));
    let choose = move |chosen: RegistrationMode| {
        spawn_local(async move {
            match api::put::<_, RegistrationDTO>("/api/admin/registration", &RegistrationDTO { mode: chosen }).await {
                Ok(saved) => {
                    mode.set(Some(saved.mode));
                    notice.set(Some("Saved.".into()));
                }
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    let create_invite = move |_| {
        spawn_local(async move {
            match api::post::<_, InviteDTO>("/api/admin/invites", &CreateInviteRequest::default()).await {
                Ok(created) => invite.set(Some(created)),
                Err(failure) => notice.set(Some(failure.message)),
            }
        });
    };
    let choices = [
        (RegistrationMode::Open, "Open: anyone who reaches this server"),
        (RegistrationMode::Invite, "By invite: whoever has an unused invite link"),
        (RegistrationMode::Closed, "Closed: nobody"),
    ];
    view! {
        <section class="settings-section" aria-labelledby="registration-heading">
            <h2 id="registration-heading">"Who may create an account"</h2>
            <fieldset class="radio-group">
                <legend class="visually-hidden">"Registration"</legend>
                {choices.into_iter().map(|(value, text)| view! {
                    <label>
                        <input type="radio" name="registration" prop:checked=move || mode.get() == Some(value)
                            on:change=move |_| choose(value)/>
                        {text}
                    </label>
                }).collect_view()}
            </fieldset>
            <p class="form-note" role="status">{move || notice.get()}</p>
            <button type="button" class="small" on:click=create_invite>"Create invite link"</button>
            {move || invite.get().map(|invite| {
                let link = absolute(&invite.url);
                let expires = crate::dates::day(invite.expires_at);
                view! {
                    <div class="new-token" role="status">
                        <p>"Send this link to one person; it works once, until " {expires} "."</p>
                        <code class="token-secret invite-link">{link}</code>
                    </div>
                }
            })}
        </section>
    }
    .into_any()
}

/// A path on this server as a link someone else can open.
fn absolute(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return format!("{origin}{path}");
    }
    path.to_string()
}
