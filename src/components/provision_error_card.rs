//! ProvisionErrorCard: one failed provision explained — headline, details, actions, Edit & retry,
//! Dismiss, the raw Azure answer — used by the dashboard banner and by the modal.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::components::clock::Moment;
use crate::components::confirm_panel::ConfirmPanel;
use crate::components::erase::erased_on_server;
use crate::components::last_failed::{LastFailed, dismiss_failed_provision, failure_request};
use crate::provisioning::classify::{Category, Classification};
use crate::provisioning::model::{
    DeletePartialOutcome, FailedProvision, Fix, JobStatus, ProvisionRequest,
};

/// Deletes the partial cluster a cancelled or failed job of the caller left in Azure.
#[server(prefix = "/api", endpoint = "aks/delete-partial-cluster", input = server_fn::codec::Json)]
pub async fn delete_partial_cluster(job_id: String) -> Result<DeletePartialOutcome, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::delete_partial_cluster(&state, &caller, &job_id)
        .await
        .map_err(service::respond)
}

/// The label of the warning-accented portal action when the caller gives none.
pub const DEFAULT_PORTAL_LABEL: &str = "Open cluster in Azure portal";
/// Why the partial-cluster action is there (R-3).
pub const PARTIAL_CLUSTER_TOOLTIP: &str = "The cluster create may have started on Azure even \
though the task was cancelled — verify in the portal and delete if needed.";
const PARTIAL_AFTER_FAILURE_TOOLTIP: &str = "The create failed after Azure had created the \
cluster resource — verify in the portal and delete it if needed.";

/// The failure as the card explains it: the server's classification, or (from a server that
/// sent none) its own code and message.
fn explanation_of(failure: &FailedProvision) -> Classification {
    failure
        .explanation
        .clone()
        .unwrap_or_else(|| Classification {
            category: Category::Unknown,
            headline: failure
                .error_message
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "Provisioning failed".into()),
            details: failure.error_code.clone().unwrap_or_default(),
            actions: vec![],
            command: None,
        })
}

/// The raw answer as people read it: pretty JSON when it is JSON.
fn raw_for_display(failure: &FailedProvision) -> String {
    match failure.raw_error.as_deref() {
        Some(raw) => serde_json::from_slice::<serde_json::Value>(raw.as_bytes())
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| raw.to_owned()),
        None => format!(
            "{}: {}",
            failure.error_code.as_deref().unwrap_or("(no code)"),
            failure.error_message.as_deref().unwrap_or("(no message)")
        ),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum DeleteState {
    Idle,
    Confirming,
    Deleting,
    Accepted(String),
    Failed(String),
}

/// One failed provision, explained. Used by the dashboard's "Last attempt failed" banner and by
/// the modal. Dismiss clears the failure on this browser (every tab) and on the server.
#[component]
pub fn ProvisionErrorCard(
    failure: FailedProvision,
    /// Adds the warning-accented portal action, e.g. for a cluster a cancel left behind.
    #[prop(optional_no_strip, into)]
    extra_portal_url: Option<String>,
    /// Label of that action; "Open cluster in Azure portal" when not given.
    #[prop(optional, into)]
    extra_portal_label: Option<String>,
    /// What the card is about, e.g. "Last attempt failed".
    #[prop(optional, into)]
    title: Option<String>,
    /// Prefix of the element ids, unique on the page.
    #[prop(optional, into)]
    id: Option<String>,
    /// Edit & retry: reopen the form with these values. Without it the action is not offered.
    #[prop(optional, into)]
    on_edit_retry: Option<Callback<ProvisionRequest>>,
    /// Called with the job id after Dismiss.
    #[prop(optional, into)]
    on_dismiss: Option<Callback<String>>,
) -> impl IntoView {
    let last_failed = use_context::<LastFailed>();
    let explained = explanation_of(&failure);
    let cancelled = failure.status == JobStatus::Cancelled;
    let id = id.unwrap_or_else(|| format!("failure-{}", failure.job_id));
    let note_id = format!("{id}-partial-note");
    let title = title.unwrap_or_else(|| {
        if cancelled {
            "Provisioning cancelled"
        } else {
            "Provisioning failed"
        }
        .to_owned()
    });
    // When it ended: a failure is read as "failed 5 min ago" (the list is ordered by when each
    // attempt was made, see `last_failed::rules`).
    let ended_at = failure.updated_at;
    let verb = if cancelled { "Stopped" } else { "Failed" };
    let delete_blocked = failure.delete_blocked.clone();
    let where_ = format!(
        "{} · {} · {}",
        failure.cluster_name, failure.region, failure.resource_group
    );
    let raw = raw_for_display(&failure);
    let request = failure_request(&failure);
    let job_id = failure.job_id.clone();
    let cluster_name = failure.cluster_name.clone();
    let resource_group = failure.resource_group.clone();
    let has_partial = failure.partial_cluster.is_some();
    let portal_tooltip = if cancelled {
        PARTIAL_CLUSTER_TOOLTIP
    } else {
        PARTIAL_AFTER_FAILURE_TOOLTIP
    };
    let delete_state = RwSignal::new(DeleteState::Idle);

    let dismiss = {
        let job_id = job_id.clone();
        move |_| {
            match last_failed {
                // Kept until the server has it, and sent again when it is back.
                Some(lf) => lf.dismiss(&job_id),
                None => {
                    let id = job_id.clone();
                    leptos::task::spawn_local(async move {
                        let _ = dismiss_failed_provision(id).await;
                    });
                }
            }
            if let Some(cb) = on_dismiss {
                cb.run(job_id.clone());
            }
        }
    };
    let delete_partial = {
        let job_id = job_id.clone();
        let cluster_name = cluster_name.clone();
        Callback::new(move |()| {
            delete_state.set(DeleteState::Deleting);
            // The server resolves the failure as soon as the delete is accepted (and tells every
            // device): this card stays here to say how the delete went.
            if let Some(lf) = last_failed {
                lf.hold(&job_id);
            }
            let job_id = job_id.clone();
            let cluster_name = cluster_name.clone();
            leptos::task::spawn_local(async move {
                let next = match delete_partial_cluster(job_id.clone()).await {
                    Ok(o) if o.status == "gone" => DeleteState::Accepted(format!(
                        "{cluster_name} was already gone from Azure."
                    )),
                    Ok(_) => DeleteState::Accepted(format!(
                        "Azure is deleting {cluster_name}; it leaves the list when done."
                    )),
                    Err(e) => DeleteState::Failed(e.message),
                };
                if matches!(next, DeleteState::Failed(_))
                    && let Some(lf) = last_failed
                {
                    lf.release(&job_id);
                }
                delete_state.set(next);
            });
        })
    };
    // The changes that would work, before Edit & retry: a click opens the form with one.
    let fixes = {
        let fixes: Vec<Fix> = failure
            .fixes
            .iter()
            .filter(|f| f.request.is_none() || on_edit_retry.is_some())
            .cloned()
            .collect();
        let apply = on_edit_retry.unwrap_or_else(|| Callback::new(|_| {}));
        (!fixes.is_empty()).then(|| view! { <FixActions fixes=fixes on_apply=apply /> })
    };
    let edit_retry = on_edit_retry.map(|cb| {
        view! {
            <button
                type="button"
                class="btn btn-primary"
                data-testid="edit-retry"
                on:click=move |_| cb.run(request.clone())
            >
                "Edit & retry"
            </button>
        }
    });
    let actions = explained
        .actions
        .iter()
        .map(|a| {
            view! {
                <a
                    class="btn"
                    data-testid="error-action"
                    href=a.url.clone()
                    target="_blank"
                    rel="noopener noreferrer"
                >
                    {a.label.clone()}
                    <span aria-hidden="true">" ↗"</span>
                </a>
            }
        })
        .collect_view();
    let portal = extra_portal_url.map(|url| {
        let label = extra_portal_label.unwrap_or_else(|| DEFAULT_PORTAL_LABEL.to_owned());
        view! {
            <a
                class="btn btn-warning"
                data-testid="open-portal-partial"
                href=url
                target="_blank"
                rel="noopener noreferrer"
                title=portal_tooltip
                aria-describedby=note_id.clone()
            >
                <span aria-hidden="true">"⚠ "</span>
                {label}
            </a>
        }
    });
    let portal_note = portal.is_some().then(|| {
        view! {
            <p class="error-partial-note" id=note_id.clone()>
                {portal_tooltip}
            </p>
        }
    });
    let deletable = has_partial && delete_blocked.is_none();
    let delete_button = move || {
        (deletable && delete_state.get() == DeleteState::Idle).then(|| {
            view! {
                <button
                    type="button"
                    class="btn btn-danger"
                    data-testid="delete-partial"
                    on:click=move |_| delete_state.set(DeleteState::Confirming)
                >
                    "Delete partial cluster"
                </button>
            }
        })
    };
    let delete_panel = move || match delete_state.get() {
        DeleteState::Idle => None,
        DeleteState::Confirming => {
            let (name, group) = (cluster_name.clone(), resource_group.clone());
            Some(EitherOf3::A(view! {
                <ConfirmPanel
                    label="Confirm delete"
                    confirm_label="Delete cluster"
                    confirm_class="btn-danger-solid"
                    confirm_testid="confirm-delete-partial"
                    cancel_label="Keep it"
                    on_confirm=delete_partial
                    on_cancel=Callback::new(move |()| delete_state.set(DeleteState::Idle))
                >
                    "Delete " <strong>{name}</strong> " from "
                    <code>{group}</code>
                    "? Whatever Azure created for it so far is removed. This cannot be undone."
                </ConfirmPanel>
            }))
        }
        DeleteState::Deleting => Some(EitherOf3::B(view! {
            <p class="status-line" role="status">"Asking Azure to delete the cluster…"</p>
        })),
        DeleteState::Accepted(msg) => {
            Some(EitherOf3::C(delete_status("status-line status-ok", msg)))
        }
        DeleteState::Failed(msg) => Some(EitherOf3::C(delete_status(
            "status-line status-fail",
            format!("Could not delete the cluster: {msg}"),
        ))),
    };

    erased_on_server(view! {
        <div
            class="error-card"
            class:error-card-cancelled=cancelled
            data-testid="provision-error-card"
            data-job-id=job_id.clone()
            data-category=explained.category.as_str()
            role="alert"
        >
            <div class="error-card-top">
                <span class=if cancelled { "badge badge-warn" } else { "badge badge-fail" }>
                    {if cancelled { "Cancelled" } else { "Failed" }}
                </span>
                <span class="error-card-title">{title}</span>
                <span class="error-card-meta">
                    <strong>{where_}</strong>
                    <span aria-hidden="true">" · "</span>
                    <Moment at=ended_at verb=verb />
                </span>
            </div>
            <p class="error-headline" data-testid="error-headline">
                {explained.headline.clone()}
            </p>
            <p class="error-details">{explained.details.clone()}</p>
            <div class="error-actions">
                {fixes}
                {edit_retry}
                {actions}
                {portal}
                {delete_button}
                <button
                    type="button"
                    class="btn btn-ghost error-dismiss"
                    data-testid="dismiss-error"
                    on:click=dismiss
                >
                    "Dismiss"
                </button>
            </div>
            {portal_note}
            {delete_blocked.filter(|_| has_partial).map(|why| view! {
                <p class="error-partial-note delete-blocked" data-testid="delete-blocked">{why}</p>
            })}
            {delete_panel}
            <details class="raw-response">
                <summary>"Show raw Azure response"</summary>
                <pre>{raw}</pre>
            </details>
        </div>
    })
}

/// The one-click fixes of a failure or of a failing pre-flight check: a button per changed
/// request (`on_apply` opens or fills the form with it), a link for what no request fixes.
#[component]
pub fn FixActions(fixes: Vec<Fix>, on_apply: Callback<ProvisionRequest>) -> impl IntoView {
    fixes
        .into_iter()
        .map(|fix| {
            let kind = fix.kind.as_str();
            match (fix.request, fix.url) {
                (Some(request), _) => Either::Left(view! {
                    <button
                        type="button"
                        class="btn btn-fix"
                        data-testid="fix-action"
                        data-fix=kind
                        on:click=move |_| on_apply.run(request.clone())
                    >
                        {fix.label}
                    </button>
                }),
                (None, url) => Either::Right(view! {
                    <a
                        class="btn btn-fix"
                        data-testid="fix-action"
                        data-fix=kind
                        href=url.unwrap_or_default()
                        target="_blank"
                        rel="noopener noreferrer"
                    >
                        {fix.label}
                        <span aria-hidden="true">" ↗"</span>
                    </a>
                }),
            }
        })
        .collect_view()
}

/// How the delete of a partial cluster went, in one line.
fn delete_status(class: &'static str, message: String) -> impl IntoView {
    view! {
        <p class=class role="status" data-testid="delete-partial-status">
            {message}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::recorded_failure as failure;

    #[test]
    fn the_card_shows_the_servers_explanation_or_the_recorded_message() {
        let mut f = failure(JobStatus::Failed, "QuotaExceeded", "Not enough vCPUs.");
        let c = explanation_of(&f);
        assert_eq!(c.category, Category::Unknown);
        assert_eq!(c.headline, "Not enough vCPUs.");
        f.explanation = Some(crate::provisioning::classify::explain_failure(&f));
        assert_eq!(explanation_of(&f), f.explanation.clone().unwrap());
    }

    #[test]
    fn retry_uses_the_recorded_request_or_the_row() {
        let f = failure(JobStatus::Failed, "X", "y");
        let r = failure_request(&f);
        assert_eq!(
            (r.cluster_name.as_str(), r.region.as_str()),
            ("aks-demo", "eastus")
        );
        assert_eq!(
            r.node_count, 0,
            "unknown counts are left for the form to default"
        );
    }

    #[test]
    fn the_raw_answer_is_pretty_printed_when_it_is_json() {
        let mut f = failure(JobStatus::Failed, "X", "y");
        assert_eq!(raw_for_display(&f), "X: y");
        f.raw_error = Some(r#"{"error":{"code":"X"}}"#.into());
        assert!(raw_for_display(&f).contains("\n"));
    }
}
