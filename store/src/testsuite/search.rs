//! Search over a user's messages and titles.

use chrono::Utc;
use confab_core::{ChatContext, Event};
use uuid::Uuid;

use super::save;
use crate::ContextStore;

pub async fn search_finds_words_in_messages_and_titles_of_the_owner_only(store: &dyn ContextStore) {
    let owner = Uuid::new_v4();
    let mut ctx = ChatContext::new(Uuid::new_v4(), owner, Some("Holiday planning".into()), Utc::now());
    ctx.apply(
        Event::SendMessage { attachments: Vec::new(), content: "We should visit the aquarium in Lisbon".into() },
        Utc::now(),
    )
    .unwrap();
    ctx.apply(Event::ReplyFinished { cut_off: false }, Utc::now()).unwrap();
    save(store, &mut ctx).await;
    let mut other = ChatContext::new(Uuid::new_v4(), Uuid::new_v4(), None, Utc::now());
    other
        .apply(Event::SendMessage { attachments: Vec::new(), content: "lisbon is lovely".into() }, Utc::now())
        .unwrap();
    save(store, &mut other).await;

    let hits = store.search(owner, "LISBON", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].context_id, ctx.id());
    assert_eq!(hits[0].message_id, Some(ctx.active_path()[0].id));
    assert!(hits[0].snippet.iter().any(|p| p.highlight && p.text == "Lisbon"), "{:?}", hits[0].snippet);

    let prefix = store.search(owner, "aqua", 10).await.unwrap();
    assert_eq!(prefix.len(), 1, "the last word matches as a prefix");
    let title = store.search(owner, "holiday", 10).await.unwrap();
    assert_eq!(title[0].message_id, None);
    assert_eq!(title[0].context_title, "Holiday planning");
    assert!(store.search(owner, "\"(*", 10).await.unwrap().is_empty(), "operators are not a syntax error");
    assert!(store.search(owner, "", 10).await.unwrap().is_empty());
}

pub async fn search_follows_edits_and_deletes(store: &dyn ContextStore) {
    let owner = Uuid::new_v4();
    let mut ctx = ChatContext::new(Uuid::new_v4(), owner, None, Utc::now());
    ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "draft".into() }, Utc::now()).unwrap();
    ctx.apply(Event::ReplyStarted { model: "builtin/confab-builtin".into() }, Utc::now()).unwrap();
    ctx.append_text("partial").unwrap();
    save(store, &mut ctx).await;
    ctx.append_text(" zebra").unwrap();
    save(store, &mut ctx).await;
    assert_eq!(store.search(owner, "zebra", 10).await.unwrap().len(), 1, "streamed text is found once saved");
    store.delete(ctx.id()).await.unwrap();
    assert!(store.search(owner, "zebra", 10).await.unwrap().is_empty(), "deleted conversations are not found");
    assert!(store.search(owner, "draft", 10).await.unwrap().is_empty());
}
