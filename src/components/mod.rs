//! The dashboard's components, each with the server functions it calls.

pub mod clock;
pub mod cluster_card;
pub mod cluster_list;
pub mod confirm_panel;
pub mod erase;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod in_flight;
pub mod last_failed;
pub mod live;
pub mod markup;
pub mod notify;
pub mod page_json;
pub mod provision_error_card;
pub mod provision_modal;
pub mod provision_progress;
