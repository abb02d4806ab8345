//! The outbox as localStorage keeps it, read back into typed actions.
//!
//! Before actions were typed the outbox saved each as `{client_action_id, context_id, action:
//! "<name>", body: {...}, label, error, queued}` with a free-form `body`. [`PendingAction`]
//! keeps that very shape, now checked against the action's request struct, so what an
//! earlier version queued is read here and delivered after the upgrade. Entries are read
//! one at a time: one this version cannot read (an unknown action, a body that does not
//! parse) is dropped with a debug line, and the others are still sent.

use serde_json::value::RawValue;

use super::model::PendingAction;
use crate::browser::debug_log;

/// The actions saved under an outbox key, oldest first.
pub fn read(json: &str) -> Vec<PendingAction> {
    let entries = match serde_json::from_str::<Vec<Box<RawValue>>>(json) {
        Ok(entries) => entries,
        Err(error) => {
            debug_log!("actions", "dropping a saved outbox that is not a list: {error}");
            return Vec::new();
        }
    };
    entries.iter().filter_map(|raw| entry(raw)).collect()
}

fn entry(raw: &RawValue) -> Option<PendingAction> {
    match serde_json::from_str::<PendingAction>(raw.get()) {
        Ok(mut pending) => {
            // The tab tracks an action by the entry's id, the server dedupes by the body's:
            // the outbox always wrote the same one in both, and they must stay the same.
            if pending.action.client_action_id() != Some(pending.client_action_id.as_str()) {
                pending.action.set_client_action_id(pending.client_action_id.clone());
            }
            Some(pending)
        }
        Err(error) => {
            debug_log!("actions", "dropping a saved action this version cannot read: {error}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Action;
    use serde_json::Value;
    use uuid::Uuid;

    const CONTEXT: &str = "6f1c0a52-3c1e-4d0e-9a57-2b8f3f6f0c11";
    const MESSAGE: &str = "0b7e2d7a-52a4-4c52-8d3e-3c1f4b1d9e20";

    /// An entry as the untyped outbox wrote it: the body is what `dispatch` got, plus the
    /// `client_action_id` it added.
    fn old(id: &str, action: &str, body: &str, label: &str) -> String {
        format!(
            r#"{{"client_action_id":"{id}","context_id":"{CONTEXT}","action":"{action}","body":{body},"label":"{label}","error":null,"queued":true}}"#
        )
    }

    fn typed(id: &str, action: Action, label: &str) -> PendingAction {
        let mut pending = PendingAction::new(Uuid::parse_str(CONTEXT).unwrap(), action, id.into(), label.into());
        pending.queued = true;
        pending
    }

    fn list(entries: &[String]) -> String {
        format!("[{}]", entries.join(","))
    }

    #[test]
    fn every_action_the_old_outbox_saved_reads_as_its_typed_action() {
        let message = Uuid::parse_str(MESSAGE).unwrap();
        let saved = list(&[
            old("a1", "send_message", r#"{"client_action_id":"a1","content":"hello"}"#, "hello"),
            old("a2", "approve_tools", r#"{"client_action_id":"a2","tool_call_ids":["call-1"]}"#, "Approve"),
            old("a3", "deny_tools", r#"{"client_action_id":"a3","tool_call_ids":["call-2"]}"#, "Deny"),
            old("a4", "cancel", r#"{"client_action_id":"a4"}"#, "Stop"),
            old("a5", "retry", r#"{"client_action_id":"a5"}"#, "Retry"),
            old(
                "a6",
                "edit_message",
                &format!(r#"{{"client_action_id":"a6","content":"better","message_id":"{MESSAGE}"}}"#),
                "Edit",
            ),
            old("a7", "regenerate", &format!(r#"{{"client_action_id":"a7","message_id":"{MESSAGE}"}}"#), "Regenerate"),
            old("a8", "switch_branch", r#"{"branch":"edit-1","client_action_id":"a8"}"#, "Switch branch"),
        ]);
        let expected = vec![
            typed("a1", Action::send_message("hello"), "hello"),
            typed("a2", Action::approve_tools(vec!["call-1".into()], None), "Approve"),
            typed("a3", Action::deny_tools(vec!["call-2".into()]), "Deny"),
            typed("a4", Action::cancel(), "Stop"),
            typed("a5", Action::retry(), "Retry"),
            typed("a6", Action::edit_message(message, "better"), "Edit"),
            typed("a7", Action::regenerate(message), "Regenerate"),
            typed("a8", Action::switch_branch("edit-1"), "Switch branch"),
        ];
        assert_eq!(read(&saved), expected);
        for pending in read(&saved) {
            let body = serde_json::to_value(pending.action.body()).unwrap();
            assert_eq!(body["client_action_id"], pending.client_action_id.as_str(), "still idempotent");
        }
    }

    #[test]
    fn a_failed_action_stays_failed() {
        let saved = list(&[old("a1", "send_message", r#"{"client_action_id":"a1","content":"x"}"#, "x")
            .replace(r#""error":null,"queued":true"#, r#""error":"too long","queued":false"#)]);
        let restored = read(&saved);
        assert_eq!(restored[0].error.as_deref(), Some("too long"));
        assert!(!restored[0].queued);
    }

    #[test]
    fn an_entry_this_version_cannot_read_is_dropped_and_the_others_are_kept() {
        let saved = list(&[
            old("a1", "send_message", r#"{"client_action_id":"a1","content":"first"}"#, "first"),
            old("a2", "summon_llama", r#"{"client_action_id":"a2"}"#, "Summon"),
            old("a3", "edit_message", r#"{"client_action_id":"a3","content":"x","message_id":"not an id"}"#, "Edit"),
            old("a4", "send_message", r#"{"client_action_id":"a4","text":"misspelt"}"#, "x"),
            old("a5", "cancel", r#"{"client_action_id":"a5"}"#, "Stop").replace(CONTEXT, "nowhere"),
            "42".to_string(),
            r#"{"client_action_id":"a6"}"#.to_string(),
            old("a7", "cancel", r#"{"client_action_id":"a7"}"#, "Stop"),
        ]);
        let ids: Vec<_> = read(&saved).into_iter().map(|p| p.client_action_id).collect();
        assert_eq!(ids, vec!["a1", "a7"]);
    }

    #[test]
    fn a_saved_outbox_that_is_not_a_list_is_dropped_without_a_panic() {
        for saved in ["", "null", "{}", "not json", r#"{"client_action_id":"a1"}"#, "[1, 2"] {
            assert!(read(saved).is_empty(), "{saved}");
        }
    }

    #[test]
    fn the_body_always_carries_the_entry_s_id() {
        let saved = list(&[
            old("a1", "send_message", r#"{"content":"no id in the body"}"#, "x"),
            old("a2", "regenerate", &format!(r#"{{"client_action_id":"other","message_id":"{MESSAGE}"}}"#), "R"),
        ]);
        let restored = read(&saved);
        assert_eq!(restored[0].action.client_action_id(), Some("a1"));
        assert_eq!(restored[1].action.client_action_id(), Some("a2"));
    }

    #[test]
    fn what_this_version_saves_is_the_shape_earlier_versions_read() {
        let pending = typed("a1", Action::send_message("hello"), "hello");
        let written = serde_json::to_value(vec![pending]).unwrap();
        let earlier = list(&[old("a1", "send_message", r#"{"client_action_id":"a1","content":"hello"}"#, "hello")]);
        assert_eq!(written, serde_json::from_str::<Value>(&earlier).unwrap());
    }
}
