//! What `GET /_armsim/state` shows: resource groups, clusters, operations, faults and the
//! counters tests assert on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::faults::Fault;
use super::operations::OperationKind;
use crate::azure::error::ArmErrorDetail;
use crate::azure::models::{AgentPoolProfile, OperationState, ProvisioningState};

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
