//! Attachments: a file judged by its bytes, stored once per owner, served only to its owner
//! and never run, sent with a message, read by the model in its own format (image parts for
//! a model that takes images; refused before anything is saved for one that does not), and
//! kept through export and import, restart and delete.

use crate::common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{Reply, RunningServer, TestApp};
use confab_llm::fake_openai::{builtin_reply, FakeOpenAi};
use serde_json::{json, Value};

const BOUNDARY: &str = "confab-test-boundary-7MA4YWxkTrZu0gW";

fn multipart(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload_request(name: &str, bytes: &[u8]) -> Request<Body> {
    Request::post("/api/attachments")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(multipart(name, bytes)))
        .unwrap()
}

async fn upload(app: &TestApp, name: &str, bytes: &[u8]) -> Reply {
    app.send(upload_request(name, bytes)).await
}

async fn uploaded(app: &TestApp, name: &str, bytes: &[u8]) -> Value {
    let reply = upload(app, name, bytes).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

/// A small PNG with a gradient, so that its bytes are not trivial.
fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn bytes_used(app: &TestApp, token: &str) -> u64 {
    let me = app
        .send(
            Request::get("/api/auth/me")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let owner = me.body["user"]["id"].as_str().unwrap().parse().unwrap();
    app.app.chat().store().bytes_used(owner).await.unwrap()
}

async fn send_with(app: &TestApp, id: &str, content: &str, files: &[&Value]) -> Reply {
    let ids: Vec<&Value> = files.iter().map(|file| &file["id"]).collect();
    app.act(id, "send_message", json!({ "content": content, "attachment_ids": ids })).await
}

#[tokio::test]
async fn each_kind_is_judged_by_its_bytes_whatever_its_name() {
    let app = TestApp::new().await;
    let image = uploaded(&app, "not really.txt", &png(8, 6)).await;
    assert_eq!(image["media_type"], "image/png");
    assert_eq!(image["name"], "not really.txt", "the name is kept, cleaned; the kind is not taken from it");
    let text = uploaded(&app, "notes.png", b"fn main() { println!(\"hi\"); }\n").await;
    assert_eq!(text["media_type"], "text/plain; charset=utf-8");
    let pdf = uploaded(&app, "report", &confab_attachments::pdf_with_text("Quarterly figures")).await;
    assert_eq!(pdf["media_type"], "application/pdf");
    let cleaned = uploaded(&app, "../../etc/passwd", b"root:x:0:0").await;
    assert_eq!(cleaned["name"], "passwd");

    let used = bytes_used(&app, &app.token).await;
    for (name, bytes) in
        [("archive.zip", &b"PK\x03\x04\x14\x00\x00\x00\x08\x00"[..]), ("empty.txt", b""), ("nul.txt", b"a\0b")]
    {
        let refused = upload(&app, name, bytes).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{name}: {:?}", refused.body);
        assert!(refused.body["error"]["message"].as_str().unwrap().len() > 10, "a clear error: {:?}", refused.body);
    }
    assert_eq!(bytes_used(&app, &app.token).await, used, "a refused file stores nothing");
    let no_field = app
        .send(
            Request::post("/api/attachments")
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
                .body(Body::from(format!("--{BOUNDARY}--\r\n")))
                .unwrap(),
        )
        .await;
    assert_eq!(no_field.status, StatusCode::BAD_REQUEST);
    let not_multipart = app.post("/api/attachments", json!({ "file": "x" })).await;
    assert_eq!(not_multipart.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_same_image_twice_is_one_blob_and_another_users_file_is_404() {
    let app = TestApp::new().await;
    let bytes = png(32, 32);
    let first = uploaded(&app, "a.png", &bytes).await;
    let second = uploaded(&app, "b.png", &bytes).await;
    assert_ne!(first["id"], second["id"]);
    assert_eq!(bytes_used(&app, &app.token).await, first["size"].as_u64().unwrap(), "stored once");

    let mine = app.get(&format!("/api/attachments/{}", first["id"].as_str().unwrap())).await;
    assert_eq!(mine.status, StatusCode::OK);
    let stranger = app.register("stranger").await;
    let as_stranger = |uri: String| {
        Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {stranger}")).body(Body::empty()).unwrap()
    };
    let theirs = app.send(as_stranger(format!("/api/attachments/{}", first["id"].as_str().unwrap()))).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let unknown = app.get("/api/attachments/0190a5c0-0000-7000-8000-000000000000").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let not_an_id = app.get("/api/attachments/not-an-id").await;
    assert_eq!(not_an_id.status, StatusCode::BAD_REQUEST);

    // The same bytes uploaded by the stranger are their own blob.
    let body = multipart("mine.png", &bytes);
    let request = Request::post("/api/attachments")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::AUTHORIZATION, format!("Bearer {stranger}"))
        .body(Body::from(body))
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::CREATED);
    assert_eq!(bytes_used(&app, &stranger).await, first["size"].as_u64().unwrap());

    // Nor can anyone send someone else's file.
    let id = app.create_context().await;
    let request = Request::post(format!("/api/contexts/{id}/actions/send_message"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "content": "x", "attachment_ids": [first["id"]] }).to_string()))
        .unwrap();
    let sent = app.send(request).await;
    assert_eq!(sent.status, StatusCode::OK, "the owner may");
    let state = app.wait_for(&id, "idle").await;
    assert_eq!(state["context"]["messages"][0]["attachments"][0]["id"], first["id"]);
}

#[tokio::test]
async fn a_file_is_served_with_headers_that_keep_it_inert() {
    let app = TestApp::new().await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>fetch('/pwned')</script></svg>"#;
    let file = uploaded(&app, "drawing.svg", svg).await;
    assert_eq!(file["media_type"], "text/plain; charset=utf-8", "an SVG is text, never an image here");
    let served = app.get(&format!("/api/attachments/{}", file["id"].as_str().unwrap())).await;
    assert_eq!(served.status, StatusCode::OK);
    let headers = &served.headers;
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.contains("sandbox") && policy.starts_with("default-src 'none'"), "{policy}");
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("inline; filename=\"drawing.svg\""), "shown as text: {disposition}");
    let pdf = uploaded(&app, "report.pdf", &confab_attachments::pdf_with_text("x")).await;
    let served = app.get(&format!("/api/attachments/{}", pdf["id"].as_str().unwrap())).await;
    assert_eq!(served.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(served.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));

    let image = uploaded(&app, "photo.png", &png(4, 4)).await;
    let served = app.get(&format!("/api/attachments/{}", image["id"].as_str().unwrap())).await;
    assert_eq!(served.headers[header::CONTENT_TYPE], "image/png");
    assert!(served.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("inline"));
}

#[tokio::test]
async fn limits_on_size_count_and_storage_answer_413_and_400_and_store_nothing() {
    let app = TestApp::with(|c| {
        c.max_attachment_bytes = 1000;
        c.max_attachments_per_message = 2;
        c.max_attachment_bytes_per_user = 1500;
    })
    .await;
    let oversized = upload(&app, "big.txt", &[b'a'; 1001]).await;
    assert_eq!(oversized.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", oversized.body);
    assert_eq!(oversized.body["error"]["code"], "payload_too_large");
    assert_eq!(bytes_used(&app, &app.token).await, 0, "nothing stored");
    let far_too_large = upload(&app, "huge.txt", &vec![b'a'; 200_000]).await;
    assert_eq!(far_too_large.status, StatusCode::PAYLOAD_TOO_LARGE);

    let files = [
        uploaded(&app, "1.txt", &[b'1'; 500]).await,
        uploaded(&app, "2.txt", &[b'2'; 500]).await,
        uploaded(&app, "3.txt", &[b'3'; 500]).await,
    ];
    let over_quota = upload(&app, "4.txt", &[b'4'; 10]).await;
    assert_eq!(over_quota.status, StatusCode::PAYLOAD_TOO_LARGE, "1,500 bytes each person: {:?}", over_quota.body);
    assert_eq!(bytes_used(&app, &app.token).await, 1500);

    let id = app.create_context().await;
    let too_many = send_with(&app, &id, "three files", &[&files[0], &files[1], &files[2]]).await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST, "{:?}", too_many.body);
    assert!(app.state(&id).await["context"]["messages"].as_array().unwrap().is_empty(), "nothing saved");
    let unknown = app
        .act(&id, "send_message", json!({ "content": "x", "attachment_ids": ["0190a5c0-0000-7000-8000-000000000000"] }))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let blank = app.act(&id, "send_message", json!({ "content": "  " })).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST, "no words and no file");
    assert!(app.state(&id).await["context"]["messages"].as_array().unwrap().is_empty(), "nothing saved");
}

#[tokio::test]
async fn sent_files_show_in_the_message_and_the_built_in_model_acknowledges_them() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let image = uploaded(&app, "cat.png", &png(16, 16)).await;
    let notes = uploaded(&app, "notes.md", b"# Notes\nbuy milk\n").await;
    let sent = send_with(&app, &id, "", &[&image, &notes]).await;
    assert_eq!(sent.status, StatusCode::OK, "files alone are a message: {:?}", sent.body);
    let state = app.wait_for(&id, "idle").await;
    let messages = state["context"]["messages"].as_array().unwrap();
    let files = messages[0]["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!((&files[0]["name"], &files[1]["name"]), (&json!("cat.png"), &json!("notes.md")));
    let reply = messages[1]["content"].as_str().unwrap();
    assert!(reply.starts_with("I received 2 files: cat.png (an image, "), "{reply}");
    assert!(reply.contains("notes.md (a text file, 17 bytes)"), "{reply}");
    assert_eq!(state["context"]["title"], "cat.png", "named after its file");
}

/// An app whose config has a provider `fake` with a model that takes images and one that
/// does not, the latter the default.
async fn app_with_vision(fake: &FakeOpenAi) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.toml");
    let text = format!(
        "default_model = \"fake/blind\"\n\n[[providers]]\nname = \"fake\"\nbase_url = \"{}\"\nvision = [\"seeing\"]\n",
        fake.base_url
    );
    std::fs::write(&path, text).unwrap();
    (TestApp::with(move |c| c.config = Some(path)).await, dir)
}

#[tokio::test]
async fn a_vision_model_gets_the_image_as_a_part_and_a_blind_one_refuses_before_saving() {
    let fake = FakeOpenAi::start(builtin_reply)
        .await
        .with_models(vec![json!({ "id": "blind", "object": "model" }), json!({ "id": "seeing", "object": "model" })]);
    let (app, _dir) = app_with_vision(&fake).await;
    let id = app.create_context().await;
    let image = uploaded(&app, "chart.png", &png(20, 10)).await;
    let notes = uploaded(&app, "data.csv", b"year,sales\n2025,10\n").await;

    let refused = send_with(&app, &id, "what does this show?", &[&image]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{:?}", refused.body);
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("fake/blind") && message.contains("fake/seeing"), "names one that can: {message}");
    assert!(app.state(&id).await["context"]["messages"].as_array().unwrap().is_empty(), "nothing saved");
    assert!(fake.requests().is_empty(), "the model was never asked");

    let switched = app.act(&id, "update_settings", json!({ "settings": { "model": "fake/seeing" } })).await;
    assert_eq!(switched.status, StatusCode::OK, "{:?}", switched.body);
    let sent = send_with(&app, &id, "what does this show?", &[&image, &notes]).await;
    assert_eq!(sent.status, StatusCode::OK, "{:?}", sent.body);
    app.wait_for(&id, "idle").await;
    let requests: Vec<Value> = fake.requests().into_iter().filter(|r| r["stream"] == true).collect();
    let user = requests[0]["messages"].as_array().unwrap().iter().find(|m| m["role"] == "user").unwrap().clone();
    let parts = user["content"].as_array().expect("content parts");
    assert_eq!(parts[0], json!({ "type": "text", "text": "what does this show?" }));
    assert_eq!(parts[1]["type"], "image_url");
    let url = parts[1]["image_url"]["url"].as_str().unwrap();
    assert!(url.starts_with("data:image/png;base64,iVBORw0KGgo"), "the PNG itself: {}", &url[..40]);
    assert_eq!(parts[2]["type"], "text");
    assert!(
        parts[2]["text"].as_str().unwrap().contains("name=\"data.csv\"")
            && parts[2]["text"].as_str().unwrap().contains("2025,10")
    );
}

#[tokio::test]
async fn a_pdf_gives_the_model_its_text() {
    let fake = FakeOpenAi::start(builtin_reply).await.with_models(vec![json!({ "id": "blind", "object": "model" })]);
    let (app, _dir) = app_with_vision(&fake).await;
    let id = app.create_context().await;
    let pdf = uploaded(&app, "report.pdf", &confab_attachments::pdf_with_text("Revenue grew nine percent")).await;
    assert_eq!(send_with(&app, &id, "summarize", &[&pdf]).await.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;
    let request = fake.requests().into_iter().find(|r| r["stream"] == true).unwrap();
    let text = request.to_string();
    assert!(text.contains("Revenue grew nine percent") && text.contains("report.pdf"), "{text}");
}

#[tokio::test]
async fn files_go_with_their_last_conversation_and_survive_export_and_import() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let image = uploaded(&app, "cat.png", &png(16, 16)).await;
    assert_eq!(send_with(&app, &id, "look", &[&image]).await.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;

    let export = app.get(&format!("/api/contexts/{id}/export")).await;
    assert_eq!(export.status, StatusCode::OK);
    let embedded = &export.body["messages"][0]["attachments"][0];
    assert_eq!(embedded["name"], "cat.png");
    assert!(embedded["data"].as_str().unwrap().starts_with("iVBORw0KGgo"), "the bytes are in the file");

    let image_url = format!("/api/attachments/{}", image["id"].as_str().unwrap());
    let deleted = app.json(Method::DELETE, &format!("/api/contexts/{id}"), Value::Null).await;
    assert!(deleted.status.is_success(), "{:?}", deleted.body);
    assert_eq!(app.get(&image_url).await.status, StatusCode::NOT_FOUND, "gone with its conversation");
    assert_eq!(bytes_used(&app, &app.token).await, 0, "and its blob too");

    let imported = app.post("/api/contexts/import", export.body.clone()).await;
    assert!(imported.status.is_success(), "{:?}", imported.body);
    let new_id = imported.body["imported"][0]["id"].as_str().or(imported.body["id"].as_str()).unwrap().to_string();
    let state = app.state(&new_id).await;
    let file = &state["context"]["messages"][0]["attachments"][0];
    assert_eq!(file["name"], "cat.png");
    let served = app.get(&format!("/api/attachments/{}", file["id"].as_str().unwrap())).await;
    assert_eq!(served.status, StatusCode::OK, "the import's file is stored again");
    assert_eq!(served.headers[header::CONTENT_TYPE], "image/png");
}

#[tokio::test]
async fn a_share_shows_its_files_and_no_others() {
    let app = TestApp::new().await;
    let id = app.create_context().await;
    let image = uploaded(&app, "cat.png", &png(16, 16)).await;
    assert_eq!(send_with(&app, &id, "look", &[&image]).await.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;
    let link = app.post(&format!("/api/contexts/{id}/shares"), json!({})).await.body;
    let token = link["token"].as_str().unwrap();
    let later = uploaded(&app, "later.png", &png(8, 8)).await;
    assert_eq!(send_with(&app, &id, "and this", &[&later]).await.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;

    let anonymous = |uri: String| Request::get(uri).body(Body::empty()).unwrap();
    let page = app.send_anonymous(anonymous(format!("/s/{token}"))).await;
    let shared_url = format!("/s/{token}/attachments/{}", image["id"].as_str().unwrap());
    assert!(page.body.as_str().unwrap().contains(&shared_url), "the page shows the image");
    let shared = app.send_anonymous(anonymous(shared_url)).await;
    assert_eq!(shared.status, StatusCode::OK);
    assert_eq!(shared.headers[header::CONTENT_TYPE], "image/png");
    let not_shared =
        app.send_anonymous(anonymous(format!("/s/{token}/attachments/{}", later["id"].as_str().unwrap()))).await;
    assert_eq!(not_shared.status, StatusCode::NOT_FOUND, "sent after the share: not in it");
    let own_url = app.send_anonymous(anonymous(format!("/api/attachments/{}", image["id"].as_str().unwrap()))).await;
    assert_eq!(own_url.status, StatusCode::UNAUTHORIZED);
}

/// Through a real socket: the size limit holds while the body streams in.
#[tokio::test]
async fn over_a_real_connection_an_oversized_upload_is_413_and_a_good_one_is_stored() {
    let server = RunningServer::start(|c| c.max_attachment_bytes = 64 * 1024).await;
    let client = reqwest::Client::new();
    let post = |name: &str, bytes: Vec<u8>| {
        client
            .post(server.url("/api/attachments"))
            .bearer_auth(&server.token)
            .header(header::CONTENT_TYPE.as_str(), format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart(name, &bytes))
            .send()
    };
    let too_big = post("big.txt", vec![b'x'; 1024 * 1024]).await.unwrap();
    assert_eq!(too_big.status().as_u16(), 413);
    let fine = post("small.png", png(64, 64)).await.unwrap();
    assert_eq!(fine.status().as_u16(), 201);
    let file: Value = fine.json().await.unwrap();
    let served = client
        .get(server.url(&format!("/api/attachments/{}", file["id"].as_str().unwrap())))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(served.status().as_u16(), 200);
    let bytes = served.bytes().await.unwrap();
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 64);
}

/// Through a real socket, at the default limit's size: a 15 MiB log goes up and comes back
/// byte for byte, and one byte past 20 MiB is refused.
#[tokio::test]
async fn a_large_file_goes_up_and_comes_back_whole() {
    let server = RunningServer::start(|_| {}).await;
    let client = reqwest::Client::new();
    let line = b"2026-11-26T18:00:00Z INFO request served in 12 ms\n";
    let log: Vec<u8> = line.iter().copied().cycle().take(15 * 1024 * 1024).collect();
    let post = |bytes: Vec<u8>| {
        client
            .post(server.url("/api/attachments"))
            .bearer_auth(&server.token)
            .header(header::CONTENT_TYPE.as_str(), format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart("server.log", &bytes))
            .send()
    };
    let stored = post(log.clone()).await.unwrap();
    assert_eq!(stored.status().as_u16(), 201);
    let file: Value = stored.json().await.unwrap();
    assert_eq!(file["size"], log.len());
    let url = server.url(&format!("/api/attachments/{}", file["id"].as_str().unwrap()));
    let served = client.get(url).bearer_auth(&server.token).send().await.unwrap().bytes().await.unwrap();
    assert!(served[..] == log[..], "the same bytes");
    let too_big = post(vec![b'x'; 20 * 1024 * 1024 + 1]).await.unwrap();
    assert_eq!(too_big.status().as_u16(), 413);
}
