//! ProvisionErrorCard: one failed provision explained — headline, details, actions, Edit & retry,
//! Dismiss, the raw Azure answer — used by the dashboard banner and by the modal.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::components::clock::{Clock, moment_markup, now_ms, refresh_moments};
use crate::components::confirm_panel::ConfirmMarkup;
use crate::components::last_failed::{LastFailed, dismiss_failed_provision, failure_request};
use crate::components::markup::{Clicked, Html};
use crate::provisioning::classify::{Category, Classification};
use crate::provisioning::model::{
    DeletePartialOutcome, FailedProvision, Fix, JobStatus, ProvisionRequest,
};

/// Deletes the partial cluster a cancelled or failed job of the caller left in Azure.
#[server(prefix = "/api", endpoint = "aks/delete-partial-cluster", protocol = crate::server_call::Api<server_fn::codec::Json>)]
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
        Some(raw) => crate::wire::pretty(raw).unwrap_or_else(|| raw.to_owned()),
        None => format!(
            "{}: {}",
            failure.error_code.as_deref().unwrap_or("(no code)"),
            failure.error_message.as_deref().unwrap_or("(no message)")
        ),
    }
}

/// Where the delete of a partial cluster stands, as the card shows it.
#[derive(Debug, Clone, PartialEq)]
enum DeleteState {
    Idle,
    Confirming,
    Deleting,
    Accepted(String),
    Failed(String),
}

/// What the card offers besides the failure itself.
#[derive(Debug, Clone, PartialEq)]
struct CardShape {
    /// What the card is about, e.g. "Last attempt failed".
    title: Option<String>,
    /// Prefix of the element ids, unique on the page.
    id: String,
    /// The warning-accented portal action, e.g. for a cluster a cancel left behind.
    extra_portal_url: Option<String>,
    extra_portal_label: Option<String>,
    /// Whether Edit & retry (and the fixes that change the request) are offered.
    edit_retry: bool,
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

/// The card as HTML. The card is markup whose buttons say what they do in `data-action` (and a
/// fix its place in `data-index`); [`ProvisionErrorCard`] puts it in the page and acts on the
/// clicks. The server writes the same markup into the first HTML, so the banner is there before
/// any script runs.
fn card_markup(failure: &FailedProvision, shape: &CardShape, delete: &DeleteState) -> String {
    let explained = explanation_of(failure);
    let cancelled = failure.status == JobStatus::Cancelled;
    let note_id = format!("{}-partial-note", shape.id);
    let title = shape.title.as_deref().unwrap_or(if cancelled {
        "Provisioning cancelled"
    } else {
        "Provisioning failed"
    });
    // When it ended: a failure is read as "failed 5 min ago" (the list is ordered by when each
    // attempt was made, see `last_failed::rules`).
    let verb = if cancelled { "Stopped" } else { "Failed" };
    let where_ = format!(
        "{} · {} · {}",
        failure.cluster_name, failure.region, failure.resource_group
    );
    let has_partial = failure.partial_cluster.is_some();
    let portal_tooltip = if cancelled {
        PARTIAL_CLUSTER_TOOLTIP
    } else {
        PARTIAL_AFTER_FAILURE_TOOLTIP
    };

    let mut h = Html::new();
    h.start("div")
        .attr(
            "class",
            if cancelled {
                "error-card error-card-cancelled"
            } else {
                "error-card"
            },
        )
        .attr("data-testid", "provision-error-card")
        .attr("data-job-id", &failure.job_id)
        .attr("data-category", explained.category.as_str())
        .attr("role", "alert")
        .end();
    h.start("div").attr("class", "error-card-top").end();
    h.element(
        "span",
        &[(
            "class",
            if cancelled {
                "badge badge-warn"
            } else {
                "badge badge-fail"
            },
        )],
        if cancelled { "Cancelled" } else { "Failed" },
    );
    h.element("span", &[("class", "error-card-title")], title);
    h.start("span").attr("class", "error-card-meta").end();
    h.element("strong", &[], &where_);
    h.element("span", &[("aria-hidden", "true")], " · ");
    moment_markup(&mut h, failure.updated_at, verb, now_ms());
    h.close("span").close("div");
    h.element(
        "p",
        &[
            ("class", "error-headline"),
            ("data-testid", "error-headline"),
        ],
        &explained.headline,
    );
    h.element("p", &[("class", "error-details")], &explained.details);

    h.start("div").attr("class", "error-actions").end();
    // The changes that would work, before Edit & retry: a click opens the form with one.
    fix_actions(&mut h, &offered_fixes(failure, shape.edit_retry));
    if shape.edit_retry {
        h.element(
            "button",
            &[
                ("type", "button"),
                ("class", "btn btn-primary"),
                ("data-testid", "edit-retry"),
                ("data-action", "edit-retry"),
            ],
            "Edit & retry",
        );
    }
    for a in &explained.actions {
        h.start("a")
            .attr("class", "btn")
            .attr("data-testid", "error-action")
            .attr("href", &a.url)
            .new_tab()
            .end()
            .text(&a.label)
            .element("span", &[("aria-hidden", "true")], " ↗")
            .close("a");
    }
    if let Some(url) = &shape.extra_portal_url {
        h.start("a")
            .attr("class", "btn btn-warning")
            .attr("data-testid", "open-portal-partial")
            .attr("href", url)
            .new_tab()
            .attr("title", portal_tooltip)
            .attr("aria-describedby", &note_id)
            .end()
            .element("span", &[("aria-hidden", "true")], "⚠ ")
            .text(
                shape
                    .extra_portal_label
                    .as_deref()
                    .unwrap_or(DEFAULT_PORTAL_LABEL),
            )
            .close("a");
    }
    let deletable = has_partial && failure.delete_blocked.is_none();
    if deletable && *delete == DeleteState::Idle {
        h.element(
            "button",
            &[
                ("type", "button"),
                ("class", "btn btn-danger"),
                ("data-testid", "delete-partial"),
                ("data-action", "delete"),
            ],
            "Delete partial cluster",
        );
    }
    h.element(
        "button",
        &[
            ("type", "button"),
            ("class", "btn btn-ghost error-dismiss"),
            ("data-testid", "dismiss-error"),
            ("data-action", "dismiss"),
        ],
        "Dismiss",
    );
    h.close("div");

    if shape.extra_portal_url.is_some() {
        h.element(
            "p",
            &[("class", "error-partial-note"), ("id", &note_id)],
            portal_tooltip,
        );
    }
    if let Some(why) = failure.delete_blocked.as_deref().filter(|_| has_partial) {
        h.element(
            "p",
            &[
                ("class", "error-partial-note delete-blocked"),
                ("data-testid", "delete-blocked"),
            ],
            why,
        );
    }
    let status = |h: &mut Html, class: &str, message: &str| {
        h.element(
            "p",
            &[
                ("class", class),
                ("role", "status"),
                ("data-testid", "delete-partial-status"),
            ],
            message,
        );
    };
    match delete {
        DeleteState::Idle => {}
        DeleteState::Confirming => ConfirmMarkup {
            label: "Confirm delete",
            confirm_label: "Delete cluster",
            confirm_class: "btn-danger-solid",
            confirm_testid: "confirm-delete-partial",
            cancel_label: "Keep it",
            actions: ("delete-confirm", "delete-keep"),
            alert: false,
            extra_class: "",
        }
        .write(&mut h, |h| {
            h.text("Delete ")
                .element("strong", &[], &failure.cluster_name)
                .text(" from ")
                .element("code", &[], &failure.resource_group)
                .text("? Whatever Azure created for it so far is removed. This cannot be undone.");
        }),
        DeleteState::Deleting => {
            h.element(
                "p",
                &[("class", "status-line"), ("role", "status")],
                "Asking Azure to delete the cluster…",
            );
        }
        DeleteState::Accepted(msg) => status(&mut h, "status-line status-ok", msg),
        DeleteState::Failed(msg) => status(
            &mut h,
            "status-line status-fail",
            &format!("Could not delete the cluster: {msg}"),
        ),
    }
    h.start("details").attr("class", "raw-response").end();
    h.element("summary", &[], "Show raw Azure response");
    h.element("pre", &[], &raw_for_display(failure));
    h.close("details").close("div");
    h.finish()
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
    let shape = CardShape {
        title,
        id: id.unwrap_or_else(|| format!("failure-{}", failure.job_id)),
        extra_portal_url,
        extra_portal_label,
        edit_retry: on_edit_retry.is_some(),
    };
    let delete_state = RwSignal::new(DeleteState::Idle);
    let root = NodeRef::<leptos::html::Div>::new();
    let failure = StoredValue::new(failure);
    let markup = move || failure.with_value(|f| card_markup(f, &shape, &delete_state.get()));

    // "Failed 5 min ago" stays true, and the time is shown in the viewer's zone.
    let now = Clock::now();
    Effect::new(move |_| {
        let now = now.get();
        if let Some(el) = root.get() {
            refresh_moments(&el, now);
        }
    });

    let delete_partial = move || {
        let (job_id, cluster_name) =
            failure.with_value(|f| (f.job_id.clone(), f.cluster_name.clone()));
        delete_state.set(DeleteState::Deleting);
        // The server resolves the failure as soon as the delete is accepted (and tells every
        // device): this card stays here to say how the delete went.
        if let Some(lf) = last_failed {
            lf.hold(&job_id);
        }
        leptos::task::spawn_local(async move {
            let next = match delete_partial_cluster(job_id.clone()).await {
                Ok(o) if o.status == "gone" => {
                    DeleteState::Accepted(format!("{cluster_name} was already gone from Azure."))
                }
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
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(clicked) = Clicked::of(&ev) else {
            return;
        };
        match clicked.action.as_str() {
            "dismiss" => {
                let job_id = failure.with_value(|f| f.job_id.clone());
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
                    cb.run(job_id);
                }
            }
            "edit-retry" => {
                if let Some(cb) = on_edit_retry {
                    cb.run(failure.with_value(failure_request));
                }
            }
            "fix" => {
                let fix = clicked.index().and_then(|i| {
                    failure.with_value(|f| offered_fixes(f, true).into_iter().nth(i))
                });
                if let (Some(cb), Some(request)) = (on_edit_retry, fix.and_then(|f| f.request)) {
                    cb.run(request);
                }
            }
            "delete" => {
                delete_state.set(DeleteState::Confirming);
                clicked.focus_after_redraw("[data-action=delete-confirm]");
            }
            "delete-keep" => {
                delete_state.set(DeleteState::Idle);
                clicked.focus_after_redraw("[data-action=delete]");
            }
            "delete-confirm" => delete_partial(),
            _ => {}
        }
    };

    view! { <div class="error-card-slot" node_ref=root inner_html=markup on:click=on_click></div> }
}

/// The one-click fixes of a failure or of a failing pre-flight check, as markup: a button per
/// changed request (`data-action="fix"`, `data-index` its place in `fixes`; the container's
/// click handler opens or fills the form with its request), a link for what no request fixes.
pub fn fix_actions(h: &mut Html, fixes: &[Fix]) {
    for (index, fix) in fixes.iter().enumerate() {
        let kind = fix.kind.as_str();
        if fix.request.is_some() {
            h.element(
                "button",
                &[
                    ("type", "button"),
                    ("class", "btn btn-fix"),
                    ("data-testid", "fix-action"),
                    ("data-fix", kind),
                    ("data-action", "fix"),
                    ("data-index", &index.to_string()),
                ],
                &fix.label,
            );
        } else {
            h.start("a")
                .attr("class", "btn btn-fix")
                .attr("data-testid", "fix-action")
                .attr("data-fix", kind)
                .attr("href", fix.url.as_deref().unwrap_or_default())
                .new_tab()
                .end()
                .text(&fix.label)
                .element("span", &[("aria-hidden", "true")], " ↗")
                .close("a");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::{quota_fixes, recorded_failure as failure};

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

    fn shape(edit_retry: bool) -> CardShape {
        CardShape {
            title: Some("Last attempt cancelled".into()),
            id: "last-failed".into(),
            extra_portal_url: Some("https://portal.azure.com/#resource/x".into()),
            extra_portal_label: None,
            edit_retry,
        }
    }

    fn with_partial_and_fixes() -> FailedProvision {
        use crate::provisioning::model::PartialCluster;
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

    #[test]
    fn every_button_of_the_card_says_what_it_does() {
        let f = with_partial_and_fixes();
        let html = card_markup(&f, &shape(true), &DeleteState::Idle);
        for action in [
            r#"data-action="dismiss""#,
            r#"data-action="edit-retry""#,
            r#"data-action="delete""#,
        ] {
            assert_eq!(html.matches(action).count(), 1, "{action} in {html}");
        }
        // The link fix is offered as a link, the request fix as the button at index 1.
        assert!(
            html.contains(r##"href="https://portal.azure.com/#quota""##),
            "{html}"
        );
        assert!(
            html.contains(r#"data-action="fix" data-index="1""#),
            "{html}"
        );
        assert!(html.contains(r#"aria-describedby="last-failed-partial-note""#));
        assert!(html.contains(r#"id="last-failed-partial-note""#));
        assert!(html.contains("error-card error-card-cancelled"), "{html}");
        assert!(html.contains("Last attempt cancelled"), "{html}");
        // What the click handler finds at that index is the request fix.
        assert_eq!(
            offered_fixes(&f, true)[1].kind,
            crate::provisioning::model::FixKind::NodeCount
        );
    }

    #[test]
    fn without_edit_and_retry_no_request_is_offered() {
        let html = card_markup(&with_partial_and_fixes(), &shape(false), &DeleteState::Idle);
        assert!(!html.contains("edit-retry"), "{html}");
        assert!(!html.contains(r#"data-action="fix""#), "{html}");
        assert!(html.contains("Request more quota"), "{html}");
    }

    #[test]
    fn the_delete_flow_is_drawn_from_its_state() {
        let f = with_partial_and_fixes();
        let confirming = card_markup(&f, &shape(true), &DeleteState::Confirming);
        assert!(
            !confirming.contains(r#"data-action="delete""#),
            "{confirming}"
        );
        assert!(confirming.contains(r#"data-action="delete-confirm""#));
        assert!(confirming.contains(r#"data-action="delete-keep""#));
        assert!(confirming.contains(r#"data-testid="confirm-delete-partial""#));
        assert!(
            confirming.contains("Delete <strong>aks-demo</strong> from <code>rg-aks-dev</code>?")
        );
        let failed = card_markup(&f, &shape(true), &DeleteState::Failed("Throttled".into()));
        assert!(
            failed.contains("Could not delete the cluster: Throttled"),
            "{failed}"
        );
        assert!(failed.contains("status-fail"));
    }

    #[test]
    fn what_azure_wrote_is_text_in_the_markup_never_markup() {
        let f = failure(
            JobStatus::Failed,
            "X\"><img src=x onerror=alert(1)>",
            "<script>alert(1)</script>",
        );
        let html = card_markup(&f, &shape(true), &DeleteState::Idle);
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn the_moment_is_in_the_markup_with_its_time() {
        let f = failure(JobStatus::Failed, "X", "y");
        let html = card_markup(&f, &shape(true), &DeleteState::Idle);
        assert!(html.contains(r#"data-at="60000""#), "{html}");
        assert!(
            html.contains(r#"datetime="1970-01-01T00:01:00.000Z""#),
            "{html}"
        );
        assert!(html.contains("Failed"), "{html}");
    }
}
