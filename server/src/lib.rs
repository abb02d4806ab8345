//! The Confab server: the JSON API and live push, the chat runner that owns every
//! conversation's state, storage, the model providers and the tools, and the Leptos pages.
//!
//! `main.rs` only parses flags and calls [`run`]. Tests build the same [`App`] and either call
//! its router directly or serve it on a free port.

mod auth;
pub mod chat;
pub mod config;
mod error;
pub(crate) mod highlight;
mod http;
mod import;
mod listener;
mod math;
pub mod models;
mod openapi;
mod pages;
mod preferences;
mod rate_limit;
mod shares;
mod state;
mod untrusted;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use confab_llm::Provider;
use confab_mcp::McpHub;
use confab_store::{ContextStore, PgStore, SqliteStore, UserStore};
use confab_tools::{ToolRegistry, Workspace};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::info;

pub use chat::{ChatService, ChatSettings};
pub use config::{Config, LlmKind};
pub use error::ApiError;
pub use state::AppState;

/// How often the providers' model lists are fetched again.
const MODEL_LIST_REFRESH: Duration = Duration::from_secs(300);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Store(#[from] confab_store::StoreError),
    #[error(transparent)]
    Models(#[from] models::SetupError),
    #[error("cannot open the workspace folder {path}: {source}")]
    Workspace { path: String, source: std::io::Error },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("unsupported database URL {0:?}: use sqlite://path or postgres://user@host/database")]
    DatabaseUrl(String),
    #[error("{0}")]
    Sso(String),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

/// A built server: its router and the chat runner behind it.
pub struct App {
    router: Router,
    chat: ChatService,
    config: Arc<Config>,
}

impl App {
    /// Opens storage, recovers work a previous process left unfinished, and builds the router.
    pub async fn build(config: Config) -> Result<App, StartError> {
        let models = models::catalog(&config, None)?;
        Self::build_with_models(config, models).await
    }

    /// Like [`App::build`], with a model of the caller's as the default instead of the one
    /// `config` names (benchmarks and tests bring their own).
    pub async fn build_with_provider(config: Config, provider: Arc<dyn Provider>) -> Result<App, StartError> {
        let models = models::catalog(&config, Some(provider))?;
        Self::build_with_models(config, models).await
    }

    async fn build_with_models(config: Config, models: models::Catalog) -> Result<App, StartError> {
        let models = Arc::new(models);
        let (store, users) = open_stores(&config.database_url).await?;
        let (tools, mcp, oidc) = tools(&config)?;
        let settings = ChatSettings {
            stream_save_interval: Duration::from_millis(config.stream_save_interval_ms),
            max_message_chars: config.max_message_chars,
            lease_ttl: Duration::from_secs(config.lease_secs.max(1)),
            attachments: chat::AttachmentLimits {
                max_file_bytes: config.max_attachment_bytes,
                max_per_message: config.max_attachments_per_message,
                max_user_bytes: config.max_attachment_bytes_per_user,
                image: confab_attachments::Limits {
                    max_image_side: config.max_image_side.max(1),
                    ..confab_attachments::Limits::default()
                },
                ..chat::AttachmentLimits::default()
            },
            ..ChatSettings::default()
        };
        let preferences = Arc::new(preferences::PreferenceService::new(store.clone(), models.clone()));
        let chat = ChatService::new(store, models.clone(), tools, settings);
        models.spawn_refresh(MODEL_LIST_REFRESH, chat.closing());
        chat.spawn_sweeper();
        let idle = Duration::from_secs(config.unload_idle_secs.max(1));
        let unload_every = (idle / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        chat.start(unload_every, idle).await.map_err(|e| match e {
            chat::ChatError::Store(store) => StartError::Store(store),
            other => StartError::Store(confab_store::StoreError::Corrupt(other.to_string())),
        })?;
        let sessions = Arc::new(auth::SessionCache::new(chat.coordination()));
        spawn_account_changes(&chat, &sessions);
        let mut auth = auth::Auth::new(
            users,
            chrono::Duration::hours(i64::from(config.session_ttl_hours.max(1))),
            config.open_registration,
            config.secure_cookies,
            sessions,
        );
        if let Some(oidc) = oidc {
            auth = auth.with_oidc(oidc);
        }
        let auth = Arc::new(auth);
        auth.settle_registration().await.map_err(StartError::Store)?;
        spawn_session_cleanup(&auth);
        let limits = Arc::new(rate_limit::RateLimits::new(rate_limit::LimitSettings {
            reads_per_min: config.rate_limit_reads,
            actions_per_min: config.rate_limit_actions,
            sign_in_per_min: config.rate_limit_sign_in,
        }));
        rate_limit::spawn_cleanup(&limits);
        let config = Arc::new(config);
        let state = AppState {
            chat: chat.clone(),
            auth,
            limits,
            preferences,
            config: config.clone(),
            mcp,
            leptos_options: leptos_options(&config),
        };
        Ok(App { router: router(state), chat, config })
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub fn chat(&self) -> &ChatService {
        &self.chat
    }

    /// Serves until `signal` completes, then shuts down gracefully: live streams end with a
    /// reconnect hint, requests in flight finish, running generations are saved as
    /// interrupted, all within the configured grace period.
    pub async fn serve(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let grace = Duration::from_secs(self.config.shutdown_grace_secs);
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let closing = self.chat.closing();
        let trigger = async move {
            signal.await;
            info!("shutting down");
            closing.cancel();
            let _ = stopping_tx.send(());
        };
        let listener = listener::GuardedListener::new(listener, Duration::from_secs(self.config.write_timeout_secs));
        // Turn every handler into a route once, here: each connection shares the result.
        let router = self.router.with_state(());
        let server = listener::serve(listener, router, trigger);
        // The grace period counts from the signal, not from the start.
        let grace_over = async {
            let _ = stopping_rx.await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            () = server => {}
            () = grace_over => tracing::warn!("requests were still running when the grace period ended"),
        }
        self.chat.shutdown(grace).await;
        info!("stopped");
        Ok(())
    }
}

/// Binds `config.addr` and serves until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), StartError> {
    let addr = config.addr;
    let listener =
        TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr: addr.to_string(), source })?;
    let app = App::build(config).await?;
    info!("listening on http://{}", listener.local_addr().map_err(StartError::Serve)?);
    app.serve(listener, shutdown_signal()).await
}

/// The backend follows the URL's scheme: `sqlite:` for the embedded default, `postgres:` for
/// a database several processes share.
async fn open_stores(url: &str) -> Result<(Arc<dyn ContextStore>, Arc<dyn UserStore>), StartError> {
    if url.starts_with("sqlite:") {
        let store = Arc::new(SqliteStore::open(url).await?);
        return Ok((store.clone(), store));
    }
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = Arc::new(PgStore::open(url).await?);
        return Ok((store.clone(), store));
    }
    Err(StartError::DatabaseUrl(url.to_string()))
}

/// Tells the session cache of the accounts other processes changed (signed out, disabled,
/// deleted), as their notices arrive.
fn spawn_account_changes(chat: &ChatService, sessions: &Arc<auth::SessionCache>) {
    let mut changes = chat.accounts_changed_elsewhere();
    let (sessions, closing) = (Arc::downgrade(sessions), chat.closing());
    tokio::spawn(async move {
        loop {
            let change = tokio::select! {
                _ = closing.cancelled() => return,
                change = changes.recv() => change,
            };
            let Some(sessions) = sessions.upgrade() else { return };
            match change {
                Ok(user) => sessions.heard(user),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "missed account changes from other processes; forgetting every session");
                    sessions.forget_all();
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

/// Deletes expired sessions once an hour.
fn spawn_session_cleanup(auth: &Arc<auth::Auth>) {
    let weak = Arc::downgrade(auth);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let Some(auth) = weak.upgrade() else { return };
            if let Err(error) = auth.delete_expired_sessions().await {
                tracing::warn!(%error, "could not delete expired sessions");
            }
        }
    });
}

/// The built-in tools, and those of the MCP servers the config file names (started here);
/// and single sign-on, if the file sets it up.
fn tools(config: &Config) -> Result<(ToolRegistry, Arc<McpHub>, Option<auth::oidc::Oidc>), StartError> {
    let workspace = match &config.workspace_dir {
        Some(path) => Some(
            Workspace::open(path)
                .map_err(|source| StartError::Workspace { path: path.display().to_string(), source })?,
        ),
        None => None,
    };
    let (servers, oidc) = match &config.config {
        Some(path) => {
            let loaded = models::config_file::load(path, |name| std::env::var(name).ok())
                .map_err(|e| StartError::Models(e.into()))?;
            (loaded.mcp_servers(), loaded.oidc())
        }
        None => (Vec::new(), None),
    };
    let oidc = oidc.map(auth::oidc::Oidc::new).transpose().map_err(StartError::Sso)?;
    let hub = McpHub::start(servers);
    Ok((ToolRegistry::standard(workspace).with_source(hub.clone()), hub, oidc))
}

/// The Leptos options as cargo-leptos sets them in the environment (`LEPTOS_SITE_PKG_DIR`,
/// `LEPTOS_RELOAD_PORT`, `LEPTOS_ENV`, ...), with the site folder and address this server
/// was given: `--addr` is where it listens, whatever `LEPTOS_SITE_ADDR` says.
fn leptos_options(config: &Config) -> LeptosOptions {
    let mut options = match leptos::config::get_configuration(None) {
        Ok(file) => file.leptos_options,
        Err(error) => {
            tracing::warn!(%error, "ignoring Leptos settings in the environment that cannot be read");
            LeptosOptions::builder().output_name("confab").build()
        }
    };
    if options.output_name.is_empty() {
        options.output_name = "confab".into();
    }
    options.site_root = config.site_root.as_str().into();
    options.site_addr = config.addr;
    options
}

fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let page_data: app::ssr::SharedPageData = Arc::new(pages::Pages::new(state.chat.clone(), state.auth.clone()));
    let routes = generate_route_list(app::App);
    let router = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(page_data.clone()),
            move || app::shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        // Pages and files; the API compresses its own answers (all but its event streams).
        .layer(CompressionLayer::new())
        .nest("/api", http::api(&state))
        .merge(http::public_pages(&state))
        .route("/healthz", get(http::health))
        .layer(axum::middleware::from_fn_with_state(state.clone(), pages::require_sign_in))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .with_state(state);
    with_security_headers(router).layer(TraceLayer::new_for_http())
}

/// Headers every response carries unless it set its own: pages send a Content-Security-Policy
/// with their script nonce; everything else gets one that allows nothing.
fn with_security_headers(router: Router) -> Router {
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    defaults.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)))
    })
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
