//! The HTTP API, one file per group of routes: every server function (compiled into both builds:
//! the server's handler, the browser's call) and every axum handler of `/api` and the
//! operational routes, each calling one use case of `services/`; and [`routes`], the one table of
//! the API that the rate limits, the input gate and the OpenAPI document read.

pub mod approvals;
pub mod clusters;
pub mod failures;
pub mod history;
pub mod provision;
pub mod session;
pub mod tasks;

#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod health;
#[cfg(feature = "ssr")]
pub mod history_export;
#[cfg(feature = "ssr")]
pub mod input;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod openapi;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod serve;
