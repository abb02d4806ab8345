//! An import from start to end. The file is parsed on a blocking thread, one conversation
//! at a time, and each is handed over to be checked and stored on its own, so a broken
//! conversation stores nothing of itself and does not stop the others, and memory holds the
//! file and a conversation or two, not every conversation of it at once.

use app::wire::ChatContextDTO;
use app::wire_import::{ImportResponse, ImportedContextDTO, SkippedContextDTO};
use axum::body::Bytes;
use confab_core::{ChatContext, Timestamp, UserId};
use confab_store::ContextStore;
use tokio::sync::mpsc;

use super::zipfile::{self, ZipError};
use super::{convert, split, Candidate, Format};
use crate::chat::transfer;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest message an import may hold, in characters, whatever its role: imported text
/// is history, not input, so the limit of what a person may send does not apply.
pub(crate) const IMPORTED_MESSAGE_CHARS: usize = 1_000_000;

/// The reason given for a conversation imported before.
pub(crate) const ALREADY_IMPORTED: &str = "already imported";

/// What was asked.
pub(crate) struct ImportRequest {
    pub owner: UserId,
    pub body: Bytes,
    /// `?format=`, when given.
    pub format: Option<Format>,
    /// Sent with `Content-Type: application/json`.
    pub json_body: bool,
    /// The most bytes a file may hold, unpacked from a zip too.
    pub limit: usize,
}

/// What the endpoint answers.
pub(crate) enum Answer {
    /// `{"imported": [...], "skipped": [...]}`.
    Summary(ImportResponse),
    /// A Confab export posted as before this endpoint took other files (JSON, one object,
    /// no `format`): the conversation it became, as the endpoint has always answered.
    Legacy(Box<ChatContextDTO>),
}

enum Piece {
    Start { count: usize, legacy: bool },
    Item(Box<Candidate>),
}

/// Why a whole file cannot be imported.
enum FileError {
    Invalid(String),
    TooLarge { limit: usize },
}

impl From<FileError> for ApiError {
    fn from(error: FileError) -> Self {
        match error {
            FileError::Invalid(message) => {
                ApiError::bad_request("invalid_field", format!("this file cannot be imported: {message}"))
            }
            FileError::TooLarge { limit } => ApiError::PayloadTooLarge { limit },
        }
    }
}

pub(crate) async fn import(app: &AppState, request: ImportRequest) -> Result<Answer, ApiError> {
    let owner = request.owner;
    let (pieces, mut received) = mpsc::channel(2);
    let now = crate::chat::now();
    let parser = tokio::task::spawn_blocking(move || parse(request, now, &pieces));
    let answer = receive(app, owner, &mut received).await;
    // Stops the parser at its next conversation if the answer came early (a 400, a 503).
    drop(received);
    parser.await.map_err(|e| ApiError::Internal(format!("the import parser failed: {e}")))?;
    answer
}

async fn receive(
    app: &AppState,
    owner: UserId,
    received: &mut mpsc::Receiver<Result<Piece, FileError>>,
) -> Result<Answer, ApiError> {
    let stopped = || ApiError::Internal("the import parser stopped early".into());
    let (count, legacy) = match received.recv().await.ok_or_else(stopped)?? {
        Piece::Start { count, legacy } => (count, legacy),
        Piece::Item(_) => return Err(stopped()),
    };
    let mut answer = ImportResponse::default();
    while let Some(piece) = received.recv().await {
        let Piece::Item(candidate) = piece? else { return Err(stopped()) };
        if legacy {
            return import_as_before(app, owner, *candidate).await.map(|context| Answer::Legacy(Box::new(context)));
        }
        match store(app, owner, *candidate).await? {
            Stored::Imported(imported) => answer.imported.push(imported),
            Stored::Skipped(skipped) => answer.skipped.push(skipped),
            Stored::Broken(skipped) if count == 1 => {
                return Err(ApiError::bad_request(
                    "invalid_file",
                    format!("this file cannot be imported: conversation {:?}: {}", skipped.title, skipped.reason),
                ));
            }
            Stored::Broken(skipped) => answer.skipped.push(skipped),
        }
    }
    Ok(Answer::Summary(answer))
}

/// Runs on a blocking thread: unpacks, splits and converts, one conversation per message.
fn parse(request: ImportRequest, now: Timestamp, pieces: &mpsc::Sender<Result<Piece, FileError>>) {
    let zipped = zipfile::is_zip(&request.body);
    let unpacked;
    let json: &[u8] = if zipped {
        match zipfile::conversations_json(&request.body, request.limit) {
            Ok(bytes) => {
                unpacked = bytes;
                &unpacked
            }
            Err(ZipError::Invalid(message)) => return drop(pieces.blocking_send(Err(FileError::Invalid(message)))),
            Err(ZipError::TooLarge { limit }) => return drop(pieces.blocking_send(Err(FileError::TooLarge { limit }))),
        }
    } else {
        &request.body
    };
    let split = match split(json, request.format) {
        Ok(split) => split,
        Err(message) => return drop(pieces.blocking_send(Err(FileError::Invalid(message)))),
    };
    let legacy =
        request.format.is_none() && request.json_body && !zipped && split.object && split.format == Format::Confab;
    if pieces.blocking_send(Ok(Piece::Start { count: split.items.len(), legacy })).is_err() {
        return;
    }
    for (n, raw) in split.items.iter().enumerate() {
        if pieces.blocking_send(Ok(Piece::Item(Box::new(convert(split.format, raw, n, now))))).is_err() {
            return;
        }
    }
}

enum Stored {
    Imported(ImportedContextDTO),
    /// Imported before.
    Skipped(SkippedContextDTO),
    /// Cannot be imported.
    Broken(SkippedContextDTO),
}

/// Checks one conversation and stores it, or says why not. Only storage failing is an error.
async fn store(app: &AppState, owner: UserId, candidate: Candidate) -> Result<Stored, ApiError> {
    let Candidate { title, source, conversation } = candidate;
    let skipped = |reason: String| SkippedContextDTO { title: title.clone(), reason };
    let conversation = match conversation {
        Ok(conversation) => conversation,
        Err(reason) => return Ok(Stored::Broken(skipped(reason))),
    };
    let store = app.chat.store();
    if let Some(source) = &source {
        if store.imported_from(owner, source).await?.is_some() {
            return Ok(Stored::Skipped(skipped(ALREADY_IMPORTED.into())));
        }
    }
    let files = app.chat.import_files(owner, &conversation.file).await;
    let ctx = match transfer::import(conversation.file, owner, conversation.updated_at, IMPORTED_MESSAGE_CHARS, &files)
    {
        Ok(ctx) => ctx,
        Err(reason) => return Ok(Stored::Broken(skipped(reason))),
    };
    // A new conversation nobody can be watching yet: stored directly, it loads on first use.
    match &source {
        Some(source) => {
            if !store_from_source(store.as_ref(), owner, source, &ctx).await? {
                return Ok(Stored::Skipped(skipped(ALREADY_IMPORTED.into())));
            }
        }
        None => {
            store.save(&ctx.changes()).await?;
        }
    }
    app.chat.bind_imported(owner, &ctx).await?;
    Ok(Stored::Imported(ImportedContextDTO { id: ctx.id(), title: ctx.title().to_string() }))
}

/// Stores `ctx`, a new conversation of `owner` made from `source`, and remembers where it
/// came from. `false`, with nothing left stored, when another import of the same source got
/// there first; on a storage failure nothing is left either.
pub(crate) async fn store_from_source(
    store: &dyn ContextStore,
    owner: UserId,
    source: &str,
    ctx: &ChatContext,
) -> Result<bool, ApiError> {
    store.save(&ctx.changes()).await?;
    let recorded = store.record_import(owner, source, ctx.id()).await;
    if !matches!(recorded, Ok(true)) {
        store.delete(ctx.id()).await?;
        recorded?;
        return Ok(false);
    }
    Ok(true)
}

/// A single Confab export posted as before: imported through the chat service as it always
/// was (a new conversation each time, answered with it); its source is remembered so that a
/// later import of the same conversation in the new way is recognized.
async fn import_as_before(app: &AppState, owner: UserId, candidate: Candidate) -> Result<ChatContextDTO, ApiError> {
    let conversation = candidate
        .conversation
        .map_err(|reason| ApiError::bad_request("invalid_body", format!("this file cannot be imported: {reason}")))?;
    let dto = app.chat.import(owner, conversation.file).await?;
    if let Some(source) = candidate.source {
        if let Err(error) = app.chat.store().record_import(owner, &source, dto.id).await {
            tracing::warn!(%error, context = %dto.id, "could not remember where an import came from");
        }
    }
    Ok(dto)
}
