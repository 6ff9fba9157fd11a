//! A failed (or stopped) create as the dashboard lists it: the "last attempt failed" banner's
//! rows, with the request to retry, the fixes and the explanation.

use serde::{Deserialize, Serialize};

use super::{
    Classification, Fix, JobStatus, PartialCluster, PriceEstimate, ProvisionRequest, TimelineStep,
};

/// One row of `GET /api/aks/recent-failed-provisions`; the dashboard's "last attempt failed".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FailedProvision {
    pub job_id: String,
    pub task_id: String,
    pub status: JobStatus,
    pub phase: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub category: Option<String>,
    pub cluster_name: String,
    pub region: String,
    pub resource_group: String,
    pub subscription_id: String,
    pub portal_url: Option<String>,
    pub partial_cluster: Option<PartialCluster>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
    /// The request as made, for Edit & retry.
    #[serde(default)]
    pub request: Option<ProvisionRequest>,
    /// Azure's raw error body, for "Show raw Azure response".
    #[serde(default)]
    pub raw_error: Option<String>,
    /// Why "Delete partial cluster" is not offered for `partial_cluster` (absent: it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_blocked: Option<String>,
    /// Changes that would work (see [`Fix`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
    /// The failure in the classifier's words, as the error card shows it (computed by the
    /// server, so the browser carries no classifier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Classification>,
    /// What the create was estimated to cost when it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<PriceEstimate>,
    /// The job's short history (what people did and how Azure answered), once it ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecentFailures {
    pub jobs: Vec<FailedProvision>,
    pub degraded: bool,
}
