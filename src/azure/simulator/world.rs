//! The simulator's world: the default subscription (VM sizes, regions, quotas, restrictions),
//! the resources created in it, the long-running operations on them, and the rules ARM applies
//! when a cluster is created. State is derived from elapsed time whenever it is looked at
//! ([`World::advance`]), so no background task is needed and tests are deterministic.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::faults::{FaultBook, FaultSpec};
use crate::azure::arm_client::CONTAINER_SERVICE_API_VERSION;
use crate::azure::error::ArmErrorDetail;
use crate::azure::models::{
    AgentPoolMode, AgentPoolProfile, ManagedCluster, OperationState, ProvisioningState,
};

/// A VM size of the default world.
#[derive(Debug, Clone, Copy)]
pub struct VmSize {
    pub name: &'static str,
    pub family: &'static str,
    pub vcpus: u32,
    pub memory_gb: u32,
}

pub const VM_SIZES: &[VmSize] = &[
    VmSize {
        name: "Standard_D2s_v3",
        family: "standardDSv3Family",
        vcpus: 2,
        memory_gb: 8,
    },
    VmSize {
        name: "Standard_D4s_v3",
        family: "standardDSv3Family",
        vcpus: 4,
        memory_gb: 16,
    },
    VmSize {
        name: "Standard_D8s_v3",
        family: "standardDSv3Family",
        vcpus: 8,
        memory_gb: 32,
    },
    VmSize {
        name: "Standard_E16s_v5",
        family: "standardESv5Family",
        vcpus: 16,
        memory_gb: 128,
    },
    VmSize {
        name: "Standard_NC24ads_A100_v4",
        family: "standardNCADSA100v4Family",
        vcpus: 24,
        memory_gb: 220,
    },
];

pub fn vm_size(name: &str) -> Option<&'static VmSize> {
    VM_SIZES.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// vCPU limit of one family in a region, and what is used outside the simulated clusters.
#[derive(Debug, Clone)]
pub struct FamilyQuota {
    pub family: &'static str,
    pub limit: i64,
    pub used: i64,
}

#[derive(Debug, Clone)]
pub struct Region {
    pub name: &'static str,
    pub regional_limit: i64,
    pub regional_used: i64,
    pub families: Vec<FamilyQuota>,
    /// (VM size, reason code) of sizes blocked in the whole region.
    pub restrictions: Vec<(&'static str, &'static str)>,
}

impl Region {
    pub fn family(&self, family: &str) -> Option<&FamilyQuota> {
        self.families
            .iter()
            .find(|f| f.family.eq_ignore_ascii_case(family))
    }

    pub fn restriction(&self, size: &str) -> Option<&'static str> {
        self.restrictions
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(size))
            .map(|(_, r)| *r)
    }
}

/// The regions of the default world, as PRODUCT.md describes them.
pub fn default_regions() -> Vec<Region> {
    let family = |family, limit, used| FamilyQuota {
        family,
        limit,
        used,
    };
    vec![
        Region {
            name: "koreacentral",
            regional_limit: 100,
            regional_used: 0,
            families: vec![
                family("standardDSv3Family", 48, 0),
                family("standardESv5Family", 32, 0),
                family("standardNCADSA100v4Family", 0, 0),
            ],
            restrictions: vec![("Standard_NC24ads_A100_v4", "NotAvailableForSubscription")],
        },
        Region {
            name: "eastus",
            regional_limit: 10,
            regional_used: 4,
            families: vec![
                family("standardDSv3Family", 10, 4),
                family("standardESv5Family", 0, 0),
            ],
            restrictions: vec![],
        },
        Region {
            name: "westeurope",
            regional_limit: 200,
            regional_used: 0,
            families: vec![
                family("standardDSv3Family", 100, 0),
                family("standardESv5Family", 64, 0),
                family("standardNCADSA100v4Family", 48, 0),
            ],
            restrictions: vec![],
        },
    ]
}

/// (minor version, patch versions newest first, is the default).
pub const KUBERNETES_VERSIONS: &[(&str, &[&str], bool)] = &[
    ("1.29", &["1.29.9", "1.29.8"], false),
    ("1.30", &["1.30.5", "1.30.4"], true),
    ("1.31", &["1.31.1"], false),
];

/// The patch version a requested version means: the default when none is given, the newest
/// patch of a minor version, or the exact patch.
pub fn resolve_kubernetes_version(requested: Option<&str>) -> Option<&'static str> {
    match requested.map(str::trim).filter(|v| !v.is_empty()) {
        None => KUBERNETES_VERSIONS
            .iter()
            .find(|(_, _, d)| *d)
            .and_then(|(_, p, _)| p.first().copied()),
        Some(v) => KUBERNETES_VERSIONS.iter().find_map(|(minor, patches, _)| {
            if *minor == v {
                patches.first().copied()
            } else {
                patches.iter().find(|p| **p == v).copied()
            }
        }),
    }
}

/// ARM accepts "Korea Central" and "koreacentral" alike.
pub fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// vCPUs in use in a region: the regional total and per family.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionUsage {
    pub regional: i64,
    pub families: BTreeMap<String, i64>,
}

/// An HTTP answer of the simulator: status, extra headers, JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self::arm_error(status, ArmErrorDetail::new(code, message))
    }

    pub fn arm_error(status: u16, error: ArmErrorDetail) -> Self {
        Self::json(status, error.to_body())
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// Refuses a create that uses a blocked or unknown size, or that does not fit the quota.
/// `usage` is what the region already uses, not counting the cluster being written.
pub fn check_create(
    region: &Region,
    pools: &[AgentPoolProfile],
    usage: &RegionUsage,
) -> Result<(), Answer> {
    let mut requested_total: i64 = 0;
    let mut requested_by_family: BTreeMap<&'static str, i64> = BTreeMap::new();
    for pool in pools {
        let size = vm_size(&pool.vm_size);
        let blocked = region.restriction(&pool.vm_size);
        if size.is_none() || blocked.is_some() {
            let message = format!(
                "The VM size of {} is not allowed in your subscription in location '{}'. \
                 For more details, please visit https://aka.ms/aks/quotas-skus-regions",
                pool.vm_size, region.name
            );
            let mut error = ArmErrorDetail::new("BadRequest", message);
            if let Some(reason) = blocked {
                error.details.push(ArmErrorDetail::new(
                    reason,
                    format!(
                        "The VM size {} is currently not available in location '{}' for this subscription ({reason}).",
                        pool.vm_size, region.name
                    ),
                ));
            }
            return Err(Answer::arm_error(400, error));
        }
        if let Some(size) = size {
            let vcpus = i64::from(size.vcpus) * i64::from(pool.count);
            requested_total += vcpus;
            *requested_by_family.entry(size.family).or_default() += vcpus;
        }
    }

    let regional_left = region.regional_limit - usage.regional;
    if requested_total > regional_left {
        return Err(Answer::error(
            400,
            "ErrCode_InsufficientVCPUQuota",
            format!(
                "Insufficient regional vcpu quota left for location {}. left regional vcpu quota {}, \
                 requested quota {}. Please refer to https://aka.ms/aks/quotas-skus-regions for more details.",
                region.name,
                regional_left.max(0),
                requested_total
            ),
        ));
    }
    for (family, requested) in requested_by_family {
        let limit = region.family(family).map(|f| f.limit).unwrap_or(0);
        let used = usage.families.get(family).copied().unwrap_or(0);
        let left = limit - used;
        if requested > left {
            return Err(Answer::error(
                400,
                "ErrCode_InsufficientVCPUQuota",
                format!(
                    "Insufficient vcpu quota requested {requested}, remaining {} for family {family} \
                     for region {}. Please refer to https://aka.ms/aks/quotas-skus-regions for more details.",
                    left.max(0),
                    region.name
                ),
            ));
        }
    }
    Ok(())
}

/// How long simulated operations take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub create: Duration,
    pub delete: Duration,
    pub abort: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Create,
    Update,
    Delete,
    Abort,
}

#[derive(Debug, Clone)]
struct SimCluster {
    resource_group: String,
    name: String,
    location: String,
    kubernetes_version: String,
    dns_prefix: String,
    tags: BTreeMap<String, String>,
    pools: Vec<AgentPoolProfile>,
    state: ProvisioningState,
    operation_id: Option<String>,
}

#[derive(Debug, Clone)]
struct SimOperation {
    id: String,
    kind: OperationKind,
    cluster_key: (String, String),
    resource_group: String,
    cluster_name: String,
    location: String,
    started_at: Instant,
    started_wall: SystemTime,
    /// When the current phase ends (the work, or the cancel once `Canceling`).
    ends_at: Instant,
    state: OperationState,
    /// A scripted failure: when, and with which error.
    failure: Option<(Instant, ArmErrorDetail)>,
    error: Option<ArmErrorDetail>,
    ended_wall: Option<SystemTime>,
}

impl SimOperation {
    fn wall(&self, at: Instant) -> SystemTime {
        self.started_wall + at.saturating_duration_since(self.started_at)
    }
}

#[derive(Debug, Clone)]
struct SimResourceGroup {
    name: String,
    location: String,
}

/// Counters tests assert on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Managed-cluster PUTs that started an operation (create or update).
    pub create_puts_accepted: u64,
    /// Managed-cluster PUTs refused (quota, blocked size, conflict, bad body, fault).
    pub create_puts_refused: u64,
    /// Cluster resources that came into existence.
    pub clusters_created: u64,
    /// Abort calls received (whatever their answer).
    pub abort_requests: u64,
    /// Aborts that put an operation into `Canceling`.
    pub aborts_accepted: u64,
    pub delete_requests: u64,
    pub unauthorized_requests: u64,
    pub faults_fired: u64,
    /// Authenticated ARM calls by kind (`create`, `get`, `operation_status`, …).
    pub requests: BTreeMap<String, u64>,
}

/// `GET /_armsim/state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulatorState {
    pub subscription_id: String,
    pub resource_groups: Vec<ResourceGroupState>,
    pub clusters: Vec<ClusterState>,
    pub operations: Vec<OperationStateView>,
    pub faults: Vec<super::faults::Fault>,
    pub counters: Counters,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceGroupState {
    pub name: String,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterState {
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub provisioning_state: ProvisioningState,
    pub kubernetes_version: String,
    pub agent_pools: Vec<AgentPoolProfile>,
    pub operation_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationStateView {
    pub id: String,
    pub kind: OperationKind,
    pub resource_group: String,
    pub cluster_name: String,
    pub status: OperationState,
    pub error: Option<ArmErrorDetail>,
}

pub struct World {
    pub subscription_id: String,
    pub tenant_id: String,
    pub timing: Timing,
    regions: Vec<Region>,
    resource_groups: BTreeMap<String, SimResourceGroup>,
    clusters: BTreeMap<(String, String), SimCluster>,
    operations: BTreeMap<String, SimOperation>,
    pub faults: FaultBook,
    pub counters: Counters,
}

fn rfc3339(at: SystemTime) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Seconds a client should wait between polls of an operation that takes `duration`.
fn retry_after_seconds(duration: Duration) -> u64 {
    (duration.as_secs_f64() / 10.0).ceil().clamp(1.0, 15.0) as u64
}

impl World {
    /// The default world: one subscription with `rg-aks-dev` in koreacentral.
    pub fn new(
        subscription_id: &str,
        tenant_id: &str,
        resource_group: &str,
        timing: Timing,
    ) -> Self {
        let mut resource_groups = BTreeMap::new();
        resource_groups.insert(
            resource_group.to_ascii_lowercase(),
            SimResourceGroup {
                name: resource_group.into(),
                location: "koreacentral".into(),
            },
        );
        Self {
            subscription_id: subscription_id.into(),
            tenant_id: tenant_id.into(),
            timing,
            regions: default_regions(),
            resource_groups,
            clusters: BTreeMap::new(),
            operations: BTreeMap::new(),
            faults: FaultBook::default(),
            counters: Counters::default(),
        }
    }

    fn region(&self, location: &str) -> Option<&Region> {
        let location = normalize_location(location);
        self.regions.iter().find(|r| r.name == location)
    }

    /// Moves every operation on to where elapsed time puts it.
    pub fn advance(&mut self, now: Instant) {
        let Self {
            operations,
            clusters,
            ..
        } = self;
        for op in operations.values_mut() {
            let cluster = clusters.get_mut(&op.cluster_key);
            let owns_cluster = cluster
                .as_ref()
                .is_some_and(|c| c.operation_id.as_deref() == Some(op.id.as_str()));
            match op.state {
                OperationState::InProgress => match op.kind {
                    OperationKind::Create | OperationKind::Update => {
                        let failure = op
                            .failure
                            .clone()
                            .filter(|(at, _)| *at <= op.ends_at && now >= *at);
                        if let Some((at, error)) = failure {
                            op.state = OperationState::Failed;
                            op.error = Some(error);
                            op.ended_wall = Some(op.wall(at));
                            if let (true, Some(c)) = (owns_cluster, cluster) {
                                c.state = ProvisioningState::Failed;
                            }
                        } else if now >= op.ends_at {
                            op.state = OperationState::Succeeded;
                            op.ended_wall = Some(op.wall(op.ends_at));
                            if let (true, Some(c)) = (owns_cluster, cluster) {
                                c.state = ProvisioningState::Succeeded;
                            }
                        }
                    }
                    OperationKind::Delete => {
                        if now >= op.ends_at {
                            op.state = OperationState::Succeeded;
                            op.ended_wall = Some(op.wall(op.ends_at));
                            if owns_cluster {
                                clusters.remove(&op.cluster_key);
                            }
                        }
                    }
                    OperationKind::Abort => {
                        if now >= op.ends_at {
                            op.state = OperationState::Succeeded;
                            op.ended_wall = Some(op.wall(op.ends_at));
                        }
                    }
                },
                OperationState::Canceling if now >= op.ends_at => {
                    op.state = OperationState::Canceled;
                    op.ended_wall = Some(op.wall(op.ends_at));
                    if let (true, Some(c)) = (owns_cluster, cluster) {
                        c.state = ProvisioningState::Canceled;
                    }
                }
                _ => {}
            }
        }
    }

    /// vCPUs used in `region`, counting every cluster resource that exists there (creating,
    /// succeeded, failed or canceled: their nodes hold quota until deleted) except `except`.
    pub fn usage(&self, region: &Region, except: Option<&(String, String)>) -> RegionUsage {
        let mut usage = RegionUsage {
            regional: region.regional_used,
            families: region
                .families
                .iter()
                .map(|f| (f.family.to_string(), f.used))
                .collect(),
        };
        for (key, cluster) in &self.clusters {
            if Some(key) == except || cluster.location != region.name {
                continue;
            }
            for pool in &cluster.pools {
                if let Some(size) = vm_size(&pool.vm_size) {
                    let vcpus = i64::from(size.vcpus) * i64::from(pool.count);
                    usage.regional += vcpus;
                    *usage.families.entry(size.family.to_string()).or_default() += vcpus;
                }
            }
        }
        usage
    }

    fn active_operation(&self, key: &(String, String)) -> Option<&SimOperation> {
        let cluster = self.clusters.get(key)?;
        let op = self.operations.get(cluster.operation_id.as_deref()?)?;
        (!op.state.is_terminal()).then_some(op)
    }

    fn operation_urls(&self, base: &str, op: &SimOperation) -> (String, String) {
        let prefix = format!(
            "{base}/subscriptions/{}/providers/Microsoft.ContainerService/locations/{}",
            self.subscription_id, op.location
        );
        let query = format!("api-version={CONTAINER_SERVICE_API_VERSION}");
        (
            format!("{prefix}/operations/{}?{query}", op.id),
            format!("{prefix}/operationresults/{}?{query}", op.id),
        )
    }

    fn start_operation(
        &mut self,
        kind: OperationKind,
        key: &(String, String),
        now: Instant,
        duration: Duration,
    ) -> Option<String> {
        let cluster = self.clusters.get(key)?;
        let id = uuid::Uuid::new_v4().to_string();
        let op = SimOperation {
            id: id.clone(),
            kind,
            cluster_key: key.clone(),
            resource_group: cluster.resource_group.clone(),
            cluster_name: cluster.name.clone(),
            location: cluster.location.clone(),
            started_at: now,
            started_wall: SystemTime::now(),
            ends_at: now + duration,
            state: OperationState::InProgress,
            failure: None,
            error: None,
            ended_wall: None,
        };
        self.operations.insert(id.clone(), op);
        Some(id)
    }

    fn accepted(
        &self,
        base: &str,
        status: u16,
        op_id: &str,
        duration: Duration,
        location_header: bool,
    ) -> Answer {
        let Some(op) = self.operations.get(op_id) else {
            return Answer::error(500, "InternalServerError", "operation vanished");
        };
        let (async_url, location_url) = self.operation_urls(base, op);
        let mut answer = Answer::empty(status)
            .with_header("azure-asyncoperation", async_url)
            .with_header("retry-after", retry_after_seconds(duration).to_string());
        if location_header {
            answer = answer.with_header("location", location_url);
        }
        answer
    }

    // ----- resource groups -----

    pub fn resource_group_exists(&self, name: &str) -> bool {
        self.resource_groups
            .contains_key(&name.to_ascii_lowercase())
    }

    fn resource_group_json(&self, rg: &SimResourceGroup) -> Value {
        json!({
            "id": format!("/subscriptions/{}/resourceGroups/{}", self.subscription_id, rg.name),
            "name": rg.name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": rg.location,
            "properties": { "provisioningState": "Succeeded" },
        })
    }

    pub fn get_resource_group(&self, name: &str) -> Answer {
        match self.resource_groups.get(&name.to_ascii_lowercase()) {
            Some(rg) => Answer::json(200, self.resource_group_json(rg)),
            None => resource_group_not_found(name),
        }
    }

    pub fn put_resource_group(&mut self, name: &str, body: &[u8]) -> Answer {
        #[derive(Deserialize)]
        struct Body {
            location: Option<String>,
        }
        let location = match serde_json::from_slice::<Body>(body) {
            Ok(Body { location: Some(l) }) if !l.trim().is_empty() => normalize_location(&l),
            Ok(_) => {
                return Answer::error(
                    400,
                    "LocationRequired",
                    "The location property is required for this definition.",
                );
            }
            Err(e) => return invalid_content(&e),
        };
        if self.region(&location).is_none() {
            return Answer::error(
                400,
                "LocationNotAvailableForResourceGroup",
                format!("The provided location '{location}' is not available for resource group."),
            );
        }
        let key = name.to_ascii_lowercase();
        if let Some(existing) = self.resource_groups.get(&key) {
            if existing.location != location {
                return Answer::error(
                    409,
                    "InvalidResourceGroupLocation",
                    format!(
                        "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                        existing.location
                    ),
                );
            }
            return Answer::json(200, self.resource_group_json(existing));
        }
        let rg = SimResourceGroup {
            name: name.into(),
            location,
        };
        let body = self.resource_group_json(&rg);
        self.resource_groups.insert(key, rg);
        Answer::json(201, body)
    }

    // ----- managed clusters -----

    fn cluster_json(&self, c: &SimCluster) -> Value {
        let state = c.state.as_str();
        let pools: Vec<Value> = c
            .pools
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "count": p.count,
                    "vmSize": p.vm_size,
                    "mode": p.mode,
                    "osType": p.os_type.clone().unwrap_or_else(|| "Linux".into()),
                    "type": "VirtualMachineScaleSets",
                    "orchestratorVersion": c.kubernetes_version,
                    "provisioningState": state,
                    "powerState": { "code": "Running" },
                })
            })
            .collect();
        json!({
            "id": format!(
                "/subscriptions/{}/resourcegroups/{}/providers/Microsoft.ContainerService/managedClusters/{}",
                self.subscription_id, c.resource_group, c.name
            ),
            "location": c.location,
            "name": c.name,
            "type": "Microsoft.ContainerService/ManagedClusters",
            "tags": c.tags,
            "sku": { "name": "Base", "tier": "Free" },
            "identity": { "type": "SystemAssigned", "tenantId": self.tenant_id },
            "properties": {
                "provisioningState": state,
                "powerState": { "code": "Running" },
                "kubernetesVersion": c.kubernetes_version,
                "currentKubernetesVersion": c.kubernetes_version,
                "dnsPrefix": c.dns_prefix,
                "fqdn": format!("{}.hcp.{}.azmk8s.io", c.dns_prefix, c.location),
                "agentPoolProfiles": pools,
                "nodeResourceGroup": format!("MC_{}_{}_{}", c.resource_group, c.name, c.location),
                "enableRBAC": true,
            },
        })
    }

    pub fn get_cluster(&self, rg: &str, name: &str) -> Answer {
        if !self.resource_group_exists(rg) {
            return resource_group_not_found(rg);
        }
        match self.clusters.get(&cluster_key(rg, name)) {
            Some(c) => Answer::json(200, self.cluster_json(c)),
            None => cluster_not_found(rg, name),
        }
    }

    /// The clusters of `rg`, or of the whole subscription.
    pub fn list_clusters(&self, rg: Option<&str>) -> Answer {
        if let Some(rg) = rg
            && !self.resource_group_exists(rg)
        {
            return resource_group_not_found(rg);
        }
        let value: Vec<Value> = self
            .clusters
            .values()
            .filter(|c| rg.is_none_or(|rg| c.resource_group.eq_ignore_ascii_case(rg)))
            .map(|c| self.cluster_json(c))
            .collect();
        Answer::json(200, json!({ "value": value }))
    }

    pub fn put_cluster(
        &mut self,
        rg: &str,
        name: &str,
        body: &[u8],
        base: &str,
        now: Instant,
    ) -> Answer {
        let answer = self.try_put_cluster(rg, name, body, base, now);
        if (200..300).contains(&answer.status) {
            self.counters.create_puts_accepted += 1;
        } else {
            self.counters.create_puts_refused += 1;
        }
        answer
    }

    fn try_put_cluster(
        &mut self,
        rg: &str,
        name: &str,
        body: &[u8],
        base: &str,
        now: Instant,
    ) -> Answer {
        let Some(group) = self.resource_groups.get(&rg.to_ascii_lowercase()) else {
            return resource_group_not_found(rg);
        };
        let rg = group.name.clone();
        let requested: ManagedCluster = match serde_json::from_slice(body) {
            Ok(c) => c,
            Err(e) => return invalid_content(&e),
        };
        let key = cluster_key(&rg, name);
        if let Some(op) = self.active_operation(&key) {
            return Answer::error(
                409,
                "OperationNotAllowed",
                format!(
                    "Operation is not allowed because there's an in progress {} operation (ID {}) on managed cluster '{}' \
                     started at {}. Please wait for it to finish before starting a new operation.",
                    operation_noun(op.kind),
                    op.id,
                    op.cluster_name,
                    rfc3339(op.started_wall)
                ),
            );
        }
        let location = normalize_location(&requested.location);
        let Some(region) = self.region(&location) else {
            let known: Vec<&str> = self.regions.iter().map(|r| r.name).collect();
            return Answer::error(
                400,
                "LocationNotAvailableForResourceType",
                format!(
                    "The provided location '{location}' is not available for resource type \
                     'Microsoft.ContainerService/managedClusters'. List of available regions for the resource type is '{}'.",
                    known.join(",")
                ),
            );
        };
        let existing = self.clusters.get(&key);
        if let Some(existing) = existing
            && existing.location != location
        {
            return Answer::error(
                400,
                "BadRequest",
                format!(
                    "Changing property 'location' is not allowed (the cluster is in '{}').",
                    existing.location
                ),
            );
        }
        let pools = requested.properties.agent_pool_profiles.clone();
        if let Err(answer) = check_pools(&pools) {
            return answer;
        }
        let Some(version) =
            resolve_kubernetes_version(requested.properties.kubernetes_version.as_deref())
        else {
            return Answer::error(
                400,
                "K8sVersionNotSupported",
                format!(
                    "Version {} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region.",
                    requested.properties.kubernetes_version.unwrap_or_default()
                ),
            );
        };
        let usage = self.usage(region, Some(&key));
        if let Err(refusal) = check_create(region, &pools, &usage) {
            return refusal;
        }

        let is_new = existing.is_none();
        let kind = if is_new {
            OperationKind::Create
        } else {
            OperationKind::Update
        };
        let dns_prefix = requested
            .properties
            .dns_prefix
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| format!("{name}-dns"));
        let cluster_name = existing
            .map(|c| c.name.clone())
            .unwrap_or_else(|| name.to_string());
        let cluster = SimCluster {
            resource_group: rg,
            name: cluster_name.clone(),
            location,
            kubernetes_version: version.to_string(),
            dns_prefix,
            tags: requested.tags,
            pools: pools
                .into_iter()
                .map(|mut p| {
                    p.provisioning_state = None;
                    p
                })
                .collect(),
            state: if is_new {
                ProvisioningState::Creating
            } else {
                ProvisioningState::Updating
            },
            operation_id: None,
        };
        self.clusters.insert(key.clone(), cluster);
        let duration = self.timing.create;
        let Some(op_id) = self.start_operation(kind, &key, now, duration) else {
            return Answer::error(500, "InternalServerError", "cluster vanished");
        };
        if let Some(fault) = self.faults.take_async_failure(&cluster_name) {
            self.counters.faults_fired += 1;
            let after = Duration::from_secs_f64(fault.fail_after_seconds.unwrap_or(0.0));
            if let Some(op) = self.operations.get_mut(&op_id) {
                op.failure = Some((now + after, fault.error()));
            }
        }
        if let Some(c) = self.clusters.get_mut(&key) {
            c.operation_id = Some(op_id.clone());
        }
        if is_new {
            self.counters.clusters_created += 1;
        }
        let body = self.clusters.get(&key).map(|c| self.cluster_json(c));
        let mut answer = self.accepted(
            base,
            if is_new { 201 } else { 200 },
            &op_id,
            duration,
            false,
        );
        answer.body = body;
        answer
    }

    pub fn delete_cluster(&mut self, rg: &str, name: &str, base: &str, now: Instant) -> Answer {
        self.counters.delete_requests += 1;
        if !self.resource_group_exists(rg) {
            return resource_group_not_found(rg);
        }
        let key = cluster_key(rg, name);
        if !self.clusters.contains_key(&key) {
            return Answer::empty(204);
        }
        let delete = self.timing.delete;
        if let Some(op) = self.active_operation(&key) {
            if op.kind == OperationKind::Delete {
                let id = op.id.clone();
                return self.accepted(base, 202, &id, delete, true);
            }
            // A delete supersedes a create or update in flight.
            let id = op.id.clone();
            if let Some(op) = self.operations.get_mut(&id) {
                op.state = OperationState::Canceled;
                op.error = Some(ArmErrorDetail::new(
                    "CanceledAndSupersededDueToAnotherOperation",
                    "The operation was canceled and superseded by a delete operation.",
                ));
                op.ended_wall = Some(op.wall(now));
            }
        }
        let Some(op_id) = self.start_operation(OperationKind::Delete, &key, now, delete) else {
            return cluster_not_found(rg, name);
        };
        if let Some(c) = self.clusters.get_mut(&key) {
            c.state = ProvisioningState::Deleting;
            c.operation_id = Some(op_id.clone());
        }
        self.accepted(base, 202, &op_id, delete, true)
    }

    pub fn abort(&mut self, rg: &str, name: &str, base: &str, now: Instant) -> Answer {
        if !self.resource_group_exists(rg) {
            return resource_group_not_found(rg);
        }
        let key = cluster_key(rg, name);
        if !self.clusters.contains_key(&key) {
            return cluster_not_found(rg, name);
        }
        let Some(op) = self.active_operation(&key) else {
            return Answer::error(
                409,
                "OperationNotAllowed",
                format!("There is no ongoing operation on managed cluster '{name}' to abort."),
            );
        };
        if op.kind == OperationKind::Delete {
            return Answer::error(
                409,
                "OperationNotAllowed",
                format!("The delete operation on managed cluster '{name}' cannot be aborted."),
            );
        }
        let target = op.id.clone();
        let cancel_done = match op.state {
            OperationState::Canceling => op.ends_at,
            _ => now + self.timing.abort,
        };
        if let Some(op) = self.operations.get_mut(&target) {
            op.state = OperationState::Canceling;
            op.ends_at = cancel_done;
            op.error = Some(ArmErrorDetail::new(
                "OperationCanceled",
                "The operation was canceled by an abort request (POST …/abort).",
            ));
        }
        self.counters.aborts_accepted += 1;
        let Some(abort_id) =
            self.start_operation(OperationKind::Abort, &key, now, self.timing.abort)
        else {
            return cluster_not_found(rg, name);
        };
        if let Some(op) = self.operations.get_mut(&abort_id) {
            op.ends_at = cancel_done;
        }
        self.accepted(base, 202, &abort_id, self.timing.abort, true)
    }

    // ----- operations -----

    fn operation_json(&self, op: &SimOperation, now: Instant) -> Value {
        let mut body = json!({
            "id": format!(
                "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{}/operations/{}",
                self.subscription_id, op.location, op.id
            ),
            "name": op.id,
            "status": op.state.as_str(),
            "startTime": rfc3339(op.started_wall),
        });
        if let Some(ended) = op.ended_wall {
            body["endTime"] = json!(rfc3339(ended));
        }
        if op.state == OperationState::InProgress {
            let total = op
                .ends_at
                .saturating_duration_since(op.started_at)
                .as_secs_f64();
            let done = now.saturating_duration_since(op.started_at).as_secs_f64();
            let percent = if total > 0.0 {
                (done / total * 100.0).min(99.0)
            } else {
                0.0
            };
            body["percentComplete"] = json!(percent.round());
        }
        if op.state.is_terminal()
            && let Some(error) = &op.error
        {
            body["error"] = serde_json::to_value(error).unwrap_or(Value::Null);
        }
        body
    }

    /// `…/operations/{id}` (`Azure-AsyncOperation`), or with `as_location` the
    /// `…/operationresults/{id}` (`Location`) flavour: 202 while running, 204 when it succeeded.
    pub fn operation_status(
        &self,
        id: &str,
        as_location: bool,
        base: &str,
        now: Instant,
    ) -> Answer {
        let Some(op) = self.operations.get(id).or_else(|| {
            self.operations
                .values()
                .find(|o| o.id.eq_ignore_ascii_case(id))
        }) else {
            return Answer::error(404, "NotFound", format!("Operation '{id}' was not found."));
        };
        let retry = match op.kind {
            OperationKind::Create | OperationKind::Update => self.timing.create,
            OperationKind::Delete => self.timing.delete,
            OperationKind::Abort => self.timing.abort,
        };
        let retry_after = retry_after_seconds(retry).to_string();
        if as_location {
            return match &op.state {
                OperationState::Succeeded => Answer::empty(204),
                s if s.is_terminal() => Answer::json(200, self.operation_json(op, now)),
                _ => {
                    let (_, location) = self.operation_urls(base, op);
                    Answer::empty(202)
                        .with_header("retry-after", retry_after)
                        .with_header("location", location)
                }
            };
        }
        let answer = Answer::json(200, self.operation_json(op, now));
        if op.state.is_terminal() {
            answer
        } else {
            answer.with_header("retry-after", retry_after)
        }
    }

    // ----- what a region offers -----

    /// `Microsoft.Compute/skus`: every size in every region (or in `location` only).
    pub fn skus(&self, location: Option<&str>) -> Answer {
        let location = location.map(normalize_location);
        let mut value = Vec::new();
        for region in &self.regions {
            if location.as_deref().is_some_and(|l| l != region.name) {
                continue;
            }
            for size in VM_SIZES {
                let restrictions: Vec<Value> = region
                    .restriction(size.name)
                    .map(|reason| {
                        json!({
                            "type": "Location",
                            "values": [region.name],
                            "restrictionInfo": { "locations": [region.name] },
                            "reasonCode": reason,
                        })
                    })
                    .into_iter()
                    .collect();
                value.push(json!({
                    "resourceType": "virtualMachines",
                    "name": size.name,
                    "tier": "Standard",
                    "size": size.name.trim_start_matches("Standard_"),
                    "family": size.family,
                    "locations": [region.name],
                    "locationInfo": [{ "location": region.name, "zones": ["1", "2", "3"] }],
                    "capabilities": [
                        { "name": "vCPUs", "value": size.vcpus.to_string() },
                        { "name": "MemoryGB", "value": size.memory_gb.to_string() },
                    ],
                    "restrictions": restrictions,
                }));
            }
        }
        Answer::json(200, json!({ "value": value }))
    }

    /// `Microsoft.Compute/locations/{region}/usages`: the regional total and each family.
    pub fn usages(&self, location: &str) -> Answer {
        let Some(region) = self.region(location) else {
            return location_not_found(location);
        };
        let usage = self.usage(region, None);
        let mut value = vec![json!({
            "unit": "Count",
            "currentValue": usage.regional,
            "limit": region.regional_limit,
            "name": { "value": "cores", "localizedValue": "Total Regional vCPUs" },
        })];
        for family in &region.families {
            let label = family
                .family
                .trim_start_matches("standard")
                .trim_end_matches("Family");
            value.push(json!({
                "unit": "Count",
                "currentValue": usage.families.get(family.family).copied().unwrap_or(0),
                "limit": family.limit,
                "name": { "value": family.family, "localizedValue": format!("Standard {label} Family vCPUs") },
            }));
        }
        Answer::json(200, json!({ "value": value }))
    }

    pub fn kubernetes_versions(&self, location: &str) -> Answer {
        if self.region(location).is_none() {
            return location_not_found(location);
        }
        let values: Vec<Value> = KUBERNETES_VERSIONS
            .iter()
            .map(|(minor, patches, is_default)| {
                let patch_versions: serde_json::Map<String, Value> = patches
                    .iter()
                    .map(|p| (p.to_string(), json!({ "upgrades": [] })))
                    .collect();
                json!({
                    "version": minor,
                    "isDefault": is_default,
                    "isPreview": false,
                    "capabilities": { "supportPlan": ["KubernetesOfficial"] },
                    "patchVersions": patch_versions,
                })
            })
            .collect();
        Answer::json(200, json!({ "values": values }))
    }

    // ----- test controls -----

    pub fn add_fault(&mut self, spec: FaultSpec) -> super::faults::Fault {
        self.faults.add(spec)
    }

    pub fn snapshot(&self) -> SimulatorState {
        SimulatorState {
            subscription_id: self.subscription_id.clone(),
            resource_groups: self
                .resource_groups
                .values()
                .map(|rg| ResourceGroupState {
                    name: rg.name.clone(),
                    location: rg.location.clone(),
                })
                .collect(),
            clusters: self
                .clusters
                .values()
                .map(|c| ClusterState {
                    resource_group: c.resource_group.clone(),
                    name: c.name.clone(),
                    location: c.location.clone(),
                    provisioning_state: c.state.clone(),
                    kubernetes_version: c.kubernetes_version.clone(),
                    agent_pools: c.pools.clone(),
                    operation_id: c.operation_id.clone(),
                })
                .collect(),
            operations: {
                let mut ops: Vec<&SimOperation> = self.operations.values().collect();
                ops.sort_by_key(|o| o.started_at);
                ops.into_iter()
                    .map(|o| OperationStateView {
                        id: o.id.clone(),
                        kind: o.kind,
                        resource_group: o.resource_group.clone(),
                        cluster_name: o.cluster_name.clone(),
                        status: o.state.clone(),
                        error: o.error.clone().filter(|_| o.state.is_terminal()),
                    })
                    .collect()
            },
            faults: self.faults.list(),
            counters: self.counters.clone(),
        }
    }
}

fn cluster_key(rg: &str, name: &str) -> (String, String) {
    (rg.to_ascii_lowercase(), name.to_ascii_lowercase())
}

fn operation_noun(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Create => "create managed cluster",
        OperationKind::Update => "update managed cluster",
        OperationKind::Delete => "delete managed cluster",
        OperationKind::Abort => "abort",
    }
}

fn check_pools(pools: &[AgentPoolProfile]) -> Result<(), Answer> {
    if pools.is_empty() {
        return Err(Answer::error(
            400,
            "InvalidParameter",
            "The value of parameter agentPoolProfiles is invalid: at least one agent pool is required.",
        ));
    }
    if !pools.iter().any(|p| p.mode == AgentPoolMode::System) {
        return Err(Answer::error(
            400,
            "InvalidParameter",
            "A managed cluster must have at least one agent pool in System mode.",
        ));
    }
    if let Some(pool) = pools.iter().find(|p| p.count == 0) {
        return Err(Answer::error(
            400,
            "InvalidParameter",
            format!(
                "The value of parameter agentPoolProfile.count of pool '{}' is invalid: it must be at least 1.",
                pool.name
            ),
        ));
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

fn cluster_not_found(rg: &str, name: &str) -> Answer {
    Answer::error(
        404,
        "ResourceNotFound",
        format!(
            "The Resource 'Microsoft.ContainerService/managedClusters/{name}' under resource group '{rg}' was not found. \
             For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

fn location_not_found(location: &str) -> Answer {
    Answer::error(
        404,
        "LocationNotFound",
        format!("The location '{location}' could not be found."),
    )
}

fn invalid_content(error: &serde_json::Error) -> Answer {
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
                AgentPoolProfile::new(format!("pool{i}"), *size, *count, *mode)
            })
            .collect()
    }

    fn region(name: &str) -> Region {
        match default_regions().into_iter().find(|r| r.name == name) {
            Some(r) => r,
            None => panic!("no region {name}"),
        }
    }

    fn base_usage(region: &Region) -> RegionUsage {
        RegionUsage {
            regional: region.regional_used,
            families: region
                .families
                .iter()
                .map(|f| (f.family.to_string(), f.used))
                .collect(),
        }
    }

    #[test]
    fn eastus_has_six_vcpus_left_so_fourteen_are_refused_with_the_numbers() {
        let eastus = region("eastus");
        let request = pools(&[
            ("Standard_D2s_v3", 1, AgentPoolMode::System),
            ("Standard_D4s_v3", 3, AgentPoolMode::User),
        ]);
        let Err(refusal) = check_create(&eastus, &request, &base_usage(&eastus)) else {
            panic!("quota not enforced");
        };
        let body = refusal.body.unwrap_or_default();
        assert_eq!(refusal.status, 400);
        assert_eq!(body["error"]["code"], "ErrCode_InsufficientVCPUQuota");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("eastus") && message.contains(" 6,") && message.contains("14"),
            "{message}"
        );
    }

    #[test]
    fn a_blocked_size_is_refused_as_blocked_even_with_quota_to_spare() {
        let korea = region("koreacentral");
        let request = pools(&[("Standard_NC24ads_A100_v4", 1, AgentPoolMode::System)]);
        let Err(refusal) = check_create(&korea, &request, &base_usage(&korea)) else {
            panic!("restriction not enforced");
        };
        let body = refusal.body.unwrap_or_default();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("is not allowed in your subscription")
        );
        assert_eq!(
            body["error"]["details"][0]["code"],
            "NotAvailableForSubscription"
        );
    }

    #[test]
    fn a_family_limit_binds_below_the_regional_one() {
        let korea = region("koreacentral");
        // 4 × 16 = 64 vCPUs of ESv5: regional 100 would allow it, the family's 32 does not.
        let request = pools(&[("Standard_E16s_v5", 4, AgentPoolMode::System)]);
        let Err(refusal) = check_create(&korea, &request, &base_usage(&korea)) else {
            panic!("family quota not enforced");
        };
        let message = refusal.body.unwrap_or_default()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            message.contains("standardESv5Family") && message.contains("64"),
            "{message}"
        );
    }

    #[test]
    fn what_fits_is_allowed() {
        let westeurope = region("westeurope");
        let request = pools(&[
            ("Standard_D2s_v3", 1, AgentPoolMode::System),
            ("Standard_NC24ads_A100_v4", 2, AgentPoolMode::User),
        ]);
        assert!(check_create(&westeurope, &request, &base_usage(&westeurope)).is_ok());
    }

    #[test]
    fn kubernetes_versions_resolve_to_a_patch() {
        assert_eq!(resolve_kubernetes_version(None), Some("1.30.5"));
        assert_eq!(resolve_kubernetes_version(Some("1.29")), Some("1.29.9"));
        assert_eq!(resolve_kubernetes_version(Some("1.31.1")), Some("1.31.1"));
        assert_eq!(resolve_kubernetes_version(Some("1.20")), None);
    }

    #[test]
    fn locations_are_normalized() {
        assert_eq!(normalize_location("Korea Central"), "koreacentral");
    }
}
