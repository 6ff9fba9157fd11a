//! The statements of the `job_state` table that the dashboard's routes and the runner's runs
//! use: create within the caps, read (owner-scoped, or by id for the runner), change (a
//! progress write under a claim, dismiss, cancel), each change with its history entries in the
//! same transaction. The runner's claims and leases are `leases.rs`.
//!
//! Every statement is plain SQL that SQLite and PostgreSQL both accept through sqlx's `Any`
//! driver with `$n` placeholders; the one that differs is the runner's claim.

use super::row::{
    is_in_flight_conflict, job_from_row, readable_jobs, returning, scope_key_prefix, select,
    to_json,
};
use super::types::*;
use crate::storage::history::{HistoryEvent, Subject, insert_events};
use crate::storage::{Backend, Param, Storage, StorageError, bind_all};

/// Reads and writes `job_state` rows.
#[derive(Debug, Clone)]
pub struct JobStateRepository {
    storage: Storage,
}

impl JobStateRepository {
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }

    pub(in crate::storage) fn backend(&self) -> Backend {
        self.storage.backend
    }

    pub(in crate::storage) fn pool(&self) -> &sqlx::AnyPool {
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
    pub fn history(&self) -> crate::storage::HistoryRepository {
        crate::storage::HistoryRepository::new(self.storage.clone())
    }

    /// The requests awaiting approval, in the same database.
    pub fn approvals(&self) -> crate::storage::approvals::ApprovalRepository {
        crate::storage::approvals::ApprovalRepository::new(self.clone())
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
        let mut tx = self
            .storage
            .pool
            .begin()
            .await
            .map_err(StorageError::from)?;
        if let Some(stored) = self.insert_within(&mut tx, job, caps, events).await? {
            tx.commit().await.map_err(StorageError::from)?;
            return Ok(stored);
        }
        drop(tx);
        Err(self.cap_reached(job, caps).await?)
    }

    /// The `INSERT` of [`Self::create_within`] on the caller's transaction, with `events`: the
    /// job as stored, or `None` when a cap is reached (see [`Self::cap_reached`]).
    pub(in crate::storage) async fn insert_within(
        &self,
        tx: &mut sqlx::AnyConnection,
        job: &NewJob,
        caps: InFlightCaps,
        events: &[HistoryEvent],
    ) -> Result<Option<JobRecord>, CreateJobError> {
        let payload = to_json(&job.payload)?;
        let scope_prefix = scope_key_prefix(&job.payload);
        let sql = returning(
            "INSERT INTO job_state (id, task_id, type, status, owner_id, owner_name, owner_role, \
             cluster_key, payload, created_at, updated_at, estimate) \
             SELECT $1, $2, $3, 'queued', $4, $10, $12, $5, $6, $7, $7, $13 \
             WHERE (SELECT COUNT(*) FROM job_state \
                    WHERE owner_id = $4 AND type = $3 AND status IN ('queued', 'running')) < $8 \
               AND (SELECT COUNT(*) FROM job_state \
                    WHERE type = $3 AND status IN ('queued', 'running') \
                      AND substr(cluster_key, 1, length($9)) = $9) < $11",
        );
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
            .bind(job.estimate.as_ref().map(to_json).transpose()?)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if is_in_flight_conflict(db.as_ref()) => {
                    CreateJobError::ClusterBusy
                }
                _ => CreateJobError::Storage(e.into()),
            })?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored = job_from_row(&row)?;
        insert_events(tx, self.backend(), &Self::subject(&stored), events).await?;
        Ok(Some(stored))
    }

    /// Which cap a refused [`Self::insert_within`] reached: the owner's is the one a user can do
    /// something about.
    pub(in crate::storage) async fn cap_reached(
        &self,
        job: &NewJob,
        caps: InFlightCaps,
    ) -> Result<CreateJobError, StorageError> {
        let owner_full = self
            .count_in_flight("owner_id = $2", &job.owner_id, &job.job_type)
            .await?
            >= i64::from(caps.per_owner);
        Ok(if owner_full {
            CreateJobError::TooManyInFlight {
                max_in_flight: caps.per_owner,
            }
        } else {
            CreateJobError::ScopeFull {
                max_in_flight: caps.per_scope,
            }
        })
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
        let sql = select(
            "WHERE type = $1 AND status IN ('queued', 'running') \
             ORDER BY created_at DESC, id DESC LIMIT $2",
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
        let sql = select("WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(job_id)
            .fetch_optional(&self.storage.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Any job by its task id, for the runner.
    pub async fn get_by_task_id(&self, task_id: &str) -> Result<Option<JobRecord>, StorageError> {
        let sql = select("WHERE task_id = $1");
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
        let sql = select("WHERE task_id = $1 AND owner_id = $2");
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
        let sql = select("WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
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
        let sql = select(
            "WHERE owner_id = $1 AND type = $2 AND status IN ('queued', 'running') \
             ORDER BY created_at DESC, id DESC LIMIT $3",
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
        select(&format!(
            "j \
             WHERE j.owner_id = $1 AND j.type = $2 AND j.status IN ({status_placeholders}) \
               AND j.created_at >= $3 AND j.dismissed_at IS NULL \
               AND (j.status <> 'cancelled' OR j.partial_cluster IS NOT NULL) \
               AND NOT EXISTS ( \
                   SELECT 1 FROM job_state s \
                   WHERE s.owner_id = j.owner_id AND s.cluster_key = j.cluster_key \
                     AND s.status = 'succeeded' AND s.created_at > j.created_at) \
             ORDER BY j.created_at DESC, j.id DESC LIMIT $4"
        ))
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
        let sql = returning(
            "UPDATE job_state SET dismissed_at = $3, updated_at = $3 \
             WHERE id = $1 AND owner_id = $2 AND dismissed_at IS NULL",
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
        let sql = returning(
            "UPDATE job_state SET status = 'cancelled', cancel_requested = 1, \
             error_code = 'Cancelled', error_category = 'cancelled', \
             error_message = 'Provisioning was cancelled before it started.', updated_at = $2 \
             WHERE id = $1 AND status = 'queued' AND arm_put_at IS NULL",
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
        let sql = returning(
            "UPDATE job_state SET cancel_requested = 1 \
             WHERE id = $1 AND status IN ('queued', 'running')",
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
        let mut sets: Vec<(&str, Param)> = vec![("updated_at", Param::Int(crate::clock::now_ms()))];
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
            (
                "explanation",
                update
                    .explanation
                    .as_ref()
                    .map(to_json)
                    .transpose()?
                    .map(Param::Text),
            ),
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
        let sql = returning(&format!(
            "UPDATE job_state SET {assignments} WHERE id = ${id_at}{holder_clause}"
        ));
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
