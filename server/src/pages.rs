//! Server-rendered pages: their data comes straight from the chat runner for the signed-in
//! user, and app pages send visitors who are not signed in to the sign-in page.

use std::sync::Arc;

use app::ssr::{PageData, PageFuture};
use app::wire::{ActionResponse, ContextSummaryDTO, ServerInfoDTO, UserDTO};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::request::Parts;
use uuid::Uuid;

use crate::auth::Auth;
use crate::chat::ChatService;
use crate::error::ApiError;
use crate::state::AppState;

pub struct Pages {
    chat: ChatService,
    auth: Arc<Auth>,
}

impl Pages {
    pub fn new(chat: ChatService, auth: Arc<Auth>) -> Self {
        Pages { chat, auth }
    }
}

impl PageData for Pages {
    fn contexts(&self, request: &Parts) -> PageFuture<Vec<ContextSummaryDTO>> {
        let (chat, auth, headers) = (self.chat.clone(), self.auth.clone(), request.headers.clone());
        Box::pin(async move {
            let user = auth.user_of(&headers).await.map_err(|e| e.body())?.ok_or(ApiError::Unauthorized.body())?;
            chat.list_in(user.id, false).await.map_err(|e| ApiError::from(e).body())
        })
    }

    fn context(&self, request: &Parts, id: Uuid) -> PageFuture<ActionResponse> {
        let (chat, auth, headers) = (self.chat.clone(), self.auth.clone(), request.headers.clone());
        Box::pin(async move {
            let user = auth.user_of(&headers).await.map_err(|e| e.body())?.ok_or(ApiError::Unauthorized.body())?;
            // The page holds a window of the conversation, however long it is.
            let size = app::patch::WINDOW as usize;
            chat.get_window(user.id, id, size).await.map_err(|e| ApiError::from(e).body())
        })
    }

    fn me(&self, request: &Parts) -> PageFuture<UserDTO> {
        let (auth, headers) = (self.auth.clone(), request.headers.clone());
        Box::pin(async move {
            let user = auth.user_of(&headers).await.map_err(|e| e.body())?.ok_or(ApiError::Unauthorized.body())?;
            Ok(crate::http::accounts::user_dto(&user))
        })
    }

    fn info(&self) -> ServerInfoDTO {
        self.chat.info()
    }
}

/// The pages that show someone's conversations need someone signed in.
fn needs_sign_in(method: &Method, path: &str) -> bool {
    method == Method::GET && (path == "/" || path.starts_with("/c/") || path == "/account" || path == "/admin")
}

pub async fn require_sign_in(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if needs_sign_in(request.method(), &path) && !matches!(app.auth.user_of(request.headers()).await, Ok(Some(_))) {
        let next_page: String = path.chars().filter(|c| c.is_ascii_alphanumeric() || "/-".contains(*c)).collect();
        return Redirect::to(&format!("/login?next={next_page}")).into_response();
    }
    next.run(request).await
}
