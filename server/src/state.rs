//! What every handler can reach: a cheap-to-clone bundle of handles.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::auth::Auth;
use crate::chat::ChatService;
use crate::config::Config;
use crate::preferences::PreferenceService;
use crate::rate_limit::RateLimits;

#[derive(Clone)]
pub struct AppState {
    pub chat: ChatService,
    pub auth: Arc<Auth>,
    pub limits: Arc<RateLimits>,
    pub preferences: Arc<PreferenceService>,
    pub config: Arc<Config>,
    /// The MCP tool servers, for their status.
    pub mcp: Arc<confab_mcp::McpHub>,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
