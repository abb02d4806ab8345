//! Search and export (imports: [`super::import`]).

use app::limits::{self, MAX_SEARCH_QUERY_CHARS};
use app::wire::{ExportedContext, SearchResponse};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{ApiPath, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What to look for: words, the last one also as a prefix.
    q: String,
    /// At most this many results (1 to 50, 20 by default).
    limit: Option<usize>,
}

/// Searches your messages and titles.
#[utoipa::path(get, path = "/api/search", tag = "contexts", params(SearchQuery),
    responses((status = 200, body = SearchResponse), crate::openapi::Errors))]
pub async fn search(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<SearchResponse>, ApiError> {
    let q = query.q.trim();
    if q.is_empty() || q.chars().count() > MAX_SEARCH_QUERY_CHARS {
        return Err(ApiError::bad_request("invalid_query", format!("q: 1 to {MAX_SEARCH_QUERY_CHARS} characters")));
    }
    limits::check_text("q", q).map_err(|e| ApiError::bad_request("invalid_query", e.message))?;
    let limit = query.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", "limit: 1 to 50"));
    }
    Ok(Json(SearchResponse { results: app.chat.search(user.id, q, limit).await? }))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `json` (the whole tree, for import; the default) or `markdown` (the active branch).
    format: Option<String>,
}

/// Downloads a conversation: as JSON for import elsewhere, or as Markdown to read.
#[utoipa::path(get, path = "/api/contexts/{id}/export", tag = "contexts",
    params(("id" = Uuid, Path, description = "The conversation"), ExportQuery),
    responses((status = 200, description = "The export file: JSON by default, Markdown with format=markdown",
                  content((ExportedContext = "application/json"), (String = "text/markdown"))),
              crate::openapi::Errors))]
pub async fn export(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    match query.format.as_deref().unwrap_or("json") {
        "json" => {
            let file = app.chat.export(user.id, id).await?;
            let name = file_name(&file.title, "confab.json");
            Ok(attachment(Json(file).into_response(), &name))
        }
        "markdown" | "md" => {
            let (title, text) = app.chat.export_markdown(user.id, id).await?;
            let response = ([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], text).into_response();
            Ok(attachment(response, &file_name(&title, "md")))
        }
        other => Err(ApiError::bad_request("invalid_query", format!("format {other:?}: use json or markdown"))),
    }
}

/// A safe download name from a title.
fn file_name(title: &str, extension: &str) -> String {
    let stem: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let stem = if stem.is_empty() { "conversation".to_string() } else { stem.chars().take(60).collect() };
    format!("{stem}.{extension}")
}

fn attachment(mut response: Response, name: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
