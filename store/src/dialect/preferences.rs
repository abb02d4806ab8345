//! The preference statements both backends share.

use super::{Arg, Sql, Statement};
use crate::{StoreError, UserPreferences};

static SELECT: Sql = Sql::new("SELECT doc, version FROM preferences WHERE user_id = ?");
static INSERT: Sql =
    Sql::new("INSERT INTO preferences (user_id, doc, version) VALUES (?, ?, 1) ON CONFLICT (user_id) DO NOTHING");
static UPDATE: Sql = Sql::new("UPDATE preferences SET doc = ?, version = ? WHERE user_id = ? AND version = ?");

/// A user's stored document and version, as [`select`] returns them.
pub(crate) type PreferencesRow = (String, i64);

pub(crate) fn select(user_id: &str) -> Statement<'_> {
    Statement::new(&SELECT, vec![Arg::Text(user_id)])
}

pub(crate) fn from_row(row: Option<PreferencesRow>) -> Result<(UserPreferences, u64), StoreError> {
    match row {
        None => Ok((UserPreferences::default(), 0)),
        Some((doc, version)) => {
            let preferences =
                serde_json::from_str(&doc).map_err(|e| StoreError::Corrupt(format!("preferences: {e}")))?;
            Ok((preferences, version as u64))
        }
    }
}

pub(crate) fn to_doc(preferences: &UserPreferences) -> String {
    serde_json::to_string(preferences).expect("plain data always serializes")
}

/// Creates the document at version 1 or moves it from `expected` on; no row written means
/// someone else saved first.
pub(crate) fn put<'a>(user_id: &'a str, doc: &'a str, expected: u64) -> Statement<'a> {
    if expected == 0 {
        Statement::new(&INSERT, vec![Arg::Text(user_id), Arg::Text(doc)])
    } else {
        let (next, expected) = (expected as i64 + 1, expected as i64);
        Statement::new(&UPDATE, vec![Arg::Text(doc), Arg::Int(next), Arg::Text(user_id), Arg::Int(expected)])
    }
}
