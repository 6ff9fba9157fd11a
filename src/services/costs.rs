//! What a request will cost, where the product shows it: `GET /api/aks/price-estimate`, the
//! `cost` row of pre-flight, and the difference each one-click fix makes. An estimate never
//! fails a pre-flight nor blocks a create: without prices, the row says so as a warning.

use std::collections::BTreeMap;

use crate::api_error::ApiError;
use crate::domain::validation::validate_provision_request;
use crate::domain::{
    CheckStatus, Fix, FixCost, PreflightCheck, PriceEstimate, ProvisionRequest, money,
};
use crate::identity::Caller;
use crate::pricing::{EstimateError, TIERS, round_to};
use crate::state::AppState;

/// The tier the dashboard creates clusters in (it sends no `sku`, so AKS makes them Free).
pub const CREATED_TIER: &str = "free";

/// `GET /api/aks/price-estimate`: the estimate of a request's pools (any signed-in user; no
/// Azure Resource Manager call). 400 names a field the form would refuse, or one the price
/// list does not have; 503 `prices_unavailable` when the price list cannot be read.
pub async fn price_estimate(
    state: &AppState,
    _caller: &Caller,
    req: &ProvisionRequest,
    tier: Option<&str>,
) -> Result<PriceEstimate, ApiError> {
    let tier = tier.map(str::trim).filter(|t| !t.is_empty());
    let tier = tier.unwrap_or(CREATED_TIER).to_ascii_lowercase();
    let mut fields = priced_fields_errors(req);
    if !TIERS.contains(&tier.as_str()) {
        fields.insert(
            "tier".to_owned(),
            format!("Must be one of: {}.", TIERS.join(", ")),
        );
    }
    if !fields.is_empty() {
        return Err(ApiError::invalid_fields(fields));
    }
    state
        .pricing
        .estimate(req, &tier)
        .await
        .map_err(|err| match err {
            EstimateError::NotListed { field, message } => {
                ApiError::invalid_fields(BTreeMap::from([(field.to_owned(), message)]))
            }
            EstimateError::Unavailable(message) => {
                ApiError::try_again(crate::refusal::Refusal::PricesUnavailable, message, 30)
            }
        })
}

/// The rules of the fields an estimate reads (region, sizes, counts).
fn priced_fields_errors(req: &ProvisionRequest) -> BTreeMap<String, String> {
    let mut fields = validate_provision_request(req);
    fields.retain(|name, _| {
        matches!(
            name.as_str(),
            "region" | "node_sku" | "node_count" | "system_vm_size" | "system_node_count"
        )
    });
    fields
}

/// What `req` would cost as the dashboard creates it.
pub async fn estimate(
    state: &AppState,
    req: &ProvisionRequest,
) -> Result<PriceEstimate, EstimateError> {
    state.pricing.estimate(req, CREATED_TIER).await
}

/// Pre-flight's `cost` row: the monthly estimate (`ok`), or why there is none (`warn`). Its
/// `details` is the whole [`PriceEstimate`].
pub fn cost_row(estimate: &Result<PriceEstimate, EstimateError>) -> PreflightCheck {
    let (status, message, details) = match estimate {
        Ok(estimate) => {
            let mut message = format!(
                "≈ {}/month ({}/hour) for {} nodes at pay-as-you-go Linux prices.",
                money(estimate.monthly, &estimate.currency),
                format_args!("{:.4} {}", estimate.hourly, estimate.currency),
                estimate.pools.iter().map(|p| p.count).sum::<u32>()
            );
            if estimate.stale {
                message.push_str(" The price list did not answer: these prices are old.");
            }
            let details = serde_json::to_value(estimate).unwrap_or_default();
            (CheckStatus::Ok, message, details)
        }
        Err(EstimateError::NotListed { message, .. } | EstimateError::Unavailable(message)) => {
            (CheckStatus::Warn, message.clone(), serde_json::Value::Null)
        }
    };
    PreflightCheck {
        name: "cost".to_owned(),
        status,
        message,
        details,
        fixes: Vec::new(),
    }
}

/// How long a create waits for its estimate: prices pre-flight just read are kept, so this is
/// only spent when the price list is slow, and then the job goes without.
const CREATE_ESTIMATE_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

/// The estimate a create is made with, as stored on its job; `None` when the prices are not at
/// hand in [`CREATE_ESTIMATE_WAIT`].
pub async fn estimate_at_create(state: &AppState, req: &ProvisionRequest) -> Option<PriceEstimate> {
    match tokio::time::timeout(CREATE_ESTIMATE_WAIT, estimate(state, req)).await {
        Ok(Ok(estimate)) => Some(estimate),
        _ => None,
    }
}

/// Gives each fix that changes the request what its request would cost, against `before`
/// (the estimate of the request it corrects). A fix whose prices cannot be read goes without.
pub async fn price_fixes(state: &AppState, before: &PriceEstimate, fixes: &mut [Fix]) {
    let estimates = fixes.iter().map(|fix| async {
        match &fix.request {
            Some(req) => estimate(state, req).await.ok(),
            None => None,
        }
    });
    let estimates = futures_util::future::join_all(estimates).await;
    for (fix, estimate) in fixes.iter_mut().zip(estimates) {
        fix.cost = estimate.map(|after| FixCost {
            currency: after.currency.clone(),
            monthly: after.monthly,
            difference: round_to(after.monthly - before.monthly, 2),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_priced_fields_are_checked() {
        let req = ProvisionRequest {
            region: "mars".into(),
            node_sku: "Standard_D4s_v3".into(),
            node_count: 0,
            system_vm_size: "Standard_D4s_v3".into(),
            system_node_count: 1,
            ..ProvisionRequest::default()
        };
        let fields = priced_fields_errors(&req);
        assert_eq!(
            fields.keys().map(String::as_str).collect::<Vec<_>>(),
            vec!["node_count", "region"]
        );
    }
}
