//! Managed clusters: what a GET or a list shows, and the PUT (create or update, with
//! `If-Match`/`If-None-Match`), DELETE and abort that start operations on them.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{ClusterKey, Preconditions, SimCluster, World, cluster_key};
use crate::armsim::answer::{Answer, AnswerBody};
use crate::armsim::catalog::normalize_location;
use crate::armsim::operations::{OperationKind, rfc3339};
use crate::armsim::rules;
use crate::azure::error::ArmErrorDetail;
use crate::azure::models::{ManagedCluster, OperationState, ProvisioningState};

impl World {
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
                "nodeResourceGroup": crate::domain::validation::node_resource_group_name(
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

    /// One page of the clusters of `rg`, or of the whole subscription, in the order of their
    /// names: those after `skip_token` (the last one of the page before), at most
    /// `list_page_size`; `nextLink` (made by `next_link` from the token of this page's last
    /// cluster) when more follow, as Azure pages a list. The same cluster JSON as a single GET.
    pub fn list_clusters(
        &self,
        rg: Option<&str>,
        skip_token: Option<&str>,
        next_link: impl Fn(&str) -> String,
    ) -> Answer {
        if let Some(rg) = rg.filter(|rg| !self.resource_group_exists(rg)) {
            return rules::resource_group_not_found(rg);
        }
        let scope = rg.map(str::to_ascii_lowercase);
        let after = skip_token.and_then(|token| token.split_once('/'));
        let mut listed = self
            .clusters
            .iter()
            .filter(|((key_rg, _), _)| scope.as_ref().is_none_or(|rg| key_rg == rg))
            .filter(|((key_rg, key_name), _)| {
                after.is_none_or(|(rg, name)| (key_rg.as_str(), key_name.as_str()) > (rg, name))
            });
        let page: Vec<_> = listed.by_ref().take(self.list_page_size).collect();
        let value: Vec<Value> = page.iter().map(|(_, c)| self.cluster_json(c)).collect();
        let more = listed.next().is_some();
        match page.last() {
            Some(((last_rg, last_name), _)) if more => Answer::json(
                200,
                json!({ "value": value, "nextLink": next_link(&format!("{last_rg}/{last_name}")) }),
            ),
            _ => Answer::json(200, json!({ "value": value })),
        }
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
            answer.body = AnswerBody::Json(body);
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
}
