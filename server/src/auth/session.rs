//! Session tokens: 32 random bytes, sent as an HttpOnly cookie and usable as a bearer token;
//! only their SHA-256 is stored.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "confab_session";

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a request's credentials came from: a cookie must pass the CSRF check, a bearer
/// token (which a browser never attaches by itself) need not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
}

/// The session token of a request: the `Authorization: Bearer` header wins over the cookie.
/// A malformed Authorization header counts as a wrong token, not as no token.
pub fn request_token(headers: &HeaderMap) -> Option<(String, Via)> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default();
        let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).unwrap_or("");
        return Some((token.trim().to_string(), Via::Bearer));
    }
    cookie(headers, COOKIE_NAME).map(|value| (value, Via::Cookie))
}

/// The value of the request's cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The `Set-Cookie` value for a new session.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    Cookie::build((COOKIE_NAME, token.to_string()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> String {
    Cookie::build((COOKIE_NAME, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

/// Whether the client reached us over HTTPS (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// True when a state-changing request carrying a cookie comes from our own pages: its
/// `Origin` names this host, or (without an Origin) the browser says `Sec-Fetch-Site:
/// same-origin`. Anything else could be another site riding on the cookie.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let origin_host = origin.split_once("://").map(|(_, rest)| rest.trim_end_matches('/'));
        return matches!((origin_host, host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
    }
    headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn tokens_are_long_random_and_hashed_for_storage() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn bearer_wins_over_cookie() {
        let both = headers(&[("authorization", "Bearer abc"), ("cookie", "x=1; confab_session=def")]);
        assert_eq!(request_token(&both), Some(("abc".into(), Via::Bearer)));
        let cookie = headers(&[("cookie", "x=1; confab_session=def")]);
        assert_eq!(request_token(&cookie), Some(("def".into(), Via::Cookie)));
        assert_eq!(request_token(&headers(&[])), None);
    }

    #[test]
    fn the_origin_must_be_this_host() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "null")])));
        assert!(same_origin(&headers(&[("host", "h"), ("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[("host", "h"), ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("host", "h")])), "no Origin and no fetch metadata");
    }

    #[test]
    fn the_cookie_is_http_only_and_lax() {
        let cookie = session_cookie("t", 60, true);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"));
        assert!(!session_cookie("t", 60, false).contains("Secure"));
    }
}
