//! Auto-save: after every transition the runner saves a dirty context and skips a clean one.
//!
//! This file holds one test on purpose: it captures log lines with a thread-local
//! subscriber, which tracing's callsite cache makes unreliable when other tests in the same
//! binary log at the same time.

use confab_server::models::Catalog;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use confab_core::{Changes, ChatContext, ContextId, Event, Status, UserId};
use confab_llm::BuiltinModel;
use confab_server::{ChatService, ChatSettings};
use confab_store::{
    ContextSummary, Conversations, Coordinated, Coordination, Health, ImportSources, Preferences, SaveStats, Search,
    SearchHit, ShareLink, Shares, SqliteStore, StoreError, UserPreferences,
};
use confab_tools::ToolRegistry;

/// A store that counts saves.
struct Counting {
    inner: SqliteStore,
    saves: AtomicUsize,
}

#[async_trait]
impl Conversations for Counting {
    async fn save(&self, changes: &Changes<'_>) -> Result<SaveStats, StoreError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.inner.save(changes).await
    }
    async fn load(&self, id: ContextId) -> Result<Option<ChatContext>, StoreError> {
        self.inner.load(id).await
    }
    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError> {
        self.inner.version_of(id).await
    }
    async fn delete(&self, id: ContextId) -> Result<bool, StoreError> {
        self.inner.delete(id).await
    }
    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError> {
        self.inner.list(owner).await
    }
    async fn unleased_with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError> {
        self.inner.unleased_with_status(statuses).await
    }
}

#[async_trait]
impl Health for Counting {
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

#[async_trait]
impl Search for Counting {
    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        self.inner.search(owner, query, limit).await
    }
}

#[async_trait]
impl Preferences for Counting {
    async fn preferences(&self, user: UserId) -> Result<(UserPreferences, u64), StoreError> {
        self.inner.preferences(user).await
    }

    async fn put_preferences(&self, user: UserId, prefs: &UserPreferences, expected: u64) -> Result<(), StoreError> {
        self.inner.put_preferences(user, prefs, expected).await
    }
}

impl Coordinated for Counting {
    fn coordination(&self) -> Arc<dyn Coordination> {
        self.inner.coordination()
    }
}

#[async_trait]
impl Shares for Counting {
    async fn create_share(&self, link: &ShareLink, snapshot: &str) -> Result<(), StoreError> {
        self.inner.create_share(link, snapshot).await
    }
    async fn share_by_token(&self, token: &str) -> Result<Option<(ShareLink, String)>, StoreError> {
        self.inner.share_by_token(token).await
    }
    async fn shares_of(&self, owner: UserId, context: ContextId) -> Result<Vec<ShareLink>, StoreError> {
        self.inner.shares_of(owner, context).await
    }
    async fn delete_share(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        self.inner.delete_share(owner, id).await
    }
}

#[async_trait]
impl confab_store::Folders for Counting {
    async fn folders(&self, owner: UserId) -> Result<Vec<confab_store::Folder>, StoreError> {
        self.inner.folders(owner).await
    }
    async fn create_folder(&self, folder: &confab_store::Folder) -> Result<(), StoreError> {
        self.inner.create_folder(folder).await
    }
    async fn rename_folder(&self, owner: UserId, id: uuid::Uuid, name: &str) -> Result<bool, StoreError> {
        self.inner.rename_folder(owner, id, name).await
    }
    async fn delete_folder(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        self.inner.delete_folder(owner, id).await
    }
}

#[async_trait]
impl ImportSources for Counting {
    async fn imported_from(&self, owner: UserId, source: &str) -> Result<Option<ContextId>, StoreError> {
        self.inner.imported_from(owner, source).await
    }
    async fn record_import(&self, owner: UserId, source: &str, context: ContextId) -> Result<bool, StoreError> {
        self.inner.record_import(owner, source, context).await
    }
}

/// Captured log lines.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

#[tokio::test]
async fn a_dirty_context_is_saved_and_a_clean_one_skipped() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let inner = SqliteStore::open(&format!("sqlite://{}/c.db", dir.path().display())).await.unwrap();
    let store = Arc::new(Counting { inner, saves: AtomicUsize::new(0) });
    let provider = Arc::new(BuiltinModel::new(Duration::ZERO));
    let models = Arc::new(Catalog::only(provider));
    let chat = ChatService::new(store.clone(), models, ToolRegistry::standard(None), ChatSettings::default());
    let owner = uuid::Uuid::new_v4();

    let context = chat.create(owner, None, Default::default()).await.unwrap();
    assert_eq!(store.saves.load(Ordering::SeqCst), 1, "creating is the first save");
    assert!(logs.text().contains(&format!("saving dirty context {}", context.id)), "{}", logs.text());

    let send = Event::SendMessage { attachments: Vec::new(), content: "hello".into() };
    chat.act(owner, context.id, send.clone(), Some("action-1".into())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while chat.get(owner, context.id).await.unwrap().status != app::wire::ChatStatus::Idle {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let after_reply = store.saves.load(Ordering::SeqCst);
    assert!(after_reply >= 4, "send, reply started, reply finished each saved: {after_reply}");

    logs.clear();
    let repeated = chat.act(owner, context.id, send, Some("action-1".into())).await.unwrap();
    assert_eq!(repeated.status, app::wire::ChatStatus::Idle);
    assert_eq!(store.saves.load(Ordering::SeqCst), after_reply, "nothing changed, so nothing was written");
    assert!(logs.text().contains(&format!("context {} not dirty, skipping save", context.id)), "{}", logs.text());

    chat.rename(owner, context.id, "Renamed".into()).await.unwrap();
    assert_eq!(store.saves.load(Ordering::SeqCst), after_reply + 1);
}

confab_store::delegate_attachments!(Counting, |store| store.inner);
