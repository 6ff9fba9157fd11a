//! One provision run: the steps of a cluster create against Azure Resource Manager, from a claimed
//! job row to its end, each written to the row as it happens. The runner (`runner.rs`) claims,
//! leases and supervises runs; this module is what a run does in Azure: `create.rs` (resource
//! group, the read before the PUT, the PUT), `follow.rs` (polls to Azure's end), `ending.rs`
//! (the end written, a Stop carried to Azure). What each answer of Azure means for the next
//! step is decided by the pure functions of `answers.rs`; the waiting, reading and writing
//! around them stay here.
//!
//! The rules it keeps (docs/job-runner.md):
//! - **Create-only.** The PUT asks Azure to refuse an existing cluster (`If-None-Match: *`);
//!   a cluster that exists and does not carry this job's tag (`aks-dashboard-job: <job id>`) is
//!   never touched. A resumed job, and every PUT after the first, reads the cluster first.
//! - **At most one PUT** per job, unless the cluster is confirmed absent after a bounded wait
//!   (ARM may not show a cluster it accepted for a moment). The time of the PUT is written to
//!   the row before the PUT leaves, so a Stop after any crash still reaches Azure.
//! - **Many creates in one group share one read.** Where several of the server's creates follow
//!   in one resource group, each poll reads the group's cluster list once for all of them
//!   (`jobs/group_list.rs`); a create asks Azure alone only what the list cannot tell.
//! - **Following never fails on transient errors.** Throttling, server errors, time-outs,
//!   unreadable answers: the run waits (honouring `Retry-After`, capped) and asks again, for as
//!   long as Azure's own operation may last; only Azure's explicit end ends the job.

mod answers;
mod create;
mod ending;
mod follow;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::azure::{ArmCache, ArmClient, ClusterRef, cluster_portal_url};
use crate::clock::now_ms;
use crate::domain::history::AzureIds;
use crate::domain::{Progress, ProvisionRequest, STEPS};
use crate::events::DashboardEvent;
use crate::events::bus::EventBus;
use crate::jobs::config::RunConfig;
use crate::jobs::group_list::GroupLists;
use crate::jobs::read_budget::ReadBudget;
use crate::storage::HistoryEvent;
use crate::storage::jobs::{JobLease, JobRecord, JobStateRepository, JobUpdate};

use answers::ArmFailure;

/// What a run needs from its server.
#[derive(Clone)]
pub struct RunContext {
    pub repo: JobStateRepository,
    pub arm: ArmClient,
    pub cache: ArmCache,
    pub events: EventBus,
    pub config: Arc<RunConfig>,
    /// The reads this server may spend following operations, shared by its runs.
    pub reads: Arc<ReadBudget>,
    /// The resource groups' cluster lists, read once a poll for all the runs there.
    pub lists: Arc<GroupLists>,
}

/// What the runner can tell a run while it waits: stop (the owner pressed Stop), the lease is
/// gone, the server is shutting down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    pub cancel: bool,
    pub lease_lost: bool,
    pub shutting_down: bool,
}

/// How a run ended, for the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// The job's end is recorded.
    Finished,
    /// Interrupted (server stopping, storage trouble): hand the job back for another run.
    HandBack,
    /// Another runner holds the job now; nothing more may be written.
    LeaseLost,
}

/// Why the steps stopped before success.
enum Stop {
    Failed(ArmFailure),
    Cancel,
    Interrupted,
    LeaseLost,
    /// Azure finished the create while Stop was on its way: the job succeeded.
    AlreadyCreated,
}

/// One run of one claimed job.
pub struct ProvisionRun {
    ctx: RunContext,
    lease: JobLease,
    signals: watch::Receiver<Signals>,
    job: JobRecord,
    request: ProvisionRequest,
    progress: Progress,
    /// What was last written, to write only what changed.
    written: Option<Progress>,
    /// A read of the cluster has shown it during this job (not only the PUT's answer: ARM
    /// may not show at once what it accepted).
    seen_by_read: bool,
    /// Since when Azure has been failing to answer, and how often in a row.
    slow_since: Option<Instant>,
    slow_tries: u32,
    /// PUTs this run sent.
    puts: u32,
    /// Polls of the operation so far.
    polls: u32,
    /// History entries that go with the next write of the row (same transaction).
    pending: Vec<HistoryEvent>,
}

/// The most PUTs one run sends (each only after the cluster was confirmed absent).
const MAX_PUTS: u32 = 3;
/// While an operation runs, the cluster is read at every this many polls.
const CLUSTER_READ_EVERY: u32 = 4;

impl ProvisionRun {
    pub fn new(
        ctx: RunContext,
        lease: JobLease,
        signals: watch::Receiver<Signals>,
        job: JobRecord,
    ) -> Self {
        let progress = job.progress.clone().unwrap_or_default();
        Self {
            ctx,
            lease,
            signals,
            request: job.payload.clone(),
            written: Some(progress.clone()),
            seen_by_read: progress.cluster_state.is_some(),
            progress,
            job,
            slow_since: None,
            slow_tries: 0,
            puts: 0,
            polls: 0,
            pending: Vec::new(),
        }
    }

    /// Azure's ids for an entry of this job: the create's correlation id (every Activity Log
    /// entry of the create carries it) and, when given, the request id of the call.
    fn azure_ids(&self, call: Option<&AzureIds>) -> AzureIds {
        AzureIds {
            correlation_id: call
                .and_then(|c| c.correlation_id.clone())
                .or_else(|| self.progress.azure_correlation_id.clone()),
            request_id: call.and_then(|c| c.request_id.clone()),
        }
    }

    fn cluster(&self) -> ClusterRef {
        ClusterRef::new(
            &self.request.subscription_id,
            &self.request.resource_group,
            &self.request.cluster_name,
        )
    }

    fn portal_url(&self) -> String {
        cluster_portal_url(
            &self.ctx.config.portal,
            &self.ctx.config.tenant_id,
            &self.cluster(),
        )
    }

    /// The client for following: without its own retries (the run decides when to ask again).
    fn arm(&self) -> ArmClient {
        self.ctx.arm.single_attempt()
    }

    /// The test hook, if it is set for this run's cluster at this point.
    fn test_panic(&self, after_put: bool) {
        if let Some(hook) = &self.ctx.config.test_panic
            && hook.cluster == self.request.cluster_name
            && hook.after_put == after_put
        {
            panic!(
                "test hook: a run for {} panics{}",
                hook.cluster,
                if after_put { " after its PUT" } else { "" }
            );
        }
    }

    pub async fn execute(mut self) -> RunEnd {
        self.test_panic(false);
        let result = if self.job.cancel_requested {
            Err(Stop::Cancel)
        } else {
            self.provision().await
        };
        let recorded = match result {
            Ok(()) | Err(Stop::AlreadyCreated) => self.finish_succeeded().await,
            Err(Stop::Failed(failure)) => self.finish_failed(failure).await,
            Err(Stop::Cancel) => match self.finish_cancelled().await {
                Err(Stop::AlreadyCreated) => self.finish_succeeded().await,
                Err(Stop::Interrupted) => return RunEnd::HandBack,
                Err(Stop::LeaseLost) => return RunEnd::LeaseLost,
                Ok(recorded) => recorded,
                Err(_) => return RunEnd::HandBack,
            },
            Err(Stop::Interrupted) => return RunEnd::HandBack,
            Err(Stop::LeaseLost) => return RunEnd::LeaseLost,
        };
        match recorded {
            Ok(true) => RunEnd::Finished,
            Ok(false) => RunEnd::LeaseLost,
            Err(err) => {
                tracing::warn!(job_id = %self.job.id, error = %err, "could not record the job's end; handing it back");
                RunEnd::HandBack
            }
        }
    }

    // ----- waiting, and hearing the runner -----

    /// Stops the steps when the runner says so (Stop, lost lease, shutdown).
    fn check(&self) -> Result<(), Stop> {
        let s = *self.signals.borrow();
        if s.lease_lost {
            Err(Stop::LeaseLost)
        } else if s.shutting_down {
            Err(Stop::Interrupted)
        } else if s.cancel {
            Err(Stop::Cancel)
        } else {
            Ok(())
        }
    }

    /// Waits `d`, or less when the runner has something to say.
    async fn pause(&mut self, d: Duration) -> Result<(), Stop> {
        self.azure(tokio::time::sleep(d)).await
    }

    /// Awaits `call` (an Azure call, a pause), abandoning it as soon as the runner says stop.
    async fn azure<T>(&self, call: impl std::future::Future<Output = T>) -> Result<T, Stop> {
        self.check()?;
        let mut signals = self.signals.clone();
        let mut call = std::pin::pin!(call);
        loop {
            tokio::select! {
                result = &mut call => return Ok(result),
                changed = signals.changed() => {
                    self.check()?;
                    if changed.is_err() {
                        // The runner is gone: nobody will signal any more.
                        return Ok(call.await);
                    }
                }
            }
        }
    }

    // ----- writing the row -----

    /// Writes the progress when it changed, and tells the owner's pages.
    async fn publish(&mut self, phase: &str, message: String) -> Result<(), Stop> {
        let step = STEPS
            .iter()
            .position(|s| *s == phase)
            .map_or(1, |i| i as u32 + 1);
        self.progress.phase = phase.to_owned();
        self.progress.step = step;
        self.progress.total_steps = STEPS.len() as u32;
        self.progress.message = message;
        if let Some(at) = self.progress.arm_started_at {
            self.progress.arm_elapsed_seconds =
                Some(((now_ms() - at).max(0) as f64 / 100.0).round() / 10.0);
        }
        let unchanged = self.written.as_ref().is_some_and(|w| {
            Progress {
                updated_at: 0,
                arm_elapsed_seconds: None,
                ..w.clone()
            } == Progress {
                updated_at: 0,
                arm_elapsed_seconds: None,
                ..self.progress.clone()
            }
        });
        if unchanged && self.pending.is_empty() {
            return self.check();
        }
        self.progress.updated_at = now_ms();
        let update = JobUpdate {
            phase: Some(phase.to_owned()),
            step: Some(step),
            total_steps: Some(STEPS.len() as u32),
            progress: Some(self.progress.clone()),
            ..JobUpdate::default()
        };
        self.write(update).await?;
        self.written = Some(self.progress.clone());
        self.ctx.events.to_user(
            &self.job.owner_id,
            DashboardEvent::TaskProgress {
                task_id: self.job.task_id.clone(),
            },
        );
        self.check()
    }

    /// Puts the history entries waiting for the next write in front of `update`'s own: what
    /// happened first is written first.
    fn take_pending(&mut self, update: &mut JobUpdate) {
        let own = std::mem::replace(&mut update.history, std::mem::take(&mut self.pending));
        update.history.extend(own);
    }

    /// Writes `update` under this run's claim, with the history entries waiting for it.
    async fn write(&mut self, mut update: JobUpdate) -> Result<(), Stop> {
        self.take_pending(&mut update);
        match self.ctx.repo.update_as_holder(&self.lease, &update).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(Stop::LeaseLost),
            Err(err) => {
                tracing::warn!(job_id = %self.job.id, error = %err, "cannot write the job row");
                Err(Stop::Interrupted)
            }
        }
    }
}
