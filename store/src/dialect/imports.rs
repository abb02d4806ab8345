//! The statements of `imported_sources` both backends share.

use super::{Arg, Sql, Statement};

static IMPORTED_FROM: Sql = Sql::new("SELECT context_id FROM imported_sources WHERE owner = ? AND source = ?");
static RECORD: Sql = Sql::new(
    "INSERT INTO imported_sources (owner, source, context_id) VALUES (?, ?, ?) \
     ON CONFLICT (owner, source) DO NOTHING",
);

pub(crate) fn imported_from<'a>(owner: &'a str, source: &'a str) -> Statement<'a> {
    Statement::new(&IMPORTED_FROM, vec![Arg::Text(owner), Arg::Text(source)])
}

pub(crate) fn record<'a>(owner: &'a str, source: &'a str, context: &'a str) -> Statement<'a> {
    Statement::new(&RECORD, vec![Arg::Text(owner), Arg::Text(source), Arg::Text(context)])
}
