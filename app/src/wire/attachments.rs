//! Files sent with messages (DESIGN.md section 7).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most files one message may carry by default (the server's
/// `--max-attachments-per-message`).
pub const DEFAULT_MAX_ATTACHMENTS_PER_MESSAGE: usize = 10;

/// An uploaded file: `POST /api/attachments` answers with it, and messages list theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttachmentDTO {
    pub id: Uuid,
    /// Cleaned of any path and control characters.
    pub name: String,
    /// Decided by the server from the bytes (`image/png`, `image/jpeg`,
    /// `text/plain; charset=utf-8`, `application/pdf`).
    pub media_type: String,
    /// In bytes, as stored (an image after re-encoding).
    pub size: u64,
}

impl AttachmentDTO {
    pub fn is_image(&self) -> bool {
        self.media_type.starts_with("image/")
    }

    /// Where its owner reads its bytes.
    pub fn url(&self) -> String {
        format!("/api/attachments/{}", self.id)
    }
}

/// A file in an export: what a message lists, with its bytes (base64) so the file holds
/// everything; a share's snapshot leaves the bytes out (its page serves them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportedAttachment {
    pub id: Uuid,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    /// The bytes, base64 (standard alphabet, padded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}
