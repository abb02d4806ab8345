//! Checks on what a client sends before it reaches the state machine: each refusal names
//! the field, and nothing is changed.

use confab_core::Event;

use super::ChatError;

/// The longest deny reason, in characters.
const MAX_DENY_REASON_CHARS: usize = 2_000;
/// The longest branch name, in characters.
const MAX_BRANCH_CHARS: usize = 100;
/// The longest `client_action_id`, in characters.
const MAX_CLIENT_ACTION_ID_CHARS: usize = 128;

fn invalid(field: &'static str, message: String) -> ChatError {
    ChatError::Invalid { field, message }
}

fn too_long(field: &'static str, max: usize) -> ChatError {
    invalid(field, format!("{field} is longer than {max} characters"))
}

/// A conversation title: trimmed, not empty, at most `max` characters.
pub(super) fn title(title: String, max: usize) -> Result<String, ChatError> {
    let title = title.trim().to_string();
    if title.is_empty() {
        return Err(invalid("title", "title must not be empty".into()));
    }
    if title.chars().count() > max {
        return Err(too_long("title", max));
    }
    Ok(title)
}

/// The text an action carries; `max_message_chars` bounds message bodies.
pub(super) fn event(event: &Event, max_message_chars: usize) -> Result<(), ChatError> {
    match event {
        Event::SendMessage { content } | Event::EditMessage { content, .. }
            if content.chars().count() > max_message_chars =>
        {
            Err(too_long("content", max_message_chars))
        }
        Event::DenyTools { reason: Some(reason), .. } if reason.chars().count() > MAX_DENY_REASON_CHARS => {
            Err(too_long("reason", MAX_DENY_REASON_CHARS))
        }
        Event::SwitchBranch { branch } if branch.chars().count() > MAX_BRANCH_CHARS => {
            Err(too_long("branch", MAX_BRANCH_CHARS))
        }
        _ => Ok(()),
    }
}

pub(super) fn client_action_id(id: Option<&str>) -> Result<(), ChatError> {
    if id.is_some_and(|id| id.is_empty() || id.chars().count() > MAX_CLIENT_ACTION_ID_CHARS) {
        let message = format!("client_action_id must be 1 to {MAX_CLIENT_ACTION_ID_CHARS} characters");
        return Err(invalid("client_action_id", message));
    }
    Ok(())
}
