//! Math, drawn by the server for the formulas on screen: the page's wasm then carries no
//! LaTeX parser.

use serde::{Deserialize, Serialize};

/// The most formulas one request may carry.
pub const MAX_MATH_FORMULAS: usize = 64;
/// The longest formula the server draws, in bytes; a longer one is shown as its source (and
/// need not be sent).
pub const MAX_MATH_SOURCE_BYTES: usize = 8 * 1024;

/// `POST /api/math`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MathRequest {
    pub formulas: Vec<FormulaDTO>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FormulaDTO {
    /// The LaTeX between the delimiters, without them.
    pub tex: String,
    /// A formula of its own (`$$...$$`, `\[...\]`) rather than one in a line of text.
    #[serde(default)]
    pub display: bool,
}

/// Each formula's HTML, in the order asked: a MathML `<math>` element, or, for one that
/// cannot be read (or is over 8 KiB), its source as `<code class="math-source">`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MathResponse {
    pub formulas: Vec<String>,
}
