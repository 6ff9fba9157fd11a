//! `GET /metrics`: the gauges read at each scrape from the server's state, then everything the
//! recorder of `crate::metrics` holds, in Prometheus' text format.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use metrics::gauge;

use crate::state::AppState;

/// `GET /metrics` on the dashboard's port: 404 unless `METRICS_ENABLED`.
pub async fn on_main_port(state: State<AppState>) -> Response {
    if !state.config.metrics_enabled {
        return crate::api_error::ApiError::not_found("Metrics are not served here.")
            .into_response();
    }
    render(state).await
}

/// Serves `/metrics` alone on `addr` until `stopped` says so.
pub async fn serve_separately(
    addr: std::net::SocketAddr,
    state: AppState,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "metrics served here too");
    let router = axum::Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state(state);
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await;
        if let Err(err) = served {
            tracing::warn!(error = %err, "the metrics listener stopped");
        }
    }))
}

/// The gauges read now (jobs queued and running from the database, open streams), then
/// everything in Prometheus' text format.
pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = crate::metrics::install() else {
        return (
            http::StatusCode::SERVICE_UNAVAILABLE,
            "metrics unavailable\n",
        )
            .into_response();
    };
    let (open, _) = state.streams.open("");
    gauge!("event_streams_open").set(open as f64);
    gauge!("aks_jobs_in_flight_here").set(state.runner.in_flight() as f64);
    let counted = tokio::time::timeout(
        Duration::from_secs(2),
        state
            .jobs
            .count_in_flight_by_status(crate::storage::jobs::AKS_PROVISION),
    )
    .await;
    match counted {
        Ok(Ok(counts)) => {
            for status in ["queued", "running"] {
                let n = counts
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                gauge!("aks_jobs", "status" => status).set(n as f64);
            }
            gauge!("aks_jobs_storage_up").set(1.0);
        }
        _ => gauge!("aks_jobs_storage_up").set(0.0),
    }
    handle.run_upkeep();
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
