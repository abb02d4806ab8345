//! Keeping a conversation in step with the server.
//!
//! The browser's one event stream ([`super::live_hub`], held by a leader tab) or, without
//! Web Locks and BroadcastChannel, one EventSource per open conversation, holding a window
//! of its newest messages: a
//! windowed `snapshot`, then a `patch` per change and `delta` events, in order (all are
//! handled by listeners on the one EventSource, so their order is the server's). A patch
//! that does not follow what is held opens the stream afresh, which starts with a snapshot. When SSE cannot connect or keeps failing, the tab polls `GET /state` with
//! `If-None-Match` instead: every second, slowing by 1.5x to 5 s while nothing changes, back
//! to 1 s after a change or an action, paused while the tab is hidden, honouring
//! `Retry-After`; meanwhile it keeps trying SSE again in the background.

use super::store::ChatStore;

#[cfg(feature = "hydrate")]
mod imp {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    use super::ChatStore;
    use crate::api::{self, Polled};
    use crate::browser::{self, debug_log};
    use crate::chat::live_hub;
    use crate::chat::model::{DeltaOutcome, PatchOutcome};
    use crate::chat::store::Connection;
    use crate::patch::WINDOW;
    use crate::wire::{ActionResponse, DeltaDTO, PatchDTO};

    const FASTEST_POLL_MS: f64 = 1_000.0;
    const SLOWEST_POLL_MS: f64 = 5_000.0;
    const SSE_RETRY_MS: u32 = 10_000;
    /// Errors in a row (without a successful open between) before SSE counts as failing.
    const SSE_ERRORS_BEFORE_POLLING: u32 = 2;

    type Listener = Closure<dyn FnMut(web_sys::Event)>;

    struct Engine {
        store: ChatStore,
        source: RefCell<Option<EventSource>>,
        /// Keeps the listeners alive as long as the source is.
        listeners: RefCell<Vec<Listener>>,
        errors: Cell<u32>,
        polling: Cell<bool>,
        last_event_id: RefCell<Option<String>>,
        /// The browser's shared stream (see [`live_hub`]), when it has one.
        shared: RefCell<Option<live_hub::Subscription>>,
        etag: RefCell<Option<String>>,
        poll_delay_ms: Cell<f64>,
        stopped: Cell<bool>,
    }

    pub fn start(store: ChatStore) {
        let engine = Rc::new(Engine {
            store,
            source: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            errors: Cell::new(0),
            polling: Cell::new(false),
            last_event_id: RefCell::new(None),
            shared: RefCell::new(None),
            etag: RefCell::new(None),
            poll_delay_ms: Cell::new(FASTEST_POLL_MS),
            stopped: Cell::new(false),
        });
        engine.open_events();
        // An action or a gap in the deltas asks for the state now.
        let on_refresh = engine.clone();
        Effect::new(move |previous: Option<u64>| {
            let n = store.refresh.get();
            if previous.is_some() {
                on_refresh.poll_delay_ms.set(FASTEST_POLL_MS);
                if !on_refresh.polling.get() {
                    let engine = on_refresh.clone();
                    spawn_local(async move {
                        engine.poll_once().await;
                    });
                }
            }
            n
        });
        let on_cleanup_engine = send_wrapper::SendWrapper::new(engine);
        on_cleanup(move || on_cleanup_engine.take().stop());
    }

    impl Engine {
        fn stop(&self) {
            self.stopped.set(true);
            self.close_events();
            self.shared.borrow_mut().take();
        }

        fn alive(&self) -> bool {
            !self.stopped.get() && self.store.alive()
        }

        fn set_connection(&self, connection: Connection) {
            self.store.connection.try_set(connection);
        }

        fn close_events(&self) {
            if let Some(source) = self.source.borrow_mut().take() {
                source.close();
            }
            self.listeners.borrow_mut().clear();
        }

        fn open_events(self: &Rc<Self>) {
            if !self.alive() {
                return;
            }
            if live_hub::available() {
                return self.share_events();
            }
            self.close_events();
            let mut url = format!("/api/contexts/{}/events?live=patch&window={WINDOW}", self.store.id);
            if let Some(id) = self.last_event_id.borrow().as_ref() {
                // Ids are hex digits, `-` and `~`: nothing to escape.
                url.push_str(&format!("&last_event_id={id}"));
            }
            let Ok(source) = EventSource::new(&url) else {
                self.fall_back_to_polling();
                return;
            };
            debug_log!("sync", "connecting {url}");
            let mut listeners = Vec::new();
            for name in ["snapshot", "state", "patch", "delta", "reasoning"] {
                let engine = self.clone();
                let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                    if let Some(message) = event.dyn_ref::<MessageEvent>() {
                        engine.on_message(name, message);
                    }
                });
                let _ = source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
                listeners.push(listener);
            }
            let engine = self.clone();
            let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| engine.on_open());
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            listeners.push(on_open);
            let engine = self.clone();
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| engine.on_error());
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            listeners.push(on_error);
            *self.source.borrow_mut() = Some(source);
            *self.listeners.borrow_mut() = listeners;
        }

        /// Listens through the browser's one stream (the leader tab holds it).
        fn share_events(self: &Rc<Self>) {
            if self.shared.borrow().is_some() {
                return;
            }
            let engine = self.clone();
            let listener: live_hub::Listener = Rc::new(move |heard| match heard {
                live_hub::Heard::Event { name, data } => engine.on_data(name, data),
                live_hub::Heard::Live => engine.on_open(),
                live_hub::Heard::Failing => {
                    engine.set_connection(Connection::Offline);
                    engine.fall_back_to_polling();
                }
            });
            *self.shared.borrow_mut() = live_hub::subscribe(self.store.id, listener);
            // What changed between the page being made and the stream carrying it.
            let engine = self.clone();
            spawn_local(async move {
                engine.poll_once().await;
            });
        }

        fn on_open(&self) {
            debug_log!("sync", "live");
            self.errors.set(0);
            self.polling.set(false);
            self.set_connection(Connection::Live);
        }

        fn on_error(self: &Rc<Self>) {
            let errors = self.errors.get() + 1;
            self.errors.set(errors);
            let closed = self.source.borrow().as_ref().is_none_or(|s| s.ready_state() == EventSource::CLOSED);
            debug_log!("sync", "event stream error #{errors} (closed: {closed})");
            if closed || errors >= SSE_ERRORS_BEFORE_POLLING {
                self.close_events();
                self.fall_back_to_polling();
            } else if !self.polling.get() {
                // The browser reconnects by itself, resuming with Last-Event-ID.
                self.set_connection(Connection::Offline);
            }
        }

        fn on_message(self: &Rc<Self>, name: &str, event: &MessageEvent) {
            let id = event.last_event_id();
            if !id.is_empty() {
                *self.last_event_id.borrow_mut() = Some(id);
            }
            let Some(data) = event.data().as_string() else { return };
            self.on_data(name, &data);
        }

        fn on_data(self: &Rc<Self>, name: &str, data: &str) {
            if self.polling.get() {
                // A background retry got through: back to live.
                debug_log!("sync", "event stream is back; polling stops");
                self.on_open();
            }
            self.errors.set(0);
            match name {
                "delta" | "reasoning" => {
                    let Ok(delta) = serde_json::from_str::<DeltaDTO>(data) else { return };
                    let outcome = self.store.model.try_update(|m| match name {
                        "delta" => m.apply_delta(&delta),
                        _ => m.apply_reasoning(&delta),
                    });
                    if outcome == Some(DeltaOutcome::Gap) {
                        debug_log!("sync", "gap in deltas; fetching the state");
                        self.store.request_refresh();
                    }
                }
                "patch" => {
                    let Ok(patch) = serde_json::from_str::<PatchDTO>(data) else { return };
                    let outcome = self.store.model.try_update(|m| m.apply_patch(&patch));
                    debug_log!("sync", "patch v{} -> v{}: {outcome:?}", patch.base_version, patch.version);
                    if outcome == Some(PatchOutcome::Resync) {
                        if self.shared.borrow().is_some() {
                            // The shared stream goes on for the other tabs: fetch the state;
                            // the patches after it apply again.
                            self.store.request_refresh();
                        } else {
                            // A stream patches from what it last sent; a fresh one starts
                            // with a snapshot.
                            *self.last_event_id.borrow_mut() = None;
                            self.open_events();
                        }
                    }
                }
                _ => {
                    if let Ok(response) = serde_json::from_str::<ActionResponse>(data) {
                        debug_log!("sync", "{name}: {} v{}", response.status.as_str(), response.context.version);
                        self.store.apply(response);
                    }
                }
            }
        }

        fn fall_back_to_polling(self: &Rc<Self>) {
            if self.polling.replace(true) || !self.alive() {
                return;
            }
            debug_log!("sync", "falling back to polling");
            self.set_connection(Connection::Polling);
            self.poll_delay_ms.set(FASTEST_POLL_MS);
            let engine = self.clone();
            spawn_local(async move { engine.poll_loop().await });
            let engine = self.clone();
            spawn_local(async move { engine.retry_events_loop().await });
        }

        async fn poll_loop(self: Rc<Self>) {
            while self.alive() && self.polling.get() {
                if browser::is_hidden() {
                    browser::sleep_ms(500).await;
                    continue;
                }
                let wait = self.poll_once().await;
                // Sleep in short steps so an action or becoming visible is noticed soon.
                let mut slept = 0.0;
                while slept < wait && self.alive() && self.polling.get() {
                    browser::sleep_ms(250).await;
                    slept += 250.0;
                    if self.poll_delay_ms.get() <= FASTEST_POLL_MS && slept >= FASTEST_POLL_MS {
                        break;
                    }
                }
            }
        }

        /// One poll; returns how long to wait before the next.
        async fn poll_once(&self) -> f64 {
            let etag = self.etag.borrow().clone();
            let path = format!("/api/contexts/{}/state?window={WINDOW}", self.store.id);
            match api::poll::<ActionResponse>(&path, etag.as_deref()).await {
                Ok(Polled::Changed { value, etag }) => {
                    *self.etag.borrow_mut() = etag;
                    self.store.apply(value);
                    self.poll_delay_ms.set(FASTEST_POLL_MS);
                    if self.polling.get() {
                        self.set_connection(Connection::Polling);
                    }
                }
                Ok(Polled::NotModified) => {
                    self.poll_delay_ms.set((self.poll_delay_ms.get() * 1.5).min(SLOWEST_POLL_MS));
                    if self.polling.get() {
                        self.set_connection(Connection::Polling);
                    }
                }
                Err(failure) if failure.status == 429 => {
                    let seconds = failure.retry_after.unwrap_or(5).max(1) as f64;
                    debug_log!("sync", "rate limited; waiting {seconds} s");
                    return seconds * 1_000.0;
                }
                Err(failure) => {
                    debug_log!("sync", "poll failed: {}", failure.message);
                    if failure.is_offline() || failure.status >= 500 {
                        self.set_connection(Connection::Offline);
                    }
                    self.poll_delay_ms.set((self.poll_delay_ms.get() * 1.5).min(SLOWEST_POLL_MS));
                }
            }
            self.poll_delay_ms.get()
        }

        async fn retry_events_loop(self: Rc<Self>) {
            while self.alive() && self.polling.get() {
                browser::sleep_ms(SSE_RETRY_MS).await;
                if self.alive() && self.polling.get() && !browser::is_hidden() {
                    debug_log!("sync", "trying the event stream again");
                    self.errors.set(0);
                    self.open_events();
                }
            }
        }
    }

    /// Runs the outbox again whenever the conversation becomes ready for it.
    pub fn flush_when_ready(store: ChatStore) {
        Effect::new(move |_| {
            let ready = store.model.with(|m| m.accepts_messages() && m.outbox().iter().any(|p| p.queued));
            let online = store.connection.get() != Connection::Offline;
            if ready && online {
                crate::chat::outbox::flush(store);
            }
        });
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::ChatStore;

    /// Nothing to keep in step outside the browser.
    pub fn start(_store: ChatStore) {}
    pub fn flush_when_ready(_store: ChatStore) {}
}

pub use imp::{flush_when_ready, start};
