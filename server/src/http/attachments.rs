//! Files: uploading one (`POST /api/attachments`, multipart) and reading one back, for its
//! owner (`GET /api/attachments/{id}`) or through a share link that shows it
//! (`GET /s/{token}/attachments/{id}`).
//!
//! Served bytes can never run in this origin: the media type is the one the server decided
//! from the bytes, `nosniff` keeps the browser to it, and a Content-Security-Policy with
//! `sandbox` makes even a document opened on its own an opaque origin without scripts. Images
//! and text are shown inline; a PDF is a download.

use app::wire::AttachmentDTO;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_core::Attachment;
use uuid::Uuid;

use super::extract::ApiPath;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The multipart form of an upload (for the API description).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file; its kind is judged by its bytes, whatever its name or type say.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// Uploads a file to send with a message: an image (PNG, JPEG, WebP, GIF), a UTF-8 text
/// or code file, or a PDF. Kept for a day unless a message carries it.
#[utoipa::path(post, path = "/api/attachments", tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentDTO), crate::openapi::Errors))]
pub async fn upload(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<AttachmentDTO>), ApiError> {
    let mut multipart = multipart.map_err(|rejection| ApiError::bad_request("invalid_body", rejection.body_text()))?;
    let limit = app.chat.settings().attachments.max_file_bytes;
    let too_large = || ApiError::TooLarge(format!("a file may have at most {limit} bytes"));
    let read_error = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request("invalid_body", error.body_text())
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(read_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_string();
        // Read as it comes, and stopped the moment it passes the limit.
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(read_error)? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let uploaded = app.chat.upload(user.id, &name, bytes).await?;
        return Ok((StatusCode::CREATED, Json(uploaded)));
    }
    Err(ApiError::bad_request("invalid_field", "send the file as the multipart field \"file\""))
}

/// The bytes of one of your files.
#[utoipa::path(get, path = "/api/attachments/{id}", tag = "attachments",
    params(("id" = Uuid, Path, description = "The file")),
    responses((status = 200, description = "The file's bytes, with the media type decided when it was uploaded",
        content(("image/png"), ("image/jpeg"), ("text/plain"), ("application/pdf"))), crate::openapi::Errors))]
pub async fn download(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let (file, bytes) = app.chat.attachment_file(user.id, id).await?;
    Ok(serve(&file, bytes))
}

/// `GET /s/{token}/attachments/{id}`: a file the shared snapshot shows; 404 for any other,
/// and for a link that does not work.
pub async fn shared(
    State(app): State<AppState>,
    axum::extract::Path((token, id)): axum::extract::Path<(String, String)>,
) -> Response {
    let not_found = || ApiError::NotFound("no such file".into()).into_response();
    let Ok(id) = id.parse::<Uuid>() else { return not_found() };
    let share = match crate::shares::open(&app, &token).await {
        Ok(Some(share)) => share,
        Ok(None) => return not_found(),
        Err(error) => return error.into_response(),
    };
    let shown = share.snapshot.messages.iter().any(|m| m.attachments.iter().any(|file| file.id == id));
    if !shown {
        return not_found();
    }
    match app.chat.shared_file(share.link.owner, share.link.context_id, id).await {
        Ok((file, bytes)) => {
            let mut response = serve(&file, bytes);
            // A revoked link must stop at once.
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The bytes with headers that keep them inert.
fn serve(file: &Attachment, bytes: Vec<u8>) -> Response {
    // Images and text show in the browser (as what they are: text stays text); a PDF is a
    // download, since a sandboxed page cannot run the browser's PDF viewer.
    let shown = file.is_image() || file.media_type.starts_with("text/plain");
    let disposition = if shown { "inline" } else { "attachment" };
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    let media_type = HeaderValue::from_str(&file.media_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media_type);
    if let Ok(value) = HeaderValue::from_str(&content_disposition(disposition, &file.name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"),
    );
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    // An id always names the same bytes: a browser may keep them (for its owner only).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    response
}

/// `inline; filename="photo.png"; filename*=UTF-8''photo.png`: an ASCII fallback for old
/// clients, the exact name (percent-encoded, RFC 6266) for the rest.
fn content_disposition(disposition: &str, name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn a_name_is_quoted_safely_and_given_exactly_in_utf8() {
        assert_eq!(
            content_disposition("attachment", "résumé \"final\".pdf"),
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
    }
}
