//! `GET /api/events`: the signed-in user's live events as Server-Sent Events (the browser's
//! `EventSource` reconnects by itself). Only the caller's own events and the ones for everyone
//! (the cluster list changed) are sent — and to an admin, who sees every user's in-flight
//! creates, the progress and end of anyone's; a page of another site may not open the stream.
//!
//! An open stream also tells the Azure cache that somebody is looking at the clusters of the
//! scopes the caller may see, so they are kept fresh and a change made outside the dashboard is
//! pushed too.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use http::HeaderMap;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::api_error::ApiError;
use crate::events::DashboardEvent;
use crate::events::bus::BusMessage;
use crate::identity::{Caller, Role};
use crate::state::AppState;

use crate::limits::StreamSlot;

/// How often an open stream marks the dashboard's clusters as looked at.
const LOOKING_EVERY: Duration = Duration::from_secs(15);

/// `?since=MS`: when the page read what it shows (ms since the epoch, the server's clock).
#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    since: Option<i64>,
}

pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Response {
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("same-origin");
    if !matches!(site, "same-origin" | "none") {
        return ApiError::forbidden("The event stream is only for this site's pages.")
            .into_response();
    }
    let slot = match state.streams.take(&caller.id) {
        Ok(slot) => slot,
        Err(refused) => {
            tracing::warn!(user = %caller.id, "event stream refused: {}", refused.message);
            return refused.into_response();
        }
    };
    tracing::debug!(user = %caller.id, "event stream opened");
    crate::metrics::stream_opened();
    // Subscribed before the recent messages are read: none falls between the two.
    let receiver = state.events.subscribe();
    let missed = query
        .since
        .is_some_and(|since| missed_since(&state, &caller, since));
    let first = missed.then(|| Ok(sse(&DashboardEvent::Resync)));
    let events = stream::iter(first).chain(events_for(state, caller, slot, receiver));
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Whether the caller would have heard something since `since`: a page opening its stream
/// then re-reads only if so (and always when this server cannot tell).
fn missed_since(state: &AppState, caller: &Caller, since: i64) -> bool {
    state.events.since(since).is_none_or(|sent| {
        sent.iter().any(|message| match message {
            BusMessage::User { owner, event } => hears(caller, owner, event),
            BusMessage::Everyone { .. } => true,
            BusMessage::Cancel { .. } => false,
        })
    })
}

/// An event as the stream sends it: its name, and its ids as JSON.
fn sse(event: &DashboardEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    Event::default().event(event.kind()).data(data)
}

/// Whether `caller` hears `event`, sent to the user `owner`.
fn hears(caller: &Caller, owner: &str, event: &DashboardEvent) -> bool {
    owner == caller.id
        || (caller.role.allows(Role::Admin)
            && matches!(
                event,
                DashboardEvent::TaskProgress { .. } | DashboardEvent::TaskEnded { .. }
            ))
}

/// The resource groups whose clusters an open stream keeps fresh: every one the caller's role
/// may see by name (a `subscription/*` entry names none; its groups are read when shown).
fn looked_at(state: &AppState, caller: &Caller) -> Vec<(String, String)> {
    state
        .scopes
        .choices_for(caller.role)
        .into_iter()
        .filter_map(|c| Some((c.subscription_id, c.resource_group?)))
        .collect()
}

fn events_for(
    state: AppState,
    caller: Caller,
    slot: StreamSlot,
    receiver: tokio::sync::broadcast::Receiver<BusMessage>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let scopes = looked_at(&state, &caller);
    let look = move |state: &AppState| {
        for (sub, rg) in &scopes {
            state.azure.keep_clusters_warm(sub, rg);
        }
    };
    look(&state);
    // The slot lives as long as the stream: dropped with it when the page goes away.
    stream::unfold((receiver, slot), move |(mut receiver, slot)| {
        let (state, caller, look) = (state.clone(), caller.clone(), look.clone());
        async move {
            loop {
                let next = tokio::time::timeout(LOOKING_EVERY, receiver.recv()).await;
                let event = match next {
                    Err(_elapsed) => {
                        look(&state);
                        continue;
                    }
                    Ok(Ok(BusMessage::User { owner, event })) if hears(&caller, &owner, &event) => {
                        event
                    }
                    Ok(Ok(BusMessage::Everyone { event })) => event,
                    Ok(Ok(_)) => continue,
                    // Fell behind: whatever was missed, the page reads everything again.
                    Ok(Err(RecvError::Lagged(missed))) => {
                        crate::metrics::stream_resync(missed);
                        DashboardEvent::Resync
                    }
                    Ok(Err(RecvError::Closed)) => return None,
                };
                return Some((Ok(sse(&event)), (receiver, slot)));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_hears_everyones_progress_but_not_their_failures() {
        let admin = Caller::named("ada", Role::Admin);
        let operator = Caller::named("otto", Role::Operator);
        let progress = DashboardEvent::TaskProgress {
            task_id: "t".into(),
        };
        let failed = DashboardEvent::FailureRecorded { job_id: "j".into() };
        assert!(hears(&admin, "otto", &progress));
        assert!(!hears(&admin, "otto", &failed));
        assert!(hears(&operator, "otto", &failed));
        assert!(!hears(&operator, "ada", &progress));
    }
}
