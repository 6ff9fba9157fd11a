//! Following the create the form started: its steps with Stop, and how it ended when it failed
//! or was stopped (R-3: with the partial cluster's portal action and Edit & retry).

use leptos::prelude::*;
use leptos::web_sys::Element;

use super::{Modal, Phase};
use crate::components::clock::{Clock, now_ms};
use crate::components::cluster_card::get_task_status;
use crate::components::last_failed::failure_from_task;
use crate::components::live::LiveEvents;
use crate::components::markup::{Clicked, Html, mount_under, set_text};
use crate::components::provision_error_card::ProvisionErrorCard;
use crate::components::provision_progress::{
    StopState, facts_markup, on_stop_click, refresh_elapsed, steps_markup, stop_into,
};
use crate::events::DashboardEvent;
use crate::provisioning::model::{
    CancelOutcome, FailedProvision, JobStatus, ProvisionRequest, TaskStatus,
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

/// The creating screen's parts that change, kept current in place while it is shown: the
/// steps, the facts and the message as the task moves on, the elapsed time each tick, and the
/// footer as Stop changes.
pub(super) fn keep_current(modal: Modal) {
    let Modal {
        task, stops, phase, ..
    } = modal;
    let now = Clock::now();
    Effect::new(move |_| {
        task.with(|t| {
            let t = t.as_ref();
            fill("pm-steps", &steps_markup(t));
            fill("pm-facts", &facts_markup(t, now.get_untracked()));
            if let Some(el) = document().get_element_by_id("pm-message") {
                set_text(&el, &message(t));
            }
        });
    });
    Effect::new(move |_| {
        let stop = stops.with(|s| {
            phase.with_untracked(|p| match p {
                Phase::Creating(a) => s.get(&a.task_id).cloned(),
                _ => None,
            })
        });
        let req = modal.form.request_untracked();
        fill(
            "pm-footer",
            &footer_markup(&req.cluster_name, &req.resource_group, stop.as_ref()),
        );
    });
    Effect::new(move |_| {
        let now = now.get();
        if let Some(el) = document().get_element_by_id("pm-facts") {
            refresh_elapsed(&el, now);
        }
    });
}

/// Puts `html` into the element with `id`, when it is on screen.
fn fill(id: &str, html: &str) {
    if let Some(el) = document().get_element_by_id(id) {
        el.set_inner_html(html);
    }
}

/// What the create is doing, in words.
fn message(task: Option<&TaskStatus>) -> String {
    task.and_then(|t| t.progress.as_ref())
        .map(|p| p.message.clone())
        .unwrap_or_else(|| "Waiting for a worker to pick the job up…".into())
}

/// Draws the creating screen of task `task_id` into `body`.
pub(super) fn draw(modal: Modal, body: &Element, task_id: String) {
    let req = modal.form.request_untracked();
    let stop = modal.stops.with_untracked(|s| s.get(&task_id).cloned());
    let html = modal
        .task
        .with_untracked(|t| creating_markup(&req, t.as_ref(), stop.as_ref(), now_ms()));
    body.set_inner_html(&html);
}

/// The steps of the create, how long it has taken, and Stop (`data-action`s `stop…` and
/// `creating-close`).
fn creating_markup(
    req: &ProvisionRequest,
    task: Option<&TaskStatus>,
    stop: Option<&StopState>,
    now: i64,
) -> String {
    let mut h = Html::new();
    h.start("div")
        .attr("class", "creating")
        .attr("data-testid", "provision-creating")
        .end();
    h.start("p").attr("class", "creating-lead").end();
    lead_into(&mut h, req);
    h.close("p");
    h.start("ol")
        .attr("class", "steps")
        .attr("id", "pm-steps")
        .end();
    h.raw(&steps_markup(task)).close("ol");
    h.start("div")
        .attr("class", "progress-facts-slot")
        .attr("id", "pm-facts")
        .end();
    h.raw(&facts_markup(task, now)).close("div");
    h.element(
        "p",
        &[
            ("class", "progress-message muted"),
            ("id", "pm-message"),
            ("aria-live", "polite"),
        ],
        &message(task),
    )
    .element(
        "p",
        &[("class", "field-hint")],
        "Closing this window does not stop the create: the dashboard follows it too.",
    );
    h.start("footer")
        .attr("class", "modal-footer")
        .attr("id", "pm-footer")
        .end();
    h.raw(&footer_markup(&req.cluster_name, &req.resource_group, stop))
        .close("footer")
        .close("div");
    h.finish()
}

/// Acts on the creating screen's Stop.
pub(super) fn on_click(modal: Modal, clicked: &Clicked) {
    let task_id = modal.phase.with_untracked(|p| match p {
        Phase::Creating(a) => Some(a.task_id.clone()),
        _ => None,
    });
    let Some(task_id) = task_id else {
        return;
    };
    let on_stopped = Callback::new(move |o: CancelOutcome| {
        modal.cancel_partial.set(o.partial_cluster);
        read_task(modal, o.task_id);
    });
    on_stop_click(clicked, task_id, modal.stops, on_stopped);
}

/// "Creating aks-one in eastus · rg-aks-dev".
fn lead_into(h: &mut Html, req: &ProvisionRequest) {
    h.text("Creating ")
        .element("strong", &[], &req.cluster_name)
        .text(&format!(" in {} · ", req.region))
        .element("code", &[], &req.resource_group);
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

/// Draws how the create ended into `body`: the error card (a component, mounted under `owner`
/// and taken down when the returned handle is dropped), with Edit & retry back to the form, and
/// Close (`ended-close`).
pub(super) fn draw_ended(
    modal: Modal,
    body: &Element,
    f: FailedProvision,
    owner: Owner,
) -> Option<Box<dyn std::any::Any>> {
    let mut h = Html::new();
    h.start("div").attr("class", "ended").end();
    h.element("div", &[("id", "pm-ended-card")], "");
    h.start("footer").attr("class", "modal-footer").end();
    h.element(
        "button",
        &[
            ("type", "button"),
            ("class", "btn"),
            ("data-action", "ended-close"),
        ],
        "Close",
    )
    .close("footer")
    .close("div");
    body.set_inner_html(&h.finish());
    let slot = document().get_element_by_id("pm-ended-card")?;
    let portal = f
        .partial_cluster
        .as_ref()
        .filter(|p| !p.portal_url.is_empty())
        .map(|p| p.portal_url.clone());
    Some(mount_under(&owner, &slot, move || {
        view! {
            <ProvisionErrorCard
                failure=f
                id="modal-failure"
                extra_portal_url=portal
                on_edit_retry=Callback::new(move |r: ProvisionRequest| modal.back_to_form(Some(r)))
                on_dismiss=Callback::new(move |_: String| modal.back_to_form(None))
            />
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::request;

    #[test]
    fn the_lead_says_what_is_created_where_as_text() {
        let mut h = Html::new();
        lead_into(&mut h, &request("aks-<one>"));
        assert_eq!(
            h.finish(),
            "Creating <strong>aks-&lt;one&gt;</strong> in koreacentral · <code>rg-aks-dev</code>"
        );
    }

    #[test]
    fn the_creating_screen_has_its_parts_in_place_to_be_kept_current() {
        let html = creating_markup(&request("aks-one"), None, None, 0);
        assert!(
            html.starts_with(r#"<div class="creating" data-testid="provision-creating">"#),
            "{html}"
        );
        for id in ["pm-steps", "pm-facts", "pm-message", "pm-footer"] {
            assert!(html.contains(&format!(r#"id="{id}""#)), "{id}: {html}");
        }
        assert!(
            html.contains("Waiting for a worker to pick the job up…"),
            "{html}"
        );
        assert!(html.contains(r#"data-action="stop""#), "{html}");
        assert_eq!(html.matches("<div").count(), html.matches("</div>").count());
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
