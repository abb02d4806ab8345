//! Property tests (fuzzing) of the request parsers: arbitrary bytes and arbitrary JSON sent
//! to every endpoint never produce a 5xx or a panic, and every refusal has the error shape.

mod common;

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, Method, Request};
use common::TestApp;
use proptest::prelude::*;
use serde_json::Value;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: TestApp,
    context_id: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (app, context_id) = runtime.block_on(async {
            let app = TestApp::new().await;
            let id = app.create_context().await;
            (app, id)
        });
        Fixture { runtime, app, context_id }
    })
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

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        ".{0,40}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_body_makes_any_endpoint_fail_on_the_server_side(
        pick in 0usize..15,
        bytes in body(),
        content_type in prop_oneof![Just("application/json"), Just("text/plain"), Just("")],
    ) {
        let fixture = fixture();
        let list = endpoints(&fixture.context_id);
        let (method, uri) = list[pick % list.len()].clone();
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
    }
}
