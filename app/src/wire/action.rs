//! The actions of DESIGN.md section 4 as one type. The browser builds only [`Action`]
//! values, and the server's handlers deserialize the very request structs an `Action`
//! holds, so the browser cannot build an action the server would not parse: a renamed field
//! breaks the build, not a conversation.
//!
//! On the wire an action is `POST /api/contexts/{id}/actions/{name}` with its body as JSON
//! ([`Action::name`], [`Action::path`], [`Action::body`]). Serialized as a whole it is
//! `{"action": "<name>", "body": {...}}`, which is how the browser's outbox keeps it.

use serde::{Deserialize, Serialize, Serializer};

use super::models::{SettingsPatchDTO, UpdateSettingsRequest};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", content = "body", rename_all = "snake_case")]
pub enum Action {
    SendMessage(SendMessageRequest),
    ApproveTools(ApproveToolsRequest),
    DenyTools(DenyToolsRequest),
    Cancel(PlainActionRequest),
    Retry(PlainActionRequest),
    EditMessage(EditMessageRequest),
    Regenerate(RegenerateRequest),
    SwitchBranch(SwitchBranchRequest),
    UpdateSettings(UpdateSettingsRequest),
    Continue(PlainActionRequest),
}

impl Action {
    pub fn send_message(content: impl Into<String>) -> Action {
        Action::SendMessage(SendMessageRequest {
            content: content.into(),
            attachment_ids: Vec::new(),
            client_action_id: None,
            base_version: None,
            window: None,
        })
    }

    /// A message with the uploaded files `attachment_ids`.
    pub fn send_message_with(content: impl Into<String>, attachment_ids: Vec<Uuid>) -> Action {
        match Action::send_message(content) {
            Action::SendMessage(body) => Action::SendMessage(SendMessageRequest { attachment_ids, ..body }),
            _ => unreachable!("send_message makes a SendMessage"),
        }
    }

    /// Approves these calls, remembering the approval as `remember` says.
    pub fn approve_tools(tool_call_ids: Vec<String>, remember: Option<super::tools::Remember>) -> Action {
        Action::ApproveTools(ApproveToolsRequest {
            tool_call_ids,
            remember,
            client_action_id: None,
            base_version: None,
            window: None,
        })
    }

    pub fn deny_tools(tool_call_ids: Vec<String>) -> Action {
        Action::DenyTools(DenyToolsRequest {
            tool_call_ids,
            reason: None,
            client_action_id: None,
            base_version: None,
            window: None,
        })
    }

    pub fn cancel() -> Action {
        Action::Cancel(PlainActionRequest::default())
    }

    pub fn retry() -> Action {
        Action::Retry(PlainActionRequest::default())
    }

    pub fn edit_message(message_id: Uuid, content: impl Into<String>) -> Action {
        Action::EditMessage(EditMessageRequest {
            message_id,
            content: content.into(),
            client_action_id: None,
            base_version: None,
            window: None,
        })
    }

    pub fn regenerate(message_id: Uuid) -> Action {
        Action::Regenerate(RegenerateRequest { message_id, client_action_id: None, base_version: None, window: None })
    }

    pub fn switch_branch(branch: impl Into<String>) -> Action {
        Action::SwitchBranch(SwitchBranchRequest {
            branch: branch.into(),
            client_action_id: None,
            base_version: None,
            window: None,
        })
    }

    pub fn update_settings(settings: SettingsPatchDTO) -> Action {
        Action::UpdateSettings(UpdateSettingsRequest {
            settings,
            client_action_id: None,
            base_version: None,
            window: None,
        })
    }

    /// Extends a reply that stopped at the length limit.
    pub fn continue_reply() -> Action {
        Action::Continue(PlainActionRequest::default())
    }

    /// The action named `name` with `body` (JSON) as its request: what
    /// `{"action": name, "body": body}` reads as, without the buffering serde's derived reader
    /// of that form carries into the page's wasm (the browser's outbox reads actions so).
    pub fn from_parts(name: &str, body: &str) -> Result<Action, serde_json::Error> {
        use serde_json::from_str as read;
        Ok(match name {
            "send_message" => Action::SendMessage(read(body)?),
            "approve_tools" => Action::ApproveTools(read(body)?),
            "deny_tools" => Action::DenyTools(read(body)?),
            "cancel" => Action::Cancel(read(body)?),
            "retry" => Action::Retry(read(body)?),
            "edit_message" => Action::EditMessage(read(body)?),
            "regenerate" => Action::Regenerate(read(body)?),
            "switch_branch" => Action::SwitchBranch(read(body)?),
            "update_settings" => Action::UpdateSettings(read(body)?),
            "continue" => Action::Continue(read(body)?),
            other => return Err(serde::de::Error::custom(format!("unknown action `{other}`"))),
        })
    }

    /// The last segment of the action's path: `send_message`, `approve_tools`, ...
    pub fn name(&self) -> &'static str {
        match self {
            Action::SendMessage(_) => "send_message",
            Action::ApproveTools(_) => "approve_tools",
            Action::DenyTools(_) => "deny_tools",
            Action::Cancel(_) => "cancel",
            Action::Retry(_) => "retry",
            Action::EditMessage(_) => "edit_message",
            Action::Regenerate(_) => "regenerate",
            Action::SwitchBranch(_) => "switch_branch",
            Action::UpdateSettings(_) => "update_settings",
            Action::Continue(_) => "continue",
        }
    }

    /// Where to POST it for a conversation.
    pub fn path(&self, context_id: Uuid) -> String {
        format!("/api/contexts/{context_id}/actions/{}", self.name())
    }

    /// The JSON body to POST: the request struct alone, as the server's handler reads it.
    pub fn body(&self) -> ActionBody<'_> {
        ActionBody(self)
    }

    pub fn client_action_id(&self) -> Option<&str> {
        self.id_ref().as_deref()
    }

    pub fn set_client_action_id(&mut self, id: impl Into<String>) {
        *self.common_mut().id = Some(id.into());
    }

    pub fn with_client_action_id(mut self, id: impl Into<String>) -> Action {
        self.set_client_action_id(id);
        self
    }

    /// Asks for the answer as a patch from `version`, for a client holding the newest
    /// `window` messages.
    pub fn with_base_version(mut self, version: u64, window: u32) -> Action {
        let common = self.common_mut();
        (*common.base_version, *common.window) = (Some(version), Some(window));
        self
    }

    /// A new message, shown as pending until the server's state holds it.
    pub fn is_message(&self) -> bool {
        matches!(self, Action::SendMessage(_))
    }

    /// An approval or a denial of tool calls.
    pub fn is_tool_decision(&self) -> bool {
        matches!(self, Action::ApproveTools(_) | Action::DenyTools(_))
    }

    fn id_ref(&self) -> &Option<String> {
        match self {
            Action::SendMessage(b) => &b.client_action_id,
            Action::ApproveTools(b) => &b.client_action_id,
            Action::DenyTools(b) => &b.client_action_id,
            Action::Cancel(b) | Action::Retry(b) | Action::Continue(b) => &b.client_action_id,
            Action::EditMessage(b) => &b.client_action_id,
            Action::Regenerate(b) => &b.client_action_id,
            Action::SwitchBranch(b) => &b.client_action_id,
            Action::UpdateSettings(b) => &b.client_action_id,
        }
    }

    /// The fields every action's body has, besides its own.
    fn common_mut(&mut self) -> CommonMut<'_> {
        macro_rules! of {
            ($b:expr) => {
                CommonMut { id: &mut $b.client_action_id, base_version: &mut $b.base_version, window: &mut $b.window }
            };
        }
        match self {
            Action::SendMessage(b) => of!(b),
            Action::ApproveTools(b) => of!(b),
            Action::DenyTools(b) => of!(b),
            Action::Cancel(b) | Action::Retry(b) | Action::Continue(b) => of!(b),
            Action::EditMessage(b) => of!(b),
            Action::Regenerate(b) => of!(b),
            Action::SwitchBranch(b) => of!(b),
            Action::UpdateSettings(b) => of!(b),
        }
    }
}

/// An action's id, and the version and window it asks a patch from.
struct CommonMut<'a> {
    id: &'a mut Option<String>,
    base_version: &'a mut Option<u64>,
    window: &'a mut Option<u32>,
}

/// An action's body, serialized as its request struct alone (see [`Action::body`]).
pub struct ActionBody<'a>(&'a Action);

impl Serialize for ActionBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Action::SendMessage(b) => b.serialize(serializer),
            Action::ApproveTools(b) => b.serialize(serializer),
            Action::DenyTools(b) => b.serialize(serializer),
            Action::Cancel(b) | Action::Retry(b) | Action::Continue(b) => b.serialize(serializer),
            Action::EditMessage(b) => b.serialize(serializer),
            Action::Regenerate(b) => b.serialize(serializer),
            Action::SwitchBranch(b) => b.serialize(serializer),
            Action::UpdateSettings(b) => b.serialize(serializer),
        }
    }
}

// --- the bodies -------------------------------------------------------------------------------
// Unknown fields are refused so a misspelt field is an error, not silently ignored. An absent
// optional field is left out rather than sent as null.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// Not blank unless files come with it; at most the server's message limit (100,000
    /// characters by default).
    #[serde(default)]
    pub content: String,
    /// Files uploaded with `POST /api/attachments`, in the order they are shown (at most
    /// the server's limit, 10 by default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_ids: Vec<Uuid>,
    /// Makes the action idempotent: the same id again changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
    /// The version of the conversation the client holds: the answer is then `{status, patch}`,
    /// the change from that version (DESIGN.md section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// With `base_version`: how many of the branch's newest messages the client holds
    /// (1 to 10,000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub window: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveToolsRequest {
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 64))]
    pub tool_call_ids: Vec<String>,
    /// Also let these calls' tools run without asking: in this conversation, or always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember: Option<super::tools::Remember>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
    /// The version of the conversation the client holds: the answer is then `{status, patch}`,
    /// the change from that version (DESIGN.md section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// With `base_version`: how many of the branch's newest messages the client holds
    /// (1 to 10,000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub window: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DenyToolsRequest {
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 64))]
    pub tool_call_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
    /// The version of the conversation the client holds: the answer is then `{status, patch}`,
    /// the change from that version (DESIGN.md section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// With `base_version`: how many of the branch's newest messages the client holds
    /// (1 to 10,000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub window: Option<u32>,
}

/// The body of `cancel` and `retry`: nothing but an optional action id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlainActionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
    /// The version of the conversation the client holds: the answer is then `{status, patch}`,
    /// the change from that version (DESIGN.md section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// With `base_version`: how many of the branch's newest messages the client holds
    /// (1 to 10,000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub window: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EditMessageRequest {
    pub message_id: Uuid,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, pattern = "\\S"))]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
    /// The version of the conversation the client holds: the answer is then `{status, patch}`,
    /// the change from that version (DESIGN.md section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// With `base_version`: how many of the branch's newest messages the client holds
    /// (1 to 10,000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub window: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegenerateRequest {
    pub message_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
    /// The version of the conversation the client holds: the answer is then `{status, patch}`,
    /// the change from that version (DESIGN.md section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// With `base_version`: how many of the branch's newest messages the client holds
    /// (1 to 10,000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub window: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SwitchBranchRequest {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub branch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 128))]
    pub client_action_id: Option<String>,
    /// The version of the conversation the client holds: the answer is then `{status, patch}`,
    /// the change from that version (DESIGN.md section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// With `base_version`: how many of the branch's newest messages the client holds
    /// (1 to 10,000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub window: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const MESSAGE: Uuid = Uuid::from_u128(7);

    /// One action of each kind, built the way the UI builds them.
    fn examples() -> Vec<Action> {
        vec![
            Action::send_message("hello"),
            Action::approve_tools(vec!["call-1".into()], None),
            Action::deny_tools(vec!["call-1".into()]),
            Action::cancel(),
            Action::retry(),
            Action::edit_message(MESSAGE, "better"),
            Action::regenerate(MESSAGE),
            Action::switch_branch("main"),
            Action::update_settings(SettingsPatchDTO {
                model: Some("local/llama3.1".into()),
                temperature: Some(None),
                ..SettingsPatchDTO::default()
            }),
            Action::continue_reply(),
        ]
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    /// The body as the server reads it: parsed into the request struct of the same action.
    fn as_the_server_reads_it(action: &Action) -> Action {
        let body = serde_json::to_string(&action.body()).unwrap();
        match action {
            Action::SendMessage(_) => Action::SendMessage(serde_json::from_str(&body).unwrap()),
            Action::ApproveTools(_) => Action::ApproveTools(serde_json::from_str(&body).unwrap()),
            Action::DenyTools(_) => Action::DenyTools(serde_json::from_str(&body).unwrap()),
            Action::Cancel(_) => Action::Cancel(serde_json::from_str(&body).unwrap()),
            Action::Retry(_) => Action::Retry(serde_json::from_str(&body).unwrap()),
            Action::EditMessage(_) => Action::EditMessage(serde_json::from_str(&body).unwrap()),
            Action::Regenerate(_) => Action::Regenerate(serde_json::from_str(&body).unwrap()),
            Action::SwitchBranch(_) => Action::SwitchBranch(serde_json::from_str(&body).unwrap()),
            Action::UpdateSettings(_) => Action::UpdateSettings(serde_json::from_str(&body).unwrap()),
            Action::Continue(_) => Action::Continue(serde_json::from_str(&body).unwrap()),
        }
    }

    #[test]
    fn each_body_is_the_json_the_ui_sent_before_actions_were_typed() {
        let expected = [
            r#"{"content": "hello", "client_action_id": "a1"}"#.to_string(),
            r#"{"tool_call_ids": ["call-1"], "client_action_id": "a1"}"#.to_string(),
            r#"{"tool_call_ids": ["call-1"], "client_action_id": "a1"}"#.to_string(),
            r#"{"client_action_id": "a1"}"#.to_string(),
            r#"{"client_action_id": "a1"}"#.to_string(),
            format!(r#"{{"message_id": "{MESSAGE}", "content": "better", "client_action_id": "a1"}}"#),
            format!(r#"{{"message_id": "{MESSAGE}", "client_action_id": "a1"}}"#),
            r#"{"branch": "main", "client_action_id": "a1"}"#.to_string(),
            r#"{"settings": {"model": "local/llama3.1", "temperature": null}, "client_action_id": "a1"}"#.to_string(),
            r#"{"client_action_id": "a1"}"#.to_string(),
        ];
        for (action, expected) in examples().into_iter().zip(expected) {
            let action = action.with_client_action_id("a1");
            assert_eq!(serde_json::to_value(action.body()).unwrap(), json(&expected), "{}", action.name());
            assert_eq!(as_the_server_reads_it(&action), action, "{}", action.name());
        }
        assert_eq!(serde_json::to_string(&Action::cancel().body()).unwrap(), "{}", "no id: no null either");
    }

    #[test]
    fn the_name_is_the_path_segment_and_the_stored_tag() {
        let context = Uuid::from_u128(1);
        let mut names = Vec::new();
        for action in examples() {
            let stored = serde_json::to_value(&action).unwrap();
            assert_eq!(stored["action"], action.name());
            assert_eq!(action.path(context), format!("/api/contexts/{context}/actions/{}", action.name()));
            assert_eq!(serde_json::from_value::<Action>(stored).unwrap(), action, "the stored form reads back");
            names.push(action.name());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), examples().len(), "every action has its own name");
        assert!(serde_json::from_str::<Action>(r#"{"action": "summon", "body": {}}"#).is_err());
    }

    #[test]
    fn an_action_read_from_its_parts_is_the_action_read_whole() {
        for mut action in examples() {
            action.set_client_action_id("id-1");
            let whole: Value = serde_json::to_value(&action).unwrap();
            let body = whole["body"].to_string();
            assert_eq!(Action::from_parts(action.name(), &body).unwrap(), action, "{}", action.name());
            assert_eq!(serde_json::from_value::<Action>(whole).unwrap(), action);
        }
        let unknown = Action::from_parts("launch", "{}").unwrap_err().to_string();
        assert!(unknown.contains("unknown action `launch`"), "{unknown}");
        assert!(Action::from_parts("edit_message", "{}").unwrap_err().to_string().contains("missing field"));
    }

    #[test]
    fn every_action_carries_a_client_action_id_in_its_body() {
        for mut action in examples() {
            assert_eq!(action.client_action_id(), None, "{}", action.name());
            action.set_client_action_id("first");
            action.set_client_action_id("second");
            assert_eq!(action.client_action_id(), Some("second"), "{}", action.name());
            assert_eq!(serde_json::to_value(action.body()).unwrap()["client_action_id"], "second");
        }
    }

    #[test]
    fn only_a_send_is_a_message_and_only_approve_and_deny_decide_on_tools() {
        let kinds: Vec<_> = examples().iter().map(|a| (a.name(), a.is_message(), a.is_tool_decision())).collect();
        for (name, message, decision) in kinds {
            assert_eq!(message, name == "send_message", "{name}");
            assert_eq!(decision, name == "approve_tools" || name == "deny_tools", "{name}");
        }
    }
}
