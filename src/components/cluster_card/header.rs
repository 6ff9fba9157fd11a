//! The card's header: where the clusters are and where Azure calls go (server HTML), and Add
//! cluster (an island: it opens the modal, and fetches its code as soon as the user heads for it).

use leptos::prelude::*;

use leptos::either::Either;

use crate::components::page_action::{KeptForm, PageAction};
use crate::components::provision_modal::ModalControl;
use crate::components::session::Viewer;
use crate::identity::{Scope, ScopeChoice, SessionInfo};

/// The card's title, the scope it shows (with the others the user may pick), and Add cluster.
/// Rendered on the server only.
#[component]
pub fn CardHeader(session: SessionInfo) -> impl IntoView {
    let calls_go_to = if session.arm_mode == "simulator" {
        "ARM simulator"
    } else {
        "Azure"
    };
    let picker = (session.scopes.len() > 1
        || session.scopes.iter().any(|c| c.resource_group.is_none()))
    .then(|| view! { <ScopePicker scopes=session.scopes.clone() shown=session.scope.clone() /> });
    let refused = session.scope_refused.clone().map(|asked| {
        view! {
            <p class="notice notice-warn scope-refused" role="status" data-testid="scope-refused">
                {format!(
                    "{asked} is not one of the subscriptions and resource groups open to your role here; showing {} instead.",
                    session.scope.path()
                )}
            </p>
        }
    });
    view! {
        {refused}
        <header class="card-header">
            <div>
                <h1 id="cluster-card-title" class="card-title">
                    "Kubernetes clusters"
                </h1>
                <p class="card-subtitle">
                    <span class="label">"Resource group"</span>
                    <code>{session.scope.resource_group.clone()}</code>
                    <span class="sep" aria-hidden="true">"·"</span>
                    <span class="label">"Subscription"</span>
                    <code>{session.scope.subscription_id.clone()}</code>
                </p>
                {picker}
            </div>
            <div class="card-header-actions">
                <span class="badge badge-neutral" title="Where Azure calls go">
                    {calls_go_to}
                </span>
                <a class="btn" href="/history" data-testid="history-link">"History"</a>
                <AddCluster />
            </div>
        </header>
    }
}

/// The scopes the user may pick, as links that keep the scope in the address; a subscription
/// open in every resource group (`subscription/*`) takes a group's name.
#[component]
fn ScopePicker(scopes: Vec<ScopeChoice>, shown: Scope) -> impl IntoView {
    let link = |scope: Scope| {
        let current = scope == shown;
        let href = format!("/?scope={}", scope.path());
        view! {
            <li>
                <a
                    href=href
                    data-scope=scope.path()
                    aria-current=current.then_some("page")
                    class:scope-current=current
                >
                    <code>{scope.resource_group.clone()}</code>
                    <span class="muted">{format!(" · {}", Scope::short_subscription(&scope.subscription_id))}</span>
                </a>
            </li>
        }
    };
    let mut named: Vec<Scope> = scopes
        .iter()
        .filter_map(|c| Some(Scope::new(&c.subscription_id, c.resource_group.as_deref()?)))
        .collect();
    if !named.contains(&shown) {
        named.push(shown.clone());
    }
    let open_any = scopes
        .iter()
        .filter(|c| c.resource_group.is_none())
        .map(|c| {
            let prefix = format!("{}/", c.subscription_id);
            view! {
                <form method="get" action="/" class="scope-open">
                    <label>
                        "Any resource group of " <code>{Scope::short_subscription(&c.subscription_id)}</code> ": "
                        <input name="scope" value=prefix aria-label="Subscription and resource group" />
                    </label>
                    <button type="submit" class="btn btn-ghost">"Open"</button>
                </form>
            }
        })
        .collect_view();
    view! {
        <nav class="scope-picker" aria-label="Subscriptions and resource groups" data-testid="scope-picker">
            <ul>{named.into_iter().map(link).collect_view()}</ul>
            {open_any}
        </nav>
    }
}

/// Add cluster: opens the create form. It works from the first paint ([`KeptForm`]); the form's
/// code and data are fetched when the page is idle, and again when the pointer or the focus
/// reaches the button if that fetch failed, so the click does not wait for them.
#[island]
pub fn AddCluster() -> impl IntoView {
    let modal = use_context::<ModalControl>();
    if let Some(viewer) = Viewer::current().filter(|v| !v.may_change()) {
        return Either::Right(view! {
            <p class="role-note" data-testid="role-note">
                {format!(
                    "Your role ({}) lets you see clusters and failures; creating one needs the Operator role.",
                    viewer.role().label()
                )}
            </p>
        });
    }
    let prepare = move || {
        if let Some(m) = modal {
            m.prepare(None);
        }
    };
    let button = NodeRef::<leptos::html::Button>::new();
    if let Some(m) = modal {
        m.set_fallback_focus(button);
    }
    let open = Callback::new(move |()| {
        if let Some(m) = modal {
            m.open(None);
        }
    });
    Either::Left(view! {
        <KeptForm action=PageAction::Create on_press=open pending_label="Opening the form…">
            <button
                type="submit"
                class="btn btn-primary"
                data-testid="add-cluster"
                aria-haspopup="dialog"
                node_ref=button
                on:pointerenter=move |_| prepare()
                on:focus=move |_| prepare()
            >
                <span aria-hidden="true">"+ "</span>
                "Add cluster"
            </button>
        </KeptForm>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(arm_mode: &str) -> SessionInfo {
        crate::components::fixtures::session(arm_mode, "rg-<aks>")
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
