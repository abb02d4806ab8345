//! Share links: found by token, listed for their owner, deleted by their owner only, and
//! gone with their conversation.

use chrono::{Duration, DurationRound, Utc};
use uuid::Uuid;

use super::conversation;
use crate::{ContextStore, ShareLink};

fn link(ctx: &confab_core::ChatContext, token: &str, age_ms: i64, expires: bool) -> ShareLink {
    // Stores keep milliseconds.
    let now = Utc::now().duration_trunc(Duration::milliseconds(1)).unwrap();
    ShareLink {
        id: Uuid::now_v7(),
        token: token.to_string(),
        context_id: ctx.id(),
        owner: ctx.owner(),
        created_at: now - Duration::milliseconds(age_ms),
        expires_at: expires.then(|| now + Duration::hours(1)),
    }
}

pub async fn share_links_are_found_by_token_and_kept_by_their_owner(store: &dyn ContextStore) {
    let ctx = conversation(store, 2).await;
    let (older, newer) =
        (link(&ctx, &Uuid::new_v4().to_string(), 10, true), link(&ctx, &Uuid::new_v4().to_string(), 0, false));
    store.create_share(&older, "{\"snapshot\":1}").await.unwrap();
    store.create_share(&newer, "{\"snapshot\":2}").await.unwrap();
    // Made in the same millisecond as `newer`, a moment later: its time-ordered id decides.
    let same_moment = ShareLink { id: Uuid::now_v7(), token: Uuid::new_v4().to_string(), ..newer.clone() };
    store.create_share(&same_moment, "{\"snapshot\":3}").await.unwrap();

    let (found, snapshot) = store.share_by_token(&older.token).await.unwrap().expect("found by its token");
    assert_eq!((found, snapshot.as_str()), (older.clone(), "{\"snapshot\":1}"));
    assert!(store.share_by_token("not-a-token").await.unwrap().is_none());
    assert_eq!(
        store.shares_of(ctx.owner(), ctx.id()).await.unwrap(),
        vec![same_moment.clone(), newer.clone(), older.clone()],
        "newest first"
    );
    assert!(store.shares_of(Uuid::new_v4(), ctx.id()).await.unwrap().is_empty(), "another user sees none");

    assert!(!store.delete_share(Uuid::new_v4(), older.id).await.unwrap(), "only its owner deletes it");
    assert!(store.delete_share(ctx.owner(), older.id).await.unwrap());
    assert!(store.share_by_token(&older.token).await.unwrap().is_none(), "a deleted link stops at once");
    assert!(!store.delete_share(ctx.owner(), older.id).await.unwrap(), "deleting twice finds nothing");

    store.delete(ctx.id()).await.unwrap();
    assert!(store.share_by_token(&newer.token).await.unwrap().is_none(), "links go with their conversation");
}
