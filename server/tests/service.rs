//! The chat service used directly, without HTTP.

use std::sync::Arc;
use std::time::Duration;

use confab_core::Event;
use confab_llm::BuiltinModel;
use confab_server::chat::ChatError;
use confab_server::{ChatService, ChatSettings};
use confab_store::SqliteStore;
use confab_tools::ToolRegistry;

#[tokio::test]
async fn another_users_context_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&format!("sqlite://{}/c.db", dir.path().display())).await.unwrap());
    let chat = ChatService::new(
        store,
        Arc::new(BuiltinModel::new(Duration::ZERO)),
        ToolRegistry::standard(None),
        ChatSettings::default(),
    );
    let (alice, bob) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let context = chat.create(alice, None).await.unwrap();
    assert!(matches!(chat.get(bob, context.id).await, Err(ChatError::NotFound)));
    let send = Event::SendMessage { content: "hi".into() };
    assert!(matches!(chat.act(bob, context.id, send, None).await, Err(ChatError::NotFound)));
    assert!(chat.list(bob).await.unwrap().is_empty());
}
