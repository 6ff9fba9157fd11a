//! A running provision as people follow it: its steps, the cluster's state in Azure, the time
//! it has taken, and Stop (with a confirmation that a partial cluster may remain) with the
//! server function it calls. Shared by the dashboard's provisioning banner and the modal.

use leptos::either::EitherOf3;
use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::components::clock::format_elapsed;
use crate::components::confirm_panel::ConfirmPanel;
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
    (now_ms.saturating_sub(task.created_at) / 1000).max(0) as u64
}

/// Step, cluster state and elapsed time of one task, as a definition list.
#[component]
pub fn ProgressFacts(task: Signal<Option<TaskStatus>>, now: Signal<i64>) -> impl IntoView {
    let step = move || {
        task.with(|t| {
            t.as_ref().map(|t| {
                let (step, total) = step_of(t);
                let phase = t
                    .progress
                    .as_ref()
                    .map(|p| p.phase.as_str())
                    .unwrap_or("queued");
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
    let elapsed = move || {
        let now = now.get();
        task.with(|t| t.as_ref().map(|t| format_elapsed(elapsed_seconds(t, now))))
    };
    let percent = move || {
        task.with(|t| {
            t.as_ref().map(|t| {
                let (step, total) = step_of(t);
                if t.status == JobStatus::Succeeded {
                    100
                } else {
                    (step.saturating_sub(1) * 100 + 50) / total
                }
            })
        })
        .unwrap_or(0)
    };
    let (valuenow, valuemax) = (
        move || task.with(|t| t.as_ref().map(|t| step_of(t).0).unwrap_or(0)),
        move || {
            task.with(|t| {
                t.as_ref()
                    .map(|t| step_of(t).1)
                    .unwrap_or(STEPS.len() as u32)
            })
        },
    );
    view! {
        <div
            class="progress-bar"
            role="progressbar"
            aria-label="Provisioning progress"
            aria-valuemin="0"
            aria-valuenow=valuenow
            aria-valuemax=valuemax
        >
            <span class="progress-bar-fill" style:width=move || format!("{}%", percent())></span>
        </div>
        <dl class="progress-facts">
            <div>
                <dt>"Step"</dt>
                <dd data-testid="progress-step">{step}</dd>
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
    }
}

/// The steps of a provision, done / current / to do.
#[component]
pub fn StepList(task: Signal<Option<TaskStatus>>) -> impl IntoView {
    let current = move || task.with(|t| t.as_ref().map(|t| step_of(t).0).unwrap_or(0));
    let done_all =
        move || task.with(|t| t.as_ref().is_some_and(|t| t.status == JobStatus::Succeeded));
    STEPS
        .iter()
        .enumerate()
        .map(|(i, phase)| {
            let n = i as u32 + 1;
            let state = move || {
                let c = current();
                if done_all() || n < c {
                    "done"
                } else if n == c {
                    "current"
                } else {
                    "todo"
                }
            };
            let marker = move || match state() {
                "done" => "✓".to_owned(),
                _ => n.to_string(),
            };
            let sr = move || match state() {
                "done" => "done",
                "current" => "in progress",
                _ => "to do",
            };
            view! {
                <li class="step" data-state=state>
                    <span class="step-marker" aria-hidden="true">{marker}</span>
                    <span class="step-label">{step_label(phase)}</span>
                    <span class="visually-hidden">" (" {sr} ")"</span>
                </li>
            }
        })
        .collect_view()
}

/// Stops a provision (the same behaviour as `POST /api/aks/cancel-provision/{task_id}`).
#[server(prefix = "/api", endpoint = "aks/cancel", input = server_fn::codec::Json)]
pub async fn cancel_provision(task_id: String) -> Result<CancelOutcome, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::cancel(&state, &caller, &task_id)
        .await
        .map_err(service::respond)
}

#[derive(Debug, Clone, PartialEq)]
enum StopState {
    Idle,
    Confirming,
    Stopping,
    Failed(String),
}

/// Stop, with a confirmation that says a partial cluster may remain. `on_stopped` gets the
/// cancel's answer (including any partial cluster Azure already has).
#[component]
pub fn StopProvision(
    task_id: String,
    cluster_name: String,
    resource_group: String,
    #[prop(into)] on_stopped: Callback<CancelOutcome>,
) -> impl IntoView {
    let state = RwSignal::new(StopState::Idle);
    let stop = Callback::new(move |()| {
        state.set(StopState::Stopping);
        let task_id = task_id.clone();
        leptos::task::spawn_local(async move {
            match cancel_provision(task_id).await {
                Ok(outcome) => {
                    on_stopped.try_run(outcome);
                }
                Err(e) => state.set(StopState::Failed(e.message)),
            }
        });
    });
    let confirm_text = format!(
        "Stop creating {cluster_name}? Azure is asked to abort the create. A partial cluster may \
         remain in {resource_group} — you can open it in the Azure portal or delete it afterwards."
    );
    move || match state.get() {
        StopState::Idle | StopState::Failed(_) => {
            let failed = match state.get() {
                StopState::Failed(msg) => Some(view! {
                    <span class="status-line status-fail" role="status">"Could not stop: " {msg}</span>
                }),
                _ => None,
            };
            EitherOf3::A(view! {
                <button
                    type="button"
                    class="btn btn-danger"
                    data-testid="stop-button"
                    on:click=move |_| state.set(StopState::Confirming)
                >
                    "Stop"
                </button>
                {failed}
            })
        }
        StopState::Confirming => {
            let text = confirm_text.clone();
            EitherOf3::B(view! {
                <ConfirmPanel
                    label="Confirm stop"
                    confirm_label="Stop provisioning"
                    confirm_class="btn-danger-solid"
                    confirm_testid="confirm-stop"
                    cancel_label="Keep creating"
                    on_confirm=stop
                    on_cancel=Callback::new(move |()| state.set(StopState::Idle))
                >
                    {text}
                </ConfirmPanel>
            })
        }
        StopState::Stopping => EitherOf3::C(view! {
            <button type="button" class="btn btn-danger" data-testid="stop-button" disabled=true>
                "Stopping…"
            </button>
        }),
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
}
