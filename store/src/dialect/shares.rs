//! The statements of `shares` both backends share.

use super::{Arg, Sql, Statement};
use crate::records::{parse_millis, parse_uuid};
use crate::{ShareLink, StoreError};

static INSERT: Sql = Sql::new(
    "INSERT INTO shares (id, token, context_id, owner, snapshot, created_at, expires_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?)",
);
static BY_TOKEN: Sql =
    Sql::new("SELECT id, token, context_id, owner, created_at, expires_at, snapshot FROM shares WHERE token = ?");
static OF_CONTEXT: Sql = Sql::new(
    "SELECT id, token, context_id, owner, created_at, expires_at, '' FROM shares \
     WHERE owner = ? AND context_id = ? ORDER BY created_at DESC, id DESC",
);
static DELETE: Sql = Sql::new("DELETE FROM shares WHERE owner = ? AND id = ?");

/// A row as the selects return it: the link's columns, then the snapshot (empty in lists).
pub(crate) type ShareRow = (String, String, String, String, i64, Option<i64>, String);

/// The text forms a link is bound with.
pub(crate) struct LinkText {
    id: String,
    context_id: String,
    owner: String,
}

impl LinkText {
    pub fn of(link: &ShareLink) -> Self {
        LinkText { id: link.id.to_string(), context_id: link.context_id.to_string(), owner: link.owner.to_string() }
    }
}

pub(crate) fn insert<'a>(link: &'a ShareLink, text: &'a LinkText, snapshot: &'a str) -> Statement<'a> {
    Statement::new(
        &INSERT,
        vec![
            Arg::Text(&text.id),
            Arg::Text(&link.token),
            Arg::Text(&text.context_id),
            Arg::Text(&text.owner),
            Arg::Text(snapshot),
            Arg::Int(link.created_at.timestamp_millis()),
            Arg::MaybeInt(link.expires_at.map(|at| at.timestamp_millis())),
        ],
    )
}

pub(crate) fn by_token(token: &str) -> Statement<'_> {
    Statement::new(&BY_TOKEN, vec![Arg::Text(token)])
}

pub(crate) fn of_context<'a>(owner: &'a str, context: &'a str) -> Statement<'a> {
    Statement::new(&OF_CONTEXT, vec![Arg::Text(owner), Arg::Text(context)])
}

pub(crate) fn delete<'a>(owner: &'a str, id: &'a str) -> Statement<'a> {
    Statement::new(&DELETE, vec![Arg::Text(owner), Arg::Text(id)])
}

pub(crate) fn from_row(row: ShareRow) -> Result<(ShareLink, String), StoreError> {
    let (id, token, context_id, owner, created_at, expires_at, snapshot) = row;
    let link = ShareLink {
        id: parse_uuid(&id)?,
        token,
        context_id: parse_uuid(&context_id)?,
        owner: parse_uuid(&owner)?,
        created_at: parse_millis(created_at)?,
        expires_at: expires_at.map(parse_millis).transpose()?,
    };
    Ok((link, snapshot))
}
