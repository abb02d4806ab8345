//! Loading and saving: a context comes from the store when first used (work a dead process
//! left behind is marked interrupted then), and every change is saved before anyone hears
//! of it. A failed save drops the in-memory copy, since the store is the truth, and a task
//! loads the context again once storage is back.
//!
//! [`Persistence`] owns what the service's parts share: the store, the registry of loaded
//! contexts, the leases, and the tasks the service runs.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use confab_core::{ChatContext, ContextId, Event, Status, UserId};
use confab_store::{ContextStore, StoreError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use super::leases::Leases;
use super::registry::{Guard, Locked, Registry};
use super::slot::Slot;
use super::{now, publish, ChatError};

pub(crate) struct Persistence {
    pub store: Arc<dyn ContextStore>,
    pub registry: Registry,
    pub leases: Leases,
    /// Every task the service starts, so shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Cancelled when the server shuts down: live streams and background tasks end.
    pub closing: CancellationToken,
    /// The model and system prompt of a context that leaves them to the server.
    defaults: (String, String),
    /// Accounts another process says changed (see [`confab_store::Notice::AccountChanged`]).
    pub accounts_changed: tokio::sync::broadcast::Sender<UserId>,
}

impl Persistence {
    pub fn new(store: Arc<dyn ContextStore>, lease_ttl: Duration, defaults: (String, String)) -> Self {
        Persistence {
            defaults,
            leases: Leases::new(store.as_ref(), lease_ttl),
            store,
            registry: Registry::default(),
            tasks: TaskTracker::new(),
            closing: CancellationToken::new(),
            accounts_changed: tokio::sync::broadcast::channel(256).0,
        }
    }

    /// The context's guard, loading the context if needed, when `owner` may see it.
    pub async fn open(self: &Arc<Self>, owner: UserId, id: ContextId) -> Result<Guard, ChatError> {
        let guard = self.open_any(id).await?;
        if guard.context().owner() != owner {
            return Err(ChatError::NotFound);
        }
        Ok(guard)
    }

    /// The context's guard, whoever owns it (for the server's own tasks).
    pub async fn open_any(self: &Arc<Self>, id: ContextId) -> Result<Guard, ChatError> {
        let locked = self.registry.lock(id).await;
        self.load(locked).await
    }

    /// The guard over a locked context, loading it from the store if it is not in memory.
    pub async fn load(self: &Arc<Self>, locked: Locked) -> Result<Guard, ChatError> {
        let locked = match locked.into_guard() {
            Ok(guard) => return Ok(guard),
            Err(locked) => locked,
        };
        let id = locked.slot.id;
        let (mut ctx, orphaned) = self.load_settled(id, locked.run().is_some()).await?;
        ctx.fill_default_settings(&self.defaults.0, &self.defaults.1);
        let mut guard = locked.with_context(ctx);
        let (slot, ctx) = guard.parts();
        publish::refresh(slot, ctx, None);
        mark_loaded(slot, ctx);
        if orphaned {
            // Its task died with an earlier process, or stopped when a save failed; no live
            // process holds its lease.
            warn!(context = %id, status = %guard.context().status(), "marking orphaned work as interrupted");
            guard.ctx().apply(Event::Interrupted, now())?;
            self.commit(&mut guard, true).await?;
        }
        Ok(guard)
    }

    /// Loads a context from the store, and says whether it is orphaned: busy, with no run
    /// here and no live lease anywhere. The lease is asked after the load, so a process that
    /// finished its work in between (saved, then let its lease go) would look dead: the
    /// version is asked again, and a context that moved on is loaded again instead.
    async fn load_settled(&self, id: ContextId, running_here: bool) -> Result<(ChatContext, bool), ChatError> {
        const ATTEMPTS: usize = 4;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(ctx) = self.store.load(id).await? else {
                self.registry.forget(id);
                return Err(ChatError::NotFound);
            };
            if !ctx.status().is_busy() || running_here || self.leases.held_elsewhere(id).await? {
                return Ok((ctx, false));
            }
            match self.store.version_of(id).await? {
                Some(stored) if stored == ctx.version() => return Ok((ctx, true)),
                // Still changing after a few tries: someone is at work on it after all.
                _ if attempt == ATTEMPTS => return Ok((ctx, false)),
                _ => debug!(context = %id, "the context changed while it loaded; loading it again"),
            }
        }
    }

    /// Saves the context if it is dirty and, with `announce`, tells subscribers (without it
    /// only the published view follows: a streaming reply's periodic saves). A failed save
    /// drops the in-memory copy (the store stays the truth) and stops any task working on it.
    pub async fn commit(self: &Arc<Self>, guard: &mut Guard, announce: bool) -> Result<(), ChatError> {
        let (from, written) = (guard.context().version(), guard.context().dirty_message_ids());
        match self.autosave(guard.ctx()).await {
            Ok(false) => Ok(()),
            Ok(true) => {
                let (slot, ctx) = guard.parts();
                let head = (ctx.active_head(), ctx.active_branch().to_string());
                slot.changes.lock().expect("change log lock").record(from, ctx.version(), written, head);
                if announce {
                    publish::state(slot, ctx);
                } else {
                    publish::refresh(slot, ctx, None);
                }
                Ok(())
            }
            // What a model or tool produced cannot be stored: the run fails, naming why.
            Err(StoreError::Rejected(reason)) if guard.locked().run().is_some() => {
                self.fail_rejected_run(guard, &reason).await;
                Err(StoreError::Rejected(reason).into())
            }
            Err(error) => {
                warn!(context = %guard.slot().id, %error, "save failed; dropping the unsaved change");
                guard.locked().stop_run();
                guard.discard();
                guard.slot().set_published(Default::default());
                self.spawn_resync(guard.slot());
                Err(error.into())
            }
        }
    }

    /// Writes what is dirty, or nothing when nothing is. Returns whether it wrote.
    pub(super) async fn autosave(&self, ctx: &mut ChatContext) -> Result<bool, StoreError> {
        if !ctx.is_dirty() {
            debug!("context {} not dirty, skipping save", ctx.id());
            return Ok(false);
        }
        debug!("saving dirty context {}", ctx.id());
        self.store.save(&ctx.changes()).await?;
        ctx.mark_saved();
        Ok(true)
    }

    /// Saves a context made in this process (new, or imported) and takes it into memory.
    pub async fn save_new(&self, mut ctx: ChatContext) -> Result<Guard, ChatError> {
        let locked = self.registry.lock(ctx.id()).await;
        self.autosave(&mut ctx).await?;
        ctx.fill_default_settings(&self.defaults.0, &self.defaults.1);
        let guard = locked.with_context(ctx);
        let (slot, ctx) = guard.parts();
        mark_loaded(slot, ctx);
        publish::state(slot, ctx);
        Ok(guard)
    }

    /// Finds contexts a previous process left mid-work and marks them interrupted, so none
    /// stays stuck in `processing`, `streaming` or `executing_tools`.
    ///
    /// On a shared database only work whose lease has expired counts: another live process
    /// may be running the rest. A store no one else uses takes no leases: all of it counts.
    pub async fn recover(self: &Arc<Self>) -> Result<usize, ChatError> {
        let busy = [Status::Processing, Status::Streaming, Status::ExecutingTools];
        let ids = self.store.unleased_with_status(&busy).await?;
        for &id in &ids {
            let mut locked = self.registry.lock(id).await;
            if locked.run().is_some() {
                continue;
            }
            // What this process holds of it may be old: the store is the truth.
            locked.unload();
            self.load(locked).await?;
        }
        if !ids.is_empty() {
            info!(count = ids.len(), "recovered contexts whose work was interrupted");
        }
        Ok(ids.len())
    }

    /// After a failed save, loads the context again as soon as storage is back (or, when
    /// another process saved first, at once), so work that was running is marked
    /// interrupted and every tab hears what the store holds, without anyone having to touch
    /// the conversation.
    pub(super) fn spawn_resync(self: &Arc<Self>, slot: &Arc<Slot>) {
        if slot.resyncing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (this, id) = (self.clone(), slot.id);
        self.tasks.spawn(async move {
            let mut delay = Duration::from_millis(50);
            loop {
                tokio::select! {
                    _ = this.closing.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
                let locked = this.registry.lock(id).await;
                let reload = !locked.is_loaded();
                let slot = locked.slot.clone();
                match this.load(locked).await {
                    Ok(guard) => {
                        slot.resyncing.store(false, Ordering::Release);
                        if reload {
                            debug!(context = %id, "context reloaded after a failed save");
                            let (slot, ctx) = guard.parts();
                            publish::state(slot, ctx);
                        }
                        return;
                    }
                    Err(ChatError::NotFound) => {
                        slot.resyncing.store(false, Ordering::Release);
                        return;
                    }
                    Err(error) => debug!(context = %id, %error, "storage still unavailable"),
                }
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        });
    }
}

/// Patches may start from the version now in memory.
fn mark_loaded(slot: &Slot, ctx: &ChatContext) {
    let head = (ctx.active_head(), ctx.active_branch().to_string());
    slot.changes.lock().expect("change log lock").loaded(ctx.version(), head);
}
