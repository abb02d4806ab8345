//! A save the database refused because of the data itself (see
//! [`confab_store::StoreError::Rejected`]) while a generation or tool run was working. What a
//! model or tool produces is cleaned before it is kept ([`crate::untrusted`]), so this should
//! not happen; if it does, the conversation must not look like the server crashed
//! ("interrupted") or like storage is down: the run stops, the unsaved part is dropped, and
//! the conversation, as the store holds it, fails with a `last_error` naming the real cause.

use confab_core::Event;
use tracing::warn;

use super::slot::{Published, Slot, SlotState};
use super::{context_of, now, ChatService};

impl ChatService {
    pub(super) async fn fail_rejected_run(&self, slot: &Slot, state: &mut SlotState, reason: &str) {
        warn!(context = %slot.id, %reason, "the database refused what a model or tool produced; failing the run");
        state.stop_run();
        state.context = None;
        match self.inner.store.load(slot.id).await {
            Ok(Some(ctx)) => state.context = Some(ctx),
            // Gone, or storage failed too: as after any failed save, the store is the truth.
            Ok(None) | Err(_) => return self.resync_after_failure(slot),
        }
        let ctx = context_of(state);
        if ctx.status().is_busy() {
            let error = format!(
                "The reply could not be saved: the database refused its content ({reason}). Retry to generate it again."
            );
            if let Err(error) = ctx.apply(Event::GenerationFailed { error }, now()) {
                warn!(context = %slot.id, %error, "could not mark the refused run as failed");
            } else if let Err(error) = self.autosave(ctx).await {
                warn!(context = %slot.id, %error, "could not save the refused run as failed");
                state.context = None;
                return self.resync_after_failure(slot);
            }
        }
        self.publish_state(slot, context_of(state));
    }

    fn resync_after_failure(&self, slot: &Slot) {
        slot.set_published(Published::default());
        self.spawn_resync(slot);
    }
}
