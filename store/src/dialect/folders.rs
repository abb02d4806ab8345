//! The statements of `folders` both backends share.

use super::{Arg, Sql, Statement};
use crate::records::{parse_millis, parse_uuid};
use crate::{Folder, StoreError};

static INSERT: Sql = Sql::new("INSERT INTO folders (id, owner, name, created_at) VALUES (?, ?, ?, ?)");
static OF_OWNER: Sql =
    Sql::new("SELECT id, owner, name, created_at FROM folders WHERE owner = ? ORDER BY LOWER(name), id");
static RENAME: Sql = Sql::new("UPDATE folders SET name = ? WHERE owner = ? AND id = ?");
static DELETE: Sql = Sql::new("DELETE FROM folders WHERE owner = ? AND id = ?");

pub(crate) type FolderRow = (String, String, String, i64);

/// The text forms a folder is bound with.
pub(crate) struct FolderText {
    id: String,
    owner: String,
}

impl FolderText {
    pub fn of(folder: &Folder) -> Self {
        FolderText { id: folder.id.to_string(), owner: folder.owner.to_string() }
    }
}

pub(crate) fn insert<'a>(folder: &'a Folder, text: &'a FolderText) -> Statement<'a> {
    let args = vec![
        Arg::Text(&text.id),
        Arg::Text(&text.owner),
        Arg::Text(&folder.name),
        Arg::Int(folder.created_at.timestamp_millis()),
    ];
    Statement::new(&INSERT, args)
}

pub(crate) fn of_owner(owner: &str) -> Statement<'_> {
    Statement::new(&OF_OWNER, vec![Arg::Text(owner)])
}

pub(crate) fn rename<'a>(owner: &'a str, id: &'a str, name: &'a str) -> Statement<'a> {
    Statement::new(&RENAME, vec![Arg::Text(name), Arg::Text(owner), Arg::Text(id)])
}

pub(crate) fn delete<'a>(owner: &'a str, id: &'a str) -> Statement<'a> {
    Statement::new(&DELETE, vec![Arg::Text(owner), Arg::Text(id)])
}

pub(crate) fn from_row(row: FolderRow) -> Result<Folder, StoreError> {
    let (id, owner, name, created_at) = row;
    Ok(Folder { id: parse_uuid(&id)?, owner: parse_uuid(&owner)?, name, created_at: parse_millis(created_at)? })
}
