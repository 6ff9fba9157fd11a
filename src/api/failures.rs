//! `GET /api/aks/recent-failed-provisions`, `POST /api/aks/dismiss-failure` and
//! `POST /api/aks/delete-partial-cluster`: the caller's failures, Dismiss, and the delete of what a
//! failed or stopped create left.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::domain::{DeletePartialOutcome, RecentFailures};

#[cfg(feature = "ssr")]
use crate::api::serve::{context, respond};
#[cfg(feature = "ssr")]
use crate::services;

/// The caller's failed provisions of the last `hours` (1–168, default 24), newest first, at most
/// `limit` (1–20, default 10). A storage failure answers `degraded: true` with no jobs.
#[server(prefix = "/api", endpoint = "aks/recent-failed-provisions", input = server_fn::codec::GetUrl)]
pub async fn recent_failed_provisions(
    hours: Option<u32>,
    limit: Option<u32>,
) -> Result<RecentFailures, ApiError> {
    let (state, caller) = context().await?;
    services::failures::recent_failures(&state, &caller, hours, limit)
        .await
        .map_err(respond)
}

/// Marks a failure dismissed for the caller, on every device.
#[server(prefix = "/api", endpoint = "aks/dismiss-failure", input = server_fn::codec::Json)]
pub async fn dismiss_failed_provision(job_id: String) -> Result<(), ApiError> {
    let (state, caller) = context().await?;
    services::failures::dismiss(&state, &caller, &job_id)
        .await
        .map_err(respond)
}

/// Deletes the partial cluster a cancelled or failed job of the caller left in Azure.
#[server(prefix = "/api", endpoint = "aks/delete-partial-cluster", input = server_fn::codec::Json)]
pub async fn delete_partial_cluster(job_id: String) -> Result<DeletePartialOutcome, ApiError> {
    let (state, caller) = context().await?;
    services::leftovers::delete_partial_cluster(&state, &caller, &job_id)
        .await
        .map_err(respond)
}
