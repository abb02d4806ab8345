//! Running the accounts in memory, kept as the SQL stores keep them.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use confab_core::{ContextId, Timestamp, UserId};

use super::{Data, MemoryStore};
use crate::{AccountChange, Accounts, Invite, Outcome, SessionInfo, StoreError, User, UserSummary, SESSION_ID_LEN};

/// What the memory store keeps for [`Accounts`] beside the users themselves.
#[derive(Default)]
pub(super) struct Standing {
    disabled: HashSet<String>,
    last_seen: HashMap<String, Timestamp>,
    /// By token hash.
    session_used: HashMap<String, Timestamp>,
    settings: HashMap<String, String>,
    /// By token hash, with whether it was used.
    invites: HashMap<String, (Invite, bool)>,
    /// Single sign-on identities (issuer, subject) to their user.
    identities: HashMap<(String, String), String>,
}

impl Standing {
    pub fn is_disabled(&self, user: &str) -> bool {
        self.disabled.contains(user)
    }

    /// Marks a session used and its user seen, each at most once a minute.
    pub fn touch(&mut self, token_hash: &str, user: &str, now: Timestamp) {
        if stale(self.session_used.get(token_hash), now) {
            self.session_used.insert(token_hash.to_string(), now);
        }
        self.touch_user(user, now);
    }

    /// Marks a user seen, at most once a minute.
    pub fn touch_user(&mut self, user: &str, now: Timestamp) {
        if stale(self.last_seen.get(user), now) {
            self.last_seen.insert(user.to_string(), now);
        }
    }
}

fn stale(at: Option<&Timestamp>, now: Timestamp) -> bool {
    at.is_none_or(|at| *at <= now - chrono::Duration::minutes(1))
}

/// Whether taking `user`'s administrator rights (demoting, disabling or deleting) leaves no
/// enabled administrator.
fn is_last_admin(data: &Data, user: &str) -> bool {
    let enabled_admin = |id: &str, admin: bool| admin && !data.accounts.is_disabled(id);
    let Some((record, _)) = data.users.get(user) else { return false };
    enabled_admin(user, record.admin)
        && !data.users.values().any(|(other, _)| other.id != user && enabled_admin(&other.id, other.admin))
}

#[async_trait]
impl Accounts for MemoryStore {
    async fn users(&self) -> Result<Vec<UserSummary>, StoreError> {
        let data = self.data()?;
        let mut users = Vec::with_capacity(data.users.len());
        for (record, _) in data.users.values() {
            let user = record.clone().into_user()?;
            let conversations = data.contexts.values().filter(|c| c.row.owner == record.id).count() as u64;
            users.push(UserSummary {
                disabled: data.accounts.is_disabled(&record.id),
                last_seen_at: data.accounts.last_seen.get(&record.id).copied(),
                conversations,
                storage_bytes: data.files.bytes_of(user.id),
                user,
            });
        }
        users.sort_by(|a, b| a.user.created_at.cmp(&b.user.created_at).then(a.user.id.cmp(&b.user.id)));
        Ok(users)
    }

    async fn change_account(&self, user: UserId, change: AccountChange) -> Result<Outcome<User>, StoreError> {
        let mut data = self.data()?;
        let id = user.to_string();
        let Some((record, _)) = data.users.get(&id) else { return Ok(Outcome::NotFound) };
        let admin = change.admin.unwrap_or(record.admin);
        let disabled = change.disabled.unwrap_or(data.accounts.is_disabled(&id));
        let stays_enabled_admin = admin && !disabled;
        if !stays_enabled_admin && is_last_admin(&data, &id) {
            return Ok(Outcome::LastAdmin);
        }
        let record = &mut data.users.get_mut(&id).expect("found above").0;
        record.admin = admin;
        let changed = record.clone().into_user()?;
        if disabled {
            data.accounts.disabled.insert(id);
            data.sessions.retain(|_, session| session.user_id != user);
        } else {
            data.accounts.identities.retain(|_, owner| *owner != id);
            data.accounts.disabled.remove(&id);
        }
        Ok(Outcome::Done(changed))
    }

    async fn sessions(&self, user: UserId, now: Timestamp) -> Result<Vec<SessionInfo>, StoreError> {
        let data = self.data()?;
        let mut sessions: Vec<SessionInfo> = data
            .sessions
            .values()
            .filter(|s| s.user_id == user && s.expires_at > now)
            .map(|s| SessionInfo {
                id: s.token_hash.chars().take(SESSION_ID_LEN).collect(),
                created_at: s.created_at,
                expires_at: s.expires_at,
                last_used_at: data.accounts.session_used.get(&s.token_hash).copied(),
                user_agent: s.user_agent.clone(),
            })
            .collect();
        sessions.sort_by(|a, b| {
            let used = |s: &SessionInfo| s.last_used_at.unwrap_or(s.created_at);
            used(b).cmp(&used(a)).then_with(|| a.id.cmp(&b.id))
        });
        Ok(sessions)
    }

    async fn end_session(&self, user: UserId, id: &str) -> Result<Option<String>, StoreError> {
        let mut data = self.data()?;
        let found = data
            .sessions
            .iter()
            .find(|(hash, s)| s.user_id == user && hash.chars().take(SESSION_ID_LEN).eq(id.chars()))
            .map(|(hash, _)| hash.clone());
        if let Some(hash) = &found {
            data.sessions.remove(hash);
        }
        Ok(found)
    }

    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.data()?.accounts.settings.get(name).cloned())
    }

    async fn put_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.data()?.accounts.settings.insert(name.to_string(), value.to_string());
        Ok(())
    }

    async fn create_invite(&self, invite: &Invite) -> Result<(), StoreError> {
        let mut data = self.data()?;
        if !data.users.contains_key(&invite.created_by.to_string()) {
            return Err(StoreError::Rejected("the invite's creator does not exist".into()));
        }
        if data.accounts.invites.contains_key(&invite.token_hash) {
            return Err(StoreError::Conflict);
        }
        data.accounts.invites.insert(invite.token_hash.clone(), (invite.clone(), false));
        Ok(())
    }

    async fn create_invited_user(
        &self,
        user: &User,
        password_hash: &str,
        invite_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError> {
        let mut data = self.data()?;
        let usable =
            data.accounts.invites.get(invite_hash).is_some_and(|(invite, used)| !used && invite.expires_at > now);
        if !usable {
            return Ok(None);
        }
        let created = super::insert_user(&mut data, user, password_hash)?;
        data.accounts.invites.get_mut(invite_hash).expect("checked above").1 = true;
        Ok(Some(created))
    }

    async fn identity_user(&self, issuer: &str, subject: &str) -> Result<Option<crate::Credentials>, StoreError> {
        let found = {
            let data = self.data()?;
            let key = (issuer.to_string(), subject.to_string());
            let user = data.accounts.identities.get(&key).and_then(|id| data.users.get(id)).cloned();
            user.map(|(record, hash)| (data.accounts.is_disabled(&record.id), record, hash))
        };
        found
            .map(|(disabled, record, password_hash)| {
                Ok(crate::Credentials { user: record.into_user()?, password_hash, disabled })
            })
            .transpose()
    }

    async fn create_identity_user(&self, user: &User, issuer: &str, subject: &str) -> Result<User, StoreError> {
        let mut data = self.data()?;
        let key = (issuer.to_string(), subject.to_string());
        if data.accounts.identities.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        let created = super::insert_user(&mut data, user, "")?;
        data.accounts.identities.insert(key, user.id.to_string());
        Ok(created)
    }

    async fn delete_account(&self, user: UserId) -> Result<Outcome<Vec<ContextId>>, StoreError> {
        let mut data = self.data()?;
        let id = user.to_string();
        if !data.users.contains_key(&id) {
            return Ok(Outcome::NotFound);
        }
        if is_last_admin(&data, &id) && data.users.len() > 1 {
            return Ok(Outcome::LastAdmin);
        }
        let contexts: Vec<String> =
            data.contexts.iter().filter(|(_, c)| c.row.owner == id).map(|(key, _)| key.clone()).collect();
        let mut gone = Vec::with_capacity(contexts.len());
        for key in contexts {
            if let Some(stored) = data.contexts.remove(&key) {
                for message in stored.messages.keys() {
                    data.message_context.remove(message);
                }
            }
            gone.push(crate::records::parse_uuid(&key)?);
        }
        data.imported.retain(|(owner, _), _| *owner != user);
        data.shares.retain(|_, (link, _)| link.owner != user);
        data.folders.retain(|folder| folder.owner != user);
        data.preferences.remove(&user);
        data.files.forget_owner(user);
        data.sessions.retain(|_, session| session.user_id != user);
        data.api_tokens.retain(|_, token| token.user_id != user);
        data.accounts.invites.retain(|_, (invite, _)| invite.created_by != user);
        data.accounts.disabled.remove(&id);
        data.accounts.last_seen.remove(&id);
        data.users.remove(&id);
        Ok(Outcome::Done(gone))
    }
}
