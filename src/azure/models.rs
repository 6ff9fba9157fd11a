//! The ARM resources the product reads and writes, in Azure's own JSON shapes (camelCase).
//! Reading is as lenient as Azure's own specification: unknown fields are ignored (newer
//! api-versions add them), open string sets keep values we do not know, only what the
//! specification requires is required, and a `null` reads like a missing field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ArmErrorDetail;
pub use super::wire::OperationState;
use super::wire::null_as_default;

/// Identifies one managed cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClusterRef {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
}

impl ClusterRef {
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            subscription_id: subscription_id.into(),
            resource_group: resource_group.into(),
            name: name.into(),
        }
    }

    /// `/subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerService/managedClusters/…`
    pub fn resource_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

/// `provisioningState` of a resource. Values ARM may add later are kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ProvisioningState {
    Creating,
    Updating,
    Deleting,
    Succeeded,
    Failed,
    Canceled,
    Other(String),
}

impl ProvisioningState {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Creating => "Creating",
            Self::Updating => "Updating",
            Self::Deleting => "Deleting",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
            Self::Other(s) => s,
        }
    }

    /// No operation is running on the resource.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

impl From<String> for ProvisioningState {
    fn from(s: String) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "creating" => Self::Creating,
            "updating" => Self::Updating,
            "deleting" => Self::Deleting,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" | "cancelled" => Self::Canceled,
            _ => Self::Other(s),
        }
    }
}

impl From<ProvisioningState> for String {
    fn from(s: ProvisioningState) -> Self {
        s.as_str().to_string()
    }
}

/// What an `Azure-AsyncOperation` URL answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: OperationState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_complete: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ArmErrorDetail>,
}

impl OperationStatus {
    pub fn with_state(status: OperationState) -> Self {
        Self {
            id: None,
            name: None,
            status,
            start_time: None,
            end_time: None,
            percent_complete: None,
            error: None,
        }
    }

    /// `Ok` when the operation succeeded (or is still running); [`ArmError::OperationFailed`]
    /// with Azure's error when it ended `Failed` or `Canceled`.
    ///
    /// [`ArmError::OperationFailed`]: super::ArmError::OperationFailed
    pub fn into_result(self) -> Result<Self, super::ArmError> {
        match self.status {
            OperationState::Failed | OperationState::Canceled => {
                // Azure's answer as it was read; the causes from the same value.
                let value = serde_json::to_value(&self).unwrap_or_default();
                let raw_body = value.to_string();
                let causes = crate::domain::classify::read_arm_error(&value)
                    .map(|info| info.details)
                    .unwrap_or_default();
                let error = self.error.clone().unwrap_or_else(|| {
                    ArmErrorDetail::new(
                        self.status.as_str(),
                        format!("The operation ended {}.", self.status),
                    )
                });
                Err(super::ArmError::OperationFailed {
                    state: self.status,
                    error: Box::new(error),
                    causes,
                    raw_body,
                })
            }
            _ => Ok(self),
        }
    }
}

/// `mode` of an agent pool. An open set in the specification (`System`, `User`, `Gateway`, …):
/// values we do not know are kept as `Other`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum AgentPoolMode {
    System,
    /// The specification's default for a pool without a mode.
    #[default]
    User,
    Other(String),
}

impl AgentPoolMode {
    pub fn as_str(&self) -> &str {
        match self {
            Self::System => "System",
            Self::User => "User",
            Self::Other(s) => s,
        }
    }
}

impl From<String> for AgentPoolMode {
    fn from(s: String) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "system" => Self::System,
            "user" => Self::User,
            _ => Self::Other(s),
        }
    }
}

impl From<AgentPoolMode> for String {
    fn from(mode: AgentPoolMode) -> Self {
        mode.as_str().to_string()
    }
}

/// One agent pool of a managed cluster. Only `name` is required by the specification; a pool
/// read without `vmSize` or `count` (e.g. a pool of another type) has an empty size and 0 nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentPoolProfile {
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub vm_size: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub count: u32,
    #[serde(default, deserialize_with = "null_as_default")]
    pub mode: AgentPoolMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
}

impl AgentPoolProfile {
    pub fn new(
        name: impl Into<String>,
        vm_size: impl Into<String>,
        count: u32,
        mode: AgentPoolMode,
    ) -> Self {
        Self {
            name: name.into(),
            vm_size: vm_size.into(),
            count,
            mode,
            os_type: Some("Linux".into()),
            provisioning_state: None,
        }
    }

    /// The pool as the product shows it.
    pub fn progress(&self) -> crate::domain::PoolProgress {
        crate::domain::PoolProgress {
            name: self.name.clone(),
            vm_size: self.vm_size.clone(),
            count: self.count,
            mode: self.mode.as_str().to_owned(),
            provisioning_state: self
                .provisioning_state
                .as_ref()
                .map(|s| s.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedClusterIdentity {
    #[serde(rename = "type")]
    pub identity_type: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedClusterProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_resource_group: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub agent_pool_profiles: Vec<AgentPoolProfile>,
}

/// `Microsoft.ContainerService/managedClusters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedCluster {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    pub location: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<ManagedClusterIdentity>,
    /// Changes with every write; `If-Match` compares against it.
    #[serde(rename = "eTag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub properties: ManagedClusterProperties,
}

/// The longest DNS prefix AKS accepts.
pub const DNS_PREFIX_MAX_LEN: usize = 54;

/// AKS's DNS prefix rule: 1–54 letters, digits and hyphens, starting and ending with a letter or
/// digit.
pub fn is_valid_dns_prefix(prefix: &str) -> bool {
    let bytes = prefix.as_bytes();
    (1..=DNS_PREFIX_MAX_LEN).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// A valid DNS prefix made from a cluster name: `_` (allowed in cluster names, not in DNS)
/// becomes `-`, anything else outside the rule is dropped, and the result is cut to 54
/// characters without a hyphen at either end. A name with nothing usable gives `aks`.
pub fn dns_prefix_for(cluster_name: &str) -> String {
    let mapped: String = cluster_name
        .chars()
        .filter_map(|c| match c {
            '_' => Some('-'),
            c if c.is_ascii_alphanumeric() || c == '-' => Some(c),
            _ => None,
        })
        .collect();
    let trimmed = mapped.trim_matches('-');
    let cut: String = trimmed.chars().take(DNS_PREFIX_MAX_LEN).collect();
    let prefix = cut.trim_end_matches('-');
    if prefix.is_empty() {
        "aks".into()
    } else {
        prefix.to_string()
    }
}

impl ManagedCluster {
    /// The body of a create: a system-assigned identity, the given pools, a valid `dnsPrefix`
    /// derived from the name ([`dns_prefix_for`]), and the region's default Kubernetes version
    /// unless one is given.
    pub fn for_create(
        name: &str,
        location: impl Into<String>,
        kubernetes_version: Option<String>,
        pools: Vec<AgentPoolProfile>,
    ) -> Self {
        Self {
            id: None,
            name: None,
            resource_type: None,
            location: location.into(),
            tags: BTreeMap::new(),
            identity: Some(ManagedClusterIdentity {
                identity_type: "SystemAssigned".into(),
            }),
            e_tag: None,
            properties: ManagedClusterProperties {
                provisioning_state: None,
                kubernetes_version,
                dns_prefix: Some(dns_prefix_for(name)),
                fqdn: None,
                node_resource_group: None,
                agent_pool_profiles: pools,
            },
        }
    }

    pub fn provisioning_state(&self) -> Option<&ProvisioningState> {
        self.properties.provisioning_state.as_ref()
    }

    /// Whether the cluster carries the tag of the dashboard's job `job_id` ([`JOB_TAG`]).
    pub fn created_by_job(&self, job_id: &str) -> bool {
        self.tags
            .get(JOB_TAG)
            .is_some_and(|tag| tag.eq_ignore_ascii_case(job_id))
    }
}

/// The ARM tag that marks a cluster as created by a job of this dashboard: create-only, the
/// dashboard changes and deletes only clusters that carry the tag of one of its jobs.
pub const JOB_TAG: &str = "aks-dashboard-job";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
}

/// `Microsoft.Resources/resourceGroups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub location: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub properties: ResourceGroupProperties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuCapability {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuRestrictionInfo {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub locations: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub zones: Vec<String>,
}

/// Why a size cannot be used: `type` is `Location` or `Zone`, `reasonCode` e.g.
/// `NotAvailableForSubscription` or `QuotaId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuRestriction {
    #[serde(rename = "type")]
    pub restriction_type: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub values: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub restriction_info: SkuRestrictionInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuLocationInfo {
    pub location: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub zones: Vec<String>,
}

/// One entry of `Microsoft.Compute/skus`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSku {
    pub resource_type: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub locations: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub location_info: Vec<SkuLocationInfo>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub capabilities: Vec<SkuCapability>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub restrictions: Vec<SkuRestriction>,
}

impl ResourceSku {
    pub fn capability(&self, name: &str) -> Option<&str> {
        self.capabilities
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| c.value.as_str())
    }

    pub fn vcpus(&self) -> Option<u32> {
        self.capability("vCPUs").and_then(|v| v.parse().ok())
    }

    /// The reason code of a whole-region restriction in `location`, if the size is blocked there.
    pub fn location_restriction(&self, location: &str) -> Option<&str> {
        self.restrictions
            .iter()
            .find(|r| {
                r.restriction_type.eq_ignore_ascii_case("Location")
                    && r.values.iter().any(|v| v.eq_ignore_ascii_case(location))
            })
            .map(|r| r.reason_code.as_deref().unwrap_or("Restricted"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageName {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localized_value: Option<String>,
}

/// One entry of `Microsoft.Compute/locations/{region}/usages`: `name.value` is `cores` for the
/// regional total or a family such as `standardDSv3Family`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub name: UsageName,
    pub current_value: i64,
    pub limit: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Usage {
    /// What is left; never negative.
    pub fn available(&self) -> i64 {
        (self.limit - self.current_value).max(0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubernetesPatchVersion {
    #[serde(default, deserialize_with = "null_as_default")]
    pub upgrades: Vec<String>,
}

/// One minor version from `Microsoft.ContainerService/locations/{region}/kubernetesVersions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesVersion {
    pub version: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_default: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_preview: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub patch_versions: BTreeMap<String, KubernetesPatchVersion>,
}

/// ARM's list envelope; `nextLink` is followed by the client.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmList<T> {
    #[serde(
        default = "Vec::new",
        deserialize_with = "null_as_default",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    pub value: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// The AKS versions list, whose array is called `values`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KubernetesVersionList {
    #[serde(default, deserialize_with = "null_as_default")]
    pub values: Vec<KubernetesVersion>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dns_prefix_of_any_valid_cluster_name_is_valid() {
        for (name, prefix) in [
            ("aks-demo", "aks-demo"),
            ("aks_team_1", "aks-team-1"),
            ("A_", "A"),
            ("_", "aks"),
        ] {
            assert_eq!(dns_prefix_for(name), prefix, "{name}");
        }
        let long = format!("aks_{}", "a".repeat(59));
        let prefix = dns_prefix_for(&long);
        assert_eq!(prefix.len(), DNS_PREFIX_MAX_LEN);
        // Cut where a hyphen would end it: no hyphen at the end.
        let hyphen_at_cut = format!("{}_{}", "a".repeat(53), "b".repeat(9));
        assert_eq!(dns_prefix_for(&hyphen_at_cut), "a".repeat(53));
        for name in ["aks-demo", "aks_team_1", &long, &hyphen_at_cut, "a"] {
            let body = ManagedCluster::for_create(name, "eastus", None, vec![]);
            let prefix = body.properties.dns_prefix.unwrap_or_default();
            assert!(is_valid_dns_prefix(&prefix), "{name} → {prefix}");
        }
    }

    #[test]
    fn dns_prefix_rule() {
        assert!(is_valid_dns_prefix("a"));
        assert!(is_valid_dns_prefix("aks-1"));
        for bad in ["", "-a", "a-", "a_b", "a.b", &"a".repeat(55)] {
            assert!(!is_valid_dns_prefix(bad), "{bad}");
        }
    }

    #[test]
    fn pool_modes_are_an_open_set_and_only_the_name_is_required() {
        let pool: AgentPoolProfile =
            serde_json::from_value(serde_json::json!({"name": "gw", "mode": "Gateway"}))
                .expect("a pool with only a name and an unknown mode");
        assert_eq!(pool.mode, AgentPoolMode::Other("Gateway".into()));
        assert_eq!((pool.vm_size.as_str(), pool.count), ("", 0));
        assert_eq!(
            serde_json::to_value(&pool.mode).expect("mode"),
            serde_json::json!("Gateway")
        );
        let nulls: AgentPoolProfile = serde_json::from_value(
            serde_json::json!({"name": "p", "vmSize": null, "count": null, "mode": null}),
        )
        .expect("nulls");
        assert_eq!(nulls.mode, AgentPoolMode::User);
        let system: AgentPoolMode =
            serde_json::from_value(serde_json::json!("system")).expect("mode");
        assert_eq!(system, AgentPoolMode::System);
    }

    #[test]
    fn null_lists_and_maps_read_as_empty() {
        let cluster: ManagedCluster = serde_json::from_value(serde_json::json!({
            "location": "eastus", "tags": null,
            "properties": {"agentPoolProfiles": null}
        }))
        .expect("nulls");
        assert!(cluster.tags.is_empty() && cluster.properties.agent_pool_profiles.is_empty());
        let list: ArmList<ManagedCluster> =
            serde_json::from_value(serde_json::json!({"value": null, "nextLink": null}))
                .expect("null list");
        assert!(list.value.is_empty());
    }
}
