//! The built-in offline model: deterministic replies that exercise every part of Confab
//! (streaming, reasoning, tool calls and their approval, the output budget and continuing a
//! cut-off reply) with no network and no API key.
//!
//! - a message `use <tool>: <text>` (read before every other rule) asks for the tool named
//!   `<tool>` or `<server>__<tool>`, with `<text>` as its first required string argument;
//! - a user message containing the word `time` asks for the `current_time` tool;
//! - a message starting `calc ` asks for the `calculator` tool with the expression;
//! - anything else gets a reply of a few sentences that quotes the message;
//! - after tool results it answers with them (the time, or `= 14`);
//! - a message starting `think ` (any case) first streams a short reasoning that quotes it,
//!   as [`StreamEvent::Reasoning`], then the reply the rules above give to the rest of it;
//! - with `max_tokens` set, an answer longer than that many tokens is cut there and ends with
//!   [`FinishReason::Length`] (tool calls it would have made are dropped with the cut-off
//!   part; the reasoning does not count against the budget);
//! - when the last message is its own reply without tool calls (a cut-off reply sent back
//!   to be continued), it streams the rest of the reply it gives to the conversation before
//!   that message, if the message is the start of it, else that whole reply;
//! - every reply reports its [`Usage`] before it ends: the prompt's tokens are those of all
//!   the messages' text, the completion's those it streamed (tokens are words with the
//!   space after them).

use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;

use crate::{
    ChatRequest, FinishReason, ListedModel, ModelInfo, PromptMessage, PromptRole, PromptToolCall, Provider,
    ProviderError, ReplyStream, StreamEvent, ToolSpec, Usage,
};

/// How much of a long message the reply quotes.
const QUOTE_MAX_CHARS: usize = 280;
/// How a message that asks for reasoning starts (in any case).
const THINK: &str = "think ";

#[derive(Debug, Clone)]
pub struct BuiltinModel {
    token_delay: Duration,
    context_length: u32,
}

impl BuiltinModel {
    /// Its one model's name: its id is `builtin/confab-builtin`.
    pub const NAME: &'static str = "confab-builtin";
    /// The context length it reports unless told otherwise.
    pub const DEFAULT_CONTEXT_LENGTH: u32 = 8192;

    pub fn new(token_delay: Duration) -> Self {
        BuiltinModel { token_delay, context_length: Self::DEFAULT_CONTEXT_LENGTH }
    }

    /// Reports a different context length (a small one lets a person or a test see the
    /// context window at work without a long conversation).
    pub fn with_context_length(mut self, tokens: u32) -> Self {
        self.context_length = tokens.max(1);
        self
    }

    /// The reply's text and the tool calls it makes, as [`BuiltinModel::full_reply`] gives them.
    pub fn reply_to(request: &ChatRequest) -> (String, Vec<PromptToolCall>) {
        let reply = Self::full_reply(request);
        (reply.text, reply.tool_calls)
    }

    /// The whole reply the model gives to `request`, before any `max_tokens` cut: its
    /// reasoning, its text, then the tool calls it makes.
    pub fn full_reply(request: &ChatRequest) -> BuiltinReply {
        if let Some((last, earlier)) = request.messages.split_last() {
            if last.role == PromptRole::Assistant && last.tool_calls.is_empty() {
                let whole = fresh_reply(earlier, &request.tools);
                return match whole.text.strip_prefix(last.content.as_str()) {
                    Some(rest) => BuiltinReply { reasoning: String::new(), text: rest.to_string(), ..whole },
                    None => whole,
                };
            }
        }
        fresh_reply(&request.messages, &request.tools)
    }
}

/// What the built-in model answers, before it is streamed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuiltinReply {
    /// Shown apart before the answer; empty unless the message starts `think `.
    pub reasoning: String,
    pub text: String,
    pub tool_calls: Vec<PromptToolCall>,
}

/// The reply to a conversation whose last message is not one to continue.
fn fresh_reply(messages: &[PromptMessage], tools: &[ToolSpec]) -> BuiltinReply {
    let offers = |name: &str| tools.iter().any(|t| t.name == name);
    let answer = |text: String| BuiltinReply { text, ..BuiltinReply::default() };
    let Some(last) = messages.last() else {
        return answer("Hello! Send me a message.".to_string());
    };
    if last.role == PromptRole::Tool {
        return answer(answer_from_tools(messages));
    }
    let mut text = last.content.trim();
    let mut reasoning = String::new();
    if text.get(..THINK.len()).is_some_and(|start| start.eq_ignore_ascii_case(THINK)) {
        text = text[THINK.len()..].trim();
        reasoning = format!(
            "The message asks me to think first about \"{}\". A real model would weigh it here; \
             I am the built-in offline model, so I only show where reasoning appears, apart from \
             the answer that follows.",
            quote(text)
        );
    }
    if let Some(reply) = use_tool(text, tools, messages) {
        return BuiltinReply { reasoning, ..reply };
    }
    if let Some(expression) = text.strip_prefix("calc ").map(str::trim) {
        if offers("calculator") && !expression.is_empty() {
            let call = tool_call("calculator", serde_json::json!({ "expression": expression }), messages);
            return BuiltinReply {
                reasoning,
                text: format!("Let me calculate `{expression}`."),
                tool_calls: vec![call],
            };
        }
    }
    if mentions_time(text) && offers("current_time") {
        let call = tool_call("current_time", serde_json::json!({}), messages);
        return BuiltinReply { reasoning, text: "Let me check the clock.".to_string(), tool_calls: vec![call] };
    }
    let text = match acknowledge(&last.attachments) {
        Some(files) => format!("{files} {}", echo_reply(text)),
        None => echo_reply(text),
    };
    BuiltinReply { reasoning, text, tool_calls: Vec::new() }
}

#[async_trait]
impl Provider for BuiltinModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            provider: "builtin".into(),
            model: Self::NAME.into(),
            label: "Built-in offline model (no AI: canned, deterministic replies)".into(),
        }
    }

    async fn stream(&self, request: ChatRequest) -> Result<ReplyStream, ProviderError> {
        let reply = Self::full_reply(&request);
        let mut events: Vec<StreamEvent> =
            tokens(&reply.reasoning).into_iter().map(|t| StreamEvent::Reasoning(t.to_string())).collect();
        let (text, cut) = within_budget(&reply.text, request.sampling.max_tokens);
        events.extend(text.into_iter().map(|t| StreamEvent::Text(t.to_string())));
        let prompt_tokens: usize = request.messages.iter().map(|m| tokens(&m.content).len()).sum();
        let usage = Usage { prompt_tokens: prompt_tokens as u64, completion_tokens: events.len() as u64 };
        events.push(StreamEvent::Usage(usage));
        events.push(match (cut, reply.tool_calls) {
            (true, _) => StreamEvent::Finished(FinishReason::Length),
            (false, calls) if calls.is_empty() => StreamEvent::Finished(FinishReason::Stop),
            (false, calls) => StreamEvent::ToolCalls(calls),
        });
        let delay = self.token_delay;
        let stream = futures::stream::iter(events).then(move |event| async move {
            // The usage is no token: it comes with the end, as real servers send it.
            if !delay.is_zero() && !matches!(event, StreamEvent::Usage(_)) {
                tokio::time::sleep(delay).await;
            }
            Ok(event)
        });
        Ok(stream.boxed())
    }

    async fn models(&self) -> Result<Vec<ListedModel>, ProviderError> {
        Ok(vec![ListedModel {
            name: Self::NAME.into(),
            context_length: Some(self.context_length),
            // It takes images (it names them), so attachments work offline too.
            vision: Some(true),
            tools: Some(true),
        }])
    }

    async fn title(&self, _model: &str, first_message: &str) -> Option<String> {
        let words: Vec<&str> = first_message.split_whitespace().take(6).collect();
        if words.is_empty() {
            return None;
        }
        let mut title = words.join(" ");
        if first_message.split_whitespace().count() > words.len() {
            title.push('…');
        }
        Some(title)
    }
}

/// Splits text into tokens that concatenate back to it: each word with the space after it.
pub(crate) fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            out.push(&text[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The tokens of `text` that fit in `max_tokens`, and whether any were cut off.
pub(crate) fn within_budget(text: &str, max_tokens: Option<u32>) -> (Vec<&str>, bool) {
    let mut tokens = tokens(text);
    let budget = max_tokens.map_or(usize::MAX, |max| max as usize);
    let cut = tokens.len() > budget;
    tokens.truncate(budget);
    (tokens, cut)
}

/// `use <tool>: <text>`: a call of the tool named `<tool>` (or `<server>__<tool>`), its
/// first required string argument `<text>`; `None` for a message of another shape.
fn use_tool(text: &str, tools: &[ToolSpec], messages: &[PromptMessage]) -> Option<BuiltinReply> {
    let rest = text.get(..4).filter(|start| start.eq_ignore_ascii_case("use "))?;
    let (wanted, argument) = text[rest.len()..].split_once(':')?;
    let (wanted, argument) = (wanted.trim(), argument.trim());
    if wanted.is_empty() || wanted.contains(char::is_whitespace) {
        return None;
    }
    let suffix = format!("__{wanted}");
    let Some(tool) =
        tools.iter().find(|t| t.name == wanted).or_else(|| tools.iter().find(|t| t.name.ends_with(&suffix)))
    else {
        let text = format!("I have no tool named `{wanted}`.");
        return Some(BuiltinReply { text, ..BuiltinReply::default() });
    };
    let mut arguments = serde_json::Map::new();
    if let Some(name) = first_required_string(&tool.parameters) {
        arguments.insert(name, argument.into());
    }
    let call = tool_call(&tool.name, serde_json::Value::Object(arguments), messages);
    Some(BuiltinReply {
        text: format!("Let me use `{}`.", tool.name),
        tool_calls: vec![call],
        ..BuiltinReply::default()
    })
}

/// The first name in a JSON schema's `required` list whose property is a string.
fn first_required_string(schema: &serde_json::Value) -> Option<String> {
    let required = schema.get("required")?.as_array()?;
    required.iter().filter_map(|name| name.as_str()).find_map(|name| {
        let kind = schema.get("properties")?.get(name)?.get("type")?;
        (kind == "string").then(|| name.to_string())
    })
}

fn mentions_time(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric()).any(|word| word.eq_ignore_ascii_case("time"))
}

fn tool_call(name: &str, arguments: serde_json::Value, messages: &[PromptMessage]) -> PromptToolCall {
    // Ids only need to be unique within a conversation; counting earlier calls keeps them
    // deterministic.
    let earlier: usize = messages.iter().map(|m| m.tool_calls.len()).sum();
    PromptToolCall { id: format!("call_{}_{}", name, earlier + 1), name: name.into(), arguments }
}

/// A message as the replies quote it: its start, when it is long.
fn quote(text: &str) -> String {
    let mut quote: String = text.chars().take(QUOTE_MAX_CHARS).collect();
    if text.chars().count() > QUOTE_MAX_CHARS {
        quote.push('…');
    }
    quote
}

/// A sentence naming the files a message came with: their names, kinds and sizes.
fn acknowledge(files: &[crate::PromptAttachment]) -> Option<String> {
    if files.is_empty() {
        return None;
    }
    let described: Vec<String> = files
        .iter()
        .map(|file| {
            let kind = match &file.content {
                crate::AttachmentContent::Image { .. } => "an image",
                crate::AttachmentContent::Text(_) if file.media_type == "application/pdf" => "a PDF with text",
                crate::AttachmentContent::Text(_) => "a text file",
                crate::AttachmentContent::Unreadable(_) => "a file I cannot read",
            };
            format!("{} ({kind}, {})", file.name, human_size(file.size))
        })
        .collect();
    let count = if files.len() == 1 { "1 file".to_string() } else { format!("{} files", files.len()) };
    Some(format!("I received {count}: {}.", described.join(", ")))
}

/// `1,234 bytes`, `12.3 KiB`, `4.5 MiB`.
fn human_size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

fn echo_reply(text: &str) -> String {
    format!(
        "You wrote: \"{}\". I am Confab's built-in offline model, so I cannot really \
         think about it, but I can show you how a conversation flows here. This reply streams \
         word by word to every open tab, is saved while it grows, and survives a reload or a \
         restart of the server. Ask me what time it is, or type `calc 2*(3+4)`, to see a tool \
         call that waits for your approval.",
        quote(text)
    )
}

/// The answer after tools ran: each result of the last round, in words.
fn answer_from_tools(messages: &[PromptMessage]) -> String {
    let Some(assistant) = messages.iter().rposition(|m| m.role == PromptRole::Assistant) else {
        return "The tools ran, but I have lost track of why.".to_string();
    };
    let calls = &messages[assistant].tool_calls;
    let mut sentences = Vec::new();
    for result in messages[assistant + 1..].iter().filter(|m| m.role == PromptRole::Tool) {
        let call = calls.iter().find(|c| Some(&c.id) == result.tool_call_id.as_ref());
        let name = call.map_or("the tool", |c| c.name.as_str());
        let failed = result.content.starts_with("Error:")
            || result.content.starts_with("The user denied")
            || result.content.starts_with("The tool call was cancelled");
        let sentence = match (name, failed) {
            (_, true) => format!("I could not use {name}: {}", result.content),
            ("current_time", false) => format!("The current time is {}.", result.content),
            ("calculator", false) => {
                let expression =
                    call.and_then(|c| c.arguments.get("expression")).and_then(|e| e.as_str()).unwrap_or("");
                format!("{expression} = {}", result.content).trim_start().to_string()
            }
            _ => format!("{name} returned: {}", result.content),
        };
        sentences.push(sentence);
    }
    if sentences.is_empty() {
        "I have no tool results to work with.".to_string()
    } else {
        sentences.join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_concatenate_back_to_the_text() {
        let text = "Hello,  world!\nNew line ";
        let parts = tokens(text);
        assert_eq!(parts.concat(), text);
        assert_eq!(parts, vec!["Hello,  ", "world!\n", "New ", "line "]);
        assert!(tokens("").is_empty());
    }

    fn spec(name: &str, parameters: serde_json::Value) -> ToolSpec {
        ToolSpec { name: name.into(), description: String::new(), parameters }
    }

    #[test]
    fn use_asks_for_a_tool_by_its_name_before_any_other_rule() {
        let tools = [
            spec("current_time", serde_json::json!({"type": "object"})),
            spec(
                "time__get_current_time",
                serde_json::json!({"type": "object", "required": ["count", "timezone"],
                    "properties": {"count": {"type": "integer"}, "timezone": {"type": "string"}}}),
            ),
        ];
        let message = [PromptMessage::new(PromptRole::User, "use get_current_time: UTC")];
        let reply = fresh_reply(&message, &tools);
        assert_eq!(reply.tool_calls.len(), 1, "{}", reply.text);
        assert_eq!(reply.tool_calls[0].name, "time__get_current_time", "not the built-in clock");
        assert_eq!(reply.tool_calls[0].arguments, serde_json::json!({"timezone": "UTC"}));
        let missing = fresh_reply(&[PromptMessage::new(PromptRole::User, "use nothing: x")], &tools);
        assert!(missing.tool_calls.is_empty() && missing.text.contains("no tool named `nothing`"));
        let exact = fresh_reply(&[PromptMessage::new(PromptRole::User, "Use current_time: now")], &tools);
        assert_eq!(exact.tool_calls[0].name, "current_time");
    }

    #[test]
    fn time_must_be_a_word() {
        assert!(mentions_time("What TIME is it?"));
        assert!(mentions_time("time"));
        assert!(!mentions_time("sometimes it rains"));
        assert!(!mentions_time("timely"));
    }
}
