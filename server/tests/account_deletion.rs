//! Deleting an account: the password is needed, and then nothing of it is left. The test
//! walks every table the database's own catalog lists (so a table added later is covered)
//! and looks for the account's id, name and words in every value; its share links answer
//! 404, its sessions and tokens 401. The only administrator cannot while others remain.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

/// A word nobody else writes: it marks everything the doomed account owns.
const MARK: &str = "zebracornish";
const BOUNDARY: &str = "confab-deletion-boundary-1b2c3d";

async fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> Value {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::post("/api/attachments")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(body))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

/// Every (table, value) in the database that contains one of `needles`, whatever the
/// table: the catalog says which tables there are.
async fn rows_containing(database_url: &str, needles: &[String]) -> Vec<String> {
    use sqlx::{Column, Connection, Row, ValueRef};
    let mut found = Vec::new();
    if database_url.starts_with("postgres") {
        let mut db = sqlx::PgConnection::connect(database_url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&mut db)
        .await
        .unwrap();
        assert!(tables.len() > 10, "the catalog lists the tables: {tables:?}");
        for table in tables {
            // A whole row as text: every column, whatever its type (bytea as hex).
            let sql = format!("SELECT CAST(t AS TEXT) FROM \"{table}\" AS t");
            let rows: Vec<String> = sqlx::query_scalar(&sql).fetch_all(&mut db).await.unwrap();
            for row in rows {
                let hex_needles = needles.iter().map(|n| n.bytes().map(|b| format!("{b:02x}")).collect::<String>());
                if needles.iter().cloned().chain(hex_needles).any(|n| row.contains(&n)) {
                    found.push(format!("{table}: {}", row.chars().take(200).collect::<String>()));
                }
            }
        }
    } else {
        let mut db = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&mut db).await.unwrap();
        assert!(tables.len() > 10, "the catalog lists the tables: {tables:?}");
        for table in tables {
            let rows = sqlx::query(&format!("SELECT * FROM \"{table}\"")).fetch_all(&mut db).await.unwrap();
            for row in rows {
                for column in row.columns() {
                    let i = column.ordinal();
                    if row.try_get_raw(i).unwrap().is_null() {
                        continue;
                    }
                    let bytes: Vec<u8> = match row.try_get::<String, _>(i) {
                        Ok(text) => text.into_bytes(),
                        Err(_) => row.try_get::<Vec<u8>, _>(i).unwrap_or_default(),
                    };
                    if needles.iter().any(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes())) {
                        found.push(format!("{table}.{}: {}", column.name(), String::from_utf8_lossy(&bytes)));
                    }
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn a_deleted_account_leaves_no_row_of_its_own_in_any_table() {
    for backend in common::backends().await {
        let name = common::backend_name(&backend);
        let app = TestApp::on_database(backend, |_| {}).await;
        let doomed = app.register("doomed_user").await;
        let me = app.as_user(&doomed, Method::GET, "/api/auth/me", Value::Null).await;
        let doomed_id = me.body["user"]["id"].as_str().unwrap().to_string();
        // An administrator too, so that it can make an invite: the tester stays one.
        let promoted =
            app.json(Method::PATCH, &format!("/api/admin/users/{doomed_id}"), json!({ "admin": true })).await;
        assert_eq!(promoted.status, StatusCode::OK, "{name}");

        // Everything a person can own.
        let chat =
            app.as_user(&doomed, Method::POST, "/api/contexts", json!({ "title": format!("{MARK} title") })).await;
        let chat = chat.body["id"].as_str().unwrap().to_string();
        let file = upload(&app, &doomed, &format!("{MARK}.txt"), format!("{MARK} in a file").as_bytes()).await;
        let unsent = upload(&app, &doomed, "unsent.txt", format!("{MARK} never sent").as_bytes()).await;
        assert_ne!(file["id"], unsent["id"]);
        let sent = app
            .as_user(
                &doomed,
                Method::POST,
                &format!("/api/contexts/{chat}/actions/send_message"),
                json!({ "client_action_id": "a1", "content": format!("hello {MARK}"), "attachment_ids": [file["id"]] }),
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{name}: {:?}", sent.body);
        loop {
            let state = app.as_user(&doomed, Method::GET, &format!("/api/contexts/{chat}/state"), Value::Null).await;
            if state.body["context"]["status"] == "idle" {
                break;
            }
            tokio::task::yield_now().await;
        }
        let share = app.as_user(&doomed, Method::POST, &format!("/api/contexts/{chat}/shares"), json!({})).await;
        assert_eq!(share.status, StatusCode::CREATED, "{name}: {:?}", share.body);
        let share_token = share.body["token"].as_str().unwrap().to_string();
        let folder =
            app.as_user(&doomed, Method::POST, "/api/folders", json!({ "name": format!("{MARK} folder") })).await;
        assert_eq!(folder.status, StatusCode::CREATED, "{name}: {:?}", folder.body);
        let preset =
            app.as_user(&doomed, Method::POST, "/api/presets", json!({ "name": format!("{MARK} preset") })).await;
        assert!(preset.status.is_success(), "{name}: {:?}", preset.body);
        let token = app.as_user(&doomed, Method::POST, "/api/tokens", json!({ "name": format!("{MARK} token") })).await;
        let token = token.body["token"].as_str().unwrap().to_string();
        let invite = app.as_user(&doomed, Method::POST, "/api/admin/invites", json!({})).await;
        let invite = invite.body["url"].as_str().unwrap().strip_prefix("/register?invite=").unwrap().to_string();
        let invited = json!({ "username": "invited_friend", "password": "correct horse battery", "invite": invite });
        let invited = app
            .send_anonymous(
                Request::post("/api/auth/register")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(invited.to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(invited.status, StatusCode::CREATED, "{name}: {:?}", invited.body);
        let needles = [doomed_id.clone(), "doomed_user".to_string(), MARK.to_string()];
        assert!(rows_containing(&app.database_url, &needles).await.len() > 8, "{name}: the walk finds what is there");

        // A wrong or missing password deletes nothing.
        for body in [json!({ "password": "not the password" }), json!({})] {
            let refused = app.as_user(&doomed, Method::DELETE, "/api/auth/me", body).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{name}: {:?}", refused.body);
            assert_eq!(refused.body["error"]["code"], "wrong_password");
        }
        let state = app.as_user(&doomed, Method::GET, &format!("/api/contexts/{chat}/state"), Value::Null).await;
        assert_eq!(state.status, StatusCode::OK, "{name}: still there");

        let deleted =
            app.as_user(&doomed, Method::DELETE, "/api/auth/me", json!({ "password": "correct horse battery" })).await;
        assert_eq!(deleted.status, StatusCode::OK, "{name}: {:?}", deleted.body);
        assert_eq!(deleted.body, json!({ "username": "doomed_user", "conversations": 1 }), "{name}: it says what went");

        let left = rows_containing(&app.database_url, &needles).await;
        assert!(left.is_empty(), "{name}: rows of the deleted account are left: {left:#?}");
        for credential in [&doomed, &token] {
            let refused = app.as_user(credential, Method::GET, "/api/auth/me", Value::Null).await;
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{name}");
        }
        let shared = app.send_anonymous(Request::get(format!("/s/{share_token}")).body(Body::empty()).unwrap()).await;
        assert_eq!(shared.status, StatusCode::NOT_FOUND, "{name}: its share links are gone");
        let friend = app.send_anonymous(
            Request::post("/api/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({ "username": "invited_friend", "password": "correct horse battery" }).to_string(),
                ))
                .unwrap(),
        );
        assert_eq!(friend.await.status, StatusCode::OK, "{name}: the account it invited stays");
        let users = app.get("/api/admin/users").await;
        assert!(!users.body.to_string().contains("doomed_user"), "{name}");
        app.app.chat().shutdown(std::time::Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn the_only_admin_cannot_delete_the_account_while_others_remain() {
    let app = TestApp::new().await;
    let bob = app.register("bob").await;
    let refused = app.json(Method::DELETE, "/api/auth/me", json!({ "password": "correct horse battery" })).await;
    assert_eq!((refused.status, &refused.body["error"]["code"]), (StatusCode::CONFLICT, &json!("last_admin")));
    assert_eq!(app.get("/api/auth/me").await.status, StatusCode::OK, "nothing was deleted");

    let gone = app.as_user(&bob, Method::DELETE, "/api/auth/me", json!({ "password": "correct horse battery" })).await;
    assert_eq!(gone.status, StatusCode::OK, "anyone else may");
    let alone = app.json(Method::DELETE, "/api/auth/me", json!({ "password": "correct horse battery" })).await;
    assert_eq!(alone.status, StatusCode::OK, "alone, the admin may go too: {:?}", alone.body);
    let first_again = app.register("newcomer").await;
    let me = app.as_user(&first_again, Method::GET, "/api/auth/me", Value::Null).await;
    assert_eq!(me.body["user"]["admin"], true, "the next first account runs the server");
}
