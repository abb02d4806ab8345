//! Several server processes on one database (PostgreSQL): what they tell each other, and
//! the leases that let only one of them run work on a context at a time.
//!
//! A process that saves a context announces its id and new version; one that streams a reply
//! announces each piece of text. The others re-read what changed from the database, so a
//! notice never carries state. A store only one process uses (SQLite) has no one to tell.

use confab_core::{ContextId, MessageId};
use serde::{Deserialize, Serialize};

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
