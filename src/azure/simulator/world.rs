//! The simulator's live state: the resource groups and managed clusters that exist, the vCPUs
//! they hold, and the requests that change them (create or update, delete, abort). State is
//! derived from elapsed time whenever it is looked at ([`World::advance`]), so no background
//! task is needed and tests are deterministic. Per request the cost does not grow with the
//! number of clusters, except for listing them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::answer::Answer;
use super::catalog::{Catalog, normalize_location};
use super::faults::{Fault, FaultBook, FaultSpec};
use super::operations::{OperationKind, Operations, SimOperation, StatusContext, rfc3339};
use super::rules::{self, RegionUsage};
use crate::azure::error::ArmErrorDetail;
use crate::azure::models::{AgentPoolProfile, ManagedCluster, OperationState, ProvisioningState};

/// How long simulated operations take, and the `Retry-After` their status URLs send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub create: Duration,
    pub delete: Duration,
    pub abort: Duration,
    /// Zero sends no `Retry-After` (as AKS itself does).
    pub retry_after: Duration,
}

/// The `If-Match` / `If-None-Match` headers of a PUT.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preconditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

#[derive(Debug, Clone)]
struct SimCluster {
    resource_group: String,
    name: String,
    location: String,
    kubernetes_version: String,
    dns_prefix: String,
    e_tag: String,
    tags: BTreeMap<String, String>,
    pools: Vec<AgentPoolProfile>,
    state: ProvisioningState,
    operation_id: Option<String>,
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
    pub faults: Vec<Fault>,
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
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub dns_prefix: String,
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

type ClusterKey = (String, String);

pub struct World {
    pub subscription_id: String,
    pub tenant_id: String,
    pub timing: Timing,
    pub catalog: Catalog,
    resource_groups: HashMap<String, SimResourceGroup>,
    clusters: BTreeMap<ClusterKey, SimCluster>,
    /// vCPUs held by the simulated clusters, per region (what the catalog says is used
    /// elsewhere is added on top).
    cluster_usage: HashMap<String, RegionUsage>,
    operations: Operations,
    pub faults: FaultBook,
    pub counters: Counters,
}

fn cluster_key(rg: &str, name: &str) -> ClusterKey {
    (rg.to_ascii_lowercase(), name.to_ascii_lowercase())
}

impl World {
    /// A world with the catalog's resource groups and `resource_group` (in the first region of
    /// the catalog that is `koreacentral`, or else its first region).
    pub fn new(
        subscription_id: &str,
        tenant_id: &str,
        resource_group: &str,
        catalog: Catalog,
        timing: Timing,
    ) -> Self {
        let mut resource_groups = HashMap::new();
        let home = catalog
            .region("koreacentral")
            .or_else(|| catalog.regions().first())
            .map(|r| r.name.clone())
            .unwrap_or_else(|| "koreacentral".into());
        resource_groups.insert(
            resource_group.to_ascii_lowercase(),
            SimResourceGroup {
                name: resource_group.into(),
                location: home,
            },
        );
        for rg in &catalog.resource_groups {
            resource_groups.insert(
                rg.name.to_ascii_lowercase(),
                SimResourceGroup {
                    name: rg.name.clone(),
                    location: rg.location.clone(),
                },
            );
        }
        Self {
            subscription_id: subscription_id.into(),
            tenant_id: tenant_id.into(),
            timing,
            catalog,
            resource_groups,
            clusters: BTreeMap::new(),
            cluster_usage: HashMap::new(),
            operations: Operations::default(),
            faults: FaultBook::default(),
            counters: Counters::default(),
        }
    }

    fn status_context<'a>(&'a self, base: &'a str) -> StatusContext<'a> {
        StatusContext {
            subscription_id: &self.subscription_id,
            base,
            retry_after: self.timing.retry_after,
        }
    }

    /// Moves every operation whose next change is due on to where elapsed time puts it.
    pub fn advance(&mut self, now: Instant) {
        for id in self.operations.take_due(now) {
            let Some(op) = self.operations.get(&id) else {
                continue;
            };
            let key = op.cluster_key.clone();
            let owns_cluster = self
                .clusters
                .get(&key)
                .is_some_and(|c| c.operation_id.as_deref() == Some(op.id.as_str()));
            let failure = op
                .failure
                .clone()
                .filter(|(at, _)| *at <= op.ends_at && now >= *at);
            let (kind, state, ends_at) = (op.kind, op.state.clone(), op.ends_at);
            let cluster_state = match (state, kind) {
                (OperationState::InProgress, OperationKind::Create | OperationKind::Update) => {
                    if let Some((at, error)) = failure {
                        self.operations.update(&id, |op| {
                            op.error = Some(error);
                            op.end(OperationState::Failed, at);
                        });
                        Some(ProvisioningState::Failed)
                    } else if now >= ends_at {
                        self.operations
                            .update(&id, |op| op.end(OperationState::Succeeded, ends_at));
                        Some(ProvisioningState::Succeeded)
                    } else {
                        None
                    }
                }
                (OperationState::InProgress, OperationKind::Delete) if now >= ends_at => {
                    self.operations
                        .update(&id, |op| op.end(OperationState::Succeeded, ends_at));
                    if owns_cluster {
                        self.remove_cluster(&key);
                    }
                    None
                }
                (OperationState::InProgress, OperationKind::Abort) if now >= ends_at => {
                    self.operations
                        .update(&id, |op| op.end(OperationState::Succeeded, ends_at));
                    None
                }
                (OperationState::Canceling, _) if now >= ends_at => {
                    self.operations
                        .update(&id, |op| op.end(OperationState::Canceled, ends_at));
                    Some(ProvisioningState::Canceled)
                }
                _ => {
                    // Not due after all: back in the queue.
                    self.operations.update(&id, |_| {});
                    None
                }
            };
            if let (true, Some(state), Some(cluster)) =
                (owns_cluster, cluster_state, self.clusters.get_mut(&key))
            {
                cluster.state = state;
            }
        }
    }

    /// vCPUs used in the region of `location`: what the catalog says is used elsewhere plus every
    /// simulated cluster there (creating, succeeded, failed or canceled: their nodes hold quota
    /// until deleted).
    pub fn usage(&self, location: &str) -> Option<RegionUsage> {
        let region = self.catalog.region(location)?;
        let mut usage = RegionUsage::base(region);
        if let Some(clusters) = self.cluster_usage.get(&region.name) {
            usage.regional += clusters.regional;
            for (family, vcpus) in &clusters.families {
                *usage.families.entry(family.clone()).or_default() += vcpus;
            }
        }
        Some(usage)
    }

    fn insert_cluster(&mut self, key: ClusterKey, cluster: SimCluster) {
        self.remove_cluster(&key);
        self.cluster_usage
            .entry(cluster.location.clone())
            .or_default()
            .apply(&self.catalog, &cluster.pools, 1);
        self.clusters.insert(key, cluster);
    }

    fn remove_cluster(&mut self, key: &ClusterKey) {
        if let Some(old) = self.clusters.remove(key)
            && let Some(usage) = self.cluster_usage.get_mut(&old.location)
        {
            usage.apply(&self.catalog, &old.pools, -1);
        }
    }

    fn active_operation(&self, key: &ClusterKey) -> Option<&SimOperation> {
        let cluster = self.clusters.get(key)?;
        let op = self.operations.get(cluster.operation_id.as_deref()?)?;
        (!op.state.is_terminal()).then_some(op)
    }

    fn start_operation(
        &mut self,
        kind: OperationKind,
        key: &ClusterKey,
        now: Instant,
        duration: Duration,
    ) -> Option<String> {
        let cluster = self.clusters.get(key)?;
        let op = SimOperation::new(
            kind,
            key.clone(),
            &cluster.resource_group,
            &cluster.name,
            &cluster.location,
            now,
            duration,
        );
        Some(self.operations.insert(op))
    }

    fn accepted(&self, base: &str, status: u16, op_id: &str, location_header: bool) -> Answer {
        match self.operations.get(op_id) {
            Some(op) => self
                .status_context(base)
                .accepted(status, op, location_header),
            None => Answer::error(500, "InternalServerError", "operation vanished"),
        }
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
            None => rules::resource_group_not_found(name),
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
            Err(e) => return rules::invalid_content(&e),
        };
        if self.catalog.region(&location).is_none() {
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
                    "eTag": c.e_tag,
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
            "eTag": c.e_tag,
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
                "nodeResourceGroup": crate::provisioning::validate::node_resource_group_name(
                    &c.resource_group, &c.name, &c.location
                ),
                "enableRBAC": true,
            },
        })
    }

    pub fn get_cluster(&self, rg: &str, name: &str) -> Answer {
        if !self.resource_group_exists(rg) {
            return rules::resource_group_not_found(rg);
        }
        match self.clusters.get(&cluster_key(rg, name)) {
            Some(c) => Answer::json(200, self.cluster_json(c)),
            None => rules::cluster_not_found(rg, name),
        }
    }

    /// The clusters of `rg`, or of the whole subscription.
    pub fn list_clusters(&self, rg: Option<&str>) -> Answer {
        let value: Vec<Value> = match rg {
            Some(rg) => {
                if !self.resource_group_exists(rg) {
                    return rules::resource_group_not_found(rg);
                }
                let rg = rg.to_ascii_lowercase();
                self.clusters
                    .range((rg.clone(), String::new())..)
                    .take_while(|((key_rg, _), _)| *key_rg == rg)
                    .map(|(_, c)| self.cluster_json(c))
                    .collect()
            }
            None => self
                .clusters
                .values()
                .map(|c| self.cluster_json(c))
                .collect(),
        };
        Answer::json(200, json!({ "value": value }))
    }

    /// The cluster an operation works on (for faults scripted by cluster name).
    pub fn operation_cluster(&self, operation_id: &str) -> Option<&str> {
        self.operations
            .get(operation_id)
            .map(|op| op.cluster_name.as_str())
    }

    pub fn put_cluster(
        &mut self,
        rg: &str,
        name: &str,
        body: &[u8],
        preconditions: &Preconditions,
        base: &str,
        now: Instant,
    ) -> Answer {
        let answer = self.try_put_cluster(rg, name, body, preconditions, base, now);
        if answer.is_success() {
            self.counters.create_puts_accepted += 1;
        } else {
            self.counters.create_puts_refused += 1;
        }
        answer
    }

    fn check_preconditions(
        &self,
        key: &ClusterKey,
        name: &str,
        preconditions: &Preconditions,
    ) -> Result<(), Answer> {
        let existing = self.clusters.get(key);
        let failed = |message: String| Err(Answer::aks_error(412, "PreconditionFailed", message));
        if let Some(value) = preconditions.if_none_match.as_deref().map(str::trim) {
            if value != "*" {
                return Err(Answer::aks_error(
                    400,
                    "InvalidParameter",
                    format!("The If-None-Match header must be empty or '*', not '{value}'."),
                ));
            }
            if existing.is_some() {
                return failed(format!(
                    "The managed cluster '{name}' already exists, and the request has If-None-Match: '*'."
                ));
            }
        }
        if let Some(value) = preconditions.if_match.as_deref().map(str::trim) {
            match existing {
                None => {
                    return failed(format!(
                        "The managed cluster '{name}' does not exist, and the request has If-Match: '{value}'."
                    ));
                }
                Some(c) if value != "*" && value.trim_matches('"') != c.e_tag => {
                    return failed(format!(
                        "The eTag of managed cluster '{name}' is '{}', not '{value}' (If-Match).",
                        c.e_tag
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn try_put_cluster(
        &mut self,
        rg: &str,
        name: &str,
        body: &[u8],
        preconditions: &Preconditions,
        base: &str,
        now: Instant,
    ) -> Answer {
        let Some(group) = self.resource_groups.get(&rg.to_ascii_lowercase()) else {
            return rules::resource_group_not_found(rg);
        };
        let rg = group.name.clone();
        let requested: ManagedCluster = match serde_json::from_slice(body) {
            Ok(c) => c,
            Err(e) => return rules::invalid_content(&e),
        };
        let key = cluster_key(&rg, name);
        if let Err(refusal) = self.check_preconditions(&key, name, preconditions) {
            return refusal;
        }
        if let Some(op) = self.active_operation(&key) {
            return Answer::aks_error(
                409,
                "OperationNotAllowed",
                format!(
                    "Operation is not allowed because there's an in progress {} operation (ID {}) on managed cluster '{}' \
                     started at {}. Please wait for it to finish before starting a new operation.",
                    op.kind.noun(),
                    op.id,
                    op.cluster_name,
                    rfc3339(op.started_wall)
                ),
            );
        }
        if let Err(refusal) = rules::check_cluster_name(name) {
            return refusal;
        }
        let location = normalize_location(&requested.location);
        let Some(region) = self.catalog.region(&location) else {
            let known: Vec<&str> = self
                .catalog
                .regions()
                .iter()
                .map(|r| r.name.as_str())
                .collect();
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
            return Answer::aks_error(
                400,
                "BadRequest",
                format!(
                    "Changing property 'location' is not allowed (the cluster is in '{}').",
                    existing.location
                ),
            );
        }
        let dns_prefix = requested.properties.dns_prefix.clone().unwrap_or_default();
        if let Err(refusal) = rules::check_dns_prefix(&dns_prefix) {
            return refusal;
        }
        if let Err(refusal) = rules::check_node_resource_group(&rg, name, &location) {
            return refusal;
        }
        let pools = requested.properties.agent_pool_profiles.clone();
        if let Err(refusal) = rules::check_pools(&pools) {
            return refusal;
        }
        let Some(version) = self
            .catalog
            .resolve_kubernetes_version(requested.properties.kubernetes_version.as_deref())
            .map(str::to_string)
        else {
            return Answer::aks_error(
                400,
                "K8sVersionNotSupported",
                format!(
                    "Version {} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region.",
                    requested.properties.kubernetes_version.unwrap_or_default()
                ),
            );
        };
        let mut usage = self.usage(&location).unwrap_or_default();
        if let Some(existing) = existing {
            usage.apply(&self.catalog, &existing.pools, -1);
        }
        if let Err(refusal) = rules::check_create(&self.catalog, region, &pools, &usage) {
            return refusal;
        }

        let is_new = existing.is_none();
        let cluster_name = existing
            .map(|c| c.name.clone())
            .unwrap_or_else(|| name.to_string());
        let cluster = SimCluster {
            resource_group: rg,
            name: cluster_name.clone(),
            location,
            kubernetes_version: version,
            dns_prefix,
            e_tag: uuid::Uuid::new_v4().to_string(),
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
        self.insert_cluster(key.clone(), cluster);
        let kind = if is_new {
            OperationKind::Create
        } else {
            OperationKind::Update
        };
        let Some(op_id) = self.start_operation(kind, &key, now, self.timing.create) else {
            return Answer::error(500, "InternalServerError", "cluster vanished");
        };
        if let Some(fault) = self.faults.take_async_failure(&cluster_name, now) {
            self.counters.faults_fired += 1;
            let after = Duration::from_secs_f64(fault.fail_after_seconds.unwrap_or(0.0));
            let error = fault.error();
            self.operations
                .update(&op_id, |op| op.failure = Some((now + after, error)));
        }
        if let Some(c) = self.clusters.get_mut(&key) {
            c.operation_id = Some(op_id.clone());
        }
        if is_new {
            self.counters.clusters_created += 1;
        }
        let body = self.clusters.get(&key).map(|c| self.cluster_json(c));
        let mut answer = self.accepted(base, if is_new { 201 } else { 200 }, &op_id, false);
        if let Some(body) = body {
            answer.body = super::answer::AnswerBody::Json(body);
        }
        answer
    }

    pub fn delete_cluster(&mut self, rg: &str, name: &str, base: &str, now: Instant) -> Answer {
        self.counters.delete_requests += 1;
        if !self.resource_group_exists(rg) {
            return rules::resource_group_not_found(rg);
        }
        let key = cluster_key(rg, name);
        if !self.clusters.contains_key(&key) {
            return Answer::empty(204);
        }
        if let Some(op) = self.active_operation(&key) {
            let id = op.id.clone();
            if op.kind == OperationKind::Delete {
                return self.accepted(base, 202, &id, true);
            }
            // A delete supersedes a create or update in flight.
            self.operations.update(&id, |op| {
                op.error = Some(ArmErrorDetail::new(
                    "CanceledAndSupersededDueToAnotherOperation",
                    "The operation was canceled and superseded by a delete operation.",
                ));
                op.end(OperationState::Canceled, now);
            });
        }
        let Some(op_id) =
            self.start_operation(OperationKind::Delete, &key, now, self.timing.delete)
        else {
            return rules::cluster_not_found(rg, name);
        };
        if let Some(c) = self.clusters.get_mut(&key) {
            c.state = ProvisioningState::Deleting;
            c.operation_id = Some(op_id.clone());
        }
        self.accepted(base, 202, &op_id, true)
    }

    pub fn abort(&mut self, rg: &str, name: &str, base: &str, now: Instant) -> Answer {
        if !self.resource_group_exists(rg) {
            return rules::resource_group_not_found(rg);
        }
        let key = cluster_key(rg, name);
        if !self.clusters.contains_key(&key) {
            return rules::cluster_not_found(rg, name);
        }
        let Some(op) = self.active_operation(&key) else {
            return Answer::aks_error(
                409,
                "OperationNotAllowed",
                format!("There is no ongoing operation on managed cluster '{name}' to abort."),
            );
        };
        if op.kind == OperationKind::Delete {
            return Answer::aks_error(
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
        self.operations.update(&target, |op| {
            op.state = OperationState::Canceling;
            op.ends_at = cancel_done;
            op.error = Some(ArmErrorDetail::new(
                "OperationCanceled",
                "The operation was canceled by an abort request (POST …/abort).",
            ));
        });
        self.counters.aborts_accepted += 1;
        let Some(abort_id) =
            self.start_operation(OperationKind::Abort, &key, now, self.timing.abort)
        else {
            return rules::cluster_not_found(rg, name);
        };
        self.operations
            .update(&abort_id, |op| op.ends_at = cancel_done);
        self.accepted(base, 202, &abort_id, true)
    }

    /// What an operation-status URL answers.
    pub fn operation_status(
        &self,
        id: &str,
        as_location: bool,
        base: &str,
        now: Instant,
    ) -> Answer {
        match self.operations.get(id) {
            Some(op) => self.status_context(base).status(op, as_location, now),
            None => Answer::error(404, "NotFound", format!("Operation '{id}' was not found.")),
        }
    }

    // ----- what a region offers -----

    /// `Microsoft.Compute/skus`: every size in every region (or in `location` only).
    pub fn skus(&self, location: Option<&str>) -> Answer {
        let location = location.map(normalize_location);
        let mut value = Vec::new();
        for region in self.catalog.regions() {
            if location.as_deref().is_some_and(|l| l != region.name) {
                continue;
            }
            for size in self.catalog.vm_sizes() {
                let restrictions: Vec<Value> = region
                    .restriction(&size.name)
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
        let (Some(region), Some(usage)) = (self.catalog.region(location), self.usage(location))
        else {
            return rules::location_not_found(location);
        };
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
                "currentValue": usage.family(&family.family),
                "limit": family.limit,
                "name": { "value": family.family, "localizedValue": format!("Standard {label} Family vCPUs") },
            }));
        }
        Answer::json(200, json!({ "value": value }))
    }

    pub fn kubernetes_versions(&self, location: &str) -> Answer {
        if self.catalog.region(location).is_none() {
            return rules::location_not_found(location);
        }
        let values: Vec<Value> = self
            .catalog
            .kubernetes_versions
            .iter()
            .map(|minor| {
                let patch_versions: serde_json::Map<String, Value> = minor
                    .patches
                    .iter()
                    .map(|p| (p.clone(), json!({ "upgrades": [] })))
                    .collect();
                json!({
                    "version": minor.version,
                    "isDefault": minor.is_default,
                    "isPreview": false,
                    "capabilities": { "supportPlan": ["KubernetesOfficial"] },
                    "patchVersions": patch_versions,
                })
            })
            .collect();
        Answer::json(200, json!({ "values": values }))
    }

    // ----- test controls -----

    pub fn add_fault(&mut self, spec: FaultSpec, now: Instant) -> Fault {
        self.faults.add(spec, now)
    }

    pub fn snapshot(&mut self, now: Instant) -> SimulatorState {
        let mut resource_groups: Vec<ResourceGroupState> = self
            .resource_groups
            .values()
            .map(|rg| ResourceGroupState {
                name: rg.name.clone(),
                location: rg.location.clone(),
            })
            .collect();
        resource_groups.sort_by_key(|rg| rg.name.to_ascii_lowercase());
        SimulatorState {
            subscription_id: self.subscription_id.clone(),
            resource_groups,
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
                    tags: c.tags.clone(),
                    dns_prefix: c.dns_prefix.clone(),
                })
                .collect(),
            operations: self
                .operations
                .all()
                .into_iter()
                .map(|o| OperationStateView {
                    id: o.id.clone(),
                    kind: o.kind,
                    resource_group: o.resource_group.clone(),
                    cluster_name: o.cluster_name.clone(),
                    status: o.state.clone(),
                    error: o.error.clone().filter(|_| o.state.is_terminal()),
                })
                .collect(),
            faults: self.faults.list(now),
            counters: self.counters.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::models::AgentPoolMode;
    use crate::config::{DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID};

    fn world() -> World {
        World::new(
            DEFAULT_SUBSCRIPTION_ID,
            DEFAULT_TENANT_ID,
            DEFAULT_RESOURCE_GROUP,
            Catalog::default(),
            Timing {
                create: Duration::from_secs(10),
                delete: Duration::from_secs(5),
                abort: Duration::from_secs(2),
                retry_after: Duration::from_secs(30),
            },
        )
    }

    fn body(name: &str, location: &str, tags: &[(&str, &str)]) -> Vec<u8> {
        let mut cluster = ManagedCluster::for_create(
            name,
            location,
            None,
            vec![AgentPoolProfile::new(
                "system",
                "Standard_D2s_v3",
                1,
                AgentPoolMode::System,
            )],
        );
        cluster.tags = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        serde_json::to_vec(&cluster).unwrap_or_default()
    }

    fn put(world: &mut World, name: &str, preconditions: &Preconditions, now: Instant) -> Answer {
        world.put_cluster(
            DEFAULT_RESOURCE_GROUP,
            name,
            &body(name, "koreacentral", &[("aks-dashboard-job", "job-1")]),
            preconditions,
            "http://sim",
            now,
        )
    }

    #[test]
    fn tags_are_stored_and_returned_by_get_and_list() {
        let now = Instant::now();
        let mut world = world();
        assert_eq!(
            put(&mut world, "aks-1", &Preconditions::default(), now).status,
            201
        );
        let got = world.get_cluster(DEFAULT_RESOURCE_GROUP, "AKS-1");
        let tags = got
            .json_body()
            .map(|b| b["tags"].clone())
            .unwrap_or_default();
        assert_eq!(tags, json!({"aks-dashboard-job": "job-1"}));
        let listed = world.list_clusters(Some(DEFAULT_RESOURCE_GROUP));
        let first = listed
            .json_body()
            .map(|b| b["value"][0]["tags"].clone())
            .unwrap_or_default();
        assert_eq!(first, tags);
    }

    #[test]
    fn if_none_match_star_refuses_an_existing_cluster_in_any_state() {
        let now = Instant::now();
        let mut world = world();
        let create_only = Preconditions {
            if_none_match: Some("*".into()),
            ..Preconditions::default()
        };
        assert_eq!(put(&mut world, "aks-1", &create_only, now).status, 201);
        // While it is Creating, and after it Succeeded.
        for later in [now + Duration::from_secs(1), now + Duration::from_secs(11)] {
            world.advance(later);
            let refused = put(&mut world, "aks-1", &create_only, later);
            assert_eq!(refused.status, 412, "{refused:?}");
            assert_eq!(refused.error_code(), Some("PreconditionFailed"));
        }
        // Without the header, a PUT of an existing cluster is an update.
        let update = put(
            &mut world,
            "aks-1",
            &Preconditions::default(),
            now + Duration::from_secs(12),
        );
        assert_eq!(update.status, 200);
        assert_eq!(world.counters.create_puts_refused, 2);
    }

    #[test]
    fn if_match_compares_the_etag() {
        let now = Instant::now();
        let mut world = world();
        let any = Preconditions {
            if_match: Some("*".into()),
            ..Preconditions::default()
        };
        assert_eq!(put(&mut world, "aks-1", &any, now).status, 412, "absent");
        put(&mut world, "aks-1", &Preconditions::default(), now);
        world.advance(now + Duration::from_secs(11));
        let etag = world
            .get_cluster(DEFAULT_RESOURCE_GROUP, "aks-1")
            .json_body()
            .and_then(|b| b["eTag"].as_str().map(str::to_string))
            .unwrap_or_default();
        let stale = Preconditions {
            if_match: Some("other".into()),
            ..Preconditions::default()
        };
        let later = now + Duration::from_secs(12);
        assert_eq!(put(&mut world, "aks-1", &stale, later).status, 412);
        let fresh = Preconditions {
            if_match: Some(format!("\"{etag}\"")),
            ..Preconditions::default()
        };
        assert_eq!(put(&mut world, "aks-1", &fresh, later).status, 200);
    }

    #[test]
    fn quota_held_by_clusters_is_released_when_they_are_deleted() {
        let now = Instant::now();
        let mut world = world();
        let before = world.usage("koreacentral").unwrap_or_default();
        put(&mut world, "aks-1", &Preconditions::default(), now);
        let during = world.usage("koreacentral").unwrap_or_default();
        assert_eq!(during.regional, before.regional + 2);
        world.advance(now + Duration::from_secs(11));
        world.delete_cluster(
            DEFAULT_RESOURCE_GROUP,
            "aks-1",
            "http://sim",
            now + Duration::from_secs(11),
        );
        world.advance(now + Duration::from_secs(17));
        assert_eq!(world.usage("koreacentral").unwrap_or_default(), before);
        assert!(world.snapshot(now).clusters.is_empty());
    }

    #[test]
    fn an_invalid_dns_prefix_is_refused_as_aks_does() {
        let now = Instant::now();
        let mut world = world();
        let mut cluster: ManagedCluster =
            serde_json::from_slice(&body("aks-1", "koreacentral", &[]))
                .unwrap_or_else(|e| panic!("{e}"));
        cluster.properties.dns_prefix = Some("aks_1-dns".into());
        let refused = world.put_cluster(
            DEFAULT_RESOURCE_GROUP,
            "aks-1",
            &serde_json::to_vec(&cluster).unwrap_or_default(),
            &Preconditions::default(),
            "http://sim",
            now,
        );
        assert_eq!(refused.status, 400);
        assert_eq!(refused.error_code(), Some("InvalidParameter"));
        assert!(
            refused
                .error_message()
                .is_some_and(|m| m.contains("dnsPrefix"))
        );
    }

    #[test]
    fn operations_end_on_time_and_the_cluster_follows() {
        let now = Instant::now();
        let mut world = world();
        put(&mut world, "aks-1", &Preconditions::default(), now);
        world.advance(now + Duration::from_secs(9));
        assert_eq!(
            world.snapshot(now).clusters[0].provisioning_state,
            ProvisioningState::Creating
        );
        world.advance(now + Duration::from_secs(10));
        let state = world.snapshot(now);
        assert_eq!(
            state.clusters[0].provisioning_state,
            ProvisioningState::Succeeded
        );
        assert_eq!(state.operations[0].status, OperationState::Succeeded);
    }
}
