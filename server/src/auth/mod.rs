//! Accounts and sessions: registration, sign-in, sign-out, and the [`CurrentUser`] every
//! API handler asks for.
//!
//! Sessions live in the database (so sign-out and expiry are real) and reach the server as
//! an HttpOnly cookie from the browser or as a bearer token from API clients. A request
//! that changes state on the strength of a cookie must also come from our own origin.

mod password;
pub mod session;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use chrono::Duration;
use confab_store::{Session, StoreError, User, UserStore};

use crate::chat::now;
use crate::error::ApiError;
use crate::state::AppState;
use session::Via;

const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;
const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;

pub struct Auth {
    store: Arc<dyn UserStore>,
    session_ttl: Duration,
    open_registration: bool,
    secure_cookies: bool,
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
        Auth { store, session_ttl, open_registration, secure_cookies }
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
        let username = check_username(username)?;
        check_password(&password)?;
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
        let credentials = self.store.credentials(username.trim()).await?;
        let stored = credentials.as_ref().map(|c| c.password_hash.clone());
        if !password::verify(password, stored).await? {
            return Err(ApiError::InvalidCredentials);
        }
        let user = credentials.expect("verified, so it exists").user;
        self.start_session(user).await
    }

    pub async fn logout(&self, token: &str) -> Result<(), ApiError> {
        Ok(self.store.delete_session(&session::token_hash(token)).await?)
    }

    /// The user a session token belongs to, if it is valid and unexpired.
    pub async fn resolve(&self, token: &str) -> Result<Option<User>, ApiError> {
        if token.is_empty() {
            return Ok(None);
        }
        Ok(self.store.session_user(&session::token_hash(token), now()).await?)
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

fn check_username(username: &str) -> Result<String, ApiError> {
    let username = username.trim();
    let valid_chars = username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !USERNAME_CHARS.contains(&username.chars().count()) || !valid_chars {
        return Err(ApiError::bad_request(
            "invalid_field",
            "username: 3 to 32 characters, letters, digits, '_', '-' or '.'",
        ));
    }
    Ok(username.to_string())
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if !PASSWORD_CHARS.contains(&password.chars().count()) {
        return Err(ApiError::bad_request("invalid_field", "password: 8 to 256 characters"));
    }
    Ok(())
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
