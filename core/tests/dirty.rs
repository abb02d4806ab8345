//! Dirty tracking: a save writes only what changed since the last one.

use chrono::Utc;
use confab_core::{ChatContext, ContextRow, Event, Message, Role, RECENT_ACTIONS_KEPT};
use uuid::Uuid;

fn conversation_of(messages: usize) -> ChatContext {
    let mut ctx = ChatContext::new(Uuid::new_v4(), Uuid::new_v4(), None, Utc::now());
    while ctx.messages().len() < messages {
        ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "question".into() }, Utc::now()).unwrap();
        ctx.apply(Event::ReplyStarted { model: "test/model".into() }, Utc::now()).unwrap();
        ctx.append_text("answer").unwrap();
        ctx.apply(Event::ReplyFinished { cut_off: false }, Utc::now()).unwrap();
    }
    ctx.mark_saved();
    ctx
}

#[test]
fn a_new_context_is_dirty_until_saved() {
    let mut ctx = ChatContext::new(Uuid::new_v4(), Uuid::new_v4(), Some("t".into()), Utc::now());
    assert!(ctx.is_dirty());
    assert_eq!(ctx.version(), 0);
    ctx.mark_saved();
    assert!(!ctx.is_dirty());
    assert_eq!(ctx.version(), 1);
}

#[test]
fn mark_and_clear_dirty_do_what_they_say() {
    let mut ctx = conversation_of(2);
    assert!(!ctx.is_dirty());
    ctx.mark_dirty();
    assert!(ctx.is_dirty());
    assert!(ctx.changes().messages.is_empty(), "marking dirty rewrites the row, not the messages");
    ctx.clear_dirty();
    assert!(!ctx.is_dirty());
}

#[test]
fn one_new_message_is_one_row_however_long_the_conversation() {
    for length in [10, 5_000] {
        let mut ctx = conversation_of(length);
        ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "one more".into() }, Utc::now()).unwrap();
        let changes = ctx.changes();
        assert_eq!(changes.messages.len(), 1, "context of {length}");
        assert_eq!(changes.messages[0].1.content, "one more");
        assert_eq!(changes.messages[0].0, length, "its position is the end of the tree");
        assert_eq!(changes.row.version, ctx.version() + 1, "a save creates the next version");
    }
}

#[test]
fn streaming_marks_only_the_reply() {
    let mut ctx = conversation_of(100);
    ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "q".into() }, Utc::now()).unwrap();
    ctx.mark_saved();
    ctx.apply(Event::ReplyStarted { model: "test/model".into() }, Utc::now()).unwrap();
    ctx.mark_saved();
    ctx.append_text("more").unwrap();
    let changes = ctx.changes();
    assert_eq!(changes.messages.len(), 1);
    assert_eq!(changes.messages[0].1.role, Role::Assistant);
}

#[test]
fn stored_parts_rebuild_the_same_context() {
    let ctx = conversation_of(6);
    let messages: Vec<Message> = ctx.messages().iter().cloned().collect();
    let rebuilt = ChatContext::from_parts(ctx.row().clone(), messages.clone()).unwrap();
    assert_eq!(rebuilt.row(), ctx.row());
    assert_eq!(rebuilt.active_path().len(), 6);
    assert!(!rebuilt.is_dirty());

    let mut orphan = messages.clone();
    orphan.remove(0);
    assert!(ChatContext::from_parts(ctx.row().clone(), orphan).is_none(), "a missing parent is refused");
    let bad_branch = ContextRow { active_branch: "ghost".into(), ..ctx.row().clone() };
    assert!(ChatContext::from_parts(bad_branch, messages).is_none());
}

#[test]
fn remembered_action_ids_are_bounded() {
    let mut ctx = conversation_of(0);
    for i in 0..RECENT_ACTIONS_KEPT + 10 {
        ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "q".into() }, Utc::now()).unwrap();
        ctx.apply_action(Event::Cancel, Some(format!("cancel-{i}")), Utc::now()).unwrap();
    }
    assert_eq!(ctx.row().recent_actions.len(), RECENT_ACTIONS_KEPT);
    assert!(!ctx.has_seen_action("cancel-0"));
    assert!(ctx.has_seen_action(&format!("cancel-{}", RECENT_ACTIONS_KEPT + 9)));
}
