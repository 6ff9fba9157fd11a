//! Following the create the form started: its steps with Stop, and how it ended when it failed
//! or was stopped (R-3: with the partial cluster's portal action and Edit & retry).

use leptos::html;
use leptos::prelude::*;

use super::{Modal, Phase};
use crate::api::tasks::get_task_status;
use crate::components::erase::erased_on_server;
use crate::components::in_flight::StopControl;
use crate::components::in_flight::progress::{ProgressFacts, StepList};
use crate::components::last_failed::failure_from_task;
use crate::components::live::LiveEvents;
use crate::components::provision_error_card::{ProvisionErrorCard, Retry};
use crate::domain::{CancelOutcome, FailedProvision, JobStatus, ProvisionRequest};
use crate::events::DashboardEvent;

/// Following the create: its task is read again whenever the server says it moved on (and on
/// every re-read while push is down), until it ends. The modal stays open on the steps (and on
/// the end of a stopped or failed create) until the user closes it; a success closes it, the
/// dashboard lists the cluster.
pub(super) fn follow(modal: Modal) {
    let creating_task = Memo::new(move |_| match modal.phase.get() {
        Phase::Creating(task_id) => Some(task_id),
        _ => None,
    });
    Effect::new(move |_| {
        if let Some(task_id) = creating_task.get() {
            read_task(modal, task_id);
        }
    });
    if let Some(live) = use_context::<LiveEvents>() {
        live.subscribe(move |event| {
            let Some(following) = creating_task.try_get_untracked().flatten() else {
                return;
            };
            let concerns = match &event {
                DashboardEvent::TaskProgress { task_id }
                | DashboardEvent::TaskEnded { task_id, .. } => task_id == &following,
                DashboardEvent::Resync => true,
                _ => false,
            };
            if concerns {
                read_task(modal, following);
            }
        });
    }
}

/// Reads the followed task and moves the modal on when it ended.
fn read_task(modal: Modal, task_id: String) {
    let Modal {
        phase,
        task,
        cancel_partial,
        ..
    } = modal;
    leptos::task::spawn_local(async move {
        let Ok(t) = get_task_status(task_id).await else {
            return;
        };
        // The modal may have closed (or moved on) while the answer was on its way.
        let creating = phase.try_with_untracked(|p| matches!(p, Phase::Creating(_)));
        if creating != Some(true) {
            return;
        }
        match t.status {
            JobStatus::Failed | JobStatus::Cancelled => {
                if let Some(f) = failure_from_task(&t, cancel_partial.get_untracked()) {
                    phase.set(Phase::Ended(Box::new(f)));
                }
            }
            JobStatus::Succeeded => modal.close(),
            JobStatus::Queued | JobStatus::Running => {}
        }
        task.set(Some(t));
    });
}

/// What the create is doing, in words.
fn message_of(task: Option<&crate::domain::TaskStatus>) -> String {
    task.and_then(|t| t.progress.as_ref())
        .map(|p| p.message.clone())
        .unwrap_or_else(|| "Waiting for a worker to pick the job up…".into())
}

/// The steps of the create, how long it has taken, Stop and Close.
#[component]
pub(super) fn CreatingScreen(modal: Modal, task_id: String) -> impl IntoView {
    let ProvisionRequest {
        cluster_name,
        region,
        resource_group,
        ..
    } = modal.form.request_untracked();
    let task = modal.task;
    let (lead_name, lead_group) = (cluster_name.clone(), resource_group.clone());
    let on_stopped = Callback::new(move |o: CancelOutcome| {
        modal.cancel_partial.set(o.partial_cluster);
        read_task(modal, o.task_id);
    });
    // The screen takes the focus from the form (whose Create button is gone), so a screen
    // reader reads what is happening.
    let screen = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = screen.get() {
            let _ = el.focus();
        }
    });
    erased_on_server(view! {
        <div class="creating" data-testid="provision-creating" tabindex="-1" node_ref=screen>
            <p class="creating-lead">
                "Creating " <strong>{lead_name}</strong> {format!(" in {region} · ")}
                <code>{lead_group}</code>
            </p>
            <StepList task=task />
            <ProgressFacts task=task />
            <p class="progress-message muted" role="status">
                {move || task.with(|t| message_of(t.as_ref()))}
            </p>
            <p class="field-hint">
                "Closing this window does not stop the create: the dashboard follows it too."
            </p>
            <footer class="modal-footer">
                <StopControl task_id cluster_name resource_group on_stopped />
                <button type="button" class="btn" on:click=move |_| modal.request_close()>
                    "Close"
                </button>
            </footer>
        </div>
    })
}

/// How the create ended: the error card, with Edit & retry back to the form, and Close.
#[component]
pub(super) fn EndedScreen(modal: Modal, failure: FailedProvision) -> impl IntoView {
    let portal = failure
        .partial_cluster
        .as_ref()
        .filter(|p| !p.portal_url.is_empty())
        .map(|p| p.portal_url.clone());
    erased_on_server(view! {
        <div class="ended">
            <ProvisionErrorCard
                failure
                id="modal-failure"
                extra_portal_url=portal
                on_edit_retry=Some(Callback::new(move |(r, fix): Retry| {
                    modal.back_to_form(Some(r));
                    modal.form.applied_fix.set(fix);
                }))
                on_dismiss=Some(Callback::new(move |_: String| modal.back_to_form(None)))
            />
            <footer class="modal-footer">
                <button type="button" class="btn" on:click=move |_| modal.close()>
                    "Close"
                </button>
            </footer>
        </div>
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::task;

    #[test]
    fn the_message_says_what_the_create_is_doing() {
        assert_eq!(message_of(None), "Waiting for a worker to pick the job up…");
        let mut t = task(JobStatus::Running, None);
        t.progress = Some(crate::domain::Progress {
            message: "Azure is creating aks-one".into(),
            ..Default::default()
        });
        assert_eq!(message_of(Some(&t)), "Azure is creating aks-one");
    }
}
