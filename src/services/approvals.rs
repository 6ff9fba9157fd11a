//! Creates that wait for an admin (issue 39): whether a create waits (pre-flight's `approval`
//! row and `POST /api/aks/provision`), `GET /api/approvals`, and
//! `POST /api/approvals/{id}/approve|deny|withdraw`, with the expiry sweep. Every request and
//! decision is in the history (in the same transaction as the change), told to every open page
//! (`approvals_changed`) and announced on the webhook.

use std::collections::BTreeMap;

use crate::api_error::ApiError;
use crate::clock::now_ms;
use crate::domain::approval::{Approval, ApprovalAction, ApprovalList, ApprovalStatus, note_error};
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::*;
use crate::events::DashboardEvent;
use crate::identity::{Caller, Role};
use crate::refusal::Refusal;
use crate::services::{actor, costs, scope_of};
use crate::state::AppState;
use crate::storage::approvals::{ApprovalRecord, ApprovalWriteError, Decision};
use crate::storage::jobs::{CreateJobError, InFlightCaps, NewJob};
use crate::storage::{Actor, HistoryEvent};

/// How far back a requester's own decided requests are listed.
const MINE_FOR_MS: i64 = 7 * 86_400_000;

/// A create that waits: stored as a pending request with its history (and the fix it was made
/// from), told to every page and announced. Nothing is sent to Azure, and it counts against
/// no in-flight cap.
pub async fn request(
    state: &AppState,
    caller: &Caller,
    req: &ProvisionRequest,
    reason: String,
    estimate: Option<PriceEstimate>,
    mut events: Vec<HistoryEvent>,
) -> Result<ProvisionAccepted, (Option<&'static str>, ApiError)> {
    let now = now_ms();
    let record = ApprovalRecord::pending(
        &Actor::user(&caller.id, &caller.name),
        caller.role.as_str(),
        req.clone(),
        reason.clone(),
        estimate,
        &state.config.price_currency,
        now,
        now.saturating_add(state.config.approvals.expires_after_ms()),
    );
    events.push(
        HistoryEvent::new(HistoryKind::ApprovalRequested, Outcome::Ok, actor(caller))
            .message(format!("Awaits an admin's approval: {reason}"))
            .details(serde_json::json!({
                "approval_id": record.id,
                "reason": reason,
                "request": req,
                "role": caller.role.as_str(),
                "estimate_monthly": record.estimate.as_ref().map(|e| e.monthly),
                "currency": record.currency,
                "expires_at": record.expires_at,
            })),
    );
    match state.jobs.approvals().insert(&record, &events).await {
        Ok(()) => {}
        Err(ApprovalWriteError::AlreadyPending) => {
            let mut err = ApiError::refused(
                Refusal::ApprovalPending,
                format!(
                    "A create of {} already awaits an admin's approval.",
                    req.cluster_name
                ),
            );
            err.name_field(
                Refusal::ApprovalPending,
                "A create of this name already awaits approval.".to_owned(),
            );
            return Err((Some(Refusal::ApprovalPending.code()), err));
        }
        Err(e) => return Err((None, write_error(e))),
    }
    tracing::info!(approval_id = %record.id, owner = %caller.id, cluster = %req.cluster_name, scope = %scope_of(req).path(), %reason, "create awaits approval");
    told(state, "requested", &record, caller, None);
    Ok(ProvisionAccepted {
        job_id: String::new(),
        task_id: String::new(),
        status: "awaiting_approval".to_owned(),
        status_url: "/api/approvals".to_owned(),
        approval_id: Some(record.id.clone()),
        reason: Some(reason),
        approval: Some(record.to_api(now, false, true)),
    })
}

/// `GET /api/approvals`: for an admin, every pending request in their scopes and what they
/// decided in the last week; for everyone, their own of the last week. Pending ones first
/// (oldest first), then the rest (newest first).
pub async fn list(state: &AppState, caller: &Caller) -> Result<ApprovalList, ApiError> {
    let repo = state.jobs.approvals();
    let now = now_ms();
    let since = now - MINE_FOR_MS;
    let mut records = repo.owned(&caller.id, since).await?;
    if caller.role.allows(Role::Admin) {
        let pending = repo.pending(now).await?.into_iter();
        let decided = repo.decided_by(&caller.id, since).await?.into_iter();
        for a in pending
            .filter(|a| state.scopes.allows(&scope_of(&a.request), caller.role))
            .chain(decided)
        {
            if !records.iter().any(|r| r.id == a.id) {
                records.push(a);
            }
        }
    }
    let admin = caller.role.allows(Role::Admin);
    let mut approvals: Vec<Approval> = records
        .iter()
        .map(|a| {
            a.to_api(
                now,
                admin && may_decide(state, caller, a),
                a.owner_id == caller.id,
            )
        })
        .collect();
    approvals.sort_by(|a, b| {
        let pending = |x: &Approval| x.status == ApprovalStatus::Pending;
        pending(b).cmp(&pending(a)).then_with(|| {
            if pending(a) {
                a.created_at.cmp(&b.created_at)
            } else {
                b.created_at.cmp(&a.created_at)
            }
        })
    });
    Ok(ApprovalList { approvals })
}

fn may_decide(state: &AppState, caller: &Caller, a: &ApprovalRecord) -> bool {
    a.owner_id != caller.id || state.config.approvals.approval_self
}

/// `POST /api/approvals/{id}/approve|deny|withdraw`.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: ApprovalAction,
    note: Option<String>,
) -> Result<Approval, ApiError> {
    match action {
        ApprovalAction::Withdraw => caller.require(Role::Operator)?,
        _ => caller.require(Role::Admin)?,
    }
    if let Some(rule) = note_error(action, note.as_deref()) {
        let mut err = ApiError::invalid_fields(BTreeMap::from([("note".to_owned(), rule)]));
        err.message = format!("note: {}", err.fields["note"]);
        return Err(err);
    }
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let repo = state.jobs.approvals();
    let record = repo
        .get(id)
        .await?
        .ok_or_else(|| ApiError::refused(Refusal::NotFound, "No such request awaits approval."))?;
    let now = now_ms();
    if action == ApprovalAction::Withdraw {
        if record.owner_id != caller.id {
            return Err(ApiError::refused(
                Refusal::Forbidden,
                "Only the requester may withdraw a request.",
            ));
        }
    } else {
        caller.require_scope(&state.scopes, &scope_of(&record.request))?;
        if !may_decide(state, caller, &record) {
            return Err(Refusal::SelfApproval.into());
        }
    }
    if !record.is_pending_at(now) {
        return Err(not_pending(&record, now));
    }
    let by = actor(caller);
    let decided = match action {
        ApprovalAction::Approve => return approve(state, caller, record, note).await,
        ApprovalAction::Deny => {
            let note = note.unwrap_or_default();
            let event = HistoryEvent::new(HistoryKind::Denied, Outcome::Refused, by.clone())
                .message(note.clone())
                .details(serde_json::json!({
                    "approval_id": record.id,
                    "reason": record.reason,
                    "note": note,
                    "requester": record.owner_id,
                }));
            let decision = Decision {
                to: ApprovalStatus::Denied,
                by: &by,
                note: Some(&note),
                at: now,
                only_owner: None,
            };
            repo.decide(id, decision, &[event]).await
        }
        ApprovalAction::Withdraw => {
            let event = HistoryEvent::new(HistoryKind::Withdrawn, Outcome::Cancelled, by.clone())
                .details(serde_json::json!({ "approval_id": record.id, "reason": record.reason }));
            let decision = Decision {
                to: ApprovalStatus::Withdrawn,
                by: &by,
                note: note.as_deref(),
                at: now,
                only_owner: Some(&caller.id),
            };
            repo.decide(id, decision, &[event]).await
        }
    };
    let decided = match decided {
        Ok(decided) => decided,
        Err(ApprovalWriteError::NotPending) => {
            let now_record = repo.get(id).await?.unwrap_or(record);
            return Err(not_pending(&now_record, now_ms()));
        }
        Err(e) => return Err(write_error(e)),
    };
    let event = match action {
        ApprovalAction::Deny => "denied",
        _ => "withdrawn",
    };
    tracing::info!(approval_id = %id, by = %caller.id, %event, "approval decided");
    told(state, event, &decided, caller, decided.note.as_deref());
    let may = may_decide(state, caller, &decided);
    Ok(decided.to_api(now_ms(), may, decided.owner_id == caller.id))
}

/// Approve: pre-flight again (the quota may have changed since the request), then the approval
/// and the requester's create in one transaction.
async fn approve(
    state: &AppState,
    caller: &Caller,
    record: ApprovalRecord,
    note: Option<String>,
) -> Result<Approval, ApiError> {
    let req = record.request.clone();
    let report = crate::services::preflight::preflight(state, caller, req.clone()).await?;
    if !report.ok {
        let failing: BTreeMap<String, String> = report
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .map(|c| (c.name.clone(), c.message.clone()))
            .collect();
        let mut err = ApiError::refused(
            Refusal::PreflightFailed,
            format!(
                "Pre-flight fails now, so nothing was created; the request still waits (deny it \
                 with a note, or approve once it passes): {}",
                failing.values().cloned().collect::<Vec<_>>().join(" ")
            ),
        );
        // The failing checks, by name (`quota`, `skus`, `name`, …).
        err.fields = failing;
        return Err(err);
    }
    let now = now_ms();
    let requester = Actor {
        id: record.owner_id.clone(),
        name: Some(record.owner_name.clone()),
    };
    let estimate = costs::estimate_at_create(state, &req).await;
    let job = NewJob::aks_provision(&record.owner_id, req.clone(), now)
        .owned_by_name(&record.owner_name)
        .with_owner_role(&record.owner_role)
        .with_estimate(estimate.clone());
    let approved_event = HistoryEvent::new(HistoryKind::Approved, Outcome::Ok, actor(caller))
        .message(note.clone().unwrap_or_default())
        .details(serde_json::json!({
            "approval_id": record.id,
            "reason": record.reason,
            "note": note,
            "requester": record.owner_id,
        }));
    let requested_event = HistoryEvent::new(HistoryKind::CreateRequested, Outcome::Ok, requester)
        .details(serde_json::json!({
            "request": req,
            "role": record.owner_role,
            "estimate_monthly": estimate.as_ref().map(|e| e.monthly),
            "currency": estimate.as_ref().map(|e| &e.currency),
            "approval_id": record.id,
            "approved_by": caller.id,
        }));
    let caps = InFlightCaps {
        per_owner: state.config.jobs.max_per_user,
        per_scope: state.config.jobs.max_per_scope,
    };
    let outcome = state
        .jobs
        .approvals()
        .approve(
            &record.id,
            &actor(caller),
            note.as_deref(),
            now,
            &job,
            caps,
            &[approved_event],
            &[requested_event],
        )
        .await;
    let (approved, stored) = match outcome {
        Ok(done) => done,
        Err(ApprovalWriteError::NotPending) => {
            let now_record = state
                .jobs
                .approvals()
                .get(&record.id)
                .await?
                .unwrap_or(record);
            return Err(not_pending(&now_record, now_ms()));
        }
        Err(ApprovalWriteError::Job(e)) => {
            let busy = matches!(e, CreateJobError::ClusterBusy);
            let mut err: ApiError = e.into();
            if busy {
                err.message = format!(
                    "A create of {} is already in flight; approve once it has ended, or deny \
                     with a note.",
                    req.cluster_name
                );
            }
            return Err(err);
        }
        Err(e) => return Err(write_error(e)),
    };
    state.runner.wake();
    state.events.to_user(
        &approved.owner_id,
        DashboardEvent::TaskProgress {
            task_id: stored.task_id.clone(),
        },
    );
    tracing::info!(approval_id = %approved.id, by = %caller.id, owner = %approved.owner_id, job_id = %stored.id, task_id = %stored.task_id, "approved: create queued");
    told(state, "approved", &approved, caller, note.as_deref());
    let may = may_decide(state, caller, &approved);
    Ok(approved.to_api(now_ms(), may, approved.owner_id == caller.id))
}

/// Every request pending past its time becomes `expired` (with its history entry), is told to
/// every page and announced. Run by the sweep; returns how many expired.
pub async fn expire_due(state: &AppState) -> usize {
    let now = now_ms();
    let expired = state
        .jobs
        .approvals()
        .expire_due(now, |a| {
            HistoryEvent::system(HistoryKind::Expired, Outcome::Cancelled)
                .message(format!(
                    "Nobody decided within {} hours.",
                    state.config.approvals.approval_expires_hours
                ))
                .details(serde_json::json!({ "approval_id": a.id, "reason": a.reason }))
        })
        .await;
    match expired {
        Ok(expired) => {
            for a in &expired {
                tracing::info!(approval_id = %a.id, owner = %a.owner_id, "approval request expired");
                told(
                    state,
                    "expired",
                    a,
                    &Caller::named("system", Role::Admin),
                    None,
                );
            }
            expired.len()
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not expire approval requests");
            0
        }
    }
}

/// 409 `approval_not_pending`, saying what happened to it.
fn not_pending(record: &ApprovalRecord, now: i64) -> ApiError {
    let status = record.to_api(now, false, false).status;
    let by = record
        .decided_by_name
        .clone()
        .or(record.decided_by.clone())
        .map(|b| format!(" by {b}"))
        .unwrap_or_default();
    ApiError::refused(
        Refusal::ApprovalNotPending,
        format!(
            "This request no longer awaits approval: it was {}{by}.",
            status.as_str()
        ),
    )
}

fn write_error(e: ApprovalWriteError) -> ApiError {
    match e {
        ApprovalWriteError::Storage(e) => e.into(),
        ApprovalWriteError::Job(e) => e.into(),
        ApprovalWriteError::AlreadyPending => Refusal::ApprovalPending.into(),
        ApprovalWriteError::NotPending => Refusal::ApprovalNotPending.into(),
    }
}

/// A request or decision told: counted, every open page reads the approvals again, and the
/// webhook announces it.
fn told(
    state: &AppState,
    event: &'static str,
    a: &ApprovalRecord,
    who: &Caller,
    note: Option<&str>,
) {
    crate::metrics::approval(event);
    state.events.to_everyone(DashboardEvent::ApprovalsChanged);
    state
        .webhook
        .announce(announcement(state, event, a, who, note));
}

/// The webhook's body: `text` (what Teams and Slack show) and the dashboard's fields.
pub fn announcement(
    state: &AppState,
    event: &str,
    a: &ApprovalRecord,
    who: &Caller,
    note: Option<&str>,
) -> serde_json::Value {
    let cost = a
        .estimate
        .as_ref()
        .map(|e| format!("≈ {}/month", money(e.monthly, &e.currency)))
        .unwrap_or_else(|| "no estimate".to_owned());
    let r = &a.request;
    let what = format!(
        "{} in {} ({}, {} × {}, {cost})",
        r.cluster_name, r.resource_group, r.region, r.node_count, r.node_sku
    );
    let text = match event {
        "requested" => format!(
            "{} asks to create {what}: {}. Approve or deny on the dashboard.",
            a.owner_name, a.reason
        ),
        "approved" => format!("{} approved {}'s create of {what}.", who.name, a.owner_name),
        "denied" => format!(
            "{} denied {}'s create of {what}: {}",
            who.name,
            a.owner_name,
            note.unwrap_or_default()
        ),
        "withdrawn" => format!("{} withdrew the create of {what}.", a.owner_name),
        _ => format!(
            "{}'s create of {what} expired without a decision.",
            a.owner_name
        ),
    };
    let link = format!(
        "{}/?scope={}/{}",
        state.auth.public_url.trim_end_matches('/'),
        r.subscription_id,
        r.resource_group
    );
    let kind = match event {
        "requested" => HistoryKind::ApprovalRequested,
        "approved" => HistoryKind::Approved,
        "denied" => HistoryKind::Denied,
        "withdrawn" => HistoryKind::Withdrawn,
        _ => HistoryKind::Expired,
    };
    serde_json::json!({
        "text": format!("{text} {link}"),
        "event": kind.as_str(),
        "approval": a.to_api(now_ms(), false, false),
    })
}
