//! The chat state machine, driven through its public API only.

use chrono::{TimeZone, Utc};
use confab_core::{
    targets, Applied, Approval, ChatContext, Effect, Event, EventKind, FsmError, Role, SettingsPatch, Status,
    StopReason, Timestamp, ToolCallRequest,
};
use uuid::Uuid;

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

fn new_context() -> ChatContext {
    let mut ctx = ChatContext::new(Uuid::new_v4(), Uuid::new_v4(), None, now());
    ctx.clear_dirty();
    ctx
}

fn send(ctx: &mut ChatContext, text: &str) {
    ctx.apply(Event::SendMessage { attachments: Vec::new(), content: text.into() }, now()).unwrap();
}

fn reply(ctx: &mut ChatContext, text: &str) {
    ctx.apply(Event::ReplyStarted { model: "test/model".into() }, now()).unwrap();
    ctx.append_text(text).unwrap();
    ctx.apply(Event::ReplyFinished { cut_off: false }, now()).unwrap();
}

fn call(id: &str) -> ToolCallRequest {
    ToolCallRequest { id: id.into(), name: "current_time".into(), arguments: serde_json::json!({}) }
}

/// A context brought into `status` by real events.
fn context_in(status: Status) -> ChatContext {
    let mut ctx = new_context();
    send(&mut ctx, "hello");
    match status {
        Status::Idle => reply(&mut ctx, "hi there"),
        Status::Processing => {}
        Status::Streaming => {
            ctx.apply(Event::ReplyStarted { model: "test/model".into() }, now()).unwrap();
            ctx.append_text("partial").unwrap();
        }
        Status::AwaitingToolApproval => {
            ctx.apply(Event::ToolCallsRequested { calls: vec![call("a"), call("b")] }, now()).unwrap();
        }
        Status::ExecutingTools => {
            ctx.apply(Event::ToolCallsRequested { calls: vec![call("a"), call("b")] }, now()).unwrap();
            ctx.apply(Event::ApproveTools { tool_call_ids: vec!["a".into(), "b".into()], allow_here: false }, now())
                .unwrap();
        }
        Status::Failed => {
            ctx.apply(Event::ReplyStarted { model: "test/model".into() }, now()).unwrap();
            ctx.append_text("partial").unwrap();
            ctx.apply(Event::GenerationFailed { error: "boom".into() }, now()).unwrap();
        }
    }
    assert_eq!(ctx.status(), status);
    ctx.clear_dirty();
    ctx
}

/// A well-formed event of each kind for `ctx`, naming things that exist where it can.
fn event_of(kind: EventKind, ctx: &ChatContext) -> Event {
    let first_user = ctx.active_path().iter().find(|m| m.role == Role::User).unwrap().id;
    let an_assistant = ctx.messages().iter().find(|m| m.role == Role::Assistant).map(|m| m.id);
    let pending: Vec<String> =
        ctx.last_assistant().map(|m| m.pending_tool_calls().map(|c| c.id.clone()).collect()).unwrap_or_default();
    let runnable = ctx.runnable_tool_calls().first().map(|c| c.id.clone()).unwrap_or("none".into());
    match kind {
        EventKind::SendMessage => Event::SendMessage { attachments: Vec::new(), content: "more".into() },
        EventKind::EditMessage => Event::EditMessage { message_id: first_user, content: "edited".into() },
        EventKind::Regenerate => Event::Regenerate { message_id: an_assistant.unwrap_or(first_user) },
        EventKind::SwitchBranch => Event::SwitchBranch { branch: "main".into() },
        EventKind::ApproveTools => {
            Event::ApproveTools { tool_call_ids: pending.into_iter().take(1).collect(), allow_here: false }
        }
        EventKind::DenyTools => Event::DenyTools { tool_call_ids: pending.into_iter().take(1).collect(), reason: None },
        EventKind::Cancel => Event::Cancel,
        EventKind::Retry => Event::Retry,
        EventKind::UpdateSettings => {
            Event::UpdateSettings { patch: SettingsPatch { temperature: Some(Some(0.3)), ..SettingsPatch::default() } }
        }
        EventKind::Continue => Event::Continue,
        EventKind::ReplyStarted => Event::ReplyStarted { model: "test/model".into() },
        EventKind::ToolCallsRequested => Event::ToolCallsRequested { calls: vec![call("c")] },
        EventKind::ReplyFinished => Event::ReplyFinished { cut_off: false },
        EventKind::GenerationFailed => Event::GenerationFailed { error: "provider down".into() },
        EventKind::ToolFinished => Event::ToolFinished { tool_call_id: runnable, output: Ok("12:00".into()) },
        EventKind::ToolsFinished => Event::ToolsFinished,
        EventKind::Interrupted => Event::Interrupted,
    }
}

#[test]
fn every_event_in_every_status_follows_the_table_and_a_refusal_changes_nothing() {
    for status in Status::ALL {
        for kind in EventKind::ALL {
            let mut ctx = context_in(status);
            let before = ctx.row().clone();
            let messages_before: Vec<_> = ctx.messages().iter().cloned().collect();
            let event = event_of(kind, &ctx);
            let allowed = targets(status, kind);
            match ctx.apply(event, now()) {
                Ok(transition) => {
                    assert!(allowed.contains(&transition.to), "{kind} from {status} went to {}", transition.to);
                    assert_eq!(transition.from, status);
                    assert_eq!(ctx.status(), transition.to);
                    assert!(ctx.is_dirty(), "{kind} from {status} must mark the context dirty");
                }
                Err(error) => {
                    // Running tools must all finish first, and only a cut-off reply continues:
                    // those cases have their own tests.
                    let data_dependent = (status, kind) == (Status::ExecutingTools, EventKind::ToolsFinished)
                        || (status, kind) == (Status::Idle, EventKind::Continue);
                    if data_dependent {
                        assert!(matches!(error, FsmError::Conflict(_)));
                    } else {
                        assert!(allowed.is_empty(), "{kind} from {status} is in the table but failed: {error}");
                        assert_eq!(error, FsmError::NotAllowed { status, event: kind });
                    }
                    assert!(!ctx.is_dirty(), "a refused {kind} from {status} marked the context dirty");
                    assert_eq!(ctx.row(), &before);
                    assert_eq!(ctx.messages().iter().cloned().collect::<Vec<_>>(), messages_before);
                }
            }
        }
    }
}

#[test]
fn the_table_rejects_what_the_design_forbids() {
    use EventKind as E;
    use Status as S;
    assert!(targets(S::AwaitingToolApproval, E::SendMessage).is_empty());
    assert!(targets(S::Streaming, E::SendMessage).is_empty());
    assert!(targets(S::Idle, E::Cancel).is_empty());
    assert!(targets(S::Idle, E::Retry).is_empty());
    assert!(targets(S::Streaming, E::SwitchBranch).is_empty());
    assert!(targets(S::AwaitingToolApproval, E::Interrupted).is_empty(), "approvals survive a restart");
    assert!(targets(S::Idle, E::ApproveTools).is_empty());
}

#[test]
fn sending_a_message_appends_it_titles_the_chat_and_starts_generation() {
    let mut ctx = new_context();
    let t = ctx
        .apply(Event::SendMessage { attachments: Vec::new(), content: "Plan a trip to Lisbon\nplease".into() }, now())
        .unwrap();
    assert_eq!((t.from, t.to, t.effect), (Status::Idle, Status::Processing, Some(Effect::StartGeneration)));
    let path = ctx.active_path();
    assert_eq!(path.len(), 1);
    assert_eq!(path[0].role, Role::User);
    assert_eq!(ctx.title(), "Plan a trip to Lisbon");
    assert!(ctx.is_dirty());
}

#[test]
fn an_empty_message_is_invalid_and_changes_nothing() {
    let mut ctx = new_context();
    let error = ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "  \n ".into() }, now()).unwrap_err();
    assert!(matches!(error, FsmError::Invalid(_)));
    assert!(!ctx.is_dirty());
    assert!(ctx.messages().is_empty());
}

#[test]
fn a_streamed_reply_grows_delta_by_delta_and_completes() {
    let mut ctx = new_context();
    send(&mut ctx, "hi");
    let t = ctx.apply(Event::ReplyStarted { model: "test/model".into() }, now()).unwrap();
    assert_eq!(t.to, Status::Streaming);
    let (id, seq1) = ctx.append_text("Hello").unwrap();
    let (_, seq2) = ctx.append_text(", world").unwrap();
    assert_eq!((seq1, seq2), (1, 2));
    assert!(!ctx.messages().get(id).unwrap().complete);
    ctx.apply(Event::ReplyFinished { cut_off: false }, now()).unwrap();
    let message = ctx.messages().get(id).unwrap();
    assert_eq!(message.content, "Hello, world");
    assert!(message.complete);
    assert_eq!(ctx.status(), Status::Idle);
}

#[test]
fn text_outside_streaming_is_refused() {
    let mut ctx = context_in(Status::Idle);
    assert!(ctx.append_text("late").is_err());
    assert!(!ctx.is_dirty());
}

#[test]
fn allowing_a_call_here_lets_its_tool_run_here_without_asking_from_now_on() {
    let mut ctx = context_in(Status::AwaitingToolApproval);
    assert!(ctx.allowed_tools().is_empty());
    let t = ctx.apply(Event::ApproveTools { tool_call_ids: vec!["a".into()], allow_here: true }, now()).unwrap();
    assert_eq!(ctx.allowed_tools().iter().collect::<Vec<_>>(), ["current_time"]);
    assert!(ctx.is_dirty(), "kept with the approval");
    // The other pending call of the same tool needs no card either.
    assert_eq!((t.to, t.effect), (Status::ExecutingTools, Some(Effect::ExecuteTools)));
    let runnable: Vec<_> = ctx.runnable_tool_calls().into_iter().map(|c| c.id).collect();
    assert_eq!(runnable, ["a", "b"]);

    let mut ctx = context_in(Status::AwaitingToolApproval);
    ctx.apply(Event::ApproveTools { tool_call_ids: vec!["a".into()], allow_here: false }, now()).unwrap();
    assert!(ctx.allowed_tools().is_empty(), "a plain approval is for this call only");
}

#[test]
fn approving_one_of_two_calls_keeps_waiting_for_the_other() {
    let mut ctx = context_in(Status::AwaitingToolApproval);
    let t = ctx.apply(Event::ApproveTools { tool_call_ids: vec!["a".into()], allow_here: false }, now()).unwrap();
    assert_eq!(t.to, Status::AwaitingToolApproval);
    assert_eq!(t.effect, None);
    let t = ctx.apply(Event::DenyTools { tool_call_ids: vec!["b".into()], reason: Some("no".into()) }, now()).unwrap();
    assert_eq!((t.to, t.effect), (Status::ExecutingTools, Some(Effect::ExecuteTools)));
    let runnable: Vec<_> = ctx.runnable_tool_calls().into_iter().map(|c| c.id).collect();
    assert_eq!(runnable, vec!["a"]);
    let denial = ctx.active_path().last().unwrap().content.clone();
    assert!(denial.contains("denied") && denial.contains("no"), "{denial}");
}

#[test]
fn running_the_approved_tools_stores_each_result_then_the_model_continues() {
    let mut ctx = context_in(Status::ExecutingTools);
    let early = ctx.apply(Event::ToolsFinished, now()).unwrap_err();
    assert!(matches!(early, FsmError::Conflict(_)));
    ctx.apply(Event::ToolFinished { tool_call_id: "a".into(), output: Ok("12:00".into()) }, now()).unwrap();
    ctx.apply(Event::ToolFinished { tool_call_id: "b".into(), output: Err("no clock".into()) }, now()).unwrap();
    let again = ctx.apply(Event::ToolFinished { tool_call_id: "a".into(), output: Ok("x".into()) }, now());
    assert!(matches!(again, Err(FsmError::Conflict(_))));
    let t = ctx.apply(Event::ToolsFinished, now()).unwrap();
    assert_eq!((t.to, t.effect), (Status::Processing, Some(Effect::StartGeneration)));
    let tools: Vec<_> = ctx.active_path().into_iter().filter(|m| m.role == Role::Tool).collect();
    assert_eq!(tools.len(), 2);
    assert_eq!(tools[0].tool_call_id.as_deref(), Some("a"));
    assert_eq!(tools[0].content, "12:00");
    assert!(tools[1].content.contains("no clock"));
    let calls = &ctx.last_assistant().unwrap().tool_calls;
    assert_eq!(calls[0].result.as_deref(), Some("12:00"));
    assert_eq!(calls[1].error.as_deref(), Some("no clock"));
}

#[test]
fn denying_every_call_lets_the_model_answer_without_them() {
    let mut ctx = context_in(Status::AwaitingToolApproval);
    let t = ctx.apply(Event::DenyTools { tool_call_ids: vec!["a".into(), "b".into()], reason: None }, now()).unwrap();
    assert_eq!((t.to, t.effect), (Status::Processing, Some(Effect::StartGeneration)));
    let calls = &ctx.last_assistant().unwrap().tool_calls;
    assert!(calls.iter().all(|c| c.approval == Approval::Denied));
}

#[test]
fn approving_what_is_not_pending_is_a_conflict_and_bad_lists_are_invalid() {
    let mut ctx = context_in(Status::AwaitingToolApproval);
    let unknown = ctx.apply(Event::ApproveTools { tool_call_ids: vec!["zzz".into()], allow_here: false }, now());
    assert!(matches!(unknown, Err(FsmError::Conflict(_))));
    let empty = ctx.apply(Event::ApproveTools { tool_call_ids: vec![], allow_here: false }, now());
    assert!(matches!(empty, Err(FsmError::Invalid(_))));
    let twice =
        ctx.apply(Event::ApproveTools { tool_call_ids: vec!["a".into(), "a".into()], allow_here: false }, now());
    assert!(matches!(twice, Err(FsmError::Invalid(_))));
    assert!(!ctx.is_dirty());
    ctx.apply(Event::ApproveTools { tool_call_ids: vec!["a".into()], allow_here: false }, now()).unwrap();
    let again = ctx.apply(Event::ApproveTools { tool_call_ids: vec!["a".into()], allow_here: false }, now());
    assert!(matches!(again, Err(FsmError::Conflict(_))), "an approved call is no longer pending");
}

#[test]
fn cancel_keeps_the_partial_text() {
    let mut ctx = context_in(Status::Streaming);
    let t = ctx.apply(Event::Cancel, now()).unwrap();
    assert_eq!((t.to, t.effect), (Status::Idle, Some(Effect::StopGeneration)));
    let last = *ctx.active_path().last().unwrap();
    assert_eq!(last.content, "partial");
    assert!(last.complete);
    assert_eq!(last.stop_reason, Some(StopReason::Cancelled));
}

#[test]
fn cancel_while_awaiting_approval_answers_every_open_call() {
    let mut ctx = context_in(Status::AwaitingToolApproval);
    ctx.apply(Event::Cancel, now()).unwrap();
    let calls = &ctx.last_assistant().unwrap().tool_calls;
    assert!(calls.iter().all(|c| c.approval == Approval::Denied && c.error.is_some()));
    let tool_messages = ctx.active_path().iter().filter(|m| m.role == Role::Tool).count();
    assert_eq!(tool_messages, 2, "every call keeps an answer so the history stays valid for the model");
}

#[test]
fn a_failure_records_the_error_and_retry_generates_a_sibling_of_the_partial_reply() {
    let mut ctx = context_in(Status::Failed);
    assert_eq!(ctx.last_error(), Some("boom"));
    let partial = ctx.active_head().unwrap();
    assert_eq!(ctx.messages().get(partial).unwrap().stop_reason, Some(StopReason::Failed));
    let t = ctx.apply(Event::Retry, now()).unwrap();
    assert_eq!((t.to, t.effect), (Status::Processing, Some(Effect::StartGeneration)));
    assert_eq!(ctx.last_error(), None);
    assert_ne!(ctx.active_head(), Some(partial));
    assert!(ctx.messages().contains(partial), "the partial reply is kept in the tree");
    ctx.apply(Event::ReplyStarted { model: "test/model".into() }, now()).unwrap();
    let retry = ctx.active_head().unwrap();
    assert_eq!(ctx.messages().get(retry).unwrap().parent_id, ctx.messages().get(partial).unwrap().parent_id);
}

#[test]
fn an_interrupted_tool_run_is_retried_as_a_tool_run() {
    let mut ctx = context_in(Status::ExecutingTools);
    ctx.apply(Event::ToolFinished { tool_call_id: "a".into(), output: Ok("1".into()) }, now()).unwrap();
    ctx.apply(Event::Interrupted, now()).unwrap();
    assert_eq!(ctx.status(), Status::Failed);
    let t = ctx.apply(Event::Retry, now()).unwrap();
    assert_eq!((t.to, t.effect), (Status::ExecutingTools, Some(Effect::ExecuteTools)));
    let runnable: Vec<_> = ctx.runnable_tool_calls().into_iter().map(|c| c.id).collect();
    assert_eq!(runnable, vec!["b"], "only the call that had not run runs again");
}

#[test]
fn an_interrupted_stream_keeps_its_text_and_says_why() {
    let mut ctx = context_in(Status::Streaming);
    ctx.apply(Event::Interrupted, now()).unwrap();
    let last = *ctx.active_path().last().unwrap();
    assert_eq!(last.content, "partial");
    assert_eq!(last.stop_reason, Some(StopReason::Interrupted));
    assert!(ctx.last_error().unwrap().contains("Retry"));
}

#[test]
fn a_message_after_a_failed_tool_run_closes_the_open_calls() {
    let mut ctx = context_in(Status::ExecutingTools);
    ctx.apply(Event::Interrupted, now()).unwrap();
    send(&mut ctx, "never mind");
    assert!(ctx.runnable_tool_calls().is_empty());
    let roles: Vec<_> = ctx.active_path().iter().map(|m| m.role).collect();
    assert_eq!(roles, vec![Role::User, Role::Assistant, Role::Tool, Role::Tool, Role::User]);
}

#[test]
fn editing_a_message_branches_and_keeps_the_old_path() {
    let mut ctx = context_in(Status::Idle);
    let old_path: Vec<_> = ctx.active_path().iter().map(|m| m.id).collect();
    let first = old_path[0];
    ctx.apply(Event::EditMessage { message_id: first, content: "hello again".into() }, now()).unwrap();
    assert_eq!(ctx.active_branch(), "edit-1");
    let new_path = ctx.active_path();
    assert_eq!(new_path.len(), 1);
    assert_eq!(new_path[0].content, "hello again");
    assert_eq!(new_path[0].parent_id, None);
    reply(&mut ctx, "edited answer");
    ctx.apply(Event::SwitchBranch { branch: "main".into() }, now()).unwrap();
    let back: Vec<_> = ctx.active_path().iter().map(|m| m.id).collect();
    assert_eq!(back, old_path);
}

#[test]
fn regenerating_a_reply_adds_a_sibling_on_a_new_branch() {
    let mut ctx = context_in(Status::Idle);
    let answer = ctx.active_head().unwrap();
    let question = ctx.messages().get(answer).unwrap().parent_id;
    ctx.apply(Event::Regenerate { message_id: answer }, now()).unwrap();
    assert_eq!(ctx.active_branch(), "regen-1");
    assert_eq!(ctx.active_head(), question);
    reply(&mut ctx, "another answer");
    let sibling = ctx.active_head().unwrap();
    assert_eq!(ctx.messages().get(sibling).unwrap().parent_id, question);
    assert!(ctx.messages().contains(answer));
}

#[test]
fn editing_or_regenerating_the_wrong_kind_of_message_is_refused() {
    let mut ctx = context_in(Status::Idle);
    let answer = ctx.active_head().unwrap();
    let question = ctx.messages().get(answer).unwrap().parent_id.unwrap();
    let edit = ctx.apply(Event::EditMessage { message_id: answer, content: "x".into() }, now());
    assert!(matches!(edit, Err(FsmError::Invalid(_))));
    let regen = ctx.apply(Event::Regenerate { message_id: question }, now());
    assert!(matches!(regen, Err(FsmError::Invalid(_))));
    let missing = ctx.apply(Event::Regenerate { message_id: Uuid::new_v4() }, now());
    assert!(matches!(missing, Err(FsmError::NotFound(_))));
    let branch = ctx.apply(Event::SwitchBranch { branch: "nope".into() }, now());
    assert!(matches!(branch, Err(FsmError::NotFound(_))));
    assert!(!ctx.is_dirty());
}

#[test]
fn an_action_id_seen_before_changes_nothing() {
    let mut ctx = new_context();
    let first = ctx.apply_action(
        Event::SendMessage { attachments: Vec::new(), content: "once".into() },
        Some("act-1".into()),
        now(),
    );
    assert!(matches!(first, Ok(Applied::Done(_))));
    assert_eq!(ctx.active_path()[0].client_action_id.as_deref(), Some("act-1"));
    ctx.apply(Event::ReplyFinished { cut_off: false }, now()).unwrap();
    ctx.clear_dirty();
    let again = ctx.apply_action(
        Event::SendMessage { attachments: Vec::new(), content: "once".into() },
        Some("act-1".into()),
        now(),
    );
    assert_eq!(again, Ok(Applied::Duplicate));
    assert!(!ctx.is_dirty());
    assert_eq!(ctx.messages().len(), 2);
}

#[test]
fn non_message_actions_are_idempotent_too() {
    let mut ctx = context_in(Status::AwaitingToolApproval);
    let approve = || Event::ApproveTools { tool_call_ids: vec!["a".into()], allow_here: false };
    assert!(matches!(ctx.apply_action(approve(), Some("x".into()), now()), Ok(Applied::Done(_))));
    ctx.clear_dirty();
    assert_eq!(ctx.apply_action(approve(), Some("x".into()), now()), Ok(Applied::Duplicate));
    assert!(!ctx.is_dirty());
}

#[test]
fn a_refused_action_does_not_burn_its_id() {
    let mut ctx = context_in(Status::Streaming);
    let refused =
        ctx.apply_action(Event::SendMessage { attachments: Vec::new(), content: "x".into() }, Some("y".into()), now());
    assert!(refused.is_err());
    assert!(!ctx.has_seen_action("y"));
}

#[test]
fn a_reply_cut_at_the_length_limit_is_continued_in_the_same_message() {
    let mut ctx = new_context();
    send(&mut ctx, "tell me a story");
    ctx.apply(Event::ReplyStarted { model: "a/one".into() }, now()).unwrap();
    ctx.append_text("Once upon").unwrap();
    ctx.apply(Event::ReplyFinished { cut_off: true }, now()).unwrap();
    let cut = ctx.last_assistant().unwrap().clone();
    assert_eq!(cut.stop_reason, Some(StopReason::Length));
    assert_eq!(ctx.status(), Status::Idle);

    let t = ctx.apply(Event::Continue, now()).unwrap();
    assert_eq!((t.to, t.effect), (Status::Processing, Some(Effect::StartGeneration)));
    ctx.apply(Event::ReplyStarted { model: "a/one".into() }, now()).unwrap();
    let (id, seq) = ctx.append_text(" a time.").unwrap();
    assert_eq!(id, cut.id, "the same message grows");
    assert_eq!(seq, 2, "its deltas number on from where they were");
    ctx.apply(Event::ReplyFinished { cut_off: false }, now()).unwrap();
    let done = ctx.last_assistant().unwrap();
    assert_eq!(done.content, "Once upon a time.");
    assert_eq!(done.stop_reason, None);
    assert!(done.complete);
    assert_eq!(ctx.active_path().len(), 2, "no new message");
}

#[test]
fn only_a_reply_stopped_at_the_length_limit_can_be_continued() {
    let mut ctx = context_in(Status::Idle);
    let err = ctx.apply(Event::Continue, now()).unwrap_err();
    assert!(matches!(err, FsmError::Conflict(_)), "{err:?}");
    assert!(!ctx.is_dirty());
}

#[test]
fn a_continued_reply_that_fails_is_closed_as_failed() {
    let mut ctx = new_context();
    send(&mut ctx, "hi");
    ctx.apply(Event::ReplyStarted { model: "a/one".into() }, now()).unwrap();
    ctx.append_text("part").unwrap();
    ctx.apply(Event::ReplyFinished { cut_off: true }, now()).unwrap();
    ctx.apply(Event::Continue, now()).unwrap();
    ctx.apply(Event::GenerationFailed { error: "down".into() }, now()).unwrap();
    let head = ctx.last_assistant().unwrap();
    assert!(head.complete);
    assert_eq!(head.stop_reason, Some(StopReason::Failed));
}

#[test]
fn reasoning_is_kept_apart_from_the_answer_with_its_own_sequence() {
    let mut ctx = new_context();
    send(&mut ctx, "think hard");
    ctx.apply(Event::ReplyStarted { model: "a/r1".into() }, now()).unwrap();
    assert_eq!(ctx.append_reasoning("Let me ").unwrap().1, 1);
    assert_eq!(ctx.append_reasoning("see.").unwrap().1, 2);
    assert_eq!(ctx.append_text("Answer").unwrap().1, 1);
    ctx.apply(Event::ReplyFinished { cut_off: false }, now()).unwrap();
    let reply = ctx.last_assistant().unwrap();
    assert_eq!(reply.reasoning.as_deref(), Some("Let me see."));
    assert_eq!(reply.content, "Answer");
    assert_eq!(reply.model.as_deref(), Some("a/r1"));
}

#[test]
fn settings_change_between_replies_and_never_during_one() {
    let patch = SettingsPatch { model: Some("b/two".into()), ..SettingsPatch::default() };
    for status in Status::ALL {
        let mut ctx = context_in(status);
        let result = ctx.apply(Event::UpdateSettings { patch: patch.clone() }, now());
        if status.is_busy() {
            assert!(matches!(result, Err(FsmError::NotAllowed { .. })), "{status}: {result:?}");
            assert_eq!(ctx.settings().model, None);
        } else {
            let t = result.unwrap();
            assert_eq!(t.to, status, "the status stays");
            assert_eq!(t.effect, None);
            assert_eq!(ctx.settings().model.as_deref(), Some("b/two"));
        }
    }
}

fn screenshot() -> confab_core::Attachment {
    confab_core::Attachment {
        id: Uuid::new_v4(),
        name: "screenshot.png".into(),
        media_type: "image/png".into(),
        size: 1234,
        prompt_tokens: 255,
    }
}

#[test]
fn a_file_alone_is_a_message_and_names_the_conversation() {
    let mut ctx = new_context();
    let empty = ctx.apply(Event::SendMessage { attachments: Vec::new(), content: "  ".into() }, now());
    assert!(matches!(empty, Err(FsmError::Invalid(_))), "no words and no file: refused");
    let file = screenshot();
    ctx.apply(Event::SendMessage { attachments: vec![file.clone()], content: String::new() }, now()).unwrap();
    assert_eq!(ctx.active_path()[0].attachments, vec![file]);
    assert_eq!(ctx.title(), "screenshot.png");
}

#[test]
fn an_edit_keeps_the_files_of_the_message_it_replaces() {
    let mut ctx = new_context();
    let file = screenshot();
    ctx.apply(Event::SendMessage { attachments: vec![file.clone()], content: "what is this?".into() }, now()).unwrap();
    reply(&mut ctx, "a screenshot");
    let first = ctx.active_path()[0].id;
    ctx.apply(Event::EditMessage { message_id: first, content: "what is in this?".into() }, now()).unwrap();
    let edited = &ctx.active_path()[0];
    assert_eq!((edited.content.as_str(), &edited.attachments), ("what is in this?", &vec![file]));
}
