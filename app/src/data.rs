//! Loading what a page shows. During server rendering the data comes straight from the
//! server through [`crate::ssr::PageData`]; in the browser it comes from the JSON API.
//! Either way the result is serialized into the page, so hydration does not fetch again.

use uuid::Uuid;

use crate::wire::{ActionResponse, ContextSummaryDTO, ServerInfoDTO, UserDTO};

/// Errors cross into the page as text a person can read.
pub type Loaded<T> = Result<T, String>;

#[cfg(feature = "ssr")]
mod imp {
    use super::*;
    use crate::ssr::SharedPageData;
    use leptos::prelude::use_context;

    fn request() -> Option<(SharedPageData, http::request::Parts)> {
        Some((use_context::<SharedPageData>()?, use_context::<http::request::Parts>()?))
    }

    pub fn contexts() -> impl std::future::Future<Output = Loaded<Vec<ContextSummaryDTO>>> + Send {
        let found = request();
        async move {
            let (data, parts) = found.ok_or("the page has no data source")?;
            data.contexts(&parts).await.map_err(|e| e.error.message)
        }
    }

    pub fn context(id: Uuid) -> impl std::future::Future<Output = Loaded<ActionResponse>> + Send {
        let found = request();
        async move {
            let (data, parts) = found.ok_or("the page has no data source")?;
            data.context(&parts, id).await.map_err(|e| e.error.message)
        }
    }

    pub fn me() -> impl std::future::Future<Output = Loaded<UserDTO>> + Send {
        let found = request();
        async move {
            let (data, parts) = found.ok_or("the page has no data source")?;
            data.me(&parts).await.map_err(|e| e.error.message)
        }
    }

    pub fn info() -> impl std::future::Future<Output = Loaded<ServerInfoDTO>> + Send {
        let found = request();
        async move {
            let (data, _) = found.ok_or("the page has no data source")?;
            Ok(data.info())
        }
    }
}

#[cfg(not(feature = "ssr"))]
mod imp {
    use super::*;

    pub fn contexts() -> impl std::future::Future<Output = Loaded<Vec<ContextSummaryDTO>>> + Send {
        browser::get_json("/api/contexts")
    }

    pub fn context(id: Uuid) -> impl std::future::Future<Output = Loaded<ActionResponse>> + Send {
        browser::get_json(format!("/api/contexts/{id}/state?window={}", crate::patch::WINDOW))
    }

    pub fn me() -> impl std::future::Future<Output = Loaded<UserDTO>> + Send {
        let me = browser::get_json::<crate::wire::MeResponse>("/api/auth/me");
        async move { me.await.map(|m| m.user) }
    }

    pub fn info() -> impl std::future::Future<Output = Loaded<ServerInfoDTO>> + Send {
        browser::get_json("/api/info")
    }

    #[cfg(feature = "hydrate")]
    mod browser {
        use crate::wire::ErrorBody;
        use serde::de::DeserializeOwned;

        /// GETs JSON; the future is wrapped so it may cross Leptos' `Send` bounds (the
        /// browser is single-threaded).
        pub fn get_json<T: DeserializeOwned + 'static>(
            url: impl Into<String>,
        ) -> impl std::future::Future<Output = Result<T, String>> + Send {
            let url = url.into();
            send_wrapper::SendWrapper::new(async move {
                let response = gloo_net::http::Request::get(&url).send().await.map_err(|e| e.to_string())?;
                if !response.ok() {
                    let body: Result<ErrorBody, _> = response.json().await;
                    return Err(body
                        .map(|b| b.error.message)
                        .unwrap_or_else(|_| format!("HTTP {}", response.status())));
                }
                response.json::<T>().await.map_err(|e| e.to_string())
            })
        }
    }

    #[cfg(not(feature = "hydrate"))]
    mod browser {
        /// Neither server nor browser: nothing to load from (a plain `cargo check`).
        pub async fn get_json<T>(_url: impl Into<String>) -> Result<T, String> {
            Err("no data source in this build".into())
        }
    }
}

pub use imp::{context, contexts, info, me};
