//! `GET /api/aks/clusters`: the clusters of a scope the caller may see, and which scope a page asks
//! for.

use crate::api_error::ApiError;
use crate::azure::{ClusterRef, cluster_portal_url};
use crate::domain::*;
use crate::identity::{Caller, Scope};
use crate::services::preflight::checks::azure_reason;
use crate::state::AppState;

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
            let (said, _) = azure_reason(&err);
            list.error = Some(format!("Could not read the clusters from Azure: {said}."));
        }
    }
    Ok(list)
}
