//! The sessions and tokens this process trusts without asking the database, and the word
//! that an account's sessions changed.
//!
//! When an account is disabled, deleted, or has sessions or tokens ended, every cached entry
//! of it is forgotten here at once, the open event streams of that account are told (each
//! checks its own credentials again and ends if they no longer hold), and the other
//! processes sharing the database hear it over the notice channel and do the same. So an
//! ended session stops everywhere as soon as the notice arrives, not when a cache entry
//! would have expired.

use std::sync::Arc;
use std::time::Duration;

use confab_core::UserId;
use confab_store::{Coordination, Notice, User};
use tokio::sync::broadcast;

/// How long a resolved session is trusted without asking the database again, when nothing
/// says it changed (a session that simply expires, or a change no notice reported).
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(5);
/// Sessions remembered at most; beyond it the least used are forgotten first.
const CAPACITY: u64 = 10_000;
/// Accounts changed faster than the slowest stream checks them: past this, a stream checks
/// its credentials again whatever account changed.
const CHANGES_QUEUED: usize = 256;

pub struct SessionCache {
    /// Token hash to its user, for valid sessions and tokens only: a token that resolves to
    /// nobody is never cached, so a fresh sign-in is seen at once.
    recent: moka::sync::Cache<String, User>,
    changed: broadcast::Sender<UserId>,
    coordination: Arc<dyn Coordination>,
}

impl SessionCache {
    pub fn new(coordination: Arc<dyn Coordination>) -> Self {
        let recent = moka::sync::Cache::builder().max_capacity(CAPACITY).time_to_live(SESSION_CACHE_TTL).build();
        SessionCache { recent, changed: broadcast::channel(CHANGES_QUEUED).0, coordination }
    }

    pub fn get(&self, token_hash: &str) -> Option<User> {
        self.recent.get(token_hash)
    }

    pub fn insert(&self, token_hash: String, user: User) {
        self.recent.insert(token_hash, user);
    }

    /// Something about `user`'s sessions, tokens or standing changed here: forgotten in this
    /// process now, and in the others when they hear it.
    pub fn account_changed(&self, user: UserId) {
        self.heard(user);
        self.coordination.announce(Notice::AccountChanged { user });
    }

    /// Another process changed `user`'s account: forget what is cached of it, and tell the
    /// streams open here.
    pub fn heard(&self, user: UserId) {
        let cached: Vec<Arc<String>> =
            self.recent.iter().filter(|(_, cached)| cached.id == user).map(|(hash, _)| hash).collect();
        for hash in cached {
            self.recent.invalidate(hash.as_str());
        }
        // Nobody listening is fine: no stream of theirs is open.
        let _ = self.changed.send(user);
    }

    /// Forgets every cached session: changes may have been missed.
    pub fn forget_all(&self) {
        self.recent.invalidate_all();
    }

    /// Accounts whose sessions changed, from now on.
    pub fn changes(&self) -> broadcast::Receiver<UserId> {
        self.changed.subscribe()
    }
}
