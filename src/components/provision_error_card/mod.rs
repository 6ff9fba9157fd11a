//! ProvisionErrorCard: one failed provision explained — headline, details, actions, the
//! one-click fixes, Edit & retry, Dismiss, Delete partial cluster, the raw Azure answer — used by
//! the dashboard's banner and by the modal.

mod delete;
mod fixes;

pub use delete::DeletePartial;
pub use fixes::FixActions;

use leptos::prelude::*;

use crate::api::failures::dismiss_failed_provision;
use crate::components::clock::{JobTimeline, Moment};
use crate::components::erase::erased_on_server;
use crate::components::last_failed::{LastFailed, failure_request};
use crate::components::page_action::{KeptForm, PageAction};
use crate::components::session::Viewer;
use crate::domain::classify::{Category, Classification};
use crate::domain::{
    AppliedFix, FailedProvision, Fix, JobStatus, PriceEstimate, ProvisionRequest, decimal, money,
};
use crate::identity::Scope;

/// What Edit & retry and a fix hand to the form: the request, and the fix it came from.
pub type Retry = (ProvisionRequest, Option<AppliedFix>);

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

/// The raw answer as people read it (the server lays JSON out pretty), or the code and message
/// when Azure's answer was not kept.
fn raw_for_display(failure: &FailedProvision) -> String {
    match failure.raw_error.as_deref() {
        Some(raw) => raw.to_owned(),
        None => format!(
            "{}: {}",
            failure.error_code.as_deref().unwrap_or("(no code)"),
            failure.error_message.as_deref().unwrap_or("(no message)")
        ),
    }
}

/// The fixes the card offers: those that change the request only where the form can be opened.
fn offered_fixes(failure: &FailedProvision, edit_retry: bool) -> Vec<Fix> {
    failure
        .fixes
        .iter()
        .filter(|f| f.request.is_none() || edit_retry)
        .cloned()
        .collect()
}

/// One failed provision, explained. Used by the dashboard's "Last attempt failed" banner and by
/// the modal. Dismiss clears the failure on this browser (every tab) and on the server. Each part
/// changes in place: an open raw answer stays open, and the alert is announced once.
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
    /// Edit & retry: reopen the form with these values (a fix: with the fix's, and which fix
    /// it was). Without it neither is offered.
    #[prop(optional_no_strip)]
    on_edit_retry: Option<Callback<Retry>>,
    /// The user is about to retry (the pointer or the focus is on Edit & retry or a fix): the
    /// form can be fetched now.
    #[prop(optional_no_strip)]
    prepare_retry: Option<Callback<()>>,
    /// Called with the job id after Dismiss.
    #[prop(optional_no_strip)]
    on_dismiss: Option<Callback<String>>,
) -> impl IntoView {
    let last_failed = use_context::<LastFailed>();
    // A Reader sees the failure and its links, not what would change something.
    let may_act = Viewer::current().is_none_or(Viewer::may_change);
    let on_edit_retry = on_edit_retry.filter(|_| may_act);
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
    // A failure is read as "Failed 5 min ago": when it ended.
    let verb = if cancelled { "Stopped" } else { "Failed" };
    let portal_tooltip = if cancelled {
        PARTIAL_CLUSTER_TOOLTIP
    } else {
        PARTIAL_AFTER_FAILURE_TOOLTIP
    };
    let prepare = move || {
        if let Some(cb) = prepare_retry {
            cb.run(());
        }
    };

    let job_id = failure.job_id.clone();
    let dismiss = {
        let job_id = job_id.clone();
        Callback::new(move |()| {
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
        })
    };
    // The changes that would work come before Edit & retry: a click opens the form with one.
    let fixes = offered_fixes(&failure, on_edit_retry.is_some());
    let fixes = (!fixes.is_empty()).then(|| {
        let before = failure_request(&failure);
        let from_job = failure.job_id.clone();
        let apply = Callback::new(move |fix: Fix| {
            if let (Some(cb), Some(request)) = (on_edit_retry, fix.request.clone()) {
                cb.run((
                    request,
                    AppliedFix::of(&fix, &before, Some(from_job.clone())),
                ));
            }
        });
        view! {
            <FixActions
                fixes=fixes
                on_apply=apply
                on_intent=Callback::new(move |()| prepare())
                of_job=failure.job_id.clone()
            />
        }
    });
    let edit_retry = on_edit_retry.map(|cb| {
        let request = failure_request(&failure);
        let retry = Callback::new(move |()| cb.run((request.clone(), None)));
        view! {
            <KeptForm
                action=PageAction::Retry { job_id: job_id.clone() }
                on_press=retry
                pending_label="Opening the form…"
            >
                <button
                    type="submit"
                    class="btn btn-primary"
                    data-testid="edit-retry"
                    on:pointerenter=move |_| prepare()
                    on:focus=move |_| prepare()
                >
                    "Edit & retry"
                </button>
            </KeptForm>
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
    let portal = extra_portal_url.clone().map(|url| {
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
    let portal_note = extra_portal_url.is_some().then(|| {
        view! {
            <p class="error-partial-note" id=note_id.clone()>
                {portal_tooltip}
            </p>
        }
    });
    let estimate = failure.estimate.as_ref().map(|e| {
        view! {
            <p class="error-estimate" data-testid="error-estimate" data-monthly=decimal(e.monthly, 2)>
                {estimate_note(e)}
            </p>
        }
    });
    let has_partial = failure.partial_cluster.is_some();
    let delete_blocked = failure
        .delete_blocked
        .clone()
        .filter(|_| has_partial)
        .map(|why| {
            view! {
                <p class="error-partial-note delete-blocked" data-testid="delete-blocked">
                    {why}
                </p>
            }
        });
    let delete = (may_act && has_partial && failure.delete_blocked.is_none()).then(|| {
        view! {
            <DeletePartial
                job_id=job_id.clone()
                cluster_name=failure.cluster_name.clone()
                resource_group=failure.resource_group.clone()
            />
        }
    });
    let where_ = format!(
        "{} · {} · {}",
        failure.cluster_name,
        failure.region,
        Scope::short_label(&failure.subscription_id, &failure.resource_group)
    );
    let scope_path = format!("{}/{}", failure.subscription_id, failure.resource_group);
    let dismiss = may_act.then(|| {
        view! {
            <KeptForm
                action=PageAction::Dismiss { job_id: job_id.clone() }
                on_press=dismiss
                pending_label="Dismissing…"
            >
                <button type="submit" class="btn btn-ghost error-dismiss" data-testid="dismiss-error">
                    "Dismiss"
                </button>
            </KeptForm>
        }
    });
    let read_only = (!may_act).then(|| {
        view! {
            <p class="role-note" data-testid="error-role-note">
                "Retrying, deleting and dismissing need the Operator role; you are signed in as a Reader."
            </p>
        }
    });

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
                    <strong title=scope_path.clone() data-scope=scope_path>{where_}</strong>
                    <span aria-hidden="true">" · "</span>
                    <Moment at=failure.updated_at verb=verb />
                </span>
            </div>
            <p class="error-headline" data-testid="error-headline">
                {explained.headline.clone()}
            </p>
            <p class="error-details">{explained.details.clone()}</p>
            {estimate}
            <JobTimeline steps=failure.timeline.clone() />
            <div class="error-actions">
                {fixes}
                {edit_retry}
                {actions}
                {portal}
                {delete}
                {dismiss}
            </div>
            {read_only}
            {portal_note}
            {delete_blocked}
            <details class="raw-response">
                <summary>"Show raw Azure response"</summary>
                <pre>{raw_for_display(&failure)}</pre>
            </details>
        </div>
    })
}

/// What the create was expected to cost, as the card says it.
fn estimate_note(e: &PriceEstimate) -> String {
    format!(
        "Estimated when created: ≈ {}/month for {} nodes ({} prices as of {}).",
        money(e.monthly, &e.currency),
        e.pools.iter().map(|p| p.count).sum::<u32>(),
        if e.source == "simulated" {
            "simulated"
        } else {
            "Azure retail"
        },
        e.prices_as_of.split('T').next().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::{quota_fixes, recorded_failure as failure};
    use crate::domain::PartialCluster;

    #[test]
    fn the_card_shows_the_servers_explanation_or_the_recorded_message() {
        let mut f = failure(JobStatus::Failed, "QuotaExceeded", "Not enough vCPUs.");
        let c = explanation_of(&f);
        assert_eq!(c.category, Category::Unknown);
        assert_eq!(c.headline, "Not enough vCPUs.");
        f.explanation = Some(crate::domain::classify::explain_failure(&f));
        assert_eq!(explanation_of(&f), f.explanation.clone().unwrap());
    }

    #[test]
    fn the_card_says_what_the_create_was_expected_to_cost() {
        let estimate: PriceEstimate = serde_json::from_value(serde_json::json!({
            "currency": "EUR", "hourly": 0.7, "monthly": 511.0,
            "pools": [
                {"name": "system", "vm_size": "Standard_D2s_v3", "count": 1,
                 "unit_hourly": 0.1, "hourly": 0.1, "monthly": 73.0},
                {"name": "nodepool1", "vm_size": "Standard_D4s_v3", "count": 3,
                 "unit_hourly": 0.2, "hourly": 0.6, "monthly": 438.0}
            ],
            "control_plane_hourly": 0.0, "prices_as_of": "2026-12-06T07:00:00Z",
            "source": "azure", "stale": false
        }))
        .expect("an estimate");
        assert_eq!(
            estimate_note(&estimate),
            "Estimated when created: ≈ 511.00 EUR/month for 4 nodes (Azure retail prices as of \
             2026-12-06)."
        );
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
    fn the_raw_answer_is_shown_as_the_server_laid_it_out_or_code_and_message() {
        let mut f = failure(JobStatus::Failed, "X", "y");
        assert_eq!(raw_for_display(&f), "X: y");
        f.raw_error = Some("{\n  \"error\": {}\n}".into());
        assert_eq!(raw_for_display(&f), "{\n  \"error\": {}\n}");
    }

    fn with_partial_and_fixes() -> FailedProvision {
        let mut f = failure(JobStatus::Cancelled, "Cancelled", "Stopped by the user.");
        f.partial_cluster = Some(PartialCluster {
            resource_id: "/subscriptions/s/resourceGroups/rg/providers/x/aks-demo".into(),
            portal_url: "https://portal.azure.com/#resource/x".into(),
            last_state: Some("Creating".into()),
            abort_requested: true,
        });
        f.fixes = quota_fixes(failure_request(&f));
        f
    }

    fn render(f: FailedProvision, edit_retry: bool) -> String {
        crate::components::fixtures::server_html(move || {
            let on_edit_retry = edit_retry.then(|| Callback::new(|_: Retry| {}));
            view! {
                <ProvisionErrorCard
                    failure=f
                    title="Last attempt cancelled"
                    id="last-failed"
                    extra_portal_url=Some("https://portal.azure.com/#resource/x".to_owned())
                    on_edit_retry=on_edit_retry
                />
            }
        })
    }

    #[test]
    fn every_action_of_the_card_is_there_with_its_test_hook() {
        let html = render(with_partial_and_fixes(), true);
        for hook in [
            r#"data-testid="dismiss-error""#,
            r#"data-testid="edit-retry""#,
            r#"data-testid="delete-partial""#,
            r#"data-testid="open-portal-partial""#,
        ] {
            assert_eq!(html.matches(hook).count(), 1, "{hook} in {html}");
        }
        // The link fix is a link, the request fix a button; both before Edit & retry.
        assert!(
            html.contains(r##"href="https://portal.azure.com/#quota""##),
            "{html}"
        );
        let fix = html.find(r#"data-fix="node_count""#).expect("request fix");
        assert!(fix < html.find("edit-retry").expect("edit-retry"), "{html}");
        assert!(html.contains(r#"aria-describedby="last-failed-partial-note""#));
        assert!(html.contains(r#"id="last-failed-partial-note""#));
        assert!(html.contains("error-card-cancelled"), "{html}");
        assert!(html.contains(r#"role="alert""#), "{html}");
        assert!(html.contains("Last attempt cancelled"), "{html}");
    }

    #[test]
    fn without_edit_and_retry_no_request_is_offered() {
        let html = render(with_partial_and_fixes(), false);
        assert!(!html.contains("edit-retry"), "{html}");
        assert!(!html.contains(r#"data-fix="node_count""#), "{html}");
        assert!(html.contains("Request more quota"), "{html}");
    }

    #[test]
    fn what_azure_wrote_is_text_in_the_card_never_markup() {
        let f = failure(
            JobStatus::Failed,
            "X\"><img src=x onerror=alert(1)>",
            "<script>alert(1)</script>",
        );
        let html = render(f, true);
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn the_moment_is_in_a_time_element_in_utc_on_the_server() {
        let html = render(failure(JobStatus::Failed, "X", "y"), true);
        assert!(
            html.contains(r#"datetime="1970-01-01T00:01:00.000Z""#),
            "{html}"
        );
        assert!(html.contains("1970-01-01 00:01 UTC"), "{html}");
        assert!(html.contains("Failed"), "{html}");
    }
}
