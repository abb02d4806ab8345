//! Single sign-on with OpenID Connect (the authorization code flow with PKCE, by the
//! `openidconnect` crate): the provider is discovered from its issuer URL on first use, the
//! ID token it returns is checked (signature against its published keys, issuer, audience,
//! expiry, nonce), and a person is known by the issuer's subject for them, never by e-mail.
//!
//! Between the redirect to the provider and its return, what the return must match (the
//! state, the PKCE verifier, the nonce) waits in a short-lived HttpOnly cookie scoped to the
//! callback, so any process sharing the database can finish a sign-in another began.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::models::config_file::OidcSettings;

/// The cookie that carries a sign-in under way.
pub const COOKIE: &str = "confab_oidc";
/// Where that cookie is sent: the callback only.
pub const COOKIE_PATH: &str = "/api/auth/oidc";
/// How long a person has at the provider before the sign-in must start again.
pub const PENDING_SECS: i64 = 600;
/// How long a call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

type Discovered =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

pub struct Oidc {
    settings: OidcSettings,
    http: openidconnect::reqwest::Client,
    discovered: tokio::sync::OnceCell<Discovered>,
}

/// A sign-in under way: what the provider's return must match.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    nonce: String,
    redirect: String,
    next: String,
}

/// The provider's answer to `/callback`.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    /// What the username claim said (not yet cleaned).
    pub username: String,
    pub admin: bool,
}

/// A sign-in the provider's return could not complete; the words are for the person.
fn refused(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("sso_failed", message)
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> Result<Oidc, String> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider's answer send us anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot make the HTTP client for single sign-on: {e}"))?;
        Ok(Oidc { settings, http, discovered: tokio::sync::OnceCell::new() })
    }

    pub fn password_login(&self) -> bool {
        self.settings.config.password_login
    }

    /// The provider's client, discovered on first use (and again after a failure).
    async fn client(&self) -> Result<&Discovered, ApiError> {
        self.discovered
            .get_or_try_init(|| async {
                let config = &self.settings.config;
                let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|e| ApiError::Internal(e.to_string()))?;
                let metadata = CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(|e| {
                    tracing::warn!(error = %e, issuer = %config.issuer, "cannot discover the sign-in provider");
                    ApiError::Upstream("the single sign-on provider cannot be reached; try again shortly".into())
                })?;
                let secret = self.settings.client_secret.clone().map(ClientSecret::new);
                Ok(CoreClient::from_provider_metadata(metadata, ClientId::new(config.client_id.clone()), secret))
            })
            .await
    }

    /// Where to send the browser, and the cookie to set meanwhile. `redirect` is this
    /// server's callback URL as the browser reaches it; `next` the local page to end on.
    pub async fn start(&self, redirect: String, next: String) -> Result<(String, String), ApiError> {
        let client = self.client().await?;
        let redirect_url =
            RedirectUrl::new(redirect.clone()).map_err(|e| ApiError::bad_request("sso_failed", e.to_string()))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_redirect_uri(std::borrow::Cow::Owned(redirect_url))
            .set_pkce_challenge(challenge);
        for scope in self.settings.config.scopes.iter().filter(|s| s.as_str() != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let pending = Pending {
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
            redirect,
            next,
        };
        let cookie = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&pending).expect("serializes"));
        Ok((url.to_string(), cookie))
    }

    /// Checks the provider's return against the sign-in under way (`cookie`), trades the
    /// code for an ID token and checks that. Answers who signed in and where to go next.
    pub async fn finish(&self, cookie: Option<&str>, callback: Callback) -> Result<(Identity, String), ApiError> {
        if let Some(error) = callback.error {
            let detail = callback.error_description.unwrap_or_default();
            return Err(refused(format!("the sign-in provider said no ({error}) {detail}").trim().to_string()));
        }
        let pending: Pending = cookie
            .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| refused("this sign-in expired or was started elsewhere; start again"))?;
        if callback.state.as_deref() != Some(pending.state.as_str()) {
            return Err(refused("the sign-in's state does not match: start again"));
        }
        let code = callback.code.ok_or_else(|| refused("the sign-in provider sent no code"))?;
        let client = self.client().await?;
        let redirect = RedirectUrl::new(pending.redirect).map_err(|_| refused("the sign-in is malformed"))?;
        let exchange =
            client.exchange_code(AuthorizationCode::new(code)).map_err(|e| ApiError::Internal(e.to_string()))?;
        let tokens = exchange
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .set_redirect_uri(std::borrow::Cow::Owned(redirect))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::info!(error = %e, "the sign-in provider refused the code");
                refused("the sign-in provider did not accept the code; start again")
            })?;
        let id_token = tokens.id_token().ok_or_else(|| refused("the sign-in provider sent no ID token"))?;
        let verified = id_token.claims(&client.id_token_verifier(), &Nonce::new(pending.nonce)).map_err(|e| {
            tracing::info!(error = %e, "an ID token was refused");
            refused("the sign-in provider's ID token did not check out")
        })?;
        let subject = verified.subject().as_str().to_string();
        // The token is verified: its other claims can be read as they are.
        let claims = payload(&id_token.to_string()).ok_or_else(|| refused("the ID token cannot be read"))?;
        let identity = self.identity(subject, &claims)?;
        Ok((identity, pending.next))
    }

    /// Who the claims describe, by the configured rules.
    fn identity(&self, subject: String, claims: &Value) -> Result<Identity, ApiError> {
        let config = &self.settings.config;
        let groups: Vec<String> = match config.groups_claim.as_deref().map(|name| &claims[name]) {
            Some(Value::Array(items)) => items.iter().filter_map(|g| g.as_str().map(String::from)).collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        if let Some(required) = &config.required_group {
            if !groups.contains(required) {
                return Err(ApiError::Forbidden {
                    code: "sso_not_in_group",
                    message: format!(
                        "your account at the sign-in provider is not in the group {required:?} this server needs"
                    ),
                });
            }
        }
        let username = claims[config.username_claim.as_str()].as_str().unwrap_or_default().to_string();
        let admin = config.admin_group.as_ref().is_some_and(|group| groups.contains(group));
        Ok(Identity { issuer: config.issuer.clone(), subject, username, admin })
    }
}

/// The claims of a JWT, as JSON (no checks: the caller verified the token).
fn payload(jwt: &str) -> Option<Value> {
    let part = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?).ok()
}

/// A username from whatever the provider calls the person: the part of an e-mail before
/// the `@`, only the characters usernames may have, 3 to 32 of them.
pub fn clean_username(raw: &str) -> String {
    let local = raw.split('@').next().unwrap_or_default();
    let mut name: String = local
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_-.".contains(c) { c } else { '_' })
        .take(app::limits::MAX_USERNAME_CHARS)
        .collect();
    name = name.trim_matches('_').to_string();
    if name.chars().count() < app::limits::MIN_USERNAME_CHARS {
        name = format!("user{name}");
    }
    name
}

/// The `n`th name to try when `base` is taken: `base-2`, `base-3`, ... within 32 characters.
pub fn numbered(base: &str, n: u32) -> String {
    let suffix = format!("-{n}");
    let keep = app::limits::MAX_USERNAME_CHARS - suffix.len();
    format!("{}{suffix}", base.chars().take(keep).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_from_a_provider_are_cleaned_not_refused() {
        assert_eq!(clean_username("alice"), "alice");
        assert_eq!(clean_username("alice@example.com"), "alice");
        assert_eq!(clean_username("Zoë Müller"), "Zo__M_ller");
        assert_eq!(clean_username(""), "user");
        assert_eq!(clean_username("al"), "useral");
        assert_eq!(clean_username(&"x".repeat(50)).len(), 32);
        for name in ["alice", "Zo__M_ller", "user", "useral"] {
            assert!(app::limits::check_username(name).is_ok(), "{name}");
        }
        assert_eq!(numbered("alice", 2), "alice-2");
        assert_eq!(numbered(&"y".repeat(32), 12).len(), 32);
    }

    #[test]
    fn a_tokens_claims_are_read_from_its_middle_part() {
        let body = URL_SAFE_NO_PAD.encode(br#"{"sub":"s1","groups":["a"]}"#);
        assert_eq!(payload(&format!("h.{body}.sig")).unwrap()["groups"][0], "a");
        assert!(payload("not a token").is_none());
    }
}
