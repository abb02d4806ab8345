//! Property tests (fuzzing) of the state machine: any sequence of events, well-formed or not,
//! never panics, never breaks the context's invariants, and a refused event changes nothing.

use chrono::{TimeZone, Utc};
use confab_core::{
    targets, Approval, ChatContext, Event, FsmError, Message, MessageId, Role, SettingsPatch, Status, Timestamp,
    ToolCallRequest,
};
use proptest::prelude::*;
use uuid::Uuid;

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// An event, described independently of the context so proptest can shrink it; ids are
/// picked from the context when it is applied.
#[derive(Debug, Clone)]
enum Step {
    Send(String),
    Edit(usize, String),
    Regenerate(usize),
    Switch(usize),
    Approve(Vec<usize>),
    Deny(Vec<usize>),
    Cancel,
    Retry,
    ReplyStarted,
    Text(String),
    ToolCalls(Vec<String>),
    ReplyFinished,
    CutOff,
    Continue,
    Settings(Option<f32>),
    Failed,
    ToolFinished(usize, bool),
    ToolsFinished,
    Interrupted,
}

fn step() -> impl Strategy<Value = Step> {
    let text = "[ a-z]{0,6}";
    prop_oneof![
        text.prop_map(Step::Send),
        (0..8usize, text).prop_map(|(i, t)| Step::Edit(i, t)),
        (0..8usize).prop_map(Step::Regenerate),
        (0..4usize).prop_map(Step::Switch),
        prop::collection::vec(0..4usize, 0..3).prop_map(Step::Approve),
        prop::collection::vec(0..4usize, 0..3).prop_map(Step::Deny),
        Just(Step::Cancel),
        Just(Step::Retry),
        Just(Step::ReplyStarted),
        text.prop_map(Step::Text),
        prop::collection::vec("c[0-3]", 0..3).prop_map(Step::ToolCalls),
        Just(Step::ReplyFinished),
        Just(Step::CutOff),
        Just(Step::Continue),
        prop::option::of(-1.0f32..3.0).prop_map(Step::Settings),
        Just(Step::Failed),
        (0..4usize, any::<bool>()).prop_map(|(i, ok)| Step::ToolFinished(i, ok)),
        Just(Step::ToolsFinished),
        Just(Step::Interrupted),
    ]
}

fn nth_message(ctx: &ChatContext, n: usize) -> MessageId {
    let all: Vec<_> = ctx.messages().iter().map(|m| m.id).collect();
    if all.is_empty() {
        Uuid::nil()
    } else {
        all[n % all.len()]
    }
}

fn call_ids(ctx: &ChatContext, picks: &[usize]) -> Vec<String> {
    let calls: Vec<String> =
        ctx.last_assistant().map(|m| m.tool_calls.iter().map(|c| c.id.clone()).collect()).unwrap_or_default();
    picks.iter().map(|&i| calls.get(i).cloned().unwrap_or_else(|| format!("ghost-{i}"))).collect()
}

/// Applies a step; `Text` is the streaming path, the others are events.
fn apply(ctx: &mut ChatContext, step: &Step) -> Result<(), FsmError> {
    let event = match step {
        Step::Text(text) => return ctx.append_text(text).map(|_| ()),
        Step::Send(text) => Event::SendMessage { attachments: Vec::new(), content: text.clone() },
        Step::Edit(n, text) => Event::EditMessage { message_id: nth_message(ctx, *n), content: text.clone() },
        Step::Regenerate(n) => Event::Regenerate { message_id: nth_message(ctx, *n) },
        Step::Switch(n) => Event::SwitchBranch {
            branch: ctx.branches().get(*n).map(|b| b.name.clone()).unwrap_or_else(|| "nope".into()),
        },
        Step::Approve(picks) => Event::ApproveTools { tool_call_ids: call_ids(ctx, picks), allow_here: false },
        Step::Deny(picks) => Event::DenyTools { tool_call_ids: call_ids(ctx, picks), reason: None },
        Step::Cancel => Event::Cancel,
        Step::Retry => Event::Retry,
        Step::ReplyStarted => Event::ReplyStarted { model: "test/model".into() },
        Step::ToolCalls(ids) => Event::ToolCallsRequested {
            calls: ids
                .iter()
                .map(|id| ToolCallRequest {
                    id: id.clone(),
                    name: "calculator".into(),
                    arguments: serde_json::json!({}),
                })
                .collect(),
        },
        Step::ReplyFinished => Event::ReplyFinished { cut_off: false },
        Step::CutOff => Event::ReplyFinished { cut_off: true },
        Step::Continue => Event::Continue,
        Step::Settings(temperature) => Event::UpdateSettings {
            patch: SettingsPatch { temperature: Some(*temperature), ..SettingsPatch::default() },
        },
        Step::Failed => Event::GenerationFailed { error: "boom".into() },
        Step::ToolFinished(i, ok) => Event::ToolFinished {
            tool_call_id: call_ids(ctx, &[*i]).remove(0),
            output: if *ok { Ok("42".into()) } else { Err("nope".into()) },
        },
        Step::ToolsFinished => Event::ToolsFinished,
        Step::Interrupted => Event::Interrupted,
    };
    let from = ctx.status();
    let kind = event.kind();
    let transition = ctx.apply(event, now())?;
    assert!(targets(from, kind).contains(&transition.to), "{kind} from {from} to {}", transition.to);
    Ok(())
}

/// What must hold after every step.
fn check_invariants(ctx: &ChatContext) {
    let messages: Vec<Message> = ctx.messages().iter().cloned().collect();
    assert!(ChatContext::from_parts(ctx.row().clone(), messages).is_some(), "the tree and branches stay valid");
    let last = ctx.last_assistant();
    let pending = last.map(|m| m.tool_calls.iter().filter(|c| c.approval == Approval::Pending).count()).unwrap_or(0);
    match ctx.status() {
        Status::Streaming => assert!(ctx.streaming_message().is_some(), "streaming has a message to stream into"),
        Status::AwaitingToolApproval => assert!(pending > 0, "awaiting approval means something is pending"),
        Status::ExecutingTools => assert_eq!(pending, 0),
        Status::Idle => assert!(ctx.streaming_message().is_none()),
        _ => {}
    }
    if ctx.status() != Status::Streaming {
        // While processing, the head may be a reply about to be continued.
        let path = ctx.active_path();
        let settled = match ctx.status() {
            Status::Processing => &path[..path.len().saturating_sub(1)],
            _ => &path[..],
        };
        assert!(
            settled.iter().all(|m| m.complete || m.role != Role::Assistant),
            "only a streaming or continued reply is incomplete"
        );
    }
    if let Some(t) = ctx.settings().temperature {
        assert!((0.0..=2.0).contains(&t), "temperature {t} out of range");
    }
    assert!(ctx.last_error().is_some() == (ctx.status() == Status::Failed), "an error exactly when failed");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_of_events_keeps_the_context_sound(steps in prop::collection::vec(step(), 0..40)) {
        let mut ctx = ChatContext::new(Uuid::new_v4(), Uuid::new_v4(), None, now());
        for step in &steps {
            ctx.clear_dirty();
            let row = ctx.row().clone();
            let messages: Vec<Message> = ctx.messages().iter().cloned().collect();
            if apply(&mut ctx, step).is_err() {
                prop_assert!(!ctx.is_dirty(), "a refused {step:?} marked the context dirty");
                prop_assert_eq!(ctx.row(), &row);
                prop_assert_eq!(ctx.messages().iter().cloned().collect::<Vec<_>>(), messages);
            } else {
                prop_assert!(ctx.is_dirty(), "{:?} changed nothing it would save", step);
            }
            check_invariants(&ctx);
        }
    }
}
