//! Property tests (fuzzing) of the request parsers: arbitrary bytes and arbitrary JSON sent
//! to every endpoint never produce a 5xx or a panic, and every refusal has the error shape.
//! Strings often hold NUL, other control characters and bidirectional overrides. The same
//! properties run on SQLite and, through `scripts/with-postgres.sh` (the test command), on
//! PostgreSQL, whose `text` cannot hold NUL.

use crate::common;

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, Method, Request};
use common::TestApp;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: TestApp,
    context_id: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// One app per backend for all cases; `None` for PostgreSQL when there is no cluster.
fn fixture(backend: Backend) -> Option<&'static Fixture> {
    static SQLITE: OnceLock<Option<Fixture>> = OnceLock::new();
    static POSTGRES: OnceLock<Option<Fixture>> = OnceLock::new();
    let cell = if backend == Backend::Sqlite { &SQLITE } else { &POSTGRES };
    cell.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let started = runtime.block_on(async {
            let database = match backend {
                Backend::Sqlite => None,
                Backend::Postgres => Some(confab_store::testsuite::postgres_database().await?),
            };
            let app = TestApp::on_database(database, |_| {}).await;
            let id = app.create_context().await;
            Some((app, id))
        });
        started.map(|(app, context_id)| Fixture { runtime, app, context_id })
    })
    .as_ref()
}

fn endpoints(id: &str) -> Vec<(Method, String)> {
    let mut list = vec![
        (Method::POST, "/api/contexts".to_string()),
        (Method::PATCH, format!("/api/contexts/{id}")),
        (Method::POST, format!("/api/contexts/{id}/messages")),
        (Method::PUT, format!("/api/contexts/{id}/messages/{}", uuid::Uuid::new_v4())),
        (Method::POST, "/api/auth/login".to_string()),
        (Method::POST, "/api/auth/register".to_string()),
        (Method::POST, "/api/contexts/import".to_string()),
    ];
    for action in [
        "send_message",
        "approve_tools",
        "deny_tools",
        "cancel",
        "retry",
        "edit_message",
        "regenerate",
        "switch_branch",
    ] {
        list.push((Method::POST, format!("/api/contexts/{id}/actions/{action}")));
    }
    list
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        tricky_string().prop_map(Value::String),
        Just(Value::String("content".into())),
        Just(Value::String(uuid::Uuid::nil().to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("content".to_string()),
                    Just("title".to_string()),
                    Just("tool_call_ids".to_string()),
                    Just("message_id".to_string()),
                    Just("branch".to_string()),
                    Just("client_action_id".to_string()),
                    Just("username".to_string()),
                    Just("password".to_string()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Strings built to hurt storage and names: NUL, other C0 and C1 controls, DEL, the
/// bidirectional overrides, isolates and marks, mixed with ordinary text.
fn tricky_string() -> impl Strategy<Value = String> {
    let tricky = prop_oneof![
        Just('\0'),
        Just('\t'),
        Just('\n'),
        Just('\r'),
        Just('\u{1}'),
        Just('\u{1b}'),
        Just('\u{7f}'),
        Just('\u{85}'),
        Just('\u{202E}'),
        Just('\u{2066}'),
        Just('\u{200F}'),
        Just('\u{FFFD}'),
    ];
    let character = prop_oneof![3 => tricky, 2 => any::<char>(), 2 => "[a-z ]".prop_map(|s| s.chars().next().unwrap())];
    prop::collection::vec(character, 0..16).prop_map(String::from_iter)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        ".{0,40}".prop_map(String::into_bytes),
    ]
}

/// Sends one fuzzed request to `backend`'s app and checks the answer and the state after it.
fn check(
    backend: Backend,
    target: impl FnOnce(&str) -> (Method, String),
    bytes: Vec<u8>,
    content_type: &str,
) -> Result<(), TestCaseError> {
    let Some(fixture) = fixture(backend) else { return Ok(()) };
    let (method, uri) = target(&fixture.context_id);
    let mut request = Request::builder().method(method.clone()).uri(&uri);
    if !content_type.is_empty() {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let request = request.body(Body::from(bytes)).unwrap();
    let reply = fixture.runtime.block_on(fixture.app.send(request));
    prop_assert!(reply.status.as_u16() < 500, "{method} {uri} answered {}: {:?}", reply.status, reply.body);
    if reply.status.is_client_error() {
        prop_assert!(reply.body["error"]["code"].is_string(), "{method} {uri}: {:?}", reply.body);
        prop_assert!(reply.body["error"]["message"].is_string());
    }
    // Whatever happened, the conversation is still readable and consistent.
    let state = fixture.runtime.block_on(fixture.app.get(&format!("/api/contexts/{}/state", fixture.context_id)));
    prop_assert_eq!(state.status.as_u16(), 200);
    Ok(())
}

/// Any endpoint, by number.
fn endpoint(pick: usize) -> impl FnOnce(&str) -> (Method, String) {
    move |id| {
        let list = endpoints(id);
        list[pick % list.len()].clone()
    }
}

/// A body of the right shape for an endpoint, its strings (`a`, `b`) fuzzed: what random JSON
/// rarely gets to, the server's checks and then the database.
fn well_formed(kind: usize, a: String, b: String) -> (impl FnOnce(&str) -> (Method, String), Value) {
    let at = "2025-01-01T00:00:00Z";
    let message_id = uuid::Uuid::new_v4();
    let (method, path, body): (Method, &str, Value) = match kind % 10 {
        0 => (Method::POST, "/api/contexts", json!({ "title": a })),
        1 => (Method::PATCH, "", json!({ "title": a })),
        2 => (Method::POST, "/actions/send_message", json!({ "content": a, "client_action_id": b })),
        3 => (Method::POST, "/messages", json!({ "content": a })),
        4 => (Method::POST, "/api/auth/register", json!({ "username": a, "password": b })),
        5 => (Method::POST, "/api/auth/login", json!({ "username": a, "password": b })),
        6 => (Method::POST, "/actions/switch_branch", json!({ "branch": a })),
        7 => (Method::POST, "/actions/deny_tools", json!({ "tool_call_ids": [a], "reason": b })),
        8 => (Method::POST, "/actions/cancel", json!({ "client_action_id": a })),
        _ => (
            Method::POST,
            "/api/contexts/import",
            json!({ "format": "confab.context", "version": 1, "title": a, "created_at": at,
                    "active_branch": "main", "branches": [{ "name": "main", "head_message_id": message_id }],
                    "messages": [{ "id": message_id, "parent_id": null, "role": "user", "content": b,
                                   "created_at": at }] }),
        ),
    };
    let target = move |id: &str| {
        let uri = if path.starts_with("/api") { path.to_string() } else { format!("/api/contexts/{id}{path}") };
        (method, uri)
    };
    (target, body)
}

/// A search for a fuzzed string: no 5xx.
fn check_search(backend: Backend, q: &str) -> Result<(), TestCaseError> {
    let Some(fixture) = fixture(backend) else { return Ok(()) };
    let encoded: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
    let reply = fixture.runtime.block_on(fixture.app.get(&format!("/api/search?q={encoded}")));
    prop_assert!(reply.status.as_u16() < 500, "search {q:?} answered {}: {:?}", reply.status, reply.body);
    Ok(())
}

fn content_type() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("application/json"), Just("text/plain"), Just("")]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_body_makes_any_endpoint_fail_on_the_server_side(pick in 0usize..15, bytes in body(), ct in content_type()) {
        check(Backend::Sqlite, endpoint(pick), bytes, ct)?;
    }

    #[test]
    fn no_body_makes_any_endpoint_fail_on_the_server_side_on_postgres(
        pick in 0usize..15,
        bytes in body(),
        ct in content_type(),
    ) {
        check(Backend::Postgres, endpoint(pick), bytes, ct)?;
    }

    #[test]
    fn no_well_formed_body_with_tricky_strings_fails_on_the_server_side(
        kind in 0usize..10,
        a in tricky_string(),
        b in tricky_string(),
    ) {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let (target, body) = well_formed(kind, a.clone(), b.clone());
            check(backend, target, body.to_string().into_bytes(), "application/json")?;
        }
    }

    #[test]
    fn no_search_fails_on_the_server_side(q in tricky_string()) {
        check_search(Backend::Sqlite, &q)?;
        check_search(Backend::Postgres, &q)?;
    }
}

/// The generated strings do hold NUL: the properties above are not vacuous about it.
#[test]
fn fuzzed_strings_hold_nul() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = prop::collection::vec(json_value(), 300);
    let values = strategy.new_tree(&mut runner).unwrap().current();
    let with_nul = values.iter().filter(|v| v.to_string().contains("\\u0000")).count();
    assert!(with_nul >= 10, "only {with_nul} of 300 JSON bodies hold a NUL");
}
