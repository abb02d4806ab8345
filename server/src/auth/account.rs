//! A person's own account: their password, their sessions, and deleting it all.

use app::limits;
use app::wire::SessionDTO;
use confab_core::ContextId;
use confab_store::{Outcome, User, SESSION_ID_LEN};

use super::{invalid, password, session, Auth};

/// How recent a single sign-on must be to delete an account that has no password.
pub const FRESH_SIGN_IN_MINUTES: i64 = 10;
use crate::chat::now;
use crate::error::ApiError;

impl Auth {
    /// Sets `user`'s password after checking the current one, and ends every other session
    /// of theirs, in every process; the session of `token` (the one asking) stays.
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
        self.check_password(user, current).await?;
        let hash = password::hash(new).await?;
        let keep = session::token_hash(token);
        if !self.store.set_password(user.id, &hash, &keep).await? {
            return Err(ApiError::Unauthorized);
        }
        self.cache.account_changed(user.id);
        tracing::info!("password changed; the account's other sessions ended");
        Ok(())
    }

    /// `user`'s sessions, the one of `token` marked as current.
    pub async fn sessions(&self, user: &User, token: &str) -> Result<Vec<SessionDTO>, ApiError> {
        let current = session::token_hash(token);
        let sessions = self.store.sessions(user.id, now()).await?;
        Ok(sessions
            .into_iter()
            .map(|s| SessionDTO {
                current: current.starts_with(&s.id),
                id: s.id,
                created_at: s.created_at,
                expires_at: s.expires_at,
                last_used_at: s.last_used_at,
                user_agent: s.user_agent,
            })
            .collect())
    }

    /// Ends one of `user`'s sessions, in every process.
    pub async fn end_session(&self, user: &User, id: &str) -> Result<(), ApiError> {
        let well_formed =
            id.len() == SESSION_ID_LEN && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let ended = if well_formed { self.store.end_session(user.id, id).await? } else { None };
        ended.ok_or_else(|| ApiError::NotFound("no such session".into()))?;
        self.cache.account_changed(user.id);
        Ok(())
    }

    /// Deletes `user`'s account and everything it owns, once the password proves it is
    /// them (or, for an account made through single sign-on, which has none, a sign-in
    /// through the provider in the last [`FRESH_SIGN_IN_MINUTES`] minutes by the session of
    /// `token`). Answers the conversations that went (for the chat service to let go of).
    #[tracing::instrument(skip_all, fields(user = %user.username))]
    pub async fn delete_account(
        &self,
        user: &User,
        token: &str,
        password: Option<String>,
    ) -> Result<Vec<ContextId>, ApiError> {
        let stored = self.store.credentials(&user.username).await?.filter(|c| c.user.id == user.id);
        let stored = stored.ok_or(ApiError::Unauthorized)?;
        if stored.password_hash.is_empty() {
            self.check_fresh_sign_in(user, token).await?;
        } else {
            let password = password.ok_or_else(|| {
                ApiError::bad_request(
                    "wrong_password",
                    "give your password to delete your account; nothing was deleted",
                )
            })?;
            limits::check_text("password", &password).map_err(invalid)?;
            // The hash was read just above: checked against it, not looked up again.
            if !password::verify(password, Some(stored.password_hash)).await? {
                return Err(ApiError::bad_request("wrong_password", "the password is not right; nothing was deleted"));
            }
        }
        match self.store.delete_account(user.id).await? {
            Outcome::Done(contexts) => {
                self.cache.account_changed(user.id);
                tracing::info!(conversations = contexts.len(), "account deleted with everything it owned");
                Ok(contexts)
            }
            Outcome::NotFound => Err(ApiError::Unauthorized),
            Outcome::LastAdmin => Err(ApiError::LastAdmin(
                "you are the server's only administrator and other accounts exist: make someone else an \
                 administrator first; nothing was deleted"
                    .into(),
            )),
        }
    }

    /// For an account without a password: the session of `token` must be a sign-in of the
    /// last few minutes.
    async fn check_fresh_sign_in(&self, user: &User, token: &str) -> Result<(), ApiError> {
        let current = session::token_hash(token);
        let since = now() - chrono::Duration::minutes(FRESH_SIGN_IN_MINUTES);
        let sessions = self.store.sessions(user.id, now()).await?;
        if sessions.iter().any(|s| current.starts_with(&s.id) && s.created_at > since) {
            return Ok(());
        }
        Err(ApiError::bad_request(
            "reauthenticate",
            format!(
                "sign in again through single sign-on, then delete the account within {FRESH_SIGN_IN_MINUTES} \
                 minutes; nothing was deleted"
            ),
        ))
    }

    /// Checks `password` against `user`'s: `400 wrong_password` when it does not match.
    async fn check_password(&self, user: &User, password: String) -> Result<(), ApiError> {
        let stored = self.store.credentials(&user.username).await?.filter(|c| c.user.id == user.id);
        if !password::verify(password, stored.map(|c| c.password_hash)).await? {
            return Err(ApiError::bad_request(
                "wrong_password",
                "the current password is not right; nothing was changed",
            ));
        }
        Ok(())
    }
}
