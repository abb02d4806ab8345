//! Leases keep processes that share a database from running one context's work twice: the
//! process that runs a generation or a tool run holds the context's lease and renews it;
//! when that process dies, the lease expires and another one recovers the work.
//!
//! A store nobody else uses needs none: every call here is then a no-op that answers as a
//! lone process would (the lease is always ours, nobody else holds one), which keeps three
//! writes off every action's and every run's path.

use std::sync::Arc;
use std::time::Duration;

use confab_core::ContextId;
use confab_store::ContextStore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::ChatError;

/// How often a waiting run asks again for a lease another process holds.
const CLAIM_RETRY: Duration = Duration::from_millis(250);

pub(crate) struct Leases {
    /// `None` for a store no other process shares.
    shared: Option<Arc<dyn ContextStore>>,
    /// Names this process in the leases it holds.
    holder: String,
    ttl: Duration,
}

impl Leases {
    pub fn new(store: &Arc<dyn ContextStore>, ttl: Duration) -> Self {
        Leases {
            shared: store.is_shared().then(|| store.clone()),
            holder: format!("confab-{}", uuid::Uuid::new_v4().simple()),
            ttl,
        }
    }

    /// Takes the context's lease for work about to start, without waiting for it.
    pub async fn take(&self, id: ContextId) -> Result<bool, ChatError> {
        let Some(store) = &self.shared else { return Ok(true) };
        Ok(store.acquire_lease(id, &self.holder, self.ttl).await?)
    }

    /// Claims the context's lease for a run, waiting while another process holds it (at most
    /// until an abandoned lease would have expired). False when the run must not go ahead.
    pub async fn claim(&self, id: ContextId, token: &CancellationToken) -> bool {
        let Some(store) = &self.shared else { return true };
        let deadline = tokio::time::Instant::now() + self.ttl + CLAIM_RETRY * 4;
        loop {
            match store.acquire_lease(id, &self.holder, self.ttl).await {
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
    pub fn keep(&self, id: ContextId, token: CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
        let store = self.shared.clone()?;
        let (holder, ttl) = (self.holder.clone(), self.ttl);
        Some(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(ttl / 3) => {}
                }
                match store.acquire_lease(id, &holder, ttl).await {
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
    pub async fn held_elsewhere(&self, id: ContextId) -> Result<bool, ChatError> {
        let Some(store) = &self.shared else { return Ok(false) };
        Ok(store.leased_elsewhere(id, &self.holder).await?)
    }

    pub async fn release(&self, id: ContextId) {
        let Some(store) = &self.shared else { return };
        if let Err(error) = store.release_lease(id, &self.holder).await {
            debug!(context = %id, %error, "could not release the lease; it will expire");
        }
    }
}
