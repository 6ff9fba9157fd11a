//! The in-flight provisions of the signed-in user as banners (step, cluster state, elapsed time,
//! Stop), and the passing notice of a create stopped in time. One island: banners come and go
//! live (a create started on another device shows up), each keyed by its task.

use leptos::prelude::*;

use crate::components::erase::erased_on_server;

use super::InFlight;
use super::progress::{ProgressFacts, status_label};
use super::stop::StopControl;
use crate::components::session::Viewer;
use crate::domain::CancelOutcome;
use crate::identity::Scope;

/// Every queued and running provision of the signed-in user, and the passing notice. Reads the
/// page's [`InFlight`] from the `ClusterCard` island around it.
#[island]
pub fn InFlightBanners() -> impl IntoView {
    let in_flight = use_context::<InFlight>()?;
    let notice = move || {
        in_flight.notice().map(|n| {
            view! {
                <div
                    class="notice notice-info passing-notice"
                    role="status"
                    data-testid="passing-notice"
                >
                    <span>{n.text}</span>
                    <button
                        type="button"
                        class="btn btn-ghost btn-icon"
                        aria-label="Close notice"
                        on:click=move |_| in_flight.close_notice()
                    >
                        "✕"
                    </button>
                </div>
            }
        })
    };
    Some(erased_on_server(view! {
        {notice}
        <div class="in-flight">
            <For each=move || in_flight.ids() key=|id| id.clone() let:task_id>
                <ProgressBanner in_flight task_id />
            </For>
        </div>
    }))
}

/// One in-flight provision: what it is doing, how long it has taken, its portal link and Stop.
/// Its parts change in place as the task moves on; only the message is a live region.
#[component]
fn ProgressBanner(in_flight: InFlight, task_id: String) -> impl IntoView {
    let task = Memo::new({
        let task_id = task_id.clone();
        move |_| in_flight.task(&task_id)
    });
    // What does not change while it runs: the request.
    let request = task.get_untracked().map(|t| t.request).unwrap_or_default();
    let status = {
        let task_id = task_id.clone();
        move || {
            if in_flight.is_stopping(&task_id) {
                "Stopping"
            } else {
                task.with(|t| {
                    t.as_ref()
                        .map(|t| status_label(t.status))
                        .unwrap_or("Queued")
                })
            }
        }
    };
    let message = move || {
        task.with(|t| {
            t.as_ref()
                .and_then(|t| t.progress.as_ref())
                .map(|p| p.message.clone())
                .unwrap_or_default()
        })
    };
    let portal = move || {
        task.with(|t| {
            t.as_ref()
                .and_then(|t| t.progress.as_ref())
                .and_then(|p| p.portal_url.clone())
        })
        .map(|url| {
            view! {
                <a class="btn" href=url target="_blank" rel="noopener noreferrer">
                    "Open in Azure portal"
                    <span aria-hidden="true">" ↗"</span>
                </a>
            }
        })
    };
    let on_stopped = Callback::new(move |outcome: CancelOutcome| in_flight.stopped(outcome));
    let id = task_id.clone();
    let owner = task.with_untracked(|t| {
        t.as_ref()
            .map(|t| (t.owner_id.clone(), t.owner_name.clone()))
    });
    let (owner_id, owner_name) = owner.unwrap_or_default();
    // Whose it is, when it is not the viewer's (an admin sees everyone's).
    let by = task
        .with_untracked(|t| t.as_ref().is_some_and(|t| in_flight.is_others(t)))
        .then(|| {
            let who = owner_name.unwrap_or_else(|| owner_id.clone());
            view! { <span class="badge badge-owner" data-testid="progress-owner">{format!("by {who}")}</span> }
        });
    let may_stop = Viewer::current().is_some_and(|v| v.may_act_for(&owner_id));
    let stop = may_stop.then(|| {
        view! {
            <StopControl
                task_id=task_id.clone()
                cluster_name=request.cluster_name.clone()
                resource_group=request.resource_group.clone()
                on_stopped=on_stopped
            />
        }
    });
    let scope = Scope::short_label(&request.subscription_id, &request.resource_group);
    let scope_path = format!("{}/{}", request.subscription_id, request.resource_group);
    erased_on_server(view! {
        <section
            class="progress-banner"
            data-testid="provision-progress"
            data-task-id=id
            data-cluster=request.cluster_name.clone()
            aria-label=format!("Provisioning {}", request.cluster_name)
        >
            <div class="progress-top">
                <span class="spinner" aria-hidden="true"></span>
                <strong class="progress-title">{format!("Creating {}", request.cluster_name)}</strong>
                <span class="badge badge-info">{status}</span>
                {by}
                <span class="muted progress-where">
                    {format!("{} · {} × {}", request.region, request.node_count, request.node_sku)}
                </span>
                <span class="muted progress-scope" title=scope_path.clone() data-testid="progress-scope" data-scope=scope_path>
                    {scope}
                </span>
            </div>
            <ProgressFacts task=task />
            <p class="progress-message muted" role="status">{message}</p>
            <div class="progress-actions">
                {portal}
                {stop}
            </div>
        </section>
    })
}
