//! Middleware in front of every route: identity (and the sign-in routes it owns), cross-site
//! protection, the body limit, per-user rate limits, JSON errors under `/api/`, bad input named
//! by its field, security headers, assets. The routes themselves are `api/`'s.

pub mod api_json;
pub mod assets;
pub mod auth;
pub mod auth_pages;
pub mod body_limit;
pub mod input_errors;
pub mod local_redirect;
pub mod rate_limit;
pub mod security_headers;
