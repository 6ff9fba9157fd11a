//! The JSON shapes of the provisioning API (`PRODUCT.md` § HTTP API). Field names are the ones
//! the replaced system used, so existing clients keep working.

use serde::{Deserialize, Serialize};

use crate::provisioning::classify::Classification;

/// The node pools the product creates: the system pool and the user pool.
pub const SYSTEM_POOL: &str = "system";
pub const USER_POOL: &str = "nodepool1";

/// What a user asks for: one AKS cluster with a system pool and one user node pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// The Kubernetes version (`1.31` or `1.31.2`); empty: AKS's default in the region.
    #[serde(default)]
    pub kubernetes_version: String,
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProvisionAccepted {
    pub job_id: String,
    pub task_id: String,
    pub status: String,
    pub status_url: String,
}

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

/// What a one-click fix changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    NodeCount,
    VmSize,
    Region,
    Name,
    /// A Kubernetes version the region offers.
    KubernetesVersion,
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
            FixKind::KubernetesVersion => "kubernetes_version",
            FixKind::Link => "link",
        }
    }
}

/// A change that would work: the whole corrected request (it passed pre-flight when it was
/// proposed), or, for `link`, where to fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Fix {
    pub kind: FixKind,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<ProvisionRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What the corrected request would cost, and how much more or less than the request as
    /// made; absent when the prices could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<FixCost>,
}

/// A create made from a one-click fix: which fix, and what it changed in the request it
/// corrected (sent with the create, kept in the history as `fix_applied`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AppliedFix {
    pub kind: FixKind,
    pub label: String,
    /// The failed job whose card offered the fix (absent for a pre-flight check's fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_job_id: Option<String>,
    #[serde(default)]
    pub changes: Vec<FieldChange>,
}

/// One field a fix changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

impl AppliedFix {
    /// `fix` applied to `before` (its request is the corrected one).
    pub fn of(fix: &Fix, before: &ProvisionRequest, from_job_id: Option<String>) -> Option<Self> {
        let after = fix.request.as_ref()?;
        Some(Self {
            kind: fix.kind,
            label: fix.label.clone(),
            from_job_id,
            changes: changes_between(before, after),
        })
    }
}

/// One field of a [`ProvisionRequest`], by the name the API, the validation and the form give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestField {
    SubscriptionId,
    ResourceGroup,
    Region,
    ClusterName,
    NodeSku,
    NodeCount,
    SystemVmSize,
    SystemNodeCount,
    KubernetesVersion,
}

impl RequestField {
    /// Every field, in the request's order.
    pub const ALL: [RequestField; 9] = [
        RequestField::SubscriptionId,
        RequestField::ResourceGroup,
        RequestField::Region,
        RequestField::ClusterName,
        RequestField::NodeSku,
        RequestField::NodeCount,
        RequestField::SystemVmSize,
        RequestField::SystemNodeCount,
        RequestField::KubernetesVersion,
    ];

    /// The field's JSON name.
    pub fn name(self) -> &'static str {
        match self {
            RequestField::SubscriptionId => "subscription_id",
            RequestField::ResourceGroup => "resource_group",
            RequestField::Region => "region",
            RequestField::ClusterName => "cluster_name",
            RequestField::NodeSku => "node_sku",
            RequestField::NodeCount => "node_count",
            RequestField::SystemVmSize => "system_vm_size",
            RequestField::SystemNodeCount => "system_node_count",
            RequestField::KubernetesVersion => "kubernetes_version",
        }
    }

    /// The field's value as text; a count of 0 (not known) is empty.
    pub fn text(self, r: &ProvisionRequest) -> String {
        let count = |n: u32| if n == 0 { String::new() } else { n.to_string() };
        match self {
            RequestField::SubscriptionId => r.subscription_id.clone(),
            RequestField::ResourceGroup => r.resource_group.clone(),
            RequestField::Region => r.region.clone(),
            RequestField::ClusterName => r.cluster_name.clone(),
            RequestField::NodeSku => r.node_sku.clone(),
            RequestField::NodeCount => count(r.node_count),
            RequestField::SystemVmSize => r.system_vm_size.clone(),
            RequestField::SystemNodeCount => count(r.system_node_count),
            RequestField::KubernetesVersion => r.kubernetes_version.clone(),
        }
    }

    /// Sets the field from text, trimmed; a count that is not a whole number is 0, which every
    /// count's range refuses.
    pub fn set(self, r: &mut ProvisionRequest, text: &str) {
        let text = text.trim();
        let count = || text.parse::<u32>().unwrap_or(0);
        match self {
            RequestField::SubscriptionId => r.subscription_id = text.to_owned(),
            RequestField::ResourceGroup => r.resource_group = text.to_owned(),
            RequestField::Region => r.region = text.to_owned(),
            RequestField::ClusterName => r.cluster_name = text.to_owned(),
            RequestField::NodeSku => r.node_sku = text.to_owned(),
            RequestField::NodeCount => r.node_count = count(),
            RequestField::SystemVmSize => r.system_vm_size = text.to_owned(),
            RequestField::SystemNodeCount => r.system_node_count = count(),
            RequestField::KubernetesVersion => r.kubernetes_version = text.to_owned(),
        }
    }
}

/// The fields whose values differ between two requests, in the request's field order.
pub fn changes_between(before: &ProvisionRequest, after: &ProvisionRequest) -> Vec<FieldChange> {
    RequestField::ALL
        .into_iter()
        .filter_map(|field| {
            let read = |r: &ProvisionRequest| match field {
                // A count is compared as it is, 0 included.
                RequestField::NodeCount => r.node_count.to_string(),
                RequestField::SystemNodeCount => r.system_node_count.to_string(),
                _ => field.text(r),
            };
            let (from, to) = (read(before), read(after));
            (from != to).then(|| FieldChange {
                field: field.name().to_owned(),
                from,
                to,
            })
        })
        .collect()
}

/// The monthly estimate of a fix's request, against the request it corrects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FixCost {
    pub currency: String,
    pub monthly: f64,
    /// `monthly` minus the corrected request's monthly estimate (negative: cheaper).
    pub difference: f64,
}

/// An amount as people read it: `420.48 USD`.
pub fn money(amount: f64, currency: &str) -> String {
    format!("{} {currency}", decimal(amount, 2))
}

/// `amount` with `places` decimals (rounded half away from zero), written from a whole number
/// of hundredths (or ten-thousandths, …): integer formatting, which every page already carries,
/// instead of the float formatter (14 KB of the browser bundle, used for nothing else).
pub fn decimal(amount: f64, places: u32) -> String {
    let scale = 10_i64.pow(places);
    // `as` saturates: an amount past i64 is no price.
    let scaled = (amount * scale as f64).round() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let whole = scaled.unsigned_abs();
    let scale = scale as u64;
    if places == 0 {
        return format!("{sign}{whole}");
    }
    format!(
        "{sign}{}.{:0width$}",
        whole / scale,
        whole % scale,
        width = places as usize
    )
}

/// Hours in a month, as Azure's price calculator counts them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// `GET /api/aks/price-estimate`: what a request's node pools (and its control plane) cost at
/// Azure's pay-as-you-go Linux prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PriceEstimate {
    pub currency: String,
    pub hourly: f64,
    /// `hourly` × 730.
    pub monthly: f64,
    pub pools: Vec<PoolPrice>,
    /// The control-plane fee of the cluster's tier (`free`: 0).
    pub control_plane_hourly: f64,
    /// `free`, `standard` or `premium`; the dashboard creates `free` clusters.
    #[serde(default = "free_tier")]
    pub tier: String,
    /// When the oldest price used was read from the price list (RFC 3339).
    pub prices_as_of: String,
    /// `azure` (the Retail Prices API) or `simulated` (the embedded simulator's fictional list).
    pub source: String,
    /// A price used is older than the cache keeps prices fresh: the price list did not answer.
    pub stale: bool,
    /// Seconds since the oldest price used was read.
    #[serde(default)]
    pub age_seconds: u64,
    /// What the estimate leaves out.
    #[serde(default)]
    pub excludes: String,
    /// Where the control-plane fee came from when not from the price list (a configured fee
    /// and the date it was taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane_note: Option<String>,
}

fn free_tier() -> String {
    "free".to_owned()
}

/// One node pool of a [`PriceEstimate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PoolPrice {
    pub name: String,
    pub vm_size: String,
    pub count: u32,
    /// The size's pay-as-you-go Linux price per hour.
    pub unit_hourly: f64,
    pub hourly: f64,
    pub monthly: f64,
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
    pub timeline: Vec<crate::history::TimelineStep>,
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
    pub timeline: Vec<crate::history::TimelineStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecentFailures {
    pub jobs: Vec<FailedProvision>,
    pub degraded: bool,
}

/// Status of one pre-flight check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PreflightCheck {
    /// `skus`, `quota` or `resource_group`.
    pub name: String,
    pub status: CheckStatus,
    pub message: String,
    /// What the check found, for API clients. The page reads none of it (the cost comes typed,
    /// from the price estimate), so the browser does not decode it: no decoder of untyped JSON
    /// in the bundle.
    #[serde(default)]
    #[cfg_attr(not(feature = "ssr"), serde(skip_deserializing))]
    pub details: serde_json::Value,
    /// For a failing check: changes that would pass it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

/// `POST /api/aks/preflight`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AvailableSkus {
    pub region: String,
    pub skus: Vec<SkuAvailability>,
    /// The Kubernetes minor versions AKS offers in the region (GA, newest first); empty when
    /// Azure did not say.
    #[serde(default)]
    pub kubernetes_versions: Vec<String>,
    /// AKS's default among them.
    #[serde(default)]
    pub default_kubernetes_version: Option<String>,
}

/// One cluster of the resource group, as the ClusterCard lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClusterList {
    pub subscription_id: String,
    pub resource_group: String,
    pub clusters: Vec<ClusterSummary>,
    /// A one-line explanation when Azure could not be read.
    pub error: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fix_says_the_fields_it_changed_in_the_requests_order() {
        let before = ProvisionRequest {
            region: "eastus".into(),
            node_sku: "Standard_D4s_v3".into(),
            node_count: 3,
            ..ProvisionRequest::default()
        };
        let after = ProvisionRequest {
            node_count: 1,
            region: "westeurope".into(),
            ..before.clone()
        };
        let changes = changes_between(&before, &after);
        let said: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.from.as_str(), c.to.as_str()))
            .collect();
        assert_eq!(
            said,
            [("region", "eastus", "westeurope"), ("node_count", "3", "1")]
        );
        assert!(changes_between(&before, &before).is_empty());
    }

    #[test]
    fn every_field_reads_and_writes_its_text() {
        let mut r = ProvisionRequest::default();
        for (i, field) in RequestField::ALL.into_iter().enumerate() {
            let text = match field {
                RequestField::NodeCount | RequestField::SystemNodeCount => format!("{}", i + 1),
                _ => format!("value-{i}"),
            };
            field.set(&mut r, &format!(" {text} "));
            assert_eq!(field.text(&r), text, "{}", field.name());
        }
        let json = serde_json::to_value(&r).expect("JSON");
        for field in RequestField::ALL {
            assert_eq!(
                json[field.name()].to_string().trim_matches('"'),
                field.text(&r),
                "{} is the request's JSON field",
                field.name()
            );
        }
        assert_eq!(
            json.as_object().map(|o| o.len()),
            Some(RequestField::ALL.len())
        );
    }

    #[test]
    fn a_count_that_is_not_a_number_is_zero_and_reads_empty() {
        let mut r = ProvisionRequest::default();
        RequestField::NodeCount.set(&mut r, "three");
        assert_eq!(r.node_count, 0);
        assert_eq!(RequestField::NodeCount.text(&r), "");
    }

    #[test]
    fn amounts_are_written_to_their_places_without_float_formatting() {
        assert_eq!(money(420.48, "USD"), "420.48 USD");
        assert_eq!(money(562.0999999999999, "EUR"), "562.10 EUR");
        assert_eq!(money(0.0, "USD"), "0.00 USD");
        assert_eq!(decimal(-292.0, 2), "-292.00");
        assert_eq!(decimal(-0.001, 2), "0.00");
        assert_eq!(decimal(0.005, 2), "0.01");
        assert_eq!(decimal(0.2192, 4), "0.2192");
        assert_eq!(decimal(1234.5, 0), "1235");
        for x in [0.1, 1.25, 1686.3, 73.0, 0.0438, 420.48] {
            assert_eq!(decimal(x, 2), format!("{x:.2}"), "{x}");
        }
    }
}
