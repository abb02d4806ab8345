//! Confab's user interface (Leptos: rendered on the server, hydrated in the browser) and
//! the wire types the browser and the server share.
//!
//! [`wire`] and [`limits`] (what a client may send) compile everywhere. The server renders
//! pages with the `ssr` feature, getting its data through [`ssr::PageData`]; the browser
//! build (`hydrate`) talks to the JSON API.

pub mod limits;
pub mod patch;
#[cfg(feature = "ssr")]
pub mod share_page;
pub mod wire;
pub mod wire_import;

mod api;
mod attachments;
mod browser;
mod chat;
mod data;
mod dates;
pub mod markdown;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::send_security_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the moment the page became live, which
    // end-to-end tests wait for.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    let attention = pages::Attention::provide();
    view! {
        <Stylesheet id="leptos" href="/pkg/confab.css"/>
        <leptos_meta::Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Title text=move || attention.title()/>
        <Router>
            <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                <Route path=path!("/login") view=pages::SignIn/>
                <Route path=path!("/register") view=pages::SignUp/>
                <ParentRoute path=path!("") view=pages::Shell>
                    <Route path=path!("") view=pages::Welcome/>
                    <Route path=path!("c/:id") view=pages::Conversation/>
                    <Route path=path!("account") view=pages::AccountPage/>
                    <Route path=path!("admin") view=pages::AdminPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
