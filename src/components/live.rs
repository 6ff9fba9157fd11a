//! `LiveEvents`: the page's one connection to the server's push (`GET /api/events`, read with
//! the browser's `EventSource`, which reconnects by itself), handed to every component that
//! subscribes. An event names what changed; the subscriber reads it through the server functions.
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
}

/// One named SSE event as a dashboard event; `None` for anything the page does not know.
///
/// Read field by field from a `serde_json::Value` rather than with the derived decoder: the
/// browser bundle has `Value` already, while an internally tagged enum would bring serde's whole
/// buffering machinery in for six small events (the test below holds the two readings together).
pub fn decode(kind: &str, data: &str) -> Option<DashboardEvent> {
    let value: serde_json::Value = serde_json::from_slice(data.as_bytes()).ok()?;
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
    listeners: StoredValue<Vec<(u64, Callback<DashboardEvent>)>>,
    next_id: StoredValue<u64>,
    state: RwSignal<StreamState>,
}

impl LiveEvents {
    /// Creates the page's live events and provides them to the components below. In the browser
    /// the stream opens once the page is hydrated.
    pub fn provide() -> Self {
        let live = Self {
            listeners: StoredValue::new(Vec::new()),
            next_id: StoredValue::new(0),
            state: RwSignal::new(StreamState::Connecting),
        };
        provide_context(live);
        Effect::new(move |_| untrack(|| live.connect()));
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
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let callback = Callback::new(on_event);
        self.listeners.update_value(|l| l.push((id, callback)));
        on_cleanup(move || {
            self.listeners
                .try_update_value(|l| l.retain(|(other, _)| *other != id));
        });
    }

    // Only the browser receives events.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn dispatch(self, event: DashboardEvent) {
        let Some(listeners) = self.listeners.try_get_value() else {
            return;
        };
        for (_, callback) in listeners {
            callback.try_run(event.clone());
        }
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn set_state(self, state: StreamState) {
        if self.state.try_get_untracked() != Some(state) {
            self.state.set(state);
        }
    }

    #[cfg(feature = "hydrate")]
    fn connect(self) {
        let stream = StoredValue::new_local(None::<browser::Stream>);
        let open = move || {
            let opened = browser::Stream::open(
                move |event| self.dispatch(event),
                move |state| {
                    self.set_state(state);
                    if state == StreamState::Open {
                        self.dispatch(DashboardEvent::Resync);
                    }
                },
            );
            stream.set_value(opened);
        };
        open();
        // The watchdog: a stream the browser gave up on (an answer that is not a stream, e.g. a
        // proxy's error page) is opened again; while there is none, the fallback poll runs.
        let watchdog = set_interval_with_handle(
            move || {
                if stream.with_value(|s| s.as_ref().is_none_or(browser::Stream::given_up)) {
                    self.set_state(StreamState::Down);
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
    fn connect(self) {}
}

/// The `EventSource` itself; closed when dropped.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::JsCast;
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::web_sys::{Event, EventSource, MessageEvent};

    use super::{EVENT_KINDS, StreamState, decode};
    use crate::events::DashboardEvent;

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
        pub fn open(
            on_event: impl Fn(DashboardEvent) + 'static,
            on_state: impl Fn(StreamState) + Clone + 'static,
        ) -> Option<Self> {
            let source = EventSource::new(URL).ok()?;
            let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
                let data = ev.data().as_string().unwrap_or_default();
                if let Some(event) = decode(&ev.type_(), &data) {
                    on_event(event);
                }
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
    fn the_fallback_poll_runs_only_while_push_is_down_and_the_page_is_seen() {
        assert!(!fallback_due(StreamState::Open, false));
        assert!(fallback_due(StreamState::Down, false));
        assert!(fallback_due(StreamState::Connecting, false));
        assert!(!fallback_due(StreamState::Down, true));
    }
}
