//! Errors people can act on: a refused key, an unknown model and rate limits get their own
//! [`ProviderError`]s, with the server's own words, and never with the API key in them.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;

use crate::ProviderError;

/// The wait after a 429 that says nothing usable about when to come back.
pub(crate) const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(2);
/// The longest wait after a 429: longer than this, a person would rather see the error.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// What replaces the API key wherever a message would show it.
pub(crate) const REDACTED: &str = "[redacted]";
/// How much of a server's message an error carries.
const MESSAGE_MAX_CHARS: usize = 500;

/// The error for an answer with a failing status. A 429 here is the one after the retry.
pub(crate) fn status_error(status: u16, body: &str, api_key: Option<&str>) -> ProviderError {
    let message = error_message(body, api_key);
    match status {
        401 | 403 => ProviderError::Unauthorized { status, message },
        404 => ProviderError::UnknownModel { status, message },
        429 => ProviderError::RateLimited { message },
        _ => ProviderError::Status { status, message },
    }
}

/// How long to wait before the one retry after a 429: `Retry-After` in seconds or as an HTTP
/// date, else [`DEFAULT_RETRY_AFTER`], never more than [`MAX_RETRY_AFTER`].
pub(crate) fn retry_after(headers: &HeaderMap) -> Duration {
    let value = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::trim);
    let wait = value.and_then(|value| {
        if let Ok(seconds) = value.parse::<f64>() {
            return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(1e6)));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
    });
    wait.unwrap_or(DEFAULT_RETRY_AFTER).min(MAX_RETRY_AFTER)
}

/// The human part of an error body: `{"error": {"message": ...}}` where servers follow
/// OpenAI, else the raw text; without the key (servers have been known to echo it), then
/// shortened (after the key is gone, so that no piece of it is left at the cut).
pub(crate) fn error_message(body: &str, api_key: Option<&str>) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let text = scrub(message.as_deref().unwrap_or_else(|| body.trim()), api_key);
    if text.is_empty() {
        return "no details".to_string();
    }
    text.chars().take(MESSAGE_MAX_CHARS).collect()
}

/// `text` with every occurrence of the key replaced by [`REDACTED`].
pub(crate) fn scrub(text: &str, api_key: Option<&str>) -> String {
    match api_key.map(str::trim).filter(|key| !key.is_empty()) {
        Some(key) => text.replace(key, REDACTED),
        None => text.to_string(),
    }
}

/// The same error with the key scrubbed from its message, the last guard for messages that
/// did not come through [`error_message`] (a transport error's text, for one).
pub(crate) fn redact(error: ProviderError, api_key: Option<&str>) -> ProviderError {
    let clean = |message: String| scrub(&message, api_key);
    match error {
        ProviderError::Unauthorized { status, message } => {
            ProviderError::Unauthorized { status, message: clean(message) }
        }
        ProviderError::UnknownModel { status, message } => {
            ProviderError::UnknownModel { status, message: clean(message) }
        }
        ProviderError::RateLimited { message } => ProviderError::RateLimited { message: clean(message) },
        ProviderError::Status { status, message } => ProviderError::Status { status, message: clean(message) },
        ProviderError::Connection(message) => ProviderError::Connection(clean(message)),
        ProviderError::Protocol(message) => ProviderError::Protocol(clean(message)),
        ProviderError::Timeout => ProviderError::Timeout,
    }
}

pub(crate) fn connection_error(error: reqwest::Error) -> ProviderError {
    if error.is_timeout() {
        ProviderError::Timeout
    } else {
        ProviderError::Connection(error.to_string())
    }
}

pub(crate) fn stream_error(error: eventsource_stream::EventStreamError<reqwest::Error>) -> ProviderError {
    match error {
        eventsource_stream::EventStreamError::Transport(e) => {
            ProviderError::Connection(format!("the stream broke: {e}"))
        }
        other => ProviderError::Protocol(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn after(value: Option<&str>) -> Duration {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        }
        retry_after(&headers)
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        assert_eq!(after(Some("5")), Duration::from_secs(5));
        assert_eq!(after(Some(" 0 ")), Duration::ZERO);
        assert_eq!(after(Some("1.5")), Duration::from_millis(1500));
        assert_eq!(after(Some("3600")), MAX_RETRY_AFTER);
        assert_eq!(after(None), DEFAULT_RETRY_AFTER);
        assert_eq!(after(Some("soon")), DEFAULT_RETRY_AFTER);
        assert_eq!(after(Some("-3")), DEFAULT_RETRY_AFTER);
        let in_ten = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(10));
        let wait = after(Some(&in_ten));
        assert!(wait <= Duration::from_secs(10) && wait >= Duration::from_secs(8), "{wait:?}");
        assert_eq!(after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), Duration::ZERO, "a date gone by");
        let next_year = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(365 * 86_400));
        assert_eq!(after(Some(&next_year)), MAX_RETRY_AFTER);
    }

    #[test]
    fn statuses_people_can_act_on_have_their_own_errors() {
        let body = r#"{"error": {"message": "nope"}}"#;
        assert!(matches!(status_error(401, body, None), ProviderError::Unauthorized { status: 401, .. }));
        assert!(matches!(status_error(403, body, None), ProviderError::Unauthorized { status: 403, .. }));
        assert!(matches!(status_error(404, body, None), ProviderError::UnknownModel { status: 404, .. }));
        assert_eq!(status_error(429, body, None), ProviderError::RateLimited { message: "nope".into() });
        assert_eq!(status_error(500, "", None), ProviderError::Status { status: 500, message: "no details".into() });
    }

    #[test]
    fn the_key_never_survives_into_a_message() {
        let key = "sk-secret-123";
        let body = format!(r#"{{"error": {{"message": "Incorrect API key provided: {key}."}}}}"#);
        assert_eq!(error_message(&body, Some(key)), "Incorrect API key provided: [redacted].");
        let long = format!("{}{key}", "x".repeat(MESSAGE_MAX_CHARS - 4));
        let message = error_message(&long, Some(key));
        assert!(!message.contains("sk-s"), "no piece of the key at the cut: {message}");
        let error = redact(ProviderError::Connection(format!("bad header {key}")), Some(key));
        assert_eq!(error, ProviderError::Connection("bad header [redacted]".into()));
        assert_eq!(scrub("no key here", Some("")), "no key here");
    }
}
