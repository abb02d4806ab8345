//! Reads a `GET /models` answer. Every server lists `data[].id`; what else a listing says
//! about a model depends on the server, so each fact is looked for where the servers that say
//! it put it, and is `None` where none does.

use serde_json::Value;

use crate::{ListedModel, ProviderError};

/// Where servers put a model's context length, in the order they are believed: OpenRouter
/// (`context_length`, then its top provider's), vLLM (`max_model_len`), LiteLLM
/// (`max_input_tokens`, at the top or in `model_info`), others (`context_window`) and
/// llama.cpp's server (`meta.n_ctx_train`).
const CONTEXT_LENGTH_AT: &[&str] = &[
    "/context_length",
    "/top_provider/context_length",
    "/max_model_len",
    "/max_input_tokens",
    "/model_info/max_input_tokens",
    "/context_window",
    "/meta/n_ctx_train",
];

pub(crate) fn parse_model_list(text: &str) -> Result<Vec<ListedModel>, ProviderError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| ProviderError::Protocol(format!("the model list is not JSON: {e}")))?;
    let data =
        value["data"].as_array().ok_or_else(|| ProviderError::Protocol("the model list has no `data` array".into()))?;
    Ok(data.iter().filter_map(listed_model).collect())
}

fn listed_model(entry: &Value) -> Option<ListedModel> {
    let name = entry["id"].as_str().filter(|id| !id.is_empty())?;
    Some(ListedModel {
        name: name.to_string(),
        context_length: CONTEXT_LENGTH_AT.iter().find_map(|at| entry.pointer(at).and_then(token_count)),
        vision: list_mentions(entry.pointer("/architecture/input_modalities"), "image"),
        tools: list_mentions(entry.get("supported_parameters"), "tools"),
    })
}

/// A positive whole number of tokens (some servers write `8192.0`).
fn token_count(value: &Value) -> Option<u32> {
    let n = value.as_u64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))?;
    (n > 0).then(|| u32::try_from(n).unwrap_or(u32::MAX))
}

/// Whether a list of strings has `item` in it; `None` when there is no list.
fn list_mentions(list: Option<&Value>, item: &str) -> Option<bool> {
    Some(list?.as_array()?.iter().any(|v| v.as_str() == Some(item)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(entry: Value) -> ListedModel {
        parse_model_list(&json!({ "object": "list", "data": [entry] }).to_string()).unwrap().remove(0)
    }

    #[test]
    fn each_server_s_metadata_is_read() {
        let openrouter = one(json!({
            "id": "openai/gpt-4o", "context_length": 128000,
            "architecture": { "input_modalities": ["text", "image"] },
            "top_provider": { "context_length": 64000 },
            "supported_parameters": ["temperature", "tools"] }));
        assert_eq!(
            openrouter,
            ListedModel {
                name: "openai/gpt-4o".into(),
                context_length: Some(128000),
                vision: Some(true),
                tools: Some(true)
            }
        );
        let top = one(json!({ "id": "m", "context_length": null, "top_provider": { "context_length": 32768 },
                              "architecture": { "input_modalities": ["text"] }, "supported_parameters": [] }));
        assert_eq!((top.context_length, top.vision, top.tools), (Some(32768), Some(false), Some(false)));
        assert_eq!(one(json!({ "id": "m", "max_model_len": 4096 })).context_length, Some(4096));
        assert_eq!(one(json!({ "id": "m", "max_input_tokens": 200000 })).context_length, Some(200000));
        assert_eq!(one(json!({ "id": "m", "model_info": { "max_input_tokens": 1000 } })).context_length, Some(1000));
        assert_eq!(one(json!({ "id": "m", "context_window": 8192.0 })).context_length, Some(8192));
        assert_eq!(one(json!({ "id": "m", "meta": { "n_ctx_train": 131072 } })).context_length, Some(131072));
        let plain = one(json!({ "id": "gpt-4o-mini", "object": "model", "owned_by": "openai" }));
        assert_eq!(plain, ListedModel { name: "gpt-4o-mini".into(), ..ListedModel::default() });
    }

    #[test]
    fn a_list_without_data_is_a_protocol_error_and_entries_without_ids_are_skipped() {
        assert!(matches!(parse_model_list("{\"models\": []}"), Err(ProviderError::Protocol(_))));
        assert!(matches!(parse_model_list("<html>"), Err(ProviderError::Protocol(_))));
        let list = parse_model_list(r#"{"data": [{"id": ""}, {"object": "model"}, {"id": "a"}]}"#).unwrap();
        assert_eq!(list, vec![ListedModel { name: "a".into(), ..ListedModel::default() }]);
    }
}
