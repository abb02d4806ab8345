//! Accounts and sessions.

use chrono::{Duration, Utc};
use uuid::Uuid;

use crate::StoreError;

fn user(name: &str) -> crate::User {
    crate::User { id: Uuid::new_v4(), username: name.into(), created_at: millis_now(), admin: false }
}

fn millis_now() -> confab_core::Timestamp {
    chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

pub async fn users_are_found_by_name_whatever_the_case(store: &dyn crate::UserStore) {
    let alice = user("Alice");
    let alice = store.create_user(&alice, "hash-a").await.unwrap();
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
    let first = store.create_first_user(&user("first"), "h").await.unwrap().expect("created");
    assert!(first.admin, "the first account runs the server");
    assert!(store.create_first_user(&user("second"), "h").await.unwrap().is_none());
    assert_eq!(store.user_count().await.unwrap(), 1);
}

pub async fn sessions_lead_to_their_user_until_they_expire_or_end(store: &dyn crate::UserStore) {
    let dave = user("dave");
    let dave = store.create_user(&dave, "h").await.unwrap();
    let now = millis_now();
    let live = crate::Session {
        token_hash: "live".into(),
        user_id: dave.id,
        created_at: now,
        expires_at: now + Duration::hours(1),
        user_agent: String::new(),
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
    let erin = store.create_user(&erin, "old-hash").await.unwrap();
    let frank = store.create_user(&frank, "franks-hash").await.unwrap();
    let now = millis_now();
    let session = |token: &str, user: &crate::User| crate::Session {
        token_hash: token.into(),
        user_id: user.id,
        created_at: now,
        expires_at: now + Duration::hours(1),
        user_agent: String::new(),
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
    let gina = store.create_user(&gina, "h").await.unwrap();
    let hank = store.create_user(&hank, "h").await.unwrap();
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

fn session_of(token: &str, user: &crate::User, now: confab_core::Timestamp) -> crate::Session {
    crate::Session {
        token_hash: token.into(),
        user_id: user.id,
        created_at: now,
        expires_at: now + Duration::hours(1),
        user_agent: format!("agent of {token}"),
    }
}

pub async fn the_first_account_is_an_admin_and_later_ones_are_not(store: &dyn crate::UserStore) {
    let at = |ms| crate::User { created_at: millis_now() + Duration::milliseconds(ms), ..user("") };
    let first = store.create_user(&crate::User { username: "ida".into(), ..at(0) }, "h").await.unwrap();
    let second = store.create_user(&crate::User { username: "jon".into(), ..at(1) }, "h").await.unwrap();
    let promoted = store.create_user(&crate::User { username: "kim".into(), admin: true, ..at(2) }, "h").await.unwrap();
    assert!(first.admin && !second.admin && promoted.admin);
    assert!(store.credentials("ida").await.unwrap().unwrap().user.admin);
    assert!(!store.credentials("jon").await.unwrap().unwrap().user.admin);
    let listed: Vec<(String, bool)> =
        store.users().await.unwrap().into_iter().map(|s| (s.user.username, s.user.admin)).collect();
    assert_eq!(listed, [("ida".into(), true), ("jon".into(), false), ("kim".into(), true)], "oldest first");
}

pub async fn a_disabled_account_has_no_session_or_token_until_enabled(store: &dyn crate::UserStore) {
    let admin = store.create_user(&user("lea"), "h").await.unwrap();
    let max = store.create_user(&user("max"), "h").await.unwrap();
    let now = millis_now();
    store.create_session(&session_of("max-laptop", &max, now)).await.unwrap();
    store.create_session(&session_of("lea-desk", &admin, now)).await.unwrap();
    let token = crate::ApiToken {
        id: Uuid::now_v7(),
        user_id: max.id,
        name: "ci".into(),
        created_at: now,
        expires_at: None,
        last_used_at: None,
    };
    store.create_api_token(&token, "max-token").await.unwrap();

    let off = crate::AccountChange { disabled: Some(true), admin: None };
    assert_eq!(store.change_account(max.id, off).await.unwrap(), crate::Outcome::Done(max.clone()));
    assert!(store.credentials("max").await.unwrap().unwrap().disabled);
    assert_eq!(store.session_user("max-laptop", now).await.unwrap(), None, "its sessions end");
    assert_eq!(store.api_token_user("max-token", now).await.unwrap(), None, "its tokens are refused");
    assert_eq!(store.session_user("lea-desk", now).await.unwrap(), Some(admin.clone()), "nobody else's");
    let listed = store.users().await.unwrap();
    assert!(listed.iter().find(|s| s.user.id == max.id).unwrap().disabled);

    let on = crate::AccountChange { disabled: Some(false), admin: None };
    store.change_account(max.id, on).await.unwrap();
    assert!(!store.credentials("max").await.unwrap().unwrap().disabled);
    assert_eq!(store.api_token_user("max-token", now).await.unwrap(), Some(max.clone()), "tokens work again");
    assert_eq!(store.session_user("max-laptop", now).await.unwrap(), None, "ended sessions stay ended");
    assert_eq!(store.change_account(Uuid::new_v4(), on).await.unwrap(), crate::Outcome::NotFound);
}

pub async fn the_last_enabled_admin_is_never_demoted_disabled_or_deleted(store: &dyn crate::UserStore) {
    let (nia, oto) =
        (store.create_user(&user("nia"), "h").await.unwrap(), store.create_user(&user("oto"), "h").await.unwrap());
    let demote = crate::AccountChange { disabled: None, admin: Some(false) };
    let disable = crate::AccountChange { disabled: Some(true), admin: None };
    assert_eq!(store.change_account(nia.id, demote).await.unwrap(), crate::Outcome::LastAdmin);
    assert_eq!(store.change_account(nia.id, disable).await.unwrap(), crate::Outcome::LastAdmin);
    assert_eq!(store.delete_account(nia.id).await.unwrap(), crate::Outcome::LastAdmin, "others still have accounts");
    assert!(store.credentials("nia").await.unwrap().unwrap().user.admin, "nothing changed");

    let promote = crate::AccountChange { disabled: None, admin: Some(true) };
    let promoted = store.change_account(oto.id, promote).await.unwrap();
    assert_eq!(promoted, crate::Outcome::Done(crate::User { admin: true, ..oto.clone() }));
    assert!(matches!(store.change_account(nia.id, demote).await.unwrap(), crate::Outcome::Done(u) if !u.admin));
    assert_eq!(store.change_account(oto.id, disable).await.unwrap(), crate::Outcome::LastAdmin);

    assert!(matches!(store.delete_account(nia.id).await.unwrap(), crate::Outcome::Done(_)));
    assert!(matches!(store.delete_account(oto.id).await.unwrap(), crate::Outcome::Done(_)), "alone, it may go");
    assert_eq!(store.user_count().await.unwrap(), 0);
    assert_eq!(store.delete_account(oto.id).await.unwrap(), crate::Outcome::NotFound);
}

pub async fn sessions_are_listed_and_ended_by_their_owner_only(store: &dyn crate::UserStore) {
    let (pia, quin) =
        (store.create_user(&user("pia"), "h").await.unwrap(), store.create_user(&user("quin"), "h").await.unwrap());
    let now = millis_now();
    let old = crate::Session { created_at: now - Duration::minutes(5), ..session_of(&"a".repeat(64), &pia, now) };
    store.create_session(&old).await.unwrap();
    store.create_session(&session_of(&"b".repeat(64), &pia, now)).await.unwrap();
    store.create_session(&session_of(&"c".repeat(64), &quin, now)).await.unwrap();
    store.session_user(&"a".repeat(64), now).await.unwrap();

    let listed = store.sessions(pia.id, now).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["a".repeat(32), "b".repeat(32)], "the most recently used first");
    assert_eq!(listed[0].last_used_at, Some(now));
    assert_eq!(listed[1].user_agent, format!("agent of {}", "b".repeat(64)));

    assert_eq!(store.end_session(quin.id, &"a".repeat(32)).await.unwrap(), None, "not theirs");
    assert_eq!(store.end_session(pia.id, &"a".repeat(32)).await.unwrap(), Some("a".repeat(64)));
    assert_eq!(store.session_user(&"a".repeat(64), now).await.unwrap(), None);
    assert_eq!(store.sessions(pia.id, now).await.unwrap().len(), 1);
    let seen = store.users().await.unwrap().into_iter().find(|s| s.user.id == pia.id).unwrap();
    assert_eq!(seen.last_seen_at, Some(now));
}

pub async fn an_invite_makes_one_account_once_and_never_after_expiry(store: &dyn crate::UserStore) {
    let admin = store.create_user(&user("rae"), "h").await.unwrap();
    let now = millis_now();
    let invite = |hash: &str, expires_at| crate::Invite {
        token_hash: hash.into(),
        created_by: admin.id,
        created_at: now,
        expires_at,
    };
    store.create_invite(&invite("fresh", now + Duration::days(7))).await.unwrap();
    store.create_invite(&invite("stale", now)).await.unwrap();

    let sam = store.create_invited_user(&user("sam"), "h", "fresh", now).await.unwrap().expect("invited");
    assert!(!sam.admin);
    assert_eq!(store.create_invited_user(&user("tess"), "h", "fresh", now).await.unwrap(), None, "used up");
    assert_eq!(store.create_invited_user(&user("tess"), "h", "stale", now).await.unwrap(), None, "expired");
    assert_eq!(store.create_invited_user(&user("tess"), "h", "unknown", now).await.unwrap(), None);
    assert!(store.credentials("tess").await.unwrap().is_none(), "nobody was created");
    assert_eq!(store.user_count().await.unwrap(), 2);

    assert_eq!(store.setting("registration").await.unwrap(), None);
    store.put_setting("registration", "invite").await.unwrap();
    store.put_setting("registration", "closed").await.unwrap();
    assert_eq!(store.setting("registration").await.unwrap().as_deref(), Some("closed"));
}

pub async fn deleting_an_account_ends_its_sessions_and_tokens(store: &dyn crate::UserStore) {
    let admin = store.create_user(&user("uma"), "h").await.unwrap();
    let vic = store.create_user(&user("vic"), "h").await.unwrap();
    let now = millis_now();
    store.create_session(&session_of("vic-phone", &vic, now)).await.unwrap();
    let token = crate::ApiToken {
        id: Uuid::now_v7(),
        user_id: vic.id,
        name: "ci".into(),
        created_at: now,
        expires_at: None,
        last_used_at: None,
    };
    store.create_api_token(&token, "vic-token").await.unwrap();
    let invite = crate::Invite {
        token_hash: "vic-invite".into(),
        created_by: vic.id,
        created_at: now,
        expires_at: now + Duration::days(1),
    };
    store.create_invite(&invite).await.unwrap();

    assert_eq!(store.delete_account(vic.id).await.unwrap(), crate::Outcome::Done(Vec::new()));
    assert!(store.credentials("vic").await.unwrap().is_none());
    assert_eq!(store.session_user("vic-phone", now).await.unwrap(), None);
    assert_eq!(store.api_token_user("vic-token", now).await.unwrap(), None);
    assert_eq!(
        store.create_invited_user(&user("wes"), "h", "vic-invite", now).await.unwrap(),
        None,
        "their invites go"
    );
    let left: Vec<String> = store.users().await.unwrap().into_iter().map(|s| s.user.username).collect();
    assert_eq!(left, [admin.username]);
}

pub async fn a_single_sign_on_identity_leads_to_its_own_account(store: &dyn crate::UserStore) {
    let first = store.create_identity_user(&user("yara"), "https://id.example", "sub-1").await.unwrap();
    assert!(first.admin, "the first account is an administrator, however it was made");
    let found = store.identity_user("https://id.example", "sub-1").await.unwrap().expect("linked");
    assert_eq!((found.user, found.password_hash.as_str(), found.disabled), (first.clone(), "", false));
    assert!(store.identity_user("https://other.example", "sub-1").await.unwrap().is_none(), "per issuer");
    let taken = store.create_identity_user(&user("YARA"), "https://id.example", "sub-2").await;
    assert!(matches!(taken, Err(StoreError::Conflict)), "the name is taken: {taken:?}");
    let again = store.create_identity_user(&user("zed"), "https://id.example", "sub-1").await;
    assert!(matches!(again, Err(StoreError::Conflict)), "the identity is linked already: {again:?}");
    assert!(store.credentials("zed").await.unwrap().is_none(), "nothing half made");
    let admin = store.create_user(&user("root"), "h").await.unwrap();
    let promote = crate::AccountChange { disabled: None, admin: Some(true) };
    store.change_account(admin.id, promote).await.unwrap();
    assert!(matches!(store.delete_account(first.id).await.unwrap(), crate::Outcome::Done(_)));
    assert!(store.identity_user("https://id.example", "sub-1").await.unwrap().is_none(), "gone with it");
}
