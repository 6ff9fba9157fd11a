//! A running provision as people follow it: its steps, the cluster's state in Azure and the
//! time it has taken. Shared by the dashboard's banners and the modal's creating screen; each
//! part changes in place as the task moves on.

use leptos::prelude::*;

use crate::components::clock::{Clock, format_elapsed};
use crate::components::erase::erased_on_server;
use crate::domain::{JobStatus, STEPS, TaskStatus};

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
    (now_ms.saturating_sub(task.created_at) / 1000).max(0) as u64
}

/// How far the progress bar is filled, in percent.
fn percent_done(task: Option<&TaskStatus>) -> u32 {
    match task {
        Some(t) if t.status == JobStatus::Succeeded => 100,
        Some(t) => {
            let (step, total) = step_of(t);
            (step.saturating_sub(1) * 100 + 50) / total
        }
        None => 0,
    }
}

/// What a create is doing: a progress bar, the step, the cluster's state in Azure and the time
/// it has taken (kept current by the page's clock).
#[component]
pub fn ProgressFacts(#[prop(into)] task: Signal<Option<TaskStatus>>) -> impl IntoView {
    let now = Clock::now();
    let step = Memo::new(move |_| {
        task.with(|t| t.as_ref().map(step_of))
            .unwrap_or((0, STEPS.len() as u32))
    });
    let percent = Memo::new(move |_| task.with(|t| percent_done(t.as_ref())));
    let step_text = move || {
        task.with(|t| {
            t.as_ref().map(|t| {
                let phase = t
                    .progress
                    .as_ref()
                    .map(|p| p.phase.as_str())
                    .unwrap_or("queued");
                let (step, total) = step_of(t);
                format!("{step} of {total} · {}", step_label(phase))
            })
        })
    };
    let state = move || {
        task.with(|t| {
            t.as_ref()
                .and_then(|t| t.progress.as_ref())
                .and_then(|p| p.cluster_state.clone())
                .unwrap_or_else(|| "Not in Azure yet".to_owned())
        })
    };
    let created_at = Memo::new(move |_| task.with(|t| t.as_ref().map(|t| t.created_at)));
    let elapsed = move || {
        created_at
            .get()
            .map(|at| format_elapsed((now.get().saturating_sub(at) / 1000).max(0) as u64))
    };
    erased_on_server(view! {
        <div
            class="progress-bar"
            role="progressbar"
            aria-label="Provisioning progress"
            aria-valuemin="0"
            aria-valuenow=move || step.get().0
            aria-valuemax=move || step.get().1
        >
            <span class="progress-bar-fill" style:width=move || format!("{}%", percent.get())></span>
        </div>
        <dl class="progress-facts">
            <div>
                <dt>"Step"</dt>
                <dd data-testid="progress-step">{step_text}</dd>
            </div>
            <div>
                <dt>"Cluster state"</dt>
                <dd data-testid="progress-cluster-state">{state}</dd>
            </div>
            <div>
                <dt>"Elapsed"</dt>
                <dd data-testid="progress-elapsed">{elapsed}</dd>
            </div>
        </dl>
    })
}

/// Where one step stands, as its marker and a screen reader say it.
fn step_state(n: u32, current: u32, done_all: bool) -> (&'static str, &'static str) {
    if done_all || n < current {
        ("done", "done")
    } else if n == current {
        ("current", "in progress")
    } else {
        ("todo", "to do")
    }
}

/// The steps of a create: done, current, to do.
#[component]
pub fn StepList(#[prop(into)] task: Signal<Option<TaskStatus>>) -> impl IntoView {
    let at = Memo::new(move |_| {
        task.with(|t| {
            (
                t.as_ref().map(|t| step_of(t).0).unwrap_or(0),
                t.as_ref().is_some_and(|t| t.status == JobStatus::Succeeded),
            )
        })
    });
    let steps = STEPS
        .iter()
        .enumerate()
        .map(|(i, phase)| {
            let n = i as u32 + 1;
            let state = move || {
                let (current, done_all) = at.get();
                step_state(n, current, done_all)
            };
            view! {
                <li class="step" data-state=move || state().0>
                    <span class="step-marker" aria-hidden="true">
                        {move || if state().0 == "done" { "✓".to_owned() } else { n.to_string() }}
                    </span>
                    <span class="step-label">{step_label(phase)}</span>
                    <span class="visually-hidden">{move || format!(" ({})", state().1)}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="steps">{steps}</ol> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Progress, ProvisionRequest};

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
            owner_id: "dev@example.com".into(),
            owner_name: None,
            estimate: None,
            timeline: Vec::new(),
        }
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
    fn a_queued_task_is_at_step_zero_of_the_known_steps() {
        assert_eq!(step_of(&task(None)), (0, 3));
        assert_eq!(percent_done(Some(&task(None))), 16);
    }

    #[test]
    fn the_step_comes_from_the_progress() {
        assert_eq!(step_of(&creating()), (2, 3));
        assert_eq!(percent_done(Some(&creating())), 50);
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

    #[test]
    fn the_facts_say_the_step_the_state_and_the_time() {
        let html = crate::components::fixtures::server_html(
            || view! { <ProgressFacts task=Signal::stored(Some(creating())) /> },
        );
        assert!(
            html.contains(r#"aria-valuenow="2" aria-valuemax="3""#),
            "{html}"
        );
        assert!(html.contains("width:50%"), "{html}");
        assert!(
            html.contains("2 of 3 · Creating the cluster in Azure"),
            "{html}"
        );
        assert!(html.contains(">Creating<"), "{html}");
        let queued = crate::components::fixtures::server_html(
            || view! { <ProgressFacts task=Signal::stored(Some(task(None))) /> },
        );
        assert!(queued.contains("Not in Azure yet"), "{queued}");
    }

    #[test]
    fn the_steps_before_the_current_one_are_done() {
        assert_eq!(step_state(1, 2, false), ("done", "done"));
        assert_eq!(step_state(2, 2, false), ("current", "in progress"));
        assert_eq!(step_state(3, 2, false), ("todo", "to do"));
        assert_eq!(step_state(3, 2, true).0, "done");
        let html = crate::components::fixtures::server_html(
            || view! { <StepList task=Signal::stored(Some(creating())) /> },
        );
        assert_eq!(html.matches(r#"data-state="done""#).count(), 1, "{html}");
        assert!(html.contains(" (in progress)"), "{html}");
    }
}
