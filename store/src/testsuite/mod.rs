//! The behaviour every store must have, written once against its traits. A backend runs it
//! with the macros below, each taking a future that gives the store and a guard that keeps
//! its database alive for the test:
//!
//! ```ignore
//! confab_store::store_suite!(async { (SqliteStore::open(url).await.unwrap(), temp_dir) });
//! confab_store::user_store_suite!(async { (SqliteStore::open(url).await.unwrap(), temp_dir) });
//! // and, as the store is one other processes may share or not:
//! confab_store::shared_store_suite!(maybe fresh_postgres_store());
//! confab_store::solo_store_suite!(async { (SqliteStore::open(url).await.unwrap(), temp_dir) });
//! ```
//!
//! `maybe` takes a future of an `Option`: `None` skips the tests (no PostgreSQL to run them on).

mod accounts;
mod attachments;
mod contexts;
mod coordination;
mod folders;
mod search;
mod shares;

use chrono::Utc;
use confab_core::{ChatContext, Event};
use uuid::Uuid;

pub use accounts::*;
pub use attachments::*;
pub use contexts::*;
pub use coordination::*;
pub use folders::*;
pub use search::*;
pub use shares::*;

use crate::{ContextStore, StoreError};

/// Instantiates the tests every [`ContextStore`] must pass.
#[macro_export]
macro_rules! store_suite {
    (maybe $make:expr) => {
        $crate::store_suite!(@tests $make);
    };
    ($make:expr) => {
        $crate::store_suite!(@tests async { Some($make.await) });
    };
    (@tests $make:expr) => {
        $crate::store_suite!(@each $make;
            save_then_load_round_trips_everything,
            the_first_save_creates_and_a_second_create_conflicts,
            a_stale_version_conflicts_and_writes_nothing,
            saving_one_message_costs_the_same_in_a_short_and_a_long_conversation,
            concurrent_saves_of_one_version_let_exactly_one_win,
            concurrent_saves_of_many_contexts_all_land,
            listing_shows_only_the_owners_contexts_most_recent_first,
            deleting_removes_the_context_and_its_messages,
            busy_contexts_are_found,
            unknown_contexts_are_absent,
            ping_succeeds,
            search_finds_words_in_messages_and_titles_of_the_owner_only,
            search_follows_edits_and_deletes,
            preferences_change_by_compare_and_swap,
            share_links_are_found_by_token_and_kept_by_their_owner,
            folders_belong_to_their_owner_and_places_are_saved_and_listed,
            attachments_keep_one_blob_per_owner_and_go_with_their_last_conversation,
            only_uploads_never_sent_and_older_than_the_cutoff_are_swept);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((store, _guard)) = $make.await else { return };
                $crate::testsuite::$name(&store).await;
            }
        )*
    };
}

/// Instantiates the tests of a store several processes may share: its leases.
#[macro_export]
macro_rules! shared_store_suite {
    (maybe $make:expr) => {
        $crate::shared_store_suite!(@tests $make);
    };
    ($make:expr) => {
        $crate::shared_store_suite!(@tests async { Some($make.await) });
    };
    (@tests $make:expr) => {
        $crate::store_suite!(@each $make;
            busy_contexts_under_a_live_lease_are_not_found,
            a_lease_has_one_holder_until_it_is_released_or_expires);
    };
}

/// Instantiates the tests of a store no other process can share: [`crate::Solo`] coordination.
#[macro_export]
macro_rules! solo_store_suite {
    (maybe $make:expr) => {
        $crate::solo_store_suite!(@tests $make);
    };
    ($make:expr) => {
        $crate::solo_store_suite!(@tests async { Some($make.await) });
    };
    (@tests $make:expr) => {
        $crate::store_suite!(@each $make;
            a_store_nobody_shares_grants_every_lease_and_hears_nothing);
    };
}

/// Instantiates the account tests every [`crate::UserStore`] must pass.
#[macro_export]
macro_rules! user_store_suite {
    (maybe $make:expr) => {
        $crate::user_store_suite!(@tests $make);
    };
    ($make:expr) => {
        $crate::user_store_suite!(@tests async { Some($make.await) });
    };
    (@tests $make:expr) => {
        $crate::store_suite!(@each $make;
            users_are_found_by_name_whatever_the_case,
            a_taken_name_is_a_conflict,
            only_the_first_user_can_register_first,
            sessions_lead_to_their_user_until_they_expire_or_end,
            a_new_password_ends_every_other_session_of_its_user_only,
            api_tokens_lead_to_their_user_until_revoked_or_expired,
            the_first_account_is_an_admin_and_later_ones_are_not,
            a_disabled_account_has_no_session_or_token_until_enabled,
            the_last_enabled_admin_is_never_demoted_disabled_or_deleted,
            sessions_are_listed_and_ended_by_their_owner_only,
            an_invite_makes_one_account_once_and_never_after_expiry,
            deleting_an_account_ends_its_sessions_and_tokens,
            a_single_sign_on_identity_leads_to_its_own_account);
    };
}

/// A new, empty database on the PostgreSQL cluster `CONFAB_TEST_POSTGRES_URL` names (see
/// `scripts/with-postgres.sh`), or `None` when none is named: the tests that need it are
/// skipped then, unless `CONFAB_REQUIRE_POSTGRES=1` (the test command sets it) says that
/// skipping is not allowed.
pub async fn postgres_database() -> Option<String> {
    use sqlx::Connection;
    let Ok(admin) = std::env::var("CONFAB_TEST_POSTGRES_URL") else {
        let required = std::env::var("CONFAB_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        assert!(!required, "CONFAB_REQUIRE_POSTGRES=1 but no CONFAB_TEST_POSTGRES_URL: use scripts/with-postgres.sh");
        eprintln!("skipped: no PostgreSQL to test on (run through scripts/with-postgres.sh)");
        return None;
    };
    let name = format!("confab_test_{}", Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the test cluster answers");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("a test database");
    let (server, _) = admin.rsplit_once('/').expect("a URL that names a database");
    Some(format!("{server}/{name}"))
}

pub(crate) fn new_context() -> ChatContext {
    ChatContext::new(Uuid::new_v4(), Uuid::new_v4(), None, Utc::now())
}

/// Saves whatever is dirty, as the server's auto-save does.
pub(crate) async fn save(store: &dyn ContextStore, ctx: &mut ChatContext) -> crate::SaveStats {
    let stats = store.save(&ctx.changes()).await.expect("save");
    ctx.mark_saved();
    stats
}

/// A context of about `messages` messages, saved.
pub(crate) async fn conversation(store: &dyn ContextStore, messages: usize) -> ChatContext {
    let mut ctx = new_context();
    while ctx.messages().len() < messages {
        ctx.apply(
            Event::SendMessage { attachments: Vec::new(), content: "what is the weather like".into() },
            Utc::now(),
        )
        .unwrap();
        ctx.apply(Event::ReplyStarted { model: "builtin/confab-builtin".into() }, Utc::now()).unwrap();
        ctx.append_text("sunny, with a light breeze from the west").unwrap();
        ctx.apply(Event::ReplyFinished { cut_off: false }, Utc::now()).unwrap();
    }
    save(store, &mut ctx).await;
    ctx
}

pub(crate) async fn futures_join(
    store: &dyn ContextStore,
    writers: &[ChatContext],
) -> Vec<Result<crate::SaveStats, StoreError>> {
    let mut pending = Vec::new();
    for writer in writers {
        pending.push(async move { store.save(&writer.changes()).await });
    }
    let mut results = Vec::new();
    // Poll them together so the saves really overlap.
    let mut set: Vec<_> = pending.into_iter().map(Box::pin).collect();
    while !set.is_empty() {
        let (result, _, rest) = select_all(set).await;
        results.push(result);
        set = rest;
    }
    results
}

/// A tiny `select_all` so the suite needs no extra dependency.
async fn select_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> (F::Output, usize, Vec<F>) {
    std::future::poll_fn(move |cx| {
        for i in 0..futures.len() {
            if let std::task::Poll::Ready(out) = std::pin::Pin::new(&mut futures[i]).poll(cx) {
                let mut rest = std::mem::take(&mut futures);
                rest.remove(i);
                return std::task::Poll::Ready((out, i, rest));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// Implements [`crate::Attachments`] for a wrapper store by handing every call to the store
/// `$inner` (an expression of `self`) it wraps: for test stores that change one role only.
#[macro_export]
macro_rules! delegate_attachments {
    ($ty:ty, |$this:ident| $inner:expr) => {
        #[async_trait::async_trait]
        impl $crate::Attachments for $ty {
            async fn add_attachment(
                &self,
                stored: &$crate::StoredAttachment,
                blob: &$crate::NewBlob<'_>,
            ) -> Result<(), $crate::StoreError> {
                let $this = self;
                $inner.add_attachment(stored, blob).await
            }
            async fn attachment(
                &self,
                owner: confab_core::UserId,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::StoredAttachment>, $crate::StoreError> {
                let $this = self;
                $inner.attachment(owner, id).await
            }
            async fn attachment_data(
                &self,
                owner: confab_core::UserId,
                id: uuid::Uuid,
            ) -> Result<Option<Vec<u8>>, $crate::StoreError> {
                let $this = self;
                $inner.attachment_data(owner, id).await
            }
            async fn attachment_text(
                &self,
                owner: confab_core::UserId,
                id: uuid::Uuid,
            ) -> Result<Option<String>, $crate::StoreError> {
                let $this = self;
                $inner.attachment_text(owner, id).await
            }
            async fn bytes_used(&self, owner: confab_core::UserId) -> Result<u64, $crate::StoreError> {
                let $this = self;
                $inner.bytes_used(owner).await
            }
            async fn use_attachments(
                &self,
                owner: confab_core::UserId,
                ids: &[uuid::Uuid],
                context: confab_core::ContextId,
            ) -> Result<Option<Vec<$crate::StoredAttachment>>, $crate::StoreError> {
                let $this = self;
                $inner.use_attachments(owner, ids, context).await
            }
            async fn sweep_attachments(
                &self,
                unsent_before: confab_core::Timestamp,
            ) -> Result<u64, $crate::StoreError> {
                let $this = self;
                $inner.sweep_attachments(unsent_before).await
            }
        }
    };
}
