//! Read-only share links (DESIGN.md section 7).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The shortest and longest life a link may be given, in hours: an hour to a year.
pub const SHARE_HOURS: std::ops::RangeInclusive<u32> = 1..=24 * 366;

/// `POST /api/contexts/{id}/shares`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateShareRequest {
    /// 1 to 8784 (a year); absent: the link works until revoked.
    #[serde(default)]
    pub expires_in_hours: Option<u32>,
}

/// A link to a snapshot of a conversation's active branch as it was when shared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShareDTO {
    pub id: Uuid,
    pub token: String,
    /// The page's path on this server (`/s/<token>`).
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// `GET /api/contexts/{id}/shares`: newest first, expired ones included (they answer 404).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SharesResponse {
    pub shares: Vec<ShareDTO>,
}
