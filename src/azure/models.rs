//! The ARM resources the product reads and writes, in Azure's own JSON shapes (camelCase).
//! Unknown fields are ignored, so newer api-versions do not break reading.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ArmErrorDetail;

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

/// `status` of a long-running operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum OperationState {
    InProgress,
    Canceling,
    Succeeded,
    Failed,
    Canceled,
    Other(String),
}

impl OperationState {
    pub fn as_str(&self) -> &str {
        match self {
            Self::InProgress => "InProgress",
            Self::Canceling => "Canceling",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
            Self::Other(s) => s,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

impl From<String> for OperationState {
    fn from(s: String) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "inprogress" | "running" | "accepted" => Self::InProgress,
            "canceling" | "cancelling" => Self::Canceling,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" | "cancelled" => Self::Canceled,
            _ => Self::Other(s),
        }
    }
}

impl From<OperationState> for String {
    fn from(s: OperationState) -> Self {
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
                let raw_body = serde_json::to_string(&self).unwrap_or_default();
                let error = self.error.clone().unwrap_or_else(|| {
                    ArmErrorDetail::new(
                        self.status.as_str(),
                        format!("The operation ended {}.", self.status),
                    )
                });
                Err(super::ArmError::OperationFailed {
                    state: self.status,
                    error: Box::new(error),
                    raw_body,
                })
            }
            _ => Ok(self),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgentPoolMode {
    System,
    User,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentPoolProfile {
    pub name: String,
    pub vm_size: String,
    pub count: u32,
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
    #[serde(default)]
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
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<ManagedClusterIdentity>,
    #[serde(default)]
    pub properties: ManagedClusterProperties,
}

impl ManagedCluster {
    /// The body of a create: a system-assigned identity, the given pools, `dnsPrefix` from the
    /// name, and the region's default Kubernetes version unless one is given.
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
            properties: ManagedClusterProperties {
                provisioning_state: None,
                kubernetes_version,
                dns_prefix: Some(format!("{name}-dns")),
                fqdn: None,
                agent_pool_profiles: pools,
            },
        }
    }

    pub fn provisioning_state(&self) -> Option<&ProvisioningState> {
        self.properties.provisioning_state.as_ref()
    }
}

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
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
}

/// Why a size cannot be used: `type` is `Location` or `Zone`, `reasonCode` e.g.
/// `NotAvailableForSubscription` or `QuotaId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuRestriction {
    #[serde(rename = "type")]
    pub restriction_type: String,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub restriction_info: SkuRestrictionInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuLocationInfo {
    pub location: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub location_info: Vec<SkuLocationInfo>,
    #[serde(default)]
    pub capabilities: Vec<SkuCapability>,
    #[serde(default)]
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
    #[serde(default)]
    pub upgrades: Vec<String>,
}

/// One minor version from `Microsoft.ContainerService/locations/{region}/kubernetesVersions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesVersion {
    pub version: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub is_preview: bool,
    #[serde(default)]
    pub patch_versions: BTreeMap<String, KubernetesPatchVersion>,
}

/// ARM's list envelope; `nextLink` is followed by the client.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmList<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// The AKS versions list, whose array is called `values`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KubernetesVersionList {
    #[serde(default)]
    pub values: Vec<KubernetesVersion>,
}
