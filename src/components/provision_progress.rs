//! A running provision as people follow it: its steps, the cluster's state in Azure, the time
//! it has taken, and Stop (with a confirmation that a partial cluster may remain) with the
//! server function it calls. Shared by the dashboard's provisioning banner and the modal.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::components::clock::format_elapsed;
use crate::components::confirm_panel::ConfirmMarkup;
use crate::components::markup::{Clicked, Html};
use crate::provisioning::model::{CancelOutcome, JobStatus, STEPS, TaskStatus};

/// A step's name in the product's words.
pub fn step_label(phase: &str) -> &'static str {
    match phase {
        "ensuring_resource_group" => "Preparing the resource group",
        "arm_create_or_update" => "Creating the cluster in Azure",
        "completed" => "Cluster ready",
        "queued" | "" => "Waiting for a worker",
        _ => "Working",
    }
}

/// `(step, total)`, 1-based; a queued task is at step 0.
pub fn step_of(task: &TaskStatus) -> (u32, u32) {
    let total = STEPS.len() as u32;
    match &task.progress {
        Some(p) => (p.step.min(p.total_steps.max(1)), p.total_steps.max(1)),
        None => (0, total),
    }
}

/// The status as a badge says it.
pub fn status_label(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "Queued",
        JobStatus::Running => "Running",
        JobStatus::Succeeded => "Succeeded",
        JobStatus::Failed => "Failed",
        JobStatus::Cancelled => "Cancelled",
    }
}

/// Seconds since the task was created, never negative.
pub fn elapsed_seconds(task: &TaskStatus, now_ms: i64) -> u64 {
    seconds_since(task.created_at, now_ms)
}

/// Whole seconds from `at` to `now_ms` (both in milliseconds), never negative.
fn seconds_since(at: i64, now_ms: i64) -> u64 {
    (now_ms.saturating_sub(at) / 1000).max(0) as u64
}

/// What a create is doing: a progress bar, the step, the cluster's state in Azure and the time
/// it has taken (`data-started-at`: kept current in place by [`refresh_elapsed`]).
pub fn facts_markup(task: Option<&TaskStatus>, now: i64) -> String {
    let mut h = Html::new();
    facts_into(&mut h, task, now);
    h.finish()
}

fn facts_into(h: &mut Html, task: Option<&TaskStatus>, now: i64) {
    let (step, total) = task.map(step_of).unwrap_or((0, STEPS.len() as u32));
    let percent = match task {
        Some(t) if t.status == JobStatus::Succeeded => 100,
        Some(_) => (step.saturating_sub(1) * 100 + 50) / total,
        None => 0,
    };
    let progress = task.and_then(|t| t.progress.as_ref());
    let phase = progress.map(|p| p.phase.as_str()).unwrap_or("queued");
    let step_text = task
        .map(|_| format!("{step} of {total} · {}", step_label(phase)))
        .unwrap_or_default();
    let state = progress
        .and_then(|p| p.cluster_state.as_deref())
        .unwrap_or("Not in Azure yet");
    let elapsed = task
        .map(|t| format_elapsed(elapsed_seconds(t, now)))
        .unwrap_or_default();
    h.start("div")
        .attr("class", "progress-bar")
        .attr("role", "progressbar")
        .attr("aria-label", "Provisioning progress")
        .attr("aria-valuemin", "0")
        .attr("aria-valuenow", &step.to_string())
        .attr("aria-valuemax", &total.to_string())
        .end()
        .element(
            "span",
            &[
                ("class", "progress-bar-fill"),
                ("style", &format!("width: {percent}%")),
            ],
            "",
        )
        .close("div");
    h.start("dl").attr("class", "progress-facts").end();
    let started = task.map(|t| t.created_at.to_string()).unwrap_or_default();
    for (term, testid, value) in [
        ("Step", "progress-step", step_text.as_str()),
        ("Cluster state", "progress-cluster-state", state),
        ("Elapsed", "progress-elapsed", elapsed.as_str()),
    ] {
        h.start("div").end().element("dt", &[], term);
        h.start("dd")
            .attr("data-testid", testid)
            .attr_if(
                testid == "progress-elapsed" && !started.is_empty(),
                "data-started-at",
                &started,
            )
            .end()
            .text(value)
            .close("dd")
            .close("div");
    }
    h.close("dl");
}

/// The steps of a create (done, current, to do): the items of an `<ol class="steps">`.
pub fn steps_markup(task: Option<&TaskStatus>) -> String {
    let current = task.map(|t| step_of(t).0).unwrap_or(0);
    let done_all = task.is_some_and(|t| t.status == JobStatus::Succeeded);
    let mut h = Html::new();
    for (i, phase) in STEPS.iter().enumerate() {
        let n = i as u32 + 1;
        let (state, sr) = if done_all || n < current {
            ("done", "done")
        } else if n == current {
            ("current", "in progress")
        } else {
            ("todo", "to do")
        };
        let marker = if state == "done" {
            "✓".to_owned()
        } else {
            n.to_string()
        };
        h.start("li")
            .attr("class", "step")
            .attr("data-state", state)
            .end()
            .element(
                "span",
                &[("class", "step-marker"), ("aria-hidden", "true")],
                &marker,
            )
            .element("span", &[("class", "step-label")], step_label(phase))
            .element("span", &[("class", "visually-hidden")], &format!(" ({sr})"))
            .close("li");
    }
    h.finish()
}

#[server(prefix = "/api", endpoint = "aks/cancel", protocol = crate::server_call::Api<server_fn::codec::Json>)]
pub async fn cancel_provision(task_id: String) -> Result<CancelOutcome, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::cancel(&state, &caller, &task_id)
        .await
        .map_err(service::respond)
}

/// Where one Stop stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum StopState {
    #[default]
    Idle,
    Confirming,
    Stopping,
    Failed(String),
}

/// Where each Stop on the page stands, by task id (a redraw of the markup keeps it).
pub type StopStates = RwSignal<BTreeMap<String, StopState>>;

/// Acts on a click on the Stop markup of task `task_id` ([`stop_into`]): asks first, keeps
/// creating, or cancels the task and reports the outcome to `on_stopped`.
pub fn on_stop_click(
    clicked: &Clicked,
    task_id: String,
    states: StopStates,
    on_stopped: Callback<CancelOutcome>,
) {
    let set = move |id: &str, state: StopState| {
        states.try_update(|s| s.insert(id.to_owned(), state));
    };
    match clicked.action.as_str() {
        "stop" => {
            set(&task_id, StopState::Confirming);
            clicked.focus_after_redraw("[data-action=stop-confirm]");
        }
        "stop-keep" => {
            set(&task_id, StopState::Idle);
            clicked.focus_after_redraw("[data-action=stop]");
        }
        "stop-confirm" => {
            set(&task_id, StopState::Stopping);
            leptos::task::spawn_local(async move {
                match cancel_provision(task_id.clone()).await {
                    Ok(outcome) => {
                        on_stopped.try_run(outcome);
                    }
                    Err(e) => set(&task_id, StopState::Failed(e.message)),
                }
            });
        }
        _ => {}
    }
}

/// The in-flight provisions' banners as markup: what each is doing, how long it has taken
/// (`data-started-at`, kept current by [`refresh_elapsed`]), its portal link and Stop.
/// `stopping` says whether a task's Stop was accepted.
pub fn banners_markup(
    tasks: &[TaskStatus],
    stopping: impl Fn(&str) -> bool,
    stops: &BTreeMap<String, StopState>,
    now: i64,
) -> String {
    let mut h = Html::new();
    for t in tasks {
        let r = &t.request;
        let status = if stopping(&t.task_id) {
            "Stopping"
        } else {
            status_label(t.status)
        };
        let progress = t.progress.as_ref();
        h.start("section")
            .attr("class", "progress-banner")
            .attr("data-testid", "provision-progress")
            .attr("data-task-id", &t.task_id)
            .attr("data-cluster", &r.cluster_name)
            .attr("aria-label", &format!("Provisioning {}", r.cluster_name))
            .end();
        h.start("div").attr("class", "progress-top").end();
        h.element("span", &[("class", "spinner"), ("aria-hidden", "true")], "")
            .element(
                "strong",
                &[("class", "progress-title")],
                &format!("Creating {}", r.cluster_name),
            )
            .element("span", &[("class", "badge badge-info")], status)
            .element(
                "span",
                &[("class", "muted progress-where")],
                &format!("{} · {} × {}", r.region, r.node_count, r.node_sku),
            )
            .close("div");
        facts_into(&mut h, Some(t), now);
        h.element(
            "p",
            &[("class", "progress-message muted")],
            progress.map(|p| p.message.as_str()).unwrap_or_default(),
        );
        h.start("div").attr("class", "progress-actions").end();
        if let Some(url) = progress.and_then(|p| p.portal_url.as_deref()) {
            h.start("a")
                .attr("class", "btn")
                .attr("href", url)
                .new_tab()
                .end()
                .text("Open in Azure portal")
                .element("span", &[("aria-hidden", "true")], " ↗")
                .close("a");
        }
        let stop = stops.get(&t.task_id).cloned().unwrap_or_default();
        stop_into(&mut h, &r.cluster_name, &r.resource_group, &stop);
        h.close("div").close("section");
    }
    h.finish()
}

/// Keeps every elapsed time under `root` (`data-started-at`, from [`facts_markup`]) current.
pub fn refresh_elapsed(root: &leptos::web_sys::Element, now: i64) {
    // Runs in the browser only (the server's markup is current when it is sent).
    #[cfg(not(feature = "hydrate"))]
    let _ = (root, now);
    #[cfg(feature = "hydrate")]
    crate::components::markup::each_stamped(root, "data-started-at", |el, at| {
        crate::components::markup::set_text(el, &format_elapsed(seconds_since(at, now)));
    });
}

/// [`stop_into`] on its own.
#[cfg(test)]
fn stop_markup(cluster_name: &str, resource_group: &str, state: &StopState) -> String {
    let mut h = Html::new();
    stop_into(&mut h, cluster_name, resource_group, state);
    h.finish()
}

/// Stop for one provision in one state: the Stop button (with why the last stop failed), the
/// confirmation (a partial cluster may remain), or the disabled "Stopping…"; its clicks go to
/// [`on_stop_click`].
pub fn stop_into(h: &mut Html, cluster_name: &str, resource_group: &str, state: &StopState) {
    let stop_button = |h: &mut Html, stopping: bool| {
        h.start("button")
            .attr("type", "button")
            .attr("class", "btn btn-danger")
            .attr("data-testid", "stop-button")
            .attr_if(!stopping, "data-action", "stop")
            .attr_if(stopping, "disabled", "")
            .end()
            .text(if stopping { "Stopping…" } else { "Stop" })
            .close("button");
    };
    match state {
        StopState::Idle => stop_button(h, false),
        StopState::Failed(msg) => {
            stop_button(h, false);
            h.element(
                "span",
                &[("class", "status-line status-fail"), ("role", "status")],
                &format!("Could not stop: {msg}"),
            );
        }
        StopState::Confirming => ConfirmMarkup {
            label: "Confirm stop",
            confirm_label: "Stop provisioning",
            confirm_class: "btn-danger-solid",
            confirm_testid: "confirm-stop",
            cancel_label: "Keep creating",
            actions: ("stop-confirm", "stop-keep"),
            alert: false,
            extra_class: "",
        }
        .write(h, |h| {
            h.text(&format!(
                "Stop creating {cluster_name}? Azure is asked to abort the create. A partial \
                 cluster may remain in {resource_group} — you can open it in the Azure portal or \
                 delete it afterwards."
            ));
        }),
        StopState::Stopping => stop_button(h, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provisioning::model::{Progress, ProvisionRequest};

    fn task(progress: Option<Progress>) -> TaskStatus {
        TaskStatus {
            task_id: "t".into(),
            job_id: "j".into(),
            status: JobStatus::Running,
            ready: false,
            progress,
            error: None,
            result: None,
            request: ProvisionRequest::default(),
            created_at: 10_000,
            updated_at: 10_000,
        }
    }

    #[test]
    fn a_queued_task_is_at_step_zero_of_the_known_steps() {
        assert_eq!(step_of(&task(None)), (0, 3));
    }

    #[test]
    fn the_step_comes_from_the_progress() {
        let p = Progress {
            phase: "arm_create_or_update".into(),
            step: 2,
            total_steps: 3,
            ..Progress::default()
        };
        assert_eq!(step_of(&task(Some(p))), (2, 3));
        assert_eq!(
            step_label("arm_create_or_update"),
            "Creating the cluster in Azure"
        );
    }

    #[test]
    fn elapsed_never_goes_negative() {
        assert_eq!(elapsed_seconds(&task(None), 5_000), 0);
        assert_eq!(elapsed_seconds(&task(None), 75_000), 65);
    }

    fn creating() -> TaskStatus {
        task(Some(Progress {
            phase: "arm_create_or_update".into(),
            step: 2,
            total_steps: 3,
            cluster_state: Some("Creating".into()),
            ..Progress::default()
        }))
    }

    #[test]
    fn the_facts_say_the_step_the_state_and_the_time() {
        let html = facts_markup(Some(&creating()), 75_000);
        assert!(
            html.contains(r#"aria-valuenow="2" aria-valuemax="3""#),
            "{html}"
        );
        assert!(html.contains(r#"style="width: 50%""#), "{html}");
        assert!(
            html.contains("2 of 3 · Creating the cluster in Azure"),
            "{html}"
        );
        assert!(
            html.contains(r#"<dd data-testid="progress-cluster-state">Creating</dd>"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<dd data-testid="progress-elapsed" data-started-at="10000">1m 05s</dd>"#
            ),
            "{html}"
        );
        let queued = facts_markup(Some(&task(None)), 10_000);
        assert!(queued.contains("Not in Azure yet"), "{queued}");
    }

    #[test]
    fn the_steps_before_the_current_one_are_done() {
        let html = steps_markup(Some(&creating()));
        let states: Vec<&str> = html
            .split(r#"data-state=""#)
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap_or(0)])
            .collect();
        assert_eq!(states, ["done", "current", "todo"], "{html}");
        assert!(html.contains(" (in progress)"), "{html}");
    }

    #[test]
    fn stop_asks_first_then_says_it_is_stopping() {
        let idle = stop_markup("aks-<one>", "rg", &StopState::Idle);
        assert!(idle.contains(r#"data-action="stop""#), "{idle}");
        let asking = stop_markup("aks-<one>", "rg", &StopState::Confirming);
        assert!(
            asking.contains(r#"data-testid="confirm-stop" data-action="stop-confirm""#),
            "{asking}"
        );
        assert!(asking.contains(r#"data-action="stop-keep""#), "{asking}");
        assert!(
            asking.contains("Stop creating aks-&lt;one&gt;?"),
            "{asking}"
        );
        assert!(
            asking.contains("A partial cluster may remain in rg"),
            "{asking}"
        );
        let stopping = stop_markup("aks-one", "rg", &StopState::Stopping);
        assert!(stopping.contains("disabled"), "{stopping}");
        assert!(!stopping.contains("data-action"), "{stopping}");
        let failed = stop_markup("aks-one", "rg", &StopState::Failed("Throttled".into()));
        assert!(failed.contains("Could not stop: Throttled"), "{failed}");
        assert!(failed.contains(r#"data-action="stop""#), "{failed}");
    }

    #[test]
    fn each_banner_says_what_its_create_is_doing_with_its_own_stop() {
        let mut one = creating();
        one.task_id = "t-1".into();
        one.request.cluster_name = "aks-one".into();
        let mut two = task(None);
        two.task_id = "t-2".into();
        two.request.cluster_name = "aks-two".into();
        let stops = BTreeMap::from([("t-2".to_owned(), StopState::Confirming)]);
        let html = banners_markup(&[one, two], |id| id == "t-1", &stops, 75_000);
        assert_eq!(
            html.matches(r#"data-testid="provision-progress""#).count(),
            2
        );
        assert!(
            html.contains(r#"data-task-id="t-1" data-cluster="aks-one""#),
            "{html}"
        );
        // t-1's stop was accepted; t-2 is asking first.
        let (first, second) = html.split_at(html.find(r#"data-task-id="t-2""#).unwrap());
        assert!(
            first.contains(r#"<span class="badge badge-info">Stopping</span>"#),
            "{first}"
        );
        assert!(first.contains(r#"data-action="stop""#), "{first}");
        assert!(second.contains(r#"data-testid="confirm-stop""#), "{second}");
        assert!(second.contains("Stop creating aks-two?"), "{second}");
        assert!(html.contains(r#"data-started-at="10000">1m 05s"#), "{html}");
    }
}
