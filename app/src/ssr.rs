//! What server rendering needs from the server: the data a page shows, for the user who
//! made the request. The server implements [`PageData`] and provides it as context.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::request::Parts;
use uuid::Uuid;

use crate::wire::{ActionResponse, ContextSummaryDTO, ErrorBody, ServerInfoDTO};

pub type PageFuture<T> = Pin<Box<dyn Future<Output = Result<T, ErrorBody>> + Send>>;

pub trait PageData: Send + Sync + 'static {
    fn contexts(&self, request: &Parts) -> PageFuture<Vec<ContextSummaryDTO>>;
    fn context(&self, request: &Parts, id: Uuid) -> PageFuture<ActionResponse>;
    fn info(&self) -> ServerInfoDTO;
}

/// How `PageData` travels in Leptos context.
pub type SharedPageData = Arc<dyn PageData>;
