//! Accounts and sessions: registration, sign-in, sign-out, and the [`CurrentUser`] every
//! API handler asks for. A person's own account (password, sessions, deletion) is in
//! [`account`], personal API tokens in [`tokens`], the administrators' work in [`admin`].
//!
//! Sessions live in the database (so sign-out and expiry are real) and reach the server as
//! an HttpOnly cookie from the browser or as a bearer token from API clients. A request
//! that changes state on the strength of a cookie must also come from our own origin.
//!
//! A resolved session is remembered for a few seconds ([`cache`]), so a tab polling or
//! acting does not cost a database read per request; whatever ends a session or changes an
//! account forgets it at once, here and (over the notice channel) in the other processes.

mod account;
pub mod admin;
pub mod cache;
pub mod oidc;
mod password;
pub mod session;
mod sso;
#[cfg(test)]
mod tests;
mod tokens;

use std::future::Future;
use std::sync::Arc;

use app::limits;
use app::wire::RegistrationMode;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use chrono::Duration;
use confab_core::UserId;
use confab_store::{StoreError, User, UserStore};
use tokio::sync::broadcast::error::RecvError;

pub use cache::SessionCache;

use crate::chat::now;
use crate::error::ApiError;
use crate::state::AppState;
use session::Via;

/// The name of the stored registration mode.
const REGISTRATION: &str = "registration";
/// The longest `User-Agent` kept with a session.
const MAX_USER_AGENT_CHARS: usize = 200;

pub struct Auth {
    store: Arc<dyn UserStore>,
    session_ttl: Duration,
    /// The registration mode until an administrator stores one.
    default_registration: RegistrationMode,
    secure_cookies: bool,
    cache: Arc<SessionCache>,
    /// Single sign-on, when the config file sets it up.
    oidc: Option<oidc::Oidc>,
}

/// A signed-in user and the token that proves it.
pub struct SignedIn {
    pub user: User,
    pub token: String,
}

/// What a sign-up or sign-in brings besides the name and password.
#[derive(Debug, Default)]
pub struct SignUp {
    /// The secret of an invite link.
    pub invite: Option<String>,
    /// The client's `User-Agent`, kept with the session.
    pub user_agent: String,
}

impl Auth {
    pub fn new(
        store: Arc<dyn UserStore>,
        session_ttl: Duration,
        open_registration: bool,
        secure_cookies: bool,
        cache: Arc<SessionCache>,
    ) -> Self {
        let default_registration = if open_registration { RegistrationMode::Open } else { RegistrationMode::Closed };
        Auth { store, session_ttl, default_registration, secure_cookies, cache, oidc: None }
    }

    /// Adds single sign-on.
    pub fn with_oidc(mut self, oidc: oidc::Oidc) -> Self {
        self.oidc = Some(oidc);
        self
    }

    pub fn oidc(&self) -> Option<&oidc::Oidc> {
        self.oidc.as_ref()
    }

    /// Whether people may sign in and up with a password (not when single sign-on is on and
    /// the config file turns passwords off).
    pub fn password_login(&self) -> bool {
        self.oidc.as_ref().is_none_or(oidc::Oidc::password_login)
    }

    fn check_password_login(&self) -> Result<(), ApiError> {
        if self.password_login() {
            return Ok(());
        }
        Err(ApiError::Forbidden {
            code: "password_login_disabled",
            message: "this server signs people in through single sign-on only".into(),
        })
    }

    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }

    pub fn cache(&self) -> &Arc<SessionCache> {
        &self.cache
    }

    /// Whether `Set-Cookie` must say `Secure` for this request.
    pub fn secure_cookie(&self, headers: &HeaderMap) -> bool {
        self.secure_cookies || session::is_https(headers)
    }

    /// Who may register now: what an administrator stored, else what the server was started
    /// with (`--open-registration`).
    pub async fn registration(&self) -> Result<RegistrationMode, ApiError> {
        let stored = self.store.setting(REGISTRATION).await?;
        Ok(stored.as_deref().and_then(RegistrationMode::parse).unwrap_or(self.default_registration))
    }

    #[tracing::instrument(skip(self, password, sign_up))]
    pub async fn register(&self, username: &str, password: String, sign_up: SignUp) -> Result<SignedIn, ApiError> {
        self.check_password_login()?;
        let username = limits::check_username(username).map_err(invalid)?;
        limits::check_password(&password).map_err(invalid)?;
        if let Some(invite) = &sign_up.invite {
            limits::check_name("invite", invite).map_err(invalid)?;
        }
        let hash = password::hash(password).await?;
        let user = User { id: uuid::Uuid::new_v4(), username, created_at: now(), admin: false };
        let taken = |e| match e {
            StoreError::Conflict => ApiError::UsernameTaken,
            other => other.into(),
        };
        let created = match (&sign_up.invite, self.registration().await?) {
            (Some(invite), _) => {
                let invite_hash = session::token_hash(invite);
                let created = self.store.create_invited_user(&user, &hash, &invite_hash, now()).await.map_err(taken)?;
                created.ok_or_else(|| ApiError::Forbidden {
                    code: "invite_invalid",
                    message: "this invite link cannot be used: it was used already, has expired, or never existed; \
                              ask for a new one"
                        .into(),
                })?
            }
            (None, RegistrationMode::Open) => self.store.create_user(&user, &hash).await.map_err(taken)?,
            (None, mode) => self.store.create_first_user(&user, &hash).await.map_err(taken)?.ok_or_else(|| {
                let message = match mode {
                    RegistrationMode::Invite => {
                        "this server takes new accounts by invite only; ask its administrator \
                                                 for an invite link"
                    }
                    _ => "this server does not take new accounts; ask its administrator",
                };
                ApiError::Forbidden { code: "registration_closed", message: message.into() }
            })?,
        };
        tracing::info!(user = %created.username, admin = created.admin, "registered");
        self.start_session(created, &sign_up.user_agent).await
    }

    #[tracing::instrument(skip(self, password, user_agent))]
    pub async fn login(&self, username: &str, password: String, user_agent: &str) -> Result<SignedIn, ApiError> {
        self.check_password_login()?;
        // No account can have such a name or password, and the database must not see them.
        let username = username.trim();
        limits::check_name("username", username).map_err(invalid)?;
        limits::check_text("password", &password).map_err(invalid)?;
        let credentials = self.store.credentials(username).await?;
        let stored = credentials.as_ref().map(|c| c.password_hash.clone());
        if !password::verify(password, stored).await? {
            return Err(ApiError::InvalidCredentials);
        }
        let credentials = credentials.expect("verified, so it exists");
        if credentials.disabled {
            return Err(disabled());
        }
        self.start_session(credentials.user, user_agent).await
    }

    pub async fn logout(&self, token: &str) -> Result<(), ApiError> {
        let token_hash = session::token_hash(token);
        let user = self.resolve(token).await?;
        self.store.delete_session(&token_hash).await?;
        if let Some(user) = user {
            self.cache.account_changed(user.id);
        }
        Ok(())
    }

    /// The user a session token or a personal API token belongs to, if it is valid and
    /// unexpired and the account is not disabled.
    pub async fn resolve(&self, token: &str) -> Result<Option<User>, ApiError> {
        if token.is_empty() {
            return Ok(None);
        }
        let token_hash = session::token_hash(token);
        if let Some(user) = self.cache.get(&token_hash) {
            return Ok(Some(user));
        }
        let user = if token.starts_with(tokens::PREFIX) {
            self.store.api_token_user(&token_hash, now()).await?
        } else {
            self.store.session_user(&token_hash, now()).await?
        };
        if let Some(user) = &user {
            self.cache.insert(token_hash, user.clone());
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

    /// Completes when `token` (of `user`) stops being valid through a change this process
    /// hears of (sign-out, a disabled or deleted account, an ended session), for event
    /// streams to end with it. Starts listening at once, so no change after the call is
    /// missed.
    pub fn signed_out(self: &Arc<Self>, user: UserId, token: String) -> impl Future<Output = ()> + Send + 'static {
        let (auth, mut changes) = (self.clone(), self.cache.changes());
        async move {
            loop {
                match changes.recv().await {
                    Ok(changed) if changed != user => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return std::future::pending().await,
                }
                // A storage hiccup is not a sign-out: the stream goes on, and so does the check.
                if let Ok(None) = auth.resolve(&token).await {
                    return;
                }
            }
        }
    }

    pub async fn delete_expired_sessions(&self) -> Result<u64, StoreError> {
        self.store.delete_expired_sessions(now()).await
    }

    async fn start_session(&self, user: User, user_agent: &str) -> Result<SignedIn, ApiError> {
        let token = session::new_token();
        let created_at = now();
        let user_agent: String =
            user_agent.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT_CHARS).collect::<String>();
        let session = confab_store::Session {
            token_hash: session::token_hash(&token),
            user_id: user.id,
            created_at,
            expires_at: created_at + self.session_ttl,
            user_agent,
        };
        self.store.create_session(&session).await?;
        Ok(SignedIn { user, token })
    }
}

/// A refused username or password: `400 invalid_field`, naming the field.
fn invalid(error: app::limits::FieldError) -> ApiError {
    ApiError::bad_request("invalid_field", error.message)
}

fn disabled() -> ApiError {
    ApiError::Forbidden {
        code: "account_disabled",
        message: "this account is disabled; ask the server's administrator".into(),
    }
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
