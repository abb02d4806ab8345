//! Which models there are and who serves them: the providers (the built-in model always,
//! the `--llm openai` flags as a provider named `openai`, any number from the config file),
//! their model lists (cached, refreshed in the background; a provider that is down is
//! listed as unavailable with its error, never failing the list), and the route from a
//! conversation's `provider/model` to the provider that answers it.

pub mod config_file;
mod setup;

pub use setup::{catalog, SetupError};

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use app::wire::ModelDTO;
use confab_llm::{ListedModel, Provider};
use tokio_util::sync::CancellationToken;

/// A model whose context length nobody states gets this many tokens: small enough for
/// most local models, so a long conversation is trimmed rather than refused.
pub const FALLBACK_CONTEXT_LENGTH: u32 = 8192;
/// How long one provider's model list may take before it counts as down.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// A provider and what the operator said about its models.
pub struct ProviderEntry {
    pub name: String,
    pub provider: Arc<dyn Provider>,
    /// Only these models (the config's `models`); `None`: whatever it lists.
    pub allow: Option<Vec<String>>,
    /// Models listed even when the provider cannot be asked (the `--model` of the flags).
    pub always: Vec<String>,
    pub context_length: HashMap<String, u32>,
    pub vision: Vec<String>,
}

impl ProviderEntry {
    pub fn new(name: impl Into<String>, provider: Arc<dyn Provider>) -> Self {
        ProviderEntry {
            name: name.into(),
            provider,
            allow: None,
            always: Vec::new(),
            context_length: HashMap::new(),
            vision: Vec::new(),
        }
    }
}

/// What a provider listed at the last look.
#[derive(Debug, Clone, Default)]
struct Listing {
    models: Vec<ListedModel>,
    error: Option<String>,
}

/// Where a conversation's model is served, and what to plan its request with.
#[derive(Clone)]
pub struct Route {
    pub provider: Arc<dyn Provider>,
    /// `provider/name`.
    pub id: String,
    /// The name at the provider.
    pub name: String,
    pub context_length: u32,
}

/// Why a model cannot be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("there is no model {0:?}")]
    Unknown(String),
    #[error("the model {id:?} is unavailable: {reason}")]
    Unavailable { id: String, reason: String },
}

pub struct Catalog {
    providers: Vec<ProviderEntry>,
    default_model: String,
    listings: RwLock<HashMap<String, Listing>>,
}

impl Catalog {
    /// `default_model` is `provider/name` of one of `providers`.
    pub fn new(providers: Vec<ProviderEntry>, default_model: String) -> Self {
        Catalog { providers, default_model, listings: RwLock::default() }
    }

    /// One provider whose `info()` model is the default (for tests and benchmarks).
    pub fn only(provider: Arc<dyn Provider>) -> Self {
        let info = provider.info();
        let mut entry = ProviderEntry::new(info.provider.clone(), provider);
        entry.always.push(info.model.clone());
        Catalog::new(vec![entry], format!("{}/{}", info.provider, info.model))
    }

    pub fn default_model(&self) -> &str {
        &self.default_model
    }

    /// The provider behind the default model (what `/api/info` describes).
    pub fn default_provider(&self) -> Option<&Arc<dyn Provider>> {
        let (provider, _) = self.default_model.split_once('/')?;
        self.providers.iter().find(|p| p.name == provider).map(|p| &p.provider)
    }

    /// Asks every provider for its models at once; each answers or fails on its own.
    pub async fn refresh(&self) {
        let lists = self.providers.iter().map(|entry| async move {
            let listing = match tokio::time::timeout(LIST_TIMEOUT, entry.provider.models()).await {
                Ok(Ok(models)) => Listing { models, error: None },
                Ok(Err(error)) => Listing { models: Vec::new(), error: Some(error.to_string()) },
                Err(_) => Listing { models: Vec::new(), error: Some("the model list did not come in time".into()) },
            };
            if let Some(error) = &listing.error {
                tracing::warn!(provider = %entry.name, %error, "could not list the provider's models");
            }
            (entry.name.clone(), listing)
        });
        let fresh = futures::future::join_all(lists).await;
        let mut listings = self.listings.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (name, listing) in fresh {
            // A provider that is down keeps the models it listed before, shown unavailable.
            let kept = match (&listing.error, listings.get(&name)) {
                (Some(error), Some(before)) => Listing { models: before.models.clone(), error: Some(error.clone()) },
                _ => listing,
            };
            listings.insert(name, kept);
        }
    }

    /// Refreshes the lists now, then every `every`, until `closing`.
    pub fn spawn_refresh(self: &Arc<Self>, every: Duration, closing: CancellationToken) {
        let catalog = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(catalog) = catalog.upgrade() else { return };
                catalog.refresh().await;
                drop(catalog);
                tokio::select! {
                    _ = closing.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        });
    }

    /// Every model of every provider, providers in their configured order.
    pub async fn models(&self) -> Vec<ModelDTO> {
        if self.listings.read().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty() {
            self.refresh().await;
        }
        let listings = self.listings.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut models = Vec::new();
        for entry in &self.providers {
            let listing = listings.get(&entry.name).cloned().unwrap_or_default();
            for listed in offered(entry, &listing) {
                models.push(ModelDTO {
                    id: format!("{}/{}", entry.name, listed.name),
                    provider: entry.name.clone(),
                    context_length: Some(context_length(entry, &listed)),
                    vision: listed.vision.unwrap_or(false) || entry.vision.contains(&listed.name),
                    tools: listed.tools.unwrap_or(true),
                    available: listing.error.is_none(),
                    error: listing.error.clone(),
                    name: listed.name,
                });
            }
        }
        models
    }

    /// The model a conversation may be switched to: known and reachable now.
    pub async fn check(&self, id: &str) -> Result<ModelDTO, ModelError> {
        let model =
            self.models().await.into_iter().find(|m| m.id == id).ok_or_else(|| ModelError::Unknown(id.into()))?;
        match &model.error {
            Some(reason) => Err(ModelError::Unavailable { id: id.into(), reason: reason.clone() }),
            None => Ok(model),
        }
    }

    /// Whether the model `id` takes images (the config or the provider's list says so).
    pub async fn takes_images(&self, id: &str) -> bool {
        self.models().await.iter().any(|model| model.id == id && model.vision)
    }

    /// The models that take images and can be reached now, in the catalog's order.
    pub async fn image_models(&self) -> Vec<String> {
        self.models().await.into_iter().filter(|m| m.vision && m.available).map(|m| m.id).collect()
    }

    /// Where to send a request for `id`. The provider is asked even when its last list
    /// failed (it may be back); only a provider nobody configured is an error.
    pub fn route(&self, id: &str) -> Result<Route, ModelError> {
        let (provider, name) = id.split_once('/').ok_or_else(|| ModelError::Unknown(id.into()))?;
        let entry = self.providers.iter().find(|p| p.name == provider).ok_or_else(|| ModelError::Unknown(id.into()))?;
        let listings = self.listings.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let listed = listings
            .get(provider)
            .and_then(|l| l.models.iter().find(|m| m.name == name).cloned())
            .unwrap_or_else(|| ListedModel { name: name.to_string(), ..ListedModel::default() });
        Ok(Route {
            provider: entry.provider.clone(),
            id: id.to_string(),
            name: name.to_string(),
            context_length: context_length(entry, &listed),
        })
    }
}

/// The models a provider offers: its allow-list if it has one (with what the list says of
/// them), else what it listed, plus the ones always shown.
fn offered(entry: &ProviderEntry, listing: &Listing) -> Vec<ListedModel> {
    let find = |name: &str| {
        listing
            .models
            .iter()
            .find(|m| m.name == name)
            .cloned()
            .unwrap_or_else(|| ListedModel { name: name.to_string(), ..ListedModel::default() })
    };
    let mut models: Vec<ListedModel> = match &entry.allow {
        Some(allow) => allow.iter().map(|name| find(name)).collect(),
        None => listing.models.clone(),
    };
    for name in &entry.always {
        if !models.iter().any(|m| &m.name == name) {
            models.push(find(name));
        }
    }
    models
}

/// The config says, else the provider's list says, else what is known of well-known
/// models, else a conservative default.
fn context_length(entry: &ProviderEntry, listed: &ListedModel) -> u32 {
    entry
        .context_length
        .get(&listed.name)
        .copied()
        .or(listed.context_length)
        .or_else(|| known_context_length(&listed.name))
        .unwrap_or(FALLBACK_CONTEXT_LENGTH)
}

/// OpenAI's `/v1/models` says nothing of context; these are its published lengths.
fn known_context_length(name: &str) -> Option<u32> {
    const KNOWN: [(&str, u32); 8] = [
        ("gpt-4.1", 1_047_576),
        ("gpt-4o", 128_000),
        ("gpt-4-turbo", 128_000),
        ("gpt-5", 400_000),
        ("o1", 200_000),
        ("o3", 200_000),
        ("o4", 200_000),
        ("gpt-3.5-turbo", 16_385),
    ];
    KNOWN.iter().find(|(prefix, _)| name.starts_with(prefix)).map(|&(_, tokens)| tokens)
}
