//! The per-context event channel behind SSE: every persisted transition (`state`) and every
//! streamed piece of text (`delta`), numbered, fanned out to subscribers, with a short
//! history so a reconnecting client can get exactly what it missed.
//!
//! Publishing happens under the context's lock, so event ids follow the order of changes
//! and a snapshot taken under the same lock is exactly "everything up to id N".

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

/// How many events a subscriber may fall behind before it gets a fresh snapshot instead.
const SUBSCRIBER_BUFFER: usize = 256;
/// How many recent events a context keeps for `Last-Event-ID` resumes...
const HISTORY: usize = 512;
/// ...and how many bytes of them at most: `state` events carry the whole conversation, so a
/// long one must not make its history huge. An older id gets a fresh snapshot instead.
const HISTORY_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A full `ActionResponse`, as JSON.
    State(Arc<str>),
    /// A `DeltaDTO`, as JSON.
    Delta(Arc<str>),
    /// A `DeltaDTO` of reasoning, as JSON: its own event, so a client that knows only
    /// `delta` never mixes reasoning into the answer.
    Reasoning(Arc<str>),
    /// The context is gone; streams end.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEvent {
    pub id: u64,
    pub kind: EventKind,
}

impl ContextEvent {
    fn size(&self) -> usize {
        match &self.kind {
            EventKind::State(json) | EventKind::Delta(json) | EventKind::Reasoning(json) => json.len(),
            EventKind::Closed => 0,
        }
    }
}

/// The SSE id of event `n` of the channel with this epoch.
pub fn event_id(epoch: &str, n: u64) -> String {
    format!("{epoch}-{n}")
}

pub struct EventChannel {
    sender: broadcast::Sender<Arc<ContextEvent>>,
    history: Mutex<History>,
    last_id: AtomicU64,
    /// Tells this channel's event ids apart from those of an earlier channel of the same
    /// context (before a restart, or before the context was last unloaded from memory).
    epoch: Arc<str>,
}

#[derive(Default)]
struct History {
    events: VecDeque<Arc<ContextEvent>>,
    bytes: usize,
}

impl Default for EventChannel {
    fn default() -> Self {
        EventChannel {
            sender: broadcast::channel(SUBSCRIBER_BUFFER).0,
            history: Mutex::new(History::default()),
            last_id: AtomicU64::new(0),
            epoch: format!("{:08x}", uuid::Uuid::new_v4().as_u128() as u32).into(),
        }
    }
}

impl EventChannel {
    /// Numbers the event, remembers it and sends it to every subscriber. Never waits: a
    /// subscriber that is behind loses its oldest events and is told so.
    pub fn publish(&self, kind: EventKind) -> u64 {
        let mut history = self.history.lock().expect("event history lock");
        let id = self.last_id.load(Ordering::Relaxed) + 1;
        self.last_id.store(id, Ordering::Relaxed);
        let event = Arc::new(ContextEvent { id, kind });
        history.bytes += event.size();
        history.events.push_back(event.clone());
        while history.events.len() > HISTORY || (history.bytes > HISTORY_BYTES && history.events.len() > 1) {
            if let Some(old) = history.events.pop_front() {
                history.bytes -= old.size();
            }
        }
        // No subscribers is fine: the event is in the history.
        let _ = self.sender.send(event);
        id
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ContextEvent>> {
        self.sender.subscribe()
    }

    pub fn epoch(&self) -> Arc<str> {
        self.epoch.clone()
    }

    /// The event number in an SSE id of this channel; `None` for anyone else's.
    pub fn parse_event_id(&self, raw: &str) -> Option<u64> {
        let (epoch, n) = raw.trim().rsplit_once('-')?;
        (epoch == &*self.epoch).then(|| n.parse().ok()).flatten()
    }

    /// How many streams are subscribed now.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// The id of the newest event (0 before the first).
    pub fn last_id(&self) -> u64 {
        self.last_id.load(Ordering::Relaxed)
    }

    /// Every event after `id`, or `None` when some of them are no longer kept.
    pub fn since(&self, id: u64) -> Option<Vec<Arc<ContextEvent>>> {
        let history = self.history.lock().expect("event history lock");
        let last = self.last_id.load(Ordering::Relaxed);
        if id > last {
            return None;
        }
        if id == last {
            return Some(Vec::new());
        }
        let oldest = history.events.front()?.id;
        if oldest > id + 1 {
            return None;
        }
        Some(history.events.iter().filter(|e| e.id > id).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(n: u64) -> EventKind {
        EventKind::Delta(format!("{n}").into())
    }

    #[test]
    fn ids_count_up_and_history_answers_what_was_missed() {
        let channel = EventChannel::default();
        for n in 1..=5 {
            assert_eq!(channel.publish(delta(n)), n);
        }
        let missed: Vec<_> = channel.since(2).unwrap().iter().map(|e| e.id).collect();
        assert_eq!(missed, vec![3, 4, 5]);
        assert_eq!(channel.since(5).unwrap(), vec![]);
        assert!(channel.since(9).is_none(), "an id from the future (another boot) is unknown");
    }

    #[test]
    fn history_is_bounded_and_old_ids_ask_for_a_snapshot() {
        let channel = EventChannel::default();
        for n in 0..(HISTORY as u64 + 10) {
            channel.publish(delta(n));
        }
        assert!(channel.since(1).is_none());
        assert_eq!(channel.since(20).unwrap().len(), HISTORY - 10);
    }

    #[test]
    fn history_keeps_a_bounded_number_of_bytes() {
        let channel = EventChannel::default();
        let big: Arc<str> = "x".repeat(HISTORY_BYTES / 4).into();
        for _ in 0..10 {
            channel.publish(EventKind::State(big.clone()));
        }
        let kept = channel.since(9).unwrap().len() + 1;
        assert!(channel.since(5).is_none(), "old big states were let go");
        assert!(kept <= 4, "kept {kept}");
        assert!(channel.history.lock().unwrap().bytes <= HISTORY_BYTES);
    }

    #[test]
    fn ids_name_their_channel() {
        let (one, two) = (EventChannel::default(), EventChannel::default());
        one.publish(delta(1));
        assert_eq!(one.parse_event_id(&event_id(&one.epoch, 1)), Some(1));
        assert_eq!(two.parse_event_id(&event_id(&one.epoch, 1)), None, "another channel's id is not ours");
        assert_eq!(one.parse_event_id("garbage"), None);
    }

    #[test]
    fn a_slow_subscriber_is_told_it_lagged_instead_of_blocking_the_publisher() {
        let channel = EventChannel::default();
        let mut slow = channel.subscribe();
        for n in 0..(SUBSCRIBER_BUFFER as u64 + 5) {
            channel.publish(delta(n));
        }
        assert!(matches!(slow.try_recv(), Err(broadcast::error::TryRecvError::Lagged(5))));
    }
}
