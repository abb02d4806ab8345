//! The HTTP layer's one error type, and the one place errors become responses.
//!
//! Every error leaves as `{"error": {"code", "message"}}` with the status of DESIGN.md
//! section 4. Internal details are logged, never sent.

use app::wire::{ErrorBody, ErrorDetail};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_core::FsmError;
use confab_store::StoreError;

use crate::chat::ChatError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("sign in first")]
    Unauthorized,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("that username is taken")]
    UsernameTaken,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// A service the request needs (the single sign-on provider) did not answer.
    #[error("{0}")]
    Upstream(String),
    /// The change would leave the server without an enabled administrator.
    #[error("{0}")]
    LastAdmin(String),
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Past another limit than the body's: a file's size, the bytes one person may keep.
    #[error("{0}")]
    TooLarge(String),
    #[error("send the body as JSON with Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("storage is unavailable; nothing was changed, try again shortly")]
    StorageUnavailable,
    #[error("something went wrong on the server")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { code, message: message.into() }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            ApiError::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            ApiError::UsernameTaken => (StatusCode::CONFLICT, "username_taken"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "invalid_state"),
            ApiError::LastAdmin(_) => (StatusCode::CONFLICT, "last_admin"),
            ApiError::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream_unavailable"),
            ApiError::PayloadTooLarge { .. } | ApiError::TooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::StorageUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl ApiError {
    /// The JSON body this error is sent as.
    pub fn body(&self) -> ErrorBody {
        let (_, code) = self.status_and_code();
        ErrorBody { error: ErrorDetail { code: code.to_string(), message: self.to_string() } }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            ApiError::StorageUnavailable => tracing::warn!("answered 503: storage unavailable"),
            _ => tracing::debug!(%status, code, message = %self, "client error"),
        }
        let mut response = (status, Json(self.body())).into_response();
        match self {
            ApiError::RateLimited { retry_after_secs } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
            }
            ApiError::StorageUnavailable => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

impl From<ChatError> for ApiError {
    fn from(error: ChatError) -> Self {
        match error {
            ChatError::NotFound => ApiError::NotFound("no such conversation".into()),
            ChatError::FolderNotFound => ApiError::NotFound("no such folder".into()),
            ChatError::AttachmentNotFound => ApiError::NotFound("no such file".into()),
            ChatError::TooLarge(message) => ApiError::TooLarge(message),
            ChatError::ToolNotFound => ApiError::NotFound("no such tool".into()),
            ChatError::PolicyForbidden(message) => ApiError::Forbidden { code: "policy_forbidden", message },
            // Every refused field has the one code; the message names the field.
            ChatError::Invalid { message, .. } => ApiError::bad_request("invalid_field", message),
            ChatError::Fsm(fsm) => fsm.into(),
            ChatError::Store(store) => store.into(),
            ChatError::Busy => ApiError::Conflict(error.to_string()),
        }
    }
}

impl From<FsmError> for ApiError {
    fn from(error: FsmError) -> Self {
        match error {
            FsmError::NotAllowed { .. } | FsmError::Conflict(_) => ApiError::Conflict(error.to_string()),
            FsmError::Invalid(message) => ApiError::bad_request("invalid_field", message),
            FsmError::NotFound(message) => ApiError::NotFound(message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => ApiError::StorageUnavailable,
            // The database refused the data itself (say, a character it cannot hold): trying
            // again would not help, so it is not an outage but a bad request.
            StoreError::Rejected(reason) => {
                ApiError::bad_request("invalid_field", format!("the database cannot store what was sent: {reason}"))
            }
            StoreError::Conflict => {
                ApiError::Conflict("the conversation was changed at the same time; reload and try again".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}
