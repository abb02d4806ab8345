//! One writer per context: concurrent actions are serialized, never interleaved, and no
//! update is lost.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{transcript, TestApp};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tasks_hammering_one_context_lose_nothing() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let id = app.create_context().await;
    let mut tasks = Vec::new();
    for writer in 0..2 {
        let (app, id) = (app.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let mut versions = Vec::new();
            for n in 0..25 {
                let reply = app
                    .json(Method::PATCH, &format!("/api/contexts/{id}"), json!({ "title": format!("w{writer}-{n}") }))
                    .await;
                assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
                versions.push(reply.body["version"].as_u64().unwrap());
            }
            versions
        }));
    }
    let mut versions = Vec::new();
    for task in tasks {
        versions.extend(task.await.unwrap());
    }
    versions.sort();
    assert_eq!(versions, (2..=51).collect::<Vec<u64>>(), "every change got its own version");

    let store = confab_store::SqliteStore::open(&app.database_url).await.unwrap();
    let stored = confab_store::Conversations::load(&store, id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.version(), 51, "the store saw every change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_start_exactly_one_reply() {
    let app = std::sync::Arc::new(TestApp::slow(10).await);
    let id = app.create_context().await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let (app, id) = (app.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            app.act(&id, "send_message", json!({ "content": format!("message {n}") })).await.status
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 1);
    let done = app.wait_for(&id, "idle").await;
    let users = transcript(&done).into_iter().filter(|(role, _)| role == "user").count();
    assert_eq!(users, 1);
}
