//! The clusters of a resource group as the cluster card lists them.

use serde::{Deserialize, Serialize};

use super::PoolProgress;

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
