//! The simulator's long-running operations (create, update, delete, abort) and what their status
//! URLs answer. Each operation that is still running sits in a queue ordered by the moment its
//! next change is due, so moving the world forward costs only the operations that change.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::answer::Answer;
use super::rules::OPERATION_API_VERSION;
use crate::azure::error::ArmErrorDetail;
use crate::azure::models::OperationState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Create,
    Update,
    Delete,
    Abort,
}

impl OperationKind {
    /// How AKS names the operation in its conflict messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Create => "create managed cluster",
            Self::Update => "update managed cluster",
            Self::Delete => "delete managed cluster",
            Self::Abort => "abort",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimOperation {
    pub id: String,
    pub kind: OperationKind,
    /// The key of the cluster it works on.
    pub cluster_key: (String, String),
    pub resource_group: String,
    pub cluster_name: String,
    pub location: String,
    pub started_at: Instant,
    pub started_wall: SystemTime,
    /// When the current phase ends (the work, or the cancel once `Canceling`).
    pub ends_at: Instant,
    pub state: OperationState,
    /// A scripted failure: when, and with which error.
    pub failure: Option<(Instant, ArmErrorDetail)>,
    pub error: Option<ArmErrorDetail>,
    pub ended_wall: Option<SystemTime>,
    /// Where it sits in the queue of due changes.
    scheduled: Option<Instant>,
}

impl SimOperation {
    pub fn new(
        kind: OperationKind,
        cluster_key: (String, String),
        resource_group: &str,
        cluster_name: &str,
        location: &str,
        now: Instant,
        duration: Duration,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            cluster_key,
            resource_group: resource_group.into(),
            cluster_name: cluster_name.into(),
            location: location.into(),
            started_at: now,
            started_wall: SystemTime::now(),
            ends_at: now + duration,
            state: OperationState::InProgress,
            failure: None,
            error: None,
            ended_wall: None,
            scheduled: None,
        }
    }

    /// The wall-clock time of `at`.
    pub fn wall(&self, at: Instant) -> SystemTime {
        self.started_wall + at.saturating_duration_since(self.started_at)
    }

    /// Ends the operation at `at` in `state`.
    pub fn end(&mut self, state: OperationState, at: Instant) {
        self.state = state;
        self.ended_wall = Some(self.wall(at));
    }

    /// When the operation next changes by itself, if it still will.
    fn next_change(&self) -> Option<Instant> {
        match self.state {
            OperationState::InProgress => {
                let failure = self
                    .failure
                    .as_ref()
                    .map(|(at, _)| *at)
                    .filter(|at| *at <= self.ends_at);
                Some(failure.map_or(self.ends_at, |f| f.min(self.ends_at)))
            }
            OperationState::Canceling => Some(self.ends_at),
            _ => None,
        }
    }
}

/// Every operation ever started (ARM keeps their status readable), and the queue of the ones
/// still changing.
#[derive(Debug, Default)]
pub struct Operations {
    by_id: HashMap<String, SimOperation>,
    due: BTreeSet<(Instant, String)>,
}

impl Operations {
    pub fn insert(&mut self, op: SimOperation) -> String {
        let id = op.id.to_ascii_lowercase();
        self.by_id.insert(id.clone(), op);
        self.schedule(&id);
        id
    }

    pub fn get(&self, id: &str) -> Option<&SimOperation> {
        self.by_id.get(&id.to_ascii_lowercase())
    }

    /// Changes an operation and puts it back in the queue where its next change is due.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut SimOperation)) {
        let id = id.to_ascii_lowercase();
        let Some(op) = self.by_id.get_mut(&id) else {
            return;
        };
        if let Some(at) = op.scheduled.take() {
            self.due.remove(&(at, id.clone()));
        }
        change(op);
        self.schedule(&id);
    }

    /// The ids of the operations whose next change is due at `now`, taken off the queue; the
    /// caller applies the change through [`update`](Self::update).
    pub fn take_due(&mut self, now: Instant) -> Vec<String> {
        let mut due = Vec::new();
        while let Some((at, id)) = self.due.first().cloned() {
            if at > now {
                break;
            }
            self.due.pop_first();
            if let Some(op) = self.by_id.get_mut(&id) {
                op.scheduled = None;
            }
            due.push(id);
        }
        due
    }

    /// Every operation, oldest first.
    pub fn all(&self) -> Vec<&SimOperation> {
        let mut ops: Vec<&SimOperation> = self.by_id.values().collect();
        ops.sort_by_key(|o| o.started_at);
        ops
    }

    fn schedule(&mut self, id: &str) {
        if let Some(op) = self.by_id.get_mut(id)
            && let Some(at) = op.next_change()
        {
            op.scheduled = Some(at);
            self.due.insert((at, id.to_string()));
        }
    }
}

/// What an operation-status answer needs to know about the world.
pub struct StatusContext<'a> {
    pub subscription_id: &'a str,
    pub base: &'a str,
    /// `Retry-After` sent while an operation runs; zero sends none.
    pub retry_after: Duration,
}

impl StatusContext<'_> {
    /// The `Azure-AsyncOperation` and `Location` URLs of an operation, as AKS hands them out.
    pub fn urls(&self, op: &SimOperation) -> (String, String) {
        let prefix = format!(
            "{}/subscriptions/{}/providers/Microsoft.ContainerService/locations/{}",
            self.base, self.subscription_id, op.location
        );
        let query = format!("api-version={OPERATION_API_VERSION}");
        (
            format!("{prefix}/operations/{}?{query}", op.id),
            format!("{prefix}/operationresults/{}?{query}", op.id),
        )
    }

    /// Adds `Retry-After` unless it is configured off.
    pub fn with_retry_after(&self, answer: Answer) -> Answer {
        if self.retry_after.is_zero() {
            answer
        } else {
            answer.with_header("retry-after", self.retry_after.as_secs().max(1).to_string())
        }
    }

    /// The answer to a request that started `op`: `Azure-AsyncOperation` (and `Location` for
    /// DELETE and abort), `Retry-After`.
    pub fn accepted(&self, status: u16, op: &SimOperation, location_header: bool) -> Answer {
        let (async_url, location_url) = self.urls(op);
        let mut answer = Answer::empty(status).with_header("azure-asyncoperation", async_url);
        if location_header {
            answer = answer.with_header("location", location_url);
        }
        self.with_retry_after(answer)
    }

    /// `…/operations/{id}` (`Azure-AsyncOperation`), or with `as_location` the
    /// `…/operationresults/{id}` (`Location`) flavour: 202 while running, 204 when it succeeded.
    pub fn status(&self, op: &SimOperation, as_location: bool, now: Instant) -> Answer {
        if as_location {
            return match &op.state {
                OperationState::Succeeded => Answer::empty(204),
                s if s.is_terminal() => Answer::json(200, self.status_json(op, now)),
                _ => {
                    let (_, location) = self.urls(op);
                    self.with_retry_after(Answer::empty(202).with_header("location", location))
                }
            };
        }
        let answer = Answer::json(200, self.status_json(op, now));
        if op.state.is_terminal() {
            answer
        } else {
            self.with_retry_after(answer)
        }
    }

    fn status_json(&self, op: &SimOperation, now: Instant) -> Value {
        let mut body = json!({
            "id": format!(
                "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{}/operations/{}",
                self.subscription_id, op.location, op.id
            ),
            "name": op.id,
            "status": op.state.as_str(),
            "startTime": rfc3339(op.started_wall),
        });
        if let Some(ended) = op.ended_wall {
            body["endTime"] = json!(rfc3339(ended));
        }
        if op.state == OperationState::InProgress {
            let total = op
                .ends_at
                .saturating_duration_since(op.started_at)
                .as_secs_f64();
            let done = now.saturating_duration_since(op.started_at).as_secs_f64();
            let percent = if total > 0.0 {
                (done / total * 100.0).min(99.0)
            } else {
                0.0
            };
            body["percentComplete"] = json!(percent.round());
        }
        if op.state.is_terminal()
            && let Some(error) = &op.error
        {
            body["error"] = serde_json::to_value(error).unwrap_or(Value::Null);
        }
        body
    }
}

pub fn rfc3339(at: SystemTime) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(now: Instant, seconds: u64) -> SimOperation {
        SimOperation::new(
            OperationKind::Create,
            ("rg".into(), "aks".into()),
            "rg",
            "aks",
            "eastus",
            now,
            Duration::from_secs(seconds),
        )
    }

    #[test]
    fn only_operations_that_are_due_come_off_the_queue() {
        let now = Instant::now();
        let mut ops = Operations::default();
        let soon = ops.insert(op(now, 1));
        let late = ops.insert(op(now, 100));
        assert!(ops.take_due(now).is_empty());
        assert_eq!(
            ops.take_due(now + Duration::from_secs(2)),
            vec![soon.clone()]
        );
        ops.update(&soon, |o| o.end(OperationState::Succeeded, now));
        assert!(ops.take_due(now + Duration::from_secs(50)).is_empty());
        assert_eq!(ops.take_due(now + Duration::from_secs(100)), vec![late]);
    }

    #[test]
    fn a_scripted_failure_is_due_before_the_end() {
        let now = Instant::now();
        let mut ops = Operations::default();
        let mut failing = op(now, 100);
        failing.failure = Some((now + Duration::from_secs(3), ArmErrorDetail::new("X", "y")));
        let id = ops.insert(failing);
        assert_eq!(ops.take_due(now + Duration::from_secs(3)), vec![id]);
    }

    #[test]
    fn rescheduling_moves_an_operation_in_the_queue() {
        let now = Instant::now();
        let mut ops = Operations::default();
        let id = ops.insert(op(now, 100));
        ops.update(&id, |o| {
            o.state = OperationState::Canceling;
            o.ends_at = now + Duration::from_secs(1);
        });
        assert_eq!(ops.take_due(now + Duration::from_secs(1)), vec![id]);
    }

    #[test]
    fn status_urls_use_the_operation_api_version_and_retry_after_can_be_off() {
        let now = Instant::now();
        let running = op(now, 10);
        let ctx = StatusContext {
            subscription_id: "s",
            base: "http://h",
            retry_after: Duration::from_secs(30),
        };
        let (async_url, location) = ctx.urls(&running);
        assert!(
            async_url.ends_with("?api-version=2016-03-30"),
            "{async_url}"
        );
        assert!(location.contains("/operationresults/"));
        let answer = ctx.status(&running, false, now);
        assert!(
            answer
                .headers
                .contains(&("retry-after".into(), "30".into()))
        );
        let quiet = StatusContext {
            retry_after: Duration::ZERO,
            ..ctx
        };
        assert!(
            !quiet
                .status(&running, false, now)
                .headers
                .iter()
                .any(|(n, _)| n == "retry-after")
        );
    }
}
