//! From the domain to a model request: the active path, with the tools on offer.

use confab_core::{ChatContext, Role};
use confab_llm::{ChatRequest, PromptMessage, PromptRole, PromptToolCall, ToolSpec};
use confab_tools::ToolRegistry;

const SYSTEM_PROMPT: &str = "You are Confab, a helpful assistant. Tools you call run only after \
    the user approves them; if a call is denied, answer without it.";

pub fn request(ctx: &ChatContext, tools: &ToolRegistry) -> ChatRequest {
    let mut messages = vec![PromptMessage::new(PromptRole::System, SYSTEM_PROMPT)];
    for message in ctx.active_path() {
        let role = match message.role {
            Role::System => PromptRole::System,
            Role::User => PromptRole::User,
            Role::Assistant => PromptRole::Assistant,
            Role::Tool => PromptRole::Tool,
        };
        messages.push(PromptMessage {
            role,
            content: message.content.clone(),
            tool_calls: message
                .tool_calls
                .iter()
                .map(|c| PromptToolCall { id: c.id.clone(), name: c.name.clone(), arguments: c.arguments.clone() })
                .collect(),
            tool_call_id: message.tool_call_id.clone(),
        });
    }
    let tools = tools
        .iter()
        .map(|t| ToolSpec {
            name: t.name().to_string(),
            description: t.description().to_string(),
            parameters: t.parameters(),
        })
        .collect();
    ChatRequest { messages, tools }
}
