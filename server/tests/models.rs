//! Several providers at once, per-conversation settings, the context window, reasoning,
//! usage and the errors a provider gives: against two fake OpenAI-compatible servers.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{stored_context, TestApp};
use confab_llm::fake_openai::{builtin_reply, FakeOpenAi, FakeReply};
use serde_json::{json, Value};

/// A fake that answers as the built-in model would, listing `models`.
async fn fake(models: &[&str]) -> FakeOpenAi {
    let listed = models.iter().map(|m| json!({ "id": m, "object": "model" })).collect();
    FakeOpenAi::start(builtin_reply).await.with_models(listed)
}

/// An app whose config file names the providers `alpha` and `beta`.
async fn app_with(alpha: &FakeOpenAi, beta: &FakeOpenAi, extra: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.toml");
    let text = format!(
        "default_model = \"alpha/a-small\"\n\n[[providers]]\nname = \"alpha\"\nbase_url = \"{}\"\n{extra}\n\n\
         [[providers]]\nname = \"beta\"\nbase_url = \"{}\"\n",
        alpha.base_url, beta.base_url
    );
    std::fs::write(&path, text).unwrap();
    let app = TestApp::with(move |c| c.config = Some(path)).await;
    std::mem::forget(dir);
    app
}

fn ids(models: &Value) -> Vec<String> {
    models["models"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect()
}

fn last_message(state: &Value) -> Value {
    state["context"]["messages"].as_array().unwrap().last().unwrap().clone()
}

#[tokio::test]
async fn the_model_list_merges_providers_and_lists_a_down_one_as_unavailable() {
    let (alpha, beta) = (fake(&["a-small", "a-large"]).await, fake(&["b-one"]).await);
    let app = app_with(&alpha, &beta, "").await;
    let models = app.get("/api/models").await;
    assert_eq!(models.status, StatusCode::OK);
    let mut listed = ids(&models.body);
    listed.retain(|id| !id.starts_with("builtin/"));
    assert_eq!(listed, ["alpha/a-small", "alpha/a-large", "beta/b-one"]);
    assert!(ids(&models.body).contains(&"builtin/confab-builtin".to_string()), "the built-in model is always there");

    beta.fail_models(503, "beta is down for maintenance");
    app.app.chat().models().refresh().await;
    let models = app.get("/api/models").await.body;
    let b_one = models["models"].as_array().unwrap().iter().find(|m| m["id"] == "beta/b-one").unwrap().clone();
    assert_eq!(b_one["available"], false);
    assert!(b_one["error"].as_str().unwrap().contains("beta is down"), "{b_one}");
    let a_small = models["models"].as_array().unwrap().iter().find(|m| m["id"] == "alpha/a-small").unwrap().clone();
    assert_eq!(a_small["available"], true, "one provider down does not fail the rest");

    let id = app.create_context().await;
    let refused = app.act(&id, "update_settings", json!({ "settings": { "model": "beta/b-one" } })).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("beta/b-one"), "{:?}", refused.body);
}

#[tokio::test]
async fn a_conversation_switched_to_another_provider_sends_its_prompt_and_parameters_there() {
    let (alpha, beta) = (fake(&["a-small"]).await, fake(&["b-one"]).await);
    let app = app_with(&alpha, &beta, "").await;
    let id = app.create_context().await;
    assert_eq!(app.state(&id).await["context"]["settings"]["model"], "alpha/a-small", "the configured default");
    app.act(&id, "send_message", json!({ "content": "hello alpha" })).await;
    let first = app.wait_for(&id, "idle").await;
    assert_eq!(last_message(&first)["model"], "alpha/a-small");
    let streamed = |fake: &FakeOpenAi| fake.requests().into_iter().filter(|r| r["stream"] == true).count();
    assert_eq!(streamed(&alpha), 1);

    let settings = json!({ "model": "beta/b-one", "system_prompt": "Answer like a pirate.",
        "temperature": 1.5, "top_p": 0.75, "max_tokens": 200 });
    let updated = app.act(&id, "update_settings", json!({ "settings": settings })).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    let stored = stored_context(&app.database_url, &id).await;
    let kept = stored.settings();
    assert_eq!(kept.model.as_deref(), Some("beta/b-one"), "settings are saved: they survive a restart");
    assert_eq!((kept.temperature, kept.top_p, kept.max_tokens), (Some(1.5), Some(0.75), Some(200)));
    assert_eq!(kept.system_prompt.as_deref(), Some("Answer like a pirate."));
    app.act(&id, "send_message", json!({ "content": "hello beta" })).await;
    let second = app.wait_for(&id, "idle").await;
    assert_eq!(last_message(&second)["model"], "beta/b-one", "switching mid-conversation is normal");
    assert_eq!(streamed(&alpha), 1, "nothing more went to alpha");
    let sent = beta.requests().into_iter().find(|r| r["stream"] == true).expect("beta got the reply's request");
    assert_eq!(sent["model"], "b-one");
    assert_eq!(sent["messages"][0], json!({ "role": "system", "content": "Answer like a pirate." }));
    assert_eq!(sent["temperature"], 1.5);
    assert_eq!(sent["top_p"], 0.75);
    assert_eq!(sent["max_tokens"], 200);
    let models: Vec<_> = second["context"]["messages"].as_array().unwrap().iter().map(|m| m["model"].clone()).collect();
    assert_eq!(models, [json!(null), json!("alpha/a-small"), json!(null), json!("beta/b-one")]);
}

#[tokio::test]
async fn bad_settings_are_refused_naming_what_is_wrong_and_change_nothing() {
    let (alpha, beta) = (fake(&["a-small"]).await, fake(&["b-one"]).await);
    let app = app_with(&alpha, &beta, "context_length = { \"a-small\" = 4096 }").await;
    let id = app.create_context().await;
    let cases = [
        (json!({ "temperature": 2.5 }), "temperature"),
        (json!({ "top_p": -0.1 }), "top_p"),
        (json!({ "max_tokens": 0 }), "max_tokens"),
        (json!({ "max_tokens": 5000 }), "4096"),
        (json!({ "model": "alpha/nonexistent" }), "alpha/nonexistent"),
        (json!({ "model": "nowhere/x" }), "nowhere/x"),
        (json!({ "system_prompt": "nul\u{0}" }), "system_prompt"),
        (json!({}), "at least one"),
    ];
    let before = app.state(&id).await["context"]["version"].clone();
    for (settings, named) in cases {
        let reply = app.act(&id, "update_settings", json!({ "settings": settings })).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{settings}: {:?}", reply.body);
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{settings}: {message:?} should name {named:?}");
    }
    assert_eq!(app.state(&id).await["context"]["version"], before, "nothing changed");
}

#[tokio::test]
async fn a_long_conversation_is_trimmed_to_the_context_window_keeping_calls_with_their_results() {
    let (alpha, beta) = (fake(&["tiny"]).await, fake(&["b-one"]).await);
    let app = app_with(&alpha, &beta, "context_length = { \"tiny\" = 2048 }").await;
    let id = app.create_context().await;
    let settings = json!({ "model": "alpha/tiny", "system_prompt": "Be brief.", "max_tokens": 256 });
    assert_eq!(app.act(&id, "update_settings", json!({ "settings": settings })).await.status, StatusCode::OK);
    let filler = "The quick brown fox jumps over the lazy dog while counting sheep. ".repeat(12);
    for turn in 0..12 {
        if turn % 3 == 1 {
            app.act(&id, "send_message", json!({ "content": format!("calc {turn}*3") })).await;
            let waiting = app.wait_for(&id, "awaiting_tool_approval").await;
            let calls = common::pending_calls(&waiting);
            app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await;
        } else {
            app.act(&id, "send_message", json!({ "content": format!("turn {turn}: {filler}") })).await;
        }
        app.wait_for(&id, "idle").await;
    }
    let state = app.state(&id).await;
    let sent = alpha.requests().into_iter().rfind(|r| r["stream"] == true).unwrap();
    let messages = sent["messages"].as_array().unwrap();

    // Counted independently, with the tokenizer crate, over what the fake received.
    let bpe = tiktoken_rs::cl100k_base().unwrap();
    let tokens: usize = messages.iter().map(|m| bpe.encode_with_special_tokens(&m.to_string()).len()).sum();
    assert!(tokens <= 2048 - 256, "{tokens} tokens sent to a 2,048-token model with 256 for the reply");

    assert_eq!(messages[0], json!({ "role": "system", "content": "Be brief." }), "the system prompt is kept");
    let path = state["context"]["messages"].as_array().unwrap();
    assert!(messages.len() - 1 < path.len(), "older messages were left out");
    let newest = path.iter().rev().find(|m| m["role"] == "user").unwrap();
    let sent_last_user = messages.iter().rev().find(|m| m["role"] == "user").unwrap();
    assert_eq!(sent_last_user["content"], newest["content"], "the newest messages are kept");
    let mut calls_seen = Vec::new();
    for message in messages {
        if let Some(calls) = message["tool_calls"].as_array() {
            calls_seen.extend(calls.iter().map(|c| c["id"].clone()));
        }
        if message["role"] == "tool" {
            assert!(calls_seen.contains(&message["tool_call_id"]), "a tool result without its call: {message}");
        }
    }
    let start = state["context"]["context_window_start"].as_str().expect("the state marks where the view starts");
    let first_sent = path.iter().find(|m| m["id"] == start).unwrap();
    assert_eq!(messages[1]["content"], first_sent["content"], "the mark is the first message the model saw");
}

#[tokio::test]
async fn reasoning_is_kept_apart_shown_once_and_never_sent_back_and_usage_is_stored() {
    let alpha = FakeOpenAi::scripted(vec![
        FakeReply::Reasoning(vec!["The user ".into(), "greets me.".into()], vec!["Hello ".into(), "there.".into()]),
        FakeReply::Text(vec!["Fine, ".into(), "thanks.".into()]),
    ])
    .await
    .with_models(vec![json!({ "id": "a-small" })]);
    let beta = fake(&["b-one"]).await;
    let app = app_with(&alpha, &beta, "").await;
    let id = app.create_context().await;
    app.act(&id, "send_message", json!({ "content": "hi" })).await;
    let state = app.wait_for(&id, "idle").await;
    let reply = last_message(&state);
    assert_eq!(reply["content"], "Hello there.");
    assert_eq!(reply["reasoning"], "The user greets me.");
    assert!(reply["usage"]["completion_tokens"].as_u64().unwrap() > 0, "{reply}");
    assert!(reply["timing"]["tokens_per_second"].is_number(), "{reply}");

    app.act(&id, "send_message", json!({ "content": "how are you?" })).await;
    app.wait_for(&id, "idle").await;
    let second = alpha.requests().into_iter().filter(|r| r["stream"] == true).nth(1).unwrap();
    assert!(!second.to_string().contains("greets me"), "reasoning is never sent back: {second}");
    assert_eq!(second["stream_options"]["include_usage"], true);

    let stored = stored_context(&app.database_url, &id).await;
    let first_reply = stored.active_path()[1].clone();
    assert_eq!(first_reply.reasoning.as_deref(), Some("The user greets me."));
    assert!(first_reply.usage.is_some() && first_reply.timing.is_some(), "usage and timing survive a restart");
    assert_eq!(first_reply.model.as_deref(), Some("alpha/a-small"));
}

#[tokio::test]
async fn provider_errors_become_clear_last_errors() {
    let cases = [
        (FakeReply::Status(401, "Incorrect API key provided".into()), "API key"),
        (FakeReply::Status(404, "The model does not exist".into()), "does not know this model"),
        (FakeReply::Status(500, "boom".into()), "500"),
    ];
    for (reply, words) in cases {
        let alpha = FakeOpenAi::scripted(vec![reply]).await.with_models(vec![json!({ "id": "a-small" })]);
        let beta = fake(&["b-one"]).await;
        let app = app_with(&alpha, &beta, "").await;
        let id = app.create_context().await;
        app.act(&id, "send_message", json!({ "content": "hi" })).await;
        let failed = app.wait_for(&id, "failed").await;
        let error = failed["context"]["last_error"].as_str().unwrap();
        assert!(error.contains(words), "{error:?} should say {words:?}");
    }
}

#[tokio::test]
async fn presets_and_defaults_start_new_conversations() {
    let (alpha, beta) = (fake(&["a-small"]).await, fake(&["b-one"]).await);
    let app = app_with(&alpha, &beta, "").await;
    let id = app.create_context().await;
    let settings = json!({ "model": "beta/b-one", "system_prompt": "Be terse.", "temperature": 0.2, "max_tokens": 99 });
    app.act(&id, "update_settings", json!({ "settings": settings })).await;
    let current = app.state(&id).await["context"]["settings"].clone();

    // Saved from the conversation's settings, as the settings panel does.
    let mut preset = current.clone();
    preset["name"] = json!("Terse beta");
    let created = app.post("/api/presets", preset).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let preset_id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/presets").await.body["presets"].as_array().unwrap().len(), 1);
    let started = app.post("/api/contexts", json!({ "preset_id": preset_id })).await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    assert_eq!(started.body["settings"], current, "the same model, prompt and parameters");

    let renamed = app.json(Method::PATCH, &format!("/api/presets/{preset_id}"), json!({ "name": "Short" })).await;
    assert_eq!(renamed.body["name"], "Short");
    assert_eq!(renamed.body["temperature"], 0.2);
    let bad = app.post("/api/presets", json!({ "name": "Hot", "temperature": 3.0 })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let unknown = app.post("/api/contexts", json!({ "preset_id": uuid::Uuid::new_v4() })).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    let defaults = json!({ "default_model": "beta/b-one", "default_system_prompt": "Speak plainly." });
    let put = app.json(Method::PUT, "/api/me/settings", defaults.clone()).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(app.get("/api/me/settings").await.body, defaults);
    let fresh = app.post("/api/contexts", json!({})).await.body;
    assert_eq!(fresh["settings"]["model"], "beta/b-one", "a user's default model applies");
    assert_eq!(fresh["settings"]["system_prompt"], "Speak plainly.");
    let wrong = app.json(Method::PUT, "/api/me/settings", json!({ "default_model": "gamma/zzz" })).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);

    let deleted = app.send(
        axum::http::Request::delete(format!("/api/presets/{preset_id}")).body(axum::body::Body::empty()).unwrap(),
    );
    assert_eq!(deleted.await.status, StatusCode::NO_CONTENT);
    assert!(app.get("/api/presets").await.body["presets"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_malformed_config_file_stops_the_start_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.toml");
    std::fs::write(&path, "[[providers]]\nname = \"Bad Name\"\nbase_url = \"http://127.0.0.1:1/v1\"\n").unwrap();
    let mut config = confab_server::Config::for_tests(format!("sqlite://{}/c.db", dir.path().display()));
    config.config = Some(path);
    let error = confab_server::App::build(config).await.err().expect("refused").to_string();
    assert!(error.contains("line 2") && error.contains("Bad Name"), "{error}");
}
