//! One tool of an MCP server as a Confab [`Tool`]: its result made into the text a model
//! reads (text as it is, anything else summarized, capped with a visible note), run with a
//! timeout, and an error of the server's (or its death mid-call) given to the model as one.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use confab_tools::{ApprovalRule, Tool, ToolError};
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use serde_json::Value;

use crate::server::Connection;

pub struct McpTool {
    /// `server__tool`: what the model calls it.
    pub exposed: String,
    /// What the server calls it.
    pub remote: String,
    pub server: String,
    pub description: String,
    pub schema: Value,
    pub(crate) connection: Arc<Connection>,
    pub(crate) timeout: Duration,
    pub(crate) max_result_bytes: usize,
    pub(crate) approval: ApprovalRule,
}

#[async_trait]
impl Tool for McpTool {
    fn name(&self) -> &str {
        &self.exposed
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn parameters(&self) -> Value {
        self.schema.clone()
    }

    fn source(&self) -> Option<&str> {
        Some(&self.server)
    }

    fn approval(&self) -> ApprovalRule {
        self.approval
    }

    async fn call(&self, arguments: &Value) -> Result<String, ToolError> {
        let arguments = match arguments {
            Value::Object(map) => Some(map.clone()),
            Value::Null => None,
            _ => return Err(ToolError::InvalidArguments("the arguments must be a JSON object".into())),
        };
        let peer = self
            .connection
            .peer()
            .ok_or_else(|| ToolError::Failed(format!("the tool server {:?} is not running", self.server)))?;
        let mut params = CallToolRequestParams::new(self.remote.clone());
        params.arguments = arguments;
        // A call given up (past its timeout, or dropped when a person presses Stop) sends the
        // server `notifications/cancelled`: rmcp's `call_tool` does that when its future is
        // dropped before the answer.
        let answer = tokio::time::timeout(self.timeout, peer.call_tool(params)).await.map_err(|_| {
            ToolError::Failed(format!("the tool server did not answer within {} s", self.timeout.as_secs()))
        })?;
        let result = answer.map_err(|error| ToolError::Failed(format!("the tool server failed: {error}")))?;
        let text = cap(result_text(&result), self.max_result_bytes);
        if result.is_error == Some(true) {
            return Err(ToolError::Failed(text));
        }
        Ok(text)
    }
}

/// The result as text: text parts as they are, each other part as a line that says what
/// it was.
pub fn result_text(result: &CallToolResult) -> String {
    let mut parts: Vec<String> = result
        .content
        .iter()
        .map(|block| match block {
            ContentBlock::Text(text) => text.text.clone(),
            ContentBlock::Image(image) => format!("[image, {}]", size(image.data.len() * 3 / 4)),
            ContentBlock::Audio(audio) => format!("[audio, {}]", size(audio.data.len() * 3 / 4)),
            ContentBlock::Resource(_) => "[an embedded resource]".to_string(),
            ContentBlock::ResourceLink(link) => format!("[a link to {}]", link.uri),
            // A kind of content newer than this client.
            _ => "[content of a kind Confab does not read]".to_string(),
        })
        .collect();
    if parts.is_empty() {
        if let Some(structured) = &result.structured_content {
            parts.push(structured.to_string());
        }
    }
    parts.join("\n")
}

fn size(bytes: usize) -> String {
    if bytes >= 1024 {
        format!("{} KiB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// At most `max` bytes (on a character boundary), with a note when cut.
pub fn cap(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let total = text.len();
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&format!("\n[truncated: the result was {} long; {} shown]", size(total), size(end)));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_result_is_cut_on_a_character_with_a_note() {
        let cut = cap("é".repeat(100), 51);
        assert!(cut.starts_with(&"é".repeat(25)) && !cut.starts_with(&"é".repeat(26)), "{cut}");
        assert!(cut.ends_with("[truncated: the result was 200 bytes long; 50 bytes shown]"), "{cut}");
        assert_eq!(cap("short".into(), 51), "short");
    }
}
