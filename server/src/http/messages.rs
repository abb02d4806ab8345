//! Pages of a conversation's active branch, for a client that holds only a window of it.

use app::wire::MessagesPage;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::extract::{ApiPath, ApiQuery};
use crate::auth::CurrentUser;
use crate::chat::PageFrom;
use crate::error::ApiError;
use crate::state::AppState;

/// The most messages one page holds.
pub const MAX_PAGE: u32 = 200;
const DEFAULT_PAGE: u32 = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The messages just before this one (older). Give `before` or `after`.
    before: Option<Uuid>,
    /// The messages just after this one (newer).
    after: Option<Uuid>,
    /// How many, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// Messages of the active branch before or after one of them, oldest first.
#[utoipa::path(get, path = "/api/contexts/{id}/messages", tag = "contexts",
    params(("id" = Uuid, Path, description = "The conversation"), PageQuery),
    responses((status = 200, body = MessagesPage), crate::openapi::Errors))]
pub async fn page(
    State(app): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<MessagesPage>, ApiError> {
    let from = match (query.before, query.after) {
        (Some(before), None) => PageFrom::Before(before),
        (None, Some(after)) => PageFrom::After(after),
        _ => return Err(ApiError::bad_request("invalid_field", "give exactly one of before and after")),
    };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request("invalid_field", format!("limit must be 1 to {MAX_PAGE}")));
    }
    Ok(Json(app.chat.messages_page(user.id, id, from, limit as usize).await?))
}
