//! The `approvals` table: creates that wait for an admin (issue 39). A request is decided at
//! most once: every decision is one `UPDATE … WHERE status = 'pending'` that answers the row it
//! changed, so of two admins pressing Approve at once one changes it and the other gets nothing.
//! An approval and the job it queues are one transaction, as are every change and its history
//! entries.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::history::{HistoryEvent, Subject, insert_events};
use super::jobs::{CreateJobError, InFlightCaps, JobRecord, JobStateRepository, NewJob};
use super::{Actor, StorageError};
use crate::domain::approval::{Approval, ApprovalEstimate, ApprovalStatus};
use crate::domain::{PriceEstimate, ProvisionRequest};

const COLUMNS: &str = "id, status, owner_id, owner_name, owner_role, subscription_id, \
    resource_group, cluster_key, request, reason, estimate, currency, created_at, expires_at, \
    decided_by, decided_by_name, decided_at, note, job_id, task_id";

/// Most rows a list reads (the queue, a requester's own).
const LIST_MAX: i64 = 200;

/// One stored request awaiting (or past) approval.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRecord {
    pub id: String,
    pub status: ApprovalStatus,
    pub owner_id: String,
    pub owner_name: String,
    pub owner_role: String,
    pub request: ProvisionRequest,
    pub reason: String,
    pub estimate: Option<PriceEstimate>,
    pub currency: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub decided_by: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub note: Option<String>,
    pub job_id: Option<String>,
    pub task_id: Option<String>,
}

impl ApprovalRecord {
    /// A new pending request of `owner`, asked at `now`, that expires at `expires_at`.
    #[allow(clippy::too_many_arguments)]
    pub fn pending(
        owner: &Actor,
        owner_role: &str,
        request: ProvisionRequest,
        reason: String,
        estimate: Option<PriceEstimate>,
        currency: &str,
        now: i64,
        expires_at: i64,
    ) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            status: ApprovalStatus::Pending,
            owner_id: owner.id.clone(),
            owner_name: owner.name.clone().unwrap_or_else(|| owner.id.clone()),
            owner_role: owner_role.to_owned(),
            request,
            reason,
            estimate,
            currency: currency.to_owned(),
            created_at: now,
            expires_at,
            decided_by: None,
            decided_by_name: None,
            decided_at: None,
            note: None,
            job_id: None,
            task_id: None,
        }
    }

    /// The history subject: the requester's create of this cluster.
    pub fn subject(&self) -> Subject {
        Subject::request(&self.owner_id, &self.request)
    }

    /// Whether it still waits at `now` (a pending one past its time has expired, swept or not).
    pub fn is_pending_at(&self, now: i64) -> bool {
        self.status == ApprovalStatus::Pending && self.expires_at > now
    }

    /// As the API shows it to a caller who may (or may not) decide or withdraw it.
    pub fn to_api(&self, now: i64, may_decide: bool, may_withdraw: bool) -> Approval {
        let pending = self.is_pending_at(now);
        let status = if self.status == ApprovalStatus::Pending && !pending {
            ApprovalStatus::Expired
        } else {
            self.status
        };
        Approval {
            id: self.id.clone(),
            status,
            cluster_name: self.request.cluster_name.clone(),
            subscription_id: self.request.subscription_id.clone(),
            resource_group: self.request.resource_group.clone(),
            requester: self.owner_id.clone(),
            requester_name: self.owner_name.clone(),
            estimate: self.estimate.as_ref().map(|e| ApprovalEstimate {
                currency: e.currency.clone(),
                monthly: e.monthly,
            }),
            reason: self.reason.clone(),
            note: self.note.clone(),
            decided_by: self.decided_by_name.clone().or(self.decided_by.clone()),
            decided_at: self.decided_at,
            created_at: self.created_at,
            expires_at: self.expires_at,
            task_id: self.task_id.clone(),
            job_id: self.job_id.clone(),
            request: self.request.clone(),
            may_decide: pending && may_decide,
            may_withdraw: pending && may_withdraw,
        }
    }
}

fn corrupt(name: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("approvals.{name}: {e}"))
}

fn text(row: &AnyRow, name: &str) -> Result<String, StorageError> {
    row.try_get(name).map_err(|e| corrupt(name, e))
}

fn maybe_text(row: &AnyRow, name: &str) -> Result<Option<String>, StorageError> {
    row.try_get(name).map_err(|e| corrupt(name, e))
}

fn from_row(row: &AnyRow) -> Result<ApprovalRecord, StorageError> {
    let status = text(row, "status")?;
    let request = text(row, "request")?;
    Ok(ApprovalRecord {
        id: text(row, "id")?,
        status: ApprovalStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        owner_id: text(row, "owner_id")?,
        owner_name: text(row, "owner_name")?,
        owner_role: text(row, "owner_role")?,
        request: serde_json::from_str(&request).map_err(|e| corrupt("request", e))?,
        reason: text(row, "reason")?,
        // An estimate that cannot be read is absent ("no estimate"), not a broken request.
        estimate: maybe_text(row, "estimate")?.and_then(|t| serde_json::from_str(&t).ok()),
        currency: text(row, "currency")?,
        created_at: row
            .try_get("created_at")
            .map_err(|e| corrupt("created_at", e))?,
        expires_at: row
            .try_get("expires_at")
            .map_err(|e| corrupt("expires_at", e))?,
        decided_by: maybe_text(row, "decided_by")?,
        decided_by_name: maybe_text(row, "decided_by_name")?,
        decided_at: row
            .try_get("decided_at")
            .map_err(|e| corrupt("decided_at", e))?,
        note: maybe_text(row, "note")?,
        job_id: maybe_text(row, "job_id")?,
        task_id: maybe_text(row, "task_id")?,
    })
}

fn readable(rows: &[AnyRow]) -> Vec<ApprovalRecord> {
    rows.iter()
        .filter_map(|row| match from_row(row) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!(error = %e, "skipping an approval row that cannot be read");
                None
            }
        })
        .collect()
}

/// Why a request could not be stored or decided.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalWriteError {
    /// A request for the same cluster already awaits approval.
    #[error("a request for this cluster already awaits approval")]
    AlreadyPending,
    /// It was decided (or expired, or withdrawn) before this decision.
    #[error("the request no longer awaits approval")]
    NotPending,
    /// The approved create could not be queued (nothing was changed).
    #[error(transparent)]
    Job(CreateJobError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for ApprovalWriteError {
    fn from(e: sqlx::Error) -> Self {
        Self::Storage(e.into())
    }
}

/// A decision that is not an approval.
pub struct Decision<'a> {
    pub to: ApprovalStatus,
    pub by: &'a Actor,
    pub note: Option<&'a str>,
    pub at: i64,
    /// Only the requester may make it (a withdrawal).
    pub only_owner: Option<&'a str>,
}

/// Reads and writes `approvals` rows.
#[derive(Debug, Clone)]
pub struct ApprovalRepository {
    jobs: JobStateRepository,
}

impl ApprovalRepository {
    pub fn new(jobs: JobStateRepository) -> Self {
        Self { jobs }
    }

    fn pool(&self) -> &sqlx::AnyPool {
        &self.jobs.storage().pool
    }

    /// Stores a pending request with its history entries (both, or neither).
    pub async fn insert(
        &self,
        a: &ApprovalRecord,
        events: &[HistoryEvent],
    ) -> Result<(), ApprovalWriteError> {
        let mut tx = self.pool().begin().await?;
        let estimate = a
            .estimate
            .as_ref()
            .and_then(|e| serde_json::to_string(e).ok());
        let request = serde_json::to_string(&a.request).map_err(|e| corrupt("request", e))?;
        let inserted = sqlx::query(
            "INSERT INTO approvals (id, status, owner_id, owner_name, owner_role, \
             subscription_id, resource_group, cluster_key, request, reason, estimate, currency, \
             created_at, expires_at) \
             VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&a.id)
        .bind(&a.owner_id)
        .bind(&a.owner_name)
        .bind(&a.owner_role)
        .bind(&a.request.subscription_id)
        .bind(&a.request.resource_group)
        .bind(a.request.cluster_key())
        .bind(request)
        .bind(&a.reason)
        .bind(estimate)
        .bind(&a.currency)
        .bind(a.created_at)
        .bind(a.expires_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(db))
                if db.kind() == sqlx::error::ErrorKind::UniqueViolation =>
            {
                return Err(ApprovalWriteError::AlreadyPending);
            }
            Err(e) => return Err(e.into()),
        }
        insert_events(&mut tx, self.jobs.storage().backend, &a.subject(), events).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<ApprovalRecord>, StorageError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM approvals WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every request still pending at `now`, oldest first.
    pub async fn pending(&self, now: i64) -> Result<Vec<ApprovalRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM approvals WHERE status = 'pending' AND expires_at > $1 \
             ORDER BY created_at, id LIMIT $2"
        ))
        .bind(now)
        .bind(LIST_MAX)
        .fetch_all(self.pool())
        .await?;
        Ok(readable(&rows))
    }

    /// `owner`'s requests made since `since`, newest first.
    pub async fn owned(
        &self,
        owner: &str,
        since: i64,
    ) -> Result<Vec<ApprovalRecord>, StorageError> {
        self.whose("owner_id", "created_at", owner, since).await
    }

    /// The requests `admin` decided since `since`, newest first.
    pub async fn decided_by(
        &self,
        admin: &str,
        since: i64,
    ) -> Result<Vec<ApprovalRecord>, StorageError> {
        self.whose("decided_by", "decided_at", admin, since).await
    }

    /// The rows whose `who` column is `user` and `when` column is `since` or later, newest first
    /// (both columns are named here, never by a caller).
    async fn whose(
        &self,
        who: &'static str,
        when: &'static str,
        user: &str,
        since: i64,
    ) -> Result<Vec<ApprovalRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM approvals WHERE {who} = $1 AND {when} >= $2 \
             ORDER BY {when} DESC, id DESC LIMIT $3"
        ))
        .bind(user)
        .bind(since)
        .bind(LIST_MAX)
        .fetch_all(self.pool())
        .await?;
        Ok(readable(&rows))
    }

    /// Denies or withdraws a pending request, with `events`; the row as changed, or
    /// [`ApprovalWriteError::NotPending`].
    pub async fn decide(
        &self,
        id: &str,
        d: Decision<'_>,
        events: &[HistoryEvent],
    ) -> Result<ApprovalRecord, ApprovalWriteError> {
        let mut tx = self.pool().begin().await?;
        let owner_rule = if d.only_owner.is_some() {
            " AND owner_id = $7"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE approvals SET status = $1, decided_by = $2, decided_by_name = $3, \
             decided_at = $4, note = $5 \
             WHERE id = $6 AND status = 'pending' AND expires_at > $4{owner_rule} \
             RETURNING {COLUMNS}"
        );
        let mut query = sqlx::query(&sql)
            .bind(d.to.as_str())
            .bind(&d.by.id)
            .bind(d.by.name.clone())
            .bind(d.at)
            .bind(d.note.map(str::to_owned))
            .bind(id);
        if let Some(owner) = d.only_owner {
            query = query.bind(owner);
        }
        let row = query.fetch_optional(&mut *tx).await?;
        let Some(row) = row else {
            return Err(ApprovalWriteError::NotPending);
        };
        let decided = from_row(&row)?;
        insert_events(
            &mut tx,
            self.jobs.storage().backend,
            &decided.subject(),
            events,
        )
        .await?;
        tx.commit().await?;
        Ok(decided)
    }

    /// Approves a pending request and queues its create in one transaction: the approval and
    /// the job (with `job_events`), or neither. Two approvals at once: one gets the job, the
    /// other [`ApprovalWriteError::NotPending`].
    #[allow(clippy::too_many_arguments)]
    pub async fn approve(
        &self,
        id: &str,
        by: &Actor,
        note: Option<&str>,
        at: i64,
        job: &NewJob,
        caps: InFlightCaps,
        approval_events: &[HistoryEvent],
        job_events: &[HistoryEvent],
    ) -> Result<(ApprovalRecord, JobRecord), ApprovalWriteError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE approvals SET status = 'approved', decided_by = $1, decided_by_name = $2, \
             decided_at = $3, note = $4, job_id = $5, task_id = $6 \
             WHERE id = $7 AND status = 'pending' AND expires_at > $3 RETURNING {COLUMNS}"
        ))
        .bind(&by.id)
        .bind(by.name.clone())
        .bind(at)
        .bind(note.map(str::to_owned))
        .bind(&job.id)
        .bind(&job.task_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(ApprovalWriteError::NotPending);
        };
        let approved = from_row(&row)?;
        insert_events(
            &mut tx,
            self.jobs.storage().backend,
            &Subject::job(&approved.owner_id, &approved.request, &job.id),
            approval_events,
        )
        .await?;
        let stored = match self
            .jobs
            .insert_within(&mut tx, job, caps, job_events)
            .await
        {
            Ok(Some(stored)) => stored,
            Ok(None) => {
                drop(tx);
                let cap = self.jobs.cap_reached(job, caps).await?;
                return Err(ApprovalWriteError::Job(cap));
            }
            Err(e) => return Err(ApprovalWriteError::Job(e)),
        };
        tx.commit().await?;
        Ok((approved, stored))
    }

    /// Marks every request pending past its time as expired, with an `expired` entry each; the
    /// rows it changed.
    pub async fn expire_due(
        &self,
        now: i64,
        event: impl Fn(&ApprovalRecord) -> HistoryEvent,
    ) -> Result<Vec<ApprovalRecord>, StorageError> {
        let mut tx = self.pool().begin().await?;
        let rows = sqlx::query(&format!(
            "UPDATE approvals SET status = 'expired', decided_at = $1 \
             WHERE status = 'pending' AND expires_at <= $1 RETURNING {COLUMNS}"
        ))
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let expired = readable(&rows);
        for a in &expired {
            insert_events(
                &mut tx,
                self.jobs.storage().backend,
                &a.subject(),
                &[event(a)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(expired)
    }

    /// The estimates the dashboard's creates in one scope were made with: per cluster, its
    /// newest create that is queued, running or succeeded (`cluster name`, `status`, monthly
    /// estimate; `None` where none was stored).
    pub async fn scope_creates(
        &self,
        subscription_id: &str,
        resource_group: &str,
    ) -> Result<Vec<(String, String, Option<f64>)>, StorageError> {
        let prefix = format!(
            "{}/{}/",
            subscription_id.to_ascii_lowercase(),
            resource_group.to_ascii_lowercase()
        );
        let rows = sqlx::query(
            "SELECT cluster_key, status, estimate FROM job_state \
             WHERE substr(cluster_key, 1, length($1)) = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 5000",
        )
        .bind(&prefix)
        .fetch_all(self.pool())
        .await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for row in rows {
            let key: Option<String> = row.try_get("cluster_key").unwrap_or_default();
            let Some(key) = key else { continue };
            if !seen.insert(key.clone()) {
                continue;
            }
            let status: String = row.try_get("status").unwrap_or_default();
            if !matches!(status.as_str(), "queued" | "running" | "succeeded") {
                continue;
            }
            let estimate: Option<String> = row.try_get("estimate").unwrap_or_default();
            let monthly = estimate
                .and_then(|t| serde_json::from_str::<PriceEstimate>(&t).ok())
                .map(|e| e.monthly);
            let name = key.rsplit('/').next().unwrap_or_default().to_owned();
            out.push((name, status, monthly));
        }
        Ok(out)
    }
}
