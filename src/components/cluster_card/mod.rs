//! ClusterCard: the clusters of the configured subscription + resource group, the in-flight
//! provisions of the signed-in user (with Stop), and the "Last attempt failed" banner — kept
//! current by the server's live events, not by polling.
//!
//! The card is the page's provider island: it holds the page's live state and provides it by
//! context to the islands in its server-rendered children ([`AddCluster`],
//! `LastFailedBanner`, `InFlightBanners`, [`LiveClusterList`]); the modal is mounted here when
//! it opens, its code fetched then.

mod banner;
mod header;
mod list;

pub use banner::LastFailedBanner;
pub use header::{AddCluster, CardHeader};
pub use list::{ClusterListView, LiveClusterList};

use leptos::either::Either;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::approvals::Approvals;
use crate::components::clock::Clock;
use crate::components::erase::erased_on_server;
use crate::components::hydration::once_hydrated;
use crate::components::in_flight::InFlight;
use crate::components::last_failed::LastFailed;
use crate::components::live::LiveEvents;
use crate::components::page_action::AskedAction;
use crate::components::provision_modal::ModalControl;
use crate::components::session::{SignInAgain, SignInAgainNotice, Viewer};
use crate::domain::approval::ApprovalList;
use crate::domain::{RecentFailures, TaskStatus};
use crate::identity::SessionInfo;

/// What the server knew when it rendered the page. `recent_failures` and `in_flight` are in the
/// first HTML and taken over live once the card is hydrated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardData {
    pub session: SessionInfo,
    pub recent_failures: Option<RecentFailures>,
    pub in_flight: Vec<TaskStatus>,
    /// When the server started reading what the page shows (ms since the epoch, its clock): the
    /// event stream tells the page whether anything changed since.
    pub read_at: i64,
    /// A button pressed before the page was live, as the address said it (`do`): the page
    /// presses it once it is (`page_action`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked: Option<String>,
    /// The approvals queue and the user's own requests awaiting approval (or just decided).
    #[serde(default)]
    pub approvals: ApprovalList,
}

impl CardData {
    /// The card's island prop: the data as JSON text.
    ///
    /// Not a typed prop: the island macro decodes typed props with `serde_json::from_str`, a
    /// second set of decoders beside the one the server functions' answers use
    /// (`serde_json::from_slice`) for the same types. Read with [`CardData::read`], every JSON
    /// the browser reads goes through one decoder per type.
    pub fn to_prop(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn read(prop: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(prop.as_bytes())
    }
}

/// The dashboard's card. `data` is [`CardData::to_prop`]; `children` is what the server rendered
/// inside it: the header with Add cluster, the banners and the cluster list.
#[island]
pub fn ClusterCard(data: String, children: Children) -> impl IntoView {
    mark_hydrated();
    let CardData {
        session,
        recent_failures,
        in_flight,
        read_at,
        asked,
        approvals,
    } = match CardData::read(&data) {
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
    let live = LiveEvents::provide(&session.user_id, read_at);
    let last_failed = LastFailed::new(session.user_id.clone(), recent_failures.as_ref());
    provide_context(last_failed);
    last_failed.attach(recent_failures);
    let in_flight = InFlight::new(in_flight, last_failed, session.user_id.clone());
    provide_context(in_flight);
    live.subscribe(move |event| in_flight.on_event(&event));
    let approvals = Approvals::new(approvals, session.user_id.clone());
    live.subscribe(move |event| approvals.on_event(&event));
    SignInAgain::provide(&session);
    Viewer::provide(&session);
    AskedAction::provide(asked.as_deref(), session.scope.path());
    let modal = ModalControl::provide(session);
    Either::Left(erased_on_server(view! {
        <section
            class="card"
            data-testid="cluster-card"
            data-events=move || live.state().as_str()
            data-failures-read=move || last_failed.reads_answered()
            aria-labelledby="cluster-card-title"
        >
            <Show when=move || !modal.is_open()>
                <SignInAgainNotice />
            </Show>
            {modal.status()}
            {children()}
        </section>
        {modal.host()}
    }))
}

/// Sets `<html data-hydrated="true">` once the browser has taken over the page (every island);
/// the attribute is absent from the first HTML, and tests wait for it.
fn mark_hydrated() {
    once_hydrated(|| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
