//! `POST /api/aks/preflight` and `GET /api/aks/available-skus`: the checks of a would-be create,
//! with the fixes and prices of what fails.

pub mod checks;

use crate::api_error::ApiError;
use crate::domain::classify::Category;
use crate::domain::validation::{region_error, validate_provision_request};
use crate::domain::*;
use crate::identity::{Caller, Role, Scope, scope_not_allowed};
use crate::services::clusters::asked_scope;
use crate::services::{arm_unavailable, costs, fixes, scope_of};
use crate::state::AppState;

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
        checks::run_preflight(&state.azure, &req, portal_url, may_create_rg),
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
    // Whether Create would wait for an admin: a warning, never a failure.
    if let Some(row) =
        crate::services::approval_gate::preflight_row(state, &req, estimate.as_ref().ok()).await
    {
        report.checks.push(row);
    }
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
    Ok(checks::available_skus(
        region,
        &skus,
        versions.as_deref().map(Vec::as_slice),
    ))
}
