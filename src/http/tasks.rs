//! The two API routes with a path parameter (server functions have fixed paths). Each calls the
//! same service function as its server-function twin: one behaviour, two doors.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use crate::identity::Caller;
use crate::provisioning::service;
use crate::state::AppState;

/// `GET /api/tasks/{task_id}`.
pub async fn task_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
) -> Response {
    match service::task_status(&state, &caller, &task_id).await {
        Ok(task) => Json(task).into_response(),
        Err(err) => err.into_response(),
    }
}

/// `POST /api/aks/cancel-provision/{task_id}`.
pub async fn cancel_provision(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
) -> Response {
    match service::cancel(&state, &caller, &task_id).await {
        Ok(outcome) => Json(outcome).into_response(),
        Err(err) => err.into_response(),
    }
}
