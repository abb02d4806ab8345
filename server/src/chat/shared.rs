//! Several `confab` processes on one database (PostgreSQL). Each keeps the contexts it
//! serves in memory; what the others save reaches it as notices, and it reloads what changed
//! and tells its own subscribers. Work on a context (a generation, a tool run) runs in one
//! process at a time, the one holding the context's lease; when a process dies, its leases
//! expire and another one recovers the work, as after a restart.
//!
//! With SQLite none of the notices come (nobody else writes) and no leases are taken: the
//! store's coordination is then `Solo`, which grants every lease without writing anything.

use std::sync::Arc;
use std::time::Duration;

use app::wire::DeltaDTO;
use confab_core::{ContextId, MessageId};
use confab_store::Notice;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::events::EventKind;
use super::slot::{Published, Slot};
use super::{context_of, ChatError, ChatService};

/// How often a waiting run asks again for a lease another process holds.
const CLAIM_RETRY: Duration = Duration::from_millis(250);

impl ChatService {
    /// Starts hearing what other processes sharing the store do, and recovering the work of
    /// those that died. Does nothing for a store no other process uses.
    pub fn spawn_coordination(&self) {
        let Some(mut notices) = self.inner.store.coordination().notices() else { return };
        let service = self.clone();
        self.inner.tasks.spawn(async move {
            loop {
                let notice = tokio::select! {
                    _ = service.inner.closing.cancelled() => return,
                    notice = notices.recv() => notice,
                };
                match notice {
                    Some(notice) => service.on_notice(notice).await,
                    None => return,
                }
            }
        });
        let service = self.clone();
        let every = self.inner.settings.lease_ttl / 2;
        self.inner.tasks.spawn(async move {
            loop {
                tokio::select! {
                    _ = service.inner.closing.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
                if let Err(error) = service.recover().await {
                    warn!(%error, "could not look for work left by other processes");
                }
            }
        });
        info!("sharing the database with other processes: listening for their changes");
    }

    async fn on_notice(&self, notice: Notice) {
        match notice {
            Notice::Saved { context, version } => self.catch_up(context, Some(version)).await,
            Notice::Deleted { context } => self.deleted_elsewhere(context).await,
            Notice::Delta { context, message, seq, text } => self.relay_delta(context, message, seq, text).await,
            Notice::Resync => {
                let loaded: Vec<ContextId> = self.inner.slots.lock().expect("slots lock").keys().copied().collect();
                debug!(contexts = loaded.len(), "notices may have been missed; checking every loaded context");
                for id in loaded {
                    self.catch_up(id, None).await;
                }
            }
        }
    }

    /// The slot of a context this process has in memory, without loading it.
    fn loaded_slot(&self, id: ContextId) -> Option<Arc<Slot>> {
        self.inner.slots.lock().expect("slots lock").get(&id).cloned()
    }

    /// Reloads a context another process saved (at `version`, or at whatever the store holds
    /// when that is unknown) and tells this process's subscribers. A context this process
    /// runs work on is left alone: the run's next save finds the change and stops.
    async fn catch_up(&self, id: ContextId, version: Option<u64>) {
        let Some(slot) = self.loaded_slot(id) else { return };
        let mut state = slot.state.lock().await;
        if state.run.is_some() {
            return;
        }
        let cached = state.context.as_ref().map(|ctx| ctx.version());
        let stored = match version {
            Some(version) => Some(version),
            None => match self.inner.store.version_of(id).await {
                Ok(stored) => stored,
                Err(error) => {
                    warn!(context = %id, %error, "cannot check a context against the store");
                    return;
                }
            },
        };
        match (cached, stored) {
            (Some(cached), Some(stored)) if cached >= stored => return,
            (_, None) => {
                drop(state);
                return self.deleted_elsewhere(id).await;
            }
            _ => {}
        }
        state.context = None;
        match self.open_any(&slot, &mut state).await {
            Ok(()) => self.publish_state(&slot, context_of(&mut state)),
            Err(ChatError::NotFound) => {}
            Err(error) => warn!(context = %id, %error, "cannot reload a context another process changed"),
        }
    }

    async fn deleted_elsewhere(&self, id: ContextId) {
        let Some(slot) = self.loaded_slot(id) else { return };
        let mut state = slot.state.lock().await;
        state.stop_run();
        state.context = None;
        slot.set_published(Published::default());
        slot.events.publish(EventKind::Closed);
        self.forget(id);
    }

    /// Passes a piece of another process's streaming reply on to this process's subscribers.
    async fn relay_delta(&self, id: ContextId, message_id: MessageId, seq: u64, text: String) {
        let Some(slot) = self.loaded_slot(id) else { return };
        if slot.events.subscribers() == 0 {
            return;
        }
        // Under the lock, so the delta keeps its place among this context's events.
        let _state = slot.state.lock().await;
        let json = serde_json::to_string(&DeltaDTO { message_id, seq, text }).expect("wire types serialize");
        slot.events.publish(EventKind::Delta(json.into()));
    }

    // --- leases for runs ------------------------------------------------------------------

    // Leases keep processes that share a database from running one context twice. A store
    // nobody else uses has `Solo` coordination, which grants them without writing anything.

    /// Takes the context's lease for work about to start, without waiting for it.
    pub(super) async fn take_lease(&self, id: ContextId) -> Result<bool, ChatError> {
        let (holder, ttl) = (&self.inner.holder, self.inner.settings.lease_ttl);
        Ok(self.inner.store.coordination().acquire_lease(id, holder, ttl).await?)
    }

    /// Claims the context's lease for a run, waiting while another process holds it (at most
    /// until an abandoned lease would have expired). False when the run must not go ahead.
    pub(super) async fn claim(&self, id: ContextId, token: &CancellationToken) -> bool {
        let coordination = self.inner.store.coordination();
        let ttl = self.inner.settings.lease_ttl;
        let deadline = tokio::time::Instant::now() + ttl + CLAIM_RETRY * 4;
        loop {
            match coordination.acquire_lease(id, &self.inner.holder, ttl).await {
                Ok(true) => return true,
                Ok(false) => debug!(context = %id, "another process holds the lease; waiting"),
                Err(error) => warn!(context = %id, %error, "cannot claim the lease"),
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::select! {
                _ = token.cancelled() => return false,
                _ = tokio::time::sleep(CLAIM_RETRY) => {}
            }
        }
    }

    /// Renews the lease while the run goes on; a lease lost to another process stops it.
    pub(super) fn keep_claim(&self, id: ContextId, token: CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
        let (coordination, holder) = (self.inner.store.coordination(), self.inner.holder.clone());
        let ttl = self.inner.settings.lease_ttl;
        Some(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(ttl / 3) => {}
                }
                match coordination.acquire_lease(id, &holder, ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        warn!(context = %id, "lost the lease to another process; stopping this run");
                        token.cancel();
                        return;
                    }
                    Err(error) => warn!(context = %id, %error, "cannot renew the lease"),
                }
            }
        }))
    }

    /// Whether another live process holds the context's lease (so its work is not orphaned).
    pub(super) async fn leased_elsewhere(&self, id: ContextId) -> Result<bool, ChatError> {
        Ok(self.inner.store.coordination().leased_elsewhere(id, &self.inner.holder).await?)
    }

    pub(super) async fn release(&self, id: ContextId) {
        if let Err(error) = self.inner.store.coordination().release_lease(id, &self.inner.holder).await {
            debug!(context = %id, %error, "could not release the lease; it will expire");
        }
    }
}
