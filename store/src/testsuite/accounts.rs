//! Accounts and sessions.

use chrono::{Duration, Utc};
use uuid::Uuid;

use crate::StoreError;

fn user(name: &str) -> crate::User {
    crate::User { id: Uuid::new_v4(), username: name.into(), created_at: millis_now() }
}

fn millis_now() -> confab_core::Timestamp {
    chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

pub async fn users_are_found_by_name_whatever_the_case(store: &dyn crate::UserStore) {
    let alice = user("Alice");
    store.create_user(&alice, "hash-a").await.unwrap();
    let found = store.credentials("alice").await.unwrap().expect("found");
    assert_eq!(found.user, alice);
    assert_eq!(found.password_hash, "hash-a");
    assert!(store.credentials("bob").await.unwrap().is_none());
    assert_eq!(store.user_count().await.unwrap(), 1);
}

pub async fn a_taken_name_is_a_conflict(store: &dyn crate::UserStore) {
    store.create_user(&user("carol"), "h").await.unwrap();
    let again = store.create_user(&user("CAROL"), "h").await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(store.user_count().await.unwrap(), 1);
}

pub async fn only_the_first_user_can_register_first(store: &dyn crate::UserStore) {
    assert!(store.create_first_user(&user("first"), "h").await.unwrap());
    assert!(!store.create_first_user(&user("second"), "h").await.unwrap());
    assert_eq!(store.user_count().await.unwrap(), 1);
}

pub async fn sessions_lead_to_their_user_until_they_expire_or_end(store: &dyn crate::UserStore) {
    let dave = user("dave");
    store.create_user(&dave, "h").await.unwrap();
    let now = millis_now();
    let live = crate::Session {
        token_hash: "live".into(),
        user_id: dave.id,
        created_at: now,
        expires_at: now + Duration::hours(1),
    };
    let old = crate::Session { token_hash: "old".into(), expires_at: now - Duration::seconds(1), ..live.clone() };
    store.create_session(&live).await.unwrap();
    store.create_session(&old).await.unwrap();
    assert_eq!(store.session_user("live", now).await.unwrap(), Some(dave.clone()));
    assert_eq!(store.session_user("old", now).await.unwrap(), None, "expired");
    assert_eq!(store.session_user("nope", now).await.unwrap(), None);
    assert_eq!(store.delete_expired_sessions(now).await.unwrap(), 1);
    store.delete_session("live").await.unwrap();
    assert_eq!(store.session_user("live", now).await.unwrap(), None, "ended");
}
