//! Where the team talks: each approval request and decision as a JSON POST to
//! `APPROVAL_WEBHOOK_URL`, in the shape of a Teams or Slack incoming webhook's text message
//! (`{"text": …}`) with the dashboard's own fields beside it. Sent from a queue by one task:
//! a request or decision never waits for it. Each announcement is tried up to four times
//! (1, 2, 4 s apart), each attempt with a 5 s time-out; one that still fails is logged and
//! counted (`aks_approval_webhook_total{outcome="failed"}`) and dropped.

use std::time::Duration;

use tokio::sync::mpsc;

/// Announcements waiting to be sent; more are dropped (and counted).
const QUEUE: usize = 1_000;
/// Each attempt's time-out.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Waits before the second, third and fourth attempt.
const BACKOFF: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// The announcer: a queue to the sending task, or nothing when no webhook is set.
#[derive(Debug, Clone, Default)]
pub struct ApprovalWebhook {
    queue: Option<mpsc::Sender<serde_json::Value>>,
}

impl ApprovalWebhook {
    /// Starts the sending task for `url` (none: announcements go nowhere).
    pub fn start(url: Option<reqwest::Url>) -> Self {
        let Some(url) = url else {
            return Self::default();
        };
        let (tx, mut rx) = mpsc::channel::<serde_json::Value>(QUEUE);
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .build()
            .unwrap_or_default();
        tokio::spawn(async move {
            while let Some(body) = rx.recv().await {
                deliver(&client, &url, &body).await;
            }
        });
        Self { queue: Some(tx) }
    }

    /// Queues one announcement; never waits.
    pub fn announce(&self, body: serde_json::Value) {
        let Some(queue) = &self.queue else {
            return;
        };
        if queue.try_send(body).is_err() {
            crate::metrics::approval_webhook("dropped");
            tracing::warn!("approval webhook: the queue is full; an announcement was dropped");
        }
    }
}

async fn deliver(client: &reqwest::Client, url: &reqwest::Url, body: &serde_json::Value) {
    let event = body["event"].as_str().unwrap_or_default().to_owned();
    for attempt in 0..=BACKOFF.len() {
        let outcome = client.post(url.clone()).json(body).send().await;
        let failure = match outcome {
            Ok(res) if res.status().is_success() => {
                crate::metrics::approval_webhook("delivered");
                tracing::debug!(%event, attempt, "approval webhook delivered");
                return;
            }
            Ok(res) => format!("answered {}", res.status()),
            Err(e) => e.to_string(),
        };
        match BACKOFF.get(attempt) {
            Some(wait) => {
                crate::metrics::approval_webhook("retried");
                tracing::info!(%event, attempt, error = %failure, "approval webhook failed; trying again");
                tokio::time::sleep(*wait).await;
            }
            None => {
                crate::metrics::approval_webhook("failed");
                tracing::warn!(%event, error = %failure, "approval webhook failed; the announcement is dropped");
            }
        }
    }
}
