//! Imports of files that are broken, hostile or too large: a broken file creates nothing and
//! answers 400 saying what is wrong and where; in a file of many conversations, a broken one
//! is skipped with its reason and the others are imported.

use crate::common;

use axum::http::StatusCode;
use common::import::{count, fixture, imported, skipped, upload, zip};
use common::TestApp;
use serde_json::{json, Value};

const JSON: &str = "application/json";

fn message(id: &str, parent: Option<&str>, role: &str, text: &str) -> Value {
    json!({"id": id, "parent": parent, "children": [], "message": {
        "author": {"role": role}, "create_time": 1714000000.0, "content": {"content_type": "text", "parts": [text]},
        "metadata": {}
    }})
}

fn chatgpt(id: &str, title: &str, nodes: &[Value], current: &str) -> Value {
    let mapping: serde_json::Map<String, Value> =
        nodes.iter().map(|n| (n["id"].as_str().unwrap().to_string(), n.clone())).collect();
    json!({"id": id, "title": title, "create_time": 1714000000.0, "mapping": mapping, "current_node": current})
}

fn good(id: &str) -> Value {
    chatgpt(id, "Good", &[message("q", None, "user", "Q"), message("a", Some("q"), "assistant", "A")], "a")
}

#[tokio::test]
async fn a_truncated_or_malformed_file_of_any_format_creates_nothing_and_says_why() {
    let app = TestApp::new().await;
    for name in
        ["chatgpt-conversations.json", "openwebui-chat-export.json", "librechat-conversation.json", "confab-v1.json"]
    {
        let file = fixture(name);
        let truncated = file[..file.len() / 2].to_vec();
        for content_type in [JSON, "application/octet-stream"] {
            let reply = upload(&app, "", truncated.clone(), content_type).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}: {:?}", reply.body);
            let why = reply.body["error"]["message"].as_str().unwrap();
            assert!(why.contains("not valid JSON") && why.contains("line"), "{name}: {why}");
        }
    }
    for (body, expected) in [
        (b"\x00\x01binary".to_vec(), "not valid JSON"),
        (b"42".to_vec(), "neither a conversation nor a list"),
        (br#"[{"what": "ever"}]"#.to_vec(), "not recognized"),
        (b"PK\x03\x04 not really a zip".to_vec(), "zip file cannot be read"),
        (zip(&[("user.json", b"{}")]), "no conversations.json"),
    ] {
        let reply = upload(&app, "", body, "application/octet-stream").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{expected}: {:?}", reply.body);
        assert!(reply.body["error"]["message"].as_str().unwrap().contains(expected), "{:?}", reply.body);
    }
    let unknown = upload(&app, "?format=myspace", b"[]".to_vec(), JSON).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app).await, 0, "nothing was created");
}

#[tokio::test]
async fn a_single_broken_conversation_is_a_400_naming_where() {
    let app = TestApp::new().await;
    let dangling = chatgpt(
        "c1",
        "Dangling",
        &[message("q", None, "user", "Q"), message("a", Some("ghost"), "assistant", "A")],
        "a",
    );
    let reply = upload(&app, "", json!([dangling]).to_string(), JSON).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    let why = reply.body["error"]["message"].as_str().unwrap();
    assert!(
        why.contains("\"Dangling\"") && why.contains("\"a\"") && why.contains("\"ghost\" is not in the file"),
        "{why}"
    );

    let mut chat: Value = serde_json::from_slice(&fixture("openwebui-chat-export.json")).unwrap();
    chat[0]["chat"]["history"]["messages"]["m2"]["parentId"] = json!("m5");
    chat[0]["chat"]["history"]["messages"]["m1"]["parentId"] = json!("m4");
    let reply = upload(&app, "", json!([chat[0]]).to_string(), JSON).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("cycle"), "{:?}", reply.body);

    let mut old: Value = serde_json::from_slice(&fixture("confab-v1.json")).unwrap();
    old["messages"][1]["role"] = json!("wizard");
    let reply = upload(&app, "?format=confab", old.to_string(), JSON).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("wizard"), "{:?}", reply.body);
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn in_a_file_of_many_each_conversation_is_imported_or_skipped_on_its_own() {
    let app = TestApp::new().await;
    let cycle = chatgpt(
        "c3",
        "Cycle",
        &[
            message("q", None, "user", "Q"),
            message("x", Some("y"), "user", "X"),
            message("y", Some("x"), "assistant", "Y"),
        ],
        "q",
    );
    let empty = json!({"id": "c4", "title": "Empty", "mapping": {"root": {"id": "root", "message": null, "parent": null, "children": []}}});
    let dangling = chatgpt("c2", "Dangling", &[message("a", Some("ghost"), "assistant", "A")], "a");
    let file = json!([good("c1"), dangling, cycle, empty, {"title": "Not one", "mapping": 7}, good("c5")]);
    let reply = upload(&app, "", file.to_string(), JSON).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(imported(&reply).iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["Good", "Good"]);
    let reasons = skipped(&reply);
    let titles: Vec<_> = reasons.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(titles, ["Dangling", "Cycle", "Empty", "Not one"]);
    assert!(reasons[0].1.contains("\"ghost\" is not in the file"), "{reasons:?}");
    assert!(reasons[1].1.contains("cycle"), "{reasons:?}");
    assert!(reasons[2].1.contains("no messages"), "{reasons:?}");
    assert!(reasons[3].1.contains("not a ChatGPT conversation"), "{reasons:?}");
    assert_eq!(count(&app).await, 2, "the broken ones stored nothing");

    // Naming the wrong format skips every conversation, saying so.
    let reply = upload(&app, "?format=openwebui", json!([good("c6"), good("c7")]).to_string(), JSON).await;
    assert_eq!(imported(&reply), vec![]);
    assert!(skipped(&reply).iter().all(|(_, why)| why.contains("not an Open WebUI chat")), "{:?}", reply.body);
}

#[tokio::test]
async fn files_past_the_configured_limit_are_refused_zipped_or_not() {
    let app = TestApp::with(|config| config.max_import_bytes = 4096).await;
    let padding = " ".repeat(5000);
    let reply = upload(&app, "", format!("[{padding}]"), JSON).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", reply.body);
    // Small as a zip, past the limit unpacked.
    let bomb = zip(&[("conversations.json", format!("[{}]", " ".repeat(1 << 20)).as_bytes())]);
    assert!(bomb.len() < 4096);
    let reply = upload(&app, "", bomb, "application/zip").await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", reply.body);
    // Within the limit, the import goes through (the default is far larger than the old 16 MiB).
    let reply = upload(&app, "", json!([good("small")]).to_string(), JSON).await;
    assert_eq!(imported(&reply).len(), 1, "{:?}", reply.body);
    assert_eq!(confab_server::Config::for_tests("sqlite://x").max_import_bytes, 200 * 1024 * 1024);

    // The import's limit, not the one of ordinary requests, bounds an import.
    let app = TestApp::with(|config| {
        config.max_body_bytes = 1024;
        config.max_import_bytes = 1 << 20;
    })
    .await;
    let many: Vec<Value> = (0..40).map(|n| good(&format!("c{n}"))).collect();
    let file = json!(many).to_string();
    assert!(file.len() > 4096);
    let reply = upload(&app, "", file.clone(), JSON).await;
    assert_eq!(imported(&reply).len(), 40, "{:?}", reply.body);
    // The same conversation twice in one file is imported once.
    let twice = json!([good("same"), good("same")]).to_string();
    let reply = upload(&app, "", twice, JSON).await;
    assert_eq!(
        (imported(&reply).len(), skipped(&reply)),
        (1, vec![("Good".to_string(), "already imported".to_string())])
    );
    let ordinary = app.post("/api/contexts", json!({ "title": "x".repeat(2000) })).await;
    assert_eq!(ordinary.status, StatusCode::PAYLOAD_TOO_LARGE, "other requests keep their limit");
}

#[tokio::test]
async fn imports_are_per_user() {
    let app = TestApp::new().await;
    let file = fixture("openwebui-chat-export.json");
    assert_eq!(imported(&upload(&app, "", file.clone(), JSON).await).len(), 2);
    let someone = app.register("someone-else").await;
    let request = axum::http::Request::post("/api/contexts/import")
        .header("authorization", format!("Bearer {someone}"))
        .header("content-type", JSON)
        .body(axum::body::Body::from(file))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(imported(&reply).len(), 2, "another user imports the same file for themselves: {:?}", reply.body);
    assert_eq!(count(&app).await, 2, "and the first user's list is unchanged");
}
