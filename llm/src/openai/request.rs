//! The chat-completions request body.

use serde_json::{json, Value};

use crate::{AttachmentContent, ChatRequest, PromptMessage, PromptRole, ToolSpec};

/// The request body in the chat-completions wire format. Sampling parameters are sent only
/// when set, so the server's defaults hold otherwise; a streaming request asks for the usage
/// (it comes in a last chunk of its own).
pub(crate) fn request_body(request: &ChatRequest, stream: bool) -> Value {
    let messages: Vec<Value> = request.messages.iter().map(message_json).collect();
    let mut body = json!({ "model": request.model, "messages": messages, "stream": stream });
    if stream {
        body["stream_options"] = json!({ "include_usage": true });
    }
    if !request.tools.is_empty() {
        body["tools"] = request.tools.iter().map(tool_json).collect();
    }
    let sampling = &request.sampling;
    if let Some(temperature) = sampling.temperature {
        body["temperature"] = float_json(temperature);
    }
    if let Some(top_p) = sampling.top_p {
        body["top_p"] = float_json(top_p);
    }
    if let Some(max_tokens) = sampling.max_tokens {
        // OpenAI's reasoning models refuse `max_tokens`; they take `max_completion_tokens`.
        let key = if is_openai_reasoning_model(&request.model) { "max_completion_tokens" } else { "max_tokens" };
        body[key] = json!(max_tokens);
    }
    body
}

/// o1, o3, o4-mini, gpt-5...: the models whose output budget is `max_completion_tokens`.
fn is_openai_reasoning_model(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or(model);
    let o_series = name.len() >= 2 && name.starts_with('o') && name[1..2].chars().all(|c| c.is_ascii_digit());
    o_series || name.starts_with("gpt-5")
}

/// A tool as the chat-completions format offers it.
pub(crate) fn tool_json(tool: &ToolSpec) -> Value {
    json!({ "type": "function", "function": {
        "name": tool.name, "description": tool.description, "parameters": tool.parameters } })
}

/// An `f32` as the number a person typed: `0.7`, not `0.699999988079071` (its exact value
/// widened to `f64`).
fn float_json(value: f32) -> Value {
    value.to_string().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
}

fn message_json(message: &PromptMessage) -> Value {
    match message.role {
        PromptRole::System => json!({ "role": "system", "content": message.content }),
        PromptRole::User if message.attachments.is_empty() => json!({ "role": "user", "content": message.content }),
        PromptRole::User => json!({ "role": "user", "content": user_parts(message) }),
        PromptRole::Tool => json!({
            "role": "tool", "tool_call_id": message.tool_call_id, "content": message.content }),
        PromptRole::Assistant if message.tool_calls.is_empty() => {
            json!({ "role": "assistant", "content": message.content })
        }
        PromptRole::Assistant => {
            let calls: Vec<Value> = message
                .tool_calls
                .iter()
                .map(|call| {
                    json!({ "id": call.id, "type": "function", "function": {
                        "name": call.name, "arguments": call.arguments.to_string() } })
                })
                .collect();
            let content = (!message.content.is_empty()).then_some(message.content.as_str());
            json!({ "role": "assistant", "content": content, "tool_calls": calls })
        }
    }
}

/// A user message with files, as content parts: its words, each file read as text in a
/// text part of its own, and each image as an `image_url` part.
fn user_parts(message: &PromptMessage) -> Vec<Value> {
    let mut parts = Vec::with_capacity(message.attachments.len() + 1);
    if !message.content.is_empty() {
        parts.push(json!({ "type": "text", "text": message.content }));
    }
    for file in &message.attachments {
        parts.push(match &file.content {
            AttachmentContent::Image { data_url } => json!({ "type": "image_url", "image_url": { "url": data_url } }),
            _ => json!({ "type": "text", "text": file.as_text() }),
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sampling;

    #[test]
    fn sampling_is_sent_only_when_set_and_as_typed() {
        let mut request = ChatRequest { model: "m".into(), ..Default::default() };
        let body = request_body(&request, false);
        for key in ["temperature", "top_p", "max_tokens", "stream_options", "tools"] {
            assert!(body.get(key).is_none(), "{key}: {body}");
        }
        request.sampling = Sampling { temperature: Some(0.7), top_p: Some(0.95), max_tokens: Some(256) };
        let body = request_body(&request, true);
        assert_eq!(body["temperature"], json!(0.7));
        assert_eq!(body["top_p"], json!(0.95));
        assert_eq!(body["max_tokens"], json!(256));
        assert_eq!(body["stream_options"], json!({ "include_usage": true }));
    }

    #[test]
    fn openai_reasoning_models_get_their_budget_as_max_completion_tokens() {
        for model in ["o1", "o3-mini", "o4-mini", "gpt-5", "openai/o3"] {
            let request = ChatRequest {
                model: model.into(),
                sampling: Sampling { max_tokens: Some(100), ..Sampling::default() },
                ..Default::default()
            };
            let body = request_body(&request, true);
            assert_eq!(body["max_completion_tokens"], json!(100), "{model}");
            assert!(body.get("max_tokens").is_none(), "{model}");
        }
        for model in ["gpt-4o", "llama3.1", "ollama-o1x", "omni"] {
            let request = ChatRequest {
                model: model.into(),
                sampling: Sampling { max_tokens: Some(100), ..Sampling::default() },
                ..Default::default()
            };
            assert_eq!(request_body(&request, true)["max_tokens"], json!(100), "{model}");
        }
    }

    #[test]
    fn an_empty_assistant_message_is_still_a_message() {
        let message = PromptMessage::new(PromptRole::Assistant, "");
        assert_eq!(message_json(&message), json!({ "role": "assistant", "content": "" }));
    }

    #[test]
    fn files_go_as_content_parts_images_as_image_urls() {
        let file = |name: &str, content| crate::PromptAttachment {
            key: name.into(),
            name: name.into(),
            media_type: "text/plain".into(),
            size: 5,
            tokens: 3,
            content,
        };
        let mut message = PromptMessage::new(PromptRole::User, "what are these?");
        message.attachments = vec![
            file("notes.txt", AttachmentContent::Text("hello".into())),
            file("cat.png", AttachmentContent::Image { data_url: "data:image/png;base64,AAAA".into() }),
        ];
        assert_eq!(
            message_json(&message),
            json!({ "role": "user", "content": [
                { "type": "text", "text": "what are these?" },
                { "type": "text", "text": "<file name=\"notes.txt\" type=\"text/plain\">\nhello\n</file>" },
                { "type": "image_url", "image_url": { "url": "data:image/png;base64,AAAA" } },
            ] })
        );
    }
}
