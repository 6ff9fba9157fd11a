//! Whether a create waits for an admin (issue 39): the rules of `APPROVAL_RULES` and
//! `SCOPE_BUDGETS` given the request's estimate and what its scope already spends. Asked by
//! pre-flight (its `approval` row) and by `POST /api/aks/provision`; the requests themselves
//! are `approvals.rs`.

use crate::api_error::ApiError;
use crate::domain::*;
use crate::state::AppState;

/// Why a create of `req` waits for an admin, or `None`: the rules of this dashboard, the
/// request's monthly estimate (`None`: prices could not be read) and, where the scope has a
/// budget, what its clusters already spend.
pub async fn gate(
    state: &AppState,
    req: &ProvisionRequest,
    estimate: Option<&PriceEstimate>,
) -> Result<Option<String>, ApiError> {
    let rules = &state.approval_rules;
    if rules.is_empty() {
        return Ok(None);
    }
    let spent = match rules.budget(&req.subscription_id, &req.resource_group) {
        Some(_) => spent_in_scope(state, req).await?,
        None => 0.0,
    };
    Ok(rules.decide(
        &req.subscription_id,
        &req.resource_group,
        estimate.map(|e| e.monthly),
        spent,
        &state.config.price_currency,
    ))
}

/// What the clusters this dashboard created in `req`'s scope and that still exist are estimated
/// at a month: creates in flight, and those that succeeded whose cluster Azure still lists (all
/// of them when the list cannot be read: a budget errs on the side of asking).
async fn spent_in_scope(state: &AppState, req: &ProvisionRequest) -> Result<f64, ApiError> {
    let creates = state
        .jobs
        .approvals()
        .scope_creates(&req.subscription_id, &req.resource_group)
        .await
        .map_err(ApiError::from)?;
    let listed = state
        .azure
        .clusters(&req.subscription_id, &req.resource_group)
        .await
        .ok();
    let exists = |name: &str| {
        listed.as_ref().is_none_or(|list| {
            list.iter().any(|c| {
                c.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        })
    };
    Ok(creates
        .iter()
        .filter(|(name, status, _)| status != "succeeded" || exists(name))
        .filter(|(name, _, _)| !name.eq_ignore_ascii_case(&req.cluster_name))
        .filter_map(|(_, _, monthly)| *monthly)
        .sum())
}

/// Pre-flight's `approval` row, when the create would wait (a warning: it never fails the
/// checks).
pub async fn preflight_row(
    state: &AppState,
    req: &ProvisionRequest,
    estimate: Option<&PriceEstimate>,
) -> Option<PreflightCheck> {
    let reason = match gate(state, req, estimate).await {
        Ok(reason) => reason?,
        Err(e) => {
            tracing::warn!(error = %e.message, "pre-flight could not tell whether the create needs approval");
            return None;
        }
    };
    Some(PreflightCheck {
        name: "approval".to_owned(),
        status: CheckStatus::Warn,
        message: format!(
            "Needs approval: {reason}. Create sends it to an admin; nothing reaches Azure until one approves."
        ),
        details: serde_json::json!({ "reason": reason }),
        fixes: Vec::new(),
    })
}
