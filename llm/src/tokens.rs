//! Counting tokens before a request is sent, to decide how much of a conversation fits a
//! model's context window.
//!
//! OpenAI's models have public tokenizers, so their counts are exact for the text (the
//! per-message overhead is the documented approximation): `o200k_base` for the GPT-4o
//! generation and later (`gpt-4o`, `gpt-4.1`, `gpt-5`, the `o1`/`o3`/`o4` reasoning models,
//! `gpt-oss`), `cl100k_base` for older `gpt-` models. Every other model (Llama, Qwen,
//! Mistral, the built-in one...) has a tokenizer of its own that Confab does not ship; for
//! them the count is `cl100k_base`'s times 1.25, rounded up. Those tokenizers mostly have
//! smaller vocabularies and so need more tokens for the same text; over-counting only drops
//! an old message from the window a little early, while under-counting would overflow the
//! context and fail the request, so the estimate leans high.
//!
//! The tokenizers are built once, on first use, and shared (`tiktoken-rs`'s singletons), so
//! counting message by message is cheap.

use tiktoken_rs::{cl100k_base_singleton, o200k_base_singleton, CoreBPE};

use crate::{PromptMessage, ToolSpec};

/// Tokens each message costs beyond its text: the role and the delimiters around it.
pub const MESSAGE_OVERHEAD: usize = 4;
/// Tokens that prime the reply (`<|start|>assistant<|message|>`).
pub const REPLY_PRIMING: usize = 3;

/// How a model's tokens are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counting {
    O200k,
    Cl100k,
    /// Not an OpenAI model: `cl100k_base` and a margin.
    Estimate,
}

/// Name parts of OpenAI models that use `o200k_base`.
const O200K_MODELS: &[&str] = &["gpt-4o", "gpt-4.1", "gpt-5", "gpt-oss"];
/// OpenAI's reasoning models, matched as a whole part of the name (`o3-mini`, `openai/o1`),
/// so that a name merely containing the letters (`llama-foo1`) does not count.
const O_SERIES: &[&str] = &["o1", "o3", "o4"];

fn counting(model: &str) -> Counting {
    let model = model.to_ascii_lowercase();
    if O200K_MODELS.iter().any(|part| model.contains(part)) || O_SERIES.iter().any(|part| has_part(&model, part)) {
        Counting::O200k
    } else if model.contains("gpt-") {
        Counting::Cl100k
    } else {
        Counting::Estimate
    }
}

/// Whether `part` occurs in `name` with no letter or digit just before or after it.
fn has_part(name: &str, part: &str) -> bool {
    name.match_indices(part).any(|(at, _)| {
        let before = name[..at].chars().next_back();
        let after = name[at + part.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn bpe(counting: Counting) -> &'static CoreBPE {
    match counting {
        Counting::O200k => o200k_base_singleton(),
        Counting::Cl100k | Counting::Estimate => cl100k_base_singleton(),
    }
}

/// The tokens of `text` for `model` (exact for OpenAI's models, an estimate that leans high
/// for others).
pub fn count_text(model: &str, text: &str) -> usize {
    if text.is_empty() {
        return 0;
    }
    let counting = counting(model);
    let count = bpe(counting).count_ordinary(text);
    match counting {
        Counting::Estimate => (count * 5).div_ceil(4),
        Counting::O200k | Counting::Cl100k => count,
    }
}

/// The tokens one message takes in a prompt: its text, its tool calls' names and arguments,
/// and [`MESSAGE_OVERHEAD`].
pub fn count_message(model: &str, message: &PromptMessage) -> usize {
    let calls: usize = message
        .tool_calls
        .iter()
        .map(|call| count_text(model, &call.name) + count_text(model, &call.arguments.to_string()))
        .sum();
    // Files count as estimated when they were uploaded: counting a PDF's text again for
    // every request would cost more than the estimate is off by.
    let files: usize = message.attachments.iter().map(|file| file.tokens as usize).sum();
    MESSAGE_OVERHEAD + count_text(model, &message.content) + calls + files
}

/// The tokens a whole prompt takes: its messages, the tools on offer (as the JSON they are
/// sent as) and [`REPLY_PRIMING`].
pub fn count_prompt(model: &str, messages: &[PromptMessage], tools: &[ToolSpec]) -> usize {
    let messages: usize = messages.iter().map(|m| count_message(model, m)).sum();
    let tools = if tools.is_empty() {
        0
    } else {
        let json: Vec<serde_json::Value> = tools.iter().map(crate::openai::tool_json).collect();
        count_text(model, &serde_json::Value::from(json).to_string())
    };
    messages + tools + REPLY_PRIMING
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_counted_with_their_own_tokenizer_or_estimated() {
        for model in ["gpt-4o", "gpt-4o-mini", "openai/gpt-4.1", "gpt-5-nano", "o1", "o3-mini", "azure/o4-mini"] {
            assert_eq!(counting(model), Counting::O200k, "{model}");
        }
        for model in ["gpt-4", "gpt-3.5-turbo", "GPT-4-turbo"] {
            assert_eq!(counting(model), Counting::Cl100k, "{model}");
        }
        for model in ["llama3.1:8b", "qwen2.5-coder", "mistral-small", "confab-builtin", "foo1", "neo3", "o10"] {
            assert_eq!(counting(model), Counting::Estimate, "{model}");
        }
    }

    #[test]
    fn the_estimate_is_cl100k_with_a_margin_rounded_up() {
        let text = "The quick brown fox jumps over the lazy dog.";
        let exact = cl100k_base_singleton().count_ordinary(text);
        assert_eq!(count_text("llama3", text), (exact * 5).div_ceil(4));
        assert_eq!(count_text("gpt-4", "hello world"), 2);
        assert_eq!(count_text("gpt-4o", "hello world"), 2);
    }

    #[test]
    fn files_count_toward_a_message_as_estimated_when_uploaded() {
        let bare = PromptMessage::new(crate::PromptRole::User, "what is in this picture?");
        let mut with_image = bare.clone();
        with_image.attachments.push(crate::PromptAttachment {
            key: "1".into(),
            name: "cat.png".into(),
            media_type: "image/png".into(),
            size: 12_345,
            tokens: 765,
            content: crate::AttachmentContent::Unreadable("not loaded".into()),
        });
        assert_eq!(count_message("gpt-4o", &with_image), count_message("gpt-4o", &bare) + 765);
    }
}
