//! The event bus: what happens on any server reaches the open pages and the job runner of every
//! server. With SQLite (one server) it is an in-process broadcast. With PostgreSQL (several
//! servers) each message also goes out as a `NOTIFY` on one channel; every server `LISTEN`s and
//! hands what others sent to its own subscribers. Messages carry ids, never payloads; after the
//! listener lost its connection (notifications in between are gone) subscribers get a
//! [`DashboardEvent::Resync`].

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::DashboardEvent;
use crate::storage::{Backend, Storage};

/// The PostgreSQL channel every server listens on.
const CHANNEL: &str = "aks_dashboard_events";
/// How long, and how many, of the latest messages a server keeps, so that a page whose event
/// stream opens after it was rendered can learn whether it missed one ([`EventBus::since`]).
const RECENT_FOR_MS: i64 = 120_000;
const RECENT_KEPT: usize = 4096;
/// How far servers' clocks may differ: a page rendered by one server may open its stream on
/// another.
const CLOCK_SKEW_MS: i64 = 5_000;
/// Messages a slow subscriber may fall behind by before it is told to resync.
const LOCAL_CAPACITY: usize = 4096;
/// `NOTIFY`s waiting to be sent; past this, messages only reach this server's subscribers.
const OUTBOX_CAPACITY: usize = 10_000;

/// One message on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum BusMessage {
    /// For the open pages of one user.
    User {
        owner: String,
        event: DashboardEvent,
    },
    /// For every open page.
    Everyone { event: DashboardEvent },
    /// For the runner that holds the job: its owner pressed Stop.
    Cancel { job_id: String },
}

/// What travels in a `NOTIFY`: the message and the server that sent it (which has already
/// delivered it to its own subscribers).
#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: String,
    message: BusMessage,
}

/// The bus of one server. Cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    local: Local,
    origin: String,
    outbox: Option<mpsc::Sender<String>>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

/// This server's subscribers, and the latest messages they were sent (from this server or
/// another), each with when this server sent it on.
#[derive(Clone)]
struct Local {
    sender: broadcast::Sender<BusMessage>,
    recent: Arc<std::sync::Mutex<Recent>>,
}

struct Recent {
    /// Every message from this moment on is kept (ms since the epoch).
    complete_since: i64,
    messages: std::collections::VecDeque<(i64, BusMessage)>,
}

impl Local {
    fn new() -> Self {
        let (sender, _) = broadcast::channel(LOCAL_CAPACITY);
        Self {
            sender,
            recent: Arc::new(std::sync::Mutex::new(Recent {
                complete_since: crate::clock::now_ms(),
                messages: std::collections::VecDeque::new(),
            })),
        }
    }

    fn send(&self, message: BusMessage) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.push(crate::clock::now_ms(), message.clone());
        }
        // No subscriber is not an error: nobody is looking.
        let _ = self.sender.send(message);
    }
}

impl Recent {
    fn push(&mut self, now: i64, message: BusMessage) {
        while self.messages.len() >= RECENT_KEPT
            || self
                .messages
                .front()
                .is_some_and(|(at, _)| now - at > RECENT_FOR_MS)
        {
            if let Some((at, _)) = self.messages.pop_front() {
                self.complete_since = at + 1;
            }
        }
        self.messages.push_back((now, message));
    }

    /// The messages kept from `from` on; `None` when some of them are no longer (or never
    /// were) kept.
    fn from(&self, from: i64) -> Option<Vec<BusMessage>> {
        (from >= self.complete_since).then(|| {
            self.messages
                .iter()
                .filter(|(at, _)| *at >= from)
                .map(|(_, m)| m.clone())
                .collect()
        })
    }
}

impl EventBus {
    /// A bus for this process only.
    pub fn local() -> Self {
        Self {
            inner: Arc::new(Inner {
                local: Local::new(),
                origin: uuid::Uuid::new_v4().to_string(),
                outbox: None,
                tasks: std::sync::Mutex::new(Vec::new()),
            }),
        }
    }

    /// The bus for `storage`: in-process for SQLite; shared through `LISTEN`/`NOTIFY` with the
    /// other servers for PostgreSQL (`database_url` opens the listening connection).
    pub fn start(storage: &Storage, database_url: &str) -> Self {
        if storage.backend != Backend::Postgres {
            return Self::local();
        }
        let local = Local::new();
        let origin = uuid::Uuid::new_v4().to_string();
        let (outbox, queue) = mpsc::channel(OUTBOX_CAPACITY);
        let sender = tokio::spawn(send_notifications(storage.pool.clone(), queue));
        let listener = tokio::spawn(listen(
            database_url.to_owned(),
            origin.clone(),
            local.clone(),
        ));
        Self {
            inner: Arc::new(Inner {
                local,
                origin,
                outbox: Some(outbox),
                tasks: std::sync::Mutex::new(vec![sender, listener]),
            }),
        }
    }

    /// Every message from now on, from any server.
    pub fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.inner.local.sender.subscribe()
    }

    /// The messages sent on since `since` (ms since the epoch, perhaps another server's clock),
    /// or `None` when this server does not know them all (it started later, or they are older
    /// than it keeps).
    pub fn since(&self, since: i64) -> Option<Vec<BusMessage>> {
        let recent = self.inner.local.recent.lock().ok()?;
        recent.from(since.saturating_sub(CLOCK_SKEW_MS))
    }

    /// Sends `message` to this server's subscribers at once and to the other servers' soon.
    pub fn publish(&self, message: BusMessage) {
        if let Some(outbox) = &self.inner.outbox {
            let envelope = Envelope {
                origin: self.inner.origin.clone(),
                message: message.clone(),
            };
            match serde_json::to_string(&envelope) {
                Ok(payload) => {
                    if outbox.try_send(payload).is_err() {
                        tracing::warn!(
                            "event outbox full: an event reaches only this server's pages"
                        );
                    }
                }
                Err(err) => tracing::warn!(error = %err, "event not encodable"),
            }
        }
        self.inner.local.send(message);
    }

    pub fn to_user(&self, owner: &str, event: DashboardEvent) {
        self.publish(BusMessage::User {
            owner: owner.to_owned(),
            event,
        });
    }

    pub fn to_everyone(&self, event: DashboardEvent) {
        self.publish(BusMessage::Everyone { event });
    }

    /// Tells whichever runner holds `job_id` that its owner pressed Stop.
    pub fn cancel(&self, job_id: &str) {
        self.publish(BusMessage::Cancel {
            job_id: job_id.to_owned(),
        });
    }

    /// Stops listening and sending.
    pub fn shutdown(&self) {
        let tasks = match self.inner.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for task in tasks {
            task.abort();
        }
    }
}

/// Sends queued `NOTIFY`s in order, one at a time.
async fn send_notifications(pool: sqlx::AnyPool, mut queue: mpsc::Receiver<String>) {
    while let Some(payload) = queue.recv().await {
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(&payload)
            .execute(&pool)
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, "could not notify the other servers of an event");
        }
    }
}

/// Listens for the other servers' messages and hands them to this server's subscribers. A lost
/// connection is opened again; subscribers are then told to resync.
async fn listen(url: String, origin: String, local: Local) {
    let mut connected_before = false;
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "event listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "event listener cannot LISTEN; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if connected_before {
            local.send(BusMessage::Everyone {
                event: DashboardEvent::Resync,
            });
        }
        connected_before = true;
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    match serde_json::from_str::<Envelope>(notification.payload()) {
                        Ok(envelope) if envelope.origin == origin => {}
                        Ok(envelope) => local.send(envelope.message),
                        Err(err) => {
                            tracing::debug!(error = %err, "ignoring a foreign notification")
                        }
                    }
                }
                // The connection was lost; the next call opens it again, and whatever was
                // sent in between is gone.
                Ok(None) => {
                    tracing::warn!("event listener lost its connection; reconnecting");
                    local.send(BusMessage::Everyone {
                        event: DashboardEvent::Resync,
                    });
                }
                Err(err) => {
                    tracing::warn!(error = %err, "event listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dismissed(job: &str) -> BusMessage {
        BusMessage::User {
            owner: "ana".into(),
            event: DashboardEvent::FailureDismissed { job_id: job.into() },
        }
    }

    #[test]
    fn a_page_learns_what_was_sent_since_it_was_read_while_it_is_kept() {
        let mut recent = Recent {
            complete_since: 1_000,
            messages: Default::default(),
        };
        assert_eq!(recent.from(1_000), Some(vec![]), "nothing yet");
        assert_eq!(recent.from(999), None, "from before the server knew");
        recent.push(2_000, dismissed("j1"));
        recent.push(3_000, dismissed("j2"));
        assert_eq!(recent.from(2_500), Some(vec![dismissed("j2")]));
        assert_eq!(recent.from(1_500).map(|m| m.len()), Some(2));
        // Minutes later the first ones are no longer kept: an older page is told to resync.
        recent.push(2_000 + RECENT_FOR_MS + 1, dismissed("j3"));
        assert_eq!(recent.from(1_500), None);
        assert_eq!(recent.from(3_000).map(|m| m.len()), Some(2));
    }
}
