//! One event stream per browser, not per tab. Browsers allow six connections per host over
//! HTTP/1.1 and each EventSource holds one, so with a stream per tab a seventh tab never
//! loads. Instead the tabs elect a leader with the Web Locks API; the leader holds the one
//! per-user stream (`/api/events?contexts=...`) for every conversation any tab has open and
//! passes each event to the others over a BroadcastChannel. When the leader closes, the lock
//! goes to another tab, which asks the rest what they have open and opens the stream again.
//!
//! Messages on the channel are JSON: `open`/`close` (a tab and a conversation), `hello` (a
//! new leader asks), `event` (a server-sent event: name and data), `status` (the stream is
//! live or failing).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, EventSource, MessageEvent};

use crate::browser::{self, debug_log};
use crate::patch::WINDOW;

const CHANNEL: &str = "confab-live";
const LOCK: &str = "confab-live-leader";
/// How long the leader waits before connecting again after the stream could not connect.
const RETRY_MS: u32 = 5_000;
const EVENTS: [&str; 6] = ["snapshot", "state", "patch", "delta", "reasoning", "contexts"];

/// What a tab hears about one conversation.
#[derive(Clone, Copy)]
pub enum Heard<'a> {
    Event {
        name: &'a str,
        data: &'a str,
    },
    /// The stream is live.
    Live,
    /// The stream failed; the browser or the leader tries again.
    Failing,
}

pub type Listener = Rc<dyn Fn(Heard<'_>)>;

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "SaidFields")]
enum Said {
    Open { tab: String, context: Uuid },
    Close { tab: String, context: Uuid },
    Hello,
    Event { name: String, data: String },
    Status { live: bool },
}

/// [`Said`] as it is read: every field any kind has. serde's reader of a `kind`-tagged enum
/// buffers the whole message first, with code the page's wasm would carry for it.
#[derive(Deserialize)]
struct SaidFields {
    kind: String,
    tab: Option<String>,
    context: Option<Uuid>,
    name: Option<String>,
    data: Option<String>,
    live: Option<bool>,
}

impl TryFrom<SaidFields> for Said {
    type Error = String;

    fn try_from(fields: SaidFields) -> Result<Self, String> {
        let missing = |field: &str| format!("a `{}` message without `{field}`", fields.kind);
        Ok(match fields.kind.as_str() {
            "open" | "close" => {
                let tab = fields.tab.ok_or_else(|| missing("tab"))?;
                let context = fields.context.ok_or_else(|| missing("context"))?;
                if fields.kind == "open" {
                    Said::Open { tab, context }
                } else {
                    Said::Close { tab, context }
                }
            }
            "hello" => Said::Hello,
            "event" => Said::Event {
                name: fields.name.ok_or_else(|| missing("name"))?,
                data: fields.data.ok_or_else(|| missing("data"))?,
            },
            "status" => Said::Status { live: fields.live.ok_or_else(|| missing("live"))? },
            other => return Err(format!("an unknown kind of message `{other}`")),
        })
    }
}

/// Just enough of an event's data to route it.
#[derive(Deserialize)]
struct Routed {
    context_id: Option<Uuid>,
}

type Callback = Closure<dyn FnMut(web_sys::Event)>;

struct Hub {
    tab: String,
    channel: BroadcastChannel,
    /// This tab's listeners, by conversation.
    local: RefCell<HashMap<Uuid, Vec<(u64, Listener)>>>,
    next_key: Cell<u64>,
    /// Set in the leader tab only.
    leader: RefCell<Option<Leader>>,
    _on_message: Callback,
}

#[derive(Default)]
struct Leader {
    /// Which tabs have each conversation open. (Hashed, not ordered: the page's wasm has
    /// hash maps anyway, and ordered ones only here.)
    wanted: HashMap<Uuid, HashSet<String>>,
    source: Option<EventSource>,
    callbacks: Vec<Callback>,
    /// The conversations the open stream carries.
    carried: Vec<Uuid>,
    reopen_pending: bool,
}

impl Leader {
    /// The conversations wanted, in one order, to compare with those carried.
    fn wanted_ids(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.wanted.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

thread_local! {
    static HUB: RefCell<Option<Rc<Hub>>> = const { RefCell::new(None) };
}

/// Whether this browser can share one stream between tabs.
pub fn available() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let has = |target: &JsValue, name: &str| {
        js_sys::Reflect::get(target, &name.into()).is_ok_and(|value| !value.is_undefined() && !value.is_null())
    };
    has(&window, "BroadcastChannel") && has(&window.navigator(), "locks")
}

/// Listens to a conversation's events until the returned value is dropped.
pub struct Subscription {
    context: Uuid,
    key: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let Some(hub) = hub() else { return };
        let now_empty = {
            let mut local = hub.local.borrow_mut();
            let listeners = local.entry(self.context).or_default();
            listeners.retain(|(key, _)| *key != self.key);
            let empty = listeners.is_empty();
            if empty {
                local.remove(&self.context);
            }
            empty
        };
        if now_empty {
            hub.say_and_hear(Said::Close { tab: hub.tab.clone(), context: self.context });
        }
    }
}

/// Listens to the conversation list's changes (`contexts` events) until the returned value
/// is dropped. The list goes by the nil id: no conversation has it.
pub fn subscribe_list(listener: Listener) -> Option<Subscription> {
    subscribe(Uuid::nil(), listener)
}

pub fn subscribe(context: Uuid, listener: Listener) -> Option<Subscription> {
    let hub = hub()?;
    let key = hub.next_key.get() + 1;
    hub.next_key.set(key);
    let first = {
        let mut local = hub.local.borrow_mut();
        let listeners = local.entry(context).or_default();
        listeners.push((key, listener));
        listeners.len() == 1
    };
    if first {
        hub.say_and_hear(Said::Open { tab: hub.tab.clone(), context });
    }
    Some(Subscription { context, key })
}

fn hub() -> Option<Rc<Hub>> {
    if let Some(hub) = HUB.with(|hub| hub.borrow().clone()) {
        return Some(hub);
    }
    if !available() {
        return None;
    }
    let channel = BroadcastChannel::new(CHANNEL).ok()?;
    let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let Some(text) = event.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) else { return };
        let Ok(said) = serde_json::from_str::<Said>(&text) else { return };
        if let Some(hub) = HUB.with(|hub| hub.borrow().clone()) {
            hub.hear(said);
        }
    });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let hub = Rc::new(Hub {
        tab: browser::new_action_id(),
        channel,
        local: RefCell::new(HashMap::new()),
        next_key: Cell::new(0),
        leader: RefCell::new(None),
        _on_message: on_message,
    });
    HUB.with(|slot| *slot.borrow_mut() = Some(hub.clone()));
    request_leadership();
    Some(hub)
}

/// Waits in line for the lock; holds it (a promise that never settles) until the tab goes.
fn request_leadership() {
    let granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        if let Some(hub) = HUB.with(|hub| hub.borrow().clone()) {
            hub.become_leader();
        }
        js_sys::Promise::new(&mut |_, _| {}).into()
    });
    let request = web_sys::window().and_then(|window| {
        let locks = js_sys::Reflect::get(&window.navigator(), &"locks".into()).ok()?;
        let request = js_sys::Reflect::get(&locks, &"request".into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
        request.call2(&locks, &LOCK.into(), &granted).ok()
    });
    if request.is_none() {
        debug_log!("live", "no lock manager: this tab leads alone");
        if let Some(hub) = HUB.with(|hub| hub.borrow().clone()) {
            hub.become_leader();
        }
    }
}

impl Hub {
    /// Tells the other tabs, and this one's leader part.
    fn say_and_hear(self: &Rc<Self>, said: Said) {
        if let Ok(text) = serde_json::to_string(&said) {
            let _ = self.channel.post_message(&JsValue::from_str(&text));
        }
        self.hear(said);
    }

    fn hear(self: &Rc<Self>, said: Said) {
        match said {
            Said::Event { name, data } => self.dispatch(&name, &data),
            Said::Status { live } => self.tell_all(if live { Heard::Live } else { Heard::Failing }),
            Said::Hello => {
                let contexts: Vec<Uuid> = self.local.borrow().keys().copied().collect();
                for context in contexts {
                    self.say_and_hear(Said::Open { tab: self.tab.clone(), context });
                }
            }
            Said::Open { tab, context } => {
                self.lead(|leader| leader.wanted.entry(context).or_default().insert(tab));
                // A tab that just came tells whether the stream is live from this.
                if self.stream_is_open() {
                    self.say_and_hear(Said::Status { live: true });
                }
            }
            Said::Close { tab, context } => self.lead(|leader| {
                let set = leader.wanted.entry(context).or_default();
                set.remove(&tab);
                if set.is_empty() {
                    leader.wanted.remove(&context);
                }
                true
            }),
        }
    }

    /// Changes what the leader wants, if this tab leads, and opens the stream again soon
    /// when the set of conversations changed.
    fn lead(self: &Rc<Self>, change: impl FnOnce(&mut Leader) -> bool) {
        let schedule = {
            let mut leader = self.leader.borrow_mut();
            let Some(leader) = leader.as_mut() else { return };
            change(leader);
            let differs = leader.wanted_ids() != leader.carried && !leader.reopen_pending;
            if differs {
                leader.reopen_pending = true;
            }
            differs
        };
        if schedule {
            let hub = self.clone();
            // A few opens at once (a new leader hears every tab) make one stream.
            leptos::task::spawn_local(async move {
                browser::sleep_ms(30).await;
                hub.reopen();
            });
        }
    }

    fn become_leader(self: &Rc<Self>) {
        debug_log!("live", "this tab now holds the stream for the browser");
        let mine: Vec<Uuid> = self.local.borrow().keys().copied().collect();
        let mut leader = Leader::default();
        for context in mine {
            leader.wanted.entry(context).or_default().insert(self.tab.clone());
        }
        *self.leader.borrow_mut() = Some(leader);
        self.say_and_hear(Said::Hello);
        self.lead(|_| true);
    }

    fn reopen(self: &Rc<Self>) {
        let mut guard = self.leader.borrow_mut();
        let Some(leader) = guard.as_mut() else { return };
        leader.reopen_pending = false;
        if let Some(source) = leader.source.take() {
            source.close();
        }
        leader.callbacks.clear();
        leader.carried = leader.wanted_ids();
        if leader.carried.is_empty() {
            return;
        }
        let ids: Vec<String> = leader.carried.iter().filter(|id| !id.is_nil()).map(Uuid::to_string).collect();
        let url = if ids.is_empty() {
            format!("/api/events?live=patch&window={WINDOW}")
        } else {
            format!("/api/events?contexts={}&live=patch&window={WINDOW}", ids.join(","))
        };
        let Ok(source) = EventSource::new(&url) else { return };
        debug_log!("live", "connecting {url}");
        for name in EVENTS {
            let hub = self.clone();
            let callback = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                let Some(data) = event.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) else { return };
                hub.say_and_hear(Said::Event { name: name.to_string(), data });
            });
            let _ = source.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
            leader.callbacks.push(callback);
        }
        let hub = self.clone();
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| hub.say_and_hear(Said::Status { live: true }));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        leader.callbacks.push(on_open);
        // The browser reconnects by itself (resuming with Last-Event-ID); meanwhile the tabs
        // poll.
        let hub = self.clone();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            hub.say_and_hear(Said::Status { live: false });
            // A stream that could not connect at all is not retried by the browser.
            if hub.stream_is_closed() {
                let hub = hub.clone();
                leptos::task::spawn_local(async move {
                    browser::sleep_ms(RETRY_MS).await;
                    if hub.stream_is_closed() {
                        hub.reopen();
                    }
                });
            }
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        leader.callbacks.push(on_error);
        leader.source = Some(source);
    }

    fn stream_is_closed(&self) -> bool {
        let leader = self.leader.borrow();
        let source = leader.as_ref().and_then(|leader| leader.source.as_ref());
        source.is_some_and(|source| source.ready_state() == EventSource::CLOSED)
    }

    fn stream_is_open(&self) -> bool {
        let leader = self.leader.borrow();
        let source = leader.as_ref().and_then(|leader| leader.source.as_ref());
        source.is_some_and(|source| source.ready_state() == EventSource::OPEN)
    }

    fn dispatch(&self, name: &str, data: &str) {
        // A `contexts` event names no conversation: it goes to the list's listeners.
        let Ok(Routed { context_id }) = serde_json::from_str::<Routed>(data) else { return };
        let context = context_id.unwrap_or(Uuid::nil());
        let listeners: Vec<Listener> =
            self.local.borrow().get(&context).map(|l| l.iter().map(|(_, f)| f.clone()).collect()).unwrap_or_default();
        for listener in listeners {
            listener(Heard::Event { name, data });
        }
    }

    fn tell_all(&self, heard: Heard<'_>) {
        let listeners: Vec<Listener> = self.local.borrow().values().flatten().map(|(_, f)| f.clone()).collect();
        for listener in listeners {
            listener(heard);
        }
    }
}
