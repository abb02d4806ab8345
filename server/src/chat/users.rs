//! News of each user's conversation list for the per-user event stream: a conversation
//! that changed (its row in the list: title, status, times, place) or went, and their
//! folders when those changed. Only users with a stream open are kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};

use app::wire::{ContextSummaryDTO, ContextsChangeDTO};
use confab_core::{ChatContext, ContextId, UserId};
use tokio::sync::broadcast;

use super::dto;

/// How many list changes a stream may fall behind before it misses some.
const BUFFER: usize = 64;

#[derive(Default)]
pub(crate) struct UserHub {
    senders: StdMutex<HashMap<UserId, broadcast::Sender<Arc<ContextsChangeDTO>>>>,
}

impl UserHub {
    pub fn subscribe(&self, user: UserId) -> broadcast::Receiver<Arc<ContextsChangeDTO>> {
        let mut senders = self.senders.lock().expect("user hub lock");
        senders.entry(user).or_insert_with(|| broadcast::channel(BUFFER).0).subscribe()
    }

    /// The conversation's row in its owner's list changed (or it is new).
    pub fn changed(&self, ctx: &ChatContext) {
        let place = &ctx.row().place;
        let row = ContextSummaryDTO {
            id: ctx.id(),
            title: ctx.title().to_string(),
            status: dto::status(ctx.status()),
            version: ctx.version(),
            created_at: ctx.created_at(),
            updated_at: ctx.updated_at(),
            pinned: place.pinned,
            archived: place.archived,
            folder_id: place.folder,
        };
        self.send(ctx.owner(), ContextsChangeDTO { changed: vec![row], removed: vec![], folders: None });
    }

    /// The conversation is gone.
    pub fn removed(&self, owner: UserId, id: ContextId) {
        self.send(owner, ContextsChangeDTO { changed: vec![], removed: vec![id], folders: None });
    }

    pub fn send(&self, user: UserId, change: ContextsChangeDTO) {
        let mut senders = self.senders.lock().expect("user hub lock");
        let Some(sender) = senders.get(&user) else { return };
        if sender.send(Arc::new(change)).is_err() {
            // Nobody listens any more.
            senders.remove(&user);
        }
    }
}
