//! Helpers for the import tests: sample files, uploads, and a conversation's tree read back.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Request};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{transcript, Reply, TestApp};

/// A sample file of `server/tests/fixtures/import`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Posts a file to the import endpoint; `query` is e.g. `?format=chatgpt` or empty.
pub async fn upload(app: &TestApp, query: &str, body: impl Into<Vec<u8>>, content_type: &str) -> Reply {
    let request = Request::post(format!("/api/contexts/import{query}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.into()))
        .unwrap();
    app.send(request).await
}

/// The titles and ids an import answered, in order.
pub fn imported(reply: &Reply) -> Vec<(String, String)> {
    reply.body["imported"]
        .as_array()
        .unwrap_or_else(|| panic!("not an import summary: {:?}", reply.body))
        .iter()
        .map(|c| (c["title"].as_str().unwrap().to_string(), c["id"].as_str().unwrap().to_string()))
        .collect()
}

/// The reasons of the skipped conversations, by title, in order.
pub fn skipped(reply: &Reply) -> Vec<(String, String)> {
    reply.body["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["title"].as_str().unwrap().to_string(), c["reason"].as_str().unwrap().to_string()))
        .collect()
}

/// A conversation as the server holds it: each message as (role, text, parent's text), the
/// text of each branch's head, and the active branch's texts, root to leaf.
#[derive(Debug, PartialEq)]
pub struct Shape {
    pub messages: BTreeSet<(String, String, Option<String>)>,
    pub heads: BTreeSet<String>,
    pub active: Vec<String>,
}

pub async fn shape(app: &TestApp, id: &str) -> Shape {
    let file = app.get(&format!("/api/contexts/{id}/export")).await.body;
    let text_of = |message_id: &Value| -> Option<String> {
        let found = file["messages"].as_array().unwrap().iter().find(|m| &m["id"] == message_id)?;
        Some(found["content"].as_str().unwrap().to_string())
    };
    let messages = file["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_string(),
                m["content"].as_str().unwrap().to_string(),
                text_of(&m["parent_id"]),
            )
        })
        .collect();
    let heads = file["branches"].as_array().unwrap().iter().filter_map(|b| text_of(&b["head_message_id"])).collect();
    let active = transcript(&app.state(id).await).into_iter().map(|(_, text)| text).collect();
    Shape { messages, heads, active }
}

/// `(role, text, parent's text)`, for writing expected shapes.
pub fn m(role: &str, text: &str, parent: Option<&str>) -> (String, String, Option<String>) {
    (role.to_string(), text.to_string(), parent.map(str::to_string))
}

pub fn set(texts: &[&str]) -> BTreeSet<String> {
    texts.iter().map(|t| t.to_string()).collect()
}

/// The line of `GET /api/contexts` for conversation `id`.
pub async fn summary(app: &TestApp, id: &str) -> Value {
    let list = app.get("/api/contexts").await.body;
    list.as_array().unwrap().iter().find(|c| c["id"] == id).cloned().unwrap()
}

pub fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

pub fn at_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap()
}

/// How many conversations the test user has.
pub async fn count(app: &TestApp) -> usize {
    app.get("/api/contexts").await.body.as_array().unwrap().len()
}

/// A zip holding `entries`, deflated as ChatGPT's is.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}
