//! Conversation history as a tree: edits and regenerations keep everything reachable,
//! branch switches persist, search, titles, export and import.

use crate::common;

use std::collections::{HashMap, HashSet};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{transcript, TestApp};
use serde_json::{json, Value};

/// Sends a message and waits for the reply.
async fn exchange(app: &TestApp, id: &str, text: &str) -> Value {
    let reply = app.act(id, "send_message", json!({ "content": text })).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    app.wait_for(id, "idle").await
}

async fn export(app: &TestApp, id: &str) -> Value {
    let reply = app.get(&format!("/api/contexts/{id}/export")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

/// The ids on every branch's path, from an export file.
fn reachable(file: &Value) -> HashSet<String> {
    let parents: HashMap<String, Option<String>> = file["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_string(), m["parent_id"].as_str().map(str::to_string)))
        .collect();
    let mut seen = HashSet::new();
    for branch in file["branches"].as_array().unwrap() {
        let mut next = branch["head_message_id"].as_str().map(str::to_string);
        while let Some(id) = next {
            next = parents[&id].clone();
            seen.insert(id);
        }
    }
    seen
}

/// A history in a [(branch), messages by parent] shape that ignores ids.
fn shape(file: &Value) -> Vec<(String, String, usize, String)> {
    let messages = file["messages"].as_array().unwrap();
    let index: HashMap<&str, usize> =
        messages.iter().enumerate().map(|(i, m)| (m["id"].as_str().unwrap(), i)).collect();
    messages
        .iter()
        .map(|m| {
            let parent = m["parent_id"].as_str().map(|p| index[p] + 1).unwrap_or(0);
            let calls = m["tool_calls"].to_string();
            (m["role"].as_str().unwrap().to_string(), m["content"].as_str().unwrap().to_string(), parent, calls)
        })
        .collect()
}

#[tokio::test]
async fn edits_and_regenerations_keep_every_message_reachable() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let first = exchange(&app, &id, "first question").await;
    exchange(&app, &id, "second question").await;
    let question = first["context"]["messages"][0]["id"].as_str().unwrap().to_string();
    let answer = first["context"]["messages"][1]["id"].as_str().unwrap().to_string();
    app.act(&id, "edit_message", json!({ "message_id": question, "content": "first, rephrased" })).await;
    app.wait_for(&id, "idle").await;
    app.act(&id, "switch_branch", json!({ "branch": "main" })).await;
    app.act(&id, "regenerate", json!({ "message_id": answer })).await;
    app.wait_for(&id, "idle").await;

    let file = export(&app, &id).await;
    let all: HashSet<String> =
        file["messages"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(all.len(), 7, "4 on main, 2 on the edit, 1 new reply on the regeneration");
    assert_eq!(reachable(&file), all, "every message lies on some branch");
}

#[tokio::test]
async fn a_branch_switch_changes_the_messages_and_survives_a_restart() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let done = exchange(&app, &id, "original").await;
    let question = done["context"]["messages"][0]["id"].as_str().unwrap().to_string();
    app.act(&id, "edit_message", json!({ "message_id": question, "content": "edited" })).await;
    app.wait_for(&id, "idle").await;
    let switched = app.act(&id, "switch_branch", json!({ "branch": "main" })).await;
    assert_eq!(transcript(&switched.body)[0].1, "original");
    assert_eq!(switched.body["context"]["messages"][0]["siblings"].as_array().unwrap().len(), 2);

    // A new server on the same database.
    let url = app.database_url.clone();
    let token = app.token.clone();
    let TestApp { app: old, dir, .. } = app;
    drop(old);
    let restarted = confab_server::App::build(confab_server::Config::for_tests(&url)).await.unwrap();
    let request = Request::get(format!("/api/contexts/{id}/state"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(restarted.router(), request).await.unwrap();
    let body: Value =
        serde_json::from_slice(&http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes())
            .unwrap();
    assert_eq!(body["context"]["active_branch"], "main");
    assert_eq!(transcript(&body)[0].1, "original");
    drop(dir);
}

#[tokio::test]
async fn search_finds_old_messages_of_the_user_only() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let done = exchange(&app, &id, "the capybara is the largest rodent").await;
    let question = done["context"]["messages"][0]["id"].as_str().unwrap().to_string();
    // Edited away: no longer on the active branch, still found.
    app.act(&id, "edit_message", json!({ "message_id": question, "content": "something else" })).await;
    app.wait_for(&id, "idle").await;

    let found = app.get("/api/search?q=capybara").await;
    assert_eq!(found.status, StatusCode::OK);
    let results = found.body["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["message_id"] == question.as_str()), "{results:?}");
    assert!(results.iter().all(|r| r["context_id"] == id.as_str()));
    let highlighted: Vec<_> =
        results[0]["snippet"].as_array().unwrap().iter().filter(|p| p["highlight"] == true).collect();
    assert_eq!(highlighted[0]["text"].as_str().unwrap().to_lowercase(), "capybara");

    let stranger = app.register("stranger").await;
    let theirs = app
        .send(
            Request::get("/api/search?q=capybara")
                .header(header::AUTHORIZATION, format!("Bearer {stranger}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(theirs.body["results"], json!([]), "another user finds nothing of it");
    assert_eq!(app.get("/api/search?q=").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/search").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_model_names_a_new_conversation_but_a_manual_title_wins() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    exchange(&app, &id, "please help me plan a birthday party for my daughter").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let title = app.state(&id).await["context"]["title"].as_str().unwrap().to_string();
        if title == "please help me plan a birthday…" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the model's title never came: {title}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let named = app.create_context().await;
    app.json(Method::PATCH, &format!("/api/contexts/{named}"), json!({ "title": "Mine" })).await;
    exchange(&app, &named, "this title should not change").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(app.state(&named).await["context"]["title"], "Mine");
}

#[tokio::test]
async fn export_then_import_round_trips_to_an_equal_tree() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "what time is it" })).await;
    let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
    let calls = common::pending_calls(&waiting);
    app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await;
    let answered = app.wait_for(&id, "idle").await;
    let question = answered["context"]["messages"][0]["id"].as_str().unwrap().to_string();
    app.act(&id, "edit_message", json!({ "message_id": question, "content": "hello instead" })).await;
    app.wait_for(&id, "idle").await;
    let settings =
        json!({ "system_prompt": "Answer in French.", "temperature": 0.25, "top_p": 0.5, "max_tokens": 300 });
    let updated = app.act(&id, "update_settings", json!({ "settings": settings })).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);

    let file = export(&app, &id).await;
    assert_eq!(file["format"], "confab.context");
    assert_eq!(file["version"], 2, "version 2 names the conversation it came from");
    assert_eq!(file["source_id"], id.as_str());
    assert_eq!(file["settings"]["system_prompt"], "Answer in French.");
    assert_eq!(file["messages"][1]["model"], "builtin/confab-builtin");
    let imported = app.post("/api/contexts/import", file.clone()).await;
    assert_eq!(imported.status, StatusCode::CREATED, "{:?}", imported.body);
    let new_id = imported.body["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, id);
    assert_eq!(imported.body["status"], "idle");
    let again = export(&app, &new_id).await;
    assert_eq!(shape(&again), shape(&file), "the same tree, messages and tool calls");
    assert_eq!(again["settings"], file["settings"], "the same model, prompt and parameters");
    let models = |f: &Value| f["messages"].as_array().unwrap().iter().map(|m| m["model"].clone()).collect::<Vec<_>>();
    assert_eq!(models(&again), models(&file), "each reply keeps the model that wrote it");
    assert_eq!(again["active_branch"], file["active_branch"]);
    let names = |f: &Value| f["branches"].as_array().unwrap().iter().map(|b| b["name"].clone()).collect::<Vec<_>>();
    assert_eq!(names(&again), names(&file));
    assert_eq!(transcript(&app.state(&new_id).await), transcript(&app.state(&id).await));
    // Importing twice gives two independent conversations; a version 1 file still reads.
    assert_eq!(app.post("/api/contexts/import", file.clone()).await.status, StatusCode::CREATED);
    let mut old = file;
    old["version"] = json!(1);
    old.as_object_mut().unwrap().remove("settings");
    let from_old = app.post("/api/contexts/import", old).await;
    assert_eq!(from_old.status, StatusCode::CREATED, "{:?}", from_old.body);
    assert_eq!(from_old.body["settings"]["model"], "builtin/confab-builtin", "the server's defaults");
    assert_eq!(app.get("/api/contexts").await.body.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_broken_or_hostile_import_creates_nothing() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    exchange(&app, &id, "hello").await;
    let good = export(&app, &id).await;
    let first_id = good["messages"][0]["id"].clone();
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut edit = |name: &'static str, change: &dyn Fn(&mut Value)| {
        let mut file = good.clone();
        change(&mut file);
        cases.push((name, file));
    };
    edit("wrong format", &|f| f["format"] = json!("something.else"));
    edit("future version", &|f| f["version"] = json!(99));
    edit("unknown parent", &|f| f["messages"][1]["parent_id"] = json!(uuid::Uuid::new_v4()));
    edit("duplicate id", &|f| f["messages"][1]["id"] = first_id.clone());
    edit("child before parent", &|f| {
        let messages = f["messages"].as_array_mut().unwrap();
        messages.swap(0, 1);
    });
    edit("head is not a message", &|f| f["branches"][0]["head_message_id"] = json!(uuid::Uuid::new_v4()));
    edit("active branch missing", &|f| f["active_branch"] = json!("ghost"));
    edit("duplicate branch", &|f| {
        let branch = f["branches"][0].clone();
        f["branches"].as_array_mut().unwrap().push(branch);
    });
    edit("bad role", &|f| f["messages"][0]["role"] = json!("wizard"));
    edit("tool message without its call", &|f| f["messages"][1]["role"] = json!("tool"));
    edit("unknown stop reason", &|f| f["messages"][1]["stop_reason"] = json!("exploded"));
    edit("settings out of range", &|f| f["settings"]["temperature"] = json!(7.5));
    edit("a system prompt with NUL", &|f| f["settings"]["system_prompt"] = json!("be\u{0}nice"));
    edit("extra field", &|f| f["owner"] = json!("someone else"));
    edit("user tool calls", &|f| {
        f["messages"][0]["tool_calls"] =
            json!([{ "id": "c", "name": "x", "arguments": {}, "approval": "pending", "result": null }])
    });
    for (name, file) in cases {
        let reply = app.post("/api/contexts/import", file).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}: {:?}", reply.body);
    }
    let not_json = app
        .send(
            Request::post("/api/contexts/import")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{]"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/contexts").await.body.as_array().unwrap().len(), 1, "nothing was created");
}

#[tokio::test]
async fn markdown_export_reads_as_the_conversation() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    exchange(&app, &id, "What is **bold**?").await;
    let reply = app.get(&format!("/api/contexts/{id}/export?format=markdown")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/markdown"));
    assert!(reply.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains(".md"));
    let text = reply.body.as_str().unwrap();
    assert!(text.starts_with("# "), "{text}");
    assert!(text.contains("### You") && text.contains("What is **bold**?") && text.contains("### Assistant"));
    assert_eq!(app.get(&format!("/api/contexts/{id}/export?format=pdf")).await.status, StatusCode::BAD_REQUEST);
}
