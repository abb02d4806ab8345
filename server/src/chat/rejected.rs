//! A save the database refused because of the data itself (see
//! [`confab_store::StoreError::Rejected`]) while a generation or tool run was working. What a
//! model or tool produces is cleaned before it is kept ([`crate::untrusted`]), so this should
//! not happen; if it does, the conversation must not look like the server crashed
//! ("interrupted") or like storage is down: the run stops, the unsaved part is dropped, and
//! the conversation, as the store holds it, fails with a `last_error` naming the real cause.

use std::sync::Arc;

use confab_core::Event;
use tracing::warn;

use super::persist::Persistence;
use super::registry::Guard;
use super::{now, publish};

impl Persistence {
    pub(super) async fn fail_rejected_run(self: &Arc<Self>, guard: &mut Guard, reason: &str) {
        let id = guard.slot().id;
        warn!(context = %id, %reason, "the database refused what a model or tool produced; failing the run");
        guard.locked().stop_run();
        match self.store.load(id).await {
            Ok(Some(stored)) => *guard.ctx() = stored,
            // Gone, or storage failed too: as after any failed save, the store is the truth.
            Ok(None) | Err(_) => return self.drop_after_failure(guard),
        }
        if guard.context().status().is_busy() {
            let error = format!(
                "The reply could not be saved: the database refused its content ({reason}). Retry to generate it again."
            );
            if let Err(error) = guard.ctx().apply(Event::GenerationFailed { error }, now()) {
                warn!(context = %id, %error, "could not mark the refused run as failed");
            } else if let Err(error) = self.autosave(guard.ctx()).await {
                warn!(context = %id, %error, "could not save the refused run as failed");
                return self.drop_after_failure(guard);
            }
        }
        let (slot, ctx) = guard.parts();
        publish::state(slot, ctx);
    }

    fn drop_after_failure(self: &Arc<Self>, guard: &mut Guard) {
        guard.discard();
        guard.slot().set_published(Default::default());
        self.spawn_resync(guard.slot());
    }
}
