//! A store in memory, for tests: cheap to make ([`MemoryStore::new`]), gone when dropped,
//! and able to fail on demand ([`MemoryStore::set_unavailable`]) to test what happens when
//! storage is down.
//!
//! It behaves as the SQL stores do (the shared suite in `testsuite` runs on it too): saves
//! are version-checked and all-or-nothing, timestamps are kept to the millisecond, a message
//! never moves to another context, user names are unique whatever their case. It keeps the
//! same flat records the SQL stores write, so what it loads back is what they would load.
//! Where it differs:
//! - search is a plain substring match ([`search::substring_match`]): a hit is any title or
//!   message containing every word of the query in any case, even inside a longer word,
//!   ranked by how many of its words matched;
//! - a session of a user that does not exist is kept (a SQL store refuses it) and never
//!   leads to anyone;
//! - nobody else can share it, so its coordination is [`Solo`].

mod accounts;
mod attachments;
mod tokens;

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use confab_core::{Changes, ChatContext, ContextId, Status, Timestamp, UserId};

use crate::records::{self, ContextRecord, MessageRecord, SummaryRecord, UserRecord};
use crate::search::{self, MessageRow, TitleRow};
use crate::shares::ShareLink;
use crate::Folder;
use crate::{
    ContextSummary, Conversations, Coordinated, Coordination, Credentials, Health, Preferences, SaveStats, Search,
    SearchHit, Session, Solo, StoreError, User, UserPreferences, UserStore,
};

/// How many words a snippet shows, as the SQLite store's snippets do.
const TITLE_WORDS: usize = 12;
const MESSAGE_WORDS: usize = 16;

/// Everything kept in memory. Clones share it.
#[derive(Clone, Default)]
pub struct MemoryStore {
    data: Arc<Mutex<Data>>,
    unavailable: Arc<AtomicBool>,
}

#[derive(Default)]
struct Data {
    contexts: HashMap<String, Stored>,
    /// Which context each message belongs to: message ids are unique across contexts.
    message_context: HashMap<String, String>,
    users: HashMap<String, (UserRecord, String)>,
    sessions: HashMap<String, Session>,
    preferences: HashMap<UserId, (UserPreferences, u64)>,
    imported: HashMap<(UserId, String), ContextId>,
    /// By token.
    shares: HashMap<String, (ShareLink, String)>,
    folders: Vec<Folder>,
    files: attachments::Files,
    /// By token hash.
    api_tokens: HashMap<String, crate::ApiToken>,
    /// What [`crate::Accounts`] keeps: who is disabled, sessions' last use, settings, invites.
    accounts: accounts::Standing,
}

struct Stored {
    row: ContextRecord,
    messages: HashMap<String, MessageRecord>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// While set, every call fails with [`StoreError::Unavailable`], as a store whose
    /// database is down does; nothing is lost, and clearing it makes the store answer again.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// The data, unless the store is set to be unavailable.
    fn data(&self) -> Result<MutexGuard<'_, Data>, StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            let cause = std::io::Error::other("the in-memory store is set to be unavailable");
            return Err(StoreError::Unavailable(sqlx::Error::Io(cause)));
        }
        // Nothing panics while holding the lock, and the data is consistent between calls anyway.
        Ok(self.data.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[async_trait]
impl Conversations for MemoryStore {
    async fn save(&self, changes: &Changes<'_>) -> Result<SaveStats, StoreError> {
        let row = ContextRecord::from_row(&changes.row);
        let messages: Vec<MessageRecord> = changes
            .messages
            .iter()
            .map(|&(position, message)| MessageRecord::from_message(&row.id, position, message))
            .collect();
        let mut data = self.data()?;
        let Data { contexts, message_context, .. } = &mut *data;
        let mut stats = SaveStats { rows_written: 1, bytes_written: row.byte_len() };
        // The row goes first, so a stale version writes nothing.
        let stored = match contexts.get_mut(&row.id) {
            None if row.version == 1 => {
                contexts.entry(row.id.clone()).or_insert(Stored { row, messages: HashMap::new() })
            }
            Some(stored) if row.version > 1 && stored.row.version == row.version - 1 => {
                // What an update changes: the id, owner and creation time stay.
                let kept = &mut stored.row;
                kept.title = row.title;
                kept.title_is_manual = row.title_is_manual;
                kept.status = row.status;
                kept.version = row.version;
                kept.updated_at = row.updated_at;
                kept.active_branch = row.active_branch;
                kept.branches = row.branches;
                kept.last_error = row.last_error;
                kept.recent_actions = row.recent_actions;
                kept.settings = row.settings;
                kept.context_window_start = row.context_window_start;
                kept.place = row.place;
                kept.allowed_tools = row.allowed_tools;
                stored
            }
            _ => return Err(StoreError::Conflict),
        };
        for message in messages {
            stats.bytes_written += message.byte_len();
            match message_context.get(&message.id) {
                None => {
                    message_context.insert(message.id.clone(), message.context_id.clone());
                    stored.messages.insert(message.id.clone(), message);
                }
                Some(owner) if *owner == message.context_id => {
                    let kept = stored.messages.get_mut(&message.id).expect("indexed messages are stored");
                    kept.content = message.content;
                    kept.complete = message.complete;
                    kept.tool_calls = message.tool_calls;
                    kept.client_action_id = message.client_action_id;
                    kept.stop_reason = message.stop_reason;
                    kept.stream_seq = message.stream_seq;
                    kept.model = message.model;
                    kept.reasoning = message.reasoning;
                    kept.reasoning_seq = message.reasoning_seq;
                    kept.usage = message.usage;
                    kept.timing = message.timing;
                }
                // Another context's message: never moved, nothing written.
                Some(_) => continue,
            }
            stats.rows_written += 1;
        }
        Ok(stats)
    }

    async fn load(&self, id: ContextId) -> Result<Option<ChatContext>, StoreError> {
        let (row, mut messages) = {
            let data = self.data()?;
            let Some(stored) = data.contexts.get(&id.to_string()) else { return Ok(None) };
            (stored.row.clone(), stored.messages.values().cloned().collect::<Vec<_>>())
        };
        messages.sort_by_key(|m| m.position);
        records::into_context(row, messages).map(Some)
    }

    async fn version_of(&self, id: ContextId) -> Result<Option<u64>, StoreError> {
        Ok(self.data()?.contexts.get(&id.to_string()).map(|stored| stored.row.version as u64))
    }

    async fn delete(&self, id: ContextId) -> Result<bool, StoreError> {
        let mut data = self.data()?;
        let Some(stored) = data.contexts.remove(&id.to_string()) else { return Ok(false) };
        for message in stored.messages.keys() {
            data.message_context.remove(message);
        }
        // Where it was imported from goes with it, as the foreign key does in SQL.
        data.imported.retain(|_, context| *context != id);
        data.shares.retain(|_, (link, _)| link.context_id != id);
        data.files.forget_context(id);
        Ok(true)
    }

    async fn list(&self, owner: UserId) -> Result<Vec<ContextSummary>, StoreError> {
        let owner = owner.to_string();
        let mut rows: Vec<ContextRecord> = {
            let data = self.data()?;
            data.contexts.values().filter(|s| s.row.owner == owner).map(|s| s.row.clone()).collect()
        };
        rows.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| b.id.cmp(&a.id)));
        rows.into_iter()
            .map(|r| {
                let ContextRecord { id, title, status, version, created_at, updated_at, place, .. } = r;
                SummaryRecord { id, title, status, version, created_at, updated_at, place }.into_summary()
            })
            .collect()
    }

    /// Nobody shares this store, so no lease is ever taken: every context with one of
    /// `statuses` is unleased.
    async fn unleased_with_status(&self, statuses: &[Status]) -> Result<Vec<ContextId>, StoreError> {
        let data = self.data()?;
        let mut ids = Vec::new();
        for status in statuses {
            for stored in data.contexts.values().filter(|s| s.row.status == status.as_str()) {
                ids.push(records::parse_uuid(&stored.row.id)?);
            }
        }
        Ok(ids)
    }
}

#[async_trait]
impl Search for MemoryStore {
    async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let terms = search::query_terms(query);
        let owner = owner.to_string();
        // Ranked by how many words matched, then the most recently active conversation.
        let mut titles: Vec<(usize, i64, TitleRow)> = Vec::new();
        let mut messages: Vec<(usize, i64, i64, MessageRow)> = Vec::new();
        {
            let data = self.data()?;
            for stored in data.contexts.values().filter(|s| s.row.owner == owner) {
                let row = &stored.row;
                if let Some((score, snippet)) = search::substring_match(&row.title, &terms, TITLE_WORDS) {
                    titles.push((score, row.updated_at, (row.id.clone(), row.title.clone(), snippet)));
                }
                for message in stored.messages.values() {
                    let Some((score, snippet)) = search::substring_match(&message.content, &terms, MESSAGE_WORDS)
                    else {
                        continue;
                    };
                    let hit = (row.id.clone(), row.title.clone(), message.id.clone(), snippet);
                    messages.push((score, row.updated_at, message.position, hit));
                }
            }
        }
        titles.sort_by_key(|&(score, updated_at, _)| Reverse((score, updated_at)));
        messages.sort_by_key(|&(score, updated_at, position, _)| (Reverse((score, updated_at)), position));
        let titles = titles.into_iter().take(limit).map(|(_, _, row)| row).collect();
        let messages = messages.into_iter().take(limit).map(|(_, _, _, row)| row).collect();
        search::hits(titles, messages, limit)
    }
}

#[async_trait]
impl Health for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.data().map(drop)
    }
}

impl Coordinated for MemoryStore {
    /// Nobody else can use this store: no one to take turns with, tell or hear.
    fn coordination(&self) -> Arc<dyn Coordination> {
        Solo::handle()
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<User, StoreError> {
        let mut data = self.data()?;
        insert_user(&mut data, user, password_hash)
    }

    async fn create_first_user(&self, user: &User, password_hash: &str) -> Result<Option<User>, StoreError> {
        let mut data = self.data()?;
        if !data.users.is_empty() {
            return Ok(None);
        }
        insert_user(&mut data, user, password_hash).map(Some)
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let found = {
            let data = self.data()?;
            let name = username.to_lowercase();
            let found = data.users.values().find(|(user, _)| user.username.to_lowercase() == name).cloned();
            found.map(|(user, hash)| (data.accounts.is_disabled(&user.id), user, hash))
        };
        found
            .map(|(disabled, user, password_hash)| Ok(Credentials { user: user.into_user()?, password_hash, disabled }))
            .transpose()
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        Ok(self.data()?.users.len() as u64)
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut data = self.data()?;
        if data.sessions.contains_key(&session.token_hash) {
            return Err(StoreError::Conflict);
        }
        let session = Session {
            created_at: millis(session.created_at)?,
            expires_at: millis(session.expires_at)?,
            ..session.clone()
        };
        data.sessions.insert(session.token_hash.clone(), session);
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        let found = {
            let mut data = self.data()?;
            let live = data.sessions.get(token_hash).filter(|s| s.expires_at > now);
            let user = live.and_then(|s| data.users.get(&s.user_id.to_string())).map(|(user, _)| user.clone());
            match user {
                Some(user) if !data.accounts.is_disabled(&user.id) => {
                    data.accounts.touch(token_hash, &user.id, now);
                    Some(user)
                }
                _ => None,
            }
        };
        found.map(UserRecord::into_user).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.data()?.sessions.remove(token_hash);
        Ok(())
    }

    async fn set_password(&self, user: UserId, password_hash: &str, keep: &str) -> Result<bool, StoreError> {
        let mut data = self.data()?;
        let Some((_, hash)) = data.users.get_mut(&user.to_string()) else { return Ok(false) };
        *hash = password_hash.to_string();
        data.sessions.retain(|token_hash, session| session.user_id != user || token_hash == keep);
        Ok(true)
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut data = self.data()?;
        let before = data.sessions.len();
        let now = now.timestamp_millis();
        data.sessions.retain(|_, s| s.expires_at.timestamp_millis() > now);
        Ok((before - data.sessions.len()) as u64)
    }
}

/// Adds a user unless the id or the name (in any case) is taken; the first one is an
/// administrator.
fn insert_user(data: &mut Data, user: &User, password_hash: &str) -> Result<User, StoreError> {
    let name = user.username.to_lowercase();
    let id = user.id.to_string();
    if data.users.contains_key(&id) || data.users.values().any(|(u, _)| u.username.to_lowercase() == name) {
        return Err(StoreError::Conflict);
    }
    let admin = user.admin || data.users.is_empty();
    let created_at = user.created_at.timestamp_millis();
    let record = UserRecord { id: id.clone(), username: user.username.clone(), created_at, admin };
    data.users.insert(id, (record, password_hash.to_string()));
    Ok(User { admin, ..user.clone() })
}

/// A timestamp as the SQL stores keep it: to the millisecond.
fn millis(t: Timestamp) -> Result<Timestamp, StoreError> {
    records::parse_millis(t.timestamp_millis())
}

#[async_trait]
impl Preferences for MemoryStore {
    async fn preferences(&self, user: UserId) -> Result<(UserPreferences, u64), StoreError> {
        Ok(self.data()?.preferences.get(&user).cloned().unwrap_or_default())
    }

    async fn put_preferences(
        &self,
        user: UserId,
        preferences: &UserPreferences,
        expected: u64,
    ) -> Result<(), StoreError> {
        let mut data = self.data()?;
        let stored = data.preferences.entry(user).or_default();
        if stored.1 != expected {
            return Err(StoreError::Conflict);
        }
        *stored = (preferences.clone(), expected + 1);
        Ok(())
    }
}

#[async_trait]
impl crate::ImportSources for MemoryStore {
    async fn imported_from(&self, owner: UserId, source: &str) -> Result<Option<ContextId>, StoreError> {
        Ok(self.data()?.imported.get(&(owner, source.to_string())).copied())
    }

    async fn record_import(&self, owner: UserId, source: &str, context: ContextId) -> Result<bool, StoreError> {
        let mut data = self.data()?;
        if !data.contexts.contains_key(&context.to_string()) {
            return Err(StoreError::Rejected("the imported conversation is not stored".into()));
        }
        let key = (owner, source.to_string());
        if data.imported.contains_key(&key) {
            return Ok(false);
        }
        data.imported.insert(key, context);
        Ok(true)
    }
}

#[async_trait]
impl crate::Shares for MemoryStore {
    async fn create_share(&self, link: &ShareLink, snapshot: &str) -> Result<(), StoreError> {
        let mut data = self.data()?;
        if !data.contexts.contains_key(&link.context_id.to_string()) {
            return Err(StoreError::Rejected("the shared conversation is not stored".into()));
        }
        if data.shares.contains_key(&link.token) || data.shares.values().any(|(other, _)| other.id == link.id) {
            return Err(StoreError::Rejected("this share link exists already".into()));
        }
        data.shares.insert(link.token.clone(), (link.clone(), snapshot.to_string()));
        Ok(())
    }

    async fn share_by_token(&self, token: &str) -> Result<Option<(ShareLink, String)>, StoreError> {
        Ok(self.data()?.shares.get(token).cloned())
    }

    async fn shares_of(&self, owner: UserId, context: ContextId) -> Result<Vec<ShareLink>, StoreError> {
        let data = self.data()?;
        let mut links: Vec<ShareLink> = data
            .shares
            .values()
            .filter(|(link, _)| link.owner == owner && link.context_id == context)
            .map(|(link, _)| link.clone())
            .collect();
        links.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(links)
    }

    async fn delete_share(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        let mut data = self.data()?;
        let before = data.shares.len();
        data.shares.retain(|_, (link, _)| !(link.owner == owner && link.id == id));
        Ok(data.shares.len() < before)
    }
}

#[async_trait]
impl crate::Folders for MemoryStore {
    async fn folders(&self, owner: UserId) -> Result<Vec<Folder>, StoreError> {
        let mut folders: Vec<Folder> = self.data()?.folders.iter().filter(|f| f.owner == owner).cloned().collect();
        folders.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(folders)
    }

    async fn create_folder(&self, folder: &Folder) -> Result<(), StoreError> {
        let mut data = self.data()?;
        if data.folders.iter().any(|f| f.id == folder.id) {
            return Err(StoreError::Conflict);
        }
        data.folders.push(folder.clone());
        Ok(())
    }

    async fn rename_folder(&self, owner: UserId, id: uuid::Uuid, name: &str) -> Result<bool, StoreError> {
        let mut data = self.data()?;
        let found = data.folders.iter_mut().find(|f| f.owner == owner && f.id == id);
        Ok(found.map(|folder| folder.name = name.to_string()).is_some())
    }

    async fn delete_folder(&self, owner: UserId, id: uuid::Uuid) -> Result<bool, StoreError> {
        let mut data = self.data()?;
        let before = data.folders.len();
        data.folders.retain(|f| !(f.owner == owner && f.id == id));
        Ok(data.folders.len() < before)
    }
}
