//! The OpenAI-compatible provider's errors people can act on, its rate-limit retry, and its
//! model list, against the fake server. Waits run on paused time, so they take no real time.

use confab_llm::fake_openai::{FakeOpenAi, FakeReply};
use confab_llm::{
    ChatRequest, FinishReason, ListedModel, OpenAiConfig, OpenAiProvider, PromptMessage, PromptRole, Provider,
    ProviderError, StreamEvent,
};
use futures::StreamExt;
use serde_json::json;
use tokio::time::Instant;

const KEY: &str = "sk-test-0123456789";

fn provider(fake: &FakeOpenAi) -> OpenAiProvider {
    let mut config = OpenAiConfig::new(fake.base_url.clone(), "test-model");
    config.api_key = Some(KEY.into());
    config.name = "local".into();
    OpenAiProvider::new(config).unwrap()
}

fn hello() -> ChatRequest {
    ChatRequest {
        model: "test-model".into(),
        messages: vec![PromptMessage::new(PromptRole::User, "hello")],
        ..Default::default()
    }
}

fn text(piece: &str) -> FakeReply {
    FakeReply::Text(vec![piece.to_string()])
}

async fn last_event(provider: &OpenAiProvider) -> Result<StreamEvent, ProviderError> {
    provider.stream(hello()).await?.collect::<Vec<_>>().await.pop().expect("an event")
}

#[tokio::test]
async fn a_refused_key_and_an_unknown_model_have_their_own_errors() {
    let fake = FakeOpenAi::scripted(vec![
        FakeReply::Status(401, "Incorrect API key".into()),
        FakeReply::Status(403, "Not allowed".into()),
        FakeReply::Status(404, "The model `nope` does not exist".into()),
    ])
    .await;
    let provider = provider(&fake);
    let error = provider.stream(hello()).await.err().unwrap();
    assert_eq!(error, ProviderError::Unauthorized { status: 401, message: "Incorrect API key".into() });
    let error = provider.stream(hello()).await.err().unwrap();
    assert!(matches!(error, ProviderError::Unauthorized { status: 403, .. }), "{error:?}");
    let error = provider.stream(hello()).await.err().unwrap();
    assert_eq!(error, ProviderError::UnknownModel { status: 404, message: "The model `nope` does not exist".into() });
}

#[tokio::test]
async fn the_key_is_scrubbed_from_what_the_server_echoes() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::Status(401, format!("Incorrect API key provided: {KEY}"))]).await;
    let error = provider(&fake).stream(hello()).await.err().unwrap();
    assert_eq!(
        error,
        ProviderError::Unauthorized { status: 401, message: "Incorrect API key provided: [redacted]".into() }
    );
    assert!(!error.to_string().contains(KEY));
    assert_eq!(fake.authorizations(), vec![Some(format!("Bearer {KEY}"))], "the key itself was sent");
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_once_after_the_wait_it_asks_for() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::RateLimited(7), text("ok")]).await;
    let start = Instant::now();
    assert_eq!(last_event(&provider(&fake)).await, Ok(StreamEvent::Finished(FinishReason::Stop)));
    assert_eq!(start.elapsed().as_secs(), 7);
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_wait_is_two_seconds_without_retry_after_and_at_most_thirty() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::Status(429, "slow down".into()), text("ok")]).await;
    let start = Instant::now();
    assert!(last_event(&provider(&fake)).await.is_ok());
    assert_eq!(start.elapsed().as_secs(), 2);

    let fake = FakeOpenAi::scripted(vec![FakeReply::RateLimited(3600), text("ok")]).await;
    let start = Instant::now();
    assert!(last_event(&provider(&fake)).await.is_ok());
    assert_eq!(start.elapsed().as_secs(), 30);
}

#[tokio::test(start_paused = true)]
async fn a_second_429_is_rate_limited() {
    let fake = FakeOpenAi::scripted(vec![FakeReply::RateLimited(1), FakeReply::RateLimited(1), text("never")]).await;
    let error = provider(&fake).stream(hello()).await.err().unwrap();
    assert!(matches!(&error, ProviderError::RateLimited { message } if message.contains("Rate limit")), "{error:?}");
    assert_eq!(fake.requests().len(), 2, "one retry only");
}

#[tokio::test]
async fn the_model_list_is_read_with_its_metadata() {
    let fake = FakeOpenAi::scripted(vec![]).await.with_models(vec![
        json!({ "id": "openai/gpt-4o", "context_length": 128000,
                "architecture": { "input_modalities": ["text", "image"] },
                "supported_parameters": ["tools", "temperature"] }),
        json!({ "id": "Qwen/Qwen2.5-7B", "object": "model", "max_model_len": 32768 }),
        json!({ "id": "llama3.1:8b", "object": "model", "owned_by": "library" }),
    ]);
    let models = provider(&fake).models().await.unwrap();
    assert_eq!(
        models,
        vec![
            ListedModel {
                name: "openai/gpt-4o".into(),
                context_length: Some(128000),
                vision: Some(true),
                tools: Some(true)
            },
            ListedModel { name: "Qwen/Qwen2.5-7B".into(), context_length: Some(32768), ..Default::default() },
            ListedModel { name: "llama3.1:8b".into(), ..Default::default() },
        ]
    );
    assert_eq!(fake.model_list_requests(), 1);
    assert_eq!(fake.authorizations(), vec![Some(format!("Bearer {KEY}"))]);
}

#[tokio::test]
async fn the_fake_lists_one_model_unless_told_otherwise() {
    let fake = FakeOpenAi::scripted(vec![]).await;
    let models = provider(&fake).models().await.unwrap();
    assert_eq!(models, vec![ListedModel { name: FakeOpenAi::DEFAULT_MODEL.into(), ..Default::default() }]);
}

#[tokio::test]
async fn a_failing_model_list_is_mapped_like_a_chat_request() {
    let fake = FakeOpenAi::scripted(vec![]).await;
    let provider = provider(&fake);
    fake.fail_models(401, format!("bad key {KEY}"));
    let error = provider.models().await.unwrap_err();
    assert_eq!(error, ProviderError::Unauthorized { status: 401, message: "bad key [redacted]".into() });
    fake.fail_models(404, "no such route");
    let error = provider.models().await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::Status { status: 404, message: "no such route".into() },
        "a server without a list, not an unknown model"
    );
    fake.set_models(vec![json!({ "id": "back" })]);
    assert_eq!(provider.models().await.unwrap()[0].name, "back");
}

#[tokio::test]
async fn the_provider_reports_its_configured_name() {
    let fake = FakeOpenAi::scripted(vec![]).await;
    let info = provider(&fake).info();
    assert_eq!((info.provider.as_str(), info.model.as_str()), ("local", "test-model"));
    let default = OpenAiProvider::new(OpenAiConfig::new(fake.base_url.clone(), "m")).unwrap();
    assert_eq!(default.info().provider, "openai");
}
