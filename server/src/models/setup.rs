//! The catalog a server starts with, from its flags and config file.

use std::sync::Arc;
use std::time::Duration;

use confab_llm::{BuiltinModel, OpenAiConfig, OpenAiProvider, Provider, ProviderError};

use super::config_file::{self, BUILTIN, FLAG_PROVIDER};
use super::{Catalog, ProviderEntry};
use crate::config::{Config, LlmKind};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the config file is refused: {0}")]
    File(#[from] config_file::ConfigFileError),
    #[error("cannot set up the model provider: {0}")]
    Provider(#[from] ProviderError),
    #[error("the config file names a provider {0:?}, which the --llm openai flags already make")]
    Clash(String),
}

/// The providers the flags and the config file name, and the default model. `given`, when
/// set, is a model of the caller's (tests, benchmarks) that answers as the default.
pub fn catalog(config: &Config, given: Option<Arc<dyn Provider>>) -> Result<Catalog, SetupError> {
    let builtin = BuiltinModel::new(Duration::from_millis(config.builtin_token_delay_ms))
        .with_context_length(config.builtin_context_length);
    let mut entries = vec![ProviderEntry::new(BUILTIN, clean(Arc::new(builtin)))];
    let mut default_model = format!("{BUILTIN}/{}", BuiltinModel::NAME);
    let timeout = Duration::from_secs(config.openai_timeout_secs);
    if let Some(provider) = given {
        let info = provider.info();
        entries.retain(|e| e.name != info.provider);
        let mut entry = ProviderEntry::new(info.provider.clone(), clean(provider));
        entry.always.push(info.model.clone());
        default_model = format!("{}/{}", info.provider, info.model);
        entries.push(entry);
    } else if config.llm == LlmKind::Openai {
        let mut openai = OpenAiConfig::new(config.openai_base_url.clone(), config.model.clone());
        openai.api_key = config.openai_api_key.clone().filter(|k| !k.is_empty());
        openai.request_timeout = timeout;
        openai.idle_timeout = timeout;
        let mut entry = ProviderEntry::new(FLAG_PROVIDER, clean(Arc::new(OpenAiProvider::new(openai)?)));
        entry.always.push(config.model.clone());
        default_model = format!("{FLAG_PROVIDER}/{}", config.model);
        entries.push(entry);
    }
    if let Some(path) = &config.config {
        let loaded = config_file::load(path, |name| std::env::var(name).ok())?;
        for setup in loaded.providers {
            if entries.iter().any(|e| e.name == setup.name) {
                return Err(SetupError::Clash(setup.name));
            }
            let mut openai = OpenAiConfig::new(setup.base_url, String::new());
            openai.name = setup.name.clone();
            openai.api_key = setup.api_key;
            openai.request_timeout = timeout;
            openai.idle_timeout = timeout;
            let mut entry = ProviderEntry::new(setup.name, clean(Arc::new(OpenAiProvider::new(openai)?)));
            entry.allow = setup.models;
            entry.context_length = setup.context_length;
            entry.vision = setup.vision;
            entries.push(entry);
        }
        if let Some(model) = loaded.default_model {
            default_model = model;
        }
    }
    Ok(Catalog::new(entries, default_model))
}

/// Nothing a model says reaches a save or a client with a NUL in it.
fn clean(provider: Arc<dyn Provider>) -> Arc<dyn Provider> {
    crate::untrusted::provider(provider)
}
