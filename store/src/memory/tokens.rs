//! Personal API tokens in memory, kept as the SQL stores keep them.

use async_trait::async_trait;
use confab_core::{Timestamp, UserId};

use super::MemoryStore;
use crate::{StoreError, User};

#[async_trait]
impl crate::ApiTokens for MemoryStore {
    async fn create_api_token(&self, token: &crate::ApiToken, token_hash: &str) -> Result<(), StoreError> {
        let mut data = self.data()?;
        if !data.users.contains_key(&token.user_id.to_string()) {
            return Err(StoreError::Rejected("the token's user does not exist".into()));
        }
        if data.api_tokens.contains_key(token_hash) || data.api_tokens.values().any(|t| t.id == token.id) {
            return Err(StoreError::Rejected("this token exists already".into()));
        }
        data.api_tokens.insert(token_hash.to_string(), token.clone());
        Ok(())
    }

    async fn api_tokens(&self, user: UserId) -> Result<Vec<crate::ApiToken>, StoreError> {
        let mut tokens: Vec<crate::ApiToken> =
            self.data()?.api_tokens.values().filter(|t| t.user_id == user).cloned().collect();
        tokens.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(tokens)
    }

    async fn delete_api_token(&self, user: UserId, id: uuid::Uuid) -> Result<Option<String>, StoreError> {
        let mut data = self.data()?;
        let hash = data.api_tokens.iter().find(|(_, t)| t.user_id == user && t.id == id).map(|(h, _)| h.clone());
        if let Some(hash) = &hash {
            data.api_tokens.remove(hash);
        }
        Ok(hash)
    }

    async fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        let mut data = self.data()?;
        let Some(token) = data.api_tokens.get_mut(token_hash) else { return Ok(None) };
        if token.expires_at.is_some_and(|at| at <= now) {
            return Ok(None);
        }
        if token.last_used_at.is_none_or(|at| at < now - chrono::Duration::minutes(1)) {
            token.last_used_at = Some(now);
        }
        let user_id = token.user_id.to_string();
        if data.accounts.is_disabled(&user_id) {
            return Ok(None);
        }
        data.accounts.touch_user(&user_id, now);
        data.users.get(&user_id).map(|(record, _)| record.clone().into_user()).transpose()
    }
}
