//! Small browser facilities (ids, localStorage, visibility, timers, dialogs) behind plain
//! functions, with inert versions for the server build, which never calls them.
// The server build renders these views but never runs the browser side of them.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

#[cfg(feature = "hydrate")]
mod imp {
    use wasm_bindgen::JsCast;

    pub fn new_action_id() -> String {
        web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.random_uuid()).unwrap_or_else(|| {
            // Every browser Confab supports has crypto.randomUUID; this is a last resort.
            format!("{:x}-{:x}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e16) as u64)
        })
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn storage_get(key: &str) -> Option<String> {
        storage()?.get_item(key).ok().flatten()
    }

    pub fn storage_set(key: &str, value: &str) {
        if let Some(storage) = storage() {
            let _ = storage.set_item(key, value);
        }
    }

    pub fn storage_remove(key: &str) {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(key);
        }
    }

    pub fn is_hidden() -> bool {
        web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden())
    }

    pub async fn sleep_ms(ms: u32) {
        gloo_timers::future::TimeoutFuture::new(ms).await;
    }

    pub fn confirm(message: &str) -> bool {
        web_sys::window().and_then(|w| w.confirm_with_message(message).ok()).unwrap_or(false)
    }

    /// Asks for a line of text; `None` when cancelled or left empty.
    pub fn prompt(message: &str) -> Option<String> {
        let answer = web_sys::window()?.prompt_with_message(message).ok().flatten()?;
        (!answer.trim().is_empty()).then_some(answer)
    }

    /// Focuses an element by id, after the current render.
    pub fn focus(id: &str) {
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    }

    pub fn log(line: &str) {
        web_sys::console::log_1(&line.into());
    }

    /// This page's origin (`http://host:port`), to make a full link of a path.
    pub fn origin() -> String {
        web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
    }

    /// Puts `text` on the clipboard; false when the browser refused.
    pub async fn copy_text(text: &str) -> bool {
        let Some(window) = web_sys::window() else { return false };
        let promise = window.navigator().clipboard().write_text(text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    pub fn new_action_id() -> String {
        String::new()
    }
    pub fn storage_get(_key: &str) -> Option<String> {
        None
    }
    pub fn storage_set(_key: &str, _value: &str) {}
    pub fn storage_remove(_key: &str) {}
    pub fn is_hidden() -> bool {
        false
    }
    pub async fn sleep_ms(_ms: u32) {}
    pub fn prompt(_message: &str) -> Option<String> {
        None
    }

    pub fn confirm(_message: &str) -> bool {
        false
    }
    pub fn focus(_id: &str) {}
    pub fn log(_line: &str) {}
    pub fn origin() -> String {
        String::new()
    }
    pub async fn copy_text(_text: &str) -> bool {
        false
    }
}

pub use imp::*;

/// Debug lines in the console, off by default, on per area with `localStorage.DEBUG`, e.g.
/// `localStorage.DEBUG = "sync,actions"` (or `*` for all), like `RUST_LOG` on the server.
pub fn debug_enabled(area: &str) -> bool {
    thread_local! {
        static AREAS: Vec<String> = storage_get("DEBUG")
            .map(|v| v.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect())
            .unwrap_or_default();
    }
    AREAS.with(|areas| areas.iter().any(|a| a == "*" || a == area))
}

macro_rules! debug_log {
    ($area:expr, $($arg:tt)*) => {
        if $crate::browser::debug_enabled($area) {
            $crate::browser::log(&format!("[{}] {}", $area, format!($($arg)*)));
        }
    };
}
pub(crate) use debug_log;
