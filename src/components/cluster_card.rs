//! ClusterCard: the clusters of the configured subscription + resource group (the list itself is
//! server HTML, `cluster_list.rs`), the in-flight provisions of the signed-in user (with Stop),
//! and the "Last attempt failed" banner — all kept current by the server's live events
//! (`live`), not by polling. It is the page's island: the only part of the page that runs in
//! the browser.

use std::collections::BTreeMap;

use leptos::either::Either;
use leptos::prelude::*;
use leptos::server::codee::Encoder;
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::app::{SessionInfo, mark_hydrated};
use crate::components::clock::{Clock, now_ms};
use crate::components::cluster_list::{cluster_list_html, replace_list};
use crate::components::erase::erased_on_server;
use crate::components::in_flight::InFlight;
use crate::components::last_failed::LastFailed;
use crate::components::live::LiveEvents;
use crate::components::markup::{
    Clicked, Html, Place, Slot, keep_drawn, mount_under, optional_element, redraw_keeping_focus,
};
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
#[server(prefix = "/api", endpoint = "aks/active-provisions", protocol = crate::server_call::Api<server_fn::codec::GetUrl>)]
pub async fn active_provisions() -> Result<Vec<TaskStatus>, ApiError> {
    use crate::provisioning::service;
    let (state, caller) = service::context().await?;
    service::active_provisions(&state, &caller)
        .await
        .map_err(service::respond)
}

/// Status and progress of one task (the same behaviour as `GET /api/tasks/{task_id}`).
#[server(prefix = "/api", endpoint = "aks/task-status", protocol = crate::server_call::Api<server_fn::codec::GetUrl>)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardData {
    pub session: SessionInfo,
    pub recent_failures: Option<RecentFailures>,
    pub in_flight: Vec<TaskStatus>,
}

/// The id of the page's `<script type="application/json">` that holds the card's data.
pub const CARD_DATA_ID: &str = "card-data";

impl CardData {
    /// The card's data as the text of a JSON script block ([`CARD_DATA_ID`]), which the
    /// browser reads with the server functions' reader (`crate::wire`). Not an island prop:
    /// those are decoded by serde's derived decoder (`serde_json::from_str`), a second JSON
    /// decoder in the bundle. Every `<` is written `\u003c` (the same string to JSON), so no
    /// text in it can close the script block.
    pub fn to_script(&self) -> Result<String, serde_json::Error> {
        <PageJson as Encoder<Self>>::encode(self).map(|json| json.replace('<', "\\u003c"))
    }

    #[cfg(any(not(feature = "ssr"), test))]
    fn from_script(text: &str) -> Result<Self, crate::wire::WireError> {
        <PageJson as leptos::server::codee::Decoder<Self>>::decode(text)
    }

    /// What the server put in the page: on the server, from the context `Dashboard` provides;
    /// in the browser, from the script block it rendered.
    fn of_page() -> Result<Self, String> {
        #[cfg(feature = "ssr")]
        {
            use_context::<Self>().ok_or_else(|| "the page gave the card no data".to_owned())
        }
        #[cfg(not(feature = "ssr"))]
        {
            let text = document()
                .get_element_by_id(CARD_DATA_ID)
                .and_then(|el| el.text_content())
                .ok_or_else(|| "the page has no card data".to_owned())?;
            Self::from_script(&text).map_err(|e| e.to_string())
        }
    }
}

crate::wire::read_struct!(CardData {
    session: req,
    recent_failures: req,
    in_flight: req,
});

/// The dashboard's card: clusters of the resource group, in-flight provisions of the signed-in
/// user, and the last failed attempt, all kept current by the server's live events.
///
/// Its data is the page's [`CardData`] ([`CardData::of_page`]); `children` is the cluster list as
/// the server rendered it ([`crate::components::cluster_list::ClusterListView`]), swapped for a
/// fresh rendering when it changes.
#[island]
pub fn ClusterCard(children: Children) -> impl IntoView {
    mark_hydrated();
    let CardData {
        session,
        recent_failures,
        in_flight,
    } = match CardData::of_page() {
        Ok(data) => data,
        Err(e) => {
            return Either::Right(view! {
                <div class="notice notice-error" role="alert">
                    "The page's data could not be read: " {e}
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
    // The card's notices are markup, redrawn when their text changes.
    let notice_slot = Slot::new();
    let passing_now = move || passing_markup(in_flight.notice().map(|n| n.text).as_deref());
    let first_passing = untrack(passing_now);
    keep_drawn(Place::Slot(notice_slot), Box::new(passing_now));
    let list_error_slot = Slot::new();
    keep_drawn(
        Place::Slot(list_error_slot),
        Box::new(move || {
            let message = list_error.get();
            let text = message.map(|m| format!("The cluster list could not be refreshed: {m}"));
            optional_element(
                "div",
                &[
                    ("class", "notice notice-warn card-notice"),
                    ("role", "status"),
                ],
                text.as_deref(),
            )
        }),
    );

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
    // One listener for the card's own buttons: Add cluster, the notice's close, and Stop in
    // the banners (the error card listens on its own).
    let on_card_click = move |ev: leptos::ev::MouseEvent| {
        let Some(clicked) = Clicked::of(&ev) else {
            return;
        };
        match clicked.action.as_str() {
            "add-cluster" => open_modal(None),
            "close-notice" => in_flight.close_notice(),
            _ => {
                if let Some(task_id) = clicked.around("data-task-id") {
                    on_stop_click(&clicked, task_id, stops, on_stopped);
                }
            }
        }
    };

    // The modal is built in the browser when it opens and taken down when it closes: it is
    // never server HTML, so it is mounted rather than part of the hydrated view (whose code
    // would carry a hydration path for it that never runs). Its handle, dropped, unmounts it
    // and disposes its reactive owner, a child of the card's (it uses the card's contexts).
    let modal_slot = NodeRef::<leptos::html::Div>::new();
    let card_owner = Owner::current();
    let shown_modal = StoredValue::new_local(None::<Box<dyn std::any::Any>>);
    let modal_session = session.clone();
    Effect::new(move |_| {
        let open = modal.get();
        // Taken out first and dropped once the stored value is no longer borrowed: taking the
        // modal down disposes reactive nodes of its own.
        let shown = shown_modal.try_update_value(Option::take).flatten();
        drop(shown);
        let (Some(open), Some(slot), Some(owner)) =
            (open, modal_slot.get_untracked(), card_owner.clone())
        else {
            return;
        };
        let session = modal_session.clone();
        let handle = mount_under(&owner, &slot, move || {
            view! {
                <ProvisionModal
                    session=session
                    prefill=open.prefill
                    on_started=on_started
                    on_close=on_close
                />
            }
        });
        shown_modal.set_value(Some(handle));
    });

    let header = header_markup(&session);
    Either::Left(erased_on_server(view! {
        <section
            class="card"
            data-testid="cluster-card"
            data-events=move || live.state().as_str()
            aria-labelledby="cluster-card-title"
            on:click=on_card_click
        >
            <header class="card-header" inner_html=header></header>
            <div class="card-banners" aria-live="polite">
                {banner}
                <div class="notice-slot" node_ref=notice_slot inner_html=first_passing></div>
                <div class="in-flight" node_ref=banners inner_html=first_banners></div>
            </div>
            <div class="notice-slot" node_ref=list_error_slot></div>
            {children()}
        </section>
        <div class="modal-slot" node_ref=modal_slot></div>
    }))
}

/// The inside of the card's header: where the clusters are, where Azure calls go, and the
/// Add cluster button (`data-action="add-cluster"`).
fn header_markup(session: &SessionInfo) -> String {
    let mut h = Html::new();
    h.start("div")
        .end()
        .element(
            "h1",
            &[("id", "cluster-card-title"), ("class", "card-title")],
            "Kubernetes clusters",
        )
        .start("p")
        .attr("class", "card-subtitle")
        .end()
        .element("span", &[("class", "label")], "Resource group")
        .element("code", &[], &session.resource_group)
        .element("span", &[("class", "sep"), ("aria-hidden", "true")], "·")
        .element("span", &[("class", "label")], "Subscription")
        .element("code", &[], &session.subscription_id)
        .close("p")
        .close("div");
    let calls_go_to = if session.arm_mode == "simulator" {
        "ARM simulator"
    } else {
        "Azure"
    };
    h.start("div")
        .attr("class", "card-header-actions")
        .end()
        .element(
            "span",
            &[
                ("class", "badge badge-neutral"),
                ("title", "Where Azure calls go"),
            ],
            calls_go_to,
        )
        .start("button")
        .attr("type", "button")
        .attr("id", "add-cluster")
        .attr("class", "btn btn-primary")
        .attr("data-testid", "add-cluster")
        .attr("data-action", "add-cluster")
        .attr("aria-haspopup", "dialog")
        .end()
        .element("span", &[("aria-hidden", "true")], "+ ")
        .text("Add cluster")
        .close("button")
        .close("div");
    h.finish()
}

/// The notice of a provision that passed without leaving anything (stopped in time), if any.
fn passing_markup(text: Option<&str>) -> String {
    let mut h = Html::new();
    if let Some(text) = text {
        h.start("div")
            .attr("class", "notice notice-info passing-notice")
            .attr("role", "status")
            .attr("data-testid", "passing-notice")
            .end()
            .element("span", &[], text)
            .element(
                "button",
                &[
                    ("type", "button"),
                    ("class", "btn btn-ghost btn-icon"),
                    ("aria-label", "Close notice"),
                    ("data-action", "close-notice"),
                ],
                "✕",
            )
            .close("div");
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(arm_mode: &str) -> SessionInfo {
        SessionInfo {
            user: "dev@example.com".into(),
            subscription_id: "11111111-2222-3333-4444-555555555555".into(),
            resource_group: "rg-<aks>".into(),
            arm_mode: arm_mode.into(),
        }
    }

    #[test]
    fn the_header_says_where_and_offers_add_cluster() {
        let html = header_markup(&session("simulator"));
        assert!(html.contains("<code>rg-&lt;aks&gt;</code>"), "{html}");
        assert!(
            html.contains("11111111-2222-3333-4444-555555555555"),
            "{html}"
        );
        assert!(html.contains(">ARM simulator</span>"), "{html}");
        assert!(
            html.contains(r#"id="add-cluster" class="btn btn-primary" data-testid="add-cluster" data-action="add-cluster""#),
            "{html}"
        );
        assert!(header_markup(&session("azure")).contains(">Azure</span>"));
        assert_eq!(html.matches("<div").count(), html.matches("</div>").count());
    }

    #[test]
    fn the_card_data_script_cannot_be_closed_by_its_text() {
        let mut failure = crate::components::fixtures::failure("j1", 0);
        failure.error_message = Some("</script><script>alert(1)</script> <!--".into());
        let data = CardData {
            session: session("simulator"),
            recent_failures: Some(crate::provisioning::model::RecentFailures {
                jobs: vec![failure],
                degraded: false,
            }),
            in_flight: vec![],
        };
        let script = data.to_script().expect("encodes");
        assert!(!script.contains('<'), "{script}");
        assert_eq!(CardData::from_script(&script).expect("reads back"), data);
    }

    #[test]
    fn notices_are_drawn_only_when_there_is_something_to_say() {
        assert_eq!(passing_markup(None), "");
        let passing = passing_markup(Some("Creating <x> was stopped"));
        assert!(
            passing.contains(r#"data-testid="passing-notice""#),
            "{passing}"
        );
        assert!(
            passing.contains("Creating &lt;x&gt; was stopped"),
            "{passing}"
        );
        assert!(
            passing.contains(r#"data-action="close-notice""#),
            "{passing}"
        );
    }
}
