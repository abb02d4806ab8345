//! What a conversation asks of its model: which model, the system prompt, sampling
//! parameters; and what a reply cost (usage, timing).
//!
//! Ranges are checked here; whether a model exists and how many output tokens it allows is
//! the server's to check (it knows the providers).

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::FsmError;

pub const TEMPERATURE_RANGE: std::ops::RangeInclusive<f32> = 0.0..=2.0;
pub const TOP_P_RANGE: std::ops::RangeInclusive<f32> = 0.0..=1.0;

/// A conversation's model settings. `None` for the model or the system prompt means the
/// server's default (what conversations saved before settings existed have).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelSettings {
    /// `provider/model`.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

/// A partial change of settings: a missing field stays as it is; for the optional
/// parameters an explicit `null` goes back to the model's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub temperature: Option<Option<f32>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub top_p: Option<Option<f32>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<Option<u32>>,
}

/// A field that is present (even as `null`) is `Some`; serde's `default` leaves a missing
/// one `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl SettingsPatch {
    pub fn is_empty(&self) -> bool {
        *self == SettingsPatch::default()
    }

    /// Checks the ranges that do not depend on the model.
    pub fn check(&self) -> Result<(), FsmError> {
        if self.is_empty() {
            return Err(FsmError::Invalid("settings must change at least one field".into()));
        }
        if let Some(Some(t)) = self.temperature {
            if !TEMPERATURE_RANGE.contains(&t) {
                return Err(FsmError::Invalid(format!("temperature must be between 0 and 2, not {t}")));
            }
        }
        if let Some(Some(p)) = self.top_p {
            if !TOP_P_RANGE.contains(&p) {
                return Err(FsmError::Invalid(format!("top_p must be between 0 and 1, not {p}")));
            }
        }
        if let Some(Some(0)) = self.max_tokens {
            return Err(FsmError::Invalid("max_tokens must be at least 1".into()));
        }
        if self.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
            return Err(FsmError::Invalid("model must not be empty".into()));
        }
        Ok(())
    }

    /// The settings with this patch applied.
    pub fn applied_to(&self, settings: &ModelSettings) -> ModelSettings {
        let mut next = settings.clone();
        if let Some(model) = &self.model {
            next.model = Some(model.clone());
        }
        if let Some(prompt) = &self.system_prompt {
            next.system_prompt = Some(prompt.clone());
        }
        if let Some(t) = self.temperature {
            next.temperature = t;
        }
        if let Some(p) = self.top_p {
            next.top_p = p;
        }
        if let Some(m) = self.max_tokens {
            next.max_tokens = m;
        }
        next
    }
}

/// Tokens a reply cost, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// How fast a reply came.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// From the request to the first streamed token.
    pub first_token_ms: u64,
    /// Completion tokens per second after the first one.
    pub tokens_per_second: f32,
    /// How long the model reasoned before it answered, when it reasoned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_tells_a_missing_field_from_a_null_one() {
        let patch: SettingsPatch = serde_json::from_str(r#"{"temperature": null, "top_p": 0.5}"#).unwrap();
        assert_eq!(patch.temperature, Some(None));
        assert_eq!(patch.top_p, Some(Some(0.5)));
        assert_eq!(patch.max_tokens, None);
        let before = ModelSettings { temperature: Some(1.0), max_tokens: Some(100), ..Default::default() };
        let after = patch.applied_to(&before);
        assert_eq!(after.temperature, None);
        assert_eq!(after.top_p, Some(0.5));
        assert_eq!(after.max_tokens, Some(100));
    }

    #[test]
    fn out_of_range_parameters_are_refused_with_their_name() {
        let bad = |json: &str| serde_json::from_str::<SettingsPatch>(json).unwrap().check().unwrap_err().to_string();
        assert!(bad(r#"{"temperature": 2.5}"#).contains("temperature"));
        assert!(bad(r#"{"temperature": -0.1}"#).contains("temperature"));
        assert!(bad(r#"{"top_p": 1.5}"#).contains("top_p"));
        assert!(bad(r#"{"max_tokens": 0}"#).contains("max_tokens"));
        assert!(bad(r#"{"model": "  "}"#).contains("model"));
        assert!(bad("{}").contains("at least one"));
        assert!(serde_json::from_str::<SettingsPatch>(r#"{"temperature": 0, "top_p": 1}"#).unwrap().check().is_ok());
    }
}
