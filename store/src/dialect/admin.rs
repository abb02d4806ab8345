//! The statements of [`crate::Accounts`] both backends share, and the one implementation of
//! it they both use ([`accounts_impl`]).

use super::{Arg, Sql, Statement};
use crate::records::{parse_millis, UserRecord};
use crate::{SessionInfo, StoreError, UserSummary, SESSION_ID_LEN};

static USERS: Sql = Sql::new(
    "SELECT users.id, users.username, users.created_at, users.admin, users.disabled, users.last_seen_at, \
     (SELECT COUNT(*) FROM contexts WHERE contexts.owner = users.id), \
     CAST((SELECT COALESCE(SUM(blobs.size), 0) FROM blobs WHERE blobs.owner = users.id) AS BIGINT) \
     FROM users ORDER BY users.created_at, users.id",
);
static STANDING: Sql = Sql::new("SELECT id, username, created_at, admin, disabled FROM users WHERE id = ?");
static OTHER_ENABLED_ADMINS: Sql = Sql::new("SELECT COUNT(*) FROM users WHERE admin AND NOT disabled AND id <> ?");
static OTHER_USERS: Sql = Sql::new("SELECT COUNT(*) FROM users WHERE id <> ?");
static SET_STANDING: Sql = Sql::new("UPDATE users SET admin = ?, disabled = ? WHERE id = ?");
static END_ALL_SESSIONS: Sql = Sql::new("DELETE FROM sessions WHERE user_id = ?");
static SESSIONS: Sql = Sql::new(
    "SELECT token_hash, created_at, expires_at, last_used_at, user_agent FROM sessions \
     WHERE user_id = ? AND expires_at > ? ORDER BY COALESCE(last_used_at, created_at) DESC, token_hash",
);
static END_SESSION: Sql =
    Sql::new("DELETE FROM sessions WHERE user_id = ? AND substr(token_hash, 1, 32) = ? RETURNING token_hash");
static SETTING: Sql = Sql::new("SELECT value FROM server_settings WHERE name = ?");
static PUT_SETTING: Sql = Sql::new(
    "INSERT INTO server_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
);
static INSERT_INVITE: Sql =
    Sql::new("INSERT INTO invites (token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?)");
static USE_INVITE: Sql =
    Sql::new("UPDATE invites SET used_by = ?, used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?");
static IDENTITY_USER: Sql = Sql::new(
    "SELECT users.id, users.username, users.created_at, users.admin, users.password_hash, users.disabled \
     FROM identities JOIN users ON users.id = identities.user_id WHERE identities.issuer = ? AND identities.subject = ?",
);
static INSERT_IDENTITY: Sql = Sql::new("INSERT INTO identities (issuer, subject, user_id) VALUES (?, ?, ?)");
static OWNED_CONTEXTS: Sql = Sql::new("SELECT id FROM contexts WHERE owner = ?");
/// What an account owns, children first; the rows that point at these go with them (foreign
/// keys: messages, leases, sessions, tokens, invites).
static DELETE_OWNED: [Sql; 9] = [
    Sql::new("DELETE FROM shares WHERE owner = ?"),
    Sql::new("DELETE FROM imported_sources WHERE owner = ?"),
    Sql::new("DELETE FROM contexts WHERE owner = ?"),
    Sql::new("DELETE FROM attachments WHERE owner = ?"),
    Sql::new("DELETE FROM blobs WHERE owner = ?"),
    Sql::new("DELETE FROM folders WHERE owner = ?"),
    Sql::new("DELETE FROM preferences WHERE user_id = ?"),
    Sql::new("DELETE FROM sessions WHERE user_id = ?"),
    Sql::new("DELETE FROM users WHERE id = ?"),
];

pub(crate) type SummaryRow = (String, String, i64, bool, bool, Option<i64>, i64, i64);
pub(crate) type StandingRow = (String, String, i64, bool, bool);
pub(crate) type SessionRow = (String, i64, i64, Option<i64>, String);

pub(crate) fn users() -> Statement<'static> {
    Statement::new(&USERS, Vec::new())
}

pub(crate) fn summary(row: SummaryRow) -> Result<UserSummary, StoreError> {
    let (id, username, created_at, admin, disabled, last_seen_at, conversations, storage_bytes) = row;
    Ok(UserSummary {
        user: UserRecord { id, username, created_at, admin }.into_user()?,
        disabled,
        last_seen_at: last_seen_at.map(parse_millis).transpose()?,
        conversations: conversations.max(0) as u64,
        storage_bytes: storage_bytes.max(0) as u64,
    })
}

pub(crate) fn standing(user: &str) -> Statement<'_> {
    Statement::new(&STANDING, vec![Arg::Text(user)])
}

pub(crate) fn other_enabled_admins(user: &str) -> Statement<'_> {
    Statement::new(&OTHER_ENABLED_ADMINS, vec![Arg::Text(user)])
}

pub(crate) fn other_users(user: &str) -> Statement<'_> {
    Statement::new(&OTHER_USERS, vec![Arg::Text(user)])
}

pub(crate) fn set_standing(user: &str, admin: bool, disabled: bool) -> Statement<'_> {
    Statement::new(&SET_STANDING, vec![Arg::Bool(admin), Arg::Bool(disabled), Arg::Text(user)])
}

pub(crate) fn end_all_sessions(user: &str) -> Statement<'_> {
    Statement::new(&END_ALL_SESSIONS, vec![Arg::Text(user)])
}

pub(crate) fn sessions(user: &str, now_millis: i64) -> Statement<'_> {
    Statement::new(&SESSIONS, vec![Arg::Text(user), Arg::Int(now_millis)])
}

pub(crate) fn session_info(row: SessionRow) -> Result<SessionInfo, StoreError> {
    let (token_hash, created_at, expires_at, last_used_at, user_agent) = row;
    Ok(SessionInfo {
        id: token_hash.chars().take(SESSION_ID_LEN).collect(),
        created_at: parse_millis(created_at)?,
        expires_at: parse_millis(expires_at)?,
        last_used_at: last_used_at.map(parse_millis).transpose()?,
        user_agent,
    })
}

pub(crate) fn end_session<'a>(user: &'a str, id: &'a str) -> Statement<'a> {
    Statement::new(&END_SESSION, vec![Arg::Text(user), Arg::Text(id)])
}

pub(crate) fn setting(name: &str) -> Statement<'_> {
    Statement::new(&SETTING, vec![Arg::Text(name)])
}

pub(crate) fn put_setting<'a>(name: &'a str, value: &'a str) -> Statement<'a> {
    Statement::new(&PUT_SETTING, vec![Arg::Text(name), Arg::Text(value)])
}

pub(crate) fn insert_invite<'a>(invite: &'a crate::Invite, created_by: &'a str) -> Statement<'a> {
    Statement::new(
        &INSERT_INVITE,
        vec![
            Arg::Text(&invite.token_hash),
            Arg::Text(created_by),
            Arg::Int(invite.created_at.timestamp_millis()),
            Arg::Int(invite.expires_at.timestamp_millis()),
        ],
    )
}

pub(crate) fn use_invite<'a>(invite_hash: &'a str, user: &'a str, now_millis: i64) -> Statement<'a> {
    Statement::new(
        &USE_INVITE,
        vec![Arg::Text(user), Arg::Int(now_millis), Arg::Text(invite_hash), Arg::Int(now_millis)],
    )
}

pub(crate) fn identity_user<'a>(issuer: &'a str, subject: &'a str) -> Statement<'a> {
    Statement::new(&IDENTITY_USER, vec![Arg::Text(issuer), Arg::Text(subject)])
}

pub(crate) fn insert_identity<'a>(issuer: &'a str, subject: &'a str, user: &'a str) -> Statement<'a> {
    Statement::new(&INSERT_IDENTITY, vec![Arg::Text(issuer), Arg::Text(subject), Arg::Text(user)])
}

pub(crate) fn owned_contexts(user: &str) -> Statement<'_> {
    Statement::new(&OWNED_CONTEXTS, vec![Arg::Text(user)])
}

pub(crate) fn delete_owned(user: &str) -> impl Iterator<Item = Statement<'_>> {
    DELETE_OWNED.iter().map(move |sql| Statement::new(sql, vec![Arg::Text(user)]))
}

/// Implements [`crate::Accounts`] for a SQL store: `$db` the backend, `$write` and `$read`
/// the store's fields for its writing and reading pools, and `$lock` the statement (if any)
/// that makes concurrent changes to the accounts take turns inside a transaction, so that
/// two of them can never each leave the other as the last administrator; `$purge` the
/// statements that, after an account is deleted, rid the backend's own structures of what
/// the deleted rows leave behind (SQLite's full-text index keeps a deleted text's words until
/// its segments are merged).
macro_rules! accounts_impl {
    ($store:ty, $db:ty, $write:ident, $read:ident, $lock:expr, $purge:expr) => {
        #[async_trait::async_trait]
        impl crate::Accounts for $store {
            async fn users(&self) -> Result<Vec<crate::UserSummary>, crate::StoreError> {
                use crate::dialect::admin as sql;
                let rows = sql::users().query_as::<$db, sql::SummaryRow>().fetch_all(&self.$read).await?;
                rows.into_iter().map(sql::summary).collect()
            }

            async fn change_account(
                &self,
                user: confab_core::UserId,
                change: crate::AccountChange,
            ) -> Result<crate::Outcome<crate::User>, crate::StoreError> {
                use crate::dialect::admin as sql;
                let id = user.to_string();
                let mut tx = self.$write.begin().await?;
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let row = sql::standing(&id).query_as::<$db, sql::StandingRow>().fetch_optional(&mut *tx).await?;
                let Some((_, username, created_at, admin, disabled)) = row else {
                    return Ok(crate::Outcome::NotFound);
                };
                let (new_admin, new_disabled) = (change.admin.unwrap_or(admin), change.disabled.unwrap_or(disabled));
                let (was_enabled_admin, stays_enabled_admin) = (admin && !disabled, new_admin && !new_disabled);
                if was_enabled_admin && !stays_enabled_admin {
                    let others: i64 =
                        sql::other_enabled_admins(&id).query_scalar::<$db, i64>().fetch_one(&mut *tx).await?;
                    if others == 0 {
                        return Ok(crate::Outcome::LastAdmin);
                    }
                }
                sql::set_standing(&id, new_admin, new_disabled).query::<$db>().execute(&mut *tx).await?;
                if new_disabled {
                    sql::end_all_sessions(&id).query::<$db>().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                let record = crate::records::UserRecord { id, username, created_at, admin: new_admin };
                record.into_user().map(crate::Outcome::Done)
            }

            async fn sessions(
                &self,
                user: confab_core::UserId,
                now: confab_core::Timestamp,
            ) -> Result<Vec<crate::SessionInfo>, crate::StoreError> {
                use crate::dialect::admin as sql;
                let id = user.to_string();
                let statement = sql::sessions(&id, now.timestamp_millis());
                let rows = statement.query_as::<$db, sql::SessionRow>().fetch_all(&self.$read).await?;
                rows.into_iter().map(sql::session_info).collect()
            }

            async fn end_session(
                &self,
                user: confab_core::UserId,
                id: &str,
            ) -> Result<Option<String>, crate::StoreError> {
                let user = user.to_string();
                let statement = crate::dialect::admin::end_session(&user, id);
                Ok(statement.query_scalar::<$db, String>().fetch_optional(&self.$write).await?)
            }

            async fn setting(&self, name: &str) -> Result<Option<String>, crate::StoreError> {
                let statement = crate::dialect::admin::setting(name);
                Ok(statement.query_scalar::<$db, String>().fetch_optional(&self.$read).await?)
            }

            async fn put_setting(&self, name: &str, value: &str) -> Result<(), crate::StoreError> {
                crate::dialect::admin::put_setting(name, value).query::<$db>().execute(&self.$write).await?;
                Ok(())
            }

            async fn create_invite(&self, invite: &crate::Invite) -> Result<(), crate::StoreError> {
                let created_by = invite.created_by.to_string();
                let statement = crate::dialect::admin::insert_invite(invite, &created_by);
                statement.query::<$db>().execute(&self.$write).await?;
                Ok(())
            }

            async fn create_invited_user(
                &self,
                user: &crate::User,
                password_hash: &str,
                invite_hash: &str,
                now: confab_core::Timestamp,
            ) -> Result<Option<crate::User>, crate::StoreError> {
                let mut tx = self.$write.begin().await?;
                let new = crate::dialect::NewUser::new(user, password_hash);
                let admin = new
                    .insert()
                    .query_scalar::<$db, bool>()
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(crate::records::unique_violation)?;
                let id = user.id.to_string();
                let used = crate::dialect::admin::use_invite(invite_hash, &id, now.timestamp_millis());
                if used.query::<$db>().execute(&mut *tx).await?.rows_affected() != 1 {
                    return Ok(None);
                }
                tx.commit().await?;
                Ok(Some(crate::User { admin, ..user.clone() }))
            }

            async fn identity_user(
                &self,
                issuer: &str,
                subject: &str,
            ) -> Result<Option<crate::Credentials>, crate::StoreError> {
                let statement = crate::dialect::admin::identity_user(issuer, subject);
                let row =
                    statement.query_as::<$db, crate::dialect::CredentialsRow>().fetch_optional(&self.$read).await?;
                row.map(crate::dialect::into_credentials).transpose()
            }

            async fn create_identity_user(
                &self,
                user: &crate::User,
                issuer: &str,
                subject: &str,
            ) -> Result<crate::User, crate::StoreError> {
                let mut tx = self.$write.begin().await?;
                let new = crate::dialect::NewUser::new(user, "");
                let admin = new
                    .insert()
                    .query_scalar::<$db, bool>()
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(crate::records::unique_violation)?;
                let id = user.id.to_string();
                let link = crate::dialect::admin::insert_identity(issuer, subject, &id);
                link.query::<$db>().execute(&mut *tx).await.map_err(crate::records::unique_violation)?;
                tx.commit().await?;
                Ok(crate::User { admin, ..user.clone() })
            }

            async fn delete_account(
                &self,
                user: confab_core::UserId,
            ) -> Result<crate::Outcome<Vec<confab_core::ContextId>>, crate::StoreError> {
                use crate::dialect::admin as sql;
                let id = user.to_string();
                let mut tx = self.$write.begin().await?;
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let row = sql::standing(&id).query_as::<$db, sql::StandingRow>().fetch_optional(&mut *tx).await?;
                let Some((_, _, _, admin, disabled)) = row else { return Ok(crate::Outcome::NotFound) };
                if admin && !disabled {
                    let admins: i64 =
                        sql::other_enabled_admins(&id).query_scalar::<$db, i64>().fetch_one(&mut *tx).await?;
                    let others: i64 = sql::other_users(&id).query_scalar::<$db, i64>().fetch_one(&mut *tx).await?;
                    if admins == 0 && others > 0 {
                        return Ok(crate::Outcome::LastAdmin);
                    }
                }
                let contexts: Vec<String> =
                    sql::owned_contexts(&id).query_scalar::<$db, String>().fetch_all(&mut *tx).await?;
                for statement in sql::delete_owned(&id) {
                    statement.query::<$db>().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                for purge in $purge {
                    sqlx::query(purge).execute(&self.$write).await?;
                }
                contexts
                    .iter()
                    .map(|c| crate::records::parse_uuid(c))
                    .collect::<Result<_, _>>()
                    .map(crate::Outcome::Done)
            }
        }
    };
}
pub(crate) use accounts_impl;
