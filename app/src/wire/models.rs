//! Models, per-conversation settings, a user's defaults and presets (DESIGN.md section 7).

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// One model of `GET /api/models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelDTO {
    /// `provider/name`: what settings name.
    pub id: String,
    pub provider: String,
    pub name: String,
    /// Tokens of context, where known.
    pub context_length: Option<u32>,
    pub vision: bool,
    pub tools: bool,
    /// False when its provider could not be reached at the last look.
    pub available: bool,
    /// Why it is unavailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelsResponse {
    pub models: Vec<ModelDTO>,
}

/// A conversation's model settings as the server applies them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SettingsDTO {
    /// `provider/name`.
    pub model: String,
    pub system_prompt: String,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

/// A partial change of settings: a field left out stays; `null` for a parameter goes back
/// to the model's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsPatchDTO {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f32>, minimum = 0, maximum = 2))]
    pub temperature: Option<Option<f32>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f32>, minimum = 0, maximum = 1))]
    pub top_p: Option<Option<f32>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u32>, minimum = 1))]
    pub max_tokens: Option<Option<u32>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The body of `update_settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSettingsRequest {
    pub settings: SettingsPatchDTO,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
    /// The version of the conversation the client holds: the answer is then `{status, patch}`,
    /// the change from that version (DESIGN.md section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// With `base_version`: how many of the branch's newest messages the client holds
    /// (1 to 10,000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub window: Option<u32>,
}

/// Tokens a reply cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageDTO {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// How fast a reply came.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimingDTO {
    pub first_token_ms: u64,
    pub tokens_per_second: f32,
    /// How long the model reasoned before it answered, when it reasoned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_ms: Option<u64>,
}

/// `GET|PUT /api/me/settings`: what a new conversation starts with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserSettingsDTO {
    /// `provider/name`; null: the server's default.
    #[serde(default)]
    pub default_model: Option<String>,
    /// Null: Confab's default prompt.
    #[serde(default)]
    pub default_system_prompt: Option<String>,
}

/// A preset as `GET /api/presets` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PresetDTO {
    pub id: Uuid,
    pub name: String,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub max_tokens: Option<u32>,
}

/// `POST /api/presets` (every field) and `PATCH /api/presets/{id}` (a field left out stays).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresetRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100, pattern = "\\S"))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 2))]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 1))]
    pub top_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PresetsResponse {
    pub presets: Vec<PresetDTO>,
}
