//! The data server-rendered pages show, straight from the chat runner (no HTTP round trip).

use app::ssr::{PageData, PageFuture};
use app::wire::{ActionResponse, ContextSummaryDTO, ServerInfoDTO};
use http::request::Parts;
use uuid::Uuid;

use crate::chat::ChatService;
use crate::error::ApiError;
use crate::http::extract::LOCAL_USER;

pub struct Pages {
    chat: ChatService,
}

impl Pages {
    pub fn new(chat: ChatService) -> Self {
        Pages { chat }
    }
}

impl PageData for Pages {
    fn contexts(&self, _request: &Parts) -> PageFuture<Vec<ContextSummaryDTO>> {
        let chat = self.chat.clone();
        Box::pin(async move {
            chat.list(LOCAL_USER)
                .await
                .map_err(|e| ApiError::from(e).body())
        })
    }

    fn context(&self, _request: &Parts, id: Uuid) -> PageFuture<ActionResponse> {
        let chat = self.chat.clone();
        Box::pin(async move {
            chat.get(LOCAL_USER, id)
                .await
                .map_err(|e| ApiError::from(e).body())
        })
    }

    fn info(&self) -> ServerInfoDTO {
        self.chat.info()
    }
}
