//! Single sign-on end to end against a real OpenID Connect provider (`oidc-provider-mock`
//! from PyPI, started here; `scripts/setup.sh --test` installs it): signing in creates the
//! account and links it by the provider's subject, the group rule admits or refuses, the
//! admin group makes an administrator, a taken username gets a suffix, and a tampered state
//! or code signs nobody in.

use crate::common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::client::ApiClient;
use common::process::Confab;
use openidconnect::url::form_urlencoded;
use serde_json::{json, Value};

/// The provider, killed when dropped.
struct Provider {
    base: String,
    child: Child,
    http: reqwest::Client,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Started on a free port, or `None` (the test is skipped) when it is not installed and
    /// the test command did not ask for it (`CONFAB_REQUIRE_OIDC=1`).
    async fn start() -> Option<Provider> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let binary = root.join(".tools/oidc-venv/bin/oidc-provider-mock");
        if !binary.exists() {
            assert!(
                std::env::var("CONFAB_REQUIRE_OIDC").is_err(),
                "oidc-provider-mock is not installed: run `source scripts/setup.sh --test`"
            );
            eprintln!("skipped: oidc-provider-mock is not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--require-nonce"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let provider = Provider { base: format!("http://127.0.0.1:{port}"), child, http };
        let deadline = Instant::now() + Duration::from_secs(30);
        let discovery = format!("{}/.well-known/openid-configuration", provider.base);
        while !provider.http.get(&discovery).send().await.is_ok_and(|r| r.status() == 200) {
            assert!(Instant::now() < deadline, "oidc-provider-mock did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(provider)
    }

    /// Tells the provider who `subject` is.
    async fn user(&self, subject: &str, claims: Value) {
        let response = self.http.put(format!("{}/users/{subject}", self.base)).json(&claims).send().await.unwrap();
        assert_eq!(response.status(), 204);
    }

    /// The person at the provider's form signs in as `subject`: where the provider sends the
    /// browser back (a path and query on `confab`).
    async fn authorize(&self, authorize_url: &str, subject: &str, confab: &Confab) -> String {
        let response = self.http.post(authorize_url).form(&[("sub", subject)]).send().await.unwrap();
        assert_eq!(response.status(), 302, "{:?}", response.text().await);
        let back = response.headers()[header::LOCATION].to_str().unwrap().to_string();
        back.strip_prefix(&confab.base).expect("back to Confab's callback").to_string()
    }
}

/// A `confab` process with single sign-on through `provider` (its client secret from the
/// environment, as in production), signed in as the test's first user (an administrator).
async fn confab(provider: &Provider, dir: &tempfile::TempDir) -> Confab {
    let path = dir.path().join("confab.toml");
    let config = format!(
        "[oidc]\nissuer = \"{}\"\nclient_id = \"confab\"\nclient_secret_env = \"CONFAB_OIDC_SECRET\"\n\
         groups_claim = \"groups\"\nrequired_group = \"chat\"\nadmin_group = \"chat-admins\"\n",
        provider.base
    );
    std::fs::write(&path, config).unwrap();
    let database = format!("sqlite://{}/confab.db", dir.path().display());
    let args = ["--config", path.to_str().unwrap()];
    Confab::start_with_env(&database, &args, &[("CONFAB_OIDC_SECRET", "a client secret")]).await
}

/// A browser's request to Confab: no redirects followed, the cookie it holds sent.
async fn browse(confab: &Confab, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = http.get(confab.url(path));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.send().await.unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION].to_str().unwrap().to_string()
}

/// The `name=value` of the cookie `name` that a response sets (not the one clearing it).
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().to_string())
        .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
}

/// Starts a sign-in, signs in at the provider as `subject`, and comes back: the callback's
/// answer.
async fn sign_in(confab: &Confab, provider: &Provider, subject: &str) -> reqwest::Response {
    let started = browse(confab, "/api/auth/oidc/start?next=/account", None).await;
    assert_eq!(started.status(), 303);
    let pending = set_cookie(&started, "confab_oidc").expect("the sign-in under way is remembered");
    let back = provider.authorize(&location(&started), subject, confab).await;
    assert!(back.starts_with("/api/auth/oidc/callback?"), "{back}");
    browse(confab, &back, Some(&pending)).await
}

/// Who a callback's answer signed in.
async fn me(confab: &Confab, response: &reqwest::Response) -> Value {
    let session = set_cookie(response, "confab_session").expect("signed in");
    let client = ApiClient::new(confab.base.clone(), session.strip_prefix("confab_session=").unwrap());
    let (status, body) = client.get("/api/auth/me").await;
    assert_eq!(status, 200);
    body["user"].clone()
}

#[tokio::test]
async fn signing_in_creates_an_account_linked_by_subject_and_the_groups_decide() {
    let Some(provider) = Provider::start().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let confab = confab(&provider, &dir).await;
    let (_, methods) = confab.get("/api/auth/methods").await;
    assert_eq!(methods, json!({ "password": true, "sso": true }));

    provider.user("sub-alice", json!({ "preferred_username": "alice", "groups": ["chat"] })).await;
    let back = sign_in(&confab, &provider, "sub-alice").await;
    assert_eq!(back.status(), 303);
    assert_eq!(location(&back), "/account", "on to the page the sign-in began from");
    let alice = me(&confab, &back).await;
    assert_eq!((&alice["username"], &alice["admin"]), (&json!("alice"), &json!(false)));

    // The provider renames her: the account is found by its subject, not by name or e-mail.
    provider.user("sub-alice", json!({ "preferred_username": "alice.renamed", "groups": ["chat"] })).await;
    let again = me(&confab, &sign_in(&confab, &provider, "sub-alice").await).await;
    assert_eq!((&again["id"], &again["username"]), (&alice["id"], &json!("alice")));

    // A name that is taken (the test's own "tester") gets a suffix, never a refusal.
    provider.user("sub-other-tester", json!({ "preferred_username": "tester", "groups": ["chat"] })).await;
    let second = me(&confab, &sign_in(&confab, &provider, "sub-other-tester").await).await;
    assert_eq!(second["username"], "tester-2");

    let boss_claims = json!({ "preferred_username": "boss@example.com", "groups": ["chat", "chat-admins"] });
    provider.user("sub-boss", boss_claims).await;
    let boss = me(&confab, &sign_in(&confab, &provider, "sub-boss").await).await;
    assert_eq!((&boss["username"], &boss["admin"]), (&json!("boss"), &json!(true)), "the admin group makes an admin");

    provider.user("sub-outsider", json!({ "preferred_username": "outsider", "groups": ["other"] })).await;
    let outsider = sign_in(&confab, &provider, "sub-outsider").await;
    assert_eq!(outsider.status(), 303);
    assert!(location(&outsider).starts_with("/login?sso_error="), "{}", location(&outsider));
    assert!(location(&outsider).contains("group"), "the page says why");
    assert!(set_cookie(&outsider, "confab_session").is_none(), "nobody signed in");
    let (_, users) = confab.get("/api/admin/users").await;
    let names: Vec<&str> = users["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["tester", "alice", "tester-2", "boss"], "no account for the outsider");
}

#[tokio::test]
async fn a_tampered_state_or_code_signs_nobody_in() {
    let Some(provider) = Provider::start().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let confab = confab(&provider, &dir).await;
    provider.user("sub-mallory", json!({ "preferred_username": "mallory", "groups": ["chat"] })).await;
    let started = browse(&confab, "/api/auth/oidc/start", None).await;
    let pending = set_cookie(&started, "confab_oidc").unwrap();
    let back = provider.authorize(&location(&started), "sub-mallory", &confab).await;
    let (path, query) = back.split_once('?').unwrap();
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let with = |name: &str, value: &str| {
        let pairs = params.iter().map(|(k, v)| (k.as_str(), if k == name { value } else { v.as_str() }));
        format!("{path}?{}", form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
    };

    for (what, uri, cookie) in [
        ("a forged state", with("state", "forged"), Some(pending.as_str())),
        ("a forged code", with("code", "forged"), Some(pending.as_str())),
        ("no sign-in under way", back.clone(), None),
    ] {
        let refused = browse(&confab, &uri, cookie).await;
        assert_eq!(refused.status(), 303, "{what}");
        assert!(location(&refused).starts_with("/login?sso_error="), "{what}: {}", location(&refused));
        assert!(set_cookie(&refused, "confab_session").is_none(), "{what}: nobody signed in");
    }
    // The real return still works, once: a code is good for one sign-in.
    let real = browse(&confab, &back, Some(&pending)).await;
    assert_eq!(me(&confab, &real).await["username"], "mallory");
    let replayed = browse(&confab, &back, Some(&pending)).await;
    assert!(set_cookie(&replayed, "confab_session").is_none(), "a code is good once");
}

#[tokio::test]
async fn password_sign_in_can_be_turned_off() {
    let Some(provider) = Provider::start().await else { return };
    // The test's own account is registered with a password first: the server refuses it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.toml");
    let config = format!("[oidc]\nissuer = \"{}\"\nclient_id = \"confab\"\npassword_login = false\n", provider.base);
    std::fs::write(&path, config).unwrap();
    let database = dir.path().join("confab.db");
    let mut settings = confab_server::Config::for_tests(format!("sqlite://{}", database.display()));
    settings.config = Some(path);
    let app = confab_server::App::build(settings).await.unwrap();
    let post = |uri: &str| {
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "username": "someone", "password": "a long password" }).to_string()))
            .unwrap()
    };
    for uri in ["/api/auth/register", "/api/auth/login"] {
        let reply = tower::ServiceExt::oneshot(app.router(), post(uri)).await.unwrap();
        assert_eq!(reply.status(), StatusCode::FORBIDDEN, "{uri}");
    }
    let methods =
        tower::ServiceExt::oneshot(app.router(), Request::get("/api/auth/methods").body(Body::empty()).unwrap());
    let methods = methods.await.unwrap();
    let body: Value =
        serde_json::from_slice(&http_body_util::BodyExt::collect(methods.into_body()).await.unwrap().to_bytes())
            .unwrap();
    assert_eq!(body, json!({ "password": false, "sso": true }));
    app.chat().shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn an_account_without_a_password_is_deleted_after_a_fresh_sign_in() {
    let Some(provider) = Provider::start().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let confab = confab(&provider, &dir).await;
    provider.user("sub-dana", json!({ "preferred_username": "dana", "groups": ["chat"] })).await;
    let back = sign_in(&confab, &provider, "sub-dana").await;
    let session = set_cookie(&back, "confab_session").unwrap();
    let dana = ApiClient::new(confab.base.clone(), session.strip_prefix("confab_session=").unwrap());
    let (status, created) = dana.post("/api/tokens", json!({ "name": "script" })).await;
    assert_eq!(status, 201);
    let script = ApiClient::new(confab.base.clone(), created["token"].as_str().unwrap());

    let delete = |client: &ApiClient| {
        let request = client.http().delete(client.url("/api/auth/me")).bearer_auth(&client.token).json(&json!({}));
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, refused) = delete(&script).await;
    assert_eq!((status, &refused["error"]["code"]), (400, &json!("reauthenticate")), "a token is not a sign-in");
    let (status, deleted) = delete(&dana).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["username"], "dana");
    // Signing in again through the provider makes a new, empty account.
    let fresh = me(&confab, &sign_in(&confab, &provider, "sub-dana").await).await;
    assert_eq!(fresh["username"], "dana");
}
