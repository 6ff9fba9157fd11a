//! Following an accepted create to Azure's end: the operation's status at every poll, the
//! cluster itself now and then (its state and pools for the progress), Azure's failures to
//! answer waited out (its `Retry-After`, else a growing back-off) up to the follow horizon.

use tokio::time::Instant;

use crate::azure::{AgentPoolProfile, ArmError, ManagedCluster, OperationState};
use crate::clock::now_ms;
use crate::domain::STEPS;
use crate::domain::history::{AzureIds, HistoryKind, Outcome};
use crate::refusal::Refusal;
use crate::storage::HistoryEvent;

use super::answers::{self, ArmFailure, ClusterRead, Known, ListSays, Listed, Next, OperationPoll};
use super::{CLUSTER_READ_EVERY, ProvisionRun, Stop};

impl ProvisionRun {
    /// Records what Azure shows of the cluster: its state and pools. A change of state is
    /// recorded with the request id of the call that showed it (`call`), beside the create's
    /// correlation id.
    pub(super) fn observe(&mut self, cluster: &ManagedCluster, call: Option<&AzureIds>) {
        let call = call.map(|c| AzureIds {
            correlation_id: None,
            request_id: c.request_id.clone(),
        });
        if let Some(state) = cluster.provisioning_state() {
            let to = state.as_str().to_owned();
            if self.progress.cluster_state.as_deref() != Some(to.as_str()) {
                self.pending.push(
                    HistoryEvent::system(HistoryKind::StateChanged, Outcome::Ok)
                        .details(serde_json::json!({
                            "from": self.progress.cluster_state,
                            "to": to,
                        }))
                        .azure(self.azure_ids(call.as_ref())),
                );
            }
            self.progress.cluster_state = Some(to);
        }
        self.progress.pools = cluster
            .properties
            .agent_pool_profiles
            .iter()
            .map(AgentPoolProfile::progress)
            .collect();
        self.ctx.cache.observe_cluster(
            &self.request.subscription_id,
            &self.request.resource_group,
            cluster,
        );
    }

    /// How long Azure has had the create: since its PUT was accepted (or sent).
    fn followed_ms(&self) -> u128 {
        let started = self
            .progress
            .arm_started_at
            .or(self.job.arm_put_at)
            .unwrap_or_else(now_ms);
        (now_ms() - started).max(0) as u128
    }

    /// What the job knows now, for the decisions of [`answers`].
    fn known<'a>(&'a self, cluster_name: &'a str) -> Known<'a> {
        Known {
            job_id: &self.job.id,
            cluster_name,
            following_operation: self.progress.operation_url.is_some(),
            seen_by_read: self.seen_by_read,
            polls: self.polls,
        }
    }

    /// Azure answered and the create goes on: the progress says in which state.
    async fn still_creating(&mut self) -> Result<(), Stop> {
        self.azure_answered();
        let state = self
            .progress
            .cluster_state
            .clone()
            .unwrap_or_else(|| "Accepted".into());
        let name = &self.request.cluster_name;
        let message = format!("Azure is creating {name}: {state}");
        self.publish(STEPS[1], message).await
    }

    pub(super) fn azure_answered(&mut self) {
        self.slow_since = None;
        self.slow_tries = 0;
    }

    /// Azure did not answer usefully: say so, wait (its `Retry-After`, else a growing back-off,
    /// capped), and give up only past the horizon of Azure's own operation.
    pub(super) async fn azure_is_slow(&mut self, err: &ArmError) -> Result<(), Stop> {
        let since = *self.slow_since.get_or_insert_with(Instant::now);
        self.slow_tries += 1;
        if self.followed_ms() > self.ctx.config.follow_horizon.as_millis() {
            let name = &self.request.cluster_name;
            return Err(Stop::Failed(ArmFailure::new(
                Refusal::ArmUnreachable.code(),
                format!(
                    "Azure has not answered about {name} for {} (last: {err}). The cluster may \
                     still be coming up: check it in the Azure portal before creating it again.",
                    human_duration(since.elapsed())
                ),
            )));
        }
        let backoff = self
            .ctx
            .config
            .poll_min
            .saturating_mul(2u32.saturating_pow(self.slow_tries.min(8)));
        let wait = crate::azure::retry::jittered_within(
            err.retry_after().unwrap_or(backoff),
            self.ctx.config.poll_min,
            self.ctx.config.slow_wait_max,
        );
        tracing::info!(job_id = %self.job.id, error = %err, wait_ms = wait.as_millis() as u64, "Azure is slow to answer; still following");
        let name = self.request.cluster_name.clone();
        self.publish(
            STEPS[1],
            format!("Azure is slow to answer; still following {name}"),
        )
        .await?;
        self.pause(wait).await
    }

    /// Follows the create to Azure's end. Where enough of this server's creates follow in the
    /// resource group, by its cluster list, read once a poll for all of them
    /// ([`answers::from_list`] says what it means); otherwise, or when the list cannot tell, by
    /// the operation when its URL is known, the cluster's `provisioningState` otherwise (and now
    /// and then besides, for the progress) — what such a poll means is
    /// [`answers::after_poll`]'s to say.
    pub(super) async fn follow(&mut self) -> Result<(), Stop> {
        let name = self.request.cluster_name.clone();
        let mut group = self
            .ctx
            .lists
            .join(&self.request.subscription_id, &self.request.resource_group);
        loop {
            self.check()?;
            if group.by_list() {
                let snapshot = self.azure(group.next()).await?;
                let found = snapshot.cluster(&name);
                let listed = match found {
                    None => Listed::NotRead,
                    Some(None) => Listed::Missing,
                    Some(Some((cluster, _))) => Listed::Found(cluster),
                };
                let past_grace =
                    self.followed_ms() > self.ctx.config.confirm_absent_for.as_millis();
                let says = answers::from_list(&self.known(&name), listed, past_grace);
                if let Some(Some((cluster, ids))) = found {
                    if says == ListSays::NotOurs {
                        return Err(Stop::Failed(self.cluster_exists(cluster)));
                    }
                    self.seen_by_read = true;
                    self.observe(cluster, Some(ids));
                }
                match says {
                    ListSays::Succeeded => return Ok(()),
                    ListSays::Poll => {
                        self.still_creating().await?;
                        continue;
                    }
                    // Asked below, as a job followed alone is.
                    ListSays::AskAzure | ListSays::NotOurs => {}
                }
            }
            let mut wait = self.ctx.config.poll_default;
            let operation = match self.progress.operation_url.clone() {
                Some(url) => {
                    let (reads, arm) = (self.ctx.reads.clone(), self.arm());
                    let poll = async move {
                        reads.spend().await;
                        crate::metrics::follow_read("operation_status");
                        arm.operation_status(&url).await
                    };
                    match self.azure(poll).await? {
                        Ok(poll) => {
                            if let Some(after) = poll.retry_after {
                                wait = after;
                            }
                            let ids = poll.azure.clone();
                            match poll.status.status {
                                OperationState::Succeeded => OperationPoll::Succeeded,
                                OperationState::Failed | OperationState::Canceled => {
                                    match poll.status.into_result() {
                                        Ok(_) => OperationPoll::Succeeded,
                                        Err(e) => OperationPoll::Ended(ArmFailure {
                                            azure: Box::new(ids),
                                            ..ArmFailure::from(e)
                                        }),
                                    }
                                }
                                _ => OperationPoll::Running,
                            }
                        }
                        Err(e) if e.is_not_found() => OperationPoll::Gone,
                        Err(e) => OperationPoll::Unanswered(e),
                    }
                }
                None => OperationPoll::NotAsked,
            };
            // The operation record is gone (expired): the cluster tells.
            if matches!(operation, OperationPoll::Gone) {
                self.progress.operation_url = None;
            }
            self.polls += 1;
            let known = self.known(&name);
            let mut read_ids = None;
            let cluster = if answers::read_cluster_now(&known, &operation, CLUSTER_READ_EVERY) {
                let (reads, arm, cluster) = (self.ctx.reads.clone(), self.arm(), self.cluster());
                let read = async move {
                    reads.spend().await;
                    crate::metrics::follow_read("cluster");
                    arm.get_cluster_read(&cluster).await
                };
                match self.azure(read).await? {
                    Ok((Some(c), ids)) => {
                        read_ids = Some(ids);
                        ClusterRead::Found(Box::new(c))
                    }
                    Ok((None, _)) => ClusterRead::Absent,
                    Err(e) => ClusterRead::Unanswered(e),
                }
            } else {
                ClusterRead::NotRead
            };
            let decision = answers::after_poll(&known, operation, cluster);
            if let Some(c) = &decision.observed {
                self.seen_by_read = true;
                self.observe(c, read_ids.as_ref());
            }
            if decision.forget_operation {
                self.progress.operation_url = None;
            }
            match decision.next {
                Next::Ended(end) => return end.map_err(Stop::Failed),
                Next::NotOurs(c) => return Err(Stop::Failed(self.cluster_exists(&c))),
                Next::CreateAgain => {
                    drop(group);
                    return Box::pin(self.create_cluster()).await;
                }
                Next::ConfirmAbsent => {
                    if self.confirm_absent().await? {
                        self.ctx.cache.forget_cluster(
                            &self.request.subscription_id,
                            &self.request.resource_group,
                            &name,
                        );
                        return Err(Stop::Failed(ArmFailure::new(
                            "ClusterDeleted",
                            format!("{name} was deleted in Azure while it was being created."),
                        )));
                    }
                    continue;
                }
                Next::Slow(e) => {
                    self.azure_is_slow(&e).await?;
                    continue;
                }
                Next::Poll => {}
            }
            self.still_creating().await?;
            let wait = crate::azure::retry::jittered_within(
                wait,
                self.ctx.config.poll_min,
                self.ctx.config.poll_max,
            );
            self.pause(wait).await?;
        }
    }
}

/// `45 s`, `12 min`, `3 h 05 min`.
fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}
