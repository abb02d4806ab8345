//! Uploaded files: one blob per owner and content, served to their owner only, put to use
//! in conversations, gone with the last conversation that uses them, and swept when never
//! sent.

use chrono::{Duration, DurationRound, Utc};
use confab_core::{Attachment, ChatContext, Event, UserId};
use uuid::Uuid;

use super::{conversation, save};
use crate::{ContextStore, NewBlob, StoredAttachment};

fn upload(owner: UserId, name: &str, sha256: &str, age: Duration) -> StoredAttachment {
    let now = Utc::now().duration_trunc(Duration::milliseconds(1)).unwrap();
    StoredAttachment {
        attachment: Attachment {
            id: Uuid::now_v7(),
            name: name.to_string(),
            media_type: "text/plain; charset=utf-8".into(),
            size: 11,
            prompt_tokens: 10,
        },
        owner,
        sha256: sha256.to_string(),
        context_id: None,
        created_at: now - age,
    }
}

fn blob(sha256: &str) -> NewBlob<'_> {
    NewBlob {
        sha256,
        media_type: "text/plain; charset=utf-8",
        data: b"hello world",
        text: Some("hello world"),
        prompt_tokens: 10,
    }
}

/// Sends `attachments` in `ctx` and saves it, as the chat service does.
async fn send_with(store: &dyn ContextStore, ctx: &mut ChatContext, attachments: Vec<Attachment>) {
    ctx.apply(Event::SendMessage { content: "see the file".into(), attachments }, Utc::now()).unwrap();
    save(store, ctx).await;
}

pub async fn attachments_keep_one_blob_per_owner_and_go_with_their_last_conversation(store: &dyn ContextStore) {
    let mut ctx = conversation(store, 0).await;
    let other = conversation(store, 0).await;
    let owner = ctx.owner();
    // `conversation` makes a new owner each time: put the second under the same one.
    assert_ne!(owner, other.owner());
    let sha = "a".repeat(64);
    let first = upload(owner, "notes.txt", &sha, Duration::zero());
    let second = upload(owner, "copy of notes.txt", &sha, Duration::zero());
    store.add_attachment(&first, &blob(&sha)).await.unwrap();
    store.add_attachment(&second, &blob(&sha)).await.unwrap();
    assert_eq!(store.bytes_used(owner).await.unwrap(), 11, "the same bytes twice: one blob");

    let found = store.attachment(owner, first.attachment.id).await.unwrap().expect("its owner finds it");
    assert_eq!(found, first);
    assert_eq!(store.attachment_data(owner, first.attachment.id).await.unwrap().as_deref(), Some(&b"hello world"[..]));
    assert_eq!(store.attachment_text(owner, second.attachment.id).await.unwrap().as_deref(), Some("hello world"));
    let stranger = other.owner();
    assert_eq!(store.attachment(stranger, first.attachment.id).await.unwrap(), None, "nobody else does");
    assert_eq!(store.attachment_data(stranger, first.attachment.id).await.unwrap(), None);
    assert_eq!(store.bytes_used(stranger).await.unwrap(), 0);

    // Someone else's id refuses the whole use, changing nothing.
    let theirs = upload(stranger, "theirs.txt", &sha, Duration::zero());
    store.add_attachment(&theirs, &blob(&sha)).await.unwrap();
    let ids = [first.attachment.id, theirs.attachment.id];
    assert_eq!(store.use_attachments(owner, &ids, ctx.id()).await.unwrap(), None);
    assert_eq!(store.attachment(owner, first.attachment.id).await.unwrap().unwrap().context_id, None);
    assert_eq!(store.bytes_used(stranger).await.unwrap(), 11, "their own blob: not shared with the owner's");

    let used = store.use_attachments(owner, &[first.attachment.id], ctx.id()).await.unwrap().unwrap();
    assert_eq!((used[0].attachment.id, used[0].context_id), (first.attachment.id, Some(ctx.id())));
    send_with(store, &mut ctx, vec![used[0].attachment.clone()]).await;
    let again = store.use_attachments(owner, &[first.attachment.id], ctx.id()).await.unwrap().unwrap();
    assert_eq!(again[0].attachment.id, first.attachment.id, "used again where it is: the same");

    // The second conversation of the same owner: the upload sent in the first is copied.
    let mut mine = ChatContext::new(Uuid::new_v4(), owner, None, Utc::now());
    save(store, &mut mine).await;
    let copied = store.use_attachments(owner, &[first.attachment.id], mine.id()).await.unwrap().unwrap();
    assert_ne!(copied[0].attachment.id, first.attachment.id);
    assert_eq!(copied[0].context_id, Some(mine.id()));
    send_with(store, &mut mine, vec![copied[0].attachment.clone()]).await;
    let loaded = store.load(mine.id()).await.unwrap().unwrap();
    assert_eq!(loaded.active_path()[0].attachments, vec![copied[0].attachment.clone()], "messages keep them");

    store.delete(ctx.id()).await.unwrap();
    assert_eq!(store.attachment(owner, first.attachment.id).await.unwrap(), None, "gone with its conversation");
    assert!(store.attachment_data(owner, copied[0].attachment.id).await.unwrap().is_some(), "the copy stays");
    assert_eq!(store.bytes_used(owner).await.unwrap(), 11);
    store.delete(mine.id()).await.unwrap();
    // The second upload, never sent, still holds the blob until it is swept.
    assert_eq!(store.bytes_used(owner).await.unwrap(), 11);
    let swept = store.sweep_attachments(Utc::now() + Duration::hours(1)).await.unwrap();
    assert!(swept >= 2, "the unsent upload and the stranger's: {swept}");
    assert_eq!(store.bytes_used(owner).await.unwrap(), 0, "the last use gone: the blob too");
    assert_eq!(store.bytes_used(stranger).await.unwrap(), 0);
}

pub async fn only_uploads_never_sent_and_older_than_the_cutoff_are_swept(store: &dyn ContextStore) {
    let mut ctx = conversation(store, 0).await;
    let owner = ctx.owner();
    let (old_sha, new_sha, sent_sha) = ("b".repeat(64), "c".repeat(64), "d".repeat(64));
    let old = upload(owner, "old.txt", &old_sha, Duration::hours(25));
    let recent = upload(owner, "recent.txt", &new_sha, Duration::hours(1));
    let sent = upload(owner, "sent.txt", &sent_sha, Duration::hours(30));
    for (stored, sha) in [(&old, &old_sha), (&recent, &new_sha), (&sent, &sent_sha)] {
        store.add_attachment(stored, &blob(sha)).await.unwrap();
    }
    let used = store.use_attachments(owner, &[sent.attachment.id], ctx.id()).await.unwrap().unwrap();
    send_with(store, &mut ctx, vec![used[0].attachment.clone()]).await;

    let swept = store.sweep_attachments(Utc::now() - Duration::hours(24)).await.unwrap();
    assert_eq!(swept, 1);
    assert_eq!(store.attachment(owner, old.attachment.id).await.unwrap(), None);
    assert!(store.attachment(owner, recent.attachment.id).await.unwrap().is_some(), "not a day old yet");
    assert!(store.attachment(owner, sent.attachment.id).await.unwrap().is_some(), "sent: kept");
    assert_eq!(store.bytes_used(owner).await.unwrap(), 22, "the old upload's blob went with it");
}
