//! Running the accounts (DESIGN.md section 7): each person's sessions and the deletion of
//! their account, and the administrators' users, registration mode and invites.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The shortest and longest life of an invite link, in days.
pub const INVITE_DAYS: std::ops::RangeInclusive<u32> = 1..=30;
/// An invite's life when none is asked for.
pub const DEFAULT_INVITE_DAYS: u32 = 7;

/// One of your sessions: a browser or device signed in as you.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionDTO {
    /// Names the session for `DELETE /api/auth/sessions/{id}`; it is not a credential.
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The browser's `User-Agent` when it signed in (shortened).
    pub user_agent: String,
    /// The session this request came with.
    pub current: bool,
}

/// `GET /api/auth/sessions`: the most recently used first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionsResponse {
    pub sessions: Vec<SessionDTO>,
}

/// `DELETE /api/auth/me`: the password proves it is you (an account without one, made
/// through single sign-on, sends none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    #[serde(default)]
    pub password: Option<String>,
}

/// What `DELETE /api/auth/me` answers: what went with the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountDeletedDTO {
    pub username: String,
    pub conversations: u64,
}

/// A user as the administrators see them: never their conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminUserDTO {
    pub id: Uuid,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub admin: bool,
    pub disabled: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub conversations: u64,
    /// The bytes of the files they keep.
    pub storage_bytes: u64,
}

/// `GET /api/admin/users`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminUsersResponse {
    pub users: Vec<AdminUserDTO>,
}

/// `PATCH /api/admin/users/{id}`: what to change; absent fields stay. Never leaves the
/// server without an enabled administrator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeUserRequest {
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub admin: Option<bool>,
}

/// `POST /api/admin/users/{id}/password`: a new password set by an administrator; every
/// session of the account ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 256))]
    pub new_password: String,
}

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegistrationMode {
    /// Anyone who reaches the server.
    Open,
    /// Nobody (but the very first account).
    Closed,
    /// Whoever has an unused invite link.
    Invite,
}

impl RegistrationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Open => "open",
            RegistrationMode::Closed => "closed",
            RegistrationMode::Invite => "invite",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [RegistrationMode::Open, RegistrationMode::Closed, RegistrationMode::Invite]
            .into_iter()
            .find(|mode| mode.as_str() == text)
    }
}

/// `GET|PUT /api/admin/registration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegistrationDTO {
    pub mode: RegistrationMode,
}

/// `POST /api/admin/invites`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInviteRequest {
    /// 1 to 30; absent: 7.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 30))]
    pub expires_in_days: Option<u32>,
}

/// A new invite: the link to hand to one person, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InviteDTO {
    /// A path on this server (`/register?invite=...`): the page that creates the account.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/auth/methods` (public): how people sign in here, for the sign-in page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignInMethodsDTO {
    /// With a username and password (and sign up with one).
    pub password: bool,
    /// Through single sign-on: `GET /api/auth/oidc/start?next=/path`.
    pub sso: bool,
}
