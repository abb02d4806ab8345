//! Arithmetic through a real expression parser (exmex): numbers, `+ - * / ^`, parentheses,
//! functions such as `sqrt` and `sin`, and the constants `PI` and `E`. Nothing else runs.

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::{string_arg, Tool, ToolError};

/// Long enough for any sum a person types; short enough that parsing stays cheap.
const MAX_EXPRESSION_CHARS: usize = 500;

pub struct Calculator;

#[async_trait]
impl Tool for Calculator {
    fn name(&self) -> &'static str {
        "calculator"
    }
    fn description(&self) -> &'static str {
        "Evaluates an arithmetic expression, e.g. 2*(3+4) or sqrt(2)/PI."
    }
    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": { "expression": { "type": "string", "description": "The expression to evaluate" } },
            "required": ["expression"],
            "additionalProperties": false
        })
    }
    async fn call(&self, arguments: &Value) -> Result<String, ToolError> {
        evaluate(string_arg(arguments, "expression")?)
    }
}

/// Evaluates `expression` and formats the result as a person would write it.
pub fn evaluate(expression: &str) -> Result<String, ToolError> {
    let expression = expression.trim();
    if expression.is_empty() {
        return Err(ToolError::InvalidArguments("the expression is empty".into()));
    }
    if expression.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(ToolError::InvalidArguments(format!(
            "the expression is longer than {MAX_EXPRESSION_CHARS} characters"
        )));
    }
    let value = exmex::eval_str::<f64>(expression)
        .map_err(|e| ToolError::Failed(format!("cannot evaluate {expression:?}: {}", e.msg())))?;
    if !value.is_finite() {
        return Err(ToolError::Failed(format!("{expression} has no finite value")));
    }
    Ok(format_number(value))
}

fn format_number(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let text = format!("{value:.12}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_follows_the_usual_rules() {
        assert_eq!(evaluate("2*(3+4)").unwrap(), "14");
        assert_eq!(evaluate("7/2").unwrap(), "3.5");
        assert_eq!(evaluate("2^10 - 24").unwrap(), "1000");
        assert_eq!(evaluate("-3 + 1").unwrap(), "-2");
        assert_eq!(evaluate("sqrt(2)").unwrap(), "1.414213562373");
        assert_eq!(evaluate("1/3").unwrap(), "0.333333333333");
    }

    #[test]
    fn nonsense_is_an_error_not_a_panic() {
        assert!(evaluate("").is_err());
        assert!(evaluate("2 +").is_err());
        assert!(evaluate("x + 1").is_err(), "no variables");
        assert!(evaluate("1/0").is_err(), "no infinities");
        assert!(evaluate("((((((((((1").is_err());
        assert!(evaluate(&"1+".repeat(400)).is_err());
    }
}
