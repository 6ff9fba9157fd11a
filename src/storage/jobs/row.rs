//! One `job_state` row, read and written: the columns every statement returns, each column
//! decoded with the name of what was wrong, the progress, partial cluster and estimate read as
//! their types (an unreadable one is absent, not a broken job), and the one `SELECT` the reads
//! build on.

use serde::Serialize;
use sqlx::any::{Any, AnyRow};
use sqlx::{Decode, Row, Type};

use super::types::{ClusterContext, JobRecord, JobStatus};
use crate::domain::Progress;
use crate::storage::StorageError;

pub(crate) const COLUMNS: &str = "id, task_id, type, status, phase, step, total_steps, owner_id, payload, \
    progress, error_code, error_message, error_category, raw_error, partial_cluster, \
    cancel_requested, lease_holder, lease_expires_at, lease_attempts, dismissed_at, created_at, \
    updated_at, arm_put_at, internal_errors, not_before, owner_name, owner_role, estimate, \
    explanation";

/// `SELECT` of every column of the jobs that `rest` picks (`WHERE …`, `ORDER BY …`, `LIMIT …`).
pub(super) fn select(rest: &str) -> String {
    format!("SELECT {COLUMNS} FROM job_state {rest}")
}

/// A statement that changes jobs, answering each changed row whole.
pub(super) fn returning(statement: &str) -> String {
    format!("{statement} RETURNING {COLUMNS}")
}

/// The runner's progress: none before it wrote one (`{}`), or when it cannot be read.
fn progress_column(row: &AnyRow) -> Result<Option<Progress>, StorageError> {
    let value: Option<serde_json::Value> = json_column(row, "progress")?;
    Ok(value
        .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        .and_then(|v| serde_json::from_value(v).ok()))
}

pub(super) fn to_json<T: Serialize>(value: &T) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(format!("job JSON: {e}")))
}

pub(crate) fn column<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, StorageError>
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

pub(crate) fn count_column(row: &AnyRow, name: &str) -> Result<u32, StorageError> {
    let n: i64 = column(row, name)?;
    u32::try_from(n).map_err(|_| StorageError::Corrupt(format!("job_state.{name}: {n}")))
}

/// The rows that can be read; one that cannot (a bad migration, a hand edit) is logged and
/// skipped, so that it cannot break its owner's lists.
pub(super) fn readable_jobs(rows: &[AnyRow]) -> Vec<JobRecord> {
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
pub(super) fn is_in_flight_conflict(err: &dyn sqlx::error::DatabaseError) -> bool {
    err.kind() == sqlx::error::ErrorKind::UniqueViolation
        && (err.constraint() == Some("job_state_one_in_flight_per_cluster")
            || err.message().contains("cluster_key"))
}

/// The start of the `cluster_key` of every cluster in a job's subscription and resource group
/// (`sub/group/`, lower case as `cluster_key` is).
pub(super) fn scope_key_prefix(payload: &ClusterContext) -> String {
    format!(
        "{}/{}/",
        payload.subscription_id.to_ascii_lowercase(),
        payload.resource_group.to_ascii_lowercase()
    )
}

pub(crate) fn job_from_row(row: &AnyRow) -> Result<JobRecord, StorageError> {
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
        progress: progress_column(row)?,
        error_code: column(row, "error_code")?,
        error_message: column(row, "error_message")?,
        error_category: column(row, "error_category")?,
        raw_error: column(row, "raw_error")?,
        // A partial cluster of another shape (an older version's) is not one this job knows.
        partial_cluster: json_column::<serde_json::Value>(row, "partial_cluster")?
            .and_then(|value| serde_json::from_value(value).ok()),
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
        // Likewise an explanation: the view classifies the job again.
        explanation: column::<Option<String>>(row, "explanation")?
            .and_then(|text| serde_json::from_str(&text).ok()),
    })
}
