//! Several `confab` processes on one database (PostgreSQL). Each keeps the contexts it
//! serves in memory; what the others save reaches it as notices, and it reloads what changed
//! and tells its own subscribers. Work on a context runs in one process at a time (see
//! [`super::leases`]); when a process dies, its leases expire and another one recovers the
//! work, as after a restart.
//!
//! With SQLite none of the notices come (nobody else writes).

use app::wire::DeltaDTO;
use std::collections::HashMap;

use confab_core::{ChatContext, ContextId, Message, MessageId, Status};
use confab_store::Notice;
use tracing::{debug, info, warn};

use std::sync::Arc;
use std::time::Duration;

use super::events::EventKind;
use super::persist::Persistence;
use super::registry::Locked;
use super::{publish, ChatError};

/// Starts hearing what other processes sharing the store do, and recovering the work of
/// those that died (every `recover_every`). Does nothing for a store no other process uses.
pub(super) fn spawn(persistence: &Arc<Persistence>, recover_every: Duration) {
    let Some(mut notices) = persistence.leases.notices() else { return };
    let coordinator = Coordinator(persistence.clone());
    persistence.tasks.spawn(async move {
        loop {
            let notice = tokio::select! {
                _ = coordinator.0.closing.cancelled() => return,
                notice = notices.recv() => notice,
            };
            match notice {
                Some(notice) => coordinator.on_notice(notice).await,
                None => return,
            }
        }
    });
    let recovering = persistence.clone();
    persistence.tasks.spawn(async move {
        loop {
            tokio::select! {
                _ = recovering.closing.cancelled() => return,
                _ = tokio::time::sleep(recover_every) => {}
            }
            if let Err(error) = recovering.recover().await {
                warn!(%error, "could not look for work left by other processes");
            }
        }
    });
    info!("sharing the database with other processes: listening for their changes");
}

/// Applies what other processes did to this process's loaded contexts.
struct Coordinator(Arc<Persistence>);

impl Coordinator {
    async fn on_notice(&self, notice: Notice) {
        match notice {
            Notice::Saved { context, version } => self.catch_up(context, Some(version)).await,
            Notice::Deleted { context } => self.deleted_elsewhere(context).await,
            Notice::Delta { context, message, seq, text } => {
                self.relay(context, DeltaDTO { message_id: message, seq, text }, EventKind::Delta).await
            }
            Notice::Reasoning { context, message, seq, text } => {
                self.relay(context, DeltaDTO { message_id: message, seq, text }, EventKind::Reasoning).await
            }
            Notice::AccountChanged { user } => {
                // Nobody listening is fine: then nothing of it is cached here.
                let _ = self.0.accounts_changed.send(user);
            }
            Notice::Resync => {
                let loaded = self.0.registry.ids();
                debug!(contexts = loaded.len(), "notices may have been missed; checking every loaded context");
                for id in loaded {
                    self.catch_up(id, None).await;
                }
            }
        }
    }

    /// Reloads a context another process saved (at `version`, or at whatever the store holds
    /// when that is unknown) and tells this process's subscribers. A context this process
    /// runs work on is left alone: the run's next save finds the change and stops.
    async fn catch_up(&self, id: ContextId, version: Option<u64>) {
        let Some(slot) = self.0.registry.loaded_slot(id) else { return };
        let mut locked = Locked::new(slot).await;
        if locked.run().is_some() {
            return;
        }
        let stored = match version {
            Some(version) => Some(version),
            None => match self.0.store.version_of(id).await {
                Ok(stored) => stored,
                Err(error) => {
                    warn!(context = %id, %error, "cannot check a context against the store");
                    return;
                }
            },
        };
        let Some(stored) = stored else {
            drop(locked);
            return self.deleted_elsewhere(id).await;
        };
        if locked.loaded_version().is_some_and(|cached| cached >= stored) {
            return;
        }
        // Older than the store: load what the other process saved, and note which messages
        // it wrote, so that this process's clients get a patch rather than everything.
        let before = locked.take_context();
        match self.0.load(locked).await {
            Ok(guard) => {
                let (slot, ctx) = guard.parts();
                let Some(before) = before else { return publish::state(slot, ctx) };
                let written = written(&before, ctx);
                let checkpoint = is_checkpoint(&before, ctx, &written);
                slot.changes.lock().expect("change log lock").reloaded(before.version(), written);
                if checkpoint {
                    // Subscribers here have that text from the relayed deltas already.
                    publish::refresh(slot, ctx, None);
                } else {
                    publish::state(slot, ctx);
                }
            }
            Err(ChatError::NotFound) => {}
            Err(error) => warn!(context = %id, %error, "cannot reload a context another process changed"),
        }
    }

    async fn deleted_elsewhere(&self, id: ContextId) {
        let Some(slot) = self.0.registry.loaded_slot(id) else { return };
        let mut locked = Locked::new(slot).await;
        locked.stop_run();
        locked.unload();
        publish::closed(&locked.slot);
        self.0.registry.forget(id);
    }

    /// Passes a piece of another process's streaming reply (its text or its reasoning, as
    /// `kind` says) on to this process's subscribers.
    async fn relay(&self, id: ContextId, piece: DeltaDTO, kind: fn(Arc<str>) -> EventKind) {
        let Some(slot) = self.0.registry.loaded_slot(id) else { return };
        if slot.events.subscribers() == 0 {
            return;
        }
        // Under the lock, so the piece keeps its place among this context's events.
        let _locked = Locked::new(slot.clone()).await;
        let json = serde_json::to_string(&piece).expect("wire types serialize");
        slot.events.publish(kind(json.into()));
    }
}

/// The messages of `after` that `before` did not have, or had otherwise.
fn written(before: &ChatContext, after: &ChatContext) -> Vec<MessageId> {
    let old: HashMap<MessageId, &Message> = before.messages().iter().map(|m| (m.id, m)).collect();
    after.messages().iter().filter(|m| old.get(&m.id).is_none_or(|was| *was != *m)).map(|m| m.id).collect()
}

/// Whether a save another process made only kept its streaming reply safe (it saves one
/// now and then): the reply still streams and nothing else changed. That process tells its
/// own subscribers nothing then, and neither does this one.
fn is_checkpoint(before: &ChatContext, after: &ChatContext, written: &[MessageId]) -> bool {
    let streaming = |ctx: &ChatContext| ctx.status() == Status::Streaming;
    let still_streaming =
        |id: &MessageId| before.messages().get(*id).is_some() && after.messages().get(*id).is_some_and(|m| !m.complete);
    streaming(before) && streaming(after) && written.iter().all(still_streaming)
}
