//! The approvals on the dashboard: an admin's queue (a count, and each request with who asks,
//! what, what it costs and why it waits, with Approve and Deny with a note), and the signed-in
//! user's own requests (waiting, with Withdraw; denied, with who, when and why, and Edit &
//! retry; expired).

use leptos::either::Either;
use leptos::prelude::*;

use super::Approvals;
use crate::components::clock::{Clock, Moment};
use crate::components::erase::erased_on_server;
use crate::components::notify;
use crate::components::provision_modal::ModalControl;
use crate::domain::approval::{Approval, ApprovalAction, ApprovalStatus, NOTE_MAX_CHARS};
use crate::domain::money;

/// What a request asks for, in one line: `aks-big in rg-prod · koreacentral · 3 × Standard_D8s_v3`.
fn what(a: &Approval) -> String {
    let r = &a.request;
    format!(
        "{} in {} · {} · {} × {}",
        r.cluster_name, r.resource_group, r.region, r.node_count, r.node_sku
    )
}

fn cost(a: &Approval) -> String {
    a.estimate
        .as_ref()
        .map(|e| format!("≈ {}/month", money(e.monthly, &e.currency)))
        .unwrap_or_else(|| "no estimate".to_owned())
}

/// The queue and the user's own requests. Reads the page's [`Approvals`] (and [`ModalControl`]
/// for Edit & retry) from the `ClusterCard` island around it.
#[island]
pub fn ApprovalsPanel() -> impl IntoView {
    let approvals = use_context::<Approvals>()?;
    let modal = use_context::<ModalControl>();
    let now = Clock::now();
    let queue = Memo::new(move |_| approvals.queue());
    let count = move || queue.with(Vec::len);
    Some(erased_on_server(view! {
        <div class="approvals" data-approvals-read=move || approvals.reads()>
            <Show when=move || { count() > 0 }>
                <section
                    class="approval-queue"
                    data-testid="approval-queue"
                    aria-labelledby="approval-queue-title"
                >
                    <h3 id="approval-queue-title" class="approval-title">
                        "Waiting for approval "
                        <span class="badge badge-warn" data-testid="approval-count" aria-label=move || format!("{} requests", count())>
                            {count}
                        </span>
                    </h3>
                    <ul class="approval-list">
                        <For
                            each=move || queue.get()
                            key=|a| (a.id.clone(), a.may_decide)
                            let:a
                        >
                            <QueueItem approvals a />
                        </For>
                    </ul>
                </section>
            </Show>
            <For
                each=move || approvals.mine(now.get())
                key=|a| (a.id.clone(), a.status)
                let:a
            >
                <MineCard approvals modal a />
            </For>
        </div>
    }))
}

/// One request in an admin's queue: Approve, or Deny with the note the requester will read.
#[component]
fn QueueItem(approvals: Approvals, a: Approval) -> impl IntoView {
    let id = StoredValue::new(a.id.clone());
    let note = RwSignal::new(String::new());
    let busy = move || id.with_value(|id| approvals.is_busy(id));
    let error = move || id.with_value(|id| approvals.error(id));
    let typed = move || {
        let text = note.get_untracked();
        (!text.trim().is_empty()).then_some(text)
    };
    let approve = move |_| {
        notify::ask_permission();
        approvals.decide(id.get_value(), ApprovalAction::Approve, typed());
    };
    let deny = move |_| {
        notify::ask_permission();
        if let Some(text) = typed() {
            approvals.decide(id.get_value(), ApprovalAction::Deny, Some(text));
        }
    };
    let label = format!("Request for {}", a.cluster_name);
    let note_id = format!("approval-note-{}", a.id);
    let actions = a.may_decide.then(|| {
        view! {
            <div class="approval-decide">
                <label class="field-label" for=note_id.clone()>
                    "Note (the requester sees it; needed to deny)"
                </label>
                <textarea
                    id=note_id.clone()
                    class="approval-note"
                    rows="2"
                    maxlength=NOTE_MAX_CHARS.to_string()
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))
                ></textarea>
                <div class="approval-actions">
                    <button
                        type="button"
                        class="btn btn-primary"
                        data-testid="approve-button"
                        disabled=busy
                        on:click=approve
                    >
                        "Approve"
                    </button>
                    <button
                        type="button"
                        class="btn btn-danger"
                        data-testid="deny-button"
                        disabled=move || busy() || note.with(|n| n.trim().is_empty())
                        on:click=deny
                    >
                        "Deny"
                    </button>
                </div>
            </div>
        }
    });
    view! {
        <li
            class="approval"
            data-testid="approval-item"
            data-cluster=a.cluster_name.clone()
            aria-label=label
        >
            <div class="approval-what"><strong>{what(&a)}</strong></div>
            <div class="approval-why">
                {a.requester_name.clone()} " asks · " {cost(&a)} " · " {a.reason.clone()}
            </div>
            <Moment at=a.created_at verb="Asked" />
            {actions}
            {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </li>
    }
}

/// One of the user's own requests: waiting, denied or expired.
#[component]
fn MineCard(approvals: Approvals, modal: Option<ModalControl>, a: Approval) -> impl IntoView {
    let id = StoredValue::new(a.id.clone());
    let request = StoredValue::new(a.request.clone());
    let busy = move || id.with_value(|id| approvals.is_busy(id));
    let error = move || id.with_value(|id| approvals.error(id));
    let retry = move |_| {
        if let Some(modal) = modal {
            modal.open(Some(request.get_value()));
        }
    };
    let close = move |_| id.with_value(|id| approvals.close(id));
    let cluster = a.cluster_name.clone();
    let body = match a.status {
        ApprovalStatus::Pending => Either::Left(view! {
            <div
                class="notice notice-info approval-mine"
                role="status"
                data-testid="approval-card"
                data-status="pending"
                data-cluster=a.cluster_name.clone()
            >
                <span>
                    "Waiting for an admin's approval: " <strong>{cluster}</strong> " (" {cost(&a)} "), "
                    {a.reason.clone()} ". Nothing is sent to Azure until an admin approves."
                </span>
                <button
                    type="button"
                    class="btn btn-secondary"
                    disabled=busy
                    on:click=move |_| approvals.decide(id.get_value(), ApprovalAction::Withdraw, None)
                >
                    "Withdraw"
                </button>
            </div>
        }),
        status => {
            let denied = status == ApprovalStatus::Denied;
            let by = a
                .decided_by
                .clone()
                .unwrap_or_else(|| "an admin".to_owned());
            let at = a.decided_at.unwrap_or(a.expires_at);
            let headline = if denied {
                format!("{by} denied creating {cluster}")
            } else {
                format!("Nobody approved creating {cluster} in time")
            };
            let note = a.note.clone();
            Either::Right(view! {
                <div
                    class="notice notice-warn approval-mine"
                    role="alert"
                    data-testid="approval-card"
                    data-status=status.as_str()
                    data-cluster=a.cluster_name.clone()
                >
                    <div>
                        <strong>{headline}</strong>
                        " · "
                        <Moment at verb=if denied { "Denied" } else { "Expired" } />
                        {note.map(|n| view! { <p class="approval-note-text">"“" {n} "”"</p> })}
                    </div>
                    <div class="approval-actions">
                        <button type="button" class="btn btn-primary" data-testid="edit-retry" on:click=retry>
                            "Edit & retry"
                        </button>
                        <button type="button" class="btn btn-ghost" on:click=close>
                            "Close"
                        </button>
                    </div>
                </div>
            })
        }
    };
    view! {
        {body}
        {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
    }
}
