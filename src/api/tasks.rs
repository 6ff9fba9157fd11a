//! `GET /api/aks/active-provisions`, `GET /api/aks/task-status`, `POST /api/aks/cancel` and
//! their twins with a path parameter, `GET /api/tasks/{task_id}` and
//! `POST /api/aks/cancel-provision/{task_id}`: the caller's tasks and Stop.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::domain::{CancelOutcome, TaskStatus};

#[cfg(feature = "ssr")]
use crate::api::serve::{context, respond};
#[cfg(feature = "ssr")]
use crate::services;

/// The caller's queued and running provisions, newest first.
#[server(prefix = "/api", endpoint = "aks/active-provisions", input = server_fn::codec::GetUrl)]
pub async fn active_provisions() -> Result<Vec<TaskStatus>, ApiError> {
    let (state, caller) = context().await?;
    services::tasks::active_provisions(&state, &caller)
        .await
        .map_err(respond)
}

/// Status and progress of one task (the same behaviour as `GET /api/tasks/{task_id}`).
#[server(prefix = "/api", endpoint = "aks/task-status", input = server_fn::codec::GetUrl)]
pub async fn get_task_status(task_id: String) -> Result<TaskStatus, ApiError> {
    let (state, caller) = context().await?;
    services::tasks::task_status(&state, &caller, &task_id)
        .await
        .map_err(respond)
}

#[server(prefix = "/api", endpoint = "aks/cancel", input = server_fn::codec::Json)]
pub async fn cancel_provision(task_id: String) -> Result<CancelOutcome, ApiError> {
    let (state, caller) = context().await?;
    services::tasks::cancel(&state, &caller, &task_id)
        .await
        .map_err(respond)
}

/// The two twins with a path parameter (server functions have fixed paths): each calls the same
/// use case as its server function, one behaviour behind two doors.
#[cfg(feature = "ssr")]
pub mod by_path {
    use axum::Json;
    use axum::extract::{Path, State};
    use axum::response::{IntoResponse, Response};

    use crate::identity::Caller;
    use crate::services;
    use crate::state::AppState;

    /// `GET /api/tasks/{task_id}`.
    pub async fn task_status(
        State(state): State<AppState>,
        caller: Caller,
        Path(task_id): Path<String>,
    ) -> Response {
        match services::tasks::task_status(&state, &caller, &task_id).await {
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
        match services::tasks::cancel(&state, &caller, &task_id).await {
            Ok(outcome) => Json(outcome).into_response(),
            Err(err) => err.into_response(),
        }
    }
}
