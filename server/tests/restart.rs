//! The real `confab` binary, killed and started again on the same database: nothing a
//! client was told is saved gets lost, and nothing stays stuck.

use crate::common;

use std::time::Duration;

use common::client::status;
use common::process::Confab;
use serde_json::json;

#[tokio::test]
async fn a_message_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 0).await;
    let id = confab.new_context().await;
    let (code, _) =
        confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "remember me" })).await;
    assert_eq!(code, 200);
    let before = confab.wait_for(&id, |s| status(s) == "idle").await;
    confab.kill();

    let confab = Confab::start(dir.path(), 0).await;
    let after = confab.state(&id).await;
    assert_eq!(after["context"]["messages"], before["context"]["messages"]);
    assert_eq!(after["context"]["messages"][0]["content"], "remember me");
}

#[tokio::test]
async fn an_acknowledged_message_survives_sigkill_right_after_the_2xx() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 50).await;
    let id = confab.new_context().await;
    let (code, _) =
        confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "just sent" })).await;
    assert_eq!(code, 200);
    confab.kill();
    let confab = Confab::start(dir.path(), 0).await;
    let after = confab.state(&id).await;
    assert_eq!(after["context"]["messages"][0]["content"], "just sent");
    assert_ne!(status(&after), "processing", "nothing stays stuck");
}

#[tokio::test]
async fn a_pending_approval_survives_sigkill_and_the_answer_uses_the_tool() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 0).await;
    let id = confab.new_context().await;
    confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "what time is it" })).await;
    let waiting = confab.wait_for(&id, |s| status(s) == "awaiting_tool_approval").await;
    let call_id = waiting["context"]["messages"][1]["tool_calls"][0]["id"].as_str().unwrap().to_string();
    confab.kill();

    let confab = Confab::start(dir.path(), 0).await;
    assert_eq!(status(&confab.state(&id).await), "awaiting_tool_approval", "still approvable after the restart");
    let (code, body) =
        confab.post(&format!("/api/contexts/{id}/actions/approve_tools"), json!({ "tool_call_ids": [call_id] })).await;
    assert_eq!(code, 200, "{body}");
    let done = confab.wait_for(&id, |s| status(s) == "idle").await;
    let messages = done["context"]["messages"].as_array().unwrap();
    let time = messages[2]["content"].as_str().unwrap();
    assert!(time.ends_with("UTC"));
    assert!(messages[3]["content"].as_str().unwrap().contains(time), "the answer uses the tool's result");
}

#[tokio::test]
async fn a_reply_killed_mid_stream_is_not_stuck_and_can_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 30).await;
    let id = confab.new_context().await;
    confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "tell me a story" })).await;
    // Wait until a partial save has surely happened (saves come every 250 ms).
    confab
        .wait_for(&id, |s| {
            s["context"]["messages"][1]["content"].as_str().is_some_and(|t| t.split_whitespace().count() > 12)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    confab.kill();

    let confab = Confab::start(dir.path(), 0).await;
    let after = confab.state(&id).await;
    assert_eq!(status(&after), "failed", "recovered, not stuck in streaming");
    assert!(after["context"]["last_error"].as_str().unwrap().contains("Retry"));
    let partial = &after["context"]["messages"][1];
    assert_eq!(partial["stop_reason"], "interrupted");
    assert!(!partial["content"].as_str().unwrap().is_empty(), "the partial text was saved while streaming");

    let (code, _) = confab.post(&format!("/api/contexts/{id}/actions/retry"), json!({})).await;
    assert_eq!(code, 200);
    let done = confab.wait_for(&id, |s| status(s) == "idle").await;
    let reply = done["context"]["messages"][1]["content"].as_str().unwrap();
    assert!(reply.contains("tell me a story") && reply.split_whitespace().count() >= 40);
}

#[tokio::test]
async fn sigterm_saves_the_partial_reply_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let confab = Confab::start(dir.path(), 40).await;
    let id = confab.new_context().await;
    confab.post(&format!("/api/contexts/{id}/actions/send_message"), json!({ "content": "a long answer" })).await;
    let streaming = confab
        .wait_for(&id, |s| {
            s["context"]["messages"][1]["content"].as_str().is_some_and(|t| t.split_whitespace().count() > 5)
        })
        .await;
    let seen = streaming["context"]["messages"][1]["content"].as_str().unwrap().to_string();
    let exit = confab.terminate();
    assert!(exit.success(), "{exit:?}");

    let confab = Confab::start(dir.path(), 0).await;
    let after = confab.state(&id).await;
    assert_eq!(status(&after), "failed");
    let saved = after["context"]["messages"][1]["content"].as_str().unwrap();
    assert!(saved.starts_with(&seen), "everything streamed before SIGTERM was kept: {saved:?} vs {seen:?}");
}
