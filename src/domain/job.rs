//! A create as it runs and ends: its status, steps and live progress, the answers of the task
//! routes (`/api/tasks/{id}`, cancel) and what a failed or stopped create left in Azure.

use serde::{Deserialize, Serialize};

use super::{Classification, Fix, PriceEstimate, ProvisionRequest, TimelineStep};

/// Lifecycle of a job / task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            _ => return None,
        })
    }

    /// Succeeded, failed and cancelled jobs never change status again.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// The steps of a provision, in order.
pub const STEPS: [&str; 3] = [
    "ensuring_resource_group",
    "arm_create_or_update",
    "completed",
];

/// One node pool as Azure reports it while the cluster is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PoolProgress {
    pub name: String,
    pub vm_size: String,
    pub count: u32,
    pub mode: String,
    #[serde(default)]
    pub provisioning_state: Option<String>,
}

/// Live progress of a running provision, written to the job row at every step and poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Progress {
    pub phase: String,
    pub step: u32,
    pub total_steps: u32,
    pub message: String,
    /// Milliseconds since the Unix epoch.
    pub updated_at: i64,
    /// The cluster's `provisioningState` once the resource is visible in Azure.
    #[serde(default)]
    pub cluster_state: Option<String>,
    #[serde(default)]
    pub pools: Vec<PoolProgress>,
    #[serde(default)]
    pub portal_url: Option<String>,
    #[serde(default)]
    pub arm_elapsed_seconds: Option<f64>,
    /// The ARM async operation being followed, so a worker that takes the job over after a
    /// crash follows the same operation instead of creating again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_url: Option<String>,
    /// When the ARM create was accepted (ms since epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm_started_at: Option<i64>,
    /// Azure's `x-ms-correlation-request-id` of the accepted create: the Activity Log entries
    /// of the create carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_correlation_id: Option<String>,
}

/// A cluster resource left behind by a cancelled or failed create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PartialCluster {
    pub resource_id: String,
    pub portal_url: String,
    pub last_state: Option<String>,
    /// The job asked Azure to abort its create: a cluster still `Creating` is on its way to
    /// `Canceled`, and may be deleted.
    #[serde(default)]
    pub abort_requested: bool,
}

/// Why a task failed, as recorded on the job row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskError {
    pub code: String,
    pub message: String,
    pub category: String,
    pub headline: String,
    #[serde(default)]
    pub raw: Option<String>,
    #[serde(default)]
    pub partial_cluster: Option<PartialCluster>,
    /// Changes that would work (see [`Fix`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
    /// The failure in the classifier's words, as the error card shows it (computed by the
    /// server, so the browser carries no classifier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Classification>,
}

/// `GET /api/tasks/{task_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskStatus {
    pub task_id: String,
    pub job_id: String,
    pub status: JobStatus,
    pub ready: bool,
    #[serde(default)]
    pub progress: Option<Progress>,
    #[serde(default)]
    pub error: Option<TaskError>,
    #[serde(default)]
    pub result: Option<TaskResult>,
    pub request: ProvisionRequest,
    pub created_at: i64,
    pub updated_at: i64,
    /// Who started it: their id, and the name their sign-in gave (an admin sees everyone's).
    #[serde(default)]
    pub owner_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// What the create was estimated to cost when it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<PriceEstimate>,
    /// The job's short history (what people did and how Azure answered), once it ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineStep>,
}

/// What a succeeded create made: `result` of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskResult {
    pub cluster_name: String,
    /// The cluster's ARM resource id.
    pub resource_id: String,
    pub portal_url: Option<String>,
}

/// `POST /api/aks/cancel-provision/{task_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CancelOutcome {
    pub task_id: String,
    pub job_id: String,
    pub previous_status: JobStatus,
    pub was_running: bool,
    pub cancelled: bool,
    pub partial_cluster: Option<PartialCluster>,
    /// The stop was accepted and the job is being stopped (Azure's create aborted, what is
    /// left read); its end comes as a `task_ended` event and on the task.
    #[serde(default)]
    pub stopping: bool,
}

/// Answer of deleting a partial cluster left by a cancelled or failed job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeletePartialOutcome {
    pub job_id: String,
    pub resource_id: String,
    /// `deleting` once Azure accepted the delete, `gone` when it was already gone.
    pub status: String,
}
