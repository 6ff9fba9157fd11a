//! The durable job runner of one server: claims provision jobs from storage in batches, runs
//! each claimed job as its own task (a task that sleeps between polls, not a worker slot), keeps
//! every claim alive with one renewal statement per server, and tells a run at once when its
//! owner pressed Stop (in-process, through the event bus from another server, or through the
//! database at worst).
//!
//! Durability: if the server dies its leases run out, and any runner (this server after a
//! restart, or another one on the same PostgreSQL) claims the jobs again; the job row remembers
//! what was sent to Azure, so the new run follows it instead of creating again. A run that
//! panics is retried a few times, then its job fails with `internal_error`; a job claimed too
//! often without finishing fails the same way. Nothing stays `running` forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::clock::now_ms;
use crate::events::DashboardEvent;
use crate::events::bus::BusMessage;
use crate::jobs::run::{ProvisionRun, RunContext, RunEnd, Signals};
use crate::refusal::Refusal;
use crate::storage::{Claimed, InternalErrorOutcome, JobLease, JobRecord, JobUpdate};

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Provisions this server follows at once (0: this server only serves the API).
    pub max_in_flight: usize,
    /// How long a claim lasts without renewal; after a crash, another runner takes the job over
    /// once it runs out.
    pub lease: Duration,
    /// Jobs claimed in one statement.
    pub claim_batch: u32,
    /// How often an idle runner looks for work (it is also woken when a job is queued here).
    pub idle_poll: Duration,
    /// How often the database is asked for Stop requests of this server's jobs (a Stop on this
    /// server, or one announced on the bus, arrives at once).
    pub cancel_poll: Duration,
    /// A job claimed this often without finishing fails with `internal_error`.
    pub max_attempts: u32,
    /// A job whose runs ended in an internal error (panic) this often fails with `internal_error`.
    pub max_internal_errors: u32,
    /// Identifies this server in lease holders, e.g. `host:pid`.
    pub instance: String,
    /// History entries older than this are deleted (`HISTORY_RETENTION_DAYS`).
    pub history_retention: Duration,
    /// How often the runner looks for history past its retention.
    pub history_prune_every: Duration,
    /// How often the runner deletes expired sign-in sessions.
    pub session_sweep_every: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 1000,
            lease: Duration::from_secs(15),
            claim_batch: 50,
            idle_poll: Duration::from_secs(2),
            cancel_poll: Duration::from_secs(1),
            max_attempts: 20,
            max_internal_errors: 3,
            history_retention: Duration::from_secs(400 * 86_400),
            history_prune_every: Duration::from_secs(3_600),
            session_sweep_every: Duration::from_secs(300),
            instance: format!(
                "{}-pid{}-{}",
                hostname(),
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "server".into())
}

/// The runs in flight on this server, by job id.
type InFlight = Mutex<HashMap<String, Flight>>;

struct Flight {
    attempt: u32,
    signals: watch::Sender<Signals>,
}

struct Shared {
    ctx: RunContext,
    config: RunnerConfig,
    in_flight: InFlight,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
}

fn lock(m: &InFlight) -> std::sync::MutexGuard<'_, HashMap<String, Flight>> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// Tells the run of `job_id` (if this server has it) something.
    fn signal(&self, job_id: &str, change: impl FnOnce(&mut Signals)) {
        if let Some(flight) = lock(&self.in_flight).get(job_id) {
            flight.signals.send_modify(change);
        }
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

/// The runner of one server.
pub struct JobRunner {
    shared: Arc<Shared>,
    loops: JoinSet<()>,
    runs: Arc<tokio::sync::Mutex<JoinSet<()>>>,
}

/// What the API needs of the runner: wake it when a job is queued, stop a run at once.
#[derive(Clone)]
pub struct RunnerHandle {
    shared: Arc<Shared>,
}

impl RunnerHandle {
    /// A job was queued: look for work now.
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// The owner pressed Stop: the run of this job, here or on another server, stops waiting.
    pub fn cancel(&self, job_id: &str) {
        self.shared.signal(job_id, |s| s.cancel = true);
        self.shared.ctx.events.cancel(job_id);
        self.wake();
    }

    /// Runs in flight on this server.
    pub fn in_flight(&self) -> usize {
        lock(&self.shared.in_flight).len()
    }
}

impl JobRunner {
    pub fn start(ctx: RunContext, config: RunnerConfig) -> Self {
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            ctx,
            config,
            in_flight: Mutex::new(HashMap::new()),
            wake: Arc::new(Notify::new()),
            stop,
        });
        let runs = Arc::new(tokio::sync::Mutex::new(JoinSet::new()));
        let mut loops = JoinSet::new();
        if shared.config.max_in_flight > 0 {
            loops.spawn(claim_loop(shared.clone(), runs.clone()));
            loops.spawn(renew_loop(shared.clone()));
            loops.spawn(cancel_loop(shared.clone()));
        }
        loops.spawn(history_retention_loop(shared.clone()));
        loops.spawn(session_sweep_loop(shared.clone()));
        tracing::info!(
            max_in_flight = shared.config.max_in_flight,
            instance = %shared.config.instance,
            "job runner started"
        );
        Self {
            shared,
            loops,
            runs,
        }
    }

    pub fn handle(&self) -> RunnerHandle {
        RunnerHandle {
            shared: self.shared.clone(),
        }
    }

    /// Stops claiming, and tells every run to hand its job back (lease released, status back to
    /// `queued`) so that another runner continues it at once. Waits for them.
    pub async fn stop(mut self) {
        let _ = self.shared.stop.send(true);
        for flight in lock(&self.shared.in_flight).values() {
            flight.signals.send_modify(|s| s.shutting_down = true);
        }
        self.loops.shutdown().await;
        let mut runs = self.runs.lock().await;
        let drained = tokio::time::timeout(Duration::from_secs(20), async {
            while runs.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                "some runs did not hand their jobs back in time; their leases will expire"
            );
            runs.abort_all();
        }
        tracing::info!("job runner stopped");
    }
}

/// Resolves once the runner stops.
async fn stopped(shared: &Shared) {
    let mut stop = shared.stop.subscribe();
    loop {
        let done = *stop.borrow_and_update();
        if done || stop.changed().await.is_err() {
            return;
        }
    }
}

/// Sleeps, or returns early (true) when the runner stops.
async fn rest(shared: &Shared, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stopped(shared) => {}
    }
    shared.stopping()
}

async fn claim_loop(shared: Arc<Shared>, runs: Arc<tokio::sync::Mutex<JoinSet<()>>>) {
    let lease_ms = duration_ms(shared.config.lease);
    loop {
        if shared.stopping() {
            return;
        }
        let free = shared
            .config
            .max_in_flight
            .saturating_sub(lock(&shared.in_flight).len());
        let want = u32::try_from(free)
            .unwrap_or(u32::MAX)
            .min(shared.config.claim_batch);
        let mut full_batch = false;
        if want > 0 {
            match shared
                .ctx
                .repo
                .claim_batch(&shared.config.instance, lease_ms, want, now_ms())
                .await
            {
                Ok(claimed) => {
                    full_batch = claimed.len() == want as usize;
                    let mut runs = runs.lock().await;
                    // Finished runs are collected here, so the set does not grow.
                    while runs.try_join_next().is_some() {}
                    for job in claimed {
                        runs.spawn(supervise(shared.clone(), job));
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot claim jobs; retrying");
                    if rest(&shared, Duration::from_secs(1)).await {
                        return;
                    }
                    continue;
                }
            }
        }
        if full_batch {
            // More may be waiting.
            continue;
        }
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(shared.config.idle_poll) => {}
            _ = stopped(&shared) => return,
        }
    }
}

/// Renews all of this server's leases in one statement, a few times per lease; a run whose job
/// is no longer ours is told so (and stops writing), one whose owner pressed Stop elsewhere too.
async fn renew_loop(shared: Arc<Shared>) {
    let lease_ms = duration_ms(shared.config.lease);
    loop {
        if rest(&shared, shared.config.lease / 3).await {
            return;
        }
        if lock(&shared.in_flight).is_empty() {
            continue;
        }
        match shared
            .ctx
            .repo
            .renew_leases(&shared.config.instance, lease_ms)
            .await
        {
            Ok(held) => {
                let held: HashMap<&str, (u32, bool)> = held
                    .iter()
                    .map(|h| (h.job_id.as_str(), (h.attempt, h.cancel_requested)))
                    .collect();
                for (job_id, flight) in lock(&shared.in_flight).iter() {
                    match held.get(job_id.as_str()) {
                        Some((attempt, cancel)) if *attempt == flight.attempt => {
                            if *cancel {
                                flight
                                    .signals
                                    .send_if_modified(|s| !std::mem::replace(&mut s.cancel, true));
                            }
                        }
                        _ => {
                            tracing::warn!(%job_id, "lease lost; another runner owns the job now");
                            flight.signals.send_modify(|s| s.lease_lost = true);
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "lease renewal failed; will retry"),
        }
    }
}

/// Delivers Stop requests: at once from the bus (any server), and every `cancel_poll` from the
/// database in case the bus missed one.
async fn cancel_loop(shared: Arc<Shared>) {
    let mut bus = shared.ctx.events.subscribe();
    let mut poll = tokio::time::interval(shared.config.cancel_poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = bus.recv() => match message {
                Ok(BusMessage::Cancel { job_id }) => shared.signal(&job_id, |s| s.cancel = true),
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    bus = shared.ctx.events.subscribe();
                }
            },
            _ = poll.tick() => {
                if lock(&shared.in_flight).is_empty() {
                    continue;
                }
                match shared.ctx.repo.cancel_requests(&shared.config.instance).await {
                    Ok(ids) => {
                        for id in ids {
                            shared.signal(&id, |s| s.cancel = true);
                        }
                    }
                    Err(err) => tracing::debug!(error = %err, "cannot read stop requests"),
                }
            }
            _ = stopped(&shared) => return,
        }
    }
}

/// Rows deleted per statement by the retention sweep: each delete holds its lock briefly.
const PRUNE_BATCH: u32 = 500;

/// Deletes history past its retention, in small batches with a pause between them, so that
/// no write waits long behind the sweep. Every server sweeps; two sweeping at once only find
/// less to delete.
async fn history_retention_loop(shared: Arc<Shared>) {
    let history = shared.ctx.repo.history();
    let every = shared.config.history_prune_every;
    // The first sweep soon after start, not at once: start-up has more urgent work.
    let first = Duration::from_secs(30).min(every);
    sweep_loop(&shared, "history", first, every, || {
        let cutoff = now_ms().saturating_sub(duration_ms(shared.config.history_retention));
        let history = history.clone();
        async move {
            let deleted = history.prune(cutoff, PRUNE_BATCH).await?;
            if deleted > 0 {
                tracing::info!(deleted, cutoff, "history past its retention deleted");
            }
            Ok(deleted)
        }
    })
    .await;
}

/// Deletes expired sign-in sessions (abandoned sign-ins, idle sessions), in batches, every
/// [`RunnerConfig::session_sweep_every`]: the sessions table holds the live ones, not every
/// anonymous visit to the sign-in page.
async fn session_sweep_loop(shared: Arc<Shared>) {
    let store = crate::storage::sessions::DbSessionStore::new(shared.ctx.repo.storage().clone());
    let every = shared.config.session_sweep_every;
    sweep_loop(&shared, "sessions", every, every, || {
        let store = store.clone();
        async move {
            let deleted = store
                .delete_expired(PRUNE_BATCH)
                .await
                .map_err(crate::storage::StorageError::from)?;
            crate::metrics::sessions_swept(deleted);
            if deleted > 0 {
                tracing::debug!(deleted, "expired sessions deleted");
            }
            Ok(deleted)
        }
    })
    .await;
}

/// Calls `batch` (which deletes at most [`PRUNE_BATCH`] rows and says how many) after `first`,
/// then every `every`: again at once (after a short pause) while it comes back full, so that
/// each delete holds its locks briefly. A failure waits for the next round. Ends when the
/// runner stops.
async fn sweep_loop<F, Fut>(
    shared: &Shared,
    what: &'static str,
    first: Duration,
    every: Duration,
    batch: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<u64, crate::storage::StorageError>>,
{
    if rest(shared, first).await {
        return;
    }
    loop {
        loop {
            match batch().await {
                Ok(n) if n >= u64::from(PRUNE_BATCH) => {}
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(error = %err, what, "sweep failed; trying later");
                    break;
                }
            }
            if rest(shared, Duration::from_millis(50)).await {
                return;
            }
        }
        if rest(shared, every).await {
            return;
        }
    }
}

/// Runs one claimed job in its own task and records how it ended: a panic is an internal error,
/// not a job that stays `running` forever.
async fn supervise(shared: Arc<Shared>, claimed: Claimed) {
    let job = match claimed {
        Claimed::Job(job) => *job,
        Claimed::Unreadable { lease, error } => {
            tracing::error!(job_id = %lease.job_id, error = %error, "claimed a job row that cannot be read");
            record_internal_error(
                &shared,
                &lease,
                None,
                &format!("its stored row cannot be read ({error})"),
            )
            .await;
            return;
        }
    };
    let Some(lease) = job.lease() else {
        return;
    };
    tracing::info!(job_id = %job.id, task_id = %job.task_id, attempt = lease.attempt, "claimed job");
    crate::metrics::job_claimed(lease.attempt);
    if lease.attempt > shared.config.max_attempts {
        give_up(&shared, &lease, &job).await;
        return;
    }
    let (signals, receiver) = watch::channel(Signals {
        shutting_down: shared.stopping(),
        ..Signals::default()
    });
    {
        let mut in_flight = lock(&shared.in_flight);
        // This server held the job before (its lease ran out while it was stalled): that run
        // is superseded.
        if let Some(old) = in_flight.insert(
            job.id.clone(),
            Flight {
                attempt: lease.attempt,
                signals,
            },
        ) {
            old.signals.send_modify(|s| s.lease_lost = true);
        }
    }
    let owner = job.owner_id.clone();
    let run = ProvisionRun::new(shared.ctx.clone(), lease.clone(), receiver, job);
    let outcome = tokio::spawn(run.execute()).await;
    {
        let mut in_flight = lock(&shared.in_flight);
        if in_flight
            .get(&lease.job_id)
            .is_some_and(|f| f.attempt == lease.attempt)
        {
            in_flight.remove(&lease.job_id);
        }
    }
    match outcome {
        Ok(RunEnd::Finished) | Ok(RunEnd::HandBack) => release(&shared, &lease).await,
        Ok(RunEnd::LeaseLost) => {}
        Err(join) if join.is_panic() => {
            let why = panic_message(join.into_panic());
            tracing::error!(job_id = %lease.job_id, panic = %why, "a provision run panicked");
            record_internal_error(
                &shared,
                &lease,
                Some(&owner),
                &format!("a run stopped unexpectedly ({why})"),
            )
            .await;
        }
        Err(_) => release(&shared, &lease).await,
    }
}

async fn release(shared: &Shared, lease: &JobLease) {
    if let Err(err) = shared.ctx.repo.release(lease, None, now_ms()).await {
        tracing::warn!(job_id = %lease.job_id, error = %err, "could not hand the job back; its lease will expire");
    }
}

async fn record_internal_error(shared: &Shared, lease: &JobLease, owner: Option<&str>, why: &str) {
    let tries = shared.config.max_internal_errors;
    let message = format!(
        "The dashboard hit an internal error while running this provision: {why}. It stopped \
         after {tries} tries and logged the details. Check Azure for the cluster before \
         creating it again."
    );
    // A short pause before the next try, so a crashing job does not spin.
    let pause_ms = duration_ms(shared.config.idle_poll).max(1_000);
    match shared
        .ctx
        .repo
        .record_internal_error(lease, &message, tries, pause_ms, now_ms())
        .await
    {
        Ok(InternalErrorOutcome::Failed) => {
            tracing::error!(job_id = %lease.job_id, "job failed after {tries} internal errors");
            if let Some(owner) = owner {
                shared.ctx.events.to_user(
                    owner,
                    DashboardEvent::FailureRecorded {
                        job_id: lease.job_id.clone(),
                    },
                );
            }
        }
        Ok(InternalErrorOutcome::Retried) => {
            tracing::warn!(job_id = %lease.job_id, "job handed back for another try after an internal error")
        }
        Ok(InternalErrorOutcome::NotHeld) => {}
        Err(err) => {
            tracing::warn!(job_id = %lease.job_id, error = %err, "could not record an internal error; the lease will expire")
        }
    }
}

/// A job claimed too often without finishing: it fails, shown to its owner like any failure.
async fn give_up(shared: &Shared, lease: &JobLease, job: &JobRecord) {
    let attempts = shared.config.max_attempts;
    let message = format!(
        "The dashboard took this provision up {attempts} times without finishing it (servers \
         restarted or crashed while running it), so it stopped. Check Azure for the cluster \
         before creating it again."
    );
    tracing::error!(job_id = %job.id, attempts = lease.attempt, "job claimed too often; failing it");
    let update = JobUpdate {
        status: Some(crate::domain::JobStatus::Failed),
        error_code: Some(Refusal::InternalError.code().into()),
        error_category: Some("unknown".into()),
        error_message: Some(message.clone()),
        history: vec![
            crate::storage::HistoryEvent::system(
                crate::domain::history::HistoryKind::Failed,
                crate::domain::history::Outcome::Failed,
            )
            .message(message)
            .details(serde_json::json!({"code": Refusal::InternalError.code(), "attempts": lease.attempt})),
        ],
        ..JobUpdate::default()
    };
    match shared.ctx.repo.update_as_holder(lease, &update).await {
        Ok(Some(_)) => {
            shared.ctx.events.to_user(
                &job.owner_id,
                DashboardEvent::FailureRecorded {
                    job_id: job.id.clone(),
                },
            );
            release(shared, lease).await;
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(job_id = %job.id, error = %err, "could not fail the job"),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
