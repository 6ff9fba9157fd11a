//! AKS provisioning dashboard.
//!
//! One crate, two builds: the server (`ssr`: axum, storage, Azure, job runner) and the browser
//! bundle (`hydrate`: the page's islands, hydrated from the server's HTML). Modules shared by
//! both hold the page, the components and the data types they exchange; server-only modules sit
//! behind `feature = "ssr"`.

// The view types of the modal's screens nest deeper than rustc's default query depth when the
// lazy modal is erased into an `AnyView` for the browser.
#![recursion_limit = "256"]

pub mod api;
pub mod api_error;
pub mod app;
pub mod clock;
pub mod components;
pub mod domain;
pub mod events;
pub mod identity;
pub mod refusal;

#[cfg(feature = "ssr")]
pub mod armsim;
#[cfg(feature = "ssr")]
pub mod azure;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod limits;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod pricing;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod startup;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod storage;

/// Browser entry point: prepares the islands' root owner. Leptos' island script then hydrates
/// each `<leptos-island>` of the server-rendered page; the rest of the page stays server HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
