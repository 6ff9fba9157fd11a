//! Provisioning, in the product's words: the request a user makes, the job that carries it out,
//! its progress, its failure and how to explain it. The types and pure rules here are shared by
//! the server and the browser; the runner that carries jobs out is server-only.

pub mod classify;
pub mod model;
pub mod validate;

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
