//! `GET /api/aks/recent-failed-provisions` and Dismiss: the caller's failures as the page shows
//! them.

use crate::api_error::ApiError;
use crate::clock::now_ms;
use crate::domain::*;
use crate::identity::{Caller, Role};
use crate::services::leftovers::delete_blocked_now;
use crate::services::{actor, dismiss_for, history, job_fixes};
use crate::state::AppState;
use crate::storage::jobs::JobRecord;

/// Bounds of `GET /api/aks/recent-failed-provisions`.
pub const HOURS_RANGE: (u32, u32) = (1, 168);
pub const LIMIT_RANGE: (u32, u32) = (1, 20);
const DEFAULT_HOURS: u32 = 24;
const DEFAULT_LIMIT: u32 = 10;

fn bounded(
    name: &str,
    value: Option<u32>,
    default: u32,
    (lo, hi): (u32, u32),
) -> Result<u32, ApiError> {
    let v = value.unwrap_or(default);
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        let mut fields = std::collections::BTreeMap::new();
        fields.insert(name.to_owned(), format!("Must be between {lo} and {hi}."));
        let mut err = ApiError::invalid_fields(fields);
        err.message = format!("{name} must be between {lo} and {hi}.");
        Err(err)
    }
}

/// A failed job row as the recent-failures API shows it.
pub fn failed_view(job: &JobRecord) -> FailedProvision {
    let mut view = FailedProvision {
        job_id: job.id.clone(),
        task_id: job.task_id.clone(),
        status: job.status,
        phase: job.phase.clone(),
        error_code: job.error_code.clone(),
        error_message: job.error_message.clone(),
        category: job.error_category.clone(),
        cluster_name: job.payload.cluster_name.clone(),
        region: job.payload.region.clone(),
        resource_group: job.payload.resource_group.clone(),
        subscription_id: job.payload.subscription_id.clone(),
        portal_url: job.portal_url().map(str::to_owned),
        partial_cluster: job.partial_cluster.clone(),
        created_at: job.created_at,
        updated_at: job.updated_at,
        request: Some(job.payload.clone()),
        raw_error: job.raw_error.as_deref().map(raw_for_people),
        delete_blocked: None,
        fixes: vec![],
        explanation: None,
        estimate: job.estimate.clone(),
        timeline: Vec::new(),
    };
    view.explanation = Some(
        job.explanation
            .clone()
            // Classified here only for a job that ended without one: before explanations were
            // stored, or given up after crashes.
            .unwrap_or_else(|| crate::domain::classify::explain_failure(&view)),
    );
    view
}

/// Azure's raw answer as "Show raw Azure response" shows it: pretty JSON when it is JSON. Laid
/// out here, as the failure's explanation is, so the browser carries no JSON re-writer.
pub fn raw_for_people(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| raw.to_owned())
}

/// `GET /api/aks/recent-failed-provisions`: a storage failure is `degraded`, never an error.
pub async fn recent_failures(
    state: &AppState,
    caller: &Caller,
    hours: Option<u32>,
    limit: Option<u32>,
) -> Result<RecentFailures, ApiError> {
    let hours = bounded("hours", hours, DEFAULT_HOURS, HOURS_RANGE)?;
    let limit = bounded("limit", limit, DEFAULT_LIMIT, LIMIT_RANGE)?;
    let since = now_ms() - i64::from(hours) * 3_600_000;
    match state
        .jobs
        .recent_failed_provisions(
            &caller.id,
            &[JobStatus::Failed, JobStatus::Cancelled],
            since,
            limit,
        )
        .await
    {
        Ok(jobs) => {
            let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
            let mut timelines = history::timelines(state, &ids).await;
            let mut views = Vec::with_capacity(jobs.len());
            for job in &jobs {
                let mut view = failed_view(job);
                view.timeline = timelines.remove(&job.id).unwrap_or_default();
                if view.partial_cluster.is_some() {
                    view.delete_blocked = delete_blocked_now(state, job).await;
                }
                if job.status == JobStatus::Failed {
                    view.fixes = job_fixes(state, job).await;
                }
                views.push(view);
            }
            Ok(RecentFailures {
                jobs: views,
                degraded: false,
            })
        }
        Err(err) => {
            tracing::warn!(error = %err, "recent failures unavailable; answering degraded");
            Ok(RecentFailures {
                jobs: vec![],
                degraded: true,
            })
        }
    }
}

/// Dismisses a failure of the caller on every device. Operators and admins only.
pub async fn dismiss(state: &AppState, caller: &Caller, job_id: &str) -> Result<(), ApiError> {
    caller.require(Role::Operator)?;
    dismiss_for(state, &caller.id, job_id, actor(caller)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_failure_bounds_name_the_bound() {
        assert_eq!(bounded("hours", None, 24, HOURS_RANGE).ok(), Some(24));
        assert_eq!(bounded("hours", Some(168), 24, HOURS_RANGE).ok(), Some(168));
        let err = bounded("hours", Some(169), 24, HOURS_RANGE).expect_err("out of range");
        assert_eq!(err.status, 400);
        assert_eq!(err.fields["hours"], "Must be between 1 and 168.");
        let err = bounded("limit", Some(0), 10, LIMIT_RANGE).expect_err("out of range");
        assert!(err.message.contains("limit must be between 1 and 20"));
    }

    #[test]
    fn azures_raw_answer_is_laid_out_for_people_when_it_is_json() {
        let laid_out = raw_for_people(r#"{"error":{"code":"X","message":"y"}}"#);
        assert!(laid_out.contains("\n  \"error\": {\n"), "{laid_out}");
        assert_eq!(raw_for_people("upstream timed out"), "upstream timed out");
    }
}
