//! What a job is, as stored and as changed: a new job, a stored one, a partial update, a
//! runner's claim, and why a job was not stored or not found.

use serde::{Deserialize, Serialize};

use crate::storage::{HistoryEvent, StorageError};

/// `type` of a cluster-create job.
pub const AKS_PROVISION: &str = "aks_provision";

pub use crate::domain::JobStatus;
/// What a provision creates: the job's payload is the provision request as made.
pub use crate::domain::ProvisionRequest as ClusterContext;
use crate::domain::{Classification, PartialCluster, PriceEstimate, Progress};

/// A job about to be stored; it starts `queued`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: String,
    pub task_id: String,
    pub job_type: String,
    pub owner_id: String,
    /// The owner's name as their sign-in gave it, when it differs from the id.
    pub owner_name: Option<String>,
    /// The owner's role (`reader`, `operator`, `admin`) when the job was made.
    pub owner_role: Option<String>,
    pub payload: ClusterContext,
    pub created_at: i64,
    /// What the create was estimated to cost when it was made.
    pub estimate: Option<PriceEstimate>,
}

impl NewJob {
    /// A cluster create for `owner_id`, with fresh job and task ids.
    pub fn aks_provision(owner_id: &str, payload: ClusterContext, created_at: i64) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            task_id: uuid::Uuid::new_v4().to_string(),
            job_type: AKS_PROVISION.to_owned(),
            owner_id: owner_id.to_owned(),
            owner_name: None,
            owner_role: None,
            payload,
            created_at,
            estimate: None,
        }
    }

    /// The same job, with the estimate it was made with.
    pub fn with_estimate(mut self, estimate: Option<PriceEstimate>) -> Self {
        self.estimate = estimate;
        self
    }

    /// The same job, made with the owner's role `role` (`reader`, `operator`, `admin`).
    pub fn with_owner_role(mut self, role: &str) -> Self {
        self.owner_role = Some(role.to_owned());
        self
    }

    /// The same job, with the owner's name people read.
    pub fn owned_by_name(mut self, name: &str) -> Self {
        self.owner_name = (name != self.owner_id).then(|| name.to_owned());
        self
    }
}

/// One stored job. Timestamps are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub task_id: String,
    pub job_type: String,
    pub status: JobStatus,
    pub phase: Option<String>,
    pub step: u32,
    pub total_steps: u32,
    pub owner_id: String,
    /// The owner's name, when their sign-in gave one other than the id.
    pub owner_name: Option<String>,
    /// The owner's role when the job was made.
    pub owner_role: Option<String>,
    pub payload: ClusterContext,
    /// The runner's live view (`cluster_state`, `pools`, `portal_url`, …); none before the
    /// runner wrote one.
    pub progress: Option<Progress>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_category: Option<String>,
    /// Azure's response body as received, for "Show raw Azure response".
    pub raw_error: Option<String>,
    /// Set when a cluster resource may remain in Azure after a failure or cancel.
    pub partial_cluster: Option<PartialCluster>,
    pub cancel_requested: bool,
    pub lease_holder: Option<String>,
    pub lease_expires_at: Option<i64>,
    /// How many times a runner has claimed this job (also the fencing token of the current
    /// claim: a write carries it, so a runner whose claim was superseded cannot write).
    pub lease_attempts: u32,
    /// When the create PUT was (about to be) sent: Azure may have something of this job.
    pub arm_put_at: Option<i64>,
    /// Runs that ended in an internal error (panic, unreadable row).
    pub internal_errors: u32,
    /// Not to be taken up before this time (after an internal error).
    pub not_before: Option<i64>,
    pub dismissed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// What the create was estimated to cost when it was made, if known.
    pub estimate: Option<PriceEstimate>,
    /// The classifier's words for a failed or cancelled end, written as the job ended.
    pub explanation: Option<Classification>,
}

impl JobRecord {
    /// The cluster's page in the Azure portal, once the runner has named it.
    pub fn portal_url(&self) -> Option<&str> {
        self.progress.as_ref()?.portal_url.as_deref()
    }
}

/// A partial update: only the fields that are `Some` are written (plus `updated_at`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobUpdate {
    pub status: Option<JobStatus>,
    pub phase: Option<String>,
    pub step: Option<u32>,
    pub total_steps: Option<u32>,
    pub progress: Option<Progress>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_category: Option<String>,
    pub raw_error: Option<String>,
    pub partial_cluster: Option<PartialCluster>,
    pub cancel_requested: Option<bool>,
    pub arm_put_at: Option<i64>,
    pub explanation: Option<Classification>,
    /// What this change is, for the history: written in the same transaction, and only when
    /// the change itself is (a write under a lost claim writes neither).
    pub history: Vec<HistoryEvent>,
}

/// One claim of one job by a runner: its holder name and the claim's number. The number is the
/// job's `lease_attempts` at the claim, a fencing token: every write of the runner carries it, so
/// a runner whose claim was superseded (its lease ran out and another took the job) writes
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLease {
    pub job_id: String,
    pub holder: String,
    pub attempt: u32,
}

impl JobRecord {
    /// The claim this row is under, if a runner holds it.
    pub fn lease(&self) -> Option<JobLease> {
        self.lease_holder.as_ref().map(|holder| JobLease {
            job_id: self.id.clone(),
            holder: holder.clone(),
            attempt: self.lease_attempts,
        })
    }
}

/// Why a new job was not stored.
#[derive(Debug, thiserror::Error)]
pub enum CreateJobError {
    /// A job for the same cluster is queued or running (whoever owns it).
    #[error("a job for this cluster is already in flight")]
    ClusterBusy,
    /// The owner already has this many jobs queued or running.
    #[error("already {max_in_flight} jobs in flight")]
    TooManyInFlight { max_in_flight: u32 },
    /// The job's subscription and resource group already have this many jobs in flight.
    #[error("already {max_in_flight} jobs in flight in this scope")]
    ScopeFull { max_in_flight: u32 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an owner-scoped request found no job to act on.
#[derive(Debug, thiserror::Error)]
pub enum JobAccessError {
    #[error("no such job")]
    NotFound,
    #[error("the job belongs to someone else")]
    Forbidden,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// How many jobs may be in flight at once: per owner, and per subscription and resource group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlightCaps {
    pub per_owner: u32,
    pub per_scope: u32,
}
