//! The service's life: recovering work a previous process left unfinished and hearing other
//! processes at start, dropping idle contexts from memory, and shutting down without losing
//! a reply.

use std::sync::Arc;
use std::time::Duration;

use confab_core::Event;
use tracing::{debug, warn};

use super::registry::Locked;
use super::{coordination, now, ChatError, ChatService};

impl ChatService {
    /// What runs beside requests: recovers work a previous process left mid-way (so nothing
    /// stays stuck in `processing`, `streaming` or `executing_tools`), unloads contexts idle
    /// for `idle` (checked every `unload_every`), and, on a store other processes share,
    /// listens for their changes. Returns how many contexts were recovered.
    pub async fn start(&self, unload_every: Duration, idle: Duration) -> Result<usize, ChatError> {
        self.spawn_unloader(unload_every, idle);
        let recovered = self.inner.persistence.recover().await?;
        coordination::spawn(&self.inner.persistence, self.inner.settings.lease_ttl / 2);
        Ok(recovered)
    }

    /// Stops every generation and saves it as interrupted (keeping its partial text), ends
    /// live streams, and waits for running tasks, at most `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        let persistence = &self.inner.persistence;
        persistence.closing.cancel();
        for slot in persistence.registry.slots() {
            let mut locked = Locked::new(slot).await;
            if locked.run().is_none() {
                continue;
            }
            locked.stop_run();
            let Ok(mut guard) = locked.into_guard() else { continue };
            if guard.context().status().is_busy() {
                let _ = guard.ctx().apply(Event::Interrupted, now());
                if let Err(error) = persistence.commit(&mut guard, true).await {
                    warn!(context = %guard.slot().id, %error, "could not save an interrupted reply at shutdown");
                }
            }
        }
        persistence.tasks.close();
        if tokio::time::timeout(grace, persistence.tasks.wait()).await.is_err() {
            warn!("some tasks were still running when shutdown's grace period ended");
        }
    }

    /// Drops from memory every context nobody has used for `idle`: no request, task or
    /// stream holds it and nothing runs. It loads again from the store on its next use, so
    /// memory follows the conversations in use, not every one ever opened. Returns how
    /// many were dropped.
    pub fn unload_idle(&self, idle: Duration) -> usize {
        self.inner.persistence.registry.unload_idle(idle)
    }

    /// How many contexts are in memory now.
    pub fn loaded(&self) -> usize {
        self.inner.persistence.registry.len()
    }

    /// Unloads idle contexts every `every`, until the server shuts down.
    fn spawn_unloader(&self, every: Duration, idle: Duration) {
        // A weak handle: the unloader must not keep a dropped service alive.
        let weak = Arc::downgrade(&self.inner.persistence);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(persistence) = weak.upgrade() else { return };
                if persistence.closing.is_cancelled() {
                    return;
                }
                let unloaded = persistence.registry.unload_idle(idle);
                if unloaded > 0 {
                    debug!(unloaded, "unloaded idle contexts");
                }
            }
        });
    }
}
