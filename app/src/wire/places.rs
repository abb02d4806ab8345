//! Where conversations sit in the list: pinned, archived, in a folder; and the folders.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// One of a person's folders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FolderDTO {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/folders`: by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FoldersResponse {
    pub folders: Vec<FolderDTO>,
}

/// `POST /api/folders`, `PATCH /api/folders/{id}`: a name, checked like a title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FolderRequest {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200, pattern = "\\S"))]
    pub name: String,
}

/// `PATCH /api/contexts/{id}`: what to change; what is left out stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateContextRequest {
    /// A title set by hand is never replaced by a generated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200, pattern = "\\S"))]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// Archived: out of the list, still found by search, restored by `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// One of your folders, or `null` for none.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Uuid>))]
    pub folder_id: Option<Option<Uuid>>,
}

impl UpdateContextRequest {
    pub fn rename(title: String) -> Self {
        Self { title: Some(title), ..Self::default() }
    }
}

/// A field that is there, even as `null`, is `Some`: `null` means "none", absent "unchanged".
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_left_out_stays_and_a_null_one_is_none() {
        let parse = |json: &str| serde_json::from_str::<UpdateContextRequest>(json).unwrap().folder_id;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"folder_id": null}"#), Some(None));
        let id = Uuid::from_u128(7);
        assert_eq!(parse(&format!(r#"{{"folder_id": "{id}"}}"#)), Some(Some(id)));
        assert!(serde_json::from_str::<UpdateContextRequest>(r#"{"folder": null}"#).is_err());
    }
}
