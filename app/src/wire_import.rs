//! The answer of `POST /api/contexts/import` (DESIGN.md section 7): which conversations of
//! the file were imported, and which were skipped and why. Compiled for the browser and the
//! server, like [`crate::wire`].

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One conversation that is now yours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportedContextDTO {
    pub id: Uuid,
    pub title: String,
}

/// One conversation of the file that was not imported: nothing of it was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SkippedContextDTO {
    pub title: String,
    /// For people: `already imported`, or what is wrong and where.
    pub reason: String,
}

/// `{"imported": [{id, title}], "skipped": [{title, reason}]}`, in the file's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportResponse {
    pub imported: Vec<ImportedContextDTO>,
    pub skipped: Vec<SkippedContextDTO>,
}
