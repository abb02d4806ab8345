//! Several server processes on one database (PostgreSQL): what they tell each other, and
//! the leases that let only one of them run work on a context at a time.
//!
//! A process that saves a context announces its id and new version; one that streams a reply
//! announces each piece of text. The others re-read what changed from the database, so a
//! notice never carries state. A store only one process uses (SQLite, memory) has no one to
//! tell and no one to share work with: its coordination is [`Solo`], which grants every
//! lease, announces nothing and hears nothing.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use confab_core::{ContextId, MessageId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::StoreError;

/// How the processes sharing a store keep out of each other's way and hear of each other's
/// changes. A store hands out its own with [`Coordinated::coordination`](crate::Coordinated).
#[async_trait]
pub trait Coordination: Send + Sync + 'static {
    /// Claims, or renews, the right to run work on a context for `ttl`: one holder at a
    /// time. Returns whether `holder` has it now.
    async fn acquire_lease(&self, id: ContextId, holder: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Gives a lease back, if `holder` has it.
    async fn release_lease(&self, id: ContextId, holder: &str) -> Result<(), StoreError>;

    /// Whether someone other than `holder` has a live lease on the context.
    async fn leased_elsewhere(&self, id: ContextId, holder: &str) -> Result<bool, StoreError>;

    /// Tells the other processes sharing the store, if there are any. Never waits: a notice
    /// that cannot be sent is dropped (its receivers notice the gap and re-read).
    fn announce(&self, notice: Notice);

    /// What the other processes sharing the store save and announce, from the first call
    /// on; `None` when no other process can share the store (there is nothing to hear, and
    /// no one else's work to recover while running).
    fn notices(&self) -> Option<mpsc::Receiver<Notice>>;
}

/// The coordination of a store no other process shares: every lease is granted at once and
/// none is ever held elsewhere (the only process is this one, so whoever held a lease before
/// it started is gone), nothing is announced and nothing is heard. It writes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Solo;

impl Solo {
    /// One shared handle, so asking a store for its coordination allocates nothing.
    pub fn handle() -> Arc<dyn Coordination> {
        static SOLO: OnceLock<Arc<dyn Coordination>> = OnceLock::new();
        SOLO.get_or_init(|| Arc::new(Solo)).clone()
    }
}

#[async_trait]
impl Coordination for Solo {
    async fn acquire_lease(&self, _id: ContextId, _holder: &str, _ttl: Duration) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn release_lease(&self, _id: ContextId, _holder: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn leased_elsewhere(&self, _id: ContextId, _holder: &str) -> Result<bool, StoreError> {
        Ok(false)
    }

    fn announce(&self, _notice: Notice) {}

    fn notices(&self) -> Option<mpsc::Receiver<Notice>> {
        None
    }
}

/// The name of the PostgreSQL notification channel.
pub const CHANNEL: &str = "confab_changes";

/// PostgreSQL refuses notification payloads of 8000 bytes or more.
pub const MAX_PAYLOAD_BYTES: usize = 7_900;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A context was saved at `version`.
    Saved { context: ContextId, version: u64 },
    /// A context was deleted.
    Deleted { context: ContextId },
    /// A piece of a reply streamed (not saved yet: saves come every few hundred ms).
    Delta { context: ContextId, message: MessageId, seq: u64, text: String },
    /// A piece of a reply's reasoning streamed (numbered on its own).
    Reasoning { context: ContextId, message: MessageId, seq: u64, text: String },
    /// An account's sessions, tokens or standing changed (signed out, disabled, deleted):
    /// whatever a process remembers of its credentials must be asked again.
    AccountChanged { user: confab_core::UserId },
    /// Notices may have been missed (the connection that listens for them was lost and is
    /// back): whatever a process holds in memory must be checked against the database.
    Resync,
}

/// A notice as it travels, with the process it came from, so that nobody reacts to their own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Envelope {
    pub origin: String,
    #[serde(flatten)]
    pub notice: Notice,
}

impl Envelope {
    /// The payload, unless it is too large to send.
    pub fn payload(origin: &str, notice: &Notice) -> Option<String> {
        let json = serde_json::to_string(&Envelope { origin: origin.to_string(), notice: notice.clone() })
            .expect("notices always serialize");
        (json.len() <= MAX_PAYLOAD_BYTES).then_some(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_and_oversized_ones_are_not_sent() {
        let notice = Notice::Saved { context: uuid::Uuid::new_v4(), version: 7 };
        let payload = Envelope::payload("p1", &notice).unwrap();
        let back: Envelope = serde_json::from_str(&payload).unwrap();
        assert_eq!((back.origin.as_str(), back.notice), ("p1", notice));
        let huge = Notice::Delta {
            context: uuid::Uuid::new_v4(),
            message: uuid::Uuid::new_v4(),
            seq: 1,
            text: "x".repeat(MAX_PAYLOAD_BYTES),
        };
        assert!(Envelope::payload("p1", &huge).is_none());
    }
}
