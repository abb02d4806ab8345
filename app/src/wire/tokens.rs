//! Personal API tokens (DESIGN.md section 7): for scripts and other clients, used as
//! `Authorization: Bearer <token>`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The shortest and longest life a token may be given, in days.
pub const TOKEN_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
/// The longest token name.
pub const MAX_TOKEN_NAME_CHARS: usize = 100;

/// `POST /api/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What it is for (1 to 100 characters), shown in the list.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// 1 to 3650; absent: until revoked.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 3650))]
    pub expires_in_days: Option<u32>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenDTO {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What `POST /api/tokens` answers: the secret, this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedTokenDTO {
    pub id: Uuid,
    pub name: String,
    /// Shown once: only its hash is kept.
    pub token: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// `GET /api/tokens`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokensResponse {
    pub tokens: Vec<TokenDTO>,
}
