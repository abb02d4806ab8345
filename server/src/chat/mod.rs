//! The chat service: every change to a context goes through here.
//!
//! A change takes the context's lock (one writer per context, [`registry`]), runs one event
//! through the domain's state machine, auto-saves what that marked dirty and skips the save
//! when nothing is ([`persist`]), publishes the new state to subscribers and pollers
//! ([`publish`]), and then does what the transition asks: start a generation, run the
//! approved tools, or stop ([`actions`], [`runner`]). Generation and tool runs are server
//! tasks, detached from any HTTP request. Several processes sharing a database hear each
//! other's changes ([`coordination`]) and take turns through [`leases`].
//!
//! Files by job: [`contexts`] (create, list, read, rename, delete, import), [`actions`]
//! (a person's actions), [`reads`] (polling and subscriptions), [`lifecycle`] (recovery at
//! start, unloading idle contexts, shutdown).

mod actions;
mod answers;
mod attachments;
mod changes;
mod contexts;
mod coordination;
mod dto;
mod events;
mod leases;
mod lifecycle;
mod persist;
mod places;
mod policies;
mod prompt;
mod publish;
mod reads;
mod registry;
mod rejected;
mod runner;
mod slot;
pub mod transfer;
mod users;
mod validate;

use std::sync::Arc;
use std::time::Duration;

use app::wire::ServerInfoDTO;
use chrono::{DateTime, Utc};
use confab_core::{FsmError, Timestamp};
use confab_store::{ContextStore, StoreError};
use confab_tools::ToolRegistry;
use tokio_util::sync::CancellationToken;

pub use answers::{patch_event_id, Answer, LiveUpdate, PatchSubscription};
pub use attachments::AttachmentLimits;
pub use dto::PageFrom;
pub use events::{event_id, ContextEvent, EventKind};
pub use policies::PolicyView;
pub use publish::StateView;
pub use reads::{SinceView, StreamStart, Subscription};

use crate::models::Catalog;
use persist::Persistence;
use runner::{RunDeps, Runs};

/// Why the service refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// No such context, or not the caller's (the two are indistinguishable on purpose).
    #[error("no such conversation")]
    NotFound,
    /// No such folder, or not the caller's.
    #[error("no such folder")]
    FolderNotFound,
    /// No tool of that name is on offer.
    #[error("no such tool")]
    ToolNotFound,
    /// The server's configuration forbids the policy asked for.
    #[error("{0}")]
    PolicyForbidden(String),
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Fsm(#[from] FsmError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such file, or not the caller's.
    #[error("no such file")]
    AttachmentNotFound,
    /// A file, or the files of one person, past a configured size.
    #[error("{0}")]
    TooLarge(String),
    /// Another server process has not finished its work on the context yet.
    #[error("another server process is still finishing its work on this conversation; try again")]
    Busy,
}

#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// How often a streaming reply is saved (it is not saved per token).
    pub stream_save_interval: Duration,
    pub tool_timeout: Duration,
    pub max_message_chars: usize,
    pub max_title_chars: usize,
    /// How long a process's claim to run work on a context lasts unless renewed: after a
    /// crash, how long until another process may recover the context.
    pub lease_ttl: Duration,
    pub attachments: AttachmentLimits,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            stream_save_interval: Duration::from_millis(250),
            tool_timeout: Duration::from_secs(30),
            max_message_chars: app::limits::DEFAULT_MAX_MESSAGE_CHARS,
            max_title_chars: app::limits::MAX_TITLE_CHARS,
            lease_ttl: Duration::from_secs(15),
            attachments: AttachmentLimits::default(),
        }
    }
}

/// A cheap-to-clone handle to the service.
#[derive(Clone)]
pub struct ChatService {
    inner: Arc<Inner>,
}

struct Inner {
    /// The store, the loaded contexts, leases and tasks: what every part shares.
    persistence: Arc<Persistence>,
    /// Generations and tool runs.
    runs: Runs,
    settings: ChatSettings,
}

/// How many times an action is tried when other processes keep saving the context first.
const CONFLICT_ATTEMPTS: u32 = 4;

/// Runs `attempt` again, up to [`CONFLICT_ATTEMPTS`] times in all, while it fails because
/// another process saved the context first; each attempt starts from what the store holds.
async fn retry_on_conflict<T, F, Fut>(id: confab_core::ContextId, mut attempt: F) -> Result<T, ChatError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ChatError>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(ChatError::Store(StoreError::Conflict)) if tries < CONFLICT_ATTEMPTS => {
                tracing::debug!(context = %id, tries, "changed elsewhere meanwhile; trying again on the new state");
                tries += 1;
            }
            result => return result,
        }
    }
}

pub(crate) use validate::settings as check_settings;

/// [`now`], for the rest of the server.
pub fn now_millis() -> Timestamp {
    now()
}

/// The current time, at the millisecond precision stores keep, so what is in memory equals
/// what is on disk.
pub(crate) fn now() -> Timestamp {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

impl ChatService {
    pub fn new(
        store: Arc<dyn ContextStore>,
        models: Arc<Catalog>,
        tools: ToolRegistry,
        settings: ChatSettings,
    ) -> Self {
        let defaults = (models.default_model().to_string(), prompt::DEFAULT_SYSTEM_PROMPT.to_string());
        let deps = RunDeps {
            models,
            tools,
            stream_save_interval: settings.stream_save_interval,
            tool_timeout: settings.tool_timeout,
        };
        let persistence = Arc::new(Persistence::new(store, settings.lease_ttl, defaults));
        let runs = Runs::new(deps, persistence.clone());
        ChatService { inner: Arc::new(Inner { persistence, runs, settings }) }
    }

    pub fn info(&self) -> ServerInfoDTO {
        let models = &self.inner.runs.deps.models;
        let default = models.default_model();
        let (provider, model) = default.split_once('/').unwrap_or(("", default));
        let label = models.default_provider().map(|p| p.info().label).unwrap_or_default();
        ServerInfoDTO {
            provider: provider.to_string(),
            model: model.to_string(),
            model_label: label,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    pub fn models(&self) -> &Arc<Catalog> {
        &self.inner.runs.deps.models
    }

    /// The tools models may ask for.
    pub fn tools(&self) -> &ToolRegistry {
        &self.inner.runs.deps.tools
    }

    pub fn store(&self) -> &Arc<dyn ContextStore> {
        &self.inner.persistence.store
    }

    /// How this process reaches the others sharing the store (nobody, with SQLite).
    pub fn coordination(&self) -> Arc<dyn confab_store::Coordination> {
        self.inner.persistence.leases.coordination()
    }

    /// The accounts other processes sharing the store changed, from now on.
    pub fn accounts_changed_elsewhere(&self) -> tokio::sync::broadcast::Receiver<confab_core::UserId> {
        self.inner.persistence.accounts_changed.subscribe()
    }

    /// Cancelled when the server begins to shut down.
    pub fn closing(&self) -> CancellationToken {
        self.inner.persistence.closing.clone()
    }

    pub fn settings(&self) -> &ChatSettings {
        &self.inner.settings
    }
}
