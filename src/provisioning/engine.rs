//! The durable job runner: workers that claim provision jobs from storage under a lease, carry
//! them out against Azure Resource Manager, and write every step to the job row.
//!
//! Durability: a worker renews its lease while it works. If its server dies, the lease runs out
//! and any worker (this server after a restart, or another server on the same PostgreSQL) claims
//! the job again. The row remembers the ARM operation being followed, so the new worker follows
//! that operation instead of creating again: one job, one cluster.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::azure::{
    AgentPoolMode, AgentPoolProfile, ArmClient, ArmError, ClusterRef, ManagedCluster,
    OperationState, ProvisioningState, cluster_portal_url,
};
use crate::provisioning::classify::{
    ArmErrorDetail, ArmErrorInfo, ClassifyContext, classify_arm_error,
};
use crate::provisioning::model::{
    JobStatus, PartialCluster, PoolProgress, Progress, ProvisionRequest, STEPS,
};
use crate::storage::job_state::{JobRecord, JobStateRepository, JobUpdate, now_ms};

/// Names of the node pools the product creates.
pub const SYSTEM_POOL: &str = "system";
pub const USER_POOL: &str = "nodepool1";

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Concurrent jobs per server.
    pub workers: usize,
    /// How long a claimed job stays ours without a heartbeat.
    pub lease: Duration,
    /// How often an idle worker looks for work (it is also woken when a job is queued).
    pub idle_poll: Duration,
    /// Upper bound between two polls of a running ARM operation; also how quickly a Stop is seen.
    pub max_poll: Duration,
    /// Tenant for portal links.
    pub tenant_id: String,
    /// Identifies this server in lease holders, e.g. `host:pid`.
    pub instance: String,
}

impl EngineConfig {
    pub fn new(tenant_id: &str) -> Self {
        Self {
            workers: 4,
            lease: Duration::from_secs(15),
            idle_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(1),
            tenant_id: tenant_id.to_owned(),
            instance: format!(
                "pid{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().to_string()[..8]
            ),
        }
    }
}

/// The running workers of one server.
pub struct JobRunner {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
}

/// What the runner's workers share.
#[derive(Clone)]
struct Shared {
    repo: JobStateRepository,
    arm: ArmClient,
    config: Arc<EngineConfig>,
    wake: Arc<Notify>,
    stop: watch::Receiver<bool>,
}

impl JobRunner {
    pub fn start(repo: JobStateRepository, arm: ArmClient, config: EngineConfig) -> Self {
        let wake = Arc::new(Notify::new());
        let (stop, stop_rx) = watch::channel(false);
        let shared = Shared {
            repo,
            arm,
            config: Arc::new(config),
            wake: wake.clone(),
            stop: stop_rx,
        };
        let workers = (0..shared.config.workers)
            .map(|n| {
                let shared = shared.clone();
                let holder = format!("{}/w{n}", shared.config.instance);
                tokio::spawn(async move { worker_loop(shared, holder).await })
            })
            .collect();
        tracing::info!(workers = shared.config.workers, "job runner started");
        Self {
            wake,
            stop,
            workers,
        }
    }

    /// What wakes idle workers when a job is queued.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Stops the workers; jobs in flight are handed back (lease released) so that another
    /// worker continues them at once.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for worker in self.workers {
            let _ = worker.await;
        }
        tracing::info!("job runner stopped");
    }
}

fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow()
}

/// Sleeps, but returns early (true) when the runner is stopping.
async fn nap(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    let stopped = tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    };
    stopped || stopping(stop)
}

async fn worker_loop(mut shared: Shared, holder: String) {
    loop {
        if stopping(&shared.stop) {
            return;
        }
        let lease_ms = shared.config.lease.as_millis() as i64;
        match shared.repo.claim_next(&holder, now_ms(), lease_ms).await {
            Ok(Some(job)) => {
                tracing::info!(job_id = %job.id, task_id = %job.task_id, attempt = job.lease_attempts, %holder, "claimed job");
                run_claimed(&shared, &holder, job).await;
            }
            Ok(None) => {
                let wake = shared.wake.clone();
                let idle = shared.config.idle_poll;
                tokio::select! {
                    _ = wake.notified() => {},
                    _ = nap(&mut shared.stop, idle) => {},
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot claim jobs; retrying");
                if nap(&mut shared.stop, Duration::from_secs(1)).await {
                    return;
                }
            }
        }
    }
}

/// Runs one claimed job with a heartbeat that keeps the lease; stops writing if the lease is lost.
async fn run_claimed(shared: &Shared, holder: &str, job: JobRecord) {
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = {
        let repo = shared.repo.clone();
        let lost = lost.clone();
        let job_id = job.id.clone();
        let holder = holder.to_owned();
        let lease = shared.config.lease;
        tokio::spawn(async move {
            let lease_ms = lease.as_millis() as i64;
            loop {
                tokio::time::sleep(lease / 3).await;
                match repo.renew_lease(&job_id, &holder, now_ms(), lease_ms).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(%job_id, %holder, "lease lost; another worker owns the job now");
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    Err(err) => {
                        tracing::warn!(%job_id, error = %err, "lease renewal failed; will retry")
                    }
                }
            }
        })
    };
    let job_id = job.id.clone();
    let run = ProvisionRun {
        shared: shared.clone(),
        holder: holder.to_owned(),
        lost: lost.clone(),
        request: job.payload.clone(),
        job,
        progress: Progress::default(),
        arm_started: None,
    };
    let outcome = run.execute().await;
    heartbeat.abort();
    match outcome {
        RunEnd::Finished => {
            let _ = shared.repo.release_lease(&job_id, holder, now_ms()).await;
        }
        RunEnd::Interrupted => {
            // Server stopping or storage trouble: hand the job back for the next worker.
            if let Err(err) = shared.repo.release_lease(&job_id, holder, now_ms()).await {
                tracing::warn!(%job_id, error = %err, "could not hand the job back; its lease will expire");
            }
        }
        RunEnd::LeaseLost => {}
    }
}

enum RunEnd {
    Finished,
    Interrupted,
    LeaseLost,
}

/// Why a provision stopped before success.
enum Stop {
    Failed(ArmFailure),
    CancelRequested,
    Interrupted,
    LeaseLost,
}

/// An Azure error as the job row records it.
struct ArmFailure {
    info: ArmErrorInfo,
    raw: Option<String>,
}

impl From<ArmError> for ArmFailure {
    fn from(err: ArmError) -> Self {
        let (code, message, details) = match (err.code(), err.detail()) {
            (Some(code), Some(detail)) => (
                code.to_owned(),
                detail.message.clone(),
                flatten_details(&detail.details),
            ),
            (Some(code), None) => (code.to_owned(), err.message(), vec![]),
            _ => (fallback_code(&err).to_owned(), err.to_string(), vec![]),
        };
        ArmFailure {
            info: ArmErrorInfo {
                status: err.status(),
                code,
                message,
                details,
            },
            raw: err.raw_body().map(str::to_owned),
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

/// Azure's nested error details, flattened for the classifier (the real cause is often nested).
pub fn flatten_details(details: &[crate::azure::ArmErrorDetail]) -> Vec<ArmErrorDetail> {
    let mut out = Vec::new();
    for d in details {
        out.push(ArmErrorDetail {
            code: d.code.clone(),
            message: d.message.clone(),
        });
        out.extend(flatten_details(&d.details));
    }
    out
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

/// A node pool as the product shows it, from Azure's agent pool profile.
pub fn pool_progress(p: &AgentPoolProfile) -> PoolProgress {
    PoolProgress {
        name: p.name.clone(),
        vm_size: p.vm_size.clone(),
        count: p.count,
        mode: match p.mode {
            AgentPoolMode::System => "System".into(),
            AgentPoolMode::User => "User".into(),
        },
        provisioning_state: p.provisioning_state.as_ref().map(|s| s.as_str().to_owned()),
    }
}

struct ProvisionRun {
    shared: Shared,
    holder: String,
    lost: Arc<AtomicBool>,
    job: JobRecord,
    request: ProvisionRequest,
    progress: Progress,
    arm_started: Option<Instant>,
}

impl ProvisionRun {
    fn cluster(&self) -> ClusterRef {
        ClusterRef::new(
            &self.request.subscription_id,
            &self.request.resource_group,
            &self.request.cluster_name,
        )
    }

    fn portal_url(&self) -> String {
        cluster_portal_url(&self.shared.config.tenant_id, &self.cluster())
    }

    async fn execute(mut self) -> RunEnd {
        if let Some(p) = self.job.progress_view() {
            self.progress = p;
        }
        let result = self.provision().await;
        let end = match result {
            Ok(()) => self.finish_succeeded().await,
            Err(Stop::Failed(failure)) => self.finish_failed(failure).await,
            Err(Stop::CancelRequested) => self.finish_cancelled().await,
            Err(Stop::Interrupted) => return RunEnd::Interrupted,
            Err(Stop::LeaseLost) => return RunEnd::LeaseLost,
        };
        match end {
            Ok(true) => RunEnd::Finished,
            Ok(false) => RunEnd::LeaseLost,
            Err(err) => {
                tracing::warn!(job_id = %self.job.id, error = %err, "could not record the job's end; retrying later");
                RunEnd::Interrupted
            }
        }
    }

    /// Stops early when the runner stops, the lease is gone, or the user asked to cancel.
    async fn checkpoint(&mut self) -> Result<(), Stop> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(Stop::LeaseLost);
        }
        if stopping(&self.shared.stop) {
            return Err(Stop::Interrupted);
        }
        match self.shared.repo.get(&self.job.id).await {
            Ok(Some(row)) => {
                if row.lease_holder.as_deref() != Some(self.holder.as_str())
                    || row.status != JobStatus::Running
                {
                    return Err(Stop::LeaseLost);
                }
                if row.cancel_requested {
                    return Err(Stop::CancelRequested);
                }
                Ok(())
            }
            Ok(None) => Err(Stop::LeaseLost),
            Err(err) => {
                tracing::warn!(job_id = %self.job.id, error = %err, "storage unavailable during a job");
                Err(Stop::Interrupted)
            }
        }
    }

    async fn publish(&mut self, phase: &str, message: String) -> Result<(), Stop> {
        let step = STEPS
            .iter()
            .position(|s| *s == phase)
            .map_or(1, |i| i as u32 + 1);
        self.progress.phase = phase.to_owned();
        self.progress.step = step;
        self.progress.total_steps = STEPS.len() as u32;
        self.progress.message = message;
        self.progress.updated_at = now_ms();
        if let Some(started) = self.arm_started {
            self.progress.arm_elapsed_seconds =
                Some((started.elapsed().as_secs_f64() * 10.0).round() / 10.0);
        } else if let Some(at) = self.progress.arm_started_at {
            self.progress.arm_elapsed_seconds =
                Some(((now_ms() - at).max(0) as f64 / 100.0).round() / 10.0);
        }
        let update = JobUpdate {
            phase: Some(phase.to_owned()),
            step: Some(step),
            total_steps: Some(STEPS.len() as u32),
            progress: serde_json::to_value(&self.progress).ok(),
            ..JobUpdate::default()
        };
        match self
            .shared
            .repo
            .update_as_holder(&self.job.id, &self.holder, &update)
            .await
        {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(Stop::LeaseLost),
            Err(err) => {
                tracing::warn!(job_id = %self.job.id, error = %err, "cannot write progress");
                Err(Stop::Interrupted)
            }
        }
    }

    async fn provision(&mut self) -> Result<(), Stop> {
        self.checkpoint().await?;
        self.progress.portal_url = Some(self.portal_url());

        if self.progress.operation_url.is_none() && self.progress.cluster_state.is_none() {
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
        match self.shared.arm.get_resource_group(&sub, &rg).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => {
                self.publish(
                    STEPS[0],
                    format!("Creating resource group {rg} in {region}"),
                )
                .await?;
                self.shared
                    .arm
                    .create_resource_group(&sub, &rg, &region)
                    .await
                    .map(|_| ())
                    .map_err(|e| Stop::Failed(e.into()))
            }
            Err(e) => Err(Stop::Failed(e.into())),
        }
    }

    async fn create_cluster(&mut self) -> Result<(), Stop> {
        let cluster = self.cluster();
        let name = self.request.cluster_name.clone();
        // A job taken over after a crash: look at Azure before doing anything.
        if self.job.lease_attempts > 1 || self.progress.operation_url.is_some() {
            self.publish(STEPS[1], format!("Resuming: reading {name} from Azure"))
                .await?;
            let existing = self
                .shared
                .arm
                .get_cluster(&cluster)
                .await
                .map_err(|e| Stop::Failed(e.into()))?;
            if let Some(existing) = existing {
                self.observe(&existing);
                return match existing.provisioning_state() {
                    Some(ProvisioningState::Succeeded) => Ok(()),
                    Some(ProvisioningState::Failed) | Some(ProvisioningState::Canceled) => {
                        self.follow_operation(&cluster).await
                    }
                    _ => self.follow_operation(&cluster).await,
                };
            }
        }

        self.publish(STEPS[1], format!("Asking Azure to create {name}"))
            .await?;
        let body = ManagedCluster::for_create(
            &name,
            self.request.region.clone(),
            None,
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
        let started = self
            .shared
            .arm
            .create_or_update_cluster(&cluster, &body)
            .await
            .map_err(|e| Stop::Failed(e.into()))?;
        self.arm_started = Some(Instant::now());
        self.progress.arm_started_at = Some(now_ms());
        self.progress.operation_url = started.status_url().map(str::to_owned);
        if let Some(created) = &started.body {
            self.observe(created);
        }
        self.publish(STEPS[1], format!("Azure accepted the create of {name}"))
            .await?;
        self.follow_operation(&cluster).await
    }

    /// Records what Azure shows of the cluster: its state and pools.
    fn observe(&mut self, cluster: &ManagedCluster) {
        if let Some(state) = cluster.provisioning_state() {
            self.progress.cluster_state = Some(state.as_str().to_owned());
        }
        self.progress.pools = cluster
            .properties
            .agent_pool_profiles
            .iter()
            .map(pool_progress)
            .collect();
    }

    /// Polls the ARM operation (or, without its URL, the cluster) until it ends, publishing the
    /// cluster's state and pools at every poll.
    async fn follow_operation(&mut self, cluster: &ClusterRef) -> Result<(), Stop> {
        let name = cluster.name.clone();
        loop {
            self.checkpoint().await?;
            let mut delay = self.shared.config.max_poll;
            let mut op_end: Option<Result<(), ArmFailure>> = None;
            if let Some(url) = self.progress.operation_url.clone() {
                match self.shared.arm.operation_status(&url).await {
                    Ok(poll) => {
                        if let Some(ra) = poll.retry_after {
                            delay = delay.min(ra.max(Duration::from_millis(200)));
                        }
                        let status = poll.status;
                        match status.status {
                            OperationState::Succeeded => op_end = Some(Ok(())),
                            OperationState::Failed | OperationState::Canceled => {
                                op_end =
                                    Some(status.into_result().map(|_| ()).map_err(ArmFailure::from))
                            }
                            _ => {}
                        }
                    }
                    Err(e) if e.is_not_found() => {
                        // The operation record is gone (e.g. expired): the cluster tells.
                        self.progress.operation_url = None;
                    }
                    Err(e) => return Err(Stop::Failed(e.into())),
                }
            }
            match self.shared.arm.get_cluster(cluster).await {
                Ok(Some(c)) => {
                    self.observe(&c);
                    if self.progress.operation_url.is_none() {
                        match c.provisioning_state() {
                            Some(ProvisioningState::Succeeded) => op_end = Some(Ok(())),
                            Some(ProvisioningState::Failed) => {
                                op_end = Some(Err(ArmFailure {
                                    info: ArmErrorInfo {
                                        status: None,
                                        code: "ProvisioningFailed".into(),
                                        message: format!(
                                            "The cluster {name} ended in provisioning state Failed."
                                        ),
                                        details: vec![],
                                    },
                                    raw: serde_json::to_string(&c).ok(),
                                }))
                            }
                            Some(ProvisioningState::Canceled) => {
                                op_end = Some(Err(ArmFailure {
                                    info: ArmErrorInfo {
                                        status: None,
                                        code: "Canceled".into(),
                                        message: format!(
                                            "The create of {name} was canceled in Azure."
                                        ),
                                        details: vec![],
                                    },
                                    raw: None,
                                }))
                            }
                            _ => {}
                        }
                    }
                }
                Ok(None) => {
                    if self.progress.operation_url.is_none() {
                        // Nothing in flight and no cluster: the create never reached Azure.
                        return Box::pin(self.create_cluster_fresh()).await;
                    }
                }
                Err(e) if e.is_retryable() => {}
                Err(e) => return Err(Stop::Failed(e.into())),
            }
            let state = self
                .progress
                .cluster_state
                .clone()
                .unwrap_or_else(|| "Accepted".into());
            self.publish(STEPS[1], format!("Azure is creating {name}: {state}"))
                .await?;
            match op_end {
                Some(Ok(())) => return Ok(()),
                Some(Err(failure)) => return Err(Stop::Failed(failure)),
                None => {}
            }
            let mut stop = self.shared.stop.clone();
            if nap(&mut stop, delay).await {
                return Err(Stop::Interrupted);
            }
        }
    }

    async fn create_cluster_fresh(&mut self) -> Result<(), Stop> {
        self.job.lease_attempts = 1;
        self.progress.operation_url = None;
        self.create_cluster().await
    }

    fn partial_cluster(&self) -> Option<PartialCluster> {
        self.progress
            .cluster_state
            .as_ref()
            .map(|state| PartialCluster {
                resource_id: self.cluster().resource_id(),
                portal_url: self.portal_url(),
                last_state: Some(state.clone()),
            })
    }

    /// Writes the job's end, only while we still hold it. Ok(false): someone else does.
    async fn finish(&self, update: JobUpdate) -> Result<bool, crate::storage::StorageError> {
        Ok(self
            .shared
            .repo
            .update_as_holder(&self.job.id, &self.holder, &update)
            .await?
            .is_some())
    }

    async fn finish_succeeded(&mut self) -> Result<bool, crate::storage::StorageError> {
        self.progress.phase = STEPS[2].into();
        self.progress.step = 3;
        self.progress.total_steps = 3;
        self.progress.message = format!("{} is ready", self.request.cluster_name);
        self.progress.updated_at = now_ms();
        tracing::info!(job_id = %self.job.id, cluster = %self.request.cluster_name, "provision succeeded");
        self.finish(JobUpdate {
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
        let ctx = ClassifyContext {
            subscription_id: self.request.subscription_id.clone(),
            region: self.request.region.clone(),
        };
        let class = classify_arm_error(&failure.info, &ctx);
        tracing::info!(job_id = %self.job.id, code = %failure.info.code, category = class.category.as_str(), "provision failed");
        self.progress.message = class.headline.clone();
        self.progress.updated_at = now_ms();
        let raw = failure
            .raw
            .or_else(|| serde_json::to_string(&failure.info).ok());
        self.finish(JobUpdate {
            status: Some(JobStatus::Failed),
            progress: serde_json::to_value(&self.progress).ok(),
            error_code: Some(failure.info.code.clone()),
            error_message: Some(failure.info.message.clone()),
            error_category: Some(class.category.as_str().to_owned()),
            raw_error: raw,
            partial_cluster: self
                .partial_cluster()
                .and_then(|p| serde_json::to_value(p).ok()),
            ..JobUpdate::default()
        })
        .await
    }

    /// The user pressed Stop: abort the ARM operation if one is in flight, then record it.
    async fn finish_cancelled(&mut self) -> Result<bool, crate::storage::StorageError> {
        let cluster = self.cluster();
        let mut abort_note = String::new();
        if self.progress.operation_url.is_some() || self.progress.cluster_state.is_some() {
            match self.shared.arm.abort_cluster_operation(&cluster).await {
                Ok(_) => {
                    tracing::info!(job_id = %self.job.id, cluster = %cluster.name, "aborted the ARM create");
                    abort_note = " Azure was asked to abort the create.".into();
                    // Give Azure a moment to show the aborted state, for the record.
                    if let Ok(Some(c)) = self.shared.arm.get_cluster(&cluster).await {
                        self.observe(&c);
                    }
                }
                Err(err) => {
                    tracing::warn!(job_id = %self.job.id, error = %err, "abort of the ARM create failed");
                    abort_note = format!(" Aborting in Azure failed: {err}.");
                }
            }
        }
        let partial = self.partial_cluster();
        let message = if partial.is_some() {
            format!(
                "Provisioning was cancelled. The cluster resource may remain in Azure.{abort_note}"
            )
        } else {
            "Provisioning was cancelled before Azure created anything.".to_owned()
        };
        self.progress.message = message.clone();
        self.progress.updated_at = now_ms();
        tracing::info!(job_id = %self.job.id, partial = partial.is_some(), "provision cancelled");
        self.finish(JobUpdate {
            status: Some(JobStatus::Cancelled),
            progress: serde_json::to_value(&self.progress).ok(),
            error_code: Some("Cancelled".into()),
            error_message: Some(message),
            error_category: Some("cancelled".into()),
            partial_cluster: partial.and_then(|p| serde_json::to_value(p).ok()),
            ..JobUpdate::default()
        })
        .await
    }
}
