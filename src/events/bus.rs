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
    local: broadcast::Sender<BusMessage>,
    origin: String,
    outbox: Option<mpsc::Sender<String>>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl EventBus {
    /// A bus for this process only.
    pub fn local() -> Self {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Self {
            inner: Arc::new(Inner {
                local,
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
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
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
        self.inner.local.subscribe()
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
        // No subscriber is not an error: nobody is looking.
        let _ = self.inner.local.send(message);
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
async fn listen(url: String, origin: String, local: broadcast::Sender<BusMessage>) {
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
            let _ = local.send(BusMessage::Everyone {
                event: DashboardEvent::Resync,
            });
        }
        connected_before = true;
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    match serde_json::from_str::<Envelope>(notification.payload()) {
                        Ok(envelope) if envelope.origin == origin => {}
                        Ok(envelope) => {
                            let _ = local.send(envelope.message);
                        }
                        Err(err) => {
                            tracing::debug!(error = %err, "ignoring a foreign notification")
                        }
                    }
                }
                // The connection was lost; the next call opens it again, and whatever was
                // sent in between is gone.
                Ok(None) => {
                    tracing::warn!("event listener lost its connection; reconnecting");
                    let _ = local.send(BusMessage::Everyone {
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
