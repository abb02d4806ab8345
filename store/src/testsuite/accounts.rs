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

pub async fn a_new_password_ends_every_other_session_of_its_user_only(store: &dyn crate::UserStore) {
    let (erin, frank) = (user("erin"), user("frank"));
    store.create_user(&erin, "old-hash").await.unwrap();
    store.create_user(&frank, "franks-hash").await.unwrap();
    let now = millis_now();
    let session = |token: &str, user: &crate::User| crate::Session {
        token_hash: token.into(),
        user_id: user.id,
        created_at: now,
        expires_at: now + Duration::hours(1),
    };
    for (token, owner) in [("here", &erin), ("laptop", &erin), ("phone", &erin), ("franks", &frank)] {
        store.create_session(&session(token, owner)).await.unwrap();
    }
    assert!(store.set_password(erin.id, "new-hash", "here").await.unwrap());
    assert_eq!(store.credentials("erin").await.unwrap().unwrap().password_hash, "new-hash");
    assert_eq!(store.session_user("here", now).await.unwrap(), Some(erin.clone()), "the session that changed it stays");
    assert_eq!(store.session_user("laptop", now).await.unwrap(), None);
    assert_eq!(store.session_user("phone", now).await.unwrap(), None);
    assert_eq!(store.session_user("franks", now).await.unwrap(), Some(frank.clone()), "nobody else's");
    assert_eq!(store.credentials("frank").await.unwrap().unwrap().password_hash, "franks-hash");
    assert!(!store.set_password(Uuid::new_v4(), "x", "here").await.unwrap(), "no such user");
}

pub async fn api_tokens_lead_to_their_user_until_revoked_or_expired(store: &dyn crate::UserStore) {
    let (gina, hank) = (user("gina"), user("hank"));
    store.create_user(&gina, "h").await.unwrap();
    store.create_user(&hank, "h").await.unwrap();
    let now = millis_now();
    let token = |name: &str, age_ms: i64, expires_at| crate::ApiToken {
        id: Uuid::now_v7(),
        user_id: gina.id,
        name: name.into(),
        created_at: now - Duration::milliseconds(age_ms),
        expires_at,
        last_used_at: None,
    };
    let (ci, old, script) =
        (token("ci", 20, None), token("old", 10, Some(now)), token("script", 0, Some(now + Duration::days(1))));
    store.create_api_token(&ci, "hash-ci").await.unwrap();
    store.create_api_token(&old, "hash-old").await.unwrap();
    store.create_api_token(&script, "hash-script").await.unwrap();
    let names: Vec<String> = store.api_tokens(gina.id).await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["script", "old", "ci"], "newest first");
    assert!(store.api_tokens(hank.id).await.unwrap().is_empty());

    assert_eq!(store.api_token_user("hash-ci", now).await.unwrap(), Some(gina.clone()));
    assert_eq!(store.api_token_user("hash-old", now).await.unwrap(), None, "expired");
    assert_eq!(store.api_token_user("nope", now).await.unwrap(), None);
    let used = store.api_tokens(gina.id).await.unwrap().into_iter().find(|t| t.name == "ci").unwrap();
    assert_eq!(used.last_used_at, Some(now));

    assert_eq!(store.delete_api_token(hank.id, ci.id).await.unwrap(), None, "only its owner revokes it");
    assert_eq!(store.delete_api_token(gina.id, ci.id).await.unwrap().as_deref(), Some("hash-ci"));
    assert_eq!(store.api_token_user("hash-ci", now).await.unwrap(), None, "revoked");
    assert_eq!(store.api_token_user("hash-script", now).await.unwrap(), Some(gina));
}
