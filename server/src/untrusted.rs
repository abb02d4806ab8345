//! Text that comes from outside the server's control: a model's streamed reply and its tool
//! calls, its errors, the titles it writes, and what tools answer. None of it is refused (it
//! is what happened), but a NUL in it cannot be kept: PostgreSQL's `text` holds none, and a
//! reply that could not be saved would be lost. So every NUL becomes U+FFFD here, at the
//! boundary, before anything is saved, published or sent on ([`app::limits::replace_nul`]).

use std::sync::Arc;

use app::limits::{clean_name, replace_nul_in_json, replace_nul_owned};
use async_trait::async_trait;
use confab_llm::{
    ChatRequest, ListedModel, ModelInfo, PromptToolCall, Provider, ProviderError, ReplyStream, StreamEvent,
};
use futures::StreamExt;

/// `provider`, with everything it says cleaned of NUL.
pub fn provider(provider: Arc<dyn Provider>) -> Arc<dyn Provider> {
    Arc::new(Cleaned(provider))
}

/// A tool's output or error message, cleaned of NUL.
pub fn tool_output(output: Result<String, String>) -> Result<String, String> {
    output.map(replace_nul_owned).map_err(replace_nul_owned)
}

struct Cleaned(Arc<dyn Provider>);

#[async_trait]
impl Provider for Cleaned {
    fn info(&self) -> ModelInfo {
        self.0.info()
    }

    async fn models(&self) -> Result<Vec<ListedModel>, ProviderError> {
        let models = self.0.models().await.map_err(error)?;
        Ok(models.into_iter().map(|m| ListedModel { name: clean_name(&m.name).into_owned(), ..m }).collect())
    }

    async fn stream(&self, request: ChatRequest) -> Result<ReplyStream, ProviderError> {
        let stream = self.0.stream(request).await.map_err(error)?;
        Ok(stream.map(|item| item.map(event).map_err(error)).boxed())
    }

    /// A title is a short name: its first line, with control and bidirectional formatting
    /// characters replaced too.
    async fn title(&self, model: &str, first_message: &str) -> Option<String> {
        let title = self.0.title(model, first_message).await?;
        Some(clean_name(title.lines().next().unwrap_or_default().trim()).into_owned())
    }
}

fn event(event: StreamEvent) -> StreamEvent {
    match event {
        StreamEvent::Text(text) => StreamEvent::Text(replace_nul_owned(text)),
        StreamEvent::ToolCalls(calls) => StreamEvent::ToolCalls(calls.into_iter().map(tool_call).collect()),
        StreamEvent::Reasoning(text) => StreamEvent::Reasoning(replace_nul_owned(text)),
        other @ (StreamEvent::Usage(_) | StreamEvent::Finished(_)) => other,
    }
}

fn tool_call(call: PromptToolCall) -> PromptToolCall {
    let mut arguments = call.arguments;
    replace_nul_in_json(&mut arguments);
    PromptToolCall { id: replace_nul_owned(call.id), name: replace_nul_owned(call.name), arguments }
}

fn error(error: ProviderError) -> ProviderError {
    match error {
        ProviderError::Status { status, message } => {
            ProviderError::Status { status, message: replace_nul_owned(message) }
        }
        ProviderError::Unauthorized { status, message } => {
            ProviderError::Unauthorized { status, message: replace_nul_owned(message) }
        }
        ProviderError::UnknownModel { status, message } => {
            ProviderError::UnknownModel { status, message: replace_nul_owned(message) }
        }
        ProviderError::RateLimited { message } => ProviderError::RateLimited { message: replace_nul_owned(message) },
        ProviderError::Connection(message) => ProviderError::Connection(replace_nul_owned(message)),
        ProviderError::Protocol(message) => ProviderError::Protocol(replace_nul_owned(message)),
        ProviderError::Timeout => ProviderError::Timeout,
    }
}

#[cfg(test)]
mod tests {
    use futures::stream;
    use serde_json::json;

    use super::*;

    /// A model that says whatever it is told to.
    struct Parrot(Vec<Result<StreamEvent, ProviderError>>);

    #[async_trait]
    impl Provider for Parrot {
        fn info(&self) -> ModelInfo {
            ModelInfo { provider: "test".into(), model: "parrot".into(), label: "parrot".into() }
        }
        async fn stream(&self, _request: ChatRequest) -> Result<ReplyStream, ProviderError> {
            Ok(stream::iter(self.0.clone()).boxed())
        }
        async fn models(&self) -> Result<Vec<ListedModel>, ProviderError> {
            Ok(vec![ListedModel { name: "par\0rot".into(), ..ListedModel::default() }])
        }

        async fn title(&self, _model: &str, _first_message: &str) -> Option<String> {
            Some("A\0 title\u{202E}\nsecond line".into())
        }
    }

    #[tokio::test]
    async fn nul_never_gets_past_the_provider() {
        let call = PromptToolCall { id: "c\0".into(), name: "calc\0".into(), arguments: json!({ "x": "1\0" }) };
        let parrot = Parrot(vec![
            Ok(StreamEvent::Text("he\0llo".into())),
            Ok(StreamEvent::ToolCalls(vec![call])),
            Err(ProviderError::Status { status: 500, message: "bro\0ken".into() }),
        ]);
        let cleaned = provider(Arc::new(parrot));
        let events: Vec<_> = cleaned.stream(ChatRequest::default()).await.unwrap().collect().await;
        let expected_call = PromptToolCall {
            id: "c\u{FFFD}".into(),
            name: "calc\u{FFFD}".into(),
            arguments: json!({ "x": "1\u{FFFD}" }),
        };
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::Text("he\u{FFFD}llo".into())),
                Ok(StreamEvent::ToolCalls(vec![expected_call])),
                Err(ProviderError::Status { status: 500, message: "bro\u{FFFD}ken".into() }),
            ]
        );
        assert_eq!(cleaned.title("parrot", "hi").await.unwrap(), "A\u{FFFD} title\u{FFFD}");
        assert_eq!(cleaned.models().await.unwrap()[0].name, "par\u{FFFD}rot");
        assert_eq!(tool_output(Ok("out\0".into())), Ok("out\u{FFFD}".into()));
        assert_eq!(tool_output(Err("err\0".into())), Err("err\u{FFFD}".into()));
    }
}
