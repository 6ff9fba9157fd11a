//! Stop: ask first (a partial cluster may remain), then cancel the task — the server asks Azure
//! to abort the create. Used by each in-flight banner and by the modal's creating screen.

use leptos::either::Either;
use leptos::prelude::*;

use crate::components::session::SignInAgain;

use crate::api::tasks::cancel_provision;
use crate::components::confirm::{AskingButton, ConfirmPanel};
use crate::components::page_action::{KeptForm, PageAction};
use crate::domain::CancelOutcome;

/// Where one Stop stands.
#[derive(Debug, Clone, PartialEq, Default)]
enum StopState {
    #[default]
    Idle,
    Confirming,
    Stopping,
    Failed(String),
}

/// The sentence of Stop's confirmation.
fn stop_question(cluster_name: &str, resource_group: &str) -> String {
    format!(
        "Stop creating {cluster_name}? Azure is asked to abort the create. A partial cluster may \
         remain in {resource_group} — you can open it in the Azure portal or delete it afterwards."
    )
}

/// Stop for one provision: the button, its confirmation, "Stopping…" once the server took it,
/// and why the last try failed. The focus moves to the confirmation and back.
#[component]
pub fn StopControl(
    task_id: String,
    cluster_name: String,
    resource_group: String,
    /// The server accepted the stop.
    #[prop(into)]
    on_stopped: Callback<CancelOutcome>,
) -> impl IntoView {
    let state = RwSignal::new(StopState::Idle);
    let button = AskingButton::new();
    let action = PageAction::Stop {
        task_id: task_id.clone(),
    };
    let ask = Callback::new(move |()| {
        if state.get_untracked() == StopState::Idle
            || matches!(state.get_untracked(), StopState::Failed(_))
        {
            state.set(StopState::Confirming);
        }
    });
    let confirm = Callback::new(move |()| {
        state.set(StopState::Stopping);
        let task_id = task_id.clone();
        leptos::task::spawn_local(async move {
            match cancel_provision(task_id).await {
                Ok(outcome) => {
                    on_stopped.try_run(outcome);
                }
                Err(e) => {
                    SignInAgain::note(&e);
                    state.try_set(StopState::Failed(e.message));
                }
            }
        });
    });
    let keep = Callback::new(move |()| {
        state.set(StopState::Idle);
        button.refocus();
    });
    let question = stop_question(&cluster_name, &resource_group);
    move || match state.get() {
        StopState::Confirming => {
            let question = question.clone();
            Either::Left(view! {
                <ConfirmPanel
                    label="Confirm stop"
                    confirm_label="Stop provisioning"
                    confirm_class="btn-danger-solid"
                    confirm_testid="confirm-stop"
                    cancel_label="Keep creating"
                    on_confirm=confirm
                    on_cancel=keep
                >
                    {question}
                </ConfirmPanel>
            })
        }
        other => {
            let stopping = other == StopState::Stopping;
            let failed = match other {
                StopState::Failed(message) => Some(view! {
                    <span class="status-line status-fail" role="status">
                        "Could not stop: "
                        {message}
                    </span>
                }),
                _ => None,
            };
            Either::Right(view! {
                <KeptForm action=action.clone() on_press=ask pending_label="Asking first…">
                    <button
                        type="submit"
                        class="btn btn-danger"
                        data-testid="stop-button"
                        disabled=stopping
                        node_ref=button.node
                    >
                        {if stopping { "Stopping…" } else { "Stop" }}
                    </button>
                </KeptForm>
                {failed}
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_asks_first_and_says_a_partial_cluster_may_remain() {
        let question = stop_question("aks-one", "rg-aks-dev");
        assert!(question.starts_with("Stop creating aks-one?"), "{question}");
        assert!(
            question.contains("A partial cluster may remain in rg-aks-dev"),
            "{question}"
        );
    }

    #[test]
    fn stop_starts_as_a_button() {
        let html = crate::components::fixtures::server_html(|| {
            view! {
                <StopControl
                    task_id="t1".to_owned()
                    cluster_name="aks-one".to_owned()
                    resource_group="rg".to_owned()
                    on_stopped=|_| {}
                />
            }
        });
        assert!(html.contains(r#"data-testid="stop-button""#), "{html}");
        assert!(html.contains(">Stop</button>"), "{html}");
        assert!(!html.contains("disabled"), "{html}");
    }
}
