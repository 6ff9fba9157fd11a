//! Middleware (inside identity): a request the API's route table marks as a write or a
//! pre-flight counts against its user's limit (`limits::RateLimits`); over it, 429
//! `rate_limited` with `Retry-After`, and the handler never runs.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::routes;
use crate::identity::Caller;
use crate::limits::RateLimits;
use crate::limits::rate_limits::refusal;

/// Refuses a limited request of a user over their limit.
pub async fn limit(State(limits): State<RateLimits>, req: Request, next: Next) -> Response {
    let Some(what) = routes::limited(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let Some(caller) = req.extensions().get::<Caller>() else {
        return next.run(req).await;
    };
    if let Err(seconds) = limits.check(what, &caller.id) {
        return refusal(what, &caller.id, seconds).into_response();
    }
    next.run(req).await
}
