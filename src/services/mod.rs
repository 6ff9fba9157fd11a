//! The application's use cases, one file each (server only): what a route does once the request
//! is read — who may do it, what is checked, what is stored, what Azure is asked — called by
//! the server functions and axum handlers of `api/`, one behaviour behind each door.
//!
//! Each use case decides who may do it before it does anything: the role it needs
//! ([`Caller::require`], 403 `forbidden`) and, where it names a subscription and resource group,
//! whether `AZURE_SCOPES` allows it ([`Caller::require_scope`], 403 `scope_not_allowed`) — both
//! before any Azure call.

pub mod approval_gate;
pub mod approvals;
pub mod clusters;
pub mod costs;
pub mod failures;
pub mod fixes;
pub mod history;
pub mod leftovers;
pub mod preflight;
pub mod provision;
pub mod tasks;

use crate::api_error::ApiError;
use crate::azure::ArmError;
use crate::clock::now_ms;
use crate::domain::classify::{ArmErrorInfo, ClassifyContext, classify_arm_error};
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::{Category, Fix, ProvisionRequest};
use crate::events::DashboardEvent;
use crate::identity::{Caller, Scope};
use crate::state::AppState;
use crate::storage::jobs::JobRecord;
use crate::storage::{Actor, HistoryEvent, Subject};

/// Who did it, for the history.
pub fn actor(caller: &Caller) -> Actor {
    Actor::user(&caller.id, &caller.name)
}

/// The subscription and resource group a request works in.
pub(crate) fn scope_of(req: &ProvisionRequest) -> Scope {
    Scope::new(&req.subscription_id, &req.resource_group)
}

/// Entries that describe no job change (a delete of what a job left): written on their own.
pub(crate) async fn record_history(state: &AppState, subject: &Subject, events: &[HistoryEvent]) {
    if let Err(e) = state.jobs.history().record(subject, events).await {
        tracing::warn!(error = %e, job_id = ?subject.job_id, "could not write history entries");
    }
}

pub(crate) fn arm_unavailable(err: &ArmError) -> ApiError {
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

/// The one-click fixes of a failed job, from the cached Azure data.
pub(crate) async fn job_fixes(state: &AppState, job: &JobRecord) -> Vec<Fix> {
    let category = failures::failed_view(job)
        .explanation
        .map_or(Category::Unknown, |c| c.category);
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

/// Dismisses a failure of `owner` on every device.
/// A failure dismissed before changes nothing and tells no page (a loop of dismisses must not
/// flood the event bus everyone shares).
pub(crate) async fn dismiss_for(
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
