//! One context's place in memory: the lock that makes its writer unique, the loaded context,
//! the task working on it, its event channel, and the last rendered state for fast polling.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use tokio::time::Instant;

use confab_core::{ChatContext, ContextId, UserId};
use tokio_util::sync::CancellationToken;

use super::changes::ChangeLog;
use super::events::EventChannel;
use super::users::UserHub;

/// A running generation or tool task.
pub(crate) struct Run {
    pub id: u64,
    pub token: CancellationToken,
}

#[derive(Default)]
pub(crate) struct SlotState {
    /// `None` until loaded, and again after a failed save (the store is the truth then).
    /// While a [`super::registry::Guard`] holds the lock, the context is in the guard.
    pub context: Option<ChatContext>,
    pub run: Option<Run>,
}

impl SlotState {
    pub fn stop_run(&mut self) {
        if let Some(run) = self.run.take() {
            run.token.cancel();
        }
    }
}

/// What `GET /state` answers without taking the context lock.
#[derive(Default, Clone)]
pub(crate) struct Published {
    pub owner: Option<UserId>,
    pub etag: Option<String>,
    /// The JSON of the state at `etag`, once someone asked for it.
    pub body: Option<Arc<str>>,
}

pub(crate) struct Slot {
    pub id: ContextId,
    /// Held for every change: one writer per context, never interleaved. A tokio mutex
    /// because a change includes the (async) save; in an `Arc` so a guard can own it.
    pub state: Arc<tokio::sync::Mutex<SlotState>>,
    pub events: EventChannel,
    /// A std mutex: held only to copy a few fields, never across an await.
    published: StdMutex<Published>,
    /// When a request or task last looked this context up.
    last_used: StdMutex<Instant>,
    /// True while a task waits for storage to come back to reload this context.
    pub resyncing: AtomicBool,
    /// What recent saves changed, for patches.
    pub changes: StdMutex<ChangeLog>,
    /// Where its owner's list hears of it.
    pub users: Arc<UserHub>,
}

impl Slot {
    pub fn new(id: ContextId, users: Arc<UserHub>) -> Self {
        Slot {
            id,
            state: Arc::new(tokio::sync::Mutex::new(SlotState::default())),
            events: EventChannel::default(),
            published: StdMutex::new(Published::default()),
            last_used: StdMutex::new(Instant::now()),
            resyncing: AtomicBool::new(false),
            changes: StdMutex::new(ChangeLog::default()),
            users,
        }
    }

    pub fn touch(&self) {
        *self.last_used.lock().expect("last-used lock") = Instant::now();
    }

    /// Whether this slot may be dropped from memory: nothing refers to it but the table
    /// (`holders` is its reference count), no stream listens, nothing runs or waits to be
    /// saved, and it has not been used for `idle`.
    pub fn is_unused(&self, holders: usize, idle: Duration) -> bool {
        let quiet = self.last_used.lock().expect("last-used lock").elapsed() >= idle;
        let settled = self
            .state
            .try_lock()
            .is_ok_and(|state| state.run.is_none() && state.context.as_ref().is_none_or(|c| !c.is_dirty()));
        holders == 1 && self.events.subscribers() == 0 && quiet && settled
    }

    pub fn published(&self) -> Published {
        self.published.lock().expect("published lock").clone()
    }

    pub fn set_published(&self, published: Published) {
        *self.published.lock().expect("published lock") = published;
    }
}
