//! The cluster list of a scope (a subscription and resource group), rendered by the server only: in the first
//! HTML and as a fragment [`LiveClusterList`] swaps in when Azure's clusters change. The browser
//! carries no code to render rows.

use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;

use crate::api::clusters::cluster_list_html;
use crate::api_error::ApiError;
use crate::components::erase::erased_on_server;
use crate::components::live::LiveEvents;
use crate::components::session::SignInAgain;
use crate::domain::{ClusterList, ClusterSummary};
use crate::events::DashboardEvent;

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

/// The cluster list, kept current: `children` is the list as the server rendered it into the
/// page; whenever Azure's clusters may have changed (an event says so, a create ended, the
/// stream came back) the server renders it again and it is swapped in. Why a refresh failed is
/// said above the list, which stays as it was.
#[island]
pub fn LiveClusterList(
    /// The scope the list is of, `subscription/resource-group`.
    scope: String,
    children: Children,
) -> impl IntoView {
    let list = NodeRef::<html::Div>::new();
    let error = RwSignal::new(None::<String>);
    let reads = StoredValue::new(0u64);
    let refresh = move || {
        reads.update_value(|n| *n += 1);
        let read = reads.get_value();
        let scope = scope.clone();
        leptos::task::spawn_local(async move {
            let answer = cluster_list_html(Some(scope)).await;
            // Only the newest read is shown (answers can overtake each other).
            if reads.try_get_value() != Some(read) {
                return;
            }
            match answer {
                Ok(html) => {
                    error.set(None);
                    if let Some(el) = list.get_untracked() {
                        el.set_inner_html(&html);
                    }
                }
                Err(e) => {
                    SignInAgain::note(&e);
                    error.set(Some(e.message));
                }
            }
        });
    };
    if let Some(live) = use_context::<LiveEvents>() {
        live.subscribe(move |event| {
            if matches!(
                event,
                DashboardEvent::ClustersChanged
                    | DashboardEvent::Resync
                    | DashboardEvent::TaskEnded { .. }
            ) {
                refresh();
            }
        });
    }
    let notice = move || {
        error.get().map(|message| {
            view! {
                <div class="notice notice-warn card-notice" role="status">
                    "The cluster list could not be refreshed: "
                    {message}
                </div>
            }
        })
    };
    erased_on_server(view! {
        {notice}
        <div class="cluster-list" node_ref=list>
            {children()}
        </div>
    })
}

/// The cluster list: the table, the empty state, or why Azure's clusters could not be read.
/// Rendered by the server only.
#[component]
pub fn ClusterListView(
    list: Result<ClusterList, ApiError>,
    resource_group: String,
    /// The viewer may create a cluster (the empty state invites them to).
    can_create: bool,
) -> impl IntoView {
    match list {
        Ok(list) => Either::Left(
            view! { <ClusterTable list=list resource_group=resource_group can_create=can_create /> },
        ),
        Err(e) => Either::Right(view! {
            <div class="notice notice-warn card-notice" role="status">
                "The clusters of " <code>{resource_group}</code> " could not be read: " {e.message}
            </div>
        }),
    }
}

#[component]
fn ClusterTable(list: ClusterList, resource_group: String, can_create: bool) -> impl IntoView {
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
                <p class="muted">
                    {if can_create {
                        "Add one: pre-flight checks tell you before anything is created."
                    } else {
                        "Clusters that operators create here show up in this list."
                    }}
                </p>
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
