//! Plain axum routes and middleware: identity, cross-site protection, the body limit, JSON
//! errors under `/api/`, bad input named by its field, security headers, health. The product's
//! API routes are Leptos server functions next to the components that call them.

pub mod api_json;
pub mod assets;
pub mod auth;
pub mod auth_pages;
pub mod body_limit;
pub mod events;
pub mod health;
pub mod history;
pub mod input_errors;
pub mod local_redirect;
pub mod metrics;
pub mod openapi;
pub mod rate_limits;
pub mod security_headers;
pub mod stream_slots;
pub mod tasks;
