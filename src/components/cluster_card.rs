//! ClusterCard: the clusters of the configured subscription + resource group.

use leptos::prelude::*;

use crate::app::SessionInfo;

#[component]
pub fn ClusterCard(session: SessionInfo) -> impl IntoView {
    view! {
        <section class="card" data-testid="cluster-card" aria-labelledby="cluster-card-title">
            <header class="card-header">
                <div>
                    <h1 id="cluster-card-title" class="card-title">"Kubernetes clusters"</h1>
                    <p class="card-subtitle">
                        <span class="label">"Resource group"</span>
                        <code>{session.resource_group.clone()}</code>
                        <span class="sep" aria-hidden="true">"·"</span>
                        <span class="label">"Subscription"</span>
                        <code>{session.subscription_id.clone()}</code>
                    </p>
                </div>
                <span class="badge badge-neutral" title="Where Azure calls go">
                    {if session.arm_mode == "simulator" { "ARM simulator" } else { "Azure" }}
                </span>
            </header>
            <div class="empty-state">
                <p class="empty-title">"No clusters to show yet"</p>
                <p class="muted">"Clusters in this resource group will be listed here."</p>
            </div>
        </section>
    }
}
