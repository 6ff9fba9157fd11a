//! The card's header: where the clusters are and where Azure calls go (server HTML), and Add
//! cluster (an island: it opens the modal, and fetches its code as soon as the user heads for it).

use leptos::prelude::*;

use crate::components::provision_modal::ModalControl;
use crate::identity::SessionInfo;

/// The card's title, its resource group and subscription, and Add cluster. Rendered on the
/// server only.
#[component]
pub fn CardHeader(session: SessionInfo) -> impl IntoView {
    let calls_go_to = if session.arm_mode == "simulator" {
        "ARM simulator"
    } else {
        "Azure"
    };
    view! {
        <header class="card-header">
            <div>
                <h1 id="cluster-card-title" class="card-title">
                    "Kubernetes clusters"
                </h1>
                <p class="card-subtitle">
                    <span class="label">"Resource group"</span>
                    <code>{session.resource_group}</code>
                    <span class="sep" aria-hidden="true">"·"</span>
                    <span class="label">"Subscription"</span>
                    <code>{session.subscription_id}</code>
                </p>
            </div>
            <div class="card-header-actions">
                <span class="badge badge-neutral" title="Where Azure calls go">
                    {calls_go_to}
                </span>
                <AddCluster />
            </div>
        </header>
    }
}

/// Add cluster: opens the create form. The form's code is fetched when the pointer or the focus
/// reaches the button, so the click does not wait for it.
#[island]
pub fn AddCluster() -> impl IntoView {
    let modal = use_context::<ModalControl>();
    let preload = move || {
        if let Some(m) = modal {
            m.preload();
        }
    };
    let button = NodeRef::<leptos::html::Button>::new();
    if let Some(m) = modal {
        m.set_fallback_focus(button);
    }
    view! {
        <button
            type="button"
            class="btn btn-primary"
            data-testid="add-cluster"
            aria-haspopup="dialog"
            node_ref=button
            on:pointerenter=move |_| preload()
            on:focus=move |_| preload()
            on:click=move |_| {
                if let Some(m) = modal {
                    m.open(None);
                }
            }
        >
            <span aria-hidden="true">"+ "</span>
            "Add cluster"
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(arm_mode: &str) -> SessionInfo {
        SessionInfo {
            user: "dev@example.com".into(),
            subscription_id: "11111111-2222-3333-4444-555555555555".into(),
            resource_group: "rg-<aks>".into(),
            arm_mode: arm_mode.into(),
        }
    }

    #[test]
    fn the_header_says_where_and_offers_add_cluster() {
        let html = crate::components::fixtures::server_html(
            || view! { <CardHeader session=session("simulator") /> },
        );
        assert!(html.contains("<code>rg-&lt;aks&gt;</code>"), "{html}");
        assert!(
            html.contains("11111111-2222-3333-4444-555555555555"),
            "{html}"
        );
        assert!(html.contains(">ARM simulator</span>"), "{html}");
        assert!(html.contains(r#"data-testid="add-cluster""#), "{html}");
        let azure = crate::components::fixtures::server_html(
            || view! { <CardHeader session=session("azure") /> },
        );
        assert!(azure.contains(">Azure</span>"), "{azure}");
    }
}
