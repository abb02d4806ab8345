//! Checks on what a client sends before it reaches the state machine: each refusal names
//! the field, and nothing is changed. The rules and limits themselves are shared with the
//! browser and the wire schema in [`app::limits`].

use app::limits::{self, FieldError};
use confab_core::Event;

use super::ChatError;

impl From<FieldError> for ChatError {
    fn from(error: FieldError) -> Self {
        ChatError::Invalid { field: error.field, message: error.message }
    }
}

/// A conversation title: trimmed, not empty, at most `max` characters, no control or
/// bidirectional formatting characters.
pub(super) fn title(title: String, max: usize) -> Result<String, ChatError> {
    Ok(limits::check_title(&title, max)?)
}

/// The text an action carries; `max_message_chars` bounds message bodies.
pub(super) fn event(event: &Event, max_message_chars: usize) -> Result<(), ChatError> {
    match event {
        Event::SendMessage { content, .. } | Event::EditMessage { content, .. } => {
            limits::check_text("content", content)?;
            limits::check_max_chars("content", content, max_message_chars)?;
        }
        Event::DenyTools { tool_call_ids, reason } => {
            check_tool_call_ids(tool_call_ids)?;
            if let Some(reason) = reason {
                limits::check_text("reason", reason)?;
                limits::check_max_chars("reason", reason, limits::MAX_DENY_REASON_CHARS)?;
            }
        }
        Event::ApproveTools { tool_call_ids, .. } => check_tool_call_ids(tool_call_ids)?,
        Event::SwitchBranch { branch } => limits::check_branch(branch)?,
        Event::UpdateSettings { patch } => settings(patch)?,
        _ => {}
    }
    Ok(())
}

/// The text of a settings change: a model id is a short name, a system prompt any text
/// without NUL; the ranges of the parameters are the domain's to check.
pub(crate) fn settings(patch: &confab_core::SettingsPatch) -> Result<(), ChatError> {
    if let Some(model) = &patch.model {
        limits::check_name("model", model)?;
        limits::check_max_chars("model", model, limits::MAX_MODEL_CHARS)?;
    }
    if let Some(prompt) = &patch.system_prompt {
        limits::check_text("system_prompt", prompt)?;
        limits::check_max_chars("system_prompt", prompt, limits::MAX_SYSTEM_PROMPT_CHARS)?;
    }
    patch.check().map_err(|error| {
        let message = error.to_string();
        let field = ["temperature", "top_p", "max_tokens", "model"]
            .into_iter()
            .find(|field| message.starts_with(field))
            .unwrap_or("settings");
        ChatError::Invalid { field, message }
    })
}

/// At most [`limits::MAX_TOOL_CALL_IDS`] ids, none holding a NUL.
fn check_tool_call_ids(ids: &[String]) -> Result<(), ChatError> {
    let max = limits::MAX_TOOL_CALL_IDS;
    if ids.len() > max {
        let message = format!("tool_call_ids names {} calls; at most {max} are allowed", ids.len());
        return Err(FieldError::new("tool_call_ids", message).into());
    }
    for id in ids {
        limits::check_text("tool_call_ids", id)?;
    }
    Ok(())
}

pub(super) fn client_action_id(id: Option<&str>) -> Result<(), ChatError> {
    let Some(id) = id else { return Ok(()) };
    let max = limits::MAX_CLIENT_ACTION_ID_CHARS;
    if id.is_empty() || id.chars().count() > max {
        return Err(
            FieldError::new("client_action_id", format!("client_action_id must be 1 to {max} characters")).into()
        );
    }
    Ok(limits::check_text("client_action_id", id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_field(result: Result<(), ChatError>) -> &'static str {
        match result {
            Err(ChatError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn every_text_of_an_action_is_checked() {
        let send = |content: &str| event(&Event::SendMessage { attachments: Vec::new(), content: content.into() }, 100);
        assert!(send("tabs\tand\nnewlines\u{1b}[0m stay").is_ok());
        assert_eq!(refused_field(send("nul\0")), "content");
        assert_eq!(refused_field(send(&"x".repeat(101))), "content");
        let edit = Event::EditMessage { message_id: uuid::Uuid::nil(), content: "\0".into() };
        assert_eq!(refused_field(event(&edit, 100)), "content");
        let deny = |reason: &str| Event::DenyTools { tool_call_ids: vec!["c1".into()], reason: Some(reason.into()) };
        assert_eq!(refused_field(event(&deny("no\0"), 100)), "reason");
        assert!(event(&deny("not now,\nthanks"), 100).is_ok());
        let approve = Event::ApproveTools { tool_call_ids: vec!["c\0".into()], allow_here: false };
        assert_eq!(refused_field(event(&approve, 100)), "tool_call_ids");
        for branch in ["ma\0in", "b\u{202E}", "tab\t"] {
            assert_eq!(refused_field(event(&Event::SwitchBranch { branch: branch.into() }, 100)), "branch");
        }
        assert_eq!(refused_field(client_action_id(Some("a\0"))), "client_action_id");
        assert_eq!(refused_field(client_action_id(Some(""))), "client_action_id");
        assert!(client_action_id(Some("8d1f-…")).is_ok() && client_action_id(None).is_ok());
    }
}
