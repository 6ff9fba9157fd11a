//! Plain axum routes and middleware: identity, cross-site protection, health. The product's API
//! routes are Leptos server functions next to the components that call them.

pub mod assets;
pub mod auth;
pub mod events;
pub mod health;
pub mod tasks;
