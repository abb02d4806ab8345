//! `POST /api/math`: formulas drawn by the server for the browser (whose wasm carries no
//! LaTeX parser), checked input, signed-in only.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn formulas_come_back_as_mathml_or_their_source_in_order() {
    let app = TestApp::new().await;
    let body = json!({ "formulas": [
        { "tex": r"e^{i\pi}+1=0", "display": false },
        { "tex": r"\frac{1}" },
        { "tex": r"\sum_{n=1}^{\infty} \frac{1}{n^2}", "display": true },
        { "tex": r"\text{<script>alert(1)</script>}" },
    ]});
    let reply = app.post("/api/math", body).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let formulas: Vec<&str> = reply.body["formulas"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(formulas.len(), 4);
    assert!(formulas[0].starts_with("<math") && formulas[0].contains("<mi>π</mi>"), "{}", formulas[0]);
    assert!(formulas[0].contains("display=\"inline\""), "display defaults to inline");
    assert_eq!(formulas[1], "<code class=\"math-source\" title=\"This formula could not be read\">$\\frac{1}$</code>");
    assert!(formulas[2].contains("display=\"block\""), "{}", formulas[2]);
    assert!(!formulas[3].contains("<script"), "{}", formulas[3]);
}

#[tokio::test]
async fn bad_requests_are_refused() {
    let app = TestApp::new().await;
    let many: Vec<_> = (0..65).map(|_| json!({ "tex": "x" })).collect();
    for body in [
        json!({ "formulas": many }),
        json!({ "formulas": [{ "display": true }] }),
        json!({ "formulas": [{ "tex": 1 }] }),
        json!({ "formulas": [], "extra": 1 }),
        json!({}),
    ] {
        let reply = app.post("/api/math", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
    }
    let long = json!({ "formulas": [{ "tex": "x+".repeat(5_000) }] });
    let reply = app.post("/api/math", long).await;
    assert!(reply.body["formulas"][0].as_str().unwrap().contains("too long to draw"), "{:?}", reply.body);
    let anonymous = Request::post("/api/math")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "formulas": [] }).to_string()))
        .unwrap();
    assert_eq!(app.send_anonymous(anonymous).await.status, StatusCode::UNAUTHORIZED);
}
