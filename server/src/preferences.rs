//! A user's defaults for new conversations and their presets: read, checked and changed by
//! compare-and-swap on the stored document, so two tabs saving at once both land.

use std::sync::Arc;

use app::limits;
use app::wire::{PresetDTO, PresetRequest, UserSettingsDTO};
use confab_core::{ModelSettings, SettingsPatch, UserId};
use confab_store::{ContextStore, Preset, StoreError, UserPreferences};
use uuid::Uuid;

use crate::chat::now_millis;
use crate::error::ApiError;
use crate::models::Catalog;

/// How many presets one user may keep.
pub const MAX_PRESETS: usize = 100;
/// How many times a change is tried while other writers keep saving first.
const ATTEMPTS: u32 = 5;

pub struct PreferenceService {
    store: Arc<dyn ContextStore>,
    models: Arc<Catalog>,
}

impl PreferenceService {
    pub fn new(store: Arc<dyn ContextStore>, models: Arc<Catalog>) -> Self {
        PreferenceService { store, models }
    }

    pub async fn user_settings(&self, user: UserId) -> Result<UserSettingsDTO, ApiError> {
        let (prefs, _) = self.store.preferences(user).await?;
        Ok(UserSettingsDTO { default_model: prefs.default_model, default_system_prompt: prefs.default_system_prompt })
    }

    pub async fn put_user_settings(&self, user: UserId, body: UserSettingsDTO) -> Result<UserSettingsDTO, ApiError> {
        if let Some(model) = &body.default_model {
            self.check_model(model).await?;
        }
        if let Some(prompt) = &body.default_system_prompt {
            check_prompt(prompt)?;
        }
        self.change(user, |prefs| {
            prefs.default_model = body.default_model.clone();
            prefs.default_system_prompt = body.default_system_prompt.clone();
            Ok(())
        })
        .await?;
        Ok(body)
    }

    pub async fn presets(&self, user: UserId) -> Result<Vec<PresetDTO>, ApiError> {
        let (prefs, _) = self.store.preferences(user).await?;
        Ok(prefs.presets.iter().map(preset_dto).collect())
    }

    pub async fn create_preset(&self, user: UserId, body: PresetRequest) -> Result<PresetDTO, ApiError> {
        let Some(name) = &body.name else {
            return Err(ApiError::bad_request("invalid_field", "a preset needs a name"));
        };
        let name = check_preset_name(name)?;
        let settings = self.checked_settings(&body, &ModelSettings::default()).await?;
        let preset = Preset { id: Uuid::new_v4(), name, settings, created_at: now_millis() };
        self.change(user, |prefs| {
            if prefs.presets.len() >= MAX_PRESETS {
                return Err(ApiError::bad_request("invalid_field", format!("at most {MAX_PRESETS} presets")));
            }
            prefs.presets.push(preset.clone());
            Ok(())
        })
        .await?;
        Ok(preset_dto(&preset))
    }

    pub async fn update_preset(&self, user: UserId, id: Uuid, body: PresetRequest) -> Result<PresetDTO, ApiError> {
        let name = body.name.as_deref().map(check_preset_name).transpose()?;
        let current = self.preset(user, id).await?;
        let settings = self.checked_settings(&body, &current.settings).await?;
        let mut updated = None;
        self.change(user, |prefs| {
            let preset = prefs.presets.iter_mut().find(|p| p.id == id).ok_or_else(no_preset)?;
            if let Some(name) = &name {
                preset.name = name.clone();
            }
            preset.settings = settings.clone();
            updated = Some(preset_dto(preset));
            Ok(())
        })
        .await?;
        updated.ok_or_else(no_preset)
    }

    pub async fn delete_preset(&self, user: UserId, id: Uuid) -> Result<(), ApiError> {
        self.change(user, |prefs| {
            let before = prefs.presets.len();
            prefs.presets.retain(|p| p.id != id);
            if prefs.presets.len() == before {
                return Err(no_preset());
            }
            Ok(())
        })
        .await
    }

    /// What a new conversation starts with: the preset's settings, else the user's defaults
    /// (each left to the server's when unset).
    pub async fn new_context_settings(&self, user: UserId, preset: Option<Uuid>) -> Result<ModelSettings, ApiError> {
        let (prefs, _) = self.store.preferences(user).await?;
        match preset {
            Some(id) => {
                let preset = prefs.presets.iter().find(|p| p.id == id).ok_or_else(|| {
                    ApiError::bad_request("invalid_field", format!("preset_id: you have no preset {id}"))
                })?;
                Ok(preset.settings.clone())
            }
            None => Ok(ModelSettings {
                model: prefs.default_model,
                system_prompt: prefs.default_system_prompt,
                ..ModelSettings::default()
            }),
        }
    }

    async fn preset(&self, user: UserId, id: Uuid) -> Result<Preset, ApiError> {
        let (prefs, _) = self.store.preferences(user).await?;
        prefs.presets.into_iter().find(|p| p.id == id).ok_or_else(no_preset)
    }

    /// The request's settings over `base`, checked as `update_settings` checks them.
    async fn checked_settings(&self, body: &PresetRequest, base: &ModelSettings) -> Result<ModelSettings, ApiError> {
        let patch = SettingsPatch {
            model: body.model.clone(),
            system_prompt: body.system_prompt.clone(),
            temperature: body.temperature.map(Some),
            top_p: body.top_p.map(Some),
            max_tokens: body.max_tokens.map(Some),
        };
        if patch.is_empty() {
            return Ok(base.clone());
        }
        crate::chat::check_settings(&patch)?;
        if let Some(model) = &patch.model {
            self.check_model(model).await?;
        }
        Ok(patch.applied_to(base))
    }

    async fn check_model(&self, model: &str) -> Result<(), ApiError> {
        self.models.check(model).await.map(|_| ()).map_err(|e| ApiError::bad_request("invalid_field", e.to_string()))
    }

    /// Applies `edit` to the stored document and saves it, starting again from what is
    /// stored when another writer saved in between.
    async fn change(
        &self,
        user: UserId,
        mut edit: impl FnMut(&mut UserPreferences) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        for _ in 0..ATTEMPTS {
            let (mut prefs, version) = self.store.preferences(user).await?;
            edit(&mut prefs)?;
            match self.store.put_preferences(user, &prefs, version).await {
                Err(StoreError::Conflict) => continue,
                other => return Ok(other?),
            }
        }
        Err(ApiError::Conflict("your settings kept changing elsewhere; try again".into()))
    }
}

fn check_prompt(prompt: &str) -> Result<(), ApiError> {
    let check = limits::check_text("default_system_prompt", prompt)
        .and_then(|_| limits::check_max_chars("default_system_prompt", prompt, limits::MAX_SYSTEM_PROMPT_CHARS));
    check.map_err(|e| ApiError::bad_request("invalid_field", e.message))
}

fn check_preset_name(name: &str) -> Result<String, ApiError> {
    let trimmed = name.trim();
    let check = limits::check_name("name", trimmed)
        .and_then(|_| limits::check_max_chars("name", trimmed, limits::MAX_PRESET_NAME_CHARS));
    check.map_err(|e| ApiError::bad_request("invalid_field", e.message))?;
    if trimmed.is_empty() {
        return Err(ApiError::bad_request("invalid_field", "name must not be empty"));
    }
    Ok(trimmed.to_string())
}

fn no_preset() -> ApiError {
    ApiError::NotFound("no such preset".into())
}

fn preset_dto(preset: &Preset) -> PresetDTO {
    let s = &preset.settings;
    PresetDTO {
        id: preset.id,
        name: preset.name.clone(),
        model: s.model.clone(),
        system_prompt: s.system_prompt.clone(),
        temperature: s.temperature,
        top_p: s.top_p,
        max_tokens: s.max_tokens,
    }
}
