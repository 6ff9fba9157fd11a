//! The browser's side of the live events: the `EventSource`, the channel to the other tabs, and
//! the lock that says which tab holds the stream. Each is closed (or given back) when dropped.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::window;
use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::{JsCast, JsValue};
use leptos::web_sys::js_sys::{Function, Promise, Reflect};
use leptos::web_sys::{BroadcastChannel, Event, EventSource, MessageEvent};

use super::{EVENT_KINDS, RelayMessage, StreamState};

/// `EventSource.CLOSED`: the browser will not reconnect by itself.
const CLOSED: u16 = 2;

pub struct Stream {
    source: EventSource,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_open: Closure<dyn Fn(Event)>,
    _on_error: Closure<dyn Fn(Event)>,
}

impl Stream {
    /// Opens the stream at `url`; `on_event` gets each event's name and data.
    pub fn open(
        url: &str,
        on_event: impl Fn(String, String) + 'static,
        on_state: impl Fn(StreamState) + Clone + 'static,
    ) -> Option<Self> {
        let source = EventSource::new(url).ok()?;
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
            on_event(ev.type_(), ev.data().as_string().unwrap_or_default());
        });
        for kind in EVENT_KINDS {
            let _ =
                source.add_event_listener_with_callback(kind, on_message.as_ref().unchecked_ref());
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
