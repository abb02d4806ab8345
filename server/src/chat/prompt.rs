//! From the domain to a model request: the conversation's system prompt and the newest
//! messages of the active path that fit the model's context window, with the tools on offer.
//!
//! Trimming keeps the system prompt and the newest messages within the context length
//! minus the output budget, counted by `confab_llm::tokens`, and never starts the window on
//! a tool result (its call would be cut away from it). Reasoning is never sent back.

use confab_core::{ChatContext, Message, MessageId, Role};
use confab_llm::{
    tokens, AttachmentContent, ChatRequest, PromptAttachment, PromptMessage, PromptRole, PromptToolCall, Sampling,
    ToolSpec,
};
use confab_tools::ToolRegistry;

use crate::models::Route;

/// What a conversation gets when nobody wrote it a system prompt.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You are Confab, a helpful assistant. Tools you call run only after \
    the user approves them; if a call is denied, answer without it.";

/// The most a reply may take of the context when the conversation sets no `max_tokens`.
const DEFAULT_OUTPUT_BUDGET: u32 = 4096;

/// A request, and where the model's view of the active path starts (`None`: all of it).
pub struct Planned {
    pub request: ChatRequest,
    pub window_start: Option<MessageId>,
}

/// Tokens left for a reply: the conversation's `max_tokens`, else a quarter of the context
/// (at most [`DEFAULT_OUTPUT_BUDGET`]).
pub fn output_budget(context_length: u32, max_tokens: Option<u32>) -> u32 {
    max_tokens.unwrap_or((context_length / 4).min(DEFAULT_OUTPUT_BUDGET)).min(context_length)
}

pub fn plan(ctx: &ChatContext, tools: &ToolRegistry, route: &Route) -> Planned {
    let settings = ctx.settings();
    let system_prompt = settings.system_prompt.as_deref().unwrap_or(DEFAULT_SYSTEM_PROMPT);
    let tools: Vec<ToolSpec> = tools
        .all()
        .iter()
        .map(|t| ToolSpec {
            name: t.name().to_string(),
            description: t.description().to_string(),
            parameters: t.parameters(),
        })
        .collect();
    let system = (!system_prompt.is_empty()).then(|| PromptMessage::new(PromptRole::System, system_prompt));
    let path: Vec<PromptMessage> = ctx.active_path().into_iter().map(prompt_message).collect();
    let budget = route.context_length.saturating_sub(output_budget(route.context_length, settings.max_tokens)) as usize;
    let fixed = tokens::count_prompt(&route.name, system.as_slice(), &tools);
    let start = window_start(&path, budget.saturating_sub(fixed), |m| tokens::count_message(&route.name, m));
    let window_start = (start > 0).then(|| ctx.active_path()[start].id);
    let mut messages: Vec<PromptMessage> = system.into_iter().collect();
    messages.extend(path.into_iter().skip(start));
    let sampling =
        Sampling { temperature: settings.temperature, top_p: settings.top_p, max_tokens: settings.max_tokens };
    Planned { request: ChatRequest { model: route.name.clone(), messages, tools, sampling }, window_start }
}

/// The index of the oldest message to send: the newest messages whose counts add up to at
/// most `budget`, moved on past tool results at the start, keeping at least the newest one.
fn window_start(path: &[PromptMessage], budget: usize, count: impl Fn(&PromptMessage) -> usize) -> usize {
    let mut used = 0;
    let mut start = path.len();
    for (i, message) in path.iter().enumerate().rev() {
        used += count(message);
        if used > budget && start < path.len() {
            break;
        }
        start = i;
        if used > budget {
            break;
        }
    }
    // A tool result needs the call before it: when the call fell out, so does the result.
    while start + 1 < path.len() && path[start].role == PromptRole::Tool {
        start += 1;
    }
    start
}

fn prompt_message(message: &Message) -> PromptMessage {
    let role = match message.role {
        Role::System => PromptRole::System,
        Role::User => PromptRole::User,
        Role::Assistant => PromptRole::Assistant,
        Role::Tool => PromptRole::Tool,
    };
    PromptMessage {
        role,
        content: message.content.clone(),
        tool_calls: message
            .tool_calls
            .iter()
            .map(|c| PromptToolCall { id: c.id.clone(), name: c.name.clone(), arguments: c.arguments.clone() })
            .collect(),
        tool_call_id: message.tool_call_id.clone(),
        attachments: message
            .attachments
            .iter()
            .map(|file| PromptAttachment {
                key: file.id.to_string(),
                name: file.name.clone(),
                media_type: file.media_type.clone(),
                size: file.size,
                tokens: file.prompt_tokens,
                // Read from the store once the window is known (`attachments::load`).
                content: AttachmentContent::Unreadable("not loaded".into()),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(role: PromptRole, tokens: usize) -> PromptMessage {
        PromptMessage::new(role, "x".repeat(tokens))
    }

    fn starts(path: &[PromptMessage], budget: usize) -> usize {
        window_start(path, budget, |m| m.content.len())
    }

    #[test]
    fn the_newest_messages_that_fit_are_kept() {
        let path = [PromptRole::User, PromptRole::Assistant, PromptRole::User, PromptRole::Assistant]
            .map(|role| message(role, 10));
        assert_eq!(starts(&path, 100), 0, "all fit");
        assert_eq!(starts(&path, 40), 0, "exactly fit");
        assert_eq!(starts(&path, 39), 1);
        assert_eq!(starts(&path, 20), 2);
        assert_eq!(starts(&path, 5), 3, "the newest message goes even when it alone is too long");
    }

    #[test]
    fn a_tool_result_never_starts_the_window_without_its_call() {
        let path = [
            message(PromptRole::User, 10),
            message(PromptRole::Assistant, 10),
            message(PromptRole::Tool, 10),
            message(PromptRole::Tool, 10),
            message(PromptRole::Assistant, 10),
        ];
        assert_eq!(starts(&path, 30), 4, "the window would start on a result: it moves past both");
        assert_eq!(starts(&path, 40), 1, "the call and its results together");
    }
}
