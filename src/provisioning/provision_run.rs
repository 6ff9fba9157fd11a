//! One provision run: the steps of a cluster create against Azure Resource Manager, from a claimed
//! job row to its end, each written to the row as it happens. The runner (`runner.rs`) claims,
//! leases and supervises runs; this file is what a run does in Azure.
//!
//! The rules it keeps (docs/job-runner.md):
//! - **Create-only.** Before the PUT the cluster is read: one that exists and does not carry this
//!   job's tag (`aks-dashboard-job: <job id>`) is never touched; the PUT itself asks Azure to
//!   refuse an existing cluster (`If-None-Match: *`).
//! - **At most one PUT** per job, unless the cluster is confirmed absent after a bounded wait
//!   (ARM may not show a cluster it accepted for a moment). The time of the PUT is written to
//!   the row before the PUT leaves, so a Stop after any crash still reaches Azure.
//! - **Following never fails on transient errors.** Throttling, server errors, time-outs,
//!   unreadable answers: the run waits (honouring `Retry-After`, capped) and asks again, for as
//!   long as Azure's own operation may last; only Azure's explicit end ends the job.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::azure::{
    AgentPoolMode, AgentPoolProfile, ArmCache, ArmClient, ArmError, ClusterRef, ManagedCluster,
    OperationState, ProvisioningState, cluster_portal_url,
};
use crate::events::DashboardEvent;
use crate::events::bus::EventBus;
use crate::history::{AzureIds, HistoryKind, Outcome};
use crate::provisioning::classify::{ArmErrorInfo, ClassifyContext, classify_arm_error};
use crate::provisioning::model::{
    JobStatus, PartialCluster, PoolProgress, Progress, ProvisionRequest, STEPS,
};
use crate::provisioning::poll_budget::PollBudget;
use crate::storage::HistoryEvent;
use crate::storage::job_state::{JobLease, JobRecord, JobStateRepository, JobUpdate, now_ms};

pub use crate::provisioning::model::{SYSTEM_POOL, USER_POOL};
/// The ARM tag that marks a cluster as created by a job of this dashboard.
pub const JOB_TAG: &str = "aks-dashboard-job";

/// How runs talk to Azure and how patient they are.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Tenant for portal links.
    pub tenant_id: String,
    /// The Azure portal of the configured cloud, for links.
    pub portal: String,
    /// Bounds of the wait between two polls of a running operation (`Retry-After` is honoured
    /// within them); the wait when Azure gives none.
    pub poll_min: Duration,
    pub poll_max: Duration,
    pub poll_default: Duration,
    /// The longest wait between two tries while Azure is failing to answer.
    pub slow_wait_max: Duration,
    /// How long a create is followed through Azure's failures to answer, from the PUT; AKS ends
    /// its own operations well before.
    pub follow_horizon: Duration,
    /// How long a cluster that a lost PUT may have created is looked for before it is taken
    /// to be absent (ARM can take a moment to show what it accepted).
    pub confirm_absent_for: Duration,
    /// A test hook: where a run for a given cluster panics.
    pub test_panic: Option<TestPanic>,
    /// Where a missing resource group may be created (a `subscription/*` scope for the job's
    /// owner's role); `None`: anywhere (tests of the runner alone).
    pub scopes: Option<std::sync::Arc<crate::identity::AllowedScopes>>,
}

/// A test hook: a run of a job for `cluster` panics at its start, or right after Azure accepted
/// its PUT (before the answer is written down: a crash in the worst place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPanic {
    pub cluster: String,
    pub after_put: bool,
}

impl TestPanic {
    /// `NAME` (panic at the start) or `NAME@after_put`.
    pub fn parse(value: &str) -> Self {
        match value.split_once('@') {
            Some((cluster, "after_put")) => Self {
                cluster: cluster.to_owned(),
                after_put: true,
            },
            _ => Self {
                cluster: value.to_owned(),
                after_put: false,
            },
        }
    }
}

impl RunConfig {
    pub fn new(tenant_id: &str) -> Self {
        Self {
            tenant_id: tenant_id.to_owned(),
            portal: crate::provisioning::classify::PUBLIC_PORTAL.to_owned(),
            poll_min: Duration::from_secs(2),
            poll_max: Duration::from_secs(30),
            poll_default: Duration::from_secs(5),
            slow_wait_max: Duration::from_secs(120),
            follow_horizon: Duration::from_secs(3 * 3600),
            confirm_absent_for: Duration::from_secs(30),
            test_panic: None,
            scopes: None,
        }
    }
}

/// What a run needs from its server.
#[derive(Clone)]
pub struct RunContext {
    pub repo: JobStateRepository,
    pub arm: ArmClient,
    pub cache: ArmCache,
    pub events: EventBus,
    pub config: Arc<RunConfig>,
    /// The reads this server may spend following operations, shared by its runs.
    pub reads: Arc<PollBudget>,
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

/// An Azure error as the job row records it.
struct ArmFailure {
    info: ArmErrorInfo,
    raw: Option<String>,
    /// Azure's ids of the call that answered with the failure (boxed: `Stop` stays small).
    azure: Box<AzureIds>,
}

impl ArmFailure {
    fn new(code: &str, message: String) -> Self {
        Self {
            info: ArmErrorInfo {
                status: None,
                code: code.to_owned(),
                message,
                details: vec![],
            },
            raw: None,
            azure: Box::default(),
        }
    }
}

impl From<ArmError> for ArmFailure {
    fn from(err: ArmError) -> Self {
        let details = err
            .raw_body()
            .and_then(crate::provisioning::classify::parse_arm_error)
            .map(|parsed| parsed.details)
            .unwrap_or_default();
        let (code, message) = match (err.code(), err.detail()) {
            (Some(code), Some(detail)) => (code.to_owned(), detail.message.clone()),
            (Some(code), None) => (code.to_owned(), err.message()),
            _ => (fallback_code(&err).to_owned(), err.to_string()),
        };
        ArmFailure {
            info: ArmErrorInfo {
                status: err.status(),
                code,
                message,
                details,
            },
            raw: err.raw_body().map(str::to_owned),
            azure: Box::new(err.azure_ids()),
        }
    }
}

fn fallback_code(err: &ArmError) -> &'static str {
    match err {
        ArmError::Network(_) => "NetworkError",
        ArmError::Timeout(_) => "Timeout",
        ArmError::Credential(_) => "CredentialUnavailable",
        _ => "UnexpectedResponse",
    }
}

/// Whether an error while following an accepted operation may go away by itself: anything but an
/// answer that says the request itself is wrong. Azure's operation goes on whatever we hear.
fn transient(err: &ArmError) -> bool {
    match err {
        ArmError::Response { status, .. } => {
            matches!(*status, 401 | 403 | 408 | 409 | 429) || *status >= 500
        }
        ArmError::Network(_)
        | ArmError::Timeout(_)
        | ArmError::Credential(_)
        | ArmError::UnexpectedResponse { .. } => true,
        ArmError::OperationFailed { .. } | ArmError::InvalidRequest(_) => false,
    }
}

/// A `409` that names another operation running on the cluster: it ends, and then the create
/// can be sent. Any other `409` (a read-only subscription, a resource group being deleted, …)
/// is a refusal.
fn another_operation_in_progress(err: &ArmError) -> bool {
    if err.status() != Some(409) {
        return false;
    }
    let message = err.message().to_ascii_lowercase();
    match err.code() {
        Some("AnotherOperationInProgress") => true,
        Some("OperationNotAllowed" | "Conflict") => {
            message.contains("in progress") || message.contains("another operation")
        }
        _ => false,
    }
}

/// A node pool as the product shows it, from Azure's agent pool profile.
pub fn pool_progress(p: &AgentPoolProfile) -> PoolProgress {
    PoolProgress {
        name: p.name.clone(),
        vm_size: p.vm_size.clone(),
        count: p.count,
        mode: p.mode.as_str().to_owned(),
        provisioning_state: p.provisioning_state.as_ref().map(|s| s.as_str().to_owned()),
    }
}

impl JobRecord {
    /// The live progress stored on the row.
    pub fn progress_view(&self) -> Option<Progress> {
        if self.progress.as_object().is_none_or(|o| o.is_empty()) {
            return None;
        }
        serde_json::from_value(self.progress.clone()).ok()
    }

    pub fn partial_cluster_view(&self) -> Option<PartialCluster> {
        self.partial_cluster
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
    }
}

/// Whether `cluster` carries the tag of job `job_id`.
pub fn created_by_job(cluster: &ManagedCluster, job_id: &str) -> bool {
    cluster
        .tags
        .get(JOB_TAG)
        .is_some_and(|tag| tag.eq_ignore_ascii_case(job_id))
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
        let progress = job.progress_view().unwrap_or_default();
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
            progress: serde_json::to_value(&self.progress).ok(),
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

    // ----- the steps -----

    async fn provision(&mut self) -> Result<(), Stop> {
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
        match self
            .azure(self.ctx.arm.get_resource_group(&sub, &rg))
            .await?
        {
            Ok(Some(_)) => Ok(()),
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
                self.azure(self.ctx.arm.create_resource_group(&sub, &rg, &region))
                    .await?
                    .map(|_| ())
                    .map_err(|e| Stop::Failed(e.into()))
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
    async fn read_cluster(&mut self) -> Result<Option<ManagedCluster>, Stop> {
        loop {
            let following = self.job.arm_put_at.is_some();
            let arm = if following {
                self.arm()
            } else {
                self.ctx.arm.clone()
            };
            match self.azure(arm.get_cluster(&self.cluster())).await? {
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
    /// is (a resumed job) is followed; otherwise the create is sent.
    async fn create_cluster(&mut self) -> Result<(), Stop> {
        let name = self.request.cluster_name.clone();
        let resuming = self.job.arm_put_at.is_some();
        loop {
            let message = if resuming {
                format!("Resuming: reading {name} from Azure")
            } else {
                format!("Checking that no cluster named {name} exists yet")
            };
            self.publish(STEPS[1], message).await?;
            match self.read_cluster().await? {
                Some(existing) if created_by_job(&existing, &self.job.id) => {
                    self.seen_by_read = true;
                    self.observe(&existing);
                    return self.follow().await;
                }
                Some(existing) => return Err(Stop::Failed(self.cluster_exists(&existing))),
                None if self.job.arm_put_at.is_some() && !self.confirm_absent().await? => {
                    // It showed up: read it again above.
                    continue;
                }
                None => {}
            }
            if self.puts >= MAX_PUTS {
                return Err(Stop::Failed(ArmFailure::new(
                    "arm_unreachable",
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
    async fn confirm_absent(&mut self) -> Result<bool, Stop> {
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
            if self.read_cluster().await?.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn cluster_exists(&self, existing: &ManagedCluster) -> ArmFailure {
        let state = existing
            .provisioning_state()
            .map_or("unknown state", |s| s.as_str());
        let mut failure = ArmFailure::new(
            "cluster_exists",
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
                    self.observe(created);
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
            // Someone's cluster appeared between the read and the PUT (412), or another
            // operation runs on it (a 409 that says so): the next read tells whose.
            Err(e) if e.status() == Some(412) || another_operation_in_progress(&e) => {
                Ok(Sent::Conflict)
            }
            // Azure refused the create (a 4xx, a 401 even with a fresh token): that is its
            // answer, and sending it again would get the same one.
            Err(e) if e.is_refusal() => Err(Stop::Failed(e.into())),
            // Throttled: Azure did not take the request; ask again when it says.
            Err(e) if e.status() == Some(429) => {
                self.azure_is_slow(&e).await?;
                Ok(Sent::Unknown)
            }
            // The answer was lost (or Azure failed midway): the cluster may exist or not.
            Err(e) if transient(&e) => {
                tracing::warn!(job_id = %self.job.id, error = %e, "the answer to the create was lost; reading the cluster");
                self.azure_is_slow(&e).await?;
                Ok(Sent::Unknown)
            }
            Err(e) => Err(Stop::Failed(e.into())),
        }
    }

    /// Records what Azure shows of the cluster: its state and pools.
    fn observe(&mut self, cluster: &ManagedCluster) {
        if let Some(state) = cluster.provisioning_state() {
            let to = state.as_str().to_owned();
            if self.progress.cluster_state.as_deref() != Some(to.as_str()) {
                self.pending.push(
                    HistoryEvent::system(HistoryKind::StateChanged, Outcome::Ok)
                        .details(serde_json::json!({
                            "from": self.progress.cluster_state,
                            "to": to,
                        }))
                        .azure(self.azure_ids(None)),
                );
            }
            self.progress.cluster_state = Some(to);
        }
        self.progress.pools = cluster
            .properties
            .agent_pool_profiles
            .iter()
            .map(pool_progress)
            .collect();
        self.ctx.cache.observe_cluster(
            &self.request.subscription_id,
            &self.request.resource_group,
            cluster,
        );
    }

    fn azure_answered(&mut self) {
        self.slow_since = None;
        self.slow_tries = 0;
    }

    /// Azure did not answer usefully: say so, wait (its `Retry-After`, else a growing back-off,
    /// capped), and give up only past the horizon of Azure's own operation.
    async fn azure_is_slow(&mut self, err: &ArmError) -> Result<(), Stop> {
        let since = *self.slow_since.get_or_insert_with(Instant::now);
        self.slow_tries += 1;
        let started = self
            .progress
            .arm_started_at
            .or(self.job.arm_put_at)
            .unwrap_or_else(now_ms);
        let followed_ms = (now_ms() - started).max(0) as u128;
        if followed_ms > self.ctx.config.follow_horizon.as_millis() {
            let name = &self.request.cluster_name;
            return Err(Stop::Failed(ArmFailure::new(
                "arm_unreachable",
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
        let wait = crate::azure::arm_client::jittered_within(
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

    /// Follows the create to Azure's end: the operation when its URL is known, the cluster's
    /// `provisioningState` otherwise, both read at every poll.
    async fn follow(&mut self) -> Result<(), Stop> {
        let name = self.request.cluster_name.clone();
        loop {
            self.check()?;
            let mut wait = self.ctx.config.poll_default;
            let mut operation_ended: Option<Result<(), ArmFailure>> = None;
            let mut slow: Option<ArmError> = None;
            if let Some(url) = self.progress.operation_url.clone() {
                let (reads, arm) = (self.ctx.reads.clone(), self.arm());
                let poll = async move {
                    reads.spend().await;
                    arm.operation_status(&url).await
                };
                match self.azure(poll).await? {
                    Ok(poll) => {
                        if let Some(after) = poll.retry_after {
                            wait = after;
                        }
                        let poll_ids = poll.azure.clone();
                        match poll.status.status {
                            OperationState::Succeeded => operation_ended = Some(Ok(())),
                            OperationState::Failed | OperationState::Canceled => {
                                operation_ended =
                                    Some(poll.status.into_result().map(|_| ()).map_err(|e| {
                                        ArmFailure {
                                            azure: Box::new(poll_ids),
                                            ..ArmFailure::from(e)
                                        }
                                    }))
                            }
                            _ => {}
                        }
                    }
                    // The operation record is gone (expired): the cluster tells.
                    Err(e) if e.is_not_found() => self.progress.operation_url = None,
                    Err(e) => slow = Some(e),
                }
            }
            // While the operation runs, its status is enough; the cluster itself (its state and
            // pools, for the progress) is read now and then, when the operation ended, and when
            // there is no operation to ask.
            self.polls += 1;
            let read_cluster = self.progress.operation_url.is_none()
                || operation_ended.is_some()
                || !self.seen_by_read
                || self.polls.is_multiple_of(CLUSTER_READ_EVERY);
            let cluster = match read_cluster {
                true => {
                    let (reads, arm, cluster) =
                        (self.ctx.reads.clone(), self.arm(), self.cluster());
                    let read = async move {
                        reads.spend().await;
                        arm.get_cluster(&cluster).await
                    };
                    Some(self.azure(read).await?)
                }
                false => None,
            };
            match cluster {
                None => {}
                Some(Ok(Some(c))) if !created_by_job(&c, &self.job.id) => {
                    return Err(Stop::Failed(self.cluster_exists(&c)));
                }
                Some(Ok(Some(c))) => {
                    self.seen_by_read = true;
                    self.observe(&c);
                    let state = c.provisioning_state().cloned();
                    match (&operation_ended, state) {
                        // The operation says done: the cluster must say so too.
                        (Some(Ok(())), Some(ProvisioningState::Succeeded)) => {}
                        (Some(Ok(())), Some(ProvisioningState::Failed)) => {
                            operation_ended = Some(Err(self.ended_failed(&c)));
                        }
                        (Some(Ok(())), _) => {
                            // Not yet visible as done: follow the cluster from here.
                            operation_ended = None;
                            self.progress.operation_url = None;
                        }
                        (None, state) if self.progress.operation_url.is_none() => {
                            operation_ended = match state {
                                Some(ProvisioningState::Succeeded) => Some(Ok(())),
                                Some(ProvisioningState::Failed) => Some(Err(self.ended_failed(&c))),
                                Some(ProvisioningState::Canceled) => Some(Err(ArmFailure::new(
                                    "Canceled",
                                    format!("The create of {name} was canceled in Azure."),
                                ))),
                                _ => None,
                            };
                        }
                        _ => {}
                    }
                }
                Some(Ok(None)) if self.progress.operation_url.is_none() => {
                    if !self.seen_by_read {
                        // No operation to follow and no cluster yet: a PUT whose answer was
                        // lost may not have created it. The create step finds out (looking
                        // for a while before it sends, at most, one more PUT).
                        return Box::pin(self.create_cluster()).await;
                    }
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
                // Accepted, but not visible yet (ARM read lag): the operation tells.
                Some(Ok(None)) => {}
                Some(Err(e)) => slow = slow.or(Some(e)),
            }
            if let Some(end) = operation_ended {
                return end.map_err(Stop::Failed);
            }
            if let Some(e) = slow {
                self.azure_is_slow(&e).await?;
                continue;
            }
            self.azure_answered();
            let state = self
                .progress
                .cluster_state
                .clone()
                .unwrap_or_else(|| "Accepted".into());
            self.publish(STEPS[1], format!("Azure is creating {name}: {state}"))
                .await?;
            let wait = crate::azure::arm_client::jittered_within(
                wait,
                self.ctx.config.poll_min,
                self.ctx.config.poll_max,
            );
            self.pause(wait).await?;
        }
    }

    fn ended_failed(&self, cluster: &ManagedCluster) -> ArmFailure {
        ArmFailure {
            info: ArmErrorInfo {
                status: None,
                code: "ProvisioningFailed".into(),
                message: format!(
                    "The cluster {} ended in provisioning state Failed.",
                    self.request.cluster_name
                ),
                details: vec![],
            },
            raw: serde_json::to_string(cluster).ok(),
            azure: Box::default(),
        }
    }

    // ----- the end -----

    fn partial_cluster(&self, abort_requested: bool) -> Option<PartialCluster> {
        self.progress
            .cluster_state
            .as_ref()
            .map(|state| PartialCluster {
                resource_id: self.cluster().resource_id(),
                portal_url: self.portal_url(),
                last_state: Some(state.clone()),
                abort_requested,
            })
    }

    /// Writes the job's end (only under this run's claim) and tells the owner's pages.
    /// `Ok(false)`: another runner holds the job.
    async fn finish(
        &mut self,
        mut update: JobUpdate,
    ) -> Result<bool, crate::storage::StorageError> {
        let status = update.status;
        self.take_pending(&mut update);
        let ended = self
            .ctx
            .repo
            .update_as_holder(&self.lease, &update)
            .await?
            .is_some();
        if let (true, Some(status)) = (ended, status) {
            let took = now_ms().saturating_sub(self.job.created_at).max(0);
            crate::metrics::create_ended(
                status.as_str(),
                update.error_category.as_deref(),
                update.error_code.as_deref(),
                std::time::Duration::from_millis(u64::try_from(took).unwrap_or(0)),
            );
            let owner = &self.job.owner_id;
            self.ctx.events.to_user(
                owner,
                DashboardEvent::TaskEnded {
                    task_id: self.job.task_id.clone(),
                    status,
                },
            );
            if status != JobStatus::Succeeded {
                self.ctx.events.to_user(
                    owner,
                    DashboardEvent::FailureRecorded {
                        job_id: self.job.id.clone(),
                    },
                );
            }
        }
        Ok(ended)
    }

    async fn finish_succeeded(&mut self) -> Result<bool, crate::storage::StorageError> {
        self.progress.phase = STEPS[2].into();
        self.progress.step = 3;
        self.progress.total_steps = 3;
        self.progress.message = format!("{} is ready", self.request.cluster_name);
        self.progress.updated_at = now_ms();
        tracing::info!(job_id = %self.job.id, cluster = %self.request.cluster_name, "provision succeeded");
        let ended = HistoryEvent::system(HistoryKind::Succeeded, Outcome::Succeeded)
            .azure(self.azure_ids(None));
        self.finish(JobUpdate {
            history: vec![ended],
            status: Some(JobStatus::Succeeded),
            phase: Some(STEPS[2].into()),
            step: Some(3),
            total_steps: Some(3),
            progress: serde_json::to_value(&self.progress).ok(),
            ..JobUpdate::default()
        })
        .await
    }

    async fn finish_failed(
        &mut self,
        failure: ArmFailure,
    ) -> Result<bool, crate::storage::StorageError> {
        let ctx = ClassifyContext::for_request(&self.request).with_portal(&self.ctx.config.portal);
        let class = classify_arm_error(&failure.info, &ctx);
        tracing::info!(job_id = %self.job.id, code = %failure.info.code, category = class.category.as_str(), "provision failed");
        self.progress.message = class.headline.clone();
        self.progress.updated_at = now_ms();
        let raw = failure
            .raw
            .or_else(|| serde_json::to_string(&failure.info).ok());
        // A cluster that is not this job's is no partial cluster of it.
        let partial = if failure.info.code == "cluster_exists" {
            None
        } else {
            self.partial_cluster(false)
        };
        let ended = HistoryEvent::system(HistoryKind::Failed, Outcome::Failed)
            .message(failure.info.message.clone())
            .details(serde_json::json!({
                "code": failure.info.code,
                "category": class.category.as_str(),
                "http_status": failure.info.status,
                "headline": class.headline,
            }))
            .azure(self.azure_ids(Some(&failure.azure)));
        self.finish(JobUpdate {
            history: vec![ended],
            status: Some(JobStatus::Failed),
            progress: serde_json::to_value(&self.progress).ok(),
            error_code: Some(failure.info.code.clone()),
            error_message: Some(failure.info.message.clone()),
            error_category: Some(class.category.as_str().to_owned()),
            raw_error: raw,
            partial_cluster: partial.and_then(|p| serde_json::to_value(p).ok()),
            ..JobUpdate::default()
        })
        .await
    }

    /// The owner pressed Stop. A job that may have sent its create asks Azure to abort it and
    /// reads what is left; the cancel is recorded with that partial cluster.
    async fn finish_cancelled(
        &mut self,
    ) -> Result<Result<bool, crate::storage::StorageError>, Stop> {
        let cluster = self.cluster();
        let mut abort_requested = false;
        let mut note = String::new();
        let reached_azure = self.job.arm_put_at.is_some()
            || self.progress.operation_url.is_some()
            || self.progress.cluster_state.is_some();
        if reached_azure {
            // The default client: a few retries of throttling and server errors are right here.
            match self.ctx.arm.abort_cluster_operation(&cluster).await {
                Ok(started) => {
                    tracing::info!(job_id = %self.job.id, cluster = %cluster.name, "asked Azure to abort the create");
                    abort_requested = true;
                    note = " Azure was asked to abort the create.".into();
                    self.pending.push(
                        HistoryEvent::system(HistoryKind::AbortSent, Outcome::Ok)
                            .details(serde_json::json!({ "http_status": started.http_status }))
                            .azure(self.azure_ids(Some(&started.azure))),
                    );
                    self.progress.message = format!(
                        "Stopping: Azure was asked to abort the create of {}",
                        cluster.name
                    );
                    self.progress.updated_at = now_ms();
                    self.write(JobUpdate {
                        progress: serde_json::to_value(&self.progress).ok(),
                        ..JobUpdate::default()
                    })
                    .await?;
                }
                // Nothing there: the create never reached Azure.
                Err(e) if e.is_not_found() => {}
                // No operation to abort: the create has already ended; the read below says how.
                Err(e) if e.status() == Some(409) => {}
                Err(e) => {
                    tracing::warn!(job_id = %self.job.id, error = %e, "abort of the create failed");
                    note = format!(" Aborting in Azure failed: {e}.");
                    self.pending.push(
                        HistoryEvent::system(HistoryKind::AbortSent, Outcome::Failed)
                            .message(e.to_string())
                            .azure(self.azure_ids(Some(&e.azure_ids()))),
                    );
                }
            }
            match self.ctx.arm.get_cluster(&cluster).await {
                Ok(Some(c)) if created_by_job(&c, &self.job.id) => {
                    self.observe(&c);
                    if !abort_requested
                        && c.provisioning_state() == Some(&ProvisioningState::Succeeded)
                    {
                        tracing::info!(job_id = %self.job.id, "Stop arrived after Azure had created the cluster");
                        return Err(Stop::AlreadyCreated);
                    }
                }
                Ok(Some(_)) | Ok(None) => {
                    // Not there (or not this job's): nothing of this job is left.
                    self.progress.cluster_state = None;
                }
                Err(e) => {
                    tracing::warn!(job_id = %self.job.id, error = %e, "could not read the cluster after Stop");
                    if self.progress.cluster_state.is_none() {
                        // Unknown: say the cluster may be there rather than that it is not.
                        self.progress.cluster_state = Some("Unknown".into());
                    }
                }
            }
            self.ctx.cache.invalidate(
                &self.request.subscription_id,
                &self.request.resource_group,
                &self.request.region,
            );
        }
        let partial = self.partial_cluster(abort_requested);
        let message = if partial.is_some() {
            format!("Provisioning was cancelled. The cluster resource may remain in Azure.{note}")
        } else if reached_azure {
            format!("Provisioning was cancelled; Azure shows no cluster of it.{note}")
        } else {
            "Provisioning was cancelled before Azure created anything.".to_owned()
        };
        self.progress.message = message.clone();
        self.progress.updated_at = now_ms();
        tracing::info!(job_id = %self.job.id, partial = partial.is_some(), "provision cancelled");
        let ended = HistoryEvent::system(HistoryKind::Cancelled, Outcome::Cancelled)
            .message(message.clone())
            .details(serde_json::json!({ "partial_cluster": partial.is_some() }));
        Ok(self
            .finish(JobUpdate {
                history: vec![ended],
                status: Some(JobStatus::Cancelled),
                progress: serde_json::to_value(&self.progress).ok(),
                error_code: Some("Cancelled".into()),
                error_message: Some(message),
                error_category: Some("cancelled".into()),
                partial_cluster: partial.and_then(|p| serde_json::to_value(p).ok()),
                ..JobUpdate::default()
            })
            .await)
    }
}

/// `45 s`, `12 min`, `3 h 05 min`.
fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
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
