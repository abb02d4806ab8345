//! Accounts and sessions: registration, sign-in, sign-out, and the [`CurrentUser`] every
//! API handler asks for.
//!
//! Sessions live in the database (so sign-out and expiry are real) and reach the server as
//! an HttpOnly cookie from the browser or as a bearer token from API clients. A request
//! that changes state on the strength of a cookie must also come from our own origin.
//!
//! A resolved session is remembered for a few seconds, so a tab polling or acting does not
//! cost a database read per request. Signing out here forgets it at once; a sign-out in
//! another process, or the session's expiry, takes effect here within [`SESSION_CACHE_TTL`].

mod password;
pub mod session;
mod tokens;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use app::limits;
use app::wire::{CreateTokenRequest, CreatedTokenDTO, TokenDTO, MAX_TOKEN_NAME_CHARS, TOKEN_DAYS};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use chrono::Duration;
use confab_store::{ApiToken, Session, StoreError, User, UserStore};

use crate::chat::now;
use crate::error::ApiError;
use crate::state::AppState;
use session::Via;

/// How long a resolved session is trusted without asking the database again.
pub const SESSION_CACHE_TTL: StdDuration = StdDuration::from_secs(5);
/// Sessions remembered at most; beyond it the least used are forgotten first.
const SESSION_CACHE_CAPACITY: u64 = 10_000;

pub struct Auth {
    store: Arc<dyn UserStore>,
    session_ttl: Duration,
    open_registration: bool,
    secure_cookies: bool,
    /// Token hash to its user, for valid sessions only: a token that resolves to nobody is
    /// never cached, so a fresh sign-in is seen at once.
    recent: moka::sync::Cache<String, User>,
}

/// A signed-in user and the token that proves it.
pub struct SignedIn {
    pub user: User,
    pub token: String,
}

impl Auth {
    pub fn new(
        store: Arc<dyn UserStore>,
        session_ttl: Duration,
        open_registration: bool,
        secure_cookies: bool,
    ) -> Self {
        let recent =
            moka::sync::Cache::builder().max_capacity(SESSION_CACHE_CAPACITY).time_to_live(SESSION_CACHE_TTL).build();
        Auth { store, session_ttl, open_registration, secure_cookies, recent }
    }

    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }

    /// Whether `Set-Cookie` must say `Secure` for this request.
    pub fn secure_cookie(&self, headers: &HeaderMap) -> bool {
        self.secure_cookies || session::is_https(headers)
    }

    #[tracing::instrument(skip(self, password))]
    pub async fn register(&self, username: &str, password: String) -> Result<SignedIn, ApiError> {
        let username = limits::check_username(username).map_err(invalid)?;
        limits::check_password(&password).map_err(invalid)?;
        let hash = password::hash(password).await?;
        let user = User { id: uuid::Uuid::new_v4(), username, created_at: now() };
        if self.open_registration {
            self.store.create_user(&user, &hash).await.map_err(|e| match e {
                StoreError::Conflict => ApiError::UsernameTaken,
                other => other.into(),
            })?;
        } else if !self.store.create_first_user(&user, &hash).await? {
            return Err(ApiError::Forbidden {
                code: "registration_closed",
                message: "this server does not take new accounts; ask its administrator".into(),
            });
        }
        tracing::info!(user = %user.username, "registered");
        self.start_session(user).await
    }

    #[tracing::instrument(skip(self, password))]
    pub async fn login(&self, username: &str, password: String) -> Result<SignedIn, ApiError> {
        // No account can have such a name or password, and the database must not see them.
        let username = username.trim();
        limits::check_name("username", username).map_err(invalid)?;
        limits::check_text("password", &password).map_err(invalid)?;
        let credentials = self.store.credentials(username).await?;
        let stored = credentials.as_ref().map(|c| c.password_hash.clone());
        if !password::verify(password, stored).await? {
            return Err(ApiError::InvalidCredentials);
        }
        let user = credentials.expect("verified, so it exists").user;
        self.start_session(user).await
    }

    /// Sets `user`'s password after checking the current one, and ends every other session
    /// of theirs; the session of `token` (the one asking) stays. Other processes sharing the
    /// database stop honouring the ended sessions within [`SESSION_CACHE_TTL`].
    #[tracing::instrument(skip_all, fields(user = %user.username))]
    pub async fn change_password(
        &self,
        user: &User,
        token: &str,
        current: String,
        new: String,
    ) -> Result<(), ApiError> {
        limits::check_text("current_password", &current).map_err(invalid)?;
        limits::check_password(&new)
            .map_err(|e| ApiError::bad_request("invalid_field", format!("new {}", e.message)))?;
        let stored = self.store.credentials(&user.username).await?.filter(|c| c.user.id == user.id);
        if !password::verify(current, stored.map(|c| c.password_hash)).await? {
            return Err(ApiError::bad_request(
                "wrong_password",
                "the current password is not right; nothing was changed",
            ));
        }
        let hash = password::hash(new).await?;
        let keep = session::token_hash(token);
        if !self.store.set_password(user.id, &hash, &keep).await? {
            return Err(ApiError::Unauthorized);
        }
        // The ended sessions stop here at once, not when their cached entries expire.
        let ended: Vec<String> = self
            .recent
            .iter()
            .filter(|(hash, cached)| cached.id == user.id && hash.as_str() != keep)
            .map(|(hash, _)| hash.as_ref().clone())
            .collect();
        for hash in ended {
            self.recent.invalidate(&hash);
        }
        tracing::info!("password changed; the account's other sessions ended");
        Ok(())
    }

    /// Makes a personal API token for `user`; its secret is in the answer only.
    pub async fn create_token(&self, user: &User, request: CreateTokenRequest) -> Result<CreatedTokenDTO, ApiError> {
        let name = request.name.trim().to_string();
        limits::check_name("name", &name).map_err(invalid)?;
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS {
            return Err(ApiError::bad_request(
                "invalid_field",
                format!("name: 1 to {MAX_TOKEN_NAME_CHARS} characters"),
            ));
        }
        if let Some(days) = request.expires_in_days.filter(|days| !TOKEN_DAYS.contains(days)) {
            let (min, max) = (TOKEN_DAYS.start(), TOKEN_DAYS.end());
            return Err(ApiError::bad_request("invalid_field", format!("expires_in_days: {min} to {max}, not {days}")));
        }
        let created_at = now();
        let token = ApiToken {
            id: uuid::Uuid::now_v7(),
            user_id: user.id,
            name,
            created_at,
            expires_at: request.expires_in_days.map(|days| created_at + Duration::days(i64::from(days))),
            last_used_at: None,
        };
        let secret = format!("{}{}", tokens::PREFIX, session::new_token());
        self.store.create_api_token(&token, &session::token_hash(&secret)).await?;
        tracing::info!(user = %user.username, token = %token.id, "personal API token created");
        Ok(CreatedTokenDTO { id: token.id, name: token.name, token: secret, expires_at: token.expires_at })
    }

    pub async fn tokens(&self, user: &User) -> Result<Vec<TokenDTO>, ApiError> {
        let tokens = self.store.api_tokens(user.id).await?;
        Ok(tokens.into_iter().map(tokens::dto).collect())
    }

    /// Revokes one of `user`'s tokens: refused from the next request on, in this process at
    /// once and in the others sharing the database within [`SESSION_CACHE_TTL`].
    pub async fn revoke_token(&self, user: &User, id: uuid::Uuid) -> Result<(), ApiError> {
        let hash = self.store.delete_api_token(user.id, id).await?;
        let hash = hash.ok_or_else(|| ApiError::NotFound("no such token".into()))?;
        self.recent.invalidate(&hash);
        Ok(())
    }

    pub async fn logout(&self, token: &str) -> Result<(), ApiError> {
        let token_hash = session::token_hash(token);
        self.store.delete_session(&token_hash).await?;
        self.recent.invalidate(&token_hash);
        Ok(())
    }

    /// The user a session token or a personal API token belongs to, if it is valid and
    /// unexpired.
    pub async fn resolve(&self, token: &str) -> Result<Option<User>, ApiError> {
        if token.is_empty() {
            return Ok(None);
        }
        let token_hash = session::token_hash(token);
        if let Some(user) = self.recent.get(&token_hash) {
            return Ok(Some(user));
        }
        let user = if token.starts_with(tokens::PREFIX) {
            self.store.api_token_user(&token_hash, now()).await?
        } else {
            self.store.session_user(&token_hash, now()).await?
        };
        if let Some(user) = &user {
            self.recent.insert(token_hash, user.clone());
        }
        Ok(user)
    }

    /// The user behind a request's cookie or bearer token, for server-rendered pages.
    pub async fn user_of(&self, headers: &HeaderMap) -> Result<Option<User>, ApiError> {
        match session::request_token(headers) {
            Some((token, _)) => self.resolve(&token).await,
            None => Ok(None),
        }
    }

    pub async fn delete_expired_sessions(&self) -> Result<u64, StoreError> {
        self.store.delete_expired_sessions(now()).await
    }

    async fn start_session(&self, user: User) -> Result<SignedIn, ApiError> {
        let token = session::new_token();
        let created_at = now();
        let session = Session {
            token_hash: session::token_hash(&token),
            user_id: user.id,
            created_at,
            expires_at: created_at + self.session_ttl,
        };
        self.store.create_session(&session).await?;
        Ok(SignedIn { user, token })
    }
}

/// A refused username or password: `400 invalid_field`, naming the field.
fn invalid(error: app::limits::FieldError) -> ApiError {
    ApiError::bad_request("invalid_field", error.message)
}

/// The signed-in user a request acts for. Rejects with `401` when there is none, and with
/// `403` when a cookie-authenticated request that changes state comes from another origin.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let (token, via) = session::request_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let changes_state = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if via == Via::Cookie && changes_state && !session::same_origin(&parts.headers) {
            return Err(ApiError::Forbidden {
                code: "cross_origin",
                message: "this request came from another site; send it from Confab's own pages or with a bearer token"
                    .into(),
            });
        }
        let user = state.auth.resolve(&token).await?.ok_or(ApiError::Unauthorized)?;
        let current = CurrentUser(user);
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use confab_core::Timestamp;
    use confab_store::{Credentials, SqliteStore};

    use super::*;

    /// A user store that counts how often a session is looked up.
    struct Counting {
        inner: SqliteStore,
        lookups: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl UserStore for Counting {
        async fn create_user(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
            self.inner.create_user(user, password_hash).await
        }
        async fn create_first_user(&self, user: &User, password_hash: &str) -> Result<bool, StoreError> {
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
        async fn set_password(&self, user: uuid::Uuid, hash: &str, keep: &str) -> Result<bool, StoreError> {
            self.inner.set_password(user, hash, keep).await
        }
    }

    #[async_trait::async_trait]
    impl confab_store::ApiTokens for Counting {
        async fn create_api_token(&self, token: &ApiToken, token_hash: &str) -> Result<(), StoreError> {
            self.inner.create_api_token(token, token_hash).await
        }
        async fn api_tokens(&self, user: uuid::Uuid) -> Result<Vec<ApiToken>, StoreError> {
            self.inner.api_tokens(user).await
        }
        async fn delete_api_token(&self, user: uuid::Uuid, id: uuid::Uuid) -> Result<Option<String>, StoreError> {
            self.inner.delete_api_token(user, id).await
        }
        async fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            self.inner.api_token_user(token_hash, now).await
        }
    }

    #[tokio::test]
    async fn a_session_is_read_once_then_remembered_until_its_sign_out() {
        let dir = tempfile::tempdir().unwrap();
        let inner = SqliteStore::open(&format!("sqlite://{}/auth.db", dir.path().display())).await.unwrap();
        let store = Arc::new(Counting { inner, lookups: AtomicUsize::new(0) });
        let auth = Auth::new(store.clone(), Duration::hours(1), true, false);
        let signed_in = auth.register("erin", "a long enough password".into()).await.unwrap();
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
}
