//! Share links: a read-only snapshot of a conversation's active branch behind a 128-bit
//! random token, optionally expiring, revocable at once. The owner manages them through the
//! API; anyone with the link reads the page [`crate::http::shares`] renders; a signed-in
//! viewer can take an independent copy into their own account.

use app::wire::{CreateShareRequest, ExportedContext, ShareDTO, SHARE_HOURS};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::Duration;
use confab_core::{ContextId, UserId};
use confab_store::ShareLink;
use uuid::Uuid;

use crate::chat::transfer;
use crate::error::ApiError;
use crate::import::service::{store_from_source, IMPORTED_MESSAGE_CHARS};
use crate::state::AppState;

/// A link that works: what it shows and when it was made.
pub(crate) struct OpenShare {
    pub link: ShareLink,
    pub snapshot: ExportedContext,
}

pub(crate) async fn create(
    app: &AppState,
    owner: UserId,
    context: ContextId,
    request: CreateShareRequest,
) -> Result<ShareDTO, ApiError> {
    if let Some(hours) = request.expires_in_hours {
        if !SHARE_HOURS.contains(&hours) {
            let (min, max) = (SHARE_HOURS.start(), SHARE_HOURS.end());
            return Err(ApiError::bad_request("invalid_field", format!("expires_in_hours: {min} to {max}")));
        }
    }
    // Also the ownership check: another user's conversation is not found.
    let snapshot = app.chat.share_snapshot(owner, context).await?;
    let now = crate::chat::now();
    let link = ShareLink {
        id: Uuid::now_v7(),
        token: new_token(),
        context_id: context,
        owner,
        created_at: now,
        expires_at: request.expires_in_hours.map(|hours| now + Duration::hours(i64::from(hours))),
    };
    let json = serde_json::to_string(&snapshot).map_err(|e| ApiError::Internal(format!("a snapshot: {e}")))?;
    app.chat.store().create_share(&link, &json).await?;
    tracing::info!(share = %link.id, %context, "share link created");
    Ok(dto(&link))
}

pub(crate) async fn list(app: &AppState, owner: UserId, context: ContextId) -> Result<Vec<ShareDTO>, ApiError> {
    // Not found for anyone but the owner, like the conversation itself.
    app.chat.check_owner(owner, context).await?;
    Ok(app.chat.store().shares_of(owner, context).await?.iter().map(dto).collect())
}

pub(crate) async fn revoke(app: &AppState, owner: UserId, id: Uuid) -> Result<(), ApiError> {
    if app.chat.store().delete_share(owner, id).await? {
        tracing::info!(share = %id, "share link revoked");
        Ok(())
    } else {
        Err(ApiError::NotFound("no such share link".into()))
    }
}

/// The share behind `token`, if it exists and has not expired; nothing else is told.
pub(crate) async fn open(app: &AppState, token: &str) -> Result<Option<OpenShare>, ApiError> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let Some((link, json)) = app.chat.store().share_by_token(token).await? else { return Ok(None) };
    if link.expires_at.is_some_and(|at| at <= crate::chat::now()) {
        return Ok(None);
    }
    let snapshot = serde_json::from_str(&json)
        .map_err(|e| ApiError::Internal(format!("share {}: its snapshot cannot be read: {e}", link.id)))?;
    Ok(Some(OpenShare { link, snapshot }))
}

/// Copies a share into `viewer`'s account as a conversation of their own; the same viewer
/// continuing the same share again gets the copy they made before, if they still have it.
pub(crate) async fn continue_in_account(
    app: &AppState,
    viewer: UserId,
    share: OpenShare,
) -> Result<ContextId, ApiError> {
    let store = app.chat.store();
    let source = format!("share:{}", share.link.id);
    if let Some(copy) = store.imported_from(viewer, &source).await? {
        return Ok(copy);
    }
    // Shared text is history, like an import's: the limit of what a person may send does not
    // apply (a shared conversation may itself have been imported).
    // The files come too, as the viewer's own: nothing of theirs points at the sharer's.
    let mut snapshot = share.snapshot;
    app.chat.embed_files(share.link.owner, &mut snapshot).await?;
    let files = app.chat.import_files(viewer, &snapshot).await;
    let copy = transfer::import(snapshot, viewer, crate::chat::now(), IMPORTED_MESSAGE_CHARS, &files)
        .map_err(|e| ApiError::Internal(format!("share {}: its snapshot cannot be copied: {e}", share.link.id)))?;
    if !store_from_source(store.as_ref(), viewer, &source, &copy).await? {
        // A second click raced this one and recorded its copy first: keep that one.
        return store.imported_from(viewer, &source).await?.ok_or_else(|| ApiError::Conflict("try again".into()));
    }
    app.chat.bind_imported(viewer, &copy).await?;
    tracing::info!(share = %share.link.id, copy = %copy.id(), "share continued in an account");
    Ok(copy.id())
}

pub(crate) fn dto(link: &ShareLink) -> ShareDTO {
    ShareDTO {
        id: link.id,
        token: link.token.clone(),
        url: format!("/s/{}", link.token),
        created_at: link.created_at,
        expires_at: link.expires_at,
    }
}

/// 128 random bits, in hex: safe in a path and in a sign-in page's `next`.
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn looks_like_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_random_bits_in_hex() {
        let (a, b) = (new_token(), new_token());
        assert!(looks_like_token(&a) && looks_like_token(&b));
        assert_ne!(a, b);
        assert!(!looks_like_token("../../etc/passwd"));
        assert!(!looks_like_token(&a[..31]));
    }
}
