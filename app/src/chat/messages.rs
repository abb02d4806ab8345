//! One message of each kind, a pending send, and the approval cards.

use leptos::html;
use leptos::prelude::*;
use uuid::Uuid;

use super::model::PendingAction;
use super::outbox;
use super::store::ChatStore;
use crate::markdown;
use crate::wire::{Action, MessageDTO, MessageRole, StopReason, ToolApproval, ToolCallDTO};

#[component]
pub fn MessageItem(store: ChatStore, id: Uuid) -> impl IntoView {
    let message = Memo::new(move |_| store.model.with(|m| m.message(id).cloned()));
    let window_starts_here = Memo::new(move |_| {
        store.model.with(|m| m.state.as_ref().and_then(|s| s.context.context_window_start) == Some(id))
    });
    // What the item is drawn from. A reply being written stands in it for its text only by
    // whether it has any, so a streamed token redraws the growing text, not the item.
    let frame = Memo::new(move |_| {
        message.get().map(|mut m| {
            if !m.complete {
                m.content = if m.content.is_empty() { String::new() } else { "…".into() };
                m.reasoning = m.reasoning.map(|r| if r.is_empty() { r } else { "…".into() });
                (m.stream_seq, m.reasoning_seq) = (0, 0);
            }
            m
        })
    });
    // Outlives the re-renders of a reply, so an opened reasoning stays open.
    let reasoning_open = RwSignal::new(false);
    let item = move || {
        frame.get().map(|m| match m.role {
            MessageRole::User => view! { <UserMessage store message=m/> }.into_any(),
            MessageRole::Assistant => {
                view! { <AssistantMessage store message=m live=message reasoning_open/> }.into_any()
            }
            MessageRole::Tool => view! { <ToolMessage store message=m/> }.into_any(),
            MessageRole::System => view! {
                <li class="message system" data-role="system" data-message-id=id.to_string()><p>{m.content}</p></li>
            }
            .into_any(),
        })
    };
    view! {
        <Show when=move || window_starts_here.get()>
            <li class="window-divider" role="separator">"Earlier messages are not sent to the model"</li>
        </Show>
        {item}
    }
}

#[component]
fn UserMessage(store: ChatStore, message: MessageDTO) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(message.content.clone());
    let idle = move || store.model.with(|m| m.accepts_messages());
    let id = message.id;
    let save = move |_| {
        let content = draft.get_untracked();
        if content.trim().is_empty() {
            return;
        }
        editing.set(false);
        outbox::dispatch(store, Action::edit_message(id, content), "Edit".into());
    };
    let text = message.content.clone();
    let files = crate::attachments::sent_files(message.attachments.clone(), |file| file.url());
    let edit_box = NodeRef::<html::Textarea>::new();
    // Up in an empty composer asks for this message: open it for editing, the cursor at
    // its end.
    Effect::new(move |_| {
        if store.edit_request.get() == Some(id) {
            store.edit_request.set(None);
            editing.set(true);
        }
    });
    Effect::new(move |_| {
        if editing.get() {
            if let Some(textarea) = edit_box.get() {
                let _ = textarea.focus();
                let end = textarea.value().encode_utf16().count() as u32;
                let _ = textarea.set_selection_range(end, end);
            }
        }
    });
    let on_edit_key = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" {
            // Esc leaves the edit (and stops nothing else).
            event.stop_propagation();
            editing.set(false);
            crate::browser::focus("composer-input");
        }
    };
    view! {
        <li class="message user" data-role="user" data-message-id=id.to_string()>
            <Show
                when=move || editing.get()
                fallback=move || {
                    (!text.is_empty()).then(|| view! { <div class="bubble">{text.clone()}</div> })
                }
            >
                <div class="edit-box">
                    <textarea
                        aria-label="Edit your message"
                        bind:value=draft
                        rows="3"
                        node_ref=edit_box
                        on:keydown=on_edit_key
                    ></textarea>
                    <div class="edit-actions">
                        <button class="small primary" on:click=save>"Save and answer"</button>
                        <button class="small quiet" on:click=move |_| editing.set(false)>"Cancel"</button>
                    </div>
                </div>
            </Show>
            {files}
            <div class="message-tools">
                <SiblingSwitcher store message=message.clone()/>
                <super::copy::CopyButton text=message.content.clone()/>
                <button
                    class="icon"
                    aria-label="Edit message"
                    title="Edit (answers again on a new branch)"
                    disabled=move || !idle()
                    on:click=move |_| editing.set(true)
                >
                    "✎"
                </button>
            </div>
        </li>
    }
}

/// A reply's reasoning, collapsed: "Thought for 12 s". `live` is the message as it grows.
#[component]
fn Reasoning(message: MessageDTO, live: Memo<Option<MessageDTO>>, open: RwSignal<bool>) -> impl IntoView {
    let thinking = !message.complete && message.content.is_empty();
    let label = match message.timing.and_then(|t| t.reasoning_ms) {
        _ if thinking => "Thinking…".to_string(),
        Some(ms) if ms >= 1000 => format!("Thought for {} s", (ms + 500) / 1000),
        Some(_) => "Thought for a moment".to_string(),
        None => "Reasoning".to_string(),
    };
    let text = move || live.with(|m| m.as_ref().and_then(|m| m.reasoning.clone()).unwrap_or_default());
    view! {
        <details class="reasoning" prop:open=move || open.get() on:toggle=move |event| {
            open.set(event_target::<leptos::web_sys::HtmlDetailsElement>(&event).open());
        }>
            <summary>{label}</summary>
            <div class="reasoning-text">{text}</div>
        </details>
    }
}

/// The text of a reply being written: its settled blocks drawn once each, the rest again
/// at every token (see [`markdown::Growing`]).
#[component]
fn GrowingMarkdown(live: Memo<Option<MessageDTO>>) -> impl IntoView {
    let growing = StoredValue::new(markdown::Growing::default());
    let rest = Memo::new(move |_| {
        live.with(|m| {
            let text = m.as_ref().map_or("", |m| m.content.as_str());
            growing.try_update_value(|g| g.update(text)).unwrap_or_default()
        })
    });
    let settled = Memo::new(move |_| {
        rest.with(|_| ());
        growing.with_value(|g| (g.generation(), g.settled().len()))
    });
    let html_of = move |index: usize| growing.with_value(|g| g.settled().get(index).map(|b| b.html.clone()));
    // A block that settles keeps its HTML: its math is drawn then, once it is on the page.
    let bubble = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        settled.with(|_| ());
        request_animation_frame(move || {
            if let Some(element) = bubble.get_untracked() {
                super::math::typeset_within(&element);
            }
        });
    });
    view! {
        <div class="bubble markdown" node_ref=bubble>
            <For each=move || { let (generation, count) = settled.get(); (0..count).map(move |i| (generation, i)) } key=|key| *key let:key>
                <div class="md-block" inner_html=html_of(key.1)></div>
            </For>
            <div class="md-block" inner_html=move || rest.get()></div>
        </div>
    }
}

/// Which model wrote a reply, what it cost, how fast: one quiet line.
fn reply_meta(message: &MessageDTO) -> Option<String> {
    let model = message.model.as_deref()?;
    let mut parts = vec![model.split_once('/').map_or(model, |(_, name)| name).to_string()];
    if let Some(usage) = message.usage {
        parts.push(format!("{} tokens", usage.completion_tokens));
    }
    if let Some(timing) = message.timing.filter(|t| t.tokens_per_second > 0.0) {
        parts.push(format!("{} tok/s", timing.tokens_per_second.round() as u64));
    }
    Some(parts.join(" · "))
}

/// The reply's figures in full, for the meta line's tooltip.
fn reply_details(message: &MessageDTO) -> String {
    let mut parts = vec![message.model.clone().unwrap_or_default()];
    if let Some(usage) = message.usage {
        parts.push(format!("{} prompt + {} reply tokens", usage.prompt_tokens, usage.completion_tokens));
    }
    if let Some(timing) = message.timing {
        parts.push(format!("first token after {} ms", timing.first_token_ms));
    }
    parts.join(" · ")
}

#[component]
fn AssistantMessage(
    store: ChatStore,
    message: MessageDTO,
    live: Memo<Option<MessageDTO>>,
    reasoning_open: RwSignal<bool>,
) -> impl IntoView {
    let id = message.id;
    let has_reasoning = message.reasoning.as_deref().is_some_and(|r| !r.is_empty());
    let meta = message.complete.then(|| reply_meta(&message)).flatten();
    let model_title = reply_details(&message);
    let cut_off = message.stop_reason == Some(StopReason::Length);
    let is_last = move || store.model.with(|m| m.window().last().map(|l| l.id)) == Some(id);
    let continue_reply = move |_| outbox::dispatch(store, Action::continue_reply(), "Continue".into());
    let streaming = !message.complete;
    // A finished reply is rendered whole, once; one being written a block at a time.
    let text = if streaming {
        view! { <GrowingMarkdown live/> }.into_any()
    } else {
        view! { <div class="bubble markdown" inner_html=markdown::to_html(&message.content)></div> }.into_any()
    };
    let copied = move || live.with_untracked(|m| m.as_ref().map(|m| m.content.clone()).unwrap_or_default());
    let stopped = message.stop_reason.map(|reason| match reason {
        StopReason::Cancelled => "Stopped.",
        StopReason::Interrupted => "Interrupted by a server restart.",
        StopReason::Failed => "The model stopped with an error.",
        StopReason::Length => "Stopped at the length limit.",
        StopReason::Unknown => "The reply stopped early.",
    });
    let idle = move || store.model.with(|m| m.accepts_messages());
    let regenerate = move |_| outbox::dispatch(store, Action::regenerate(id), "Regenerate".into());
    let calls = message.tool_calls.clone();
    view! {
        <li class="message assistant" data-role="assistant" data-message-id=id.to_string() class:streaming=streaming>
            {has_reasoning.then(|| view! { <Reasoning message=message.clone() live open=reasoning_open/> })}
            {text}
            {streaming.then(|| view! { <span class="cursor" aria-label="writing"></span> })}
            {(!calls.is_empty()).then(|| view! {
                <ul class="tool-calls">
                    {calls.into_iter().map(|call| view! { <ToolCallChip call/> }).collect_view()}
                </ul>
            })}
            {stopped.map(|text| view! {
                <p class="stopped">
                    {text}
                    {cut_off.then(|| view! {
                        <Show when=move || is_last() && idle()>
                            <button class="small" on:click=continue_reply>"Continue"</button>
                        </Show>
                    })}
                </p>
            })}
            {meta.map(|meta| view! { <p class="reply-meta" title=model_title.clone()>{meta}</p> })}
            <div class="message-tools">
                <SiblingSwitcher store message=message.clone()/>
                <super::copy::CopyButton text=Signal::derive(copied)/>
                <button
                    class="icon"
                    aria-label="Regenerate reply"
                    title="Regenerate (on a new branch)"
                    disabled=move || !idle() || streaming
                    on:click=regenerate
                >
                    "↻"
                </button>
            </div>
        </li>
    }
}

#[component]
fn ToolCallChip(call: ToolCallDTO) -> impl IntoView {
    let state = match (call.approval, &call.result, &call.error) {
        (_, Some(_), _) => "done",
        (ToolApproval::Denied, _, _) => "denied",
        (_, _, Some(_)) => "failed",
        (ToolApproval::Approved, _, _) => "approved",
        (ToolApproval::Pending, _, _) => "pending",
    };
    view! {
        <li class="tool-call" data-state=state>
            <code>{call.name}</code>
            " "
            <span class="tool-state">{state}</span>
        </li>
    }
}

#[component]
fn ToolMessage(store: ChatStore, message: MessageDTO) -> impl IntoView {
    let call_id = message.tool_call_id.clone().unwrap_or_default();
    let name = store.model.with_untracked(|m| {
        m.state
            .as_ref()
            .and_then(|s| {
                s.context
                    .messages
                    .iter()
                    .flat_map(|m| m.tool_calls.iter())
                    .find(|c| c.id == call_id)
                    .map(|c| c.name.clone())
            })
            .unwrap_or_else(|| "tool".into())
    });
    view! {
        <li class="message tool" data-role="tool" data-message-id=message.id.to_string()>
            <details class="tool-result">
                <summary>"Result of " <code>{name}</code></summary>
                <pre>{message.content}</pre>
            </details>
        </li>
    }
}

/// `< 2/3 >` between the messages that share this one's parent.
#[component]
fn SiblingSwitcher(store: ChatStore, message: MessageDTO) -> impl IntoView {
    let siblings = message.siblings.clone();
    if siblings.len() < 2 {
        return ().into_any();
    }
    let position = siblings.iter().position(|s| s.message_id == message.id).unwrap_or(0);
    let total = siblings.len();
    let target = move |offset: isize| {
        let index = position as isize + offset;
        (0..total as isize).contains(&index).then(|| siblings[index as usize].branch.clone()).flatten()
    };
    let (previous, next) = (target(-1), target(1));
    let idle = move || store.model.with(|m| m.accepts_messages());
    let switch = move |branch: Option<String>| {
        move |_| {
            if let Some(branch) = branch.clone() {
                outbox::dispatch(store, Action::switch_branch(branch), "Switch branch".into());
            }
        }
    };
    let (has_previous, has_next) = (previous.is_some(), next.is_some());
    view! {
        <span class="siblings" role="group" aria-label="Versions of this message">
            <button class="icon" aria-label="Previous version" disabled=move || !has_previous || !idle() on:click=switch(previous)>
                "‹"
            </button>
            <span class="sibling-count">{format!("{}/{}", position + 1, total)}</span>
            <button class="icon" aria-label="Next version" disabled=move || !has_next || !idle() on:click=switch(next)>
                "›"
            </button>
        </span>
    }
    .into_any()
}

#[component]
pub fn PendingMessage(store: ChatStore, action: PendingAction) -> impl IntoView {
    let id = action.client_action_id.clone();
    let dismiss_id = id.clone();
    let note = match (&action.error, action.queued) {
        (Some(error), _) => error.clone(),
        (None, true) => "Waiting to send…".to_string(),
        (None, false) => "Sending…".to_string(),
    };
    let failed = action.error.is_some();
    view! {
        <li class="message user pending" data-role="user" data-pending="true" class:failed=failed>
            <div class="bubble">{action.label.clone()}</div>
            <p class="pending-note" role=if failed { "alert" } else { "status" }>
                {note}
                {failed.then(|| view! {
                    <button class="small" on:click=move |_| outbox::retry(store, &id)>"Retry"</button>
                    <button class="small quiet" on:click=move |_| outbox::dismiss(store, &dismiss_id)>"Discard"</button>
                })}
            </p>
        </li>
    }
}
