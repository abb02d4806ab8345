//! MCP tool servers nobody here wrote, as the test command installs them: the reference
//! `@modelcontextprotocol/server-everything` (npm) and `mcp-server-time` (PyPI), over stdio.
//! Their tools are offered as `server__tool`, a call waits for approval, runs on the real
//! server, and its result reaches the model; a deny reaches it as a denial; a server that
//! cannot start shows as failed and Confab runs on.

use crate::common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use common::{pending_calls, TestApp};
use confab_server::{App, Config};
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The two servers, or `None` (the test is skipped) when they are not installed and the
/// test command did not ask for them (`CONFAB_REQUIRE_MCP=1`).
fn servers() -> Option<(PathBuf, PathBuf)> {
    let everything = root().join("end2end/node_modules/.bin/mcp-server-everything");
    let time = root().join(".tools/mcp-venv/bin/mcp-server-time");
    if everything.exists() && time.exists() {
        return Some((everything, time));
    }
    assert!(
        std::env::var("CONFAB_REQUIRE_MCP").is_err(),
        "the MCP servers are not installed: run `source scripts/setup.sh --test`"
    );
    eprintln!("skipped: the reference MCP servers are not installed");
    None
}

async fn app_with(config: &str) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.toml");
    std::fs::write(&path, config).unwrap();
    (TestApp::with(move |c| c.config = Some(path)).await, dir)
}

/// `GET /api/tools` once every server is out of `starting` (real processes: a deadline, no
/// fixed sleep).
async fn tools_when_settled(app: &TestApp) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = app.get("/api/tools").await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let servers = reply.body["servers"].as_array().unwrap();
        if servers.iter().all(|s| s["state"] != "starting") || Instant::now() > deadline {
            return reply.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `content`, approves or denies the one call it asks for, and returns the call and
/// the model's answer after it.
async fn call_through(app: &TestApp, id: &str, content: &str, approve: bool) -> (Value, String) {
    assert_eq!(app.act(id, "send_message", json!({ "content": content })).await.status, StatusCode::OK);
    let state = app.wait_for(id, "awaiting_tool_approval").await;
    let calls = pending_calls(&state);
    assert_eq!(calls.len(), 1, "{state:#}");
    let call =
        state["context"]["messages"].as_array().unwrap().iter().rev().find(|m| m["role"] == "assistant").unwrap()
            ["tool_calls"][0]
            .clone();
    let action = if approve { "approve_tools" } else { "deny_tools" };
    assert_eq!(app.act(id, action, json!({ "tool_call_ids": calls })).await.status, StatusCode::OK);
    let state = app.wait_for(id, "idle").await;
    let last = state["context"]["messages"].as_array().unwrap().last().unwrap().clone();
    (call, last["content"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn tools_of_real_mcp_servers_wait_for_approval_run_and_answer_the_model() {
    let Some((everything, time)) = servers() else { return };
    let config = format!(
        "[[mcp_servers]]\nname = \"everything\"\ncommand = {everything:?}\nargs = [\"stdio\"]\n\n\
         [[mcp_servers]]\nname = \"time\"\ncommand = {time:?}\nargs = [\"--local-timezone\", \"UTC\"]\n",
        everything = everything.display().to_string(),
        time = time.display().to_string(),
    );
    let (app, _dir) = app_with(&config).await;
    let tools = tools_when_settled(&app).await;
    assert_eq!(
        tools["servers"],
        json!([{ "name": "everything", "state": "running" }, { "name": "time", "state": "running" }])
    );
    let names: Vec<&str> = tools["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for name in ["current_time", "calculator", "everything__echo", "time__get_current_time"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let echo = tools["tools"].as_array().unwrap().iter().find(|t| t["name"] == "everything__echo").unwrap();
    assert_eq!((echo["server"].clone(), echo["policy"].clone()), (json!("everything"), json!("ask")));

    let id = app.create_context().await;
    let (call, answer) = call_through(&app, &id, "use echo: hi", true).await;
    assert_eq!(
        (call["name"].clone(), call["arguments"].clone()),
        (json!("everything__echo"), json!({ "message": "hi" }))
    );
    assert!(answer.contains("everything__echo returned:") && answer.contains("Echo: hi"), "{answer}");

    // `use` comes before the built-in clock: the time server's tool, with its timezone.
    let (call, answer) = call_through(&app, &id, "use get_current_time: UTC", true).await;
    assert_eq!(
        (call["name"].clone(), call["arguments"].clone()),
        (json!("time__get_current_time"), json!({ "timezone": "UTC" }))
    );
    assert!(answer.contains("\"timezone\": \"UTC\"") || answer.contains("\"timezone\":\"UTC\""), "{answer}");

    // Denied: the model hears it was, and nothing ran.
    let (_, answer) = call_through(&app, &id, "use echo: not this time", false).await;
    assert!(answer.contains("I could not use everything__echo") && answer.contains("denied"), "{answer}");
    assert!(!answer.contains("Echo: not this time"), "{answer}");
}

#[tokio::test]
async fn a_server_that_cannot_start_shows_as_failed_and_confab_runs_on() {
    let (app, _dir) =
        app_with("[[mcp_servers]]\nname = \"broken\"\ncommand = \"/nonexistent/mcp-server\"\ntimeout_secs = 5\n").await;
    let tools = tools_when_settled(&app).await;
    let server = &tools["servers"][0];
    assert_eq!((server["name"].clone(), server["state"].clone()), (json!("broken"), json!("failed")));
    assert!(server["error"].as_str().unwrap().contains("cannot start \"/nonexistent/mcp-server\""), "{server}");
    let names: Vec<&str> = tools["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["current_time", "calculator"]);
    // The built-in tools still work.
    let id = app.create_context().await;
    let (call, _) = call_through(&app, &id, "calc 2*(3+4)", true).await;
    assert_eq!(call["name"], "calculator");
}

/// Sends `content` and waits for the conversation to reach `status`.
async fn send(app: &TestApp, id: &str, content: &str, status: &str) -> Value {
    assert_eq!(app.act(id, "send_message", json!({ "content": content })).await.status, StatusCode::OK);
    app.wait_for(id, status).await
}

#[tokio::test]
async fn policies_follow_each_server_config_and_the_person_through_a_restart() {
    let Some((everything, _)) = servers() else { return };
    let everything = everything.display().to_string();
    let config = format!(
        "[[mcp_servers]]\nname = \"everything\"\ncommand = {everything:?}\nargs = [\"stdio\"]\n\n\
         [[mcp_servers]]\nname = \"trusted\"\ncommand = {everything:?}\nargs = [\"stdio\"]\napproval = \"always\"\n\n\
         [[mcp_servers]]\nname = \"guarded\"\ncommand = {everything:?}\nargs = [\"stdio\"]\nallow_always = false\n",
    );
    let (app, dir) = app_with(&config).await;
    let tools = tools_when_settled(&app).await;
    let tool = |name: &str| tools["tools"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap().clone();
    assert_eq!(
        (tool("trusted__echo")["policy"].clone(), tool("trusted__echo")["allow_always"].clone()),
        (json!("always"), json!(true))
    );
    assert_eq!(
        (tool("guarded__echo")["policy"].clone(), tool("guarded__echo")["allow_always"].clone()),
        (json!("ask"), json!(false))
    );

    // A server configured "always" runs its tools without asking.
    let id = app.create_context().await;
    let state = send(&app, &id, "use trusted__echo: at once", "idle").await;
    assert!(common::transcript(&state).last().unwrap().1.contains("Echo: at once"), "{state:#}");

    // A guarded server's tools cannot be always allowed, by either door; nothing changes.
    let refused = app.json(Method::PUT, "/api/tools/guarded__echo/policy", json!({ "policy": "always" })).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    let calls = pending_calls(&send(&app, &id, "use guarded__echo: careful", "awaiting_tool_approval").await);
    let refused = app.act(&id, "approve_tools", json!({ "tool_call_ids": calls, "remember": "always" })).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(app.state(&id).await["status"], "awaiting_tool_approval", "still waiting for a person");
    assert_eq!(app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;

    // "Always allow" on a card: the next call runs at once, here and after a restart.
    let calls = pending_calls(&send(&app, &id, "use everything__echo: one", "awaiting_tool_approval").await);
    let approved = app.act(&id, "approve_tools", json!({ "tool_call_ids": calls, "remember": "always" })).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    app.wait_for(&id, "idle").await;
    let TestApp { dir: db_dir, database_url, token, .. } = app;
    let mut config = Config::for_tests(&database_url);
    config.config = Some(dir.path().join("confab.toml"));
    let restarted = App::build(config).await.unwrap();
    let app = TestApp { router: restarted.router(), app: restarted, dir: db_dir, database_url, token };
    tools_when_settled(&app).await;
    let other = app.create_context().await;
    let state = send(&app, &other, "use everything__echo: two", "idle").await;
    assert!(common::transcript(&state).last().unwrap().1.contains("Echo: two"), "{state:#}");
}

/// The everything server, started through a shell that leaves its process id in `pid_file`
/// (so a test can kill it mid-call), with `extra` config lines.
fn everything_with_pid(everything: &std::path::Path, pid_file: &std::path::Path, extra: &str) -> String {
    let script = format!("echo $$ > '{}'; exec '{}' stdio", pid_file.display(), everything.display());
    format!("[[mcp_servers]]\nname = \"everything\"\ncommand = \"sh\"\nargs = [\"-c\", {script:?}]\n{extra}\n")
}

/// The last message's text once the conversation is idle again.
async fn answer_when_idle(app: &TestApp, id: &str) -> String {
    let state = app.wait_for(id, "idle").await;
    common::transcript(&state).last().unwrap().1.clone()
}

#[tokio::test]
async fn a_call_past_its_timeout_or_too_large_ends_cleanly_and_the_model_hears_why() {
    let Some((everything, _)) = servers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = everything_with_pid(&everything, &dir.path().join("pid"), "timeout_secs = 1\nmax_result_bytes = 40");
    let (app, _config_dir) = app_with(&config).await;
    tools_when_settled(&app).await;
    let id = app.create_context().await;

    // Ten seconds of work against a one-second timeout.
    let calls =
        pending_calls(&send(&app, &id, "use trigger-long-running-operation: now", "awaiting_tool_approval").await);
    assert_eq!(app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await.status, StatusCode::OK);
    let answer = answer_when_idle(&app, &id).await;
    assert!(answer.contains("did not answer within 1 s"), "{answer}");

    // A result over the cap reaches the model cut, with a note that says so.
    let long = "x".repeat(200);
    let calls = pending_calls(&send(&app, &id, &format!("use echo: {long}"), "awaiting_tool_approval").await);
    assert_eq!(app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await.status, StatusCode::OK);
    let answer = answer_when_idle(&app, &id).await;
    assert!(answer.contains("[truncated: the result was") && !answer.contains(&long), "{answer}");
}

#[tokio::test]
async fn a_server_killed_mid_call_or_a_stop_mid_call_never_leaves_the_conversation_stuck() {
    let Some((everything, _)) = servers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let (app, _config_dir) = app_with(&everything_with_pid(&everything, &pid_file, "")).await;
    tools_when_settled(&app).await;
    let id = app.create_context().await;

    // The server dies while it works: the model hears of an error, the conversation goes on.
    let calls =
        pending_calls(&send(&app, &id, "use trigger-long-running-operation: now", "awaiting_tool_approval").await);
    assert_eq!(app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await.status, StatusCode::OK);
    app.wait_for(&id, "executing_tools").await;
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
    assert!(std::process::Command::new("kill").args(["-9", &pid]).status().unwrap().success());
    let answer = answer_when_idle(&app, &id).await;
    assert!(answer.contains("I could not use everything__trigger-long-running-operation"), "{answer}");

    // Restarted by its supervisor; a call that is stopped mid-way leaves the conversation
    // ready for the next message.
    let deadline = Instant::now() + Duration::from_secs(30);
    while tools_when_settled(&app).await["servers"][0]["state"] != "running" {
        assert!(Instant::now() < deadline, "the supervisor restarts a server that died");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let calls =
        pending_calls(&send(&app, &id, "use trigger-long-running-operation: again", "awaiting_tool_approval").await);
    assert_eq!(app.act(&id, "approve_tools", json!({ "tool_call_ids": calls })).await.status, StatusCode::OK);
    app.wait_for(&id, "executing_tools").await;
    assert_eq!(app.act(&id, "cancel", json!({})).await.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;
    let answer = answer_when_idle(&app, &id).await;
    let next = send(&app, &id, "use echo: still here", "awaiting_tool_approval").await;
    assert_eq!(pending_calls(&next).len(), 1, "the next message works ({answer})");
}

/// The everything server over streamable HTTP on a free loopback port, until dropped.
async fn everything_over_http(everything: &std::path::Path) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = tokio::process::Command::new(everything)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "the everything server listens over HTTP");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, format!("http://127.0.0.1:{port}/mcp"))
}

#[tokio::test]
async fn a_server_over_streamable_http_offers_its_tools_and_runs_them_after_approval() {
    let Some((everything, _)) = servers() else { return };
    let (_server, url) = everything_over_http(&everything).await;
    let config = format!(
        "[[mcp_servers]]\nname = \"remote\"\nurl = {url:?}\n\n\
         [[mcp_servers]]\nname = \"keyless\"\nurl = {url:?}\nheaders_env = {{ \"Authorization\" = \"CONFAB_TEST_UNSET_TOKEN\" }}\n"
    );
    let (app, _dir) = app_with(&config).await;
    let tools = tools_when_settled(&app).await;
    assert_eq!(tools["servers"][0], json!({ "name": "remote", "state": "running" }), "{tools:#}");
    // A header whose variable is not set: the server fails to start, and says why.
    assert_eq!(tools["servers"][1]["state"], "failed");
    let reason = tools["servers"][1]["error"].as_str().unwrap();
    assert!(reason.contains("CONFAB_TEST_UNSET_TOKEN is not set"), "{reason}");

    let id = app.create_context().await;
    let (call, answer) = call_through(&app, &id, "use remote__echo: over the wire", true).await;
    assert_eq!(call["name"], "remote__echo");
    assert!(answer.contains("Echo: over the wire"), "{answer}");
}

#[tokio::test]
async fn through_an_openai_compatible_model_an_mcp_call_waits_runs_and_reaches_the_model() {
    let Some((everything, _)) = servers() else { return };
    let fake = confab_llm::fake_openai::FakeOpenAi::like_builtin().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.toml");
    let server = everything.display().to_string();
    std::fs::write(
        &path,
        format!("[[mcp_servers]]\nname = \"everything\"\ncommand = {server:?}\nargs = [\"stdio\"]\n"),
    )
    .unwrap();
    let base = fake.base_url.clone();
    let app = TestApp::with(move |c| {
        c.config = Some(path);
        c.llm = confab_server::LlmKind::Openai;
        c.openai_base_url = base;
        c.openai_api_key = Some("sk-test".into());
        c.model = "fake-model".into();
    })
    .await;
    tools_when_settled(&app).await;
    let id = app.create_context().await;

    let (call, answer) = call_through(&app, &id, "use echo: through the wire format", true).await;
    assert_eq!(call["name"], "everything__echo");
    assert!(answer.contains("Echo: through the wire format"), "{answer}");
    let streamed: Vec<_> = fake.requests().into_iter().filter(|r| r["stream"] == true).collect();
    // The server's tool, offered with its schema as the server gave it.
    let offered = streamed[0]["tools"].as_array().unwrap();
    let echo = offered.iter().find(|t| t["function"]["name"] == "everything__echo").unwrap();
    assert_eq!(echo["function"]["parameters"]["required"], json!(["message"]), "{echo:#}");
    // Its result went back to the model as the tool's answer.
    let result = streamed[1]["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(result["role"], "tool");
    assert!(result["content"].as_str().unwrap().contains("Echo: through the wire format"), "{result:#}");

    // Denied: the model is told so, and nothing ran.
    let (_, answer) = call_through(&app, &id, "use echo: no", false).await;
    assert!(answer.contains("denied") && !answer.contains("Echo: no"), "{answer}");

    // Always allowed from a card: the next call runs without one.
    let calls = pending_calls(&send(&app, &id, "use echo: one", "awaiting_tool_approval").await);
    let body = json!({ "tool_call_ids": calls, "remember": "always" });
    assert_eq!(app.act(&id, "approve_tools", body).await.status, StatusCode::OK);
    app.wait_for(&id, "idle").await;
    let state = send(&app, &id, "use echo: two", "idle").await;
    assert!(common::transcript(&state).last().unwrap().1.contains("Echo: two"), "{state:#}");
}
