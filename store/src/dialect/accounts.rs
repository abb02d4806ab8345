//! The account statements both backends share.

use super::{Arg, Sql, Statement};
use crate::records::UserRecord;
use crate::{Credentials, Session, StoreError, User};

/// The first account is an administrator, whatever the caller asked for.
static INSERT_USER: Sql = Sql::new(
    "INSERT INTO users (id, username, password_hash, created_at, admin) \
     SELECT ?, ?, ?, ?, (? OR NOT EXISTS (SELECT 1 FROM users)) RETURNING admin",
);
static INSERT_FIRST_USER: Sql = Sql::new(
    "INSERT INTO users (id, username, password_hash, created_at, admin) \
     SELECT ?, ?, ?, ?, TRUE WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING admin",
);
static CREDENTIALS: Sql = Sql::new(
    "SELECT id, username, created_at, admin, password_hash, disabled FROM users WHERE lower(username) = lower(?)",
);
static USER_COUNT: Sql = Sql::new("SELECT COUNT(*) FROM users");
static INSERT_SESSION: Sql =
    Sql::new("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, user_agent) VALUES (?, ?, ?, ?, ?)");
static SESSION_USER: Sql = Sql::new(
    "SELECT users.id, users.username, users.created_at, users.admin, sessions.last_used_at FROM sessions \
     JOIN users ON users.id = sessions.user_id \
     WHERE sessions.token_hash = ? AND sessions.expires_at > ? AND NOT users.disabled",
);
static TOUCH_SESSION: Sql = Sql::new("UPDATE sessions SET last_used_at = ? WHERE token_hash = ?");
static TOUCH_USER: Sql =
    Sql::new("UPDATE users SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)");
static DELETE_SESSION: Sql = Sql::new("DELETE FROM sessions WHERE token_hash = ?");
static SET_PASSWORD: Sql = Sql::new("UPDATE users SET password_hash = ? WHERE id = ?");
static DELETE_OTHER_SESSIONS: Sql = Sql::new("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?");
static DELETE_EXPIRED_SESSIONS: Sql = Sql::new("DELETE FROM sessions WHERE expires_at <= ?");

/// The values of a new user's row, which owns them (ids are bound as text).
pub(crate) struct NewUser<'a> {
    id: String,
    username: &'a str,
    password_hash: &'a str,
    created_at: i64,
    admin: bool,
}

impl<'a> NewUser<'a> {
    pub fn new(user: &'a User, password_hash: &'a str) -> Self {
        NewUser {
            id: user.id.to_string(),
            username: &user.username,
            password_hash,
            created_at: user.created_at.timestamp_millis(),
            admin: user.admin,
        }
    }

    fn args(&self) -> Vec<Arg<'_>> {
        vec![Arg::Text(&self.id), Arg::Text(self.username), Arg::Text(self.password_hash), Arg::Int(self.created_at)]
    }

    /// Inserts the user; answers whether it is an administrator.
    pub fn insert(&self) -> Statement<'_> {
        let mut args = self.args();
        args.push(Arg::Bool(self.admin));
        Statement::new(&INSERT_USER, args)
    }

    /// Inserts the user only if there is none yet; answers a row (`admin`) if it did.
    pub fn insert_first(&self) -> Statement<'_> {
        Statement::new(&INSERT_FIRST_USER, self.args())
    }
}

/// A user's row, password hash and whether it is disabled, as [`credentials`] selects them.
pub(crate) type CredentialsRow = (String, String, i64, bool, String, bool);

pub(crate) fn credentials(username: &str) -> Statement<'_> {
    Statement::new(&CREDENTIALS, vec![Arg::Text(username)])
}

pub(crate) fn into_credentials(
    (id, username, created_at, admin, password_hash, disabled): CredentialsRow,
) -> Result<Credentials, StoreError> {
    Ok(Credentials { user: UserRecord { id, username, created_at, admin }.into_user()?, password_hash, disabled })
}

pub(crate) fn user_count() -> Statement<'static> {
    Statement::new(&USER_COUNT, Vec::new())
}

/// The values of a new session's row.
pub(crate) struct NewSession<'a> {
    token_hash: &'a str,
    user_id: String,
    created_at: i64,
    expires_at: i64,
    user_agent: &'a str,
}

impl<'a> NewSession<'a> {
    pub fn new(session: &'a Session) -> Self {
        NewSession {
            token_hash: &session.token_hash,
            user_id: session.user_id.to_string(),
            created_at: session.created_at.timestamp_millis(),
            expires_at: session.expires_at.timestamp_millis(),
            user_agent: &session.user_agent,
        }
    }

    pub fn insert(&self) -> Statement<'_> {
        use Arg::*;
        Statement::new(
            &INSERT_SESSION,
            vec![
                Text(self.token_hash),
                Text(&self.user_id),
                Int(self.created_at),
                Int(self.expires_at),
                Text(self.user_agent),
            ],
        )
    }
}

pub(crate) fn session_user(token_hash: &str, now_millis: i64) -> Statement<'_> {
    Statement::new(&SESSION_USER, vec![Arg::Text(token_hash), Arg::Int(now_millis)])
}

/// A session's user and when the session was last marked used.
pub(crate) type SessionUserRow = (String, String, i64, bool, Option<i64>);

/// How stale a session's or user's last use may get before it is written again: a busy tab
/// must not write on every request.
pub(crate) const TOUCH_EVERY_MILLIS: i64 = 60_000;

/// The statements that mark a session used and its user seen at `now_millis`, if its last
/// mark (`last_used`) is older than [`TOUCH_EVERY_MILLIS`].
pub(crate) fn touch_session<'a>(
    token_hash: &'a str,
    user_id: &'a str,
    last_used: Option<i64>,
    now_millis: i64,
) -> Option<[Statement<'a>; 2]> {
    if last_used.is_some_and(|at| at > now_millis - TOUCH_EVERY_MILLIS) {
        return None;
    }
    Some([
        Statement::new(&TOUCH_SESSION, vec![Arg::Int(now_millis), Arg::Text(token_hash)]),
        touch_user(user_id, now_millis),
    ])
}

/// Marks a user seen at `now_millis`, unless it was within [`TOUCH_EVERY_MILLIS`].
pub(crate) fn touch_user(user_id: &str, now_millis: i64) -> Statement<'_> {
    Statement::new(
        &TOUCH_USER,
        vec![Arg::Int(now_millis), Arg::Text(user_id), Arg::Int(now_millis - TOUCH_EVERY_MILLIS)],
    )
}

pub(crate) fn session_user_record(row: SessionUserRow) -> (UserRecord, Option<i64>) {
    let (id, username, created_at, admin, last_used) = row;
    (UserRecord { id, username, created_at, admin }, last_used)
}

pub(crate) fn delete_session(token_hash: &str) -> Statement<'_> {
    Statement::new(&DELETE_SESSION, vec![Arg::Text(token_hash)])
}

pub(crate) fn delete_expired_sessions(now_millis: i64) -> Statement<'static> {
    Statement::new(&DELETE_EXPIRED_SESSIONS, vec![Arg::Int(now_millis)])
}

pub(crate) fn set_password<'a>(user_id: &'a str, password_hash: &'a str) -> Statement<'a> {
    Statement::new(&SET_PASSWORD, vec![Arg::Text(password_hash), Arg::Text(user_id)])
}

pub(crate) fn delete_other_sessions<'a>(user_id: &'a str, keep: &'a str) -> Statement<'a> {
    Statement::new(&DELETE_OTHER_SESSIONS, vec![Arg::Text(user_id), Arg::Text(keep)])
}
