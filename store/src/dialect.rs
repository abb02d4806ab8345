//! The SQL that SQLite and PostgreSQL share: the statements whose text agrees in both but
//! for the placeholders (`?` in SQLite, `$1`, `$2`, ... in PostgreSQL), with the values
//! they bind, written once. Each backend only says how it binds a value ([`Dialect`]) and
//! where it runs the statement (its pool, its writer, a transaction).

mod accounts;
pub(crate) mod admin;
pub(crate) mod attachments;
pub(crate) mod folders;
pub(crate) mod imports;
pub(crate) mod preferences;
pub(crate) mod shares;
pub(crate) mod tokens;

use std::sync::OnceLock;

use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Database, FromRow};

pub(crate) use self::accounts::*;
use crate::records::{ContextRecord, MessageRecord};
use crate::StoreError;

/// The text of a statement, written with `?` placeholders; the numbered form is made once,
/// on first use.
pub(crate) struct Sql {
    text: &'static str,
    numbered: OnceLock<String>,
}

impl Sql {
    pub const fn new(text: &'static str) -> Self {
        Sql { text, numbered: OnceLock::new() }
    }

    /// With `?` placeholders (SQLite).
    pub fn question_marks(&'static self) -> &'static str {
        self.text
    }

    /// With `$1`, `$2`, ... placeholders (PostgreSQL).
    pub fn numbered(&'static self) -> &'static str {
        self.numbered.get_or_init(|| number_placeholders(self.text))
    }
}

/// `?` becomes `$1`, `$2`, ... in order, except inside quoted literals.
fn number_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let (mut next, mut quoted) = (1, false);
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                out.push('$');
                out.push_str(&next.to_string());
                next += 1;
            }
            _ => out.push(c),
        }
    }
    out
}

/// A value a shared statement binds: the few types the schema uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'q> {
    Text(&'q str),
    MaybeText(Option<&'q str>),
    Int(i64),
    MaybeInt(Option<i64>),
    Bool(bool),
    Bytes(&'q [u8]),
}

/// A backend's way with the shared statements: its placeholders, and binding each kind of
/// value (the same code for both, but sqlx binds only for a known database).
pub(crate) trait Dialect: Database {
    fn text(sql: &'static Sql) -> &'static str;

    fn bind<'q>(query: Query<'q, Self, Self::Arguments<'q>>, arg: Arg<'q>) -> Query<'q, Self, Self::Arguments<'q>>;

    fn bind_as<'q, O>(
        query: QueryAs<'q, Self, O, Self::Arguments<'q>>,
        arg: Arg<'q>,
    ) -> QueryAs<'q, Self, O, Self::Arguments<'q>>;

    fn bind_scalar<'q, O>(
        query: QueryScalar<'q, Self, O, Self::Arguments<'q>>,
        arg: Arg<'q>,
    ) -> QueryScalar<'q, Self, O, Self::Arguments<'q>>;
}

/// A shared statement with its values, ready to become a query of either backend.
pub(crate) struct Statement<'q> {
    sql: &'static Sql,
    args: Vec<Arg<'q>>,
}

impl<'q> Statement<'q> {
    fn new(sql: &'static Sql, args: Vec<Arg<'q>>) -> Self {
        Statement { sql, args }
    }

    pub fn query<DB: Dialect>(self) -> Query<'q, DB, DB::Arguments<'q>> {
        self.args.into_iter().fold(sqlx::query(DB::text(self.sql)), DB::bind)
    }

    pub fn query_as<DB: Dialect, O>(self) -> QueryAs<'q, DB, O, DB::Arguments<'q>>
    where
        O: for<'r> FromRow<'r, DB::Row>,
    {
        self.args.into_iter().fold(sqlx::query_as(DB::text(self.sql)), DB::bind_as)
    }

    pub fn query_scalar<DB: Dialect, O>(self) -> QueryScalar<'q, DB, O, DB::Arguments<'q>>
    where
        (O,): for<'r> FromRow<'r, DB::Row>,
    {
        self.args.into_iter().fold(sqlx::query_scalar(DB::text(self.sql)), DB::bind_scalar)
    }
}

/// Binds an [`Arg`] to a query of a known database.
macro_rules! bind {
    ($query:expr, $arg:expr) => {
        match $arg {
            Arg::Text(value) => $query.bind(value),
            Arg::MaybeText(value) => $query.bind(value),
            Arg::Int(value) => $query.bind(value),
            Arg::MaybeInt(value) => $query.bind(value),
            Arg::Bool(value) => $query.bind(value),
            Arg::Bytes(value) => $query.bind(value),
        }
    };
}

/// Implements [`Dialect`] for a backend.
macro_rules! dialect {
    ($db:ty, $placeholders:ident) => {
        impl Dialect for $db {
            fn text(sql: &'static Sql) -> &'static str {
                sql.$placeholders()
            }

            fn bind<'q>(
                query: Query<'q, Self, Self::Arguments<'q>>,
                arg: Arg<'q>,
            ) -> Query<'q, Self, Self::Arguments<'q>> {
                bind!(query, arg)
            }

            fn bind_as<'q, O>(
                query: QueryAs<'q, Self, O, Self::Arguments<'q>>,
                arg: Arg<'q>,
            ) -> QueryAs<'q, Self, O, Self::Arguments<'q>> {
                bind!(query, arg)
            }

            fn bind_scalar<'q, O>(
                query: QueryScalar<'q, Self, O, Self::Arguments<'q>>,
                arg: Arg<'q>,
            ) -> QueryScalar<'q, Self, O, Self::Arguments<'q>> {
                bind!(query, arg)
            }
        }
    };
}

dialect!(sqlx::Sqlite, question_marks);
dialect!(sqlx::Postgres, numbered);

// --- contexts and messages ------------------------------------------------------------------

static INSERT_CONTEXT: Sql = Sql::new(
    "INSERT INTO contexts (id, owner, title, title_is_manual, status, version, created_at, \
     updated_at, active_branch, branches, last_error, recent_actions, settings, context_window_start, place, \
     allowed_tools) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
);
// In PostgreSQL the row lock this takes makes a concurrent writer of the same version wait,
// then find the version moved on: exactly one of them wins.
static UPDATE_CONTEXT: Sql = Sql::new(
    "UPDATE contexts SET title = ?, title_is_manual = ?, status = ?, version = ?, \
     updated_at = ?, active_branch = ?, branches = ?, last_error = ?, recent_actions = ?, \
     settings = ?, context_window_start = ?, place = ?, allowed_tools = ? WHERE id = ? AND version = ?",
);
static UPSERT_MESSAGE: Sql = Sql::new(
    "INSERT INTO messages (id, context_id, position, parent_id, role, content, created_at, \
     complete, tool_calls, tool_call_id, client_action_id, stop_reason, stream_seq, model, reasoning, \
     reasoning_seq, usage, timing, attachments) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (id) DO UPDATE SET content = excluded.content, complete = excluded.complete, \
     tool_calls = excluded.tool_calls, client_action_id = excluded.client_action_id, \
     stop_reason = excluded.stop_reason, stream_seq = excluded.stream_seq, model = excluded.model, \
     reasoning = excluded.reasoning, reasoning_seq = excluded.reasoning_seq, usage = excluded.usage, \
     timing = excluded.timing \
     WHERE messages.context_id = excluded.context_id",
);
static SELECT_CONTEXT: Sql = Sql::new(
    "SELECT id, owner, title, title_is_manual, status, version, created_at, updated_at, \
     active_branch, branches, last_error, recent_actions, settings, context_window_start, place, \
     allowed_tools FROM contexts WHERE id = ?",
);
static SELECT_MESSAGES: Sql = Sql::new(
    "SELECT id, context_id, position, parent_id, role, content, created_at, complete, \
     tool_calls, tool_call_id, client_action_id, stop_reason, stream_seq, model, reasoning, \
     reasoning_seq, usage, timing, attachments FROM messages WHERE context_id = ? ORDER BY position",
);
static VERSION_OF: Sql = Sql::new("SELECT version FROM contexts WHERE id = ?");
static DELETE_CONTEXT: Sql = Sql::new("DELETE FROM contexts WHERE id = ?");
static LIST: Sql = Sql::new(
    "SELECT id, title, status, version, created_at, updated_at, place FROM contexts \
     WHERE owner = ? ORDER BY updated_at DESC, id DESC",
);

/// Writes a context's row: the first version creates it, a later one replaces the one before.
pub(crate) fn write_context(r: &ContextRecord) -> Statement<'_> {
    use Arg::*;
    if r.version == 1 {
        Statement::new(
            &INSERT_CONTEXT,
            vec![
                Text(&r.id),
                Text(&r.owner),
                Text(&r.title),
                Bool(r.title_is_manual),
                Text(&r.status),
                Int(r.version),
                Int(r.created_at),
                Int(r.updated_at),
                Text(&r.active_branch),
                Text(&r.branches),
                MaybeText(r.last_error.as_deref()),
                Text(&r.recent_actions),
                MaybeText(r.settings.as_deref()),
                MaybeText(r.context_window_start.as_deref()),
                MaybeText(r.place.as_deref()),
                MaybeText(r.allowed_tools.as_deref()),
            ],
        )
    } else {
        Statement::new(
            &UPDATE_CONTEXT,
            vec![
                Text(&r.title),
                Bool(r.title_is_manual),
                Text(&r.status),
                Int(r.version),
                Int(r.updated_at),
                Text(&r.active_branch),
                Text(&r.branches),
                MaybeText(r.last_error.as_deref()),
                Text(&r.recent_actions),
                MaybeText(r.settings.as_deref()),
                MaybeText(r.context_window_start.as_deref()),
                MaybeText(r.place.as_deref()),
                MaybeText(r.allowed_tools.as_deref()),
                Text(&r.id),
                Int(r.version - 1),
            ],
        )
    }
}

/// What writing a context's row did: no row means another writer saved first (or, for a
/// first version, that the context exists already).
pub(crate) fn row_written(rows_affected: u64) -> Result<u64, StoreError> {
    match rows_affected {
        0 => Err(StoreError::Conflict),
        n => Ok(n),
    }
}

/// Inserts a message, or updates what may change in it (its text while it streams, its tool
/// calls while they run), never moving it to another context.
pub(crate) fn write_message(r: &MessageRecord) -> Statement<'_> {
    use Arg::*;
    Statement::new(
        &UPSERT_MESSAGE,
        vec![
            Text(&r.id),
            Text(&r.context_id),
            Int(r.position),
            MaybeText(r.parent_id.as_deref()),
            Text(&r.role),
            Text(&r.content),
            Int(r.created_at),
            Bool(r.complete),
            Text(&r.tool_calls),
            MaybeText(r.tool_call_id.as_deref()),
            MaybeText(r.client_action_id.as_deref()),
            MaybeText(r.stop_reason.as_deref()),
            Int(r.stream_seq),
            MaybeText(r.model.as_deref()),
            MaybeText(r.reasoning.as_deref()),
            Int(r.reasoning_seq),
            MaybeText(r.usage.as_deref()),
            MaybeText(r.timing.as_deref()),
            MaybeText(r.attachments.as_deref()),
        ],
    )
}

pub(crate) fn select_context(id: &str) -> Statement<'_> {
    Statement::new(&SELECT_CONTEXT, vec![Arg::Text(id)])
}

pub(crate) fn select_messages(context_id: &str) -> Statement<'_> {
    Statement::new(&SELECT_MESSAGES, vec![Arg::Text(context_id)])
}

pub(crate) fn version_of(id: &str) -> Statement<'_> {
    Statement::new(&VERSION_OF, vec![Arg::Text(id)])
}

pub(crate) fn delete_context(id: &str) -> Statement<'_> {
    Statement::new(&DELETE_CONTEXT, vec![Arg::Text(id)])
}

pub(crate) fn list(owner: &str) -> Statement<'_> {
    Statement::new(&LIST, vec![Arg::Text(owner)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        assert_eq!(number_placeholders("SELECT ? WHERE a = '?' AND b = ?"), "SELECT $1 WHERE a = '?' AND b = $2");
        static S: Sql = Sql::new("DELETE FROM t WHERE a = ? AND b = ?");
        assert_eq!(S.numbered(), "DELETE FROM t WHERE a = $1 AND b = $2");
        assert_eq!(S.question_marks(), "DELETE FROM t WHERE a = ? AND b = ?");
    }
}
