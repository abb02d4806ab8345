//! When the database refuses a save because of the data itself (`StoreError::Rejected`), a
//! client's request is a `400`, not a `503`, and a reply being generated fails with a
//! `last_error` that names the cause, instead of looking interrupted by a crash. What models
//! and tools produce is cleaned before it is saved, so this takes a store that refuses on
//! purpose: it wraps the real backend (SQLite, and PostgreSQL through
//! `scripts/with-postgres.sh`) and refuses saves holding a marker.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use app::wire::ChatStatus;
use async_trait::async_trait;
use common::{backend_name, backends};
use confab_core::{Changes, ChatContext, ContextId, Event, Role, Status, UserId};
use confab_llm::BuiltinModel;
use confab_server::chat::ChatError;
use confab_server::models::Catalog;
use confab_server::{ApiError, ChatService, ChatSettings};
use confab_store::{
    ContextStore, ContextSummary, Conversations, Coordinated, Coordination, Health, ImportSources, PgStore,
    Preferences, SaveStats, Search, SearchHit, ShareLink, Shares, SqliteStore, StoreError, UserPreferences,
};
use confab_tools::ToolRegistry;

/// Refused in any message.
const MARKER: &str = "unstorable";
/// Refused in replies only.
const REPLY_MARKER: &str = "quotable";
const REASON: &str = "invalid byte sequence for encoding \"UTF8\": 0x00";

/// A store that refuses, as PostgreSQL refuses a NUL, a save of a message holding MARKER,
/// or of a reply holding REPLY_MARKER.
struct Refusing(Arc<dyn ContextStore>);

#[async_trait]
impl Conversations for Refusing {
    async fn save(&self, changes: &Changes<'_>) -> Result<SaveStats, StoreError> {
        let refused = changes.messages.iter().any(|(_, message)| {
            message.content.contains(MARKER)
                || (message.role == Role::Assistant && message.content.contains(REPLY_MARKER))
        });
        if refused {
            return Err(StoreError::Rejected(REASON.into()));
        }
        self.0.save(changes).await
    }
    async fn load(&self, id: ContextId) -> Result<Option<ChatContext>, StoreError> {
        self.0.load(id).await
    }
    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError> {
        self.0.version_of(id).await
    }
    async fn delete(&self, id: ContextId) -> Result<bool, StoreError> {
        self.0.delete(id).await
    }
    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError> {
        self.0.list(owner).await
    }
    async fn unleased_with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError> {
        self.0.unleased_with_status(statuses).await
    }
}

#[async_trait]
impl Health for Refusing {
    async fn ping(&self) -> Result<(), StoreError> {
        self.0.ping().await
    }
}

#[async_trait]
impl Search for Refusing {
    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        self.0.search(owner, query, limit).await
    }
}

#[async_trait]
impl Preferences for Refusing {
    async fn preferences(&self, user: UserId) -> Result<(UserPreferences, u64), StoreError> {
        self.0.preferences(user).await
    }

    async fn put_preferences(&self, user: UserId, prefs: &UserPreferences, expected: u64) -> Result<(), StoreError> {
        self.0.put_preferences(user, prefs, expected).await
    }
}

#[async_trait]
impl Shares for Refusing {
    async fn create_share(&self, link: &ShareLink, snapshot: &str) -> Result<(), StoreError> {
        self.0.create_share(link, snapshot).await
    }
    async fn share_by_token(&self, token: &str) -> Result<Option<(ShareLink, String)>, StoreError> {
        self.0.share_by_token(token).await
    }
    async fn shares_of(&self, owner: UserId, context: ContextId) -> Result<Vec<ShareLink>, StoreError> {
        self.0.shares_of(owner, context).await
    }
    async fn delete_share(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        self.0.delete_share(owner, id).await
    }
}

#[async_trait]
impl confab_store::Folders for Refusing {
    async fn folders(&self, owner: UserId) -> Result<Vec<confab_store::Folder>, StoreError> {
        self.0.folders(owner).await
    }
    async fn create_folder(&self, folder: &confab_store::Folder) -> Result<(), StoreError> {
        self.0.create_folder(folder).await
    }
    async fn rename_folder(&self, owner: UserId, id: uuid::Uuid, name: &str) -> Result<bool, StoreError> {
        self.0.rename_folder(owner, id, name).await
    }
    async fn delete_folder(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        self.0.delete_folder(owner, id).await
    }
}

#[async_trait]
impl ImportSources for Refusing {
    async fn imported_from(&self, owner: UserId, source: &str) -> Result<Option<ContextId>, StoreError> {
        self.0.imported_from(owner, source).await
    }

    async fn record_import(&self, owner: UserId, source: &str, context: ContextId) -> Result<bool, StoreError> {
        self.0.record_import(owner, source, context).await
    }
}

impl Coordinated for Refusing {
    fn coordination(&self) -> Arc<dyn Coordination> {
        self.0.coordination()
    }
}

async fn wait_until_settled(chat: &ChatService, owner: UserId, id: ContextId) -> ChatStatus {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = chat.get(owner, id).await.unwrap().status;
        if !status.is_busy() {
            return status;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {status:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn data_the_database_refuses_is_a_bad_request_or_a_failed_reply_never_an_outage() {
    for database in backends().await {
        let backend = backend_name(&database);
        let dir = tempfile::tempdir().unwrap();
        let inner: Arc<dyn ContextStore> = match &database {
            Some(url) => Arc::new(PgStore::open(url).await.unwrap()),
            None => Arc::new(SqliteStore::open(&format!("sqlite://{}/c.db", dir.path().display())).await.unwrap()),
        };
        let store = Arc::new(Refusing(inner.clone()));
        let model = Arc::new(BuiltinModel::new(Duration::ZERO));
        let chat = ChatService::new(
            store,
            Arc::new(Catalog::only(model)),
            ToolRegistry::standard(None),
            ChatSettings::default(),
        );
        let owner = uuid::Uuid::new_v4();
        let id = chat.create(owner, None, Default::default()).await.unwrap().id;
        chat.act(owner, id, Event::SendMessage { attachments: Vec::new(), content: "hello".into() }, None)
            .await
            .unwrap();
        assert_eq!(wait_until_settled(&chat, owner, id).await, ChatStatus::Idle, "{backend}");

        // A client's message the database refuses: a 400 naming the cause, nothing kept.
        let refused = chat
            .act(owner, id, Event::SendMessage { attachments: Vec::new(), content: format!("an {MARKER} one") }, None)
            .await;
        let Err(error @ ChatError::Store(StoreError::Rejected(_))) = refused else {
            panic!("{backend}: expected a rejection, got {refused:?}")
        };
        let api = ApiError::from(error);
        let body = api.body();
        assert_eq!(body.error.code, "invalid_field", "{backend}: {body:?}");
        assert!(body.error.message.contains(REASON), "{backend}: {body:?}");
        assert_eq!(chat.get(owner, id).await.unwrap().context.messages.len(), 2, "{backend}");

        // A reply the database refuses (the built-in model quotes the message, and only
        // replies holding REPLY_MARKER are refused): the turn fails, saying why.
        let ask = Event::SendMessage { attachments: Vec::new(), content: format!("a {REPLY_MARKER} question") };
        chat.act(owner, id, ask, None).await.unwrap();
        assert_eq!(wait_until_settled(&chat, owner, id).await, ChatStatus::Failed, "{backend}");
        let failed = chat.get(owner, id).await.unwrap().context;
        let last_error = failed.last_error.clone().unwrap_or_default();
        assert!(last_error.contains("could not be saved") && last_error.contains(REASON), "{backend}: {last_error}");
        assert!(!last_error.contains("server stopped"), "{backend}: not taken for a crash: {last_error}");
        assert_eq!(failed.messages[2].content, format!("a {REPLY_MARKER} question"), "{backend}: the question is kept");
        let stored = inner.load(id).await.unwrap().unwrap();
        assert_eq!(stored.status(), Status::Failed, "{backend}: the store says so too");
        assert_eq!(stored.last_error(), Some(last_error.as_str()), "{backend}");

        // The conversation goes on.
        chat.act(owner, id, Event::SendMessage { attachments: Vec::new(), content: "never mind".into() }, None)
            .await
            .unwrap();
        assert_eq!(wait_until_settled(&chat, owner, id).await, ChatStatus::Idle, "{backend}");
    }
}

confab_store::delegate_attachments!(Refusing, |store| store.0);
