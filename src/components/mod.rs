//! The dashboard's components: UI only. The server functions they call are `crate::api`'s.
//!
//! The page is server HTML (`crate::app`); what must act in the browser is an `#[island]`:
//! - [`cluster_card::ClusterCard`], the provider: the page's live state (the event stream, the
//!   last failure, the in-flight provisions, the clock, the modal) shared by context with the
//!   islands nested in its server-rendered children;
//! - [`cluster_card::AddCluster`], [`cluster_card::LastFailedBanner`],
//!   [`in_flight::InFlightBanners`] and [`cluster_card::LiveClusterList`], the parts that react;
//! - [`provision_modal`], loaded only when it is wanted (a lazy split of the bundle).
//!
//! Everything else (the header, the cluster rows) is rendered by the server only. Every button
//! the server renders works from the first paint ([`page_action`]).

pub mod approvals;
pub mod clock;
pub mod cluster_card;
pub mod confirm;
pub mod erase;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod history_page;
pub mod hydration;
pub mod in_flight;
pub mod last_failed;
pub mod live;
pub mod notify;
pub mod page_action;
pub mod provision_error_card;
pub mod provision_modal;
pub mod session;
