//! The rules ARM and the AKS resource provider apply before they accept a request, with the codes
//! and message formats they answer with: supported `api-version`s, a cluster's name, DNS prefix
//! and node resource group, its pools, and whether the VM sizes and vCPUs fit the subscription.

use std::collections::BTreeMap;

use super::answer::Answer;
use super::catalog::{Catalog, Region};
use crate::azure::models::{AgentPoolMode, AgentPoolProfile};

/// The `api-version`s the simulator answers, per kind of resource. For AKS: the GA versions of
/// `Microsoft.ContainerService/aks/stable` in Azure/azure-rest-api-specs from 2023 on (what a
/// current client may send); the fields the simulator models mean the same in all of them.
pub const CONTAINER_SERVICE_API_VERSIONS: &[&str] = &[
    "2023-01-01",
    "2023-02-01",
    "2023-03-01",
    "2023-04-01",
    "2023-05-01",
    "2023-06-01",
    "2023-07-01",
    "2023-08-01",
    "2023-09-01",
    "2023-10-01",
    "2023-11-01",
    "2024-01-01",
    "2024-02-01",
    "2024-05-01",
    "2024-07-01",
    "2024-08-01",
    "2024-09-01",
    "2024-10-01",
    "2025-01-01",
    "2025-02-01",
    "2025-03-01",
    "2025-04-01",
    "2025-05-01",
    "2025-06-01",
    "2025-07-01",
    "2025-08-01",
    "2025-09-01",
    "2025-10-01",
];
/// AKS hands out operation URLs with this version, whatever version started the operation.
pub const OPERATION_API_VERSION: &str = "2016-03-30";
pub const RESOURCES_API_VERSIONS: &[&str] = &["2021-04-01", "2022-09-01", "2024-03-01"];
pub const COMPUTE_SKUS_API_VERSIONS: &[&str] = &["2019-04-01", "2021-07-01"];
pub const COMPUTE_USAGES_API_VERSIONS: &[&str] = &["2023-07-01", "2024-03-01", "2024-07-01"];

/// Which family of `api-version`s a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFamily {
    ContainerService,
    ContainerServiceOperation,
    Resources,
    ComputeSkus,
    ComputeUsages,
}

impl ApiFamily {
    fn versions(self) -> Vec<&'static str> {
        match self {
            Self::ContainerService => CONTAINER_SERVICE_API_VERSIONS.to_vec(),
            Self::ContainerServiceOperation => {
                let mut versions = vec![OPERATION_API_VERSION];
                versions.extend_from_slice(CONTAINER_SERVICE_API_VERSIONS);
                versions
            }
            Self::Resources => RESOURCES_API_VERSIONS.to_vec(),
            Self::ComputeSkus => COMPUTE_SKUS_API_VERSIONS.to_vec(),
            Self::ComputeUsages => COMPUTE_USAGES_API_VERSIONS.to_vec(),
        }
    }

    fn resource_type(self) -> &'static str {
        match self {
            Self::ContainerService => "managedClusters",
            Self::ContainerServiceOperation => "locations/operations",
            Self::Resources => "resourceGroups",
            Self::ComputeSkus => "skus",
            Self::ComputeUsages => "locations/usages",
        }
    }
}

/// ARM's answer to a missing, malformed or unknown `api-version`.
pub fn check_api_version(
    family: ApiFamily,
    version: Option<&str>,
    regions: &[Region],
) -> Result<(), Answer> {
    let Some(version) = version.map(str::trim).filter(|v| !v.is_empty()) else {
        return Err(missing_api_version());
    };
    let supported = family.versions();
    if supported.iter().any(|v| v.eq_ignore_ascii_case(version)) {
        return Ok(());
    }
    let listed = supported.join(", ");
    if !looks_like_api_version(version) {
        return Err(Answer::error(
            400,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{version}' is invalid. The supported versions are '{listed}'."
            ),
        ));
    }
    let locations: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
    Err(Answer::error(
        400,
        "NoRegisteredProviderFound",
        format!(
            "No registered resource provider found for location '{}' and API version '{version}' \
             for type '{}'. The supported api-versions are '{listed}'. The supported locations are \
             '{}'.",
            locations.first().copied().unwrap_or_default(),
            family.resource_type(),
            locations.join(", ")
        ),
    ))
}

pub fn missing_api_version() -> Answer {
    Answer::error(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
    )
}

/// `YYYY-MM-DD` with an optional `-preview` (or other) suffix.
fn looks_like_api_version(version: &str) -> bool {
    let date = version.get(..10).unwrap_or_default();
    let b = date.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (version.len() == 10 || version[10..].starts_with('-'))
}

/// Azure's managed cluster name rule:
/// `^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$`.
pub fn check_cluster_name(name: &str) -> Result<(), Answer> {
    if crate::domain::validation::is_valid_cluster_name(name) {
        return Ok(());
    }
    Err(Answer::aks_error(
        400,
        "InvalidParameter",
        format!(
            "The value of parameter name is invalid. Error details: \"{name}\" managed cluster name \
             must be 1-63 letters, digits, '-' or '_', starting and ending with a letter or digit. \
             Please see https://aka.ms/aks-naming-rules for more details."
        ),
    ))
}

/// A DNS prefix: 1–54 letters, digits and hyphens, starting and ending with a letter or digit.
pub fn check_dns_prefix(dns_prefix: &str) -> Result<(), Answer> {
    if crate::azure::models::is_valid_dns_prefix(dns_prefix) {
        return Ok(());
    }
    Err(Answer::aks_error(
        400,
        "InvalidParameter",
        "The value of parameter dnsPrefix is invalid. Please see https://aka.ms/aks-naming-rules \
         for more details.",
    ))
}

/// AKS names the node resource group `MC_{group}_{cluster}_{region}`, which must fit in 80
/// characters (AKS FAQ, "What naming restrictions are enforced for AKS resources").
pub fn check_node_resource_group(rg: &str, name: &str, location: &str) -> Result<(), Answer> {
    let node_rg = crate::domain::validation::node_resource_group_name(rg, name, location);
    let length = node_rg.chars().count();
    if length <= crate::domain::validation::NODE_RESOURCE_GROUP_MAX_LEN {
        return Ok(());
    }
    Err(Answer::aks_error(
        400,
        "InvalidParameter",
        format!(
            "The value of parameter nodeResourceGroup is invalid. Error details: the generated \
             node resource group name '{node_rg}' is {length} characters; it must be at most {}. \
             Use a shorter resource group or cluster name. Please see https://aka.ms/aks-naming-rules \
             for more details.",
            crate::domain::validation::NODE_RESOURCE_GROUP_MAX_LEN
        ),
    ))
}

/// At least one pool, one of them `System`, and no empty pool.
pub fn check_pools(pools: &[AgentPoolProfile]) -> Result<(), Answer> {
    if pools.is_empty() {
        return Err(Answer::aks_error(
            400,
            "InvalidParameter",
            "The value of parameter agentPoolProfiles is invalid: at least one agent pool is required.",
        ));
    }
    if !pools.iter().any(|p| p.mode == AgentPoolMode::System) {
        return Err(Answer::aks_error(
            400,
            "InvalidParameter",
            "A managed cluster must have at least one agent pool in System mode.",
        ));
    }
    if let Some(pool) = pools.iter().find(|p| p.count == 0) {
        return Err(Answer::aks_error(
            400,
            "InvalidParameter",
            format!(
                "The value of parameter agentPoolProfile.count of pool '{}' is invalid: it must be at least 1.",
                pool.name
            ),
        ));
    }
    if let Some(pool) = pools.iter().find(|p| p.vm_size.trim().is_empty()) {
        return Err(Answer::aks_error(
            400,
            "InvalidParameter",
            format!(
                "The value of parameter agentPoolProfile.vmSize of pool '{}' is invalid: a VM size is required.",
                pool.name
            ),
        ));
    }
    Ok(())
}

/// vCPUs in use in a region: the regional total and per family.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionUsage {
    pub regional: i64,
    pub families: BTreeMap<String, i64>,
}

impl RegionUsage {
    /// What the region uses outside the simulated clusters.
    pub fn base(region: &Region) -> Self {
        Self {
            regional: region.regional_used,
            families: region
                .families
                .iter()
                .map(|f| (f.family.to_ascii_lowercase(), f.used))
                .collect(),
        }
    }

    /// Adds (or with a negative `sign`, removes) the vCPUs of `pools`.
    pub fn apply(&mut self, catalog: &Catalog, pools: &[AgentPoolProfile], sign: i64) {
        for (family, vcpus) in pool_vcpus(catalog, pools) {
            self.regional += sign * vcpus;
            *self.families.entry(family).or_default() += sign * vcpus;
        }
    }

    pub fn family(&self, family: &str) -> i64 {
        self.families
            .get(&family.to_ascii_lowercase())
            .copied()
            .unwrap_or(0)
    }
}

/// (lower-case family, vCPUs) of every pool whose size the catalog knows.
fn pool_vcpus(catalog: &Catalog, pools: &[AgentPoolProfile]) -> Vec<(String, i64)> {
    pools
        .iter()
        .filter_map(|pool| {
            let size = catalog.vm_size(&pool.vm_size)?;
            let count = i64::from(pool.count);
            Some((
                size.family.to_ascii_lowercase(),
                i64::from(size.vcpus) * count,
            ))
        })
        .collect()
}

const QUOTA_ADVICE: &str = "If you want to increase the quota, please follow this instruction: \
https://learn.microsoft.com/en-us/azure/quotas/view-quotas. Surge nodes would also consume vcpu \
quota, please consider use smaller maxSurge or use maxUnavailable to proceed upgrade without surge \
nodes, details: aka.ms/aks/maxUnavailable.";

/// Refuses a create that uses a blocked or unknown size, or that does not fit the quota, as the
/// AKS resource provider does (unwrapped, `details: null`). `usage` is what the region already
/// uses, not counting the cluster being written.
pub fn check_create(
    catalog: &Catalog,
    region: &Region,
    pools: &[AgentPoolProfile],
    usage: &RegionUsage,
) -> Result<(), Answer> {
    for pool in pools {
        let size = pool.vm_size.as_str();
        if catalog.vm_size(size).is_none() || region.restriction(size).is_some() {
            let available: Vec<&str> = catalog
                .vm_sizes()
                .iter()
                .filter(|s| region.restriction(&s.name).is_none())
                .map(|s| s.name.as_str())
                .collect();
            return Err(Answer::aks_error(
                400,
                "BadRequest",
                format!(
                    "The VM size of AgentPoolProfile:{} is not allowed in your subscription in \
                     location '{}'. The available VM sizes are {}",
                    pool.name,
                    region.name,
                    available.join(",")
                ),
            ));
        }
    }

    let requested = pool_vcpus(catalog, pools);
    let requested_total: i64 = requested.iter().map(|(_, v)| v).sum();
    let regional_left = region.regional_limit - usage.regional;
    if requested_total > regional_left {
        return Err(Answer::aks_error(
            400,
            "ErrCode_InsufficientVCPUQuota",
            format!(
                "Insufficient regional vcpu quota left for location {}. left regional vcpu quota {}, \
                 requested quota {requested_total}. {QUOTA_ADVICE}",
                region.name,
                regional_left.max(0),
            ),
        ));
    }
    let mut by_family: BTreeMap<String, i64> = BTreeMap::new();
    for (family, vcpus) in requested {
        *by_family.entry(family).or_default() += vcpus;
    }
    for (family, requested) in by_family {
        let quota = region.family(&family);
        let limit = quota.map(|f| f.limit).unwrap_or(0);
        let name = quota.map(|f| f.family.as_str()).unwrap_or(&family);
        let left = limit - usage.family(&family);
        if requested > left {
            return Err(Answer::aks_error(
                400,
                "ErrCode_InsufficientVCPUQuota",
                format!(
                    "Insufficient vcpu quota requested {requested}, remaining {} for family {name} \
                     for region {}. {QUOTA_ADVICE}",
                    left.max(0),
                    region.name
                ),
            ));
        }
    }
    Ok(())
}

pub fn resource_group_not_found(rg: &str) -> Answer {
    Answer::error(
        404,
        "ResourceGroupNotFound",
        format!("Resource group '{rg}' could not be found."),
    )
}

pub fn cluster_not_found(rg: &str, name: &str) -> Answer {
    Answer::error(
        404,
        "ResourceNotFound",
        format!(
            "The Resource 'Microsoft.ContainerService/managedClusters/{name}' under resource group '{rg}' was not found. \
             For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

pub fn location_not_found(location: &str) -> Answer {
    Answer::error(
        404,
        "LocationNotFound",
        format!("The location '{location}' could not be found."),
    )
}

pub fn invalid_content(error: &serde_json::Error) -> Answer {
    Answer::error(
        400,
        "InvalidRequestContent",
        format!("The request content was invalid and could not be deserialized: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pools(spec: &[(&str, u32, AgentPoolMode)]) -> Vec<AgentPoolProfile> {
        spec.iter()
            .enumerate()
            .map(|(i, (size, count, mode))| {
                AgentPoolProfile::new(format!("pool{i}"), *size, *count, mode.clone())
            })
            .collect()
    }

    fn region(catalog: &Catalog, name: &str) -> Region {
        match catalog.region(name) {
            Some(r) => r.clone(),
            None => panic!("no region {name}"),
        }
    }

    fn refusal_message(refusal: &Answer) -> String {
        refusal.error_message().unwrap_or_default().to_string()
    }

    #[test]
    fn eastus_has_six_vcpus_left_so_fourteen_are_refused_with_the_numbers() {
        let catalog = Catalog::default();
        let eastus = region(&catalog, "eastus");
        let request = pools(&[
            ("Standard_D2s_v3", 1, AgentPoolMode::System),
            ("Standard_D4s_v3", 3, AgentPoolMode::User),
        ]);
        let Err(refusal) = check_create(&catalog, &eastus, &request, &RegionUsage::base(&eastus))
        else {
            panic!("quota not enforced");
        };
        assert_eq!(refusal.status, 400);
        assert_eq!(refusal.error_code(), Some("ErrCode_InsufficientVCPUQuota"));
        let message = refusal_message(&refusal);
        assert!(
            message.starts_with(
                "Insufficient regional vcpu quota left for location eastus. left regional vcpu quota 6, requested quota 14."
            ),
            "{message}"
        );
        let body = refusal.json_body().cloned().unwrap_or_default();
        assert!(body["details"].is_null(), "AKS sends details: null");
    }

    #[test]
    fn a_blocked_size_names_the_pool_and_lists_what_is_available() {
        let catalog = Catalog::default();
        let korea = region(&catalog, "koreacentral");
        let request = pools(&[("Standard_NC24ads_A100_v4", 1, AgentPoolMode::System)]);
        let Err(refusal) = check_create(&catalog, &korea, &request, &RegionUsage::base(&korea))
        else {
            panic!("restriction not enforced");
        };
        let message = refusal_message(&refusal);
        assert!(
            message.starts_with(
                "The VM size of AgentPoolProfile:pool0 is not allowed in your subscription in location 'koreacentral'. The available VM sizes are Standard_D2s_v3,"
            ),
            "{message}"
        );
        assert!(!message.contains("NC24ads"), "{message}");
    }

    #[test]
    fn a_family_limit_binds_below_the_regional_one() {
        let catalog = Catalog::default();
        let korea = region(&catalog, "koreacentral");
        // 4 × 16 = 64 vCPUs of ESv5: regional 100 would allow it, the family's 32 does not.
        let request = pools(&[("Standard_E16s_v5", 4, AgentPoolMode::System)]);
        let Err(refusal) = check_create(&catalog, &korea, &request, &RegionUsage::base(&korea))
        else {
            panic!("family quota not enforced");
        };
        let message = refusal_message(&refusal);
        assert!(
            message.starts_with(
                "Insufficient vcpu quota requested 64, remaining 32 for family standardESv5Family for region koreacentral."
            ),
            "{message}"
        );
    }

    #[test]
    fn what_fits_is_allowed() {
        let catalog = Catalog::default();
        let westeurope = region(&catalog, "westeurope");
        let request = pools(&[
            ("Standard_D2s_v3", 1, AgentPoolMode::System),
            ("Standard_NC24ads_A100_v4", 2, AgentPoolMode::User),
        ]);
        assert!(
            check_create(
                &catalog,
                &westeurope,
                &request,
                &RegionUsage::base(&westeurope)
            )
            .is_ok()
        );
    }

    #[test]
    fn usage_adds_and_removes_pools() {
        let catalog = Catalog::default();
        let eastus = region(&catalog, "eastus");
        let mut usage = RegionUsage::base(&eastus);
        let request = pools(&[("Standard_D4s_v3", 1, AgentPoolMode::System)]);
        usage.apply(&catalog, &request, 1);
        assert_eq!((usage.regional, usage.family("standardDSv3Family")), (8, 8));
        usage.apply(&catalog, &request, -1);
        assert_eq!(usage, RegionUsage::base(&eastus));
    }

    #[test]
    fn every_current_ga_version_of_aks_is_accepted() {
        let regions = Catalog::default().regions().to_vec();
        for version in [
            "2024-10-01",
            "2025-01-01",
            "2025-03-01",
            "2025-07-01",
            "2025-08-01",
            "2025-10-01",
            crate::azure::arm_client::CONTAINER_SERVICE_API_VERSION,
        ] {
            assert!(
                check_api_version(ApiFamily::ContainerService, Some(version), &regions).is_ok(),
                "{version}"
            );
        }
    }

    #[test]
    fn api_versions_are_checked_with_arms_codes() {
        let regions = Catalog::default().regions().to_vec();
        assert!(
            check_api_version(ApiFamily::ContainerService, Some("2024-09-01"), &regions).is_ok()
        );
        let missing = check_api_version(ApiFamily::ContainerService, None, &regions);
        assert_eq!(
            missing.err().as_ref().and_then(Answer::error_code),
            Some("MissingApiVersionParameter")
        );
        let unknown =
            check_api_version(ApiFamily::ContainerService, Some("2099-01-01"), &regions).err();
        assert_eq!(
            unknown.as_ref().and_then(Answer::error_code),
            Some("NoRegisteredProviderFound")
        );
        let garbled =
            check_api_version(ApiFamily::ContainerService, Some("2024-9-1"), &regions).err();
        assert_eq!(
            garbled.as_ref().and_then(Answer::error_code),
            Some("InvalidApiVersionParameter")
        );
        assert!(
            check_api_version(
                ApiFamily::ContainerServiceOperation,
                Some("2016-03-30"),
                &regions
            )
            .is_ok()
        );
        assert!(looks_like_api_version("2024-02-02-preview"));
    }

    #[test]
    fn dns_prefix_and_node_resource_group_rules() {
        assert!(check_dns_prefix("aks-demo-1").is_ok());
        let refused = check_dns_prefix("aks_demo").err();
        assert_eq!(
            refused.as_ref().and_then(Answer::error_message),
            Some(
                "The value of parameter dnsPrefix is invalid. Please see https://aka.ms/aks-naming-rules for more details."
            )
        );
        assert!(check_dns_prefix(&"a".repeat(55)).is_err());
        assert!(check_node_resource_group("rg", "aks", "westeurope").is_ok());
        assert!(check_node_resource_group(&"r".repeat(40), &"c".repeat(40), "westeurope").is_err());
    }
}
