//! ClusterCard: the clusters of the configured subscription + resource group (the list itself is
//! server HTML, `cluster_list.rs`), the in-flight provisions of the signed-in user (with Stop),
//! and the "Last attempt failed" banner — all kept current by the server's live events
//! (`live`), not by polling. It is the page's island: the only part of the page that runs in
//! the browser.

use std::collections::BTreeMap;

use leptos::either::Either;
use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::app::{SessionInfo, mark_hydrated};
use crate::components::clock::{Clock, now_ms};
use crate::components::cluster_list::{cluster_list_html, replace_list};
use crate::components::erase::erased_on_server;
use crate::components::in_flight::InFlight;
use crate::components::last_failed::LastFailed;
use crate::components::live::LiveEvents;
use crate::components::markup::{Clicked, redraw_keeping_focus};
use crate::components::page_json::PageJson;
use crate::components::provision_error_card::ProvisionErrorCard;
use crate::components::provision_modal::ProvisionModal;
use crate::components::provision_progress::{
    StopStates, banners_markup, on_stop_click, refresh_elapsed,
};
use crate::events::DashboardEvent;
use crate::provisioning::model::{
    CancelOutcome, JobStatus, ProvisionRequest, RecentFailures, TaskStatus,
};

/// The caller's queued and running provisions, newest first.
#[server(prefix = "/api", endpoint = "aks/active-provisions", input = server_fn::codec::GetUrl)]
pub async fn active_provisions() -> Result<Vec<TaskStatus>, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::active_provisions(&state, &caller)
        .await
        .map_err(service::respond)
}

/// Status and progress of one task (the same behaviour as `GET /api/tasks/{task_id}`).
#[server(prefix = "/api", endpoint = "aks/task-status", input = server_fn::codec::GetUrl)]
pub async fn get_task_status(task_id: String) -> Result<TaskStatus, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::task_status(&state, &caller, &task_id)
        .await
        .map_err(service::respond)
}

/// Why the modal is open: a new cluster, or Edit & retry of a failed attempt.
#[derive(Debug, Clone, PartialEq)]
struct ModalOpen {
    prefill: Option<ProvisionRequest>,
}

/// What the server knew when it rendered the page. `recent_failures` and `in_flight` are
/// rendered into the first HTML and taken over live once the card is hydrated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardData {
    pub session: SessionInfo,
    pub recent_failures: Option<RecentFailures>,
    pub in_flight: Vec<TaskStatus>,
}

impl CardData {
    /// The card's prop. One JSON string rather than typed props: an island's typed props would
    /// be decoded by a second JSON decoder per type (`serde_json::from_str`), this one by
    /// `PageJson`, the decoder the server functions' answers already use.
    pub fn to_prop(&self) -> Result<String, serde_json::Error> {
        <PageJson as Encoder<Self>>::encode(self)
    }

    fn from_prop(prop: &str) -> Result<Self, serde_json::Error> {
        <PageJson as Decoder<Self>>::decode(prop)
    }
}

/// The dashboard's card: clusters of the resource group, in-flight provisions of the signed-in
/// user, and the last failed attempt, all kept current by the server's live events.
///
/// `data` is a [`CardData`] as JSON ([`CardData::to_prop`]); `children` is the cluster list as
/// the server rendered it ([`crate::components::cluster_list::ClusterListView`]), swapped for a
/// fresh rendering when it changes.
#[island]
pub fn ClusterCard(data: String, children: Children) -> impl IntoView {
    mark_hydrated();
    let CardData {
        session,
        recent_failures,
        in_flight,
    } = match CardData::from_prop(&data) {
        Ok(data) => data,
        Err(e) => {
            return Either::Right(view! {
                <div class="notice notice-error" role="alert">
                    "The page's data could not be read: " {e.to_string()}
                </div>
            });
        }
    };
    Clock::provide();
    let live = LiveEvents::provide(&session.user);
    let last_failed = LastFailed::new(session.user.clone(), recent_failures.as_ref());
    provide_context(last_failed);
    last_failed.attach(recent_failures);
    let in_flight = InFlight::new(in_flight, last_failed);

    // Why the last refresh of the list failed; the list stays as it was.
    let list_error = RwSignal::new(None::<String>);
    let list_reads = StoredValue::new(0u64);
    let refresh_list = move || {
        list_reads.update_value(|n| *n += 1);
        let read = list_reads.get_value();
        leptos::task::spawn_local(async move {
            let answer = cluster_list_html().await;
            // Only the newest read is shown (answers can overtake each other).
            if list_reads.try_get_value() != Some(read) {
                return;
            }
            match answer {
                Ok(html) => {
                    list_error.set(None);
                    replace_list(&html);
                }
                Err(e) => list_error.set(Some(e.message)),
            }
        });
    };
    let modal = RwSignal::new(None::<ModalOpen>);

    live.subscribe(move |event| {
        if matches!(
            event,
            DashboardEvent::ClustersChanged
                | DashboardEvent::Resync
                | DashboardEvent::TaskEnded { .. }
        ) {
            refresh_list();
        }
        in_flight.on_event(&event);
    });

    let open_modal =
        move |prefill: Option<ProvisionRequest>| modal.set(Some(ModalOpen { prefill }));
    let on_started = Callback::new(move |task_id: String| in_flight.started(task_id));
    let on_close = Callback::new(move |_: ()| modal.set(None));
    let on_stopped = Callback::new(move |outcome: CancelOutcome| in_flight.stopped(outcome));

    let shown_failure = Memo::new(move |_| last_failed.get());
    let banner = move || {
        shown_failure.get().map(|f| {
            let portal = f
                .partial_cluster
                .as_ref()
                .map(|p| p.portal_url.clone())
                .filter(|u| !u.is_empty());
            let title = if f.status == JobStatus::Cancelled {
                "Last attempt cancelled"
            } else {
                "Last attempt failed"
            };
            view! {
                <section class="last-failed" data-testid="last-failed-banner" aria-label=title>
                    <ProvisionErrorCard
                        failure=f
                        title=title
                        id="last-failed"
                        extra_portal_url=portal
                        on_edit_retry=Callback::new(move |r: ProvisionRequest| open_modal(Some(r)))
                    />
                </section>
            }
        })
    };
    let passing_notice = move || {
        in_flight.notice().map(|n| {
            view! {
                <div class="notice notice-info passing-notice" role="status" data-testid="passing-notice">
                    <span>{n.text}</span>
                    <button
                        type="button"
                        class="btn btn-ghost btn-icon"
                        aria-label="Close notice"
                        on:click=move |_| in_flight.close_notice()
                    >
                        "✕"
                    </button>
                </div>
            }
        })
    };

    // The in-flight provisions' banners are markup (`banners_markup`): redrawn when the list,
    // a Stop or an accepted stop changes (the focus stays on the button it was on), their
    // elapsed times kept current in place each tick.
    let stops: StopStates = RwSignal::new(BTreeMap::new());
    let banners = NodeRef::<leptos::html::Div>::new();
    let banners_now = move || {
        in_flight.active().with(|list| {
            stops.with(|s| banners_markup(list, |id| in_flight.is_stopping(id), s, now_ms()))
        })
    };
    let first_banners = untrack(banners_now);
    Effect::new(move |shown: Option<String>| {
        let html = banners_now();
        if let Some(root) = banners.get_untracked()
            && shown.as_deref() != Some(html.as_str())
        {
            redraw_keeping_focus(&root, &html, "data-task-id");
        }
        html
    });
    let clock = Clock::now();
    Effect::new(move |_| {
        let now = clock.get();
        if let Some(root) = banners.get() {
            refresh_elapsed(&root, now);
        }
    });
    let on_banner_click = move |ev: leptos::ev::MouseEvent| {
        if let Some(clicked) = Clicked::of(&ev)
            && let Some(task_id) = clicked.around("data-task-id")
        {
            on_stop_click(&clicked, task_id, stops, on_stopped);
        }
    };

    let modal_session = session.clone();
    Either::Left(erased_on_server(view! {
        <section
            class="card"
            data-testid="cluster-card"
            data-events=move || live.state().as_str()
            aria-labelledby="cluster-card-title"
        >
            <header class="card-header">
                <div>
                    <h1 id="cluster-card-title" class="card-title">"Kubernetes clusters"</h1>
                    <p class="card-subtitle">
                        <span class="label">"Resource group"</span>
                        <code>{session.resource_group.clone()}</code>
                        <span class="sep" aria-hidden="true">"·"</span>
                        <span class="label">"Subscription"</span>
                        <code>{session.subscription_id.clone()}</code>
                    </p>
                </div>
                <div class="card-header-actions">
                    <span class="badge badge-neutral" title="Where Azure calls go">
                        {if session.arm_mode == "simulator" { "ARM simulator" } else { "Azure" }}
                    </span>
                    <button
                        type="button"
                        id="add-cluster"
                        class="btn btn-primary"
                        data-testid="add-cluster"
                        aria-haspopup="dialog"
                        on:click=move |_| open_modal(None)
                    >
                        <span aria-hidden="true">"+ "</span>
                        "Add cluster"
                    </button>
                </div>
            </header>
            <div class="card-banners" aria-live="polite">
                {banner}
                {passing_notice}
                <div class="in-flight" node_ref=banners inner_html=first_banners on:click=on_banner_click></div>
            </div>
            {move || {
                list_error.get().map(|m| {
                    view! {
                        <div class="notice notice-warn card-notice" role="status">
                            "The cluster list could not be refreshed: " {m}
                        </div>
                    }
                })
            }}
            {children()}
        </section>
        {move || {
            modal
                .get()
                .map(|m| {
                    view! {
                        <ProvisionModal
                            session=modal_session.clone()
                            prefill=m.prefill
                            on_started=on_started
                            on_close=on_close
                        />
                    }
                })
        }}
    }))
}
