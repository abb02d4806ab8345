//! Actions on their way to the server. Each gets a `client_action_id` when the person acts,
//! is shown at once (a message as pending), and is kept in localStorage until the server
//! confirms it, so neither a reload nor an outage loses it. They are sent in order; while the
//! server cannot be reached they wait, and a double send is harmless (the server dedupes by
//! id).

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::model::{PatchOutcome, PendingAction};
use super::saved;
use super::store::{ChatStore, Connection};
use crate::api;
use crate::browser::{self, debug_log};
use crate::patch::WINDOW;
use crate::wire::{Action, ActionReply};

fn storage_key(store: &ChatStore) -> String {
    format!("confab.outbox.{}", store.id)
}

fn persist(store: &ChatStore) {
    let Some(pending) = store.model.try_with_untracked(|m| m.pending.clone()) else { return };
    if pending.is_empty() {
        browser::storage_remove(&storage_key(store));
    } else if let Ok(json) = serde_json::to_string(&pending) {
        browser::storage_set(&storage_key(store), &json);
    }
}

/// Puts back what an earlier page (of this version or an earlier one) left unsent, and
/// sends it.
pub fn restore(store: ChatStore) {
    let Some(json) = browser::storage_get(&storage_key(&store)) else { return };
    let unsent = saved::read(&json);
    debug_log!("actions", "restoring {} unsent action(s)", unsent.len());
    store.model.update(|model| {
        for action in unsent {
            model.push_pending(action);
        }
    });
    // Saved again as read: an entry this version could not read is gone.
    persist(&store);
    // A send the server already has is dropped by the first state it answers with.
    flush(store);
}

/// Records a person's action and sends it (now, or when the server is back).
pub fn dispatch(store: ChatStore, action: Action, label: String) {
    let id = browser::new_action_id();
    debug_log!("actions", "{} {id}", action.name());
    store.model.update(|model| model.push_pending(PendingAction::new(store.id, action, id, label)));
    persist(&store);
    flush(store);
}

/// Sends a failed action again, with its original id.
pub fn retry(store: ChatStore, client_action_id: &str) {
    store.model.update(|m| m.set_queued(client_action_id, false));
    persist(&store);
    flush(store);
}

pub fn dismiss(store: ChatStore, client_action_id: &str) {
    store.model.update(|m| m.dismiss(client_action_id));
    persist(&store);
}

/// Sends the outbox in order, unless a sender is already at it.
pub fn flush(store: ChatStore) {
    if store.flushing.get_untracked() {
        return;
    }
    store.flushing.set(true);
    spawn_local(async move {
        send_all(store).await;
        store.flushing.try_set(false);
    });
}

async fn send_all(store: ChatStore) {
    let mut backoff_ms = 1_000;
    while store.alive() {
        let Some(action) = store.model.with_untracked(|m| m.outbox().into_iter().next()) else { return };
        // A message waits while the conversation is busy; it goes once it is idle again.
        if action.is_message() && !store.model.with_untracked(|m| m.accepts_messages()) {
            store.model.update(|m| m.set_queued(&action.client_action_id, true));
            return;
        }
        let path = action.action.path(action.context_id);
        // Answered with the change from the version shown, not the whole conversation.
        let sent = match store.model.with_untracked(|m| m.version()) {
            Some(version) => action.action.clone().with_base_version(version, WINDOW),
            None => action.action.clone(),
        };
        match api::post::<_, ActionReply>(&path, &sent.body()).await {
            Ok(answer) => {
                debug_log!("actions", "{} confirmed", action.client_action_id);
                let outcome = store.model.try_update(|m| m.confirm(&action.client_action_id, answer));
                let connection = store.connection.get_untracked();
                if connection == Connection::Offline {
                    store.connection.try_set(Connection::Connecting);
                }
                // The stream brings what follows; without it, or when the answer did not
                // follow what is shown, the state is fetched now.
                if outcome == Some(PatchOutcome::Resync) || connection != Connection::Live {
                    store.request_refresh();
                }
                backoff_ms = 1_000;
            }
            Err(failure) if failure.is_offline() || matches!(failure.status, 502..=504) => {
                debug_log!("actions", "{} waits: {}", action.client_action_id, failure.message);
                store.model.try_update(|m| m.set_queued(&action.client_action_id, true));
                store.connection.try_set(Connection::Offline);
                persist(&store);
                browser::sleep_ms(backoff_ms).await;
                backoff_ms = (backoff_ms * 2).min(10_000);
                continue;
            }
            Err(failure) if failure.status == 429 => {
                browser::sleep_ms(failure.retry_after.unwrap_or(2).max(1) * 1_000).await;
                continue;
            }
            Err(failure) if failure.status == 409 && action.is_message() => {
                store.model.try_update(|m| m.set_queued(&action.client_action_id, true));
                store.request_refresh();
                return;
            }
            Err(failure) => {
                debug_log!("actions", "{} refused: {}", action.client_action_id, failure.message);
                store.model.try_update(|m| m.fail(&action.client_action_id, failure.message));
            }
        }
        persist(&store);
    }
}
