//! What server rendering needs from the server: the data a page shows, for the user who
//! made the request. The server implements [`PageData`] and provides it as context.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::request::Parts;
use uuid::Uuid;

use crate::wire::{ActionResponse, ContextSummaryDTO, ErrorBody, ServerInfoDTO, UserDTO};

pub type PageFuture<T> = Pin<Box<dyn Future<Output = Result<T, ErrorBody>> + Send>>;

pub trait PageData: Send + Sync + 'static {
    fn contexts(&self, request: &Parts) -> PageFuture<Vec<ContextSummaryDTO>>;
    fn context(&self, request: &Parts, id: Uuid) -> PageFuture<ActionResponse>;
    fn me(&self, request: &Parts) -> PageFuture<UserDTO>;
    fn info(&self) -> ServerInfoDTO;
}

/// How `PageData` travels in Leptos context.
pub type SharedPageData = Arc<dyn PageData>;

/// Sends the page's Content-Security-Policy: scripts only from this origin or carrying this
/// response's nonce (Leptos puts it on its hydration scripts), wasm allowed to compile,
/// nothing framed, no inline styles.
pub fn send_security_policy(options: &leptos::config::LeptosOptions) {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    // `cargo leptos watch` reloads the page over a websocket of its own, on the port it sets
    // in the Leptos options (LEPTOS_RELOAD_PORT, or LEPTOS_RELOAD_EXTERNAL_PORT behind a proxy).
    let watch = if std::env::var("LEPTOS_WATCH").is_ok() { reload_sources(options) } else { String::new() };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{watch}; font-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Where `cargo leptos watch`'s reload websocket may be: the page's host is not known here,
/// so the site's own address and localhost, on the reload port.
fn reload_sources(options: &leptos::config::LeptosOptions) -> String {
    let port = options.reload_external_port.unwrap_or(options.reload_port);
    let scheme = match options.reload_ws_protocol {
        leptos::config::ReloadWSProtocol::WSS => "wss",
        leptos::config::ReloadWSProtocol::WS => "ws",
    };
    let host = options.site_addr.ip();
    let site = if host.is_ipv6() { format!("[{host}]") } else { host.to_string() };
    format!(" {scheme}://{site}:{port} {scheme}://localhost:{port}")
}
