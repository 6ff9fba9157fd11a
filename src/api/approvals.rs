//! `GET /api/approvals`, `POST /api/approvals/decide` (the page's door) and its twins with a
//! path parameter, `POST /api/approvals/{approval_id}/approve|deny|withdraw`: creates that wait
//! for an admin.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::domain::approval::{Approval, ApprovalAction, ApprovalList};

#[cfg(feature = "ssr")]
use crate::api::serve::{context, respond};
#[cfg(feature = "ssr")]
use crate::services;

/// For an admin, every request awaiting approval in their scopes; for everyone, their own of
/// the last week.
#[server(prefix = "/api", endpoint = "approvals", input = server_fn::codec::GetUrl)]
pub async fn list_approvals() -> Result<ApprovalList, ApiError> {
    let (state, caller) = context().await?;
    services::approvals::list(&state, &caller)
        .await
        .map_err(respond)
}

/// Approve, deny (with a note) or withdraw a request: the page's door.
#[server(prefix = "/api", endpoint = "approvals/decide", input = server_fn::codec::Json)]
pub async fn decide_approval(
    approval_id: String,
    action: ApprovalAction,
    #[server(default)] note: Option<String>,
) -> Result<Approval, ApiError> {
    let (state, caller) = context().await?;
    services::approvals::decide(&state, &caller, &approval_id, action, note)
        .await
        .map_err(respond)
}

/// The three twins with a path parameter: the same use case as [`decide_approval`].
#[cfg(feature = "ssr")]
pub mod by_path {
    use axum::Json;
    use axum::body::Bytes;
    use axum::extract::{Path, State};
    use axum::response::{IntoResponse, Response};

    use crate::api_error::ApiError;
    use crate::domain::approval::ApprovalAction;
    use crate::identity::Caller;
    use crate::services;
    use crate::state::AppState;

    /// The optional body: `{"note": "…"}`.
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoteBody {
        #[serde(default)]
        note: Option<String>,
    }

    async fn decide(
        state: AppState,
        caller: Caller,
        id: String,
        action: ApprovalAction,
        body: Bytes,
    ) -> Response {
        let note = if body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice::<NoteBody>(&body) {
                Ok(b) => b.note,
                Err(e) => {
                    return ApiError::bad_request(format!(
                        "The body is {{\"note\": \"…\"}} or nothing: {e}"
                    ))
                    .into_response();
                }
            }
        };
        match services::approvals::decide(&state, &caller, &id, action, note).await {
            Ok(approval) => Json(approval).into_response(),
            Err(err) => err.into_response(),
        }
    }

    /// `POST /api/approvals/{approval_id}/approve`.
    pub async fn approve(
        State(state): State<AppState>,
        caller: Caller,
        Path(id): Path<String>,
        body: Bytes,
    ) -> Response {
        decide(state, caller, id, ApprovalAction::Approve, body).await
    }

    /// `POST /api/approvals/{approval_id}/deny`.
    pub async fn deny(
        State(state): State<AppState>,
        caller: Caller,
        Path(id): Path<String>,
        body: Bytes,
    ) -> Response {
        decide(state, caller, id, ApprovalAction::Deny, body).await
    }

    /// `POST /api/approvals/{approval_id}/withdraw`.
    pub async fn withdraw(
        State(state): State<AppState>,
        caller: Caller,
        Path(id): Path<String>,
        body: Bytes,
    ) -> Response {
        decide(state, caller, id, ApprovalAction::Withdraw, body).await
    }
}
