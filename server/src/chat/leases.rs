//! Leases keep processes that share a database from running one context's work twice: the
//! process that runs a generation or a tool run holds the context's lease and renews it;
//! when that process dies, the lease expires and another one recovers the work.
//!
//! A store nobody else uses needs none: its coordination is then `Solo`, which answers as a
//! lone process would (the lease is always ours, nobody else holds one) and writes nothing.

use std::sync::Arc;
use std::time::Duration;

use confab_core::ContextId;
use confab_store::{Coordinated, Coordination};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::ChatError;

/// How often a waiting run asks again for a lease another process holds.
const CLAIM_RETRY: Duration = Duration::from_millis(250);

pub(crate) struct Leases {
    coordination: Arc<dyn Coordination>,
    /// Names this process in the leases it holds.
    holder: String,
    ttl: Duration,
}

impl Leases {
    pub fn new(store: &dyn Coordinated, ttl: Duration) -> Self {
        Leases { coordination: store.coordination(), holder: format!("confab-{}", uuid::Uuid::new_v4().simple()), ttl }
    }

    /// Takes the context's lease for work about to start, without waiting for it.
    pub async fn take(&self, id: ContextId) -> Result<bool, ChatError> {
        Ok(self.coordination.acquire_lease(id, &self.holder, self.ttl).await?)
    }

    /// Claims the context's lease for a run, waiting while another process holds it (at most
    /// until an abandoned lease would have expired). False when the run must not go ahead.
    pub async fn claim(&self, id: ContextId, token: &CancellationToken) -> bool {
        let deadline = tokio::time::Instant::now() + self.ttl + CLAIM_RETRY * 4;
        loop {
            match self.coordination.acquire_lease(id, &self.holder, self.ttl).await {
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
    pub fn keep(&self, id: ContextId, token: CancellationToken) -> tokio::task::JoinHandle<()> {
        let store = self.coordination.clone();
        let (holder, ttl) = (self.holder.clone(), self.ttl);
        tokio::spawn(async move {
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
        })
    }

    /// Whether another live process holds the context's lease (so its work is not orphaned).
    pub async fn held_elsewhere(&self, id: ContextId) -> Result<bool, ChatError> {
        Ok(self.coordination.leased_elsewhere(id, &self.holder).await?)
    }

    /// How this process reaches the others sharing the store.
    pub fn coordination(&self) -> Arc<dyn Coordination> {
        self.coordination.clone()
    }

    /// Tells the other processes sharing the store, if there are any.
    pub fn announce(&self, notice: confab_store::Notice) {
        self.coordination.announce(notice);
    }

    /// What the other processes sharing the store do; `None` when nobody else shares it.
    pub fn notices(&self) -> Option<tokio::sync::mpsc::Receiver<confab_store::Notice>> {
        self.coordination.notices()
    }

    pub async fn release(&self, id: ContextId) {
        if let Err(error) = self.coordination.release_lease(id, &self.holder).await {
            debug!(context = %id, %error, "could not release the lease; it will expire");
        }
    }
}
