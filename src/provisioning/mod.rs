//! The provisioning use cases (server only).

#[cfg(feature = "ssr")]
pub mod costs;
#[cfg(feature = "ssr")]
pub mod fixes;
#[cfg(feature = "ssr")]
pub mod history;
#[cfg(feature = "ssr")]
pub mod preflight;
#[cfg(feature = "ssr")]
pub mod service;
