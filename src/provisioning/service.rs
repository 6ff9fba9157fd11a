//! The provisioning API's behaviour, one function per route. Server functions and the axum
//! routes with path parameters both call these: one behaviour, two doors.
//!
//! Each function decides who may do it before it does anything: the role it needs
//! ([`Caller::require`], 403 `forbidden`) and, where it names a subscription and resource group,
//! whether `AZURE_SCOPES` allows it ([`Caller::require_scope`], 403 `scope_not_allowed`) — both
//! before any Azure call.

use std::time::Duration;

use crate::api_error::ApiError;
use crate::azure::{ArmError, ClusterRef, ManagedCluster, ProvisioningState, cluster_portal_url};
use crate::clock::now_ms;
use crate::domain::classify::Category;
use crate::domain::classify::{ArmErrorInfo, ClassifyContext, classify_arm_error};
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::validation::{region_error, validate_provision_request};
use crate::domain::*;
use crate::events::DashboardEvent;
use crate::identity::{Caller, Role, Scope, scope_not_allowed};
use crate::provisioning::{costs, fixes, preflight};
use crate::state::AppState;
use crate::storage::jobs::{CreateJobError, InFlightCaps, JobRecord, JobStateRepository, NewJob};
use crate::storage::{Actor, HistoryEvent, Subject};

/// Bounds of `GET /api/aks/recent-failed-provisions`.
pub const HOURS_RANGE: (u32, u32) = (1, 168);
pub const LIMIT_RANGE: (u32, u32) = (1, 20);
const DEFAULT_HOURS: u32 = 24;
const DEFAULT_LIMIT: u32 = 10;

/// Inside a server function: the app state and the caller (401 without one).
pub async fn context() -> Result<(AppState, Caller), ApiError> {
    let caller = crate::identity::require_caller().await?;
    let state = leptos::prelude::use_context::<AppState>().ok_or_else(ApiError::internal)?;
    Ok((state, caller))
}

/// Inside a server function: makes the HTTP answer carry the error's status.
pub fn respond(err: ApiError) -> ApiError {
    err.set_response_status();
    err
}

/// Inside a server function: sets a success status such as 202.
pub fn set_status(status: u16) {
    if let (Some(opts), Ok(code)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        opts.set_status(code);
    }
}

/// How long Azure may take to say whether a partial cluster can be deleted, while the recent
/// failures are listed (the delete itself checks again).
const DELETE_CHECK_WAIT: Duration = Duration::from_secs(2);

fn is_task_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

/// `POST /api/aks/provision`: validate, store the job row, and only then queue the work. A name
/// the cached cluster list already shows is refused at once (`cluster_exists`, no Azure call);
/// the job checks Azure again before it creates anything. One job per cluster in flight
/// (`cluster_busy`), a cap per user (`too_many_provisions`) and one per scope
/// (`too_many_provisions_in_scope`) are decided by the database. Operators and admins only, in
/// an allowed scope.
///
/// Every answer is in the history: the request (and the fix it was made from) in the same
/// transaction as the job, a refusal with its reason.
pub async fn provision(
    state: &AppState,
    caller: &Caller,
    req: ProvisionRequest,
    fix: Option<AppliedFix>,
) -> Result<ProvisionAccepted, ApiError> {
    match provision_or_refuse(state, caller, &req, fix.as_ref()).await {
        Ok(accepted) => Ok(accepted),
        Err((reason, err)) => {
            if let Some(reason) = reason {
                record_refusal(state, caller, &req, reason, &err).await;
            }
            Err(err)
        }
    }
}

/// Who did it, for the history.
pub fn actor(caller: &Caller) -> Actor {
    Actor::user(&caller.id, &caller.name)
}

/// A refused create in the history (`create_refused` with its reason). Not being able to write
/// it does not change the answer: nothing happened that the history would miss.
async fn record_refusal(
    state: &AppState,
    caller: &Caller,
    req: &ProvisionRequest,
    reason: &str,
    err: &ApiError,
) {
    let event = HistoryEvent::new(HistoryKind::CreateRefused, Outcome::Refused, actor(caller))
        .message(err.message.clone())
        .details(serde_json::json!({
            "reason": reason,
            "code": err.code,
            "fields": err.fields,
            "request": req,
        }));
    record_history(state, &Subject::request(&caller.id, req), &[event]).await;
}

/// An applied fix as sent by a browser: bounded, so that the history keeps what it says.
fn check_applied_fix(fix: &AppliedFix) -> Result<(), ApiError> {
    let long = |t: &str| t.chars().count() > 200;
    if fix.changes.len() > 12
        || long(&fix.label)
        || fix.from_job_id.as_deref().is_some_and(long)
        || fix
            .changes
            .iter()
            .any(|c| long(&c.field) || long(&c.from) || long(&c.to))
    {
        let mut err = ApiError::new(
            400,
            "invalid_request",
            "applied_fix is too large: at most 12 changes, each text at most 200 characters.",
        );
        err.fields.insert(
            "applied_fix".into(),
            "At most 12 changes, each text at most 200 characters.".into(),
        );
        return Err(err);
    }
    Ok(())
}

/// [`provision`], or why not: the refusal's reason for the history (none when nothing was
/// refused, e.g. the database is down) and the answer.
async fn provision_or_refuse(
    state: &AppState,
    caller: &Caller,
    req: &ProvisionRequest,
    fix: Option<&AppliedFix>,
) -> Result<ProvisionAccepted, (Option<&'static str>, ApiError)> {
    let refused = |reason: &'static str| move |err: ApiError| (Some(reason), err);
    caller.require(Role::Operator).map_err(refused("role"))?;
    let fields = validate_provision_request(req);
    if !fields.is_empty() {
        return Err((Some("validation"), ApiError::invalid_fields(fields)));
    }
    if let Some(fix) = fix {
        check_applied_fix(fix).map_err(refused("validation"))?;
    }
    caller
        .require_scope(&state.scopes, &scope_of(req))
        .map_err(refused("scope"))?;
    let req = req.clone();
    // Only what the cache already knows; Azure being slow must not slow the answer (the job
    // checks again before it creates anything).
    if let Ok(Some(existing)) = state
        .azure
        .known_cluster(
            &req.subscription_id,
            &req.resource_group,
            &req.cluster_name,
            false,
        )
        .await
    {
        return Err((Some("cluster_exists"), cluster_exists(&req, &existing)));
    }
    let job = NewJob::aks_provision(&caller.id, req.clone(), now_ms())
        .owned_by_name(&caller.name)
        .with_owner_role(caller.role.as_str())
        .with_estimate(costs::estimate_at_create(state, &req).await);
    let caps = InFlightCaps {
        per_owner: state.config.jobs.max_per_user,
        per_scope: state.config.jobs.max_per_scope,
    };
    let mut events = Vec::new();
    if let Some(fix) = fix {
        events.push(
            HistoryEvent::new(HistoryKind::FixApplied, Outcome::Ok, actor(caller))
                .message(fix.label.clone())
                .details(serde_json::json!({
                    "fix": {"kind": fix.kind, "label": fix.label},
                    "from_job_id": fix.from_job_id,
                    "changes": fix.changes,
                })),
        );
    }
    events.push(
        HistoryEvent::new(HistoryKind::CreateRequested, Outcome::Ok, actor(caller)).details(
            serde_json::json!({
                "request": req,
                "role": caller.role.as_str(),
                "estimate_monthly": job.estimate.as_ref().map(|e| e.monthly),
                "currency": job.estimate.as_ref().map(|e| &e.currency),
            }),
        ),
    );
    let stored = match state.jobs.create_within(&job, caps, &events).await {
        Ok(stored) => stored,
        Err(err) => {
            let reason = match &err {
                CreateJobError::ClusterBusy => Some("cluster_busy"),
                CreateJobError::TooManyInFlight { .. } | CreateJobError::ScopeFull { .. } => {
                    Some("cap")
                }
                CreateJobError::Storage(_) => None,
            };
            return Err((reason, err.into()));
        }
    };
    state.runner.wake();
    state.events.to_user(
        &caller.id,
        DashboardEvent::TaskProgress {
            task_id: stored.task_id.clone(),
        },
    );
    tracing::info!(job_id = %stored.id, task_id = %stored.task_id, owner = %caller.id, role = caller.role.as_str(), cluster = %req.cluster_name, region = %req.region, scope = %scope_of(&req).path(), "provision queued");
    Ok(ProvisionAccepted {
        status_url: format!("/api/tasks/{}", stored.task_id),
        job_id: stored.id,
        task_id: stored.task_id,
        status: JobStatus::Queued.as_str().to_owned(),
    })
}

/// The subscription and resource group a request works in.
fn scope_of(req: &ProvisionRequest) -> Scope {
    Scope::new(&req.subscription_id, &req.resource_group)
}

/// The scope a page or a list asks for (`subscription/group`), when the caller may use it; with
/// none asked, the caller's default one. A malformed one is 400 naming `scope`; one outside
/// `AZURE_SCOPES` for the caller's role is 403 `scope_not_allowed`.
pub fn asked_scope(
    state: &AppState,
    caller: &Caller,
    asked: Option<&str>,
) -> Result<Scope, ApiError> {
    match asked.map(str::trim).filter(|a| !a.is_empty()) {
        Some(text) => {
            let scope = Scope::read(text).map_err(|rule| {
                let fields = std::collections::BTreeMap::from([("scope".to_owned(), rule)]);
                ApiError::invalid_fields(fields)
            })?;
            caller.require_scope(&state.scopes, &scope)?;
            Ok(scope)
        }
        None => state.scopes.default_for(caller.role).ok_or_else(|| {
            ApiError::forbidden(
                "No subscription and resource group of this dashboard is open to your role.",
            )
        }),
    }
}

/// The cluster named `name` in a list, ignoring case (Azure's names are case-insensitive).
fn find_cluster<'a>(list: &'a [ManagedCluster], name: &str) -> Option<&'a ManagedCluster> {
    list.iter().find(|c| {
        c.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// 409 `cluster_exists`: the dashboard never changes a cluster it did not create.
fn cluster_exists(req: &ProvisionRequest, existing: &ManagedCluster) -> ApiError {
    let state = existing
        .provisioning_state()
        .map_or("unknown state", |s| s.as_str());
    let mut err = ApiError::new(
        409,
        "cluster_exists",
        format!(
            "A cluster named {} already exists in {} ({state}). Choose another name: the \
             dashboard never changes a cluster it did not create.",
            req.cluster_name, req.resource_group
        ),
    );
    err.fields.insert(
        "cluster_name".into(),
        format!(
            "A cluster with this name already exists in {}.",
            req.resource_group
        ),
    );
    err
}

/// The ARM error stored on a job row, with the nested details from its raw body when present.
fn stored_error_info(job: &JobRecord) -> ArmErrorInfo {
    crate::domain::classify::recorded_arm_error(
        job.error_code.as_deref(),
        job.error_message.as_deref(),
        job.raw_error.as_deref(),
    )
}

fn classify_job(job: &JobRecord) -> crate::domain::classify::Classification {
    let ctx = ClassifyContext::for_request(&job.payload);
    classify_arm_error(&stored_error_info(job), &ctx)
}

/// A job row as the task API shows it.
pub fn task_view(job: &JobRecord) -> TaskStatus {
    let error = matches!(job.status, JobStatus::Failed | JobStatus::Cancelled).then(|| {
        let class = classify_job(job);
        TaskError {
            code: job.error_code.clone().unwrap_or_default(),
            message: job.error_message.clone().unwrap_or_default(),
            category: job
                .error_category
                .clone()
                .unwrap_or_else(|| class.category.as_str().to_owned()),
            headline: class.headline,
            raw: job.raw_error.as_deref().map(raw_for_people),
            partial_cluster: job.partial_cluster.clone(),
            fixes: vec![],
            // The error card's words, the same as the recent failures give for this job.
            explanation: failed_view(job).explanation,
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

/// The estimate a job was made with, as the API shows it.
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
        view.timeline = super::history::timelines(state, std::slice::from_ref(&job.id))
            .await
            .remove(&job.id)
            .unwrap_or_default();
    }
    Ok(view)
}

/// The one-click fixes of a failed job, from the cached Azure data.
async fn job_fixes(state: &AppState, job: &JobRecord) -> Vec<Fix> {
    let category = classify_job(job).category;
    let mut found = fixes::fixes_for(
        &state.azure,
        &job.payload,
        category,
        &state.config.portal(),
        &state.config.tenant_id,
    )
    .await;
    if found.iter().any(|f| f.request.is_some())
        && let Ok(before) = costs::estimate(state, &job.payload).await
    {
        costs::price_fixes(state, &before, &mut found).await;
    }
    found
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
    view.explanation = Some(crate::domain::classify::explain_failure(&view));
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
            let mut timelines = super::history::timelines(state, &ids).await;
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

/// Dismisses a failure of `owner` on every device.
/// A failure dismissed before changes nothing and tells no page (a loop of dismisses must not
/// flood the event bus everyone shares).
async fn dismiss_for(
    state: &AppState,
    owner: &str,
    job_id: &str,
    by: Actor,
) -> Result<(), ApiError> {
    let event = HistoryEvent::new(HistoryKind::Dismissed, Outcome::Ok, by);
    if !state
        .jobs
        .dismiss(owner, job_id, now_ms(), &[event])
        .await?
    {
        return Ok(());
    }
    tracing::info!(%job_id, %owner, "failure dismissed");
    state.events.to_user(
        owner,
        DashboardEvent::FailureDismissed {
            job_id: job_id.to_owned(),
        },
    );
    Ok(())
}

/// Whether the partial cluster a job left may be deleted from the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteVerdict {
    Allowed,
    /// Azure has no cluster of that name any more.
    Gone,
    /// Not this job's to delete: a code and a sentence that says why.
    Blocked(&'static str, String),
}

/// The delete guard: only a cluster this job created (its tag), left `Failed`/`Canceled` (or
/// still `Creating` after an abort), and not created again since by a later provision.
pub fn delete_verdict(
    job: &JobRecord,
    cluster: Option<&ManagedCluster>,
    recreated_later: bool,
) -> DeleteVerdict {
    let name = &job.payload.cluster_name;
    let Some(partial) = job
        .partial_cluster
        .as_ref()
        .filter(|_| job.status.is_finished())
    else {
        return DeleteVerdict::Blocked(
            "no_partial_cluster",
            "This provision left no cluster to delete.".into(),
        );
    };
    if recreated_later {
        return DeleteVerdict::Blocked(
            "cluster_recreated",
            format!(
                "{name} was created again by a later provision, so it is not this attempt's \
                 leftover any more. Delete it in the Azure portal if you mean to."
            ),
        );
    }
    let Some(cluster) = cluster else {
        return DeleteVerdict::Gone;
    };
    if !cluster.created_by_job(&job.id) {
        return DeleteVerdict::Blocked(
            "not_created_by_this_job",
            format!(
                "The cluster named {name} in Azure was not created by this provision (it lacks \
                 this provision's tag), so the dashboard will not delete it."
            ),
        );
    }
    let state = cluster.provisioning_state().cloned();
    let deletable = match &state {
        Some(ProvisioningState::Failed | ProvisioningState::Canceled) => true,
        Some(ProvisioningState::Creating | ProvisioningState::Other(_)) => partial.abort_requested,
        _ => false,
    };
    if deletable {
        DeleteVerdict::Allowed
    } else {
        let state = state.as_ref().map_or("in an unknown state", |s| s.as_str());
        DeleteVerdict::Blocked(
            "cluster_not_partial",
            format!(
                "{name} is {state} in Azure, not a leftover of a stopped or failed create. \
                 Delete it in the Azure portal if you no longer need it."
            ),
        )
    }
}

/// The delete verdict from what is known without waiting long: the cached cluster list of the
/// job's resource group. `None` (offer the action) when Azure cannot be read in time; the delete
/// itself checks again.
async fn delete_blocked_now(state: &AppState, job: &JobRecord) -> Option<String> {
    let (sub, rg) = (&job.payload.subscription_id, &job.payload.resource_group);
    let lookup = async {
        let recreated = state.jobs.recreated_after(job).await.ok()?;
        let list = state.azure.clusters(sub, rg).await.ok()?;
        let cluster = find_cluster(&list, &job.payload.cluster_name);
        Some(delete_verdict(job, cluster, recreated))
    };
    match tokio::time::timeout(DELETE_CHECK_WAIT, lookup).await {
        Ok(Some(DeleteVerdict::Blocked(_, why))) => Some(why),
        _ => None,
    }
}

/// Deletes the cluster resource a cancelled or failed job left behind, after the delete guard
/// ([`delete_verdict`]) read Azure. Operators delete what their own jobs left, admins what
/// anyone's did, and only in a scope their role may use.
pub async fn delete_partial_cluster(
    state: &AppState,
    caller: &Caller,
    job_id: &str,
) -> Result<DeletePartialOutcome, ApiError> {
    caller.require(Role::Operator)?;
    let job = match state.jobs.get(job_id).await? {
        Some(job) if caller.may_act_for(&job.owner_id) => job,
        Some(_) => {
            return Err(ApiError::forbidden(
                "This provision belongs to another user; only an Admin may delete what it left.",
            ));
        }
        None => return Err(ApiError::not_found("No such provision.")),
    };
    caller.require_scope(&state.scopes, &scope_of(&job.payload))?;
    let cluster_ref = ClusterRef::new(
        &job.payload.subscription_id,
        &job.payload.resource_group,
        &job.payload.cluster_name,
    );
    let recreated = state.jobs.recreated_after(&job).await?;
    let cluster = if job.partial_cluster.clone().is_some() && !recreated {
        state
            .arm
            .get_cluster(&cluster_ref)
            .await
            .map_err(|e| arm_unavailable(&e))?
    } else {
        None
    };
    let subject = JobStateRepository::subject(&job);
    let resource_id = cluster_ref.resource_id();
    let requested =
        |outcome: Outcome| HistoryEvent::new(HistoryKind::DeleteRequested, outcome, actor(caller));
    let (status, started) = match delete_verdict(&job, cluster.as_ref(), recreated) {
        DeleteVerdict::Blocked(code, why) => {
            let event = requested(Outcome::Refused)
                .message(why.clone())
                .details(serde_json::json!({ "code": code, "resource_id": resource_id }));
            record_history(state, &subject, &[event]).await;
            return Err(ApiError::new(409, code, why));
        }
        DeleteVerdict::Gone => ("gone", None),
        DeleteVerdict::Allowed => match state.arm.delete_cluster(&cluster_ref).await {
            Ok(Some(started)) => ("deleting", Some(started)),
            Ok(None) => ("gone", None),
            Err(e) if e.is_not_found() => ("gone", None),
            Err(e) => {
                let event = requested(Outcome::Failed)
                    .message(e.to_string())
                    .details(serde_json::json!({ "resource_id": resource_id }))
                    .azure(e.azure_ids());
                record_history(state, &subject, &[event]).await;
                return Err(arm_unavailable(&e));
            }
        },
    };
    let mut events = vec![
        requested(Outcome::Ok)
            .details(serde_json::json!({ "status": status, "resource_id": resource_id }))
            .azure(
                started
                    .as_ref()
                    .map(|s| s.azure.clone())
                    .unwrap_or_default(),
            ),
    ];
    match started {
        None => events.push(
            HistoryEvent::system(HistoryKind::Deleted, Outcome::Succeeded)
                .details(serde_json::json!({ "resource_id": resource_id, "already_gone": true })),
        ),
        // The delete's end is followed by this server, and written when Azure says it.
        Some(started) => {
            tokio::spawn(follow_delete(
                state.clone(),
                subject.clone(),
                cluster_ref.clone(),
                job.payload.region.clone(),
                started,
            ));
        }
    }
    record_history(state, &subject, &events).await;
    state.azure.invalidate(
        &job.payload.subscription_id,
        &job.payload.resource_group,
        &job.payload.region,
    );
    state.events.to_everyone(DashboardEvent::ClustersChanged);
    // The leftover is handled: its failure no longer needs attention anywhere.
    if let Err(err) = dismiss_for(state, &job.owner_id, job_id, actor(caller)).await {
        tracing::warn!(%job_id, error = %err, "could not dismiss after deleting the partial cluster");
    }
    tracing::info!(%job_id, %resource_id, status, by = %caller.id, "partial cluster delete requested");
    Ok(DeletePartialOutcome {
        job_id: job.id,
        resource_id,
        status: status.to_owned(),
    })
}

/// Entries that describe no job change (a delete of what a job left): written on their own.
async fn record_history(state: &AppState, subject: &Subject, events: &[HistoryEvent]) {
    if let Err(e) = state.jobs.history().record(subject, events).await {
        tracing::warn!(error = %e, job_id = ?subject.job_id, "could not write history entries");
    }
}

/// The longest a delete of a partial cluster is followed for its `deleted` entry.
const DELETE_FOLLOW_FOR: Duration = Duration::from_secs(3_600);

/// Follows an accepted delete to Azure's end and writes it (`deleted`): the operation when
/// Azure gave one to follow, else the cluster, until it is gone.
async fn follow_delete(
    state: AppState,
    subject: Subject,
    cluster: ClusterRef,
    region: String,
    started: crate::azure::OperationStarted<()>,
) {
    let ended: Result<(), String> = match started.status_url() {
        Some(url) => match state.arm.wait_for_operation(url, DELETE_FOLLOW_FOR).await {
            Ok(status) => status.into_result().map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(format!("Azure did not confirm the delete: {e}")),
        },
        None => {
            let until = tokio::time::Instant::now() + DELETE_FOLLOW_FOR;
            loop {
                match state.arm.get_cluster(&cluster).await {
                    Ok(None) => break Ok(()),
                    _ if tokio::time::Instant::now() > until => {
                        break Err("Azure did not confirm the delete within an hour.".into());
                    }
                    _ => tokio::time::sleep(Duration::from_secs(5)).await,
                }
            }
        }
    };
    let event = match &ended {
        Ok(()) => HistoryEvent::system(HistoryKind::Deleted, Outcome::Succeeded),
        Err(why) => {
            HistoryEvent::system(HistoryKind::Deleted, Outcome::Failed).message(why.clone())
        }
    }
    .details(serde_json::json!({ "resource_id": cluster.resource_id() }))
    .azure(started.azure.clone());
    tracing::info!(resource_id = %cluster.resource_id(), ok = ended.is_ok(), "partial cluster delete ended");
    record_history(&state, &subject, &[event]).await;
    state
        .azure
        .invalidate(&cluster.subscription_id, &cluster.resource_group, &region);
    state.events.to_everyone(DashboardEvent::ClustersChanged);
}

fn arm_unavailable(err: &ArmError) -> ApiError {
    tracing::warn!(error = %err, "Azure call failed");
    let info = ArmErrorInfo {
        status: err.status(),
        code: err.code().unwrap_or("AzureUnavailable").to_owned(),
        message: err.message(),
        details: vec![],
    };
    let class = classify_arm_error(&info, &ClassifyContext::default());
    let mut api = ApiError::new(
        502,
        format!("azure_{}", class.category.as_str()),
        class.headline,
    );
    api.retryable = Some(err.is_retryable());
    api
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

/// The clusters of the scope asked for (see [`asked_scope`]); Azure being unreachable is
/// reported, not an error.
pub async fn list_clusters(
    state: &AppState,
    caller: &Caller,
    asked: Option<&str>,
) -> Result<ClusterList, ApiError> {
    let scope = asked_scope(state, caller, asked)?;
    let (sub, rg) = (scope.subscription_id, scope.resource_group);
    // A list nobody has cached asks Azure on the dashboard's identity: counted per user.
    if state.azure.cached_clusters(&sub, &rg).is_none() {
        state.limits.check_read(&caller.id)?;
    }
    let mut list = ClusterList {
        subscription_id: sub.clone(),
        resource_group: rg.clone(),
        clusters: vec![],
        error: None,
    };
    match state.azure.clusters(&sub, &rg).await {
        Ok(clusters) => {
            list.clusters = clusters
                .iter()
                .map(|c| {
                    let name = c.name.clone().unwrap_or_default();
                    let cref = ClusterRef::new(&sub, &rg, &name);
                    ClusterSummary {
                        portal_url: cluster_portal_url(
                            &state.config.portal(),
                            &state.config.tenant_id,
                            &cref,
                        ),
                        region: c.location.clone(),
                        kubernetes_version: c.properties.kubernetes_version.clone(),
                        provisioning_state: c
                            .provisioning_state()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_else(|| "Unknown".into()),
                        pools: c
                            .properties
                            .agent_pool_profiles
                            .iter()
                            .map(crate::azure::AgentPoolProfile::progress)
                            .collect(),
                        name,
                    }
                })
                .collect();
            list.clusters.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Err(err) => {
            tracing::warn!(error = %err, %sub, %rg, "cannot list clusters");
            let (said, _) = preflight::azure_reason(&err);
            list.error = Some(format!("Could not read the clusters from Azure: {said}."));
        }
    }
    Ok(list)
}

/// `POST /api/aks/preflight`. With a cluster name, the `name` check says whether it is taken.
/// Operators and admins only, in an allowed scope: it reads Azure on the dashboard's identity.
pub async fn preflight(
    state: &AppState,
    caller: &Caller,
    req: ProvisionRequest,
) -> Result<PreflightReport, ApiError> {
    caller.require(Role::Operator)?;
    let mut fields = validate_provision_request(&req);
    fields.remove("cluster_name");
    if !fields.is_empty() {
        return Err(ApiError::invalid_fields(fields));
    }
    let scope = scope_of(&req);
    caller.require_scope(&state.scopes, &scope)?;
    let may_create_rg = state.scopes.may_create_resource_group(&scope, caller.role);
    let portal_url = crate::azure::portal::resource_overview_url(
        &state.config.portal(),
        &state.config.tenant_id,
        &format!(
            "/subscriptions/{}/resourceGroups/{}",
            req.subscription_id, req.resource_group
        ),
    );
    // The request's estimate, read once: the cost row and every fix's difference use it.
    let (mut report, estimate) = tokio::join!(
        preflight::run_preflight(&state.azure, &req, portal_url, may_create_rg),
        costs::estimate(state, &req),
    );
    // A failing check offers the changes that would pass it.
    for check in report
        .checks
        .iter_mut()
        .filter(|c| c.status == CheckStatus::Fail)
    {
        let category = match check.name.as_str() {
            "skus" => Category::SkuBlocked,
            "quota" => Category::Quota,
            "name" => Category::NameTaken,
            _ => continue,
        };
        check.fixes = fixes::fixes_for(
            &state.azure,
            &req,
            category,
            &state.config.portal(),
            &state.config.tenant_id,
        )
        .await;
        if let Ok(before) = &estimate {
            costs::price_fixes(state, before, &mut check.fixes).await;
        }
    }
    // What it would cost: a row that never fails the checks.
    report.checks.push(costs::cost_row(&estimate));
    Ok(report)
}

/// `GET /api/aks/available-skus?region=&subscription_id=`: the VM sizes of a region for a
/// subscription the caller may create in (their default one when none is named). Operators and
/// admins only.
pub async fn available_skus(
    state: &AppState,
    caller: &Caller,
    region: &str,
    subscription_id: Option<&str>,
) -> Result<AvailableSkus, ApiError> {
    caller.require(Role::Operator)?;
    if let Some(rule) = region_error(region) {
        let fields = std::collections::BTreeMap::from([("region".to_owned(), rule)]);
        return Err(ApiError::invalid_fields(fields));
    }
    let subscription = match subscription_id.map(str::trim).filter(|s| !s.is_empty()) {
        Some(sub) => {
            if !state.scopes.allows_subscription(sub, caller.role) {
                return Err(scope_not_allowed(&Scope::new(sub, "*")));
            }
            sub.to_owned()
        }
        None => asked_scope(state, caller, None)?.subscription_id,
    };
    let (skus, versions) = tokio::join!(
        state.azure.skus(&subscription, region),
        state.azure.kubernetes_versions(&subscription, region),
    );
    let skus = skus.map_err(|e| arm_unavailable(&e))?;
    // Without the version list the form still offers AKS's default.
    let versions = versions.ok();
    Ok(preflight::available_skus(
        region,
        &skus,
        versions.as_deref().map(Vec::as_slice),
    ))
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
