//! What the tab holding the event stream and the other tabs of the browser tell each other,
//! over a `BroadcastChannel`: the events as the server sent them, and where the stream is.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
