//! The create's first steps: the resource group (made only where a `subscription/*` scope lets
//! the owner's role), the read before the PUT (create-only: a cluster that is not this job's is
//! never touched), and the PUT itself, sent at most once unless the cluster is confirmed absent.

use std::time::Duration;

use tokio::time::Instant;

use crate::azure::{AgentPoolMode, AgentPoolProfile, JOB_TAG, ManagedCluster};
use crate::clock::now_ms;
use crate::domain::history::AzureIds;
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::{STEPS, SYSTEM_POOL, USER_POOL};
use crate::refusal::Refusal;
use crate::storage::HistoryEvent;
use crate::storage::jobs::JobUpdate;

use super::answers::{ArmFailure, BeforePut, PutAnswer, before_put, put_answer, transient};
use super::{MAX_PUTS, ProvisionRun, Stop};

/// How old a resource group's existence may be when a create relies on it.
const RESOURCE_GROUP_FRESH: std::time::Duration = std::time::Duration::from_secs(60);

impl ProvisionRun {
    pub(super) async fn provision(&mut self) -> Result<(), Stop> {
        self.check()?;
        self.progress.portal_url = Some(self.portal_url());
        if self.job.arm_put_at.is_none() {
            self.ensure_resource_group().await?;
        }
        self.create_cluster().await
    }

    async fn ensure_resource_group(&mut self) -> Result<(), Stop> {
        let (sub, rg, region) = (
            self.request.subscription_id.clone(),
            self.request.resource_group.clone(),
            self.request.region.clone(),
        );
        self.publish(STEPS[0], format!("Checking resource group {rg}"))
            .await?;
        // Read at most once a minute per group, whichever of the runner's jobs asks (issue 38).
        let cache = self.ctx.cache.clone();
        let seen = self
            .azure(cache.resource_group_within(&sub, &rg, RESOURCE_GROUP_FRESH))
            .await?;
        if matches!(seen.as_deref(), Ok(Some(_))) {
            return Ok(());
        }
        // Seen missing (or not read): one create of the group at a time reads it again — it may
        // have been made since — and makes it; the others wait, then find it in the cache.
        let _making = self.azure(cache.making_resource_group(&sub, &rg)).await?;
        let seen = self
            .azure(cache.resource_group_within(&sub, &rg, RESOURCE_GROUP_FRESH))
            .await?;
        if matches!(seen.as_deref(), Ok(Some(_))) {
            return Ok(());
        }
        match self
            .azure(self.ctx.arm.get_resource_group(&sub, &rg))
            .await?
        {
            Ok(Some(group)) => {
                cache.observe_resource_group(&sub, &rg, group);
                Ok(())
            }
            Ok(None) if !self.may_create_resource_group() => Err(Stop::Failed(ArmFailure::new(
                "ResourceGroupNotFound",
                format!(
                    "Resource group '{rg}' could not be found, and this dashboard creates \
                     clusters only in existing resource groups of this subscription \
                     (AZURE_SCOPES names no {sub}/*)."
                ),
            ))),
            Ok(None) => {
                self.publish(
                    STEPS[0],
                    format!("Creating resource group {rg} in {region}"),
                )
                .await?;
                let made = self
                    .azure(self.ctx.arm.create_resource_group(&sub, &rg, &region))
                    .await?
                    .map_err(|e| Stop::Failed(e.into()))?;
                // Every create of the group after this one finds it in the cache.
                cache.observe_resource_group(&sub, &rg, made);
                Ok(())
            }
            Err(e) => Err(Stop::Failed(e.into())),
        }
    }

    /// Whether this job may create its missing resource group: a `subscription/*` scope for
    /// the role its owner had when it was made (an owner of before roles: an operator).
    fn may_create_resource_group(&self) -> bool {
        let Some(scopes) = &self.ctx.config.scopes else {
            return true;
        };
        let role = self
            .job
            .owner_role
            .as_deref()
            .and_then(crate::identity::Role::parse)
            .unwrap_or(crate::identity::Role::Operator);
        let scope = crate::identity::Scope::new(
            &self.request.subscription_id,
            &self.request.resource_group,
        );
        scopes.may_create_resource_group(&scope, role)
    }

    /// Reads the cluster; while following (a PUT may have been sent) Azure's failures to answer
    /// are waited out, before it they end the job (nothing was created).
    async fn read_cluster(&mut self) -> Result<(Option<ManagedCluster>, AzureIds), Stop> {
        loop {
            let following = self.job.arm_put_at.is_some();
            let arm = if following {
                self.arm()
            } else {
                self.ctx.arm.clone()
            };
            match self.azure(arm.get_cluster_read(&self.cluster())).await? {
                Ok(found) => {
                    self.azure_answered();
                    return Ok(found);
                }
                Err(e) if following && transient(&e) => self.azure_is_slow(&e).await?,
                Err(e) => return Err(Stop::Failed(e.into())),
            }
        }
    }

    /// Create-only: a cluster of this name that is not this job's is never touched; one that
    /// is (a resumed or taken-over job) is followed; otherwise the create is sent. A job's first
    /// PUT is sent without a read before it: `If-None-Match: *` makes Azure refuse it (412) where
    /// a cluster of the name exists, and that answer is read like any conflict. Every later PUT,
    /// and a resumed job, reads first (the earlier PUT may have made the cluster).
    pub(super) async fn create_cluster(&mut self) -> Result<(), Stop> {
        let name = self.request.cluster_name.clone();
        let resuming = self.job.arm_put_at.is_some();
        let mut read_first = resuming || self.puts > 0;
        loop {
            if std::mem::replace(&mut read_first, true) {
                let message = if resuming {
                    format!("Resuming: reading {name} from Azure")
                } else {
                    format!("Checking whether Azure has a cluster named {name}")
                };
                self.publish(STEPS[1], message).await?;
                let (found, read) = self.read_cluster().await?;
                match before_put(found, &self.job.id, self.job.arm_put_at.is_some()) {
                    BeforePut::Follow(existing) => {
                        self.seen_by_read = true;
                        self.observe(&existing, Some(&read));
                        return self.follow().await;
                    }
                    BeforePut::NotOurs(existing) => {
                        return Err(Stop::Failed(self.cluster_exists(&existing)));
                    }
                    // It showed up: read it again above.
                    BeforePut::ConfirmAbsent if !self.confirm_absent().await? => continue,
                    BeforePut::ConfirmAbsent | BeforePut::Send => {}
                }
            }
            if self.puts >= MAX_PUTS {
                return Err(Stop::Failed(ArmFailure::new(
                    Refusal::ArmUnreachable.code(),
                    format!(
                        "Azure did not confirm the create of {name} after {MAX_PUTS} tries. The \
                         cluster may still appear; check the resource group before trying again."
                    ),
                )));
            }
            self.puts += 1;
            match self.send_create().await? {
                Sent::Accepted => return self.follow().await,
                Sent::Unknown | Sent::Conflict => continue,
            }
        }
    }

    /// After a PUT whose answer was lost: looks for the cluster for a bounded time. True when it
    /// is still absent at the end (the PUT did not create it), false as soon as it shows.
    pub(super) async fn confirm_absent(&mut self) -> Result<bool, Stop> {
        let until = Instant::now() + self.ctx.config.confirm_absent_for;
        let name = self.request.cluster_name.clone();
        while Instant::now() < until {
            self.publish(
                STEPS[1],
                format!("Waiting for Azure to show {name} (an answer was lost on the way)"),
            )
            .await?;
            let wait = self.ctx.config.poll_min.max(Duration::from_millis(200));
            self.pause(wait).await?;
            if self.read_cluster().await?.0.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub(super) fn cluster_exists(&self, existing: &ManagedCluster) -> ArmFailure {
        let state = existing
            .provisioning_state()
            .map_or("unknown state", |s| s.as_str());
        let mut failure = ArmFailure::new(
            Refusal::ClusterExists.code(),
            format!(
                "A cluster named {} already exists in {} ({state}); the dashboard never changes \
                 a cluster it did not create. Choose another name, or delete that cluster first.",
                self.request.cluster_name, self.request.resource_group
            ),
        );
        failure.info.status = Some(409);
        failure
    }

    /// The create body: the request's pools, and this job's tag.
    fn create_body(&self) -> ManagedCluster {
        let mut body = ManagedCluster::for_create(
            &self.request.cluster_name,
            self.request.region.clone(),
            Some(self.request.kubernetes_version.clone()).filter(|v| !v.is_empty()),
            vec![
                AgentPoolProfile::new(
                    SYSTEM_POOL,
                    &self.request.system_vm_size,
                    self.request.system_node_count,
                    AgentPoolMode::System,
                ),
                AgentPoolProfile::new(
                    USER_POOL,
                    &self.request.node_sku,
                    self.request.node_count,
                    AgentPoolMode::User,
                ),
            ],
        );
        body.tags.insert(JOB_TAG.to_owned(), self.job.id.clone());
        body
    }

    /// Sends the PUT, once. Its time is written first, so that whatever happens next (a lost
    /// answer, a crash), the job knows Azure may have its cluster.
    async fn send_create(&mut self) -> Result<Sent, Stop> {
        let name = self.request.cluster_name.clone();
        let put_at = now_ms();
        self.write(JobUpdate {
            arm_put_at: Some(put_at),
            history: vec![
                HistoryEvent::system(HistoryKind::AzureCreateSent, Outcome::Ok)
                    .details(serde_json::json!({ "attempt": self.puts }))
                    .azure(self.azure_ids(None)),
            ],
            ..JobUpdate::default()
        })
        .await?;
        self.job.arm_put_at = Some(put_at);
        self.publish(STEPS[1], format!("Asking Azure to create {name}"))
            .await?;
        let (arm, cluster, body) = (self.arm(), self.cluster(), self.create_body());
        match self.azure(arm.create_cluster(&cluster, &body)).await? {
            Ok(started) => {
                self.test_panic(true);
                self.progress.arm_started_at = Some(now_ms());
                self.progress.operation_url = started.status_url().map(str::to_owned);
                if started.azure.correlation_id.is_some() {
                    self.progress.azure_correlation_id = started.azure.correlation_id.clone();
                }
                self.pending.push(
                    HistoryEvent::system(HistoryKind::AzureAccepted, Outcome::Ok)
                        .details(serde_json::json!({ "http_status": started.http_status }))
                        .azure(self.azure_ids(Some(&started.azure))),
                );
                if let Some(created) = &started.body {
                    self.observe(created, Some(&started.azure));
                }
                self.ctx.cache.invalidate(
                    &self.request.subscription_id,
                    &self.request.resource_group,
                    &self.request.region,
                );
                self.publish(STEPS[1], format!("Azure accepted the create of {name}"))
                    .await?;
                Ok(Sent::Accepted)
            }
            Err(e) => match put_answer(&e) {
                PutAnswer::Conflict => Ok(Sent::Conflict),
                PutAnswer::Refused => Err(Stop::Failed(e.into())),
                PutAnswer::Throttled => {
                    self.azure_is_slow(&e).await?;
                    Ok(Sent::Unknown)
                }
                PutAnswer::Lost => {
                    tracing::warn!(job_id = %self.job.id, error = %e, "the answer to the create was lost; reading the cluster");
                    self.azure_is_slow(&e).await?;
                    Ok(Sent::Unknown)
                }
            },
        }
    }
}

/// What became of a PUT.
enum Sent {
    Accepted,
    /// Azure refused because a cluster (or an operation on it) is there: read it again.
    Conflict,
    /// The answer was lost or throttled: read the cluster to find out.
    Unknown,
}
