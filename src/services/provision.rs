//! `POST /api/aks/provision`: a create checked, stored with its history and queued for a runner.

use crate::api_error::ApiError;
use crate::azure::ManagedCluster;
use crate::clock::now_ms;
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::validation::validate_provision_request;
use crate::domain::*;
use crate::events::DashboardEvent;
use crate::identity::{Caller, Role};
use crate::refusal::Refusal;
use crate::services::{actor, approval_gate, approvals, costs, record_history, scope_of};
use crate::state::AppState;
use crate::storage::jobs::{CreateJobError, InFlightCaps, NewJob};
use crate::storage::{HistoryEvent, Subject};

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
        let mut err = ApiError::bad_request(
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
        return Err((
            Some(Refusal::ClusterExists.code()),
            cluster_exists(&req, &existing),
        ));
    }
    let estimate = costs::estimate_at_create(state, &req).await;
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
    // A create an approval rule holds waits for an admin: nothing goes to Azure, no cap counts.
    if let Some(reason) = approval_gate::gate(state, &req, estimate.as_ref())
        .await
        .map_err(|e| (None, e))?
    {
        return approvals::request(state, caller, &req, reason, estimate, events).await;
    }
    let job = NewJob::aks_provision(&caller.id, req.clone(), now_ms())
        .owned_by_name(&caller.name)
        .with_owner_role(caller.role.as_str())
        .with_estimate(estimate);
    let caps = InFlightCaps {
        per_owner: state.config.jobs.max_per_user,
        per_scope: state.config.jobs.max_per_scope,
    };
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
                CreateJobError::ClusterBusy => Some(Refusal::ClusterBusy.code()),
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
        approval_id: None,
        reason: None,
        approval: None,
    })
}

/// 409 `cluster_exists`: the dashboard never changes a cluster it did not create.
fn cluster_exists(req: &ProvisionRequest, existing: &ManagedCluster) -> ApiError {
    let state = existing
        .provisioning_state()
        .map_or("unknown state", |s| s.as_str());
    let mut err = ApiError::refused(
        Refusal::ClusterExists,
        format!(
            "A cluster named {} already exists in {} ({state}). Choose another name: the \
             dashboard never changes a cluster it did not create.",
            req.cluster_name, req.resource_group
        ),
    );
    err.name_field(
        Refusal::ClusterExists,
        format!(
            "A cluster with this name already exists in {}.",
            req.resource_group
        ),
    );
    err
}
