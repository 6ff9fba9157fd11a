//! The `job_state` table: one row per durable job (today: AKS provisions), read by the dashboard
//! (owner-scoped) and driven by the job runner (leases).
//!
//! Every statement is plain SQL that SQLite and PostgreSQL both accept through sqlx's `Any`
//! driver with `$n` placeholders. The one statement that differs is the runner's claim, see
//! [`JobStateRepository::claim_next`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sqlx::any::{Any, AnyRow};
use sqlx::{Decode, Row, Type};

use super::history::{HistoryEvent, Subject, insert_events};
use super::{Backend, Param, Storage, StorageError, bind_all};

/// `type` of a cluster-create job.
pub const AKS_PROVISION: &str = "aks_provision";

/// Milliseconds since the Unix epoch: the unit of every timestamp column. Lease times do not
/// use it: they come from the database's clock, so that servers with skewed clocks agree.
pub fn now_ms() -> i64 {
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    wall.saturating_add(CLOCK_OFFSET_MS.load(Ordering::Relaxed))
}

/// A test hook: how far this server's clock is off (see `--test-clock-offset-seconds`).
static CLOCK_OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// Shifts this process's [`now_ms`] by `offset_ms`, to test that servers with skewed clocks
/// still agree on leases.
pub fn set_clock_offset_ms(offset_ms: i64) {
    CLOCK_OFFSET_MS.store(offset_ms, Ordering::Relaxed);
}

pub use crate::provisioning::model::JobStatus;
/// What a provision creates: the job's payload is the provision request as made.
pub use crate::provisioning::model::ProvisionRequest as ClusterContext;

/// A job about to be stored; it starts `queued`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: String,
    pub task_id: String,
    pub job_type: String,
    pub owner_id: String,
    /// The owner's name as their sign-in gave it, when it differs from the id.
    pub owner_name: Option<String>,
    /// The owner's role (`reader`, `operator`, `admin`) when the job was made.
    pub owner_role: Option<String>,
    pub payload: ClusterContext,
    pub created_at: i64,
    /// What the create was estimated to cost when it was made (a `PriceEstimate`).
    pub estimate: Option<serde_json::Value>,
}

impl NewJob {
    /// A cluster create for `owner_id`, with fresh job and task ids.
    pub fn aks_provision(owner_id: &str, payload: ClusterContext, created_at: i64) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            task_id: uuid::Uuid::new_v4().to_string(),
            job_type: AKS_PROVISION.to_owned(),
            owner_id: owner_id.to_owned(),
            owner_name: None,
            owner_role: None,
            payload,
            created_at,
            estimate: None,
        }
    }

    /// The same job, with the estimate it was made with.
    pub fn with_estimate(mut self, estimate: Option<serde_json::Value>) -> Self {
        self.estimate = estimate;
        self
    }

    /// The same job, made with the owner's role `role` (`reader`, `operator`, `admin`).
    pub fn with_owner_role(mut self, role: &str) -> Self {
        self.owner_role = Some(role.to_owned());
        self
    }

    /// The same job, with the owner's name people read.
    pub fn owned_by_name(mut self, name: &str) -> Self {
        self.owner_name = (name != self.owner_id).then(|| name.to_owned());
        self
    }
}

/// One stored job. Timestamps are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub task_id: String,
    pub job_type: String,
    pub status: JobStatus,
    pub phase: Option<String>,
    pub step: u32,
    pub total_steps: u32,
    pub owner_id: String,
    /// The owner's name, when their sign-in gave one other than the id.
    pub owner_name: Option<String>,
    /// The owner's role when the job was made.
    pub owner_role: Option<String>,
    pub payload: ClusterContext,
    /// The runner's live view: `cluster_state`, `pools`, `portal_url`, `arm_elapsed_seconds`, …
    pub progress: serde_json::Value,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_category: Option<String>,
    /// Azure's response body as received, for "Show raw Azure response".
    pub raw_error: Option<String>,
    /// Set when a cluster resource may remain in Azure after a failure or cancel.
    pub partial_cluster: Option<serde_json::Value>,
    pub cancel_requested: bool,
    pub lease_holder: Option<String>,
    pub lease_expires_at: Option<i64>,
    /// How many times a runner has claimed this job (also the fencing token of the current
    /// claim: a write carries it, so a runner whose claim was superseded cannot write).
    pub lease_attempts: u32,
    /// When the create PUT was (about to be) sent: Azure may have something of this job.
    pub arm_put_at: Option<i64>,
    /// Runs that ended in an internal error (panic, unreadable row).
    pub internal_errors: u32,
    /// Not to be taken up before this time (after an internal error).
    pub not_before: Option<i64>,
    pub dismissed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// What the create was estimated to cost when it was made (a `PriceEstimate`), if known.
    pub estimate: Option<serde_json::Value>,
}

impl JobRecord {
    /// The live progress stored on the row.
    pub fn progress_view(&self) -> Option<crate::provisioning::model::Progress> {
        if self.progress.as_object().is_none_or(|o| o.is_empty()) {
            return None;
        }
        serde_json::from_value(self.progress.clone()).ok()
    }

    pub fn partial_cluster_view(&self) -> Option<crate::provisioning::model::PartialCluster> {
        self.partial_cluster
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    pub fn portal_url(&self) -> Option<&str> {
        self.progress.get("portal_url").and_then(|v| v.as_str())
    }
}

/// A partial update: only the fields that are `Some` are written (plus `updated_at`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobUpdate {
    pub status: Option<JobStatus>,
    pub phase: Option<String>,
    pub step: Option<u32>,
    pub total_steps: Option<u32>,
    pub progress: Option<serde_json::Value>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_category: Option<String>,
    pub raw_error: Option<String>,
    pub partial_cluster: Option<serde_json::Value>,
    pub cancel_requested: Option<bool>,
    pub arm_put_at: Option<i64>,
    /// What this change is, for the history: written in the same transaction, and only when
    /// the change itself is (a write under a lost claim writes neither).
    pub history: Vec<HistoryEvent>,
}

/// One claim of one job by a runner: its holder name and the claim's number. The number is the
/// job's `lease_attempts` at the claim, a fencing token: every write of the runner carries it, so
/// a runner whose claim was superseded (its lease ran out and another took the job) writes
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLease {
    pub job_id: String,
    pub holder: String,
    pub attempt: u32,
}

impl JobRecord {
    /// The claim this row is under, if a runner holds it.
    pub fn lease(&self) -> Option<JobLease> {
        self.lease_holder.as_ref().map(|holder| JobLease {
            job_id: self.id.clone(),
            holder: holder.clone(),
            attempt: self.lease_attempts,
        })
    }
}

/// Why a new job was not stored.
#[derive(Debug, thiserror::Error)]
pub enum CreateJobError {
    /// A job for the same cluster is queued or running (whoever owns it).
    #[error("a job for this cluster is already in flight")]
    ClusterBusy,
    /// The owner already has this many jobs queued or running.
    #[error("already {max_in_flight} jobs in flight")]
    TooManyInFlight { max_in_flight: u32 },
    /// The job's subscription and resource group already have this many jobs in flight.
    #[error("already {max_in_flight} jobs in flight in this scope")]
    ScopeFull { max_in_flight: u32 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an owner-scoped request found no job to act on.
#[derive(Debug, thiserror::Error)]
pub enum JobAccessError {
    #[error("no such job")]
    NotFound,
    #[error("the job belongs to someone else")]
    Forbidden,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub(super) const COLUMNS: &str = "id, task_id, type, status, phase, step, total_steps, owner_id, payload, \
    progress, error_code, error_message, error_category, raw_error, partial_cluster, \
    cancel_requested, lease_holder, lease_expires_at, lease_attempts, dismissed_at, created_at, \
    updated_at, arm_put_at, internal_errors, not_before, owner_name, owner_role, estimate";

/// How many jobs may be in flight at once: per owner, and per subscription and resource group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlightCaps {
    pub per_owner: u32,
    pub per_scope: u32,
}

/// Reads and writes `job_state` rows.
#[derive(Debug, Clone)]
pub struct JobStateRepository {
    storage: Storage,
}

impl JobStateRepository {
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }

    pub(super) fn backend(&self) -> Backend {
        self.storage.backend
    }

    pub(super) fn pool(&self) -> &sqlx::AnyPool {
        &self.storage.pool
    }

    /// Stores a new `queued` job and returns it as stored.
    pub async fn create(&self, job: &NewJob) -> Result<JobRecord, CreateJobError> {
        self.create_capped(job, u32::MAX).await
    }

    /// The database behind the jobs (the runner's sweeps reach other tables through it).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The history of the same database.
    pub fn history(&self) -> super::HistoryRepository {
        super::HistoryRepository::new(self.storage.clone())
    }

    /// The history subject of a stored job.
    pub fn subject(job: &JobRecord) -> Subject {
        Subject::job(&job.owner_id, &job.payload, &job.id)
    }

    /// [`Self::create_within`] with a cap per owner only.
    pub async fn create_capped(
        &self,
        job: &NewJob,
        max_in_flight: u32,
    ) -> Result<JobRecord, CreateJobError> {
        let caps = InFlightCaps {
            per_owner: max_in_flight,
            per_scope: u32::MAX,
        };
        self.create_within(job, caps, &[]).await
    }

    /// Stores a new `queued` job unless its owner already has `caps.per_owner` jobs of its type
    /// queued or running, its subscription and resource group `caps.per_scope` (whoever owns
    /// them), or a job for the same cluster is in flight (whoever owns it). The rules are
    /// decided by the database in the one `INSERT`: the counts in its `WHERE`, the cluster by the
    /// partial unique index `job_state_one_in_flight_per_cluster`.
    /// `events` (the request, a fix it was made from) are written in the same transaction as the
    /// job: both, or neither.
    pub async fn create_within(
        &self,
        job: &NewJob,
        caps: InFlightCaps,
        events: &[HistoryEvent],
    ) -> Result<JobRecord, CreateJobError> {
        let payload = to_json(&job.payload)?;
        let scope_prefix = scope_key_prefix(&job.payload);
        let sql = format!(
            "INSERT INTO job_state (id, task_id, type, status, owner_id, owner_name, owner_role, \
             cluster_key, payload, created_at, updated_at, estimate) \
             SELECT $1, $2, $3, 'queued', $4, $10, $12, $5, $6, $7, $7, $13 \
             WHERE (SELECT COUNT(*) FROM job_state \
                    WHERE owner_id = $4 AND type = $3 AND status IN ('queued', 'running')) < $8 \
               AND (SELECT COUNT(*) FROM job_state \
                    WHERE type = $3 AND status IN ('queued', 'running') \
                      AND substr(cluster_key, 1, length($9)) = $9) < $11 \
             RETURNING {COLUMNS}"
        );
        let mut tx = self
            .storage
            .pool
            .begin()
            .await
            .map_err(StorageError::from)?;
        let row = sqlx::query(&sql)
            .bind(&job.id)
            .bind(&job.task_id)
            .bind(&job.job_type)
            .bind(&job.owner_id)
            .bind(job.payload.cluster_key())
            .bind(payload)
            .bind(job.created_at)
            .bind(i64::from(caps.per_owner))
            .bind(&scope_prefix)
            .bind(&job.owner_name)
            .bind(i64::from(caps.per_scope))
            .bind(&job.owner_role)
            .bind(job.estimate.as_ref().map(serde_json::Value::to_string))
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if is_in_flight_conflict(db.as_ref()) => {
                    CreateJobError::ClusterBusy
                }
                _ => CreateJobError::Storage(e.into()),
            })?;
        if let Some(row) = row {
            let stored = job_from_row(&row)?;
            insert_events(&mut tx, self.backend(), &Self::subject(&stored), events).await?;
            tx.commit().await.map_err(StorageError::from)?;
            return Ok(stored);
        }
        drop(tx);
        // Which cap was reached: the owner's is the one a user can do something about.
        let owner_full = self
            .count_in_flight("owner_id = $2", &job.owner_id, &job.job_type)
            .await?
            >= i64::from(caps.per_owner);
        if owner_full {
            Err(CreateJobError::TooManyInFlight {
                max_in_flight: caps.per_owner,
            })
        } else {
            Err(CreateJobError::ScopeFull {
                max_in_flight: caps.per_scope,
            })
        }
    }

    async fn count_in_flight(
        &self,
        condition: &str,
        value: &str,
        job_type: &str,
    ) -> Result<i64, StorageError> {
        let sql = format!(
            "SELECT COUNT(*) FROM job_state \
             WHERE type = $1 AND status IN ('queued', 'running') AND {condition}"
        );
        Ok(sqlx::query_scalar(&sql)
            .bind(job_type)
            .bind(value)
            .fetch_one(&self.storage.pool)
            .await?)
    }

    /// How many jobs of `job_type` are queued and running (for `/metrics`): the status index
    /// reaches them without reading the finished ones, however many there are.
    pub async fn count_in_flight_by_status(
        &self,
        job_type: &str,
    ) -> Result<Vec<(String, i64)>, StorageError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM job_state \
             WHERE status IN ('queued', 'running') AND type = $1 GROUP BY status",
        )
        .bind(job_type)
        .fetch_all(&self.storage.pool)
        .await?;
        Ok(rows)
    }

    /// Every owner's provisions that are queued or running, newest first (what an admin sees).
    pub async fn in_flight_provisions_of_everyone(
        &self,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM job_state \
             WHERE type = $1 AND status IN ('queued', 'running') \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(AKS_PROVISION)
            .bind(i64::from(limit))
            .fetch_all(&self.storage.pool)
            .await?;
        Ok(readable_jobs(&rows))
    }

    /// Writes the given fields; `None` when there is no such job.
    pub async fn update(
        &self,
        job_id: &str,
        update: &JobUpdate,
    ) -> Result<Option<JobRecord>, StorageError> {
        self.write_fields(job_id, None, update).await
    }

    /// Writes the given fields only while `lease` is the job's current claim, so that a runner
    /// whose claim was superseded cannot overwrite the new holder's progress. `None` when it is
    /// not.
    pub async fn update_as_holder(
        &self,
        lease: &JobLease,
        update: &JobUpdate,
    ) -> Result<Option<JobRecord>, StorageError> {
        self.write_fields(&lease.job_id, Some(lease), update).await
    }

    /// Any job by its id, for the runner. User-facing reads go through [`Self::get_for_owner`].
    pub async fn get(&self, job_id: &str) -> Result<Option<JobRecord>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM job_state WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(job_id)
            .fetch_optional(&self.storage.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Any job by its task id, for the runner.
    pub async fn get_by_task_id(&self, task_id: &str) -> Result<Option<JobRecord>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM job_state WHERE task_id = $1");
        let row = sqlx::query(&sql)
            .bind(task_id)
            .fetch_optional(&self.storage.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// The caller's job with this task id; someone else's is `Forbidden`, an unknown one
    /// `NotFound`.
    pub async fn get_for_owner(
        &self,
        owner_id: &str,
        task_id: &str,
    ) -> Result<JobRecord, JobAccessError> {
        let sql = format!("SELECT {COLUMNS} FROM job_state WHERE task_id = $1 AND owner_id = $2");
        let row = sqlx::query(&sql)
            .bind(task_id)
            .bind(owner_id)
            .fetch_optional(&self.storage.pool)
            .await
            .map_err(StorageError::from)?;
        match row {
            Some(row) => Ok(job_from_row(&row)?),
            None => Err(self.why_not_found("task_id", task_id).await?),
        }
    }

    /// The owner's newest jobs of any type and status, newest first.
    pub async fn list_for_owner(
        &self,
        owner_id: &str,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM job_state WHERE owner_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(owner_id)
            .bind(i64::from(limit))
            .fetch_all(&self.storage.pool)
            .await?;
        Ok(readable_jobs(&rows))
    }

    /// The owner's provisions that are queued or running, newest first.
    pub async fn in_flight_provisions(
        &self,
        owner_id: &str,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM job_state \
             WHERE owner_id = $1 AND type = $2 AND status IN ('queued', 'running') \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(owner_id)
            .bind(AKS_PROVISION)
            .bind(i64::from(limit))
            .fetch_all(&self.storage.pool)
            .await?;
        Ok(readable_jobs(&rows))
    }

    /// The owner's provisions in one of `statuses` created at or after `since_ms`, not
    /// dismissed, and not superseded, newest first. A job is superseded when a newer job of the
    /// same owner and cluster succeeded (a later create — or, later, a delete — of that cluster).
    /// One query, served by the `(owner_id, type, status, created_at)` index and, for the
    /// superseded check, the `(owner_id, cluster_key, status, created_at)` index.
    pub async fn recent_failed_provisions(
        &self,
        owner_id: &str,
        statuses: &[JobStatus],
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StorageError> {
        if statuses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let sql = Self::recent_failed_provisions_sql(statuses.len());
        let mut query = sqlx::query(&sql)
            .bind(owner_id)
            .bind(AKS_PROVISION)
            .bind(since_ms)
            .bind(i64::from(limit));
        for status in statuses {
            query = query.bind(status.as_str());
        }
        let rows = query.fetch_all(&self.storage.pool).await?;
        Ok(readable_jobs(&rows))
    }

    /// The statement behind [`Self::recent_failed_provisions`], public so that the benchmark can
    /// show its plan. Binds: owner, type, window start, limit, then `status_count` statuses.
    pub fn recent_failed_provisions_sql(status_count: usize) -> String {
        let status_placeholders = (0..status_count)
            .map(|i| format!("${}", i + 5))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SELECT {COLUMNS} FROM job_state j \
             WHERE j.owner_id = $1 AND j.type = $2 AND j.status IN ({status_placeholders}) \
               AND j.created_at >= $3 AND j.dismissed_at IS NULL \
               AND (j.status <> 'cancelled' OR j.partial_cluster IS NOT NULL) \
               AND NOT EXISTS ( \
                   SELECT 1 FROM job_state s \
                   WHERE s.owner_id = j.owner_id AND s.cluster_key = j.cluster_key \
                     AND s.status = 'succeeded' AND s.created_at > j.created_at) \
             ORDER BY j.created_at DESC, j.id DESC LIMIT $4"
        )
    }

    /// Whether a provision of the same cluster (whoever made it) created after `job` succeeded:
    /// the cluster that `job` left behind has been replaced since.
    pub async fn recreated_after(&self, job: &JobRecord) -> Result<bool, StorageError> {
        let later: Option<String> = sqlx::query_scalar(
            "SELECT id FROM job_state \
             WHERE cluster_key = $1 AND status = 'succeeded' AND created_at > $2 LIMIT 1",
        )
        .bind(job.payload.cluster_key())
        .bind(job.created_at)
        .fetch_optional(&self.storage.pool)
        .await?;
        Ok(later.is_some())
    }

    /// Hides the owner's job from the recent-failures list, on every device. Dismissing twice
    /// keeps the first time.
    pub async fn dismiss(
        &self,
        owner_id: &str,
        job_id: &str,
        now_ms: i64,
        events: &[HistoryEvent],
    ) -> Result<bool, JobAccessError> {
        let sql = format!(
            "UPDATE job_state SET dismissed_at = $3, updated_at = $3 \
             WHERE id = $1 AND owner_id = $2 AND dismissed_at IS NULL RETURNING {COLUMNS}"
        );
        let params = vec![
            Param::Text(job_id.to_owned()),
            Param::Text(owner_id.to_owned()),
            Param::Int(now_ms),
        ];
        if self.change(&sql, params, events).await?.is_some() {
            return Ok(true);
        }
        let owned = sqlx::query("SELECT 1 FROM job_state WHERE id = $1 AND owner_id = $2")
            .bind(job_id)
            .bind(owner_id)
            .fetch_optional(&self.storage.pool)
            .await
            .map_err(StorageError::from)?;
        match owned {
            // Dismissed before: nothing changes.
            Some(_) => Ok(false),
            None => Err(self.why_not_found("id", job_id).await?),
        }
    }

    /// Cancels the job if it is still `queued` (no worker has it) and never sent its create to
    /// Azure, in one conditional update. `None` otherwise: a job that may have created something
    /// in Azure is stopped by a runner, which aborts there (see [`Self::request_cancel`]).
    pub async fn cancel_if_queued(
        &self,
        job_id: &str,
        now_ms: i64,
        events: &[HistoryEvent],
    ) -> Result<Option<JobRecord>, StorageError> {
        let sql = format!(
            "UPDATE job_state SET status = 'cancelled', cancel_requested = 1, \
             error_code = 'Cancelled', error_category = 'cancelled', \
             error_message = 'Provisioning was cancelled before it started.', updated_at = $2 \
             WHERE id = $1 AND status = 'queued' AND arm_put_at IS NULL RETURNING {COLUMNS}"
        );
        let params = vec![Param::Text(job_id.to_owned()), Param::Int(now_ms)];
        self.change(&sql, params, events).await
    }

    /// Asks the runner to stop the job (and abort in Azure), with `events` (the Stop and who
    /// pressed it); false when it is already finished.
    pub async fn request_cancel(
        &self,
        job_id: &str,
        events: &[HistoryEvent],
    ) -> Result<bool, StorageError> {
        let sql = format!(
            "UPDATE job_state SET cancel_requested = 1 \
             WHERE id = $1 AND status IN ('queued', 'running') RETURNING {COLUMNS}"
        );
        let changed = self
            .change(&sql, vec![Param::Text(job_id.to_owned())], events)
            .await?;
        Ok(changed.is_some())
    }

    /// Runs one `UPDATE … RETURNING` of a job and, when it changed a row, writes `events` about
    /// that job in the same transaction.
    async fn change(
        &self,
        sql: &str,
        params: Vec<Param>,
        events: &[HistoryEvent],
    ) -> Result<Option<JobRecord>, StorageError> {
        let query = bind_all(sqlx::query(sql), params);
        if events.is_empty() {
            let row = query.fetch_optional(&self.storage.pool).await?;
            return row.as_ref().map(job_from_row).transpose();
        }
        let mut tx = self.storage.pool.begin().await?;
        let Some(row) = query.fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let job = job_from_row(&row)?;
        insert_events(&mut tx, self.backend(), &Self::subject(&job), events).await?;
        tx.commit().await?;
        Ok(Some(job))
    }

    async fn write_fields(
        &self,
        job_id: &str,
        holder: Option<&JobLease>,
        update: &JobUpdate,
    ) -> Result<Option<JobRecord>, StorageError> {
        let mut sets: Vec<(&str, Param)> = vec![("updated_at", Param::Int(now_ms()))];
        let text = |v: &Option<String>| v.clone().map(Param::Text);
        let int = |v: Option<u32>| v.map(|n| Param::Int(i64::from(n)));
        let fields = [
            (
                "status",
                update.status.map(|s| Param::Text(s.as_str().to_owned())),
            ),
            ("phase", text(&update.phase)),
            ("step", int(update.step)),
            ("total_steps", int(update.total_steps)),
            (
                "progress",
                update
                    .progress
                    .as_ref()
                    .map(to_json)
                    .transpose()?
                    .map(Param::Text),
            ),
            ("error_code", text(&update.error_code)),
            ("error_message", text(&update.error_message)),
            ("error_category", text(&update.error_category)),
            ("raw_error", text(&update.raw_error)),
            (
                "partial_cluster",
                update
                    .partial_cluster
                    .as_ref()
                    .map(to_json)
                    .transpose()?
                    .map(Param::Text),
            ),
            (
                "cancel_requested",
                update.cancel_requested.map(|b| Param::Int(i64::from(b))),
            ),
            ("arm_put_at", update.arm_put_at.map(Param::Int)),
        ];
        sets.extend(
            fields
                .into_iter()
                .filter_map(|(column, value)| Some((column, value?))),
        );

        let assignments = sets
            .iter()
            .enumerate()
            .map(|(i, (column, _))| format!("{column} = ${}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let id_at = sets.len() + 1;
        let holder_clause = match holder {
            Some(_) => format!(
                " AND lease_holder = ${} AND lease_attempts = ${}",
                id_at + 1,
                id_at + 2
            ),
            None => String::new(),
        };
        let sql = format!(
            "UPDATE job_state SET {assignments} WHERE id = ${id_at}{holder_clause} \
             RETURNING {COLUMNS}"
        );
        let mut params: Vec<Param> = sets.into_iter().map(|(_, value)| value).collect();
        params.push(Param::Text(job_id.to_owned()));
        if let Some(lease) = holder {
            params.push(Param::Text(lease.holder.clone()));
            params.push(Param::Int(i64::from(lease.attempt)));
        }
        self.change(&sql, params, &update.history).await
    }

    /// After an owner-scoped statement matched nothing: was the job someone else's, or absent?
    async fn why_not_found(
        &self,
        column: &str,
        value: &str,
    ) -> Result<JobAccessError, StorageError> {
        let sql = format!("SELECT id FROM job_state WHERE {column} = $1");
        let exists: Option<String> = sqlx::query_scalar(&sql)
            .bind(value)
            .fetch_optional(&self.storage.pool)
            .await?;
        Ok(match exists {
            Some(_) => JobAccessError::Forbidden,
            None => JobAccessError::NotFound,
        })
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(format!("job JSON: {e}")))
}

pub(super) fn column<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, StorageError>
where
    T: Decode<'r, Any> + Type<Any>,
{
    row.try_get(name)
        .map_err(|e| StorageError::Corrupt(format!("job_state.{name}: {e}")))
}

fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    name: &str,
) -> Result<Option<T>, StorageError> {
    let text: Option<String> = column(row, name)?;
    text.map(|text| {
        serde_json::from_str(&text)
            .map_err(|e| StorageError::Corrupt(format!("job_state.{name}: {e}")))
    })
    .transpose()
}

pub(super) fn count_column(row: &AnyRow, name: &str) -> Result<u32, StorageError> {
    let n: i64 = column(row, name)?;
    u32::try_from(n).map_err(|_| StorageError::Corrupt(format!("job_state.{name}: {n}")))
}

/// The rows that can be read; one that cannot (a bad migration, a hand edit) is logged and
/// skipped, so that it cannot break its owner's lists.
fn readable_jobs(rows: &[AnyRow]) -> Vec<JobRecord> {
    rows.iter()
        .filter_map(|row| match job_from_row(row) {
            Ok(job) => Some(job),
            Err(err) => {
                let id: String = row.try_get("id").unwrap_or_default();
                tracing::warn!(job_id = %id, error = %err, "skipping a job row that cannot be read");
                None
            }
        })
        .collect()
}

/// A unique violation of the one-in-flight-job-per-cluster index (its name on PostgreSQL, the
/// column on SQLite).
fn is_in_flight_conflict(err: &dyn sqlx::error::DatabaseError) -> bool {
    err.kind() == sqlx::error::ErrorKind::UniqueViolation
        && (err.constraint() == Some("job_state_one_in_flight_per_cluster")
            || err.message().contains("cluster_key"))
}

/// The start of the `cluster_key` of every cluster in a job's subscription and resource group
/// (`sub/group/`, lower case as `cluster_key` is).
fn scope_key_prefix(payload: &ClusterContext) -> String {
    format!(
        "{}/{}/",
        payload.subscription_id.to_ascii_lowercase(),
        payload.resource_group.to_ascii_lowercase()
    )
}

pub(super) fn job_from_row(row: &AnyRow) -> Result<JobRecord, StorageError> {
    let status: String = column(row, "status")?;
    let cancel_requested: i64 = column(row, "cancel_requested")?;
    Ok(JobRecord {
        id: column(row, "id")?,
        task_id: column(row, "task_id")?,
        job_type: column(row, "type")?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| StorageError::Corrupt(format!("job_state.status: {status}")))?,
        phase: column(row, "phase")?,
        step: count_column(row, "step")?,
        total_steps: count_column(row, "total_steps")?,
        owner_id: column(row, "owner_id")?,
        owner_name: column(row, "owner_name")?,
        owner_role: column(row, "owner_role")?,
        payload: json_column(row, "payload")?
            .ok_or_else(|| StorageError::Corrupt("job_state.payload: NULL".to_owned()))?,
        progress: json_column(row, "progress")?.unwrap_or(serde_json::Value::Null),
        error_code: column(row, "error_code")?,
        error_message: column(row, "error_message")?,
        error_category: column(row, "error_category")?,
        raw_error: column(row, "raw_error")?,
        partial_cluster: json_column(row, "partial_cluster")?,
        cancel_requested: cancel_requested != 0,
        lease_holder: column(row, "lease_holder")?,
        lease_expires_at: column(row, "lease_expires_at")?,
        lease_attempts: count_column(row, "lease_attempts")?,
        dismissed_at: column(row, "dismissed_at")?,
        created_at: column(row, "created_at")?,
        updated_at: column(row, "updated_at")?,
        arm_put_at: column(row, "arm_put_at")?,
        internal_errors: count_column(row, "internal_errors")?,
        not_before: column(row, "not_before")?,
        // An estimate that cannot be read is only lost, not a broken job.
        estimate: column::<Option<String>>(row, "estimate")?
            .and_then(|text| serde_json::from_str(&text).ok()),
    })
}
