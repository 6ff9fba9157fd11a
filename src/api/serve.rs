//! What every server function does around its use case: finds the app state and the caller,
//! and makes the HTTP answer carry the status of its error or success.

use crate::api_error::ApiError;
use crate::identity::Caller;
use crate::state::AppState;

/// Inside a server function: the app state and the caller (401 without one).
pub async fn context() -> Result<(AppState, Caller), ApiError> {
    let caller = crate::identity::require_caller().await?;
    let state = leptos::prelude::use_context::<AppState>().ok_or_else(ApiError::internal)?;
    Ok((state, caller))
}

/// Inside a server function: makes the HTTP answer carry the error's status.
pub fn respond(err: ApiError) -> ApiError {
    err.set_response_status();
    err
}

/// Inside a server function: sets a success status such as 202.
pub fn set_status(status: u16) {
    if let (Some(opts), Ok(code)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        opts.set_status(code);
    }
}
