//! Token counts for fitting a conversation into a model's context window.

use confab_llm::tokens::{count_message, count_prompt, count_text, MESSAGE_OVERHEAD, REPLY_PRIMING};
use confab_llm::{PromptMessage, PromptRole, PromptToolCall, ToolSpec};
use serde_json::json;

const SAMPLES: &[&str] = &[
    "hello",
    "The quick brown fox jumps over the lazy dog.",
    "fn main() { println!(\"{}\", 2 * (3 + 4)); }",
    "Größenordnung, 東京, naïve café — emoji 🐙🐙",
    "   spaces\n\n\tand tabs   ",
    "<|endoftext|> is just text here",
];

#[test]
fn the_estimate_for_other_models_is_never_below_the_cl100k_count() {
    for text in SAMPLES {
        let exact = count_text("gpt-4", text);
        assert!(exact > 0, "{text}");
        for model in ["llama3.1:8b", "qwen2.5", "mistral-large", "confab-builtin", ""] {
            let estimate = count_text(model, text);
            assert!(estimate >= exact, "{model} {text}: {estimate} < {exact}");
            assert!(estimate <= exact * 5 / 4 + 1, "{model} {text}: {estimate} is too far above {exact}");
        }
    }
}

#[test]
fn openai_models_are_counted_exactly() {
    assert_eq!(count_text("gpt-4o-mini", "hello world"), 2);
    assert_eq!(count_text("gpt-3.5-turbo", "hello world"), 2);
    assert_eq!(count_text("gpt-4o", ""), 0);
    assert_eq!(count_text("llama3", ""), 0);
}

#[test]
fn a_prompt_counts_at_least_its_messages_text() {
    let mut assistant = PromptMessage::new(PromptRole::Assistant, "Let me calculate.");
    assistant.tool_calls =
        vec![PromptToolCall { id: "c1".into(), name: "calculator".into(), arguments: json!({"expression": "2*7"}) }];
    let messages = vec![
        PromptMessage::new(PromptRole::System, "You are helpful."),
        PromptMessage::new(PromptRole::User, SAMPLES[1]),
        assistant.clone(),
        PromptMessage::new(PromptRole::Tool, "14"),
    ];
    for model in ["gpt-4o", "gpt-4", "llama3"] {
        let texts: usize = messages.iter().map(|m| count_text(model, &m.content)).sum();
        let prompt = count_prompt(model, &messages, &[]);
        assert!(prompt >= texts + messages.len() * MESSAGE_OVERHEAD + REPLY_PRIMING, "{model}");
        assert_eq!(prompt, messages.iter().map(|m| count_message(model, m)).sum::<usize>() + REPLY_PRIMING);
        let plain = PromptMessage::new(PromptRole::Assistant, "Let me calculate.");
        assert!(count_message(model, &assistant) > count_message(model, &plain), "the calls count");

        let tools = vec![ToolSpec {
            name: "calculator".into(),
            description: "Evaluates arithmetic.".into(),
            parameters: json!({"type": "object", "properties": {"expression": {"type": "string"}}}),
        }];
        assert!(count_prompt(model, &messages, &tools) > prompt + 10, "the tools' JSON counts");
    }
    assert_eq!(count_prompt("gpt-4o", &[], &[]), REPLY_PRIMING);
    assert_eq!(count_message("gpt-4o", &PromptMessage::new(PromptRole::User, "")), MESSAGE_OVERHEAD);
}
