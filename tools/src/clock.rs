use async_trait::async_trait;
use serde_json::{json, Value};

use crate::{object, Tool, ToolError};

/// The current date and time on the server, in UTC.
pub struct CurrentTime;

#[async_trait]
impl Tool for CurrentTime {
    fn name(&self) -> &'static str {
        "current_time"
    }
    fn description(&self) -> &'static str {
        "Returns the current date and time (UTC) on the server."
    }
    fn parameters(&self) -> Value {
        json!({ "type": "object", "properties": {}, "additionalProperties": false })
    }
    async fn call(&self, arguments: &Value) -> Result<String, ToolError> {
        object(arguments)?;
        Ok(chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string())
    }
}
