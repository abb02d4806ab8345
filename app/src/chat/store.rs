//! The reactive handle on one conversation that every component of the chat view shares.
// The server build renders these views but never runs the browser side of them.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use leptos::prelude::*;
use uuid::Uuid;

use super::model::ChatModel;
use crate::wire::ActionResponse;

/// How this tab hears about changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    /// Server-sent events.
    Live,
    /// The fallback: `GET /state` with ETags.
    Polling,
    /// The server cannot be reached; actions wait in the outbox.
    Offline,
}

impl Connection {
    pub fn label(self) -> &'static str {
        match self {
            Connection::Connecting => "connecting",
            Connection::Live => "live",
            Connection::Polling => "polling",
            Connection::Offline => "offline",
        }
    }
}

#[derive(Clone, Copy)]
pub struct ChatStore {
    pub id: Uuid,
    pub model: RwSignal<ChatModel>,
    pub connection: RwSignal<Connection>,
    /// Bumped to make the sync engine fetch the state now (after an action, on a gap).
    pub refresh: RwSignal<u64>,
    /// True while the outbox is sending.
    pub flushing: RwSignal<bool>,
    /// A message the keyboard asked to edit (Up in an empty composer); its view takes it.
    pub edit_request: RwSignal<Option<Uuid>>,
}

impl ChatStore {
    pub fn new(initial: ActionResponse) -> Self {
        ChatStore {
            id: initial.context.id,
            model: RwSignal::new(ChatModel::new(initial)),
            connection: RwSignal::new(Connection::Connecting),
            refresh: RwSignal::new(0),
            flushing: RwSignal::new(false),
            edit_request: RwSignal::new(None),
        }
    }

    /// False once the view that owned this store is gone: loops stop then.
    pub fn alive(&self) -> bool {
        self.model.try_with_untracked(|_| ()).is_some()
    }

    pub fn apply(&self, response: ActionResponse) {
        self.model.try_update(|model| model.apply_state(response));
    }

    pub fn request_refresh(&self) {
        self.refresh.try_update(|n| *n += 1);
    }
}
