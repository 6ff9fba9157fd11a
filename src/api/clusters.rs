//! `GET /api/aks/clusters` and `GET /api/aks/cluster-list-html`: the clusters of a scope, as data
//! and as the page's own fragment.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::domain::ClusterList;

#[cfg(feature = "ssr")]
use crate::api::serve::{context, respond};
#[cfg(feature = "ssr")]
use crate::services;
// The one import of `api/` that points up, on purpose: the fragment is the page's own list,
// rendered by the component that renders it in the first HTML, so the two cannot differ.
#[cfg(feature = "ssr")]
use crate::components::cluster_card::ClusterListView;

/// The clusters of a scope (`subscription/resource-group`; the caller's default one when not
/// given).
#[server(prefix = "/api", endpoint = "aks/clusters", input = server_fn::codec::GetUrl)]
pub async fn list_clusters(scope: Option<String>) -> Result<ClusterList, ApiError> {
    let (state, caller) = context().await?;
    services::clusters::list_clusters(&state, &caller, scope.as_deref())
        .await
        .map_err(respond)
}

/// The cluster list of a scope as the page shows it, rendered on the server: the card swaps it
/// in when Azure's clusters change, so the browser carries no code to render rows.
#[server(prefix = "/api", endpoint = "aks/cluster-list-html", input = server_fn::codec::GetUrl)]
pub async fn cluster_list_html(scope: Option<String>) -> Result<String, ApiError> {
    let (state, caller) = context().await?;
    let shown =
        services::clusters::asked_scope(&state, &caller, scope.as_deref()).map_err(respond)?;
    let list = services::clusters::list_clusters(&state, &caller, Some(&shown.path()))
        .await
        .map_err(respond);
    let can_create = caller.role.allows(crate::identity::Role::Operator);
    Ok(
        view! { <ClusterListView list=list resource_group=shown.resource_group can_create /> }
            .to_html(),
    )
}
