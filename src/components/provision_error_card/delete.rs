//! "Delete partial cluster" on an error card: ask, delete (only a cluster this job's tag marks,
//! see the server's guard), and say how it went.

use leptos::either::EitherOf4;
use leptos::prelude::*;

use crate::components::session::SignInAgain;

use crate::api::failures::delete_partial_cluster;
use crate::components::confirm::{AskingButton, ConfirmPanel};
use crate::components::erase::erased_on_server;
use crate::components::last_failed::LastFailed;
use crate::components::page_action::{KeptForm, PageAction};

/// Where the delete stands.
#[derive(Debug, Clone, PartialEq)]
enum DeleteState {
    Idle,
    Confirming,
    Deleting,
    Accepted(String),
    Failed(String),
}

/// The delete button, its confirmation, and how the delete went.
#[component]
pub fn DeletePartial(
    job_id: String,
    cluster_name: String,
    resource_group: String,
) -> impl IntoView {
    let last_failed = use_context::<LastFailed>();
    let state = RwSignal::new(DeleteState::Idle);
    // "Keep it" gives the focus back to the button that asked.
    let button = AskingButton::new();

    let delete = {
        let cluster_name = cluster_name.clone();
        let job_id = job_id.clone();
        Callback::new(move |()| {
            state.set(DeleteState::Deleting);
            // The server resolves the failure as soon as the delete is accepted (and tells every
            // device): this card stays here to say how the delete went.
            if let Some(lf) = last_failed {
                lf.hold(&job_id);
            }
            let (job_id, cluster_name) = (job_id.clone(), cluster_name.clone());
            leptos::task::spawn_local(async move {
                let next = match delete_partial_cluster(job_id.clone()).await {
                    Ok(o) if o.status == "gone" => DeleteState::Accepted(format!(
                        "{cluster_name} was already gone from Azure."
                    )),
                    Ok(_) => DeleteState::Accepted(format!(
                        "Azure is deleting {cluster_name}; it leaves the list when done."
                    )),
                    Err(e) => {
                        SignInAgain::note(&e);
                        DeleteState::Failed(e.message)
                    }
                };
                if matches!(next, DeleteState::Failed(_))
                    && let Some(lf) = last_failed
                {
                    lf.release(&job_id);
                }
                state.try_set(next);
            });
        })
    };
    let keep = Callback::new(move |()| {
        state.set(DeleteState::Idle);
        button.refocus();
    });
    let ask = Callback::new(move |()| state.set(DeleteState::Confirming));
    let action = PageAction::DeletePartial {
        job_id: job_id.clone(),
    };
    let delete_button = move || {
        matches!(state.get(), DeleteState::Idle | DeleteState::Failed(_)).then(|| {
            view! {
                <KeptForm action=action.clone() on_press=ask pending_label="Asking first…">
                    <button
                        type="submit"
                        class="btn btn-danger"
                        data-testid="delete-partial"
                        node_ref=button.node
                    >
                        "Delete partial cluster"
                    </button>
                </KeptForm>
            }
        })
    };
    let panel = move || match state.get() {
        DeleteState::Idle => None,
        DeleteState::Confirming => {
            let (name, group) = (cluster_name.clone(), resource_group.clone());
            Some(EitherOf4::A(view! {
                <ConfirmPanel
                    label="Confirm delete"
                    confirm_label="Delete cluster"
                    confirm_class="btn-danger-solid"
                    confirm_testid="confirm-delete-partial"
                    cancel_label="Keep it"
                    on_confirm=delete
                    on_cancel=keep
                >
                    "Delete " <strong>{name}</strong> " from " <code>{group}</code>
                    "? Whatever Azure created for it so far is removed. This cannot be undone."
                </ConfirmPanel>
            }))
        }
        DeleteState::Deleting => Some(EitherOf4::B(view! {
            <p class="status-line" role="status">
                "Asking Azure to delete the cluster…"
            </p>
        })),
        DeleteState::Accepted(message) => Some(EitherOf4::C(view! {
            <p class="status-line status-ok" role="status" data-testid="delete-partial-status">
                {message}
            </p>
        })),
        DeleteState::Failed(message) => Some(EitherOf4::D(view! {
            <p class="status-line status-fail" role="status" data-testid="delete-partial-status">
                "Could not delete the cluster: "
                {message}
            </p>
        })),
    };
    erased_on_server(view! {
        {delete_button}
        {panel}
    })
}
