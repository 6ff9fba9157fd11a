//! `LiveEvents`: the page's connection to the server's push (`GET /api/events`, read with the
//! browser's `EventSource`, which reconnects by itself), handed to every component that
//! subscribes. An event names what changed; the subscriber reads it through the server functions.
//!
//! One stream per browser, not per tab: a browser opens at most six connections to a host over
//! HTTP/1.1, and every open stream holds one, so a seventh tab would hang. The tab holding a Web
//! Lock opens the stream and relays each event, and where the stream is, to the other tabs of the
//! browser over a `BroadcastChannel`; when it closes, the lock passes to another tab, which opens
//! the stream. (Without those APIs, every tab opens its own.)
//!
//! Each (re)connection is announced as a [`DashboardEvent::Resync`], since whatever happened
//! while the stream was closed (or between the first HTML and the first connection) was missed.
//! While the stream is down, the same `Resync` is sent every [`FALLBACK_EVERY`] to visible
//! pages: the slow fallback poll, only for as long as push does not work.

use std::time::Duration;

use leptos::prelude::*;

use crate::events::DashboardEvent;
use crate::provisioning::model::JobStatus;

/// How often subscribers re-read everything while the stream is down (and the page is seen).
pub const FALLBACK_EVERY: Duration = Duration::from_secs(10);

/// The SSE event names the server sends: one per [`DashboardEvent`] variant.
pub const EVENT_KINDS: [&str; 6] = [
    "failure_recorded",
    "failure_dismissed",
    "task_progress",
    "task_ended",
    "clusters_changed",
    "resync",
];

/// Where the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    /// Not opened yet (and always on the server).
    Connecting,
    Open,
    /// Lost, or being opened again: the fallback poll runs.
    Down,
}

impl StreamState {
    /// As the page's `data-events` attribute says it (tests wait for `open`).
    pub fn as_str(self) -> &'static str {
        match self {
            StreamState::Connecting => "connecting",
            StreamState::Open => "open",
            StreamState::Down => "down",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Connecting, Self::Open, Self::Down]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What the tab holding the stream and the other tabs of the browser tell each other.
#[derive(Debug, Clone, PartialEq)]
pub enum RelayMessage {
    /// An event as the server sent it: its name and data.
    Event { kind: String, data: String },
    /// Where the stream is.
    State(StreamState),
    /// A tab that just opened asks where the stream is.
    Ask,
}

impl RelayMessage {
    /// As a `BroadcastChannel` message: lines of text.
    pub fn encode(&self) -> String {
        match self {
            RelayMessage::Event { kind, data } => format!("event\n{kind}\n{data}"),
            RelayMessage::State(state) => format!("state\n{}", state.as_str()),
            RelayMessage::Ask => "ask".to_owned(),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut lines = text.splitn(3, '\n');
        Some(match lines.next()? {
            "event" => RelayMessage::Event {
                kind: lines.next()?.to_owned(),
                data: lines.next()?.to_owned(),
            },
            "state" => RelayMessage::State(StreamState::parse(lines.next()?)?),
            "ask" => RelayMessage::Ask,
            _ => return None,
        })
    }
}

/// One named SSE event as a dashboard event; `None` for anything the page does not know.
///
/// Read field by field from a `serde_json::Value` (`crate::wire::parse`) rather than with the
/// derived decoder: an internally tagged enum would bring serde's whole buffering machinery in
/// for six small events (the test below holds the two readings together).
pub fn decode(kind: &str, data: &str) -> Option<DashboardEvent> {
    let value = crate::wire::parse(data).ok()?;
    if value.get("kind")?.as_str()? != kind {
        return None;
    }
    let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
    Some(match kind {
        "failure_recorded" => DashboardEvent::FailureRecorded {
            job_id: text("job_id")?,
        },
        "failure_dismissed" => DashboardEvent::FailureDismissed {
            job_id: text("job_id")?,
        },
        "task_progress" => DashboardEvent::TaskProgress {
            task_id: text("task_id")?,
        },
        "task_ended" => DashboardEvent::TaskEnded {
            task_id: text("task_id")?,
            status: JobStatus::parse(&text("status")?)?,
        },
        "clusters_changed" => DashboardEvent::ClustersChanged,
        "resync" => DashboardEvent::Resync,
        _ => return None,
    })
}

/// Whether the fallback poll re-reads now: only while push is not working, and not for a page
/// nobody sees (it re-reads when it is shown again).
pub fn fallback_due(state: StreamState, hidden: bool) -> bool {
    state != StreamState::Open && !hidden
}

/// The page's live events. Cheap to copy; shared through context.
#[derive(Clone, Copy)]
pub struct LiveEvents {
    listeners: StoredValue<Listeners>,
    state: RwSignal<StreamState>,
}

/// The subscribers, each with the number it unsubscribes by.
#[derive(Default)]
struct Listeners {
    next_id: u64,
    all: Vec<(u64, Callback<DashboardEvent>)>,
}

/// This tab's side of the stream, in one stored value (each stored type costs the browser
/// bundle its own copy of the reactive machinery).
#[cfg(feature = "hydrate")]
#[derive(Default)]
struct Tab {
    stream: Option<browser::Stream>,
    relay: Option<browser::Relay>,
    leadership: Option<browser::Leadership>,
    /// This tab holds the stream, and relays it to the others.
    leading: bool,
}

impl LiveEvents {
    /// Creates the live events of `user`'s page and provides them to the components below. In
    /// the browser they start once the page is hydrated.
    pub fn provide(user: &str) -> Self {
        let live = Self {
            listeners: StoredValue::new(Listeners::default()),
            state: RwSignal::new(StreamState::Connecting),
        };
        provide_context(live);
        // The user's own: another user signed in in another tab has another stream.
        let shared_name = format!("aks-dashboard-events/{user}");
        Effect::new(move |_| untrack(|| live.connect(&shared_name)));
        live
    }

    /// The live events of the page, when a component above provided them.
    pub fn from_context() -> Option<Self> {
        use_context::<Self>()
    }

    /// Where the stream is (tracked).
    pub fn state(self) -> StreamState {
        self.state.get()
    }

    /// Calls `on_event` for every event until the calling component is gone.
    pub fn subscribe(self, on_event: impl Fn(DashboardEvent) + Send + Sync + 'static) {
        let callback = Callback::new(on_event);
        let id = self.listeners.with_value(|l| l.next_id);
        self.listeners.update_value(|l| {
            l.next_id += 1;
            l.all.push((id, callback));
        });
        on_cleanup(move || {
            self.listeners
                .try_update_value(|l| l.all.retain(|(other, _)| *other != id));
        });
    }

    // Only the browser receives events.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn dispatch(self, event: DashboardEvent) {
        let Some(listeners) = self.listeners.try_with_value(|l| l.all.clone()) else {
            return;
        };
        for (_, callback) in listeners {
            callback.try_run(event.clone());
        }
    }

    /// A stream that (re)opens makes every subscriber re-read: events may have been missed.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn set_state(self, state: StreamState) {
        let Some(before) = self.state.try_get_untracked() else {
            return;
        };
        if before != state {
            self.state.set(state);
            if state == StreamState::Open {
                self.dispatch(DashboardEvent::Resync);
            }
        }
    }

    #[cfg(feature = "hydrate")]
    fn connect(self, shared_name: &str) {
        let tab = StoredValue::new_local(Tab::default());
        let leading = move || tab.try_with_value(|t| t.leading).unwrap_or(false);
        let post = move |message: RelayMessage| {
            tab.try_with_value(|t| {
                if let Some(r) = &t.relay {
                    r.post(&message);
                }
            });
        };
        // This tab holds the stream: what it hears, the other tabs hear too.
        let open = move || {
            let opened = browser::Stream::open(
                move |kind, data| {
                    if let Some(event) = decode(&kind, &data) {
                        self.dispatch(event);
                        post(RelayMessage::Event { kind, data });
                    }
                },
                move |state| {
                    self.set_state(state);
                    post(RelayMessage::State(state));
                },
            );
            tab.update_value(|t| t.stream = opened);
        };
        let lead = move || {
            tab.update_value(|t| t.leading = true);
            // The other tabs re-read once this stream is open: events may have been missed
            // while no tab held one.
            post(RelayMessage::State(StreamState::Connecting));
            open();
        };
        let relay = browser::Relay::open(shared_name, move |message| match message {
            RelayMessage::Event { kind, data } if !leading() => {
                if let Some(event) = decode(&kind, &data) {
                    self.dispatch(event);
                }
            }
            RelayMessage::State(state) if !leading() => self.set_state(state),
            RelayMessage::Ask if leading() => post(RelayMessage::State(self.state.get_untracked())),
            _ => {}
        });
        let shared = relay.is_some();
        tab.update_value(|t| t.relay = relay);
        match shared
            .then(|| browser::Leadership::request(shared_name, lead))
            .flatten()
        {
            Some(waiting) => {
                tab.update_value(|t| t.leadership = Some(waiting));
                post(RelayMessage::Ask);
            }
            None => lead(),
        }
        // The watchdog: a stream the browser gave up on (an answer that is not a stream, e.g. a
        // proxy's error page) is opened again; while there is none, the fallback poll runs.
        let watchdog = set_interval_with_handle(
            move || {
                let given_up = tab.with_value(|t| {
                    t.leading && t.stream.as_ref().is_none_or(browser::Stream::given_up)
                });
                if given_up {
                    self.set_state(StreamState::Down);
                    post(RelayMessage::State(StreamState::Down));
                    open();
                }
                if fallback_due(self.state.get_untracked(), document().hidden()) {
                    self.dispatch(DashboardEvent::Resync);
                }
            },
            FALLBACK_EVERY,
        )
        .ok();
        // A page shown again while push is down re-reads at once instead of at the next tick.
        let shown = window_event_listener_untyped("visibilitychange", move |_| {
            if fallback_due(self.state.get_untracked(), document().hidden()) {
                self.dispatch(DashboardEvent::Resync);
            }
        });
        on_cleanup(move || {
            if let Some(w) = watchdog {
                w.clear();
            }
            shown.remove();
        });
    }

    #[cfg(not(feature = "hydrate"))]
    fn connect(self, _shared_name: &str) {}
}

/// The browser's side: the `EventSource`, the channel to the other tabs, and the lock that
/// says which tab holds the stream. Each is closed (or given back) when dropped.
#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::prelude::window;
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::js_sys::{Function, Promise, Reflect};
    use leptos::web_sys::{BroadcastChannel, Event, EventSource, MessageEvent};

    use super::{EVENT_KINDS, RelayMessage, StreamState};

    const URL: &str = "/api/events";
    /// `EventSource.CLOSED`: the browser will not reconnect by itself.
    const CLOSED: u16 = 2;

    pub struct Stream {
        source: EventSource,
        _on_message: Closure<dyn Fn(MessageEvent)>,
        _on_open: Closure<dyn Fn(Event)>,
        _on_error: Closure<dyn Fn(Event)>,
    }

    impl Stream {
        /// Opens the stream; `on_event` gets each event's name and data.
        pub fn open(
            on_event: impl Fn(String, String) + 'static,
            on_state: impl Fn(StreamState) + Clone + 'static,
        ) -> Option<Self> {
            let source = EventSource::new(URL).ok()?;
            let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
                on_event(ev.type_(), ev.data().as_string().unwrap_or_default());
            });
            for kind in EVENT_KINDS {
                let _ = source
                    .add_event_listener_with_callback(kind, on_message.as_ref().unchecked_ref());
            }
            let opened = on_state.clone();
            let on_open = Closure::<dyn Fn(Event)>::new(move |_| opened(StreamState::Open));
            let on_error = Closure::<dyn Fn(Event)>::new(move |_| on_state(StreamState::Down));
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Some(Self {
                source,
                _on_message: on_message,
                _on_open: on_open,
                _on_error: on_error,
            })
        }

        pub fn given_up(&self) -> bool {
            self.source.ready_state() == CLOSED
        }
    }

    impl Drop for Stream {
        fn drop(&mut self) {
            self.source.set_onopen(None);
            self.source.set_onerror(None);
            self.source.close();
        }
    }

    /// The channel between the tabs of this browser (same site, same user).
    pub struct Relay {
        channel: BroadcastChannel,
        _on_message: Closure<dyn Fn(MessageEvent)>,
    }

    impl Relay {
        /// `None` where the browser has no `BroadcastChannel`.
        pub fn open(name: &str, on_message: impl Fn(RelayMessage) + 'static) -> Option<Self> {
            let channel = BroadcastChannel::new(name).ok()?;
            let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
                if let Some(message) = ev.data().as_string().and_then(|t| RelayMessage::parse(&t)) {
                    on_message(message);
                }
            });
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            Some(Self {
                channel,
                _on_message: on_message,
            })
        }

        pub fn post(&self, message: &RelayMessage) {
            let _ = self
                .channel
                .post_message(&JsValue::from_str(&message.encode()));
        }
    }

    impl Drop for Relay {
        fn drop(&mut self) {
            self.channel.set_onmessage(None);
            self.channel.close();
        }
    }

    /// This tab's request for the browser-wide lock `name` (Web Locks): granted to one tab at a
    /// time, held until that tab closes (or drops this), then granted to the next one waiting.
    pub struct Leadership {
        release: Rc<RefCell<Option<Function>>>,
    }

    impl Leadership {
        /// Asks for the lock; `lead` runs once this tab holds it. `None` where the browser has
        /// no Web Locks (every tab then leads).
        pub fn request(name: &str, lead: impl FnOnce() + 'static) -> Option<Self> {
            let navigator = Reflect::get(&window(), &"navigator".into()).ok()?;
            let locks = Reflect::get(&navigator, &"locks".into())
                .ok()
                .filter(|l| l.is_object())?;
            let request: Function = Reflect::get(&locks, &"request".into())
                .ok()?
                .dyn_into()
                .ok()?;
            let release = Rc::new(RefCell::new(None::<Function>));
            let keep = release.clone();
            // Granted: lead, and hold the lock with a promise resolved only on release.
            let granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
                lead();
                Promise::new(&mut |resolve, _reject| {
                    *keep.borrow_mut() = Some(resolve);
                })
                .into()
            });
            request
                .call2(&locks, &JsValue::from_str(name), &granted)
                .ok()?;
            Some(Self { release })
        }
    }

    impl Drop for Leadership {
        fn drop(&mut self) {
            if let Some(resolve) = self.release.borrow_mut().take() {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_event() -> [DashboardEvent; 6] {
        [
            DashboardEvent::FailureRecorded { job_id: "j".into() },
            DashboardEvent::FailureDismissed { job_id: "j".into() },
            DashboardEvent::TaskProgress {
                task_id: "t".into(),
            },
            DashboardEvent::TaskEnded {
                task_id: "t".into(),
                status: JobStatus::Failed,
            },
            DashboardEvent::ClustersChanged,
            DashboardEvent::Resync,
        ]
    }

    #[test]
    fn every_event_the_server_sends_is_listened_for() {
        for event in every_event() {
            assert!(EVENT_KINDS.contains(&event.kind()), "{}", event.kind());
        }
    }

    #[test]
    fn the_page_reads_every_event_as_the_server_writes_it() {
        for event in every_event() {
            let data = serde_json::to_string(&event).expect("serializes");
            assert_eq!(decode(event.kind(), &data), Some(event));
        }
    }

    #[test]
    fn an_event_is_read_from_its_name_and_data() {
        assert_eq!(
            decode(
                "failure_dismissed",
                r#"{"kind":"failure_dismissed","job_id":"j1"}"#
            ),
            Some(DashboardEvent::FailureDismissed {
                job_id: "j1".into()
            })
        );
        assert_eq!(
            decode(
                "task_ended",
                r#"{"kind":"task_ended","task_id":"t1","status":"succeeded"}"#
            ),
            Some(DashboardEvent::TaskEnded {
                task_id: "t1".into(),
                status: JobStatus::Succeeded
            })
        );
        assert_eq!(
            decode("resync", r#"{"kind":"resync"}"#),
            Some(DashboardEvent::Resync)
        );
    }

    #[test]
    fn unknown_or_mismatched_events_are_ignored() {
        assert_eq!(decode("task_progress", "{}"), None);
        assert_eq!(decode("task_progress", "not json"), None);
        assert_eq!(decode("something_new", r#"{"kind":"something_new"}"#), None);
        assert_eq!(
            decode(
                "failure_recorded",
                r#"{"kind":"failure_dismissed","job_id":"j1"}"#
            ),
            None
        );
    }

    #[test]
    fn tabs_tell_each_other_events_and_the_streams_state_in_lines() {
        let messages = [
            RelayMessage::Event {
                kind: "task_ended".into(),
                data: r#"{"kind":"task_ended","task_id":"t1","status":"failed"}"#.into(),
            },
            RelayMessage::State(StreamState::Open),
            RelayMessage::State(StreamState::Down),
            RelayMessage::State(StreamState::Connecting),
            RelayMessage::Ask,
        ];
        for message in messages {
            assert_eq!(RelayMessage::parse(&message.encode()), Some(message));
        }
        for bad in ["", "event", "event\nx", "state\nsleepy", "hello"] {
            assert_eq!(RelayMessage::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_fallback_poll_runs_only_while_push_is_down_and_the_page_is_seen() {
        assert!(!fallback_due(StreamState::Open, false));
        assert!(fallback_due(StreamState::Down, false));
        assert!(fallback_due(StreamState::Connecting, false));
        assert!(!fallback_due(StreamState::Down, true));
    }
}
