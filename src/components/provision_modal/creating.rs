//! Following the create the form started: its steps with Stop, and how it ended when it failed
//! or was stopped (R-3: with the partial cluster's portal action and Edit & retry).

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::{Modal, Phase};
use crate::components::clock::Clock;
use crate::components::cluster_card::get_task_status;
use crate::components::erase::erased_on_server;
use crate::components::last_failed::failure_from_task;
use crate::components::live::LiveEvents;
use crate::components::markup::{Clicked, Html};
use crate::components::provision_error_card::ProvisionErrorCard;
use crate::components::provision_progress::{
    StopState, StopStates, facts_markup, on_stop_click, refresh_elapsed, steps_markup, stop_into,
};
use crate::events::DashboardEvent;
use crate::provisioning::model::{
    CancelOutcome, FailedProvision, JobStatus, ProvisionAccepted, ProvisionRequest,
};

/// Following the create: its task is read again whenever the server says it moved on (and on
/// every re-read while push is down), until it ends. The modal stays open on the steps (and on
/// the end of a stopped or failed create) until the user closes it; a success closes it, the
/// dashboard lists the cluster.
pub(super) fn follow(modal: Modal) {
    let creating_task = Memo::new(move |_| match modal.phase.get() {
        Phase::Creating(a) => Some(a.task_id),
        _ => None,
    });
    Effect::new(move |_| {
        if let Some(task_id) = creating_task.get() {
            read_task(modal, task_id);
        }
    });
    if let Some(live) = LiveEvents::from_context() {
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

/// The steps of the create, how long it has taken, and Stop: markup redrawn as the task and
/// Stop change (the elapsed time kept current in place), with one click listener.
pub(super) fn creating_view(modal: Modal, accepted: ProvisionAccepted) -> impl IntoView {
    let Modal {
        task,
        cancel_partial,
        ..
    } = modal;
    let now = Clock::now();
    let req = untrack(|| modal.form.request());
    let message = move || {
        task.with(|t| {
            t.as_ref()
                .and_then(|t| t.progress.as_ref())
                .map(|p| p.message.clone())
        })
        .unwrap_or_else(|| "Waiting for a worker to pick the job up…".into())
    };
    let on_stopped = Callback::new(move |o: CancelOutcome| {
        cancel_partial.set(o.partial_cluster);
        read_task(modal, o.task_id);
    });
    let stops: StopStates = RwSignal::new(BTreeMap::new());
    let task_id = accepted.task_id;
    let footer = {
        let (id, name, group) = (
            task_id.clone(),
            req.cluster_name.clone(),
            req.resource_group.clone(),
        );
        move || stops.with(|s| footer_markup(&name, &group, s.get(&id)))
    };
    let facts = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let now = now.get();
        if let Some(el) = facts.get() {
            refresh_elapsed(&el, now);
        }
    });
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if let Some(clicked) = Clicked::of(&ev) {
            if clicked.action == "creating-close" {
                modal.request_close();
            } else {
                on_stop_click(&clicked, task_id.clone(), stops, on_stopped);
            }
        }
    };
    erased_on_server(view! {
        <div class="creating" data-testid="provision-creating" on:click=on_click>
            <p class="creating-lead" inner_html=lead_markup(&req)></p>
            <ol class="steps" inner_html=move || task.with(|t| steps_markup(t.as_ref()))></ol>
            <div
                class="progress-facts-slot"
                node_ref=facts
                inner_html=move || task.with(|t| facts_markup(t.as_ref(), now.get_untracked()))
            ></div>
            <p class="progress-message muted" aria-live="polite">{message}</p>
            <p class="field-hint">
                "Closing this window does not stop the create: the dashboard follows it too."
            </p>
            <footer class="modal-footer" inner_html=footer></footer>
        </div>
    })
}

/// "Creating aks-one in eastus · rg-aks-dev".
fn lead_markup(req: &ProvisionRequest) -> String {
    let mut h = Html::new();
    h.text("Creating ")
        .element("strong", &[], &req.cluster_name)
        .text(&format!(" in {} · ", req.region))
        .element("code", &[], &req.resource_group);
    h.finish()
}

/// The creating screen's footer: Stop in its state, and Close.
fn footer_markup(cluster_name: &str, resource_group: &str, stop: Option<&StopState>) -> String {
    let mut h = Html::new();
    h.start("span").attr("class", "stop-slot").end();
    stop_into(
        &mut h,
        cluster_name,
        resource_group,
        stop.unwrap_or(&StopState::Idle),
    );
    h.close("span").element(
        "button",
        &[
            ("type", "button"),
            ("class", "btn"),
            ("data-action", "creating-close"),
        ],
        "Close",
    );
    h.finish()
}

/// How the create ended: the error card, with Edit & retry back to the form.
pub(super) fn ended_view(modal: Modal, f: FailedProvision) -> impl IntoView {
    let portal = f
        .partial_cluster
        .as_ref()
        .filter(|p| !p.portal_url.is_empty())
        .map(|p| p.portal_url.clone());
    erased_on_server(view! {
        <div class="ended">
            <ProvisionErrorCard
                failure=f
                id="modal-failure"
                extra_portal_url=portal
                on_edit_retry=Callback::new(move |r: ProvisionRequest| modal.back_to_form(Some(r)))
                on_dismiss=Callback::new(move |_: String| modal.back_to_form(None))
            />
            <footer class="modal-footer">
                <button type="button" class="btn" on:click=move |_| modal.close()>"Close"</button>
            </footer>
        </div>
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::request;

    #[test]
    fn the_lead_says_what_is_created_where_as_text() {
        let html = lead_markup(&request("aks-<one>"));
        assert_eq!(
            html,
            "Creating <strong>aks-&lt;one&gt;</strong> in koreacentral · <code>rg-aks-dev</code>"
        );
    }

    #[test]
    fn the_footer_has_stop_in_its_state_and_close() {
        let idle = footer_markup("aks-one", "rg", None);
        assert!(idle.starts_with(r#"<span class="stop-slot">"#), "{idle}");
        assert!(idle.contains(r#"data-action="stop""#), "{idle}");
        assert!(
            idle.contains(r#"data-action="creating-close">Close</button>"#),
            "{idle}"
        );
        let asking = footer_markup("aks-one", "rg", Some(&StopState::Confirming));
        assert!(asking.contains(r#"data-testid="confirm-stop""#), "{asking}");
        assert!(
            asking.contains(r#"data-action="creating-close""#),
            "{asking}"
        );
    }
}
