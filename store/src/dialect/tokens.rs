//! The statements of `api_tokens` both backends share, and the one implementation of
//! [`crate::ApiTokens`] they both use ([`tokens_impl`]).

use super::{Arg, Sql, Statement};
use crate::records::{parse_millis, parse_uuid};
use crate::{ApiToken, StoreError};

static INSERT: Sql = Sql::new(
    "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
);
static OF_USER: Sql = Sql::new(
    "SELECT id, user_id, name, created_at, expires_at, last_used_at FROM api_tokens \
     WHERE user_id = ? ORDER BY created_at DESC, id DESC",
);
static DELETE: Sql = Sql::new("DELETE FROM api_tokens WHERE user_id = ? AND id = ? RETURNING token_hash");
static USER: Sql = Sql::new(
    "SELECT users.id, users.username, users.created_at, users.admin FROM api_tokens \
     JOIN users ON users.id = api_tokens.user_id \
     WHERE api_tokens.token_hash = ? AND (api_tokens.expires_at IS NULL OR api_tokens.expires_at > ?) \
     AND NOT users.disabled",
);
static MARK_USED: Sql = Sql::new(
    "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)",
);

pub(crate) type TokenRow = (String, String, String, i64, Option<i64>, Option<i64>);

pub(crate) struct TokenText {
    id: String,
    user_id: String,
}

impl TokenText {
    pub fn of(token: &ApiToken) -> Self {
        TokenText { id: token.id.to_string(), user_id: token.user_id.to_string() }
    }
}

pub(crate) fn insert<'a>(token: &'a ApiToken, text: &'a TokenText, token_hash: &'a str) -> Statement<'a> {
    Statement::new(
        &INSERT,
        vec![
            Arg::Text(&text.id),
            Arg::Text(&text.user_id),
            Arg::Text(&token.name),
            Arg::Text(token_hash),
            Arg::Int(token.created_at.timestamp_millis()),
            Arg::MaybeInt(token.expires_at.map(|at| at.timestamp_millis())),
        ],
    )
}

pub(crate) fn of_user(user: &str) -> Statement<'_> {
    Statement::new(&OF_USER, vec![Arg::Text(user)])
}

pub(crate) fn delete<'a>(user: &'a str, id: &'a str) -> Statement<'a> {
    Statement::new(&DELETE, vec![Arg::Text(user), Arg::Text(id)])
}

pub(crate) fn user(token_hash: &str, now_millis: i64) -> Statement<'_> {
    Statement::new(&USER, vec![Arg::Text(token_hash), Arg::Int(now_millis)])
}

pub(crate) fn mark_used(token_hash: &str, now_millis: i64) -> Statement<'_> {
    Statement::new(&MARK_USED, vec![Arg::Int(now_millis), Arg::Text(token_hash), Arg::Int(now_millis - 60_000)])
}

pub(crate) fn from_row(row: TokenRow) -> Result<ApiToken, StoreError> {
    let (id, user_id, name, created_at, expires_at, last_used_at) = row;
    Ok(ApiToken {
        id: parse_uuid(&id)?,
        user_id: parse_uuid(&user_id)?,
        name,
        created_at: parse_millis(created_at)?,
        expires_at: expires_at.map(parse_millis).transpose()?,
        last_used_at: last_used_at.map(parse_millis).transpose()?,
    })
}

/// Implements [`crate::ApiTokens`] for a SQL store: `$db` the backend, `$write` and `$read`
/// the store's fields for its writing and reading pools.
macro_rules! tokens_impl {
    ($store:ty, $db:ty, $write:ident, $read:ident) => {
        #[async_trait::async_trait]
        impl crate::ApiTokens for $store {
            async fn create_api_token(
                &self,
                token: &crate::ApiToken,
                token_hash: &str,
            ) -> Result<(), crate::StoreError> {
                let text = crate::dialect::tokens::TokenText::of(token);
                let statement = crate::dialect::tokens::insert(token, &text, token_hash);
                statement.query::<$db>().execute(&self.$write).await?;
                Ok(())
            }

            async fn api_tokens(&self, user: confab_core::UserId) -> Result<Vec<crate::ApiToken>, crate::StoreError> {
                use crate::dialect::tokens as sql;
                let user = user.to_string();
                let rows = sql::of_user(&user).query_as::<$db, sql::TokenRow>().fetch_all(&self.$read).await?;
                rows.into_iter().map(sql::from_row).collect()
            }

            async fn delete_api_token(
                &self,
                user: confab_core::UserId,
                id: uuid::Uuid,
            ) -> Result<Option<String>, crate::StoreError> {
                let (user, id) = (user.to_string(), id.to_string());
                let statement = crate::dialect::tokens::delete(&user, &id);
                Ok(statement.query_scalar::<$db, String>().fetch_optional(&self.$write).await?)
            }

            async fn api_token_user(
                &self,
                token_hash: &str,
                now: confab_core::Timestamp,
            ) -> Result<Option<crate::User>, crate::StoreError> {
                use crate::dialect::tokens as sql;
                let now = now.timestamp_millis();
                let statement = sql::user(token_hash, now);
                let Some(row) =
                    statement.query_as::<$db, crate::records::UserRecord>().fetch_optional(&self.$read).await?
                else {
                    return Ok(None);
                };
                sql::mark_used(token_hash, now).query::<$db>().execute(&self.$write).await?;
                crate::dialect::touch_user(&row.id, now).query::<$db>().execute(&self.$write).await?;
                row.into_user().map(Some)
            }
        }
    };
}
pub(crate) use tokens_impl;
