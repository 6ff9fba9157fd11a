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
//! Each reconnection is announced as a [`DashboardEvent::Resync`], since whatever happened while
//! the stream was closed was missed. The first connection of the page names when the server read
//! what the page shows (`?since=`): the server sends a `resync` first only if the user would
//! have heard something since, so a page that just arrived does not read everything again.
//! While the stream is down, the same `Resync` is sent every [`FALLBACK_EVERY`] to visible
//! pages: the slow fallback poll, only for as long as push does not work.

use std::time::Duration;

use leptos::prelude::*;
use serde::Deserialize;

use crate::domain::JobStatus;
use crate::events::DashboardEvent;

#[cfg(feature = "hydrate")]
mod browser;
mod relay;

pub use relay::{RelayMessage, StreamState};

/// How often subscribers re-read everything while the stream is down (and the page is seen).
pub const FALLBACK_EVERY: Duration = Duration::from_secs(10);
/// The server's event stream.
#[cfg(feature = "hydrate")]
const STREAM_URL: &str = "/api/events";

/// The SSE event names the server sends: one per [`DashboardEvent`] variant.
pub const EVENT_KINDS: [&str; 7] = [
    "failure_recorded",
    "failure_dismissed",
    "task_progress",
    "task_ended",
    "clusters_changed",
    "approvals_changed",
    "resync",
];

/// One named SSE event as a dashboard event: its name says which, and its data is read for that
/// event's ids alone (one small decoder each, rather than serde's buffering of an internally
/// tagged enum). `None` for anything the page does not know: an event of a newer server, or
/// data without the fields its name needs.
pub fn decode(kind: &str, data: &str) -> Option<DashboardEvent> {
    #[derive(Deserialize)]
    struct Job {
        job_id: String,
    }
    #[derive(Deserialize)]
    struct Task {
        task_id: String,
    }
    #[derive(Deserialize)]
    struct Ended {
        task_id: String,
        status: JobStatus,
    }
    fn read<T: for<'de> Deserialize<'de>>(data: &str) -> Option<T> {
        serde_json::from_slice(data.as_bytes()).ok()
    }
    Some(match kind {
        "failure_recorded" => DashboardEvent::FailureRecorded {
            job_id: read::<Job>(data)?.job_id,
        },
        "failure_dismissed" => DashboardEvent::FailureDismissed {
            job_id: read::<Job>(data)?.job_id,
        },
        "task_progress" => DashboardEvent::TaskProgress {
            task_id: read::<Task>(data)?.task_id,
        },
        "task_ended" => {
            let Ended { task_id, status } = read(data)?;
            DashboardEvent::TaskEnded { task_id, status }
        }
        "clusters_changed" => DashboardEvent::ClustersChanged,
        "approvals_changed" => DashboardEvent::ApprovalsChanged,
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
    /// When the server read what the page was rendered with, until the page's first stream
    /// has opened with it.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    read_at: StoredValue<Option<i64>>,
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
    /// Creates the live events of `user`'s page, rendered from what the server read at
    /// `read_at`, and provides them to the components below. In the browser they start once the
    /// page is hydrated.
    pub fn provide(user: &str, read_at: i64) -> Self {
        let live = Self {
            listeners: StoredValue::new(Listeners::default()),
            state: RwSignal::new(StreamState::Connecting),
            read_at: StoredValue::new(Some(read_at)),
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

    /// A stream that (re)opens makes every subscriber re-read (`resync`): events may have been
    /// missed. The page's first stream asks the server instead (`/api/events?since=`).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn set_state(self, state: StreamState, resync: bool) {
        let Some(before) = self.state.try_get_untracked() else {
            return;
        };
        if before != state {
            self.state.set(state);
            if state == StreamState::Open && resync {
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
            // The page's first stream says when what the page shows was read: the server sends
            // `resync` first if the user would have heard something since, so its opening needs
            // no re-read of its own.
            let since = self.read_at.try_update_value(Option::take).flatten();
            let url = match since {
                Some(at) => format!("{STREAM_URL}?since={at}"),
                None => STREAM_URL.to_owned(),
            };
            let quiet_open = std::rc::Rc::new(std::cell::Cell::new(since.is_some()));
            let opened = browser::Stream::open(
                &url,
                move |kind, data| {
                    if let Some(event) = decode(&kind, &data) {
                        self.dispatch(event);
                        post(RelayMessage::Event { kind, data });
                    }
                },
                move |state| {
                    let quiet = state == StreamState::Open && quiet_open.replace(false);
                    self.set_state(state, !quiet);
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
            RelayMessage::State(state) if !leading() => self.set_state(state, true),
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
                    self.set_state(StreamState::Down, true);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn every_event() -> [DashboardEvent; 7] {
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
            DashboardEvent::ApprovalsChanged,
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
    fn unknown_events_and_data_without_their_fields_are_ignored() {
        assert_eq!(decode("task_progress", "{}"), None);
        assert_eq!(decode("task_progress", "not json"), None);
        assert_eq!(decode("task_ended", r#"{"task_id":"t1"}"#), None);
        assert_eq!(decode("something_new", r#"{"kind":"something_new"}"#), None);
        // The name decides: the data's own `kind` is not read.
        assert_eq!(
            decode("failure_recorded", r#"{"job_id":"j1"}"#),
            Some(DashboardEvent::FailureRecorded {
                job_id: "j1".into()
            })
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
