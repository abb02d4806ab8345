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
/// How many recent events a context keeps for `Last-Event-ID` resumes.
const HISTORY: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A full `ActionResponse`, as JSON.
    State(Arc<str>),
    /// A `DeltaDTO`, as JSON.
    Delta(Arc<str>),
    /// The context is gone; streams end.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEvent {
    pub id: u64,
    pub kind: EventKind,
}

pub struct EventChannel {
    sender: broadcast::Sender<Arc<ContextEvent>>,
    history: Mutex<VecDeque<Arc<ContextEvent>>>,
    last_id: AtomicU64,
}

impl Default for EventChannel {
    fn default() -> Self {
        EventChannel {
            sender: broadcast::channel(SUBSCRIBER_BUFFER).0,
            history: Mutex::new(VecDeque::with_capacity(16)),
            last_id: AtomicU64::new(0),
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
        if history.len() == HISTORY {
            history.pop_front();
        }
        history.push_back(event.clone());
        // No subscribers is fine: the event is in the history.
        let _ = self.sender.send(event);
        id
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ContextEvent>> {
        self.sender.subscribe()
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
        let oldest = history.front()?.id;
        if oldest > id + 1 {
            return None;
        }
        Some(history.iter().filter(|e| e.id > id).cloned().collect())
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
    fn a_slow_subscriber_is_told_it_lagged_instead_of_blocking_the_publisher() {
        let channel = EventChannel::default();
        let mut slow = channel.subscribe();
        for n in 0..(SUBSCRIBER_BUFFER as u64 + 5) {
            channel.publish(delta(n));
        }
        assert!(matches!(slow.try_recv(), Err(broadcast::error::TryRecvError::Lagged(5))));
    }
}
