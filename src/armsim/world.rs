//! The simulator's live state: the resource groups and managed clusters that exist, the vCPUs
//! they hold, and the requests that change them (create or update, delete, abort). State is
//! derived from elapsed time whenever it is looked at ([`World::advance`]), so no background
//! task is needed and tests are deterministic. Per request the cost does not grow with the
//! number of clusters, except for listing them. What a region offers (SKUs, usages, versions)
//! is answered in [`offers`]; resource groups and managed clusters in [`resource_groups`] and
//! [`clusters`].

mod clusters;
mod offers;
mod resource_groups;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tokio::time::Instant;

use super::answer::Answer;
use super::catalog::Catalog;
use super::faults::{Fault, FaultBook, FaultSpec};
use super::operations::{OperationKind, Operations, SimOperation, StatusContext};
use super::rules::RegionUsage;
pub use super::state::{
    ClusterState, Counters, OperationStateView, ResourceGroupState, SimulatorState,
};
use crate::azure::models::{AgentPoolProfile, OperationState, ProvisioningState};

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
    /// The most clusters one page of a list holds.
    pub list_page_size: usize,
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
            list_page_size: 100,
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
mod tests;
