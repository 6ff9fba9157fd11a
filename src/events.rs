//! Server push: what the server tells the open pages of a user, live (`GET /api/events`, as
//! Server-Sent Events). An event names what changed; the page reads the new state through the
//! API, so an event that is lost or repeated does no harm.

use serde::{Deserialize, Serialize};

use crate::domain::JobStatus;

/// One thing that changed, as the `data` of a Server-Sent Event (the `event` name is `kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DashboardEvent {
    /// A provision of the user failed (or was stopped and left a cluster behind).
    FailureRecorded { job_id: String },
    /// A failure of the user was dismissed (on some device), or its partial cluster deleted.
    FailureDismissed { job_id: String },
    /// A provision of the user moved on (queued, a new step, a new cluster state).
    TaskProgress { task_id: String },
    /// A provision of the user ended.
    TaskEnded { task_id: String, status: JobStatus },
    /// The clusters of the dashboard's resource group changed.
    ClustersChanged,
    /// A request awaiting approval was made or decided: the queue and the requester's cards
    /// read `GET /api/approvals` again.
    ApprovalsChanged,
    /// Events may have been missed (the server's feed reconnected): read everything again.
    Resync,
}

impl DashboardEvent {
    /// The SSE `event:` name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::FailureRecorded { .. } => "failure_recorded",
            Self::FailureDismissed { .. } => "failure_dismissed",
            Self::TaskProgress { .. } => "task_progress",
            Self::TaskEnded { .. } => "task_ended",
            Self::ClustersChanged => "clusters_changed",
            Self::ApprovalsChanged => "approvals_changed",
            Self::Resync => "resync",
        }
    }
}

#[cfg(feature = "ssr")]
pub mod bus;
#[cfg(feature = "ssr")]
pub mod webhook;
