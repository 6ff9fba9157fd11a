//! The runner's side of `job_state`: claiming jobs in batches, keeping the claims alive with one
//! statement per server, handing jobs back, and capping runs that end in internal errors.
//!
//! Every lease time is the database's clock, never a server's: two servers whose clocks disagree
//! still agree on when a lease runs out, so neither takes a job the other is working on.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{COLUMNS, JobLease, JobRecord, JobStateRepository, column, job_from_row};
use crate::domain::history::{HistoryKind, Outcome};
use crate::storage::history::{HistoryEvent, insert_events};
use crate::storage::{Backend, StorageError};

/// What a claim handed to the runner.
#[derive(Debug)]
pub enum Claimed {
    Job(Box<JobRecord>),
    /// Claimed, but the row cannot be read: the runner records an internal error for it.
    Unreadable {
        lease: JobLease,
        error: StorageError,
    },
}

/// A lease the server still holds after a renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLease {
    pub job_id: String,
    pub attempt: u32,
    pub cancel_requested: bool,
}

/// How an internal error was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalErrorOutcome {
    /// Handed back: another run takes the job up after a pause.
    Retried,
    /// Too many internal errors: the job is failed with `internal_error`.
    Failed,
    /// The claim was not ours any more; nothing was written.
    NotHeld,
}

impl JobStateRepository {
    /// "Now" in milliseconds since the epoch, on the database's clock.
    fn db_now(&self) -> &'static str {
        crate::storage::db_now_sql(self.backend())
    }

    /// A job a runner may take: queued (and past any pause after an internal error), or running
    /// under a lease that ran out (its runner crashed or lost the database).
    fn runnable(&self) -> String {
        let now = self.db_now();
        format!(
            "((status = 'queued' AND (not_before IS NULL OR not_before <= {now})) \
             OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= {now})))"
        )
    }

    /// Claims up to `limit` runnable jobs for `holder`, oldest first, each under a lease of
    /// `lease_ms` and with its claim number raised by one. Two runners never get the same job: on
    /// PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED` (other runners skip them
    /// instead of waiting); SQLite has a single writer, so the one statement is atomic.
    pub async fn claim_batch(
        &self,
        holder: &str,
        lease_ms: i64,
        limit: u32,
        now_ms: i64,
    ) -> Result<Vec<Claimed>, StorageError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE job_state SET status = 'running', \
             taken_from = CASE WHEN status = 'running' THEN lease_holder ELSE NULL END, \
             lease_holder = $1, \
             lease_expires_at = {now} + $2, lease_attempts = lease_attempts + 1, updated_at = $4 \
             WHERE id IN (SELECT id FROM job_state WHERE {runnable} \
                          ORDER BY created_at, id LIMIT $3{lock}) \
             RETURNING {COLUMNS}, taken_from",
            now = self.db_now(),
            runnable = self.runnable(),
        );
        // A job whose lease ran out under another runner is taken over: the history says so, in
        // the claim's own transaction.
        let mut tx = self.pool().begin().await?;
        let rows = sqlx::query(&sql)
            .bind(holder)
            .bind(lease_ms)
            .bind(i64::from(limit))
            .bind(now_ms)
            .fetch_all(&mut *tx)
            .await?;
        let claims: Vec<Claimed> = rows.iter().map(|row| claimed(row, holder)).collect();
        for (row, claim) in rows.iter().zip(&claims) {
            let from: Option<String> = row.try_get("taken_from").unwrap_or(None);
            if let (Some(from), Claimed::Job(job)) = (from, claim) {
                let event = HistoryEvent::system(HistoryKind::TakenOver, Outcome::Ok).details(
                    serde_json::json!({
                        "from": from,
                        "to": holder,
                        "attempt": job.lease_attempts,
                    }),
                );
                insert_events(&mut tx, self.backend(), &Self::subject(job), &[event]).await?;
            }
        }
        tx.commit().await?;
        Ok(claims)
    }

    /// Extends every lease `holder` still has, in one statement, and says which ones: a job
    /// missing from the answer is no longer the holder's (its lease ran out, or another runner
    /// took it), and its run must stop writing. Also carries each job's cancel request, so a
    /// Stop pressed on another server reaches the runner at the next renewal at the latest.
    pub async fn renew_leases(
        &self,
        holder: &str,
        lease_ms: i64,
    ) -> Result<Vec<HeldLease>, StorageError> {
        let now = self.db_now();
        let sql = format!(
            "UPDATE job_state SET lease_expires_at = {now} + $2 \
             WHERE lease_holder = $1 AND status = 'running' AND lease_expires_at > {now} \
             RETURNING id, lease_attempts, cancel_requested"
        );
        let rows = sqlx::query(&sql)
            .bind(holder)
            .bind(lease_ms)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let cancel: i64 = column(row, "cancel_requested")?;
                Ok(HeldLease {
                    job_id: column(row, "id")?,
                    attempt: super::count_column(row, "lease_attempts")?,
                    cancel_requested: cancel != 0,
                })
            })
            .collect()
    }

    /// The running jobs of `holder` whose owner asked to stop them.
    pub async fn cancel_requests(&self, holder: &str) -> Result<Vec<String>, StorageError> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM job_state \
             WHERE lease_holder = $1 AND status = 'running' AND cancel_requested = 1",
        )
        .bind(holder)
        .fetch_all(self.pool())
        .await?;
        Ok(ids)
    }

    /// Gives the job up: the lease is cleared and a job still `running` goes back to `queued`,
    /// so that the next runner takes it at once (or after `pause_ms`). False when `lease` was not
    /// the job's current claim.
    pub async fn release(
        &self,
        lease: &JobLease,
        pause_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        let sql = format!(
            "UPDATE job_state SET lease_holder = NULL, lease_expires_at = NULL, \
             status = CASE WHEN status = 'running' THEN 'queued' ELSE status END, \
             not_before = CASE WHEN $4 > 0 THEN {now} + $4 ELSE NULL END, updated_at = $5 \
             WHERE id = $1 AND lease_holder = $2 AND lease_attempts = $3",
            now = self.db_now()
        );
        let done = sqlx::query(&sql)
            .bind(&lease.job_id)
            .bind(&lease.holder)
            .bind(i64::from(lease.attempt))
            .bind(pause_ms.unwrap_or(0).max(0))
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A run of the job ended in an internal error (a panic, a row that cannot be read). The job
    /// goes back to the queue for another try after `pause_ms`, unless this was its
    /// `max_errors`-th internal error: then it ends `failed` with `internal_error` and `message`,
    /// shown to its owner like any failure.
    pub async fn record_internal_error(
        &self,
        lease: &JobLease,
        message: &str,
        max_errors: u32,
        pause_ms: i64,
        now_ms: i64,
    ) -> Result<InternalErrorOutcome, StorageError> {
        let sql = format!(
            "UPDATE job_state SET internal_errors = internal_errors + 1, \
             status = CASE WHEN internal_errors + 1 >= $4 THEN 'failed' ELSE 'queued' END, \
             error_code = CASE WHEN internal_errors + 1 >= $4 THEN '{internal_error}' \
                          ELSE error_code END, \
             error_category = CASE WHEN internal_errors + 1 >= $4 THEN 'unknown' \
                              ELSE error_category END, \
             error_message = CASE WHEN internal_errors + 1 >= $4 THEN $5 ELSE error_message END, \
             lease_holder = NULL, lease_expires_at = NULL, \
             not_before = {now} + $6, updated_at = $7 \
             WHERE id = $1 AND lease_holder = $2 AND lease_attempts = $3 AND status = 'running' \
             RETURNING status, owner_id, payload",
            now = self.db_now(),
            internal_error = crate::refusal::Refusal::InternalError.code(),
        );
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&sql)
            .bind(&lease.job_id)
            .bind(&lease.holder)
            .bind(i64::from(lease.attempt))
            .bind(i64::from(max_errors.max(1)))
            .bind(message)
            .bind(pause_ms.max(0))
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
        let status: Option<String> = row.as_ref().and_then(|r| r.try_get("status").ok());
        if let (Some("failed"), Some(row)) = (status.as_deref(), &row) {
            // The job's end, in the history too: the row may be unreadable (that can be why it
            // failed), so the scope is read only as far as it can be.
            let owner: String = row.try_get("owner_id").unwrap_or_default();
            let payload: Option<crate::domain::ProvisionRequest> = row
                .try_get::<String, _>("payload")
                .ok()
                .and_then(|p| serde_json::from_str(&p).ok());
            let subject = match &payload {
                Some(req) => crate::storage::history::Subject::job(&owner, req, &lease.job_id),
                None => crate::storage::history::Subject {
                    owner_id: owner,
                    subscription_id: String::new(),
                    resource_group: String::new(),
                    cluster_name: String::new(),
                    job_id: Some(lease.job_id.clone()),
                },
            };
            let event = HistoryEvent::system(HistoryKind::Failed, Outcome::Failed)
                .message(message)
                .details(
                    serde_json::json!({"code": crate::refusal::Refusal::InternalError.code()}),
                );
            insert_events(&mut tx, self.backend(), &subject, &[event]).await?;
        }
        tx.commit().await?;
        Ok(match status.as_deref() {
            None => InternalErrorOutcome::NotHeld,
            Some("failed") => InternalErrorOutcome::Failed,
            Some(_) => InternalErrorOutcome::Retried,
        })
    }
}

/// One claimed row, read as a job; the lease is read on its own so that a row whose other
/// columns cannot be read can still be handled under its claim.
fn claimed(row: &AnyRow, holder: &str) -> Claimed {
    match job_from_row(row) {
        Ok(job) => Claimed::Job(Box::new(job)),
        Err(error) => {
            let attempts: i64 = row.try_get("lease_attempts").unwrap_or(0);
            Claimed::Unreadable {
                lease: JobLease {
                    job_id: row.try_get("id").unwrap_or_default(),
                    holder: holder.to_owned(),
                    attempt: u32::try_from(attempts).unwrap_or(0),
                },
                error,
            }
        }
    }
}
