//! The session cache: how often the database is asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::Duration;
use confab_core::{ContextId, Timestamp, UserId};
use confab_store::{
    AccountChange, ApiToken, Credentials, Invite, Outcome, Session, SessionInfo, Solo, SqliteStore, StoreError, User,
    UserStore, UserSummary,
};

use super::{Auth, SessionCache, SignUp};

/// A user store that counts how often a session is looked up.
struct Counting {
    inner: SqliteStore,
    lookups: AtomicUsize,
}

#[async_trait::async_trait]
impl UserStore for Counting {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<User, StoreError> {
        self.inner.create_user(user, password_hash).await
    }
    async fn create_first_user(&self, user: &User, password_hash: &str) -> Result<Option<User>, StoreError> {
        self.inner.create_first_user(user, password_hash).await
    }
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        self.inner.credentials(username).await
    }
    async fn user_count(&self) -> Result<u64, StoreError> {
        self.inner.user_count().await
    }
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.inner.create_session(session).await
    }
    async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.session_user(token_hash, now).await
    }
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.inner.delete_session(token_hash).await
    }
    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.inner.delete_expired_sessions(now).await
    }
    async fn set_password(&self, user: UserId, hash: &str, keep: &str) -> Result<bool, StoreError> {
        self.inner.set_password(user, hash, keep).await
    }
}

#[async_trait::async_trait]
impl confab_store::ApiTokens for Counting {
    async fn create_api_token(&self, token: &ApiToken, token_hash: &str) -> Result<(), StoreError> {
        self.inner.create_api_token(token, token_hash).await
    }
    async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        self.inner.api_tokens(user).await
    }
    async fn delete_api_token(&self, user: UserId, id: uuid::Uuid) -> Result<Option<String>, StoreError> {
        self.inner.delete_api_token(user, id).await
    }
    async fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.api_token_user(token_hash, now).await
    }
}

#[async_trait::async_trait]
impl confab_store::Accounts for Counting {
    async fn users(&self) -> Result<Vec<UserSummary>, StoreError> {
        self.inner.users().await
    }
    async fn change_account(&self, user: UserId, change: AccountChange) -> Result<Outcome<User>, StoreError> {
        self.inner.change_account(user, change).await
    }
    async fn sessions(&self, user: UserId, now: Timestamp) -> Result<Vec<SessionInfo>, StoreError> {
        self.inner.sessions(user, now).await
    }
    async fn end_session(&self, user: UserId, id: &str) -> Result<Option<String>, StoreError> {
        self.inner.end_session(user, id).await
    }
    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.inner.setting(name).await
    }
    async fn put_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.inner.put_setting(name, value).await
    }
    async fn create_invite(&self, invite: &Invite) -> Result<(), StoreError> {
        self.inner.create_invite(invite).await
    }
    async fn create_invited_user(
        &self,
        user: &User,
        hash: &str,
        invite: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError> {
        self.inner.create_invited_user(user, hash, invite, now).await
    }
    async fn identity_user(&self, issuer: &str, subject: &str) -> Result<Option<Credentials>, StoreError> {
        self.inner.identity_user(issuer, subject).await
    }
    async fn create_identity_user(&self, user: &User, issuer: &str, subject: &str) -> Result<User, StoreError> {
        self.inner.create_identity_user(user, issuer, subject).await
    }
    async fn delete_account(&self, user: UserId) -> Result<Outcome<Vec<ContextId>>, StoreError> {
        self.inner.delete_account(user).await
    }
}

#[tokio::test]
async fn a_session_is_read_once_then_remembered_until_its_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    let inner = SqliteStore::open(&format!("sqlite://{}/auth.db", dir.path().display())).await.unwrap();
    let store = Arc::new(Counting { inner, lookups: AtomicUsize::new(0) });
    let cache = Arc::new(SessionCache::new(Solo::handle()));
    let auth = Auth::new(store.clone(), Duration::hours(1), true, false, cache);
    let signed_in = auth.register("erin", "a long enough password".into(), SignUp::default()).await.unwrap();
    let lookups = || store.lookups.load(Ordering::SeqCst);

    for _ in 0..5 {
        assert_eq!(auth.resolve(&signed_in.token).await.unwrap().unwrap().username, "erin");
    }
    assert_eq!(lookups(), 1, "one database read for five requests");

    for _ in 0..2 {
        assert!(auth.resolve("not a session token").await.unwrap().is_none());
    }
    assert_eq!(lookups(), 3, "a token that leads nowhere is asked about every time");

    auth.logout(&signed_in.token).await.unwrap();
    assert!(auth.resolve(&signed_in.token).await.unwrap().is_none(), "signing out here ends it at once");
}
