//! The tasks: `GET /api/tasks/{task_id}`, the in-flight list, and Stop (`POST /api/aks/cancel-
//! provision/{task_id}`).

use crate::api_error::ApiError;
use crate::azure::ClusterRef;
use crate::clock::now_ms;
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::*;
use crate::events::DashboardEvent;
use crate::identity::{Caller, Role};
use crate::services::failures::{failed_view, raw_for_people};
use crate::services::{actor, history, job_fixes};
use crate::state::AppState;
use crate::storage::HistoryEvent;
use crate::storage::jobs::JobRecord;

fn is_task_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

/// A job row as the task API shows it.
pub fn task_view(job: &JobRecord) -> TaskStatus {
    let error = matches!(job.status, JobStatus::Failed | JobStatus::Cancelled).then(|| {
        // The error card's words, the same as the recent failures give for this job: stored
        // as it ended, not classified again.
        let explanation = failed_view(job).explanation;
        let class = explanation.as_ref();
        TaskError {
            code: job.error_code.clone().unwrap_or_default(),
            message: job.error_message.clone().unwrap_or_default(),
            category: job.error_category.clone().unwrap_or_else(|| {
                class
                    .map_or(Category::Unknown, |c| c.category)
                    .as_str()
                    .to_owned()
            }),
            headline: class.map(|c| c.headline.clone()).unwrap_or_default(),
            raw: job.raw_error.as_deref().map(raw_for_people),
            partial_cluster: job.partial_cluster.clone(),
            fixes: vec![],
            explanation,
        }
    });
    let progress = job.progress.clone();
    let result = (job.status == JobStatus::Succeeded).then(|| TaskResult {
        cluster_name: job.payload.cluster_name.clone(),
        resource_id: ClusterRef::new(
            &job.payload.subscription_id,
            &job.payload.resource_group,
            &job.payload.cluster_name,
        )
        .resource_id(),
        portal_url: progress.as_ref().and_then(|p| p.portal_url.clone()),
    });
    TaskStatus {
        task_id: job.task_id.clone(),
        job_id: job.id.clone(),
        status: job.status,
        ready: job.status.is_finished(),
        progress,
        error,
        result,
        request: job.payload.clone(),
        created_at: job.created_at,
        updated_at: job.updated_at,
        owner_id: job.owner_id.clone(),
        owner_name: job.owner_name.clone(),
        estimate: job.estimate.clone(),
        timeline: Vec::new(),
    }
}
/// The job with this task id that the caller may see: their own, or anyone's for an admin. 404
/// for an unknown or malformed id, 403 for another user's.
async fn visible_task(
    state: &AppState,
    caller: &Caller,
    task_id: &str,
) -> Result<JobRecord, ApiError> {
    if !is_task_id(task_id) {
        return Err(ApiError::not_found("No such task."));
    }
    if caller.role.allows(Role::Admin) {
        return state
            .jobs
            .get_by_task_id(task_id)
            .await?
            .ok_or_else(|| ApiError::not_found("No such task."));
    }
    Ok(state.jobs.get_for_owner(&caller.id, task_id).await?)
}

/// `GET /api/tasks/{task_id}`.
pub async fn task_status(
    state: &AppState,
    caller: &Caller,
    task_id: &str,
) -> Result<TaskStatus, ApiError> {
    let job = visible_task(state, caller, task_id).await?;
    let mut view = task_view(&job);
    if let Some(error) = view
        .error
        .as_mut()
        .filter(|_| job.status == JobStatus::Failed)
    {
        error.fixes = job_fixes(state, &job).await;
    }
    if job.status.is_finished() {
        view.timeline = history::timelines(state, std::slice::from_ref(&job.id))
            .await
            .remove(&job.id)
            .unwrap_or_default();
    }
    Ok(view)
}

/// `POST /api/aks/cancel-provision/{task_id}`: a job that never sent its create to Azure is
/// cancelled at once; any other unfinished one (running, or queued again after a restart) is
/// stopped by a runner, which aborts the create in Azure and reads what is left; a finished one
/// is left alone. Operators stop their own; admins anyone's.
pub async fn cancel(
    state: &AppState,
    caller: &Caller,
    task_id: &str,
) -> Result<CancelOutcome, ApiError> {
    caller.require(Role::Operator)?;
    let job = visible_task(state, caller, task_id).await?;
    let previous_status = job.status;
    let outcome = |job: &JobRecord, was_running: bool| CancelOutcome {
        task_id: job.task_id.clone(),
        job_id: job.id.clone(),
        previous_status,
        was_running,
        cancelled: job.status == JobStatus::Cancelled,
        partial_cluster: job.partial_cluster.clone(),
        stopping: !job.status.is_finished() && job.cancel_requested,
    };
    if previous_status.is_finished() {
        return Ok(CancelOutcome {
            cancelled: false,
            ..outcome(&job, false)
        });
    }
    tracing::info!(job_id = %job.id, owner = %job.owner_id, by = %caller.id, status = previous_status.as_str(), "cancel requested");
    let stop = HistoryEvent::new(HistoryKind::StopRequested, Outcome::Ok, actor(caller))
        .details(serde_json::json!({ "status": previous_status.as_str() }));
    let ended = HistoryEvent::new(HistoryKind::Cancelled, Outcome::Cancelled, actor(caller))
        .message("Provisioning was cancelled before it started.");
    if let Some(cancelled) = state
        .jobs
        .cancel_if_queued(&job.id, now_ms(), &[stop.clone(), ended])
        .await?
    {
        state.events.to_user(
            &job.owner_id,
            DashboardEvent::TaskEnded {
                task_id: cancelled.task_id.clone(),
                status: JobStatus::Cancelled,
            },
        );
        return Ok(outcome(&cancelled, false));
    }
    state.jobs.request_cancel(&job.id, &[stop]).await?;
    // The runner holding the job hears it at once (here, or through the bus on another
    // server), aborts in Azure and records the end; the page learns it from the event stream
    // (`task_ended`) or the task. The answer does not wait for it.
    state.runner.cancel(&job.id);
    let current = state
        .jobs
        .get(&job.id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such task."))?;
    Ok(outcome(&current, true))
}

/// The caller's queued and running provisions; an admin's are everyone's.
pub async fn active_provisions(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<TaskStatus>, ApiError> {
    let jobs = if caller.role.allows(Role::Admin) {
        state.jobs.in_flight_provisions_of_everyone(50).await?
    } else {
        state.jobs.in_flight_provisions(&caller.id, 20).await?
    };
    Ok(jobs.iter().map(task_view).collect())
}
