//! Confab's own export (`confab.context`, versions 1 and 2): already in Confab's terms, so
//! only its text is cleaned here; the chat service checks everything else when it imports.

use serde_json::value::RawValue;

use app::wire::ExportedContext;

use super::{source, values, Candidate, Conversation, Format};

pub(super) fn convert(raw: &RawValue) -> Candidate {
    let mut file: ExportedContext = match serde_json::from_str(raw.get()) {
        Ok(file) => file,
        Err(e) => {
            return Candidate {
                title: String::new(),
                source: None,
                conversation: Err(format!("not a Confab export: {e}")),
            }
        }
    };
    file.title = values::clean_title(&file.title);
    for message in &mut file.messages {
        message.content = values::clean_text(&message.content);
        for call in &mut message.tool_calls {
            call.result = call.result.as_deref().map(values::clean_text);
            call.error = call.error.as_deref().map(values::clean_text);
        }
    }
    let id = file.source_id.map(|id| id.to_string());
    let source = Some(source(Format::Confab, id.as_deref(), raw));
    let updated_at = file.messages.iter().map(|m| m.created_at).max().unwrap_or(file.created_at).max(file.created_at);
    Candidate { title: file.title.clone(), source, conversation: Ok(Conversation { file, updated_at }) }
}
