//! Pre-flight's answer: one row per check with its status, what it found and its fixes; the VM
//! sizes and Kubernetes versions a region offers.

use serde::{Deserialize, Serialize};

use super::Fix;

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
