//! A client for any OpenAI-compatible `/chat/completions` endpoint with `stream: true`
//! (OpenAI, OpenRouter, Ollama, llama.cpp's server, vLLM, LiteLLM, ...), and its `/models`.
//!
//! The HTTP is reqwest's and the server-sent events are parsed by `eventsource-stream`; the
//! submodules build the request ([`request`]), map the chunks ([`chunks`], with [`think`] for
//! reasoning inside the text), read the model list ([`models`]) and turn failures into errors
//! people can act on ([`errors`]).

mod chunks;
mod errors;
mod models;
mod request;
mod think;

use std::time::Duration;

use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures::stream::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{ChatRequest, ListedModel, ModelInfo, PromptMessage, PromptRole, Provider, ProviderError, ReplyStream};
use errors::{connection_error, redact, retry_after, status_error};
pub(crate) use request::tool_json;

#[derive(Clone)]
pub struct OpenAiConfig {
    /// The provider's name in Confab (`openai` unless the config file names it): model ids
    /// are `<name>/<model>`, and [`Provider::info`] reports it.
    pub name: String,
    /// Up to and including the version segment, e.g. `https://api.openai.com/v1` or
    /// `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    /// The default model, for [`Provider::info`] only: each request names its own model.
    pub model: String,
    /// How long to wait for the response headers.
    pub request_timeout: Duration,
    /// How long the stream may stay silent between two chunks.
    pub idle_timeout: Duration,
}

impl OpenAiConfig {
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        OpenAiConfig {
            name: "openai".into(),
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            request_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Debug output ends up in logs: it shows whether there is a key, never the key.
impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| errors::REDACTED))
            .field("model", &self.model)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

pub struct OpenAiProvider {
    client: reqwest::Client,
    config: OpenAiConfig,
}

impl OpenAiProvider {
    pub fn new(config: OpenAiConfig) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ProviderError::Connection(e.to_string()))?;
        Ok(OpenAiProvider { client, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn api_key(&self) -> Option<&str> {
        self.config.api_key.as_deref()
    }

    /// Sends the request `build` makes, with the key. A 429 is retried once, after the wait
    /// its `Retry-After` asks for (capped; a paused-time test does not wait at all); any
    /// other failing status, or a second 429, is the error.
    async fn send(&self, build: impl Fn() -> reqwest::RequestBuilder) -> Result<reqwest::Response, ProviderError> {
        let mut retried = false;
        loop {
            let request = match self.api_key() {
                Some(key) => build().bearer_auth(key),
                None => build(),
            };
            let response = tokio::time::timeout(self.config.request_timeout, request.send())
                .await
                .map_err(|_| ProviderError::Timeout)?
                .map_err(connection_error)?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            if status == StatusCode::TOO_MANY_REQUESTS && !retried {
                let wait = retry_after(response.headers());
                tracing::info!(provider = %self.config.name, ?wait, "rate limited (429): retrying once");
                drop(response);
                tokio::time::sleep(wait).await;
                retried = true;
                continue;
            }
            let body = tokio::time::timeout(self.config.request_timeout, response.text()).await;
            let body = body.ok().and_then(Result::ok).unwrap_or_default();
            return Err(status_error(status.as_u16(), &body, self.api_key()));
        }
    }
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            provider: self.config.name.clone(),
            model: self.config.model.clone(),
            label: format!("{} via {}", self.config.model, self.config.base_url),
        }
    }

    /// The models `GET {base_url}/models` lists. A 404 here means the server has no list,
    /// not an unknown model, so it is a plain [`ProviderError::Status`].
    async fn models(&self) -> Result<Vec<ListedModel>, ProviderError> {
        let url = self.url("models");
        let listing = async {
            let response = self.send(|| self.client.get(&url)).await?;
            let text = tokio::time::timeout(self.config.request_timeout, response.text())
                .await
                .map_err(|_| ProviderError::Timeout)?
                .map_err(connection_error)?;
            models::parse_model_list(&text)
        };
        listing.await.map_err(|error| match redact(error, self.api_key()) {
            ProviderError::UnknownModel { status, message } => ProviderError::Status { status, message },
            other => other,
        })
    }

    async fn stream(&self, request: ChatRequest) -> Result<ReplyStream, ProviderError> {
        let body = request::request_body(&request, true);
        let url = self.url("chat/completions");
        let key = self.config.api_key.clone();
        let response = self.send(|| self.client.post(&url).json(&body)).await.map_err(|e| redact(e, key.as_deref()))?;
        let events = response.bytes_stream().eventsource().boxed();
        let stream = chunks::chunk_stream(events, self.config.idle_timeout, key.clone());
        Ok(stream.map(move |item| item.map_err(|e| redact(e, key.as_deref()))).boxed())
    }

    async fn title(&self, model: &str, first_message: &str) -> Option<String> {
        let prompt = ChatRequest {
            model: model.to_string(),
            messages: vec![
                PromptMessage::new(
                    PromptRole::System,
                    "Write a title of at most six words for a conversation that starts with the \
                     user's message. Answer with the title only, no quotes.",
                ),
                PromptMessage::new(PromptRole::User, first_message),
            ],
            tools: Vec::new(),
            sampling: Default::default(),
        };
        let body = request::request_body(&prompt, false);
        let url = self.url("chat/completions");
        let response = self.send(|| self.client.post(&url).json(&body)).await.ok()?;
        let value: Value = response.json().await.ok()?;
        let content = value.pointer("/choices/0/message/content")?.as_str()?;
        let title = think::answer_only(content);
        let title = title.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!title.is_empty()).then(|| title.chars().take(80).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_s_debug_output_hides_the_key() {
        let mut config = OpenAiConfig::new("http://127.0.0.1:1/v1", "m");
        config.api_key = Some("sk-very-secret".into());
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-very-secret") && shown.contains("[redacted]"), "{shown}");
    }
}
