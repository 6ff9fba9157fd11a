//! The cluster list of the dashboard's resource group, rendered by the server only: in the first
//! HTML (inside the `ClusterCard` island's children) and as a fragment the card swaps in when
//! Azure's clusters change. The browser carries no code to render rows.

use leptos::either::Either;
use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::provisioning::model::{ClusterList, ClusterSummary};

/// The clusters of the dashboard's resource group.
#[server(prefix = "/api", endpoint = "aks/clusters", protocol = crate::server_call::Api<server_fn::codec::GetUrl>)]
pub async fn list_clusters() -> Result<ClusterList, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::list_clusters(&state, &caller)
        .await
        .map_err(service::respond)
}

/// The cluster list as the page shows it, rendered on the server: the card swaps it in when
/// Azure's clusters change, so the browser carries no code to render rows.
#[server(prefix = "/api", endpoint = "aks/cluster-list-html", protocol = crate::server_call::Api<server_fn::codec::GetUrl>)]
pub async fn cluster_list_html() -> Result<String, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    let list = service::list_clusters(&state, &caller)
        .await
        .map_err(service::respond);
    let resource_group = state.config.resource_group.clone();
    Ok(view! { <ClusterListContent list=list resource_group=resource_group /> }.to_html())
}

/// The badge class of a cluster's `provisioningState`; the text is always shown too.
fn state_class(state: &str) -> &'static str {
    match state {
        "Succeeded" => "badge badge-ok",
        "Creating" | "Updating" | "Upgrading" | "Scaling" | "Starting" => "badge badge-info",
        "Failed" => "badge badge-fail",
        "Canceled" | "Cancelled" | "Deleting" | "Canceling" | "Stopping" | "Stopped" => {
            "badge badge-warn"
        }
        _ => "badge badge-neutral",
    }
}

/// Puts a fresh rendering of the cluster list in place of the one on screen.
pub fn replace_list(html: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = document().get_element_by_id(CLUSTER_LIST_ID) {
        el.set_inner_html(html);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = html;
}

/// The element whose content is the cluster list.
const CLUSTER_LIST_ID: &str = "cluster-list";

/// The cluster list with its container: what the card shows under its banners, rendered by
/// the server only.
#[component]
pub fn ClusterListView(
    list: Result<ClusterList, ApiError>,
    resource_group: String,
) -> impl IntoView {
    view! {
        <div id=CLUSTER_LIST_ID class="cluster-list">
            <ClusterListContent list=list resource_group=resource_group />
        </div>
    }
}

/// What is inside the cluster list's container: the table, the empty state, or why Azure's
/// clusters could not be read.
#[component]
fn ClusterListContent(
    list: Result<ClusterList, ApiError>,
    resource_group: String,
) -> impl IntoView {
    match list {
        Ok(list) => {
            Either::Left(view! { <ClusterTable list=list resource_group=resource_group /> })
        }
        Err(e) => Either::Right(view! {
            <div class="notice notice-warn card-notice" role="status">
                "The clusters of " <code>{resource_group}</code> " could not be read: " {e.message}
            </div>
        }),
    }
}

#[component]
fn ClusterTable(list: ClusterList, resource_group: String) -> impl IntoView {
    let error = list.error.clone().map(|e| {
        view! {
            <div class="notice notice-warn card-notice" role="status">
                "Azure could not be read: " {e}
            </div>
        }
    });
    if list.clusters.is_empty() {
        return Either::Left(view! {
            {error}
            <div class="empty-state">
                <p class="empty-title">"No clusters in " <code>{resource_group}</code> " yet"</p>
                <p class="muted">"Add one: pre-flight checks tell you before anything is created."</p>
            </div>
        });
    }
    Either::Right(view! {
        {error}
        <div class="cluster-table" role="table" aria-label="Clusters">
            <div class="cluster-head" role="row">
                <span role="columnheader">"Name"</span>
                <span role="columnheader">"Region"</span>
                <span role="columnheader">"Kubernetes"</span>
                <span role="columnheader">"Node pools"</span>
                <span role="columnheader">"State"</span>
            </div>
            {list.clusters.into_iter().map(|c| view! { <ClusterRow cluster=c /> }).collect_view()}
        </div>
    })
}

#[component]
fn ClusterRow(cluster: ClusterSummary) -> impl IntoView {
    let pools = cluster
        .pools
        .iter()
        .map(|p| {
            view! {
                <li>
                    <span class="pool-name">{p.name.clone()}</span>
                    " " {p.count} " × " <code>{p.vm_size.clone()}</code>
                    <span class="muted">" · " {p.mode.to_ascii_lowercase()}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div
            class="cluster-row"
            role="row"
            data-testid="cluster-row"
            data-name=cluster.name.clone()
            data-state=cluster.provisioning_state.clone()
        >
            <span role="cell" class="cluster-name" data-label="Name">
                <a href=cluster.portal_url.clone() target="_blank" rel="noopener noreferrer">
                    {cluster.name.clone()}
                </a>
            </span>
            <span role="cell" data-label="Region">{cluster.region.clone()}</span>
            <span role="cell" data-label="Kubernetes">
                {cluster.kubernetes_version.clone().unwrap_or_else(|| "—".into())}
            </span>
            <span role="cell" data-label="Node pools">
                <ul class="pool-list">{pools}</ul>
            </span>
            <span role="cell" data-label="State">
                <span class=state_class(&cluster.provisioning_state) data-testid="cluster-state">
                    {cluster.provisioning_state.clone()}
                </span>
            </span>
        </div>
    }
}
