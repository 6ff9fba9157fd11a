//! A failure in a person's words, as the error card shows it: its category, a one-line
//! headline, a details line, the links that fix it and, where one command does, that command.
//! The classifier (`classify`) makes it; failures and tasks carry it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Quota,
    SkuBlocked,
    Region,
    RgPermission,
    Auth,
    Allocation,
    /// AKS itself is short of capacity in the region (`AksCapacityHeavyUsage`).
    Capacity,
    /// Another operation on the cluster interrupted or blocks this one.
    OperationConflict,
    /// Subnets, address ranges, virtual networks, load balancer and DNS set-up.
    Network,
    /// The nodes' setup script (CSE) failed, so the nodes could not join the cluster.
    NodeBootstrap,
    /// The cluster's own service principal or managed identity (not the dashboard's sign-in).
    ClusterIdentity,
    /// The Kubernetes version asked for is not offered (or only with LTS).
    KubernetesVersion,
    /// The subscription is disabled, read-only or past due.
    SubscriptionState,
    Policy,
    ProviderRegistration,
    Throttled,
    Cancelled,
    /// The subscription or resource group does not exist.
    NotFound,
    /// Azure refuses the request itself as invalid.
    InvalidRequest,
    /// A cluster of that name exists (the dashboard's own `cluster_exists`).
    NameTaken,
    Unknown,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Quota => "quota",
            Category::SkuBlocked => "sku_blocked",
            Category::Region => "region",
            Category::RgPermission => "rg_permission",
            Category::Auth => "auth",
            Category::Allocation => "allocation",
            Category::Capacity => "capacity",
            Category::OperationConflict => "operation_conflict",
            Category::Network => "network",
            Category::NodeBootstrap => "node_bootstrap",
            Category::ClusterIdentity => "cluster_identity",
            Category::KubernetesVersion => "kubernetes_version",
            Category::SubscriptionState => "subscription_state",
            Category::Policy => "policy",
            Category::ProviderRegistration => "provider_registration",
            Category::Throttled => "throttled",
            Category::Cancelled => "cancelled",
            Category::NotFound => "not_found",
            Category::InvalidRequest => "invalid_request",
            Category::NameTaken => "name_taken",
            Category::Unknown => "unknown",
        }
    }
}

/// A link the error card offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorAction {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Classification {
    pub category: Category,
    pub headline: String,
    pub details: String,
    pub actions: Vec<ErrorAction>,
    /// A copy-ready command that fixes it (e.g. the role assignment an `AuthorizationFailed`
    /// asks for); also quoted in `details`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}
