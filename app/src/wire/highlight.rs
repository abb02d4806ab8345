//! Code highlighting, asked of the server for the code blocks on screen.

use serde::{Deserialize, Serialize};

/// The most blocks one request may carry.
pub const MAX_HIGHLIGHT_BLOCKS: usize = 32;
/// The longest language name, in characters.
pub const MAX_LANGUAGE_CHARS: usize = 40;
/// The largest block the server highlights; a larger one stays plain (and need not be sent).
pub const MAX_HIGHLIGHT_CODE_BYTES: usize = 100 * 1024;

/// `POST /api/highlight`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HighlightRequest {
    pub blocks: Vec<CodeBlockDTO>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeBlockDTO {
    /// As the fence names it: `rust`, `py`, `c++`, ...
    pub language: String,
    pub code: String,
}

/// Each block's highlighted HTML (the inside of its `<code>`: spans with `hl-` classes and
/// the code's text, escaped), or null when it stays plain: a language not known, a block
/// over 100 KiB or one that takes over 50 ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HighlightResponse {
    pub blocks: Vec<Option<String>>,
}
