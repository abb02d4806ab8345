//! Personal API tokens: what marks their secrets, and how they are listed.

use app::limits;
use app::wire::{CreateTokenRequest, CreatedTokenDTO, TokenDTO, MAX_TOKEN_NAME_CHARS, TOKEN_DAYS};
use chrono::Duration;
use confab_store::{ApiToken, User};

use super::{invalid, session, Auth};
use crate::chat::now;
use crate::error::ApiError;

/// Every personal token starts so: it is looked up among tokens, not sessions, and a person
/// who finds one in a log knows what it is.
pub const PREFIX: &str = "confab_pat_";

fn dto(token: ApiToken) -> TokenDTO {
    TokenDTO {
        id: token.id,
        name: token.name,
        created_at: token.created_at,
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
    }
}

impl Auth {
    /// Makes a personal API token for `user`; its secret is in the answer only.
    pub async fn create_token(&self, user: &User, request: CreateTokenRequest) -> Result<CreatedTokenDTO, ApiError> {
        let name = request.name.trim().to_string();
        limits::check_name("name", &name).map_err(invalid)?;
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS {
            return Err(ApiError::bad_request(
                "invalid_field",
                format!("name: 1 to {MAX_TOKEN_NAME_CHARS} characters"),
            ));
        }
        if let Some(days) = request.expires_in_days.filter(|days| !TOKEN_DAYS.contains(days)) {
            let (min, max) = (TOKEN_DAYS.start(), TOKEN_DAYS.end());
            return Err(ApiError::bad_request("invalid_field", format!("expires_in_days: {min} to {max}, not {days}")));
        }
        let created_at = now();
        let token = ApiToken {
            id: uuid::Uuid::now_v7(),
            user_id: user.id,
            name,
            created_at,
            expires_at: request.expires_in_days.map(|days| created_at + Duration::days(i64::from(days))),
            last_used_at: None,
        };
        let secret = format!("{}{}", PREFIX, session::new_token());
        self.store.create_api_token(&token, &session::token_hash(&secret)).await?;
        tracing::info!(user = %user.username, token = %token.id, "personal API token created");
        Ok(CreatedTokenDTO { id: token.id, name: token.name, token: secret, expires_at: token.expires_at })
    }

    pub async fn tokens(&self, user: &User) -> Result<Vec<TokenDTO>, ApiError> {
        let tokens = self.store.api_tokens(user.id).await?;
        Ok(tokens.into_iter().map(dto).collect())
    }

    /// Revokes one of `user`'s tokens: refused from the next request on, in every process.
    pub async fn revoke_token(&self, user: &User, id: uuid::Uuid) -> Result<(), ApiError> {
        let hash = self.store.delete_api_token(user.id, id).await?;
        hash.ok_or_else(|| ApiError::NotFound("no such token".into()))?;
        self.cache.account_changed(user.id);
        Ok(())
    }
}
