//! Imports of the peers' exports and of Confab's own: every sample keeps its tree, its
//! active branch, its titles and its times, and a second import of it duplicates nothing.

use crate::common;

use axum::http::StatusCode;
use common::import::{at_millis, count, fixture, imported, m, set, shape, skipped, summary, time, upload, zip, Shape};
use common::TestApp;

const JSON: &str = "application/json";

/// Imports `file` and checks that a second import of it is skipped as already imported.
async fn import_twice(app: &TestApp, query: &str, file: &[u8], content_type: &str) -> Vec<(String, String)> {
    let first = upload(app, query, file.to_vec(), content_type).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(skipped(&first), vec![], "{:?}", first.body);
    let conversations = imported(&first);
    let before = count(app).await;
    let again = upload(app, query, file.to_vec(), content_type).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(imported(&again), vec![]);
    let titles: Vec<_> =
        conversations.iter().map(|(title, _)| (title.clone(), "already imported".to_string())).collect();
    assert_eq!(skipped(&again), titles);
    assert_eq!(count(app).await, before, "nothing duplicated");
    conversations
}

#[tokio::test]
async fn chatgpt_conversations_keep_their_branches_active_branch_titles_and_times() {
    let app = TestApp::new().await;
    let conversations = import_twice(&app, "", &fixture("chatgpt-conversations.json"), JSON).await;
    let titles: Vec<_> = conversations.iter().map(|(title, _)| title.as_str()).collect();
    assert_eq!(titles, ["Trip in May", "Python arithmetic"]);

    let trip = &conversations[0].1;
    let (far, kyoto) = ("Where should I travel in May, somewhere far?", "Kyoto: late spring, fewer crowds.");
    let more = "Tell me more about Kyoto.";
    let expected = Shape {
        messages: [
            m("user", "Where should I travel in May?", None),
            m("assistant", "Lisbon is lovely in May.", Some("Where should I travel in May?")),
            m("user", far, None),
            m("assistant", kyoto, Some(far)),
            m("assistant", "Patagonia, if you like wind.", Some(far)),
            m("user", more, Some(kyoto)),
            m("assistant", "Visit Fushimi Inari early in the morning.", Some(more)),
        ]
        .into(),
        heads: set(&[
            "Lisbon is lovely in May.",
            "Patagonia, if you like wind.",
            "Visit Fushimi Inari early in the morning.",
        ]),
        active: vec![far.into(), kyoto.into(), more.into(), "Visit Fushimi Inari early in the morning.".into()],
    };
    assert_eq!(shape(&app, trip).await, expected);
    let line = summary(&app, trip).await;
    assert_eq!(time(&line["created_at"]), at_millis(1_714_000_000_500));
    assert_eq!(time(&line["updated_at"]), at_millis(1_714_000_210_250));
    let state = app.state(trip).await;
    assert_eq!(state["context"]["active_branch"], "main");
    assert_eq!(time(&state["context"]["messages"][0]["created_at"]), at_millis(1_714_000_100_000));

    // The code the assistant ran is kept, the tool's output left out; NUL became U+FFFD; a
    // creation time past the year 5000 fell back to the first message's.
    let code = &conversations[1].1;
    let question = "What is 2+2? Use python.\u{FFFD}";
    let ran = "```python\nprint(2+2)\n```";
    let shown = shape(&app, code).await;
    assert_eq!(
        shown.messages,
        [m("user", question, None), m("assistant", ran, Some(question)), m("assistant", "It is 4.", Some(ran))].into()
    );
    assert_eq!(time(&summary(&app, code).await["created_at"]), at_millis(1_714_100_010_000));
    let messages = app.state(code).await["context"]["messages"].clone();
    assert_eq!(time(&messages[2]["created_at"]), at_millis(1_714_100_020_000), "a missing time is its parent's");
}

#[tokio::test]
async fn chatgpt_zip_is_accepted_as_delivered_and_recognized_as_the_same_conversations() {
    let app = TestApp::new().await;
    let json = fixture("chatgpt-conversations.json");
    let delivered = zip(&[("chat.html", b"<html></html>"), ("conversations.json", &json), ("user.json", b"{}")]);
    let conversations = import_twice(&app, "", &delivered, "application/zip").await;
    assert_eq!(conversations.len(), 2);
    let again = upload(&app, "?format=chatgpt", json, JSON).await;
    assert_eq!(imported(&again), vec![], "the JSON holds the same conversations");
    assert_eq!(skipped(&again).len(), 2);
    assert_eq!(shape(&app, &conversations[0].1).await.heads.len(), 3);
}

#[tokio::test]
async fn open_webui_chats_keep_their_branches_and_the_message_marked_current() {
    let app = TestApp::new().await;
    let conversations = import_twice(&app, "?format=openwebui", &fixture("openwebui-chat-export.json"), JSON).await;
    let titles: Vec<_> = conversations.iter().map(|(title, _)| title.as_str()).collect();
    assert_eq!(titles, ["Sourdough starter", "Quick question"]);
    let sourdough = &conversations[0].1;
    let (feed, discard) = ("How do I feed a sourdough starter?", "Discard half, add equal flour and water.");
    let warm = "And how warm should it be?";
    let expected = Shape {
        messages: [
            m("user", feed, None),
            m("assistant", discard, Some(feed)),
            m("assistant", "Feed it 1:1:1 every 12 hours.", Some(feed)),
            m("user", warm, Some(discard)),
            m("assistant", "Around 24 to 26 °C.", Some(warm)),
        ]
        .into(),
        heads: set(&["Feed it 1:1:1 every 12 hours.", "Around 24 to 26 °C."]),
        active: vec![feed.into(), discard.into(), warm.into(), "Around 24 to 26 °C.".into()],
    };
    assert_eq!(shape(&app, sourdough).await, expected);
    let line = summary(&app, sourdough).await;
    assert_eq!(time(&line["created_at"]), at_millis(1_715_000_000_000));
    assert_eq!(time(&line["updated_at"]), at_millis(1_715_000_300_000));
    let quick = shape(&app, &conversations[1].1).await;
    assert_eq!(quick.active, ["Is a tomato a fruit?", "Botanically, yes."]);
}

/// Made by a running Open WebUI 0.12.4 and exported through its own UI (see
/// `fixtures/import/openwebui-0.12.4/make_chats.py`), not written from its description.
#[tokio::test]
async fn a_real_open_webui_export_keeps_its_branches_models_and_times() {
    let app = TestApp::new().await;
    let all = fixture("openwebui-0.12.4/all-chats.json");
    let conversations = import_twice(&app, "", &all, JSON).await;
    let titles: Vec<_> = conversations.iter().map(|(title, _)| title.as_str()).collect();
    assert_eq!(titles, ["Sourdough starter", "Haiku"]);

    let alive = "How do I keep a sourdough starter alive?";
    let (daily, discard) = (
        "Feed it equal weights of flour and water once a day and keep it at room temperature.",
        "Discard half, then feed 1:1:1 (starter:flour:water) every 12–24 hours. A warm spot helps.",
    );
    let warm = "My kitchen reads Température: 24 °C ☀ — is that too warm?";
    let ideal = "24 °C is ideal — expect it to double in 4–6 hours. ☀ is fine, just avoid direct sunlight.";
    let expected = Shape {
        messages: [
            m("user", alive, None),
            m("assistant", daily, Some(alive)),
            m("assistant", discard, Some(alive)),
            m("user", warm, Some(discard)),
            m("assistant", ideal, Some(warm)),
        ]
        .into(),
        heads: set(&[daily, ideal]),
        active: vec![alive.into(), discard.into(), warm.into(), ideal.into()],
    };
    let sourdough = &conversations[0].1;
    assert_eq!(shape(&app, sourdough).await, expected);
    // Open WebUI keeps a chat's times in seconds, its messages' too.
    let line = summary(&app, sourdough).await;
    assert_eq!(time(&line["created_at"]), at_millis(1_795_670_696_000));
    let state = app.state(sourdough).await;
    let messages = state["context"]["messages"].as_array().unwrap();
    assert_eq!(time(&messages[0]["created_at"]), at_millis(1_795_667_096_000));
    let models: Vec<&str> =
        messages.iter().filter(|m| m["role"] == "assistant").map(|m| m["model"].as_str().unwrap()).collect();
    assert_eq!(models, ["mistral:7b", "mistral:7b"]);

    // An edited first message: two roots, the second one current.
    let haiku = shape(&app, &conversations[1].1).await;
    let autumn = "Cold autumn drizzle\nmaple leaves slick on the path\nthe year exhales slow";
    assert_eq!(haiku.active, ["Write a haiku about autumn rain", autumn]);
    assert_eq!(haiku.heads.len(), 2);

    // A single chat's download is the same shape, and the same conversation.
    let one = upload(&app, "", fixture("openwebui-0.12.4/one-chat.json"), JSON).await;
    assert_eq!(skipped(&one), vec![("Sourdough starter".to_string(), "already imported".to_string())]);
}

#[tokio::test]
async fn librechat_conversation_keeps_its_branches_and_shows_the_latest_reply() {
    let app = TestApp::new().await;
    let conversations = import_twice(&app, "", &fixture("librechat-conversation.json"), JSON).await;
    assert_eq!(conversations.len(), 1);
    let (title, id) = &conversations[0];
    assert_eq!(title, "Sorting in Rust");
    let (sort, partial, nan) = ("How do I sort a Vec<f64>?", "Use sort_by with partial_cmp.", "What about NaN?");
    let expected = Shape {
        messages: [
            m("user", sort, None),
            m("assistant", partial, Some(sort)),
            m("user", nan, Some(partial)),
            m("assistant", "Use total_cmp: NaN sorts last.", Some(nan)),
            m("assistant", "Filter NaN out first, then sort.", Some(nan)),
        ]
        .into(),
        heads: set(&["Use total_cmp: NaN sorts last.", "Filter NaN out first, then sort."]),
        active: vec![sort.into(), partial.into(), nan.into(), "Filter NaN out first, then sort.".into()],
    };
    assert_eq!(shape(&app, id).await, expected);
    let line = summary(&app, id).await;
    assert_eq!(line["created_at"], "2024-06-01T10:00:00Z");
    assert_eq!(line["updated_at"], "2024-06-01T10:01:30Z");
}

#[tokio::test]
async fn librechat_flat_export_and_a_very_deep_nested_one_import() {
    let app = TestApp::new().await;
    let nil = "00000000-0000-0000-0000-000000000000";
    let flat = serde_json::json!({
        "conversationId": "flat-1", "title": "Flat", "recursive": false, "branches": true,
        "messages": [
            {"messageId": "q", "parentMessageId": nil, "isCreatedByUser": true, "text": "Q"},
            {"messageId": "a1", "parentMessageId": "q", "isCreatedByUser": false, "text": "A1"},
            {"messageId": "a2", "parentMessageId": "q", "isCreatedByUser": false, "content": [{"type": "text", "text": {"value": "A2"}}]},
        ]
    });
    let reply = upload(&app, "", flat.to_string(), JSON).await;
    let id = imported(&reply)[0].1.clone();
    let shown = shape(&app, &id).await;
    assert_eq!(shown.heads, set(&["A1", "A2"]));
    assert_eq!(shown.active, ["Q", "A2"]);

    // 3000 messages nested 3000 deep: no recursion limit, no stack overflow.
    let depth = 3000;
    let mut text = String::from(r#"{"conversationId": "deep-1", "title": "Deep", "recursive": true, "messagesTree": "#);
    for n in 0..depth {
        let by_user = n % 2 == 0;
        text.push_str(&format!(
            r#"[{{"messageId": "m{n}", "isCreatedByUser": {by_user}, "text": "turn {n}", "children": "#
        ));
    }
    text.push_str("[]");
    text.push_str(&"}]".repeat(depth));
    text.push('}');
    let reply = upload(&app, "", text, JSON).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let id = imported(&reply)[0].1.clone();
    let state = app.state(&id).await;
    assert_eq!(state["context"]["messages"].as_array().unwrap().len(), depth);
}

#[tokio::test]
async fn confab_exports_of_version_1_and_2_import_and_a_second_import_is_skipped() {
    let app = TestApp::new().await;
    let old = fixture("confab-v1.json");
    let conversations = import_twice(&app, "?format=confab", &old, JSON).await;
    let id = &conversations[0].1;
    let state = app.state(id).await;
    assert_eq!(state["context"]["active_branch"], "edit-1");
    assert_eq!(shape(&app, id).await.heads, set(&["Hi! How can I help?", "Hello there yourself."]));
    assert_eq!(time(&summary(&app, id).await["created_at"]), at_millis(1_709_283_600_000));

    // Version 2 names the conversation it came from.
    let exported = app.get(&format!("/api/contexts/{id}/export")).await.body;
    assert_eq!(exported["version"], 2);
    assert_eq!(exported["source_id"], id.as_str());
    let copies = import_twice(&app, "", exported.to_string().as_bytes(), "application/octet-stream").await;
    assert_eq!(shape(&app, &copies[0].1).await, shape(&app, id).await);
}

#[tokio::test]
async fn a_single_confab_export_posted_as_before_is_answered_as_before() {
    let app = TestApp::new().await;
    let old = fixture("confab-v1.json");
    for n in 1..=2 {
        let reply = upload(&app, "", old.clone(), JSON).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        assert_eq!(reply.body["title"], "An old export");
        assert_eq!(reply.body["active_branch"], "edit-1");
        assert_eq!(count(&app).await, n, "a copy each time, as always");
    }
    // The same file in the new way is recognized as imported.
    let reply = upload(&app, "?format=confab", old, JSON).await;
    assert_eq!(skipped(&reply), vec![("An old export".to_string(), "already imported".to_string())]);
}

/// What every backend must do: a second import is skipped, and once the imported
/// conversation is deleted, its source is forgotten with it.
async fn sources_are_remembered_and_forgotten_with_their_conversation(app: &TestApp) {
    let conversations = import_twice(app, "", &fixture("chatgpt-conversations.json"), JSON).await;
    assert_eq!(shape(app, &conversations[0].1).await.heads.len(), 3);
    let code = shape(app, &conversations[1].1).await;
    assert!(code.active[0].ends_with('\u{FFFD}'), "NUL is stored as U+FFFD: {:?}", code.active);
    let deleted = app.send(
        axum::http::Request::delete(format!("/api/contexts/{}", conversations[0].1))
            .body(axum::body::Body::empty())
            .unwrap(),
    );
    assert_eq!(deleted.await.status, StatusCode::NO_CONTENT);
    let again = upload(app, "", fixture("chatgpt-conversations.json"), JSON).await;
    assert_eq!(imported(&again).iter().map(|(title, _)| title.as_str()).collect::<Vec<_>>(), ["Trip in May"]);
    assert_eq!(skipped(&again), vec![("Python arithmetic".to_string(), "already imported".to_string())]);
}

#[tokio::test]
async fn sources_are_remembered_and_forgotten_on_sqlite() {
    sources_are_remembered_and_forgotten_with_their_conversation(&TestApp::new().await).await;
}

/// Run through `scripts/with-postgres.sh`; skipped without a cluster.
#[tokio::test]
async fn sources_are_remembered_and_forgotten_on_postgres() {
    let Some(url) = confab_store::testsuite::postgres_database().await else { return };
    let app = TestApp::with(|config| config.database_url = url).await;
    sources_are_remembered_and_forgotten_with_their_conversation(&app).await;
}
