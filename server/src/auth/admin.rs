//! What administrators do: see every account (never its conversations), disable, enable,
//! promote and demote them, set a password, and decide who may register (open, closed, or
//! by single-use invite links).

use app::limits;
use app::wire::{AdminUserDTO, ChangeUserRequest, InviteDTO, RegistrationMode, DEFAULT_INVITE_DAYS, INVITE_DAYS};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Duration;
use confab_core::UserId;
use confab_store::{AccountChange, Invite, Outcome, User, UserSummary};

use super::{password, session, Auth, CurrentUser, REGISTRATION};
use crate::chat::now;
use crate::error::ApiError;
use crate::state::AppState;

/// A signed-in administrator; anyone else is refused with `403 admin_only`.
#[derive(Debug, Clone)]
pub struct AdminUser(pub User);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if !user.admin {
            return Err(ApiError::Forbidden {
                code: "admin_only",
                message: "only the server's administrators may do this".into(),
            });
        }
        Ok(AdminUser(user))
    }
}

fn dto(summary: UserSummary) -> AdminUserDTO {
    AdminUserDTO {
        id: summary.user.id,
        username: summary.user.username,
        created_at: summary.user.created_at,
        admin: summary.user.admin,
        disabled: summary.disabled,
        last_seen_at: summary.last_seen_at,
        conversations: summary.conversations,
        storage_bytes: summary.storage_bytes,
    }
}

fn last_admin() -> ApiError {
    ApiError::LastAdmin(
        "this is the server's last enabled administrator: make someone else an administrator first; nothing was \
         changed"
            .into(),
    )
}

impl Auth {
    pub async fn users(&self) -> Result<Vec<AdminUserDTO>, ApiError> {
        Ok(self.store.users().await?.into_iter().map(dto).collect())
    }

    /// Disables, enables, promotes or demotes `id`. A disabled account's sessions end and its
    /// tokens are refused from the next request, in every process.
    #[tracing::instrument(skip(self, by), fields(by = %by.username))]
    pub async fn change_user(
        &self,
        by: &User,
        id: UserId,
        change: ChangeUserRequest,
    ) -> Result<AdminUserDTO, ApiError> {
        let change = AccountChange { disabled: change.disabled, admin: change.admin };
        match self.store.change_account(id, change).await? {
            Outcome::Done(_) => {}
            Outcome::NotFound => return Err(ApiError::NotFound("no such user".into())),
            Outcome::LastAdmin => return Err(last_admin()),
        }
        self.cache.account_changed(id);
        tracing::info!(user = %id, disabled = ?change.disabled, admin = ?change.admin, "account changed");
        let users = self.store.users().await?;
        let changed = users.into_iter().find(|s| s.user.id == id);
        changed.map(dto).ok_or_else(|| ApiError::NotFound("no such user".into()))
    }

    /// Sets `id`'s password; every session of the account ends.
    #[tracing::instrument(skip(self, by, new), fields(by = %by.username))]
    pub async fn reset_password(&self, by: &User, id: UserId, new: String) -> Result<(), ApiError> {
        limits::check_password(&new)
            .map_err(|e| ApiError::bad_request("invalid_field", format!("new {}", e.message)))?;
        let hash = password::hash(new).await?;
        // No session hash is empty: every one of them ends.
        if !self.store.set_password(id, &hash, "").await? {
            return Err(ApiError::NotFound("no such user".into()));
        }
        self.cache.account_changed(id);
        tracing::info!(user = %id, "password set by an administrator; the account's sessions ended");
        Ok(())
    }

    pub async fn set_registration(&self, by: &User, mode: RegistrationMode) -> Result<(), ApiError> {
        self.store.put_setting(REGISTRATION, mode.as_str()).await?;
        tracing::info!(by = %by.username, mode = mode.as_str(), "registration mode set");
        Ok(())
    }

    /// Stores the registration mode the server was started with, unless one is stored:
    /// `--open-registration` decides the first value only.
    pub async fn settle_registration(&self) -> Result<(), confab_store::StoreError> {
        if self.store.setting(REGISTRATION).await?.is_none() {
            self.store.put_setting(REGISTRATION, self.default_registration.as_str()).await?;
        }
        Ok(())
    }

    /// A single-use invite link, valid for `days` (default 7).
    pub async fn create_invite(&self, by: &User, days: Option<u32>) -> Result<InviteDTO, ApiError> {
        let days = days.unwrap_or(DEFAULT_INVITE_DAYS);
        if !INVITE_DAYS.contains(&days) {
            let (min, max) = (INVITE_DAYS.start(), INVITE_DAYS.end());
            return Err(ApiError::bad_request("invalid_field", format!("expires_in_days: {min} to {max}, not {days}")));
        }
        let secret = session::new_token();
        let created_at = now();
        let invite = Invite {
            token_hash: session::token_hash(&secret),
            created_by: by.id,
            created_at,
            expires_at: created_at + Duration::days(i64::from(days)),
        };
        self.store.create_invite(&invite).await?;
        tracing::info!(by = %by.username, days, "invite created");
        Ok(InviteDTO { url: format!("/register?invite={secret}"), expires_at: invite.expires_at })
    }
}
