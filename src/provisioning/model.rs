//! The JSON shapes of the provisioning API (`PRODUCT.md` § HTTP API). Field names are the ones
//! the replaced system used, so existing clients keep working.

use serde::{Deserialize, Serialize};

use crate::provisioning::classify::Classification;

/// The node pools the product creates: the system pool and the user pool.
pub const SYSTEM_POOL: &str = "system";
pub const USER_POOL: &str = "nodepool1";

/// What a user asks for: one AKS cluster with a system pool and one user node pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProvisionRequest {
    pub subscription_id: String,
    pub resource_group: String,
    pub region: String,
    /// Left out, it is empty: pre-flight needs no name, and a provision without one is refused
    /// by validation with the field named.
    #[serde(default)]
    pub cluster_name: String,
    pub node_sku: String,
    pub node_count: u32,
    pub system_vm_size: String,
    pub system_node_count: u32,
}

impl ProvisionRequest {
    /// Subscription + resource group + name: what makes two attempts "the same cluster".
    pub fn cluster_key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.subscription_id.to_ascii_lowercase(),
            self.resource_group.to_ascii_lowercase(),
            self.cluster_name.to_ascii_lowercase()
        )
    }
}

/// 202 answer of `POST /api/aks/provision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionAccepted {
    pub job_id: String,
    pub task_id: String,
    pub status: String,
    pub status_url: String,
}

/// Lifecycle of a job / task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

/// What a one-click fix changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    NodeCount,
    VmSize,
    Region,
    Name,
    /// No request fixes it; the link does (a role assignment, a policy, a registration).
    Link,
}

impl FixKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::NodeCount => "node_count",
            FixKind::VmSize => "vm_size",
            FixKind::Region => "region",
            FixKind::Name => "name",
            FixKind::Link => "link",
        }
    }
}

/// A change that would work: the whole corrected request (it passed pre-flight when it was
/// proposed), or, for `link`, where to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub kind: FixKind,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<ProvisionRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A cluster resource left behind by a cancelled or failed create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub result: Option<serde_json::Value>,
    pub request: ProvisionRequest,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `POST /api/aks/cancel-provision/{task_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOutcome {
    pub task_id: String,
    pub job_id: String,
    pub previous_status: JobStatus,
    pub was_running: bool,
    pub cancelled: bool,
    pub partial_cluster: Option<PartialCluster>,
}

/// One row of `GET /api/aks/recent-failed-provisions`; the dashboard's "last attempt failed".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentFailures {
    pub jobs: Vec<FailedProvision>,
    pub degraded: bool,
}

/// Status of one pre-flight check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreflightCheck {
    /// `skus`, `quota` or `resource_group`.
    pub name: String,
    pub status: CheckStatus,
    pub message: String,
    #[serde(default)]
    pub details: serde_json::Value,
    /// For a failing check: changes that would pass it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

/// `POST /api/aks/preflight`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreflightReport {
    pub ok: bool,
    pub checks: Vec<PreflightCheck>,
    pub portal_url: String,
    /// The largest node count of the user pool that fits the quota (with the system pool).
    #[serde(default)]
    pub max_node_count: Option<u32>,
}

/// One VM size of `GET /api/aks/available-skus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuAvailability {
    pub name: String,
    pub family: String,
    pub vcpus: u32,
    pub available: bool,
    /// Azure's restriction reason when blocked, e.g. `NotAvailableForSubscription`.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailableSkus {
    pub region: String,
    pub skus: Vec<SkuAvailability>,
}

/// One cluster of the resource group, as the ClusterCard lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub name: String,
    pub region: String,
    pub kubernetes_version: Option<String>,
    pub provisioning_state: String,
    pub pools: Vec<PoolProgress>,
    pub portal_url: String,
}

/// `GET /api/aks/clusters`: the clusters, or why they could not be read (Azure unreachable is
/// not an error of the page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterList {
    pub subscription_id: String,
    pub resource_group: String,
    pub clusters: Vec<ClusterSummary>,
    /// A one-line explanation when Azure could not be read.
    pub error: Option<String>,
}

/// Answer of deleting a partial cluster left by a cancelled or failed job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletePartialOutcome {
    pub job_id: String,
    pub resource_id: String,
    /// `deleting` once Azure accepted the delete, `gone` when it was already gone.
    pub status: String,
}

// How the browser reads these types (`crate::wire`); `wire_tests` below proves each reads back
// what serde writes.
mod from_json {
    use super::*;
    use crate::wire::{Fields, FromJson, WireError, named};
    use serde_json::Value;

    impl FromJson for ProvisionRequest {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                subscription_id: f.req("subscription_id")?,
                resource_group: f.req("resource_group")?,
                region: f.req("region")?,
                cluster_name: f.or_default("cluster_name")?,
                node_sku: f.req("node_sku")?,
                node_count: f.req("node_count")?,
                system_vm_size: f.req("system_vm_size")?,
                system_node_count: f.req("system_node_count")?,
            })
        }
    }

    impl FromJson for ProvisionAccepted {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                job_id: f.req("job_id")?,
                task_id: f.req("task_id")?,
                status: f.req("status")?,
                status_url: f.req("status_url")?,
            })
        }
    }

    impl FromJson for JobStatus {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            use JobStatus::*;
            named(
                v,
                &[Queued, Running, Succeeded, Failed, Cancelled],
                Self::as_str,
            )
        }
    }

    impl FromJson for FixKind {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            use FixKind::*;
            named(v, &[NodeCount, VmSize, Region, Name, Link], Self::as_str)
        }
    }

    impl FromJson for CheckStatus {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            use CheckStatus::*;
            named(v, &[Ok, Warn, Fail], |s| match s {
                Ok => "ok",
                Warn => "warn",
                Fail => "fail",
            })
        }
    }

    impl FromJson for PoolProgress {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                name: f.req("name")?,
                vm_size: f.req("vm_size")?,
                count: f.req("count")?,
                mode: f.req("mode")?,
                provisioning_state: f.or_default("provisioning_state")?,
            })
        }
    }

    impl FromJson for Progress {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                phase: f.req("phase")?,
                step: f.req("step")?,
                total_steps: f.req("total_steps")?,
                message: f.req("message")?,
                updated_at: f.req("updated_at")?,
                cluster_state: f.or_default("cluster_state")?,
                pools: f.or_default("pools")?,
                portal_url: f.or_default("portal_url")?,
                arm_elapsed_seconds: f.or_default("arm_elapsed_seconds")?,
                operation_url: f.or_default("operation_url")?,
                arm_started_at: f.or_default("arm_started_at")?,
            })
        }
    }

    impl FromJson for Fix {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                kind: f.req("kind")?,
                label: f.req("label")?,
                request: f.or_default("request")?,
                url: f.or_default("url")?,
            })
        }
    }

    impl FromJson for PartialCluster {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                resource_id: f.req("resource_id")?,
                portal_url: f.req("portal_url")?,
                last_state: f.req("last_state")?,
                abort_requested: f.or_default("abort_requested")?,
            })
        }
    }

    impl FromJson for TaskError {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                code: f.req("code")?,
                message: f.req("message")?,
                category: f.req("category")?,
                headline: f.req("headline")?,
                raw: f.or_default("raw")?,
                partial_cluster: f.or_default("partial_cluster")?,
                fixes: f.or_default("fixes")?,
                explanation: f.or_default("explanation")?,
            })
        }
    }

    impl FromJson for TaskStatus {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                task_id: f.req("task_id")?,
                job_id: f.req("job_id")?,
                status: f.req("status")?,
                ready: f.req("ready")?,
                progress: f.or_default("progress")?,
                error: f.or_default("error")?,
                result: f.or_default("result")?,
                request: f.req("request")?,
                created_at: f.req("created_at")?,
                updated_at: f.req("updated_at")?,
            })
        }
    }

    impl FromJson for CancelOutcome {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                task_id: f.req("task_id")?,
                job_id: f.req("job_id")?,
                previous_status: f.req("previous_status")?,
                was_running: f.req("was_running")?,
                cancelled: f.req("cancelled")?,
                partial_cluster: f.req("partial_cluster")?,
            })
        }
    }

    impl FromJson for FailedProvision {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                job_id: f.req("job_id")?,
                task_id: f.req("task_id")?,
                status: f.req("status")?,
                phase: f.req("phase")?,
                error_code: f.req("error_code")?,
                error_message: f.req("error_message")?,
                category: f.req("category")?,
                cluster_name: f.req("cluster_name")?,
                region: f.req("region")?,
                resource_group: f.req("resource_group")?,
                subscription_id: f.req("subscription_id")?,
                portal_url: f.req("portal_url")?,
                partial_cluster: f.req("partial_cluster")?,
                created_at: f.req("created_at")?,
                updated_at: f.req("updated_at")?,
                request: f.or_default("request")?,
                raw_error: f.or_default("raw_error")?,
                delete_blocked: f.or_default("delete_blocked")?,
                fixes: f.or_default("fixes")?,
                explanation: f.or_default("explanation")?,
            })
        }
    }

    impl FromJson for RecentFailures {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                jobs: f.req("jobs")?,
                degraded: f.req("degraded")?,
            })
        }
    }

    impl FromJson for PreflightCheck {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                name: f.req("name")?,
                status: f.req("status")?,
                message: f.req("message")?,
                details: f.or_default("details")?,
                fixes: f.or_default("fixes")?,
            })
        }
    }

    impl FromJson for PreflightReport {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                ok: f.req("ok")?,
                checks: f.req("checks")?,
                portal_url: f.req("portal_url")?,
                max_node_count: f.or_default("max_node_count")?,
            })
        }
    }

    impl FromJson for SkuAvailability {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                name: f.req("name")?,
                family: f.req("family")?,
                vcpus: f.req("vcpus")?,
                available: f.req("available")?,
                reason: f.or_default("reason")?,
            })
        }
    }

    impl FromJson for AvailableSkus {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                region: f.req("region")?,
                skus: f.req("skus")?,
            })
        }
    }

    impl FromJson for ClusterSummary {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                name: f.req("name")?,
                region: f.req("region")?,
                kubernetes_version: f.req("kubernetes_version")?,
                provisioning_state: f.req("provisioning_state")?,
                pools: f.req("pools")?,
                portal_url: f.req("portal_url")?,
            })
        }
    }

    impl FromJson for ClusterList {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                subscription_id: f.req("subscription_id")?,
                resource_group: f.req("resource_group")?,
                clusters: f.req("clusters")?,
                error: f.req("error")?,
            })
        }
    }

    impl FromJson for DeletePartialOutcome {
        fn from_json(v: &Value) -> Result<Self, WireError> {
            let f = Fields::of(v)?;
            Ok(Self {
                job_id: f.req("job_id")?,
                resource_id: f.req("resource_id")?,
                status: f.req("status")?,
            })
        }
    }
}
