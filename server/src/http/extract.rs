//! Extractors whose rejections speak the API's error shape instead of axum's plain text.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON body; malformed JSON and wrong types are `400`, an oversized body `413`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection, state.config.max_body_bytes)),
        }
    }
}

/// Like [`ApiJson`], but an empty body (with or without a content type) means the default:
/// `cancel` and `retry` carry nothing, and clients should not have to send `{}`.
pub struct ApiJsonOrDefault<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest<AppState> for ApiJsonOrDefault<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let declared_empty =
            request.headers().get(header::CONTENT_LENGTH).is_some_and(|length| length.as_bytes() == b"0");
        let has_type = request.headers().contains_key(header::CONTENT_TYPE);
        if declared_empty || (!has_type && request.headers().get(header::TRANSFER_ENCODING).is_none()) {
            return Ok(ApiJsonOrDefault(T::default()));
        }
        ApiJson::<T>::from_request(request, state).await.map(|ApiJson(value)| ApiJsonOrDefault(value))
    }
}

fn json_rejection(rejection: JsonRejection, limit: usize) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(error) => ApiError::bad_request("invalid_body", error.body_text()),
        JsonRejection::JsonSyntaxError(error) => ApiError::bad_request("invalid_json", error.body_text()),
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge { limit }
        }
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

/// Path parameters; an id that is not a UUID is a `400` that says so.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(error)) => {
                Err(ApiError::bad_request("invalid_id", format!("that is not a valid id: {}", error.body_text())))
            }
            Err(other) => Err(ApiError::bad_request("invalid_path", other.body_text())),
        }
    }
}

/// Query parameters; a missing or malformed one is a `400` that names it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))
    }
}
