//! The conversations this process has in memory, and the guard that hands one out: the
//! context's lock together with the loaded context, so whoever holds a [`Guard`] is its one
//! writer and can reach the context without checking that it is there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use confab_core::{ChatContext, ContextId};
use tokio::sync::OwnedMutexGuard;

use super::slot::{Run, Slot, SlotState};
use super::users::UserHub;

/// Every loaded context's [`Slot`], by id.
#[derive(Default)]
pub(crate) struct Registry {
    /// A std mutex: held only to look a slot up, never across an await.
    slots: StdMutex<HashMap<ContextId, Arc<Slot>>>,
    /// Every slot tells its owner's list of its changes through this.
    pub users: Arc<UserHub>,
}

impl Registry {
    /// The context's slot, made if it has none yet.
    pub fn slot(&self, id: ContextId) -> Arc<Slot> {
        let mut slots = self.slots.lock().expect("slots lock");
        let slot = slots.entry(id).or_insert_with(|| Arc::new(Slot::new(id, self.users.clone()))).clone();
        slot.touch();
        slot
    }

    /// The slot of a context this process has in memory, without making one.
    pub fn loaded_slot(&self, id: ContextId) -> Option<Arc<Slot>> {
        self.slots.lock().expect("slots lock").get(&id).cloned()
    }

    /// Takes the context's lock, whether or not the context is loaded.
    pub async fn lock(&self, id: ContextId) -> Locked {
        Locked::new(self.slot(id)).await
    }

    pub fn forget(&self, id: ContextId) {
        self.slots.lock().expect("slots lock").remove(&id);
    }

    pub fn ids(&self) -> Vec<ContextId> {
        self.slots.lock().expect("slots lock").keys().copied().collect()
    }

    pub fn slots(&self) -> Vec<Arc<Slot>> {
        self.slots.lock().expect("slots lock").values().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.slots.lock().expect("slots lock").len()
    }

    /// Drops every slot nobody has used for `idle` (see [`Slot::is_unused`]); returns how
    /// many.
    pub fn unload_idle(&self, idle: Duration) -> usize {
        let mut slots = self.slots.lock().expect("slots lock");
        let before = slots.len();
        // Under the table's lock nobody can take a new reference to a slot.
        slots.retain(|_, slot| !slot.is_unused(Arc::strong_count(slot), idle));
        before - slots.len()
    }
}

/// A context's lock, held: the context may or may not be loaded.
pub(crate) struct Locked {
    pub slot: Arc<Slot>,
    state: OwnedMutexGuard<SlotState>,
}

impl Locked {
    pub async fn new(slot: Arc<Slot>) -> Locked {
        let state = slot.state.clone().lock_owned().await;
        Locked { slot, state }
    }

    pub fn is_loaded(&self) -> bool {
        self.state.context.is_some()
    }

    /// The version of the context in memory, if it is loaded.
    pub fn loaded_version(&self) -> Option<u64> {
        self.state.context.as_ref().map(ChatContext::version)
    }

    /// Drops the in-memory copy: the next use loads what the store holds.
    pub fn unload(&mut self) {
        self.state.context = None;
    }

    /// Takes the in-memory copy out, unloading it.
    pub fn take_context(&mut self) -> Option<ChatContext> {
        self.state.context.take()
    }

    pub fn run(&self) -> Option<&Run> {
        self.state.run.as_ref()
    }

    pub fn set_run(&mut self, run: Run) {
        self.stop_run();
        self.state.run = Some(run);
    }

    /// Cancels the running task, if any.
    pub fn stop_run(&mut self) {
        self.state.stop_run();
    }

    /// Forgets run `run_id` if it is still the current one (it ended by itself).
    pub fn end_run(&mut self, run_id: u64) {
        if self.state.run.as_ref().is_some_and(|run| run.id == run_id) {
            self.state.run = None;
        }
    }

    /// Whether run `run_id` is the one working on the context and was not cancelled.
    pub fn is_current_run(&self, run_id: u64) -> bool {
        self.state.run.as_ref().is_some_and(|run| run.id == run_id && !run.token.is_cancelled())
    }

    /// The guard over the loaded context, or the lock back when it is not loaded.
    pub fn into_guard(mut self) -> Result<Guard, Locked> {
        match self.state.context.take() {
            Some(ctx) => Ok(Guard { locked: self, ctx, keep: true }),
            None => Err(self),
        }
    }

    /// The guard over `ctx`, just loaded from the store.
    pub fn with_context(self, ctx: ChatContext) -> Guard {
        Guard { locked: self, ctx, keep: true }
    }
}

/// A context's lock and the loaded context: its one writer. The context goes back into its
/// slot when the guard is dropped, unless [`Guard::discard`] said the store is the truth.
pub(crate) struct Guard {
    locked: Locked,
    ctx: ChatContext,
    keep: bool,
}

impl Guard {
    pub fn ctx(&mut self) -> &mut ChatContext {
        &mut self.ctx
    }

    pub fn context(&self) -> &ChatContext {
        &self.ctx
    }

    pub fn slot(&self) -> &Arc<Slot> {
        &self.locked.slot
    }

    pub fn locked(&mut self) -> &mut Locked {
        &mut self.locked
    }

    /// The context and its slot at once, for publishing.
    pub fn parts(&self) -> (&Slot, &ChatContext) {
        (&self.locked.slot, &self.ctx)
    }

    /// Drops the in-memory copy when the guard goes (a failed save, a change made
    /// elsewhere): the next use loads what the store holds.
    pub fn discard(&mut self) {
        self.keep = false;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.keep {
            self.locked.state.context = Some(std::mem::take(&mut self.ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ChatContext {
        ChatContext::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), Some("t".into()), chrono::Utc::now())
    }

    #[tokio::test]
    async fn a_guard_gives_the_context_back_to_its_slot_when_dropped() {
        let registry = Registry::default();
        let ctx = context();
        let id = ctx.id();
        let locked = registry.lock(id).await;
        assert!(locked.into_guard().is_err(), "nothing is loaded yet");
        let mut guard = registry.lock(id).await.with_context(ctx);
        guard.ctx().rename("renamed".into(), chrono::Utc::now());
        drop(guard);
        let guard = registry.lock(id).await.into_guard().ok().expect("the context is back in its slot");
        assert_eq!(guard.context().title(), "renamed");
    }

    #[tokio::test]
    async fn a_discarded_guard_leaves_the_context_unloaded() {
        let registry = Registry::default();
        let ctx = context();
        let id = ctx.id();
        let mut guard = registry.lock(id).await.with_context(ctx);
        guard.discard();
        drop(guard);
        let locked = registry.lock(id).await;
        assert!(!locked.is_loaded());
        assert_eq!(locked.loaded_version(), None);
    }

    #[tokio::test]
    async fn only_the_current_uncancelled_run_is_current() {
        let registry = Registry::default();
        let mut locked = registry.lock(uuid::Uuid::new_v4()).await;
        let token = tokio_util::sync::CancellationToken::new();
        locked.set_run(Run { id: 7, token: token.clone() });
        assert!(locked.is_current_run(7));
        assert!(!locked.is_current_run(8));
        locked.end_run(8);
        assert!(locked.run().is_some(), "another run's end leaves this one");
        token.cancel();
        assert!(!locked.is_current_run(7), "a cancelled run stops at its next step");
        locked.end_run(7);
        assert!(locked.run().is_none());
    }
}
