//! `GET /api/history/view`: one page of the history as the History page shows it.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::domain::history::{HistoryQuery, HistoryView};

#[cfg(feature = "ssr")]
use crate::api::serve::{context, respond};
#[cfg(feature = "ssr")]
use crate::services;

/// One page of the history the caller may see, with what the page needs around it. The API's
/// door to the same entries is `GET /api/history` (JSON or CSV).
#[server(prefix = "/api", endpoint = "history/view", input = server_fn::codec::GetUrl)]
pub async fn load_history(#[server(flatten)] query: HistoryQuery) -> Result<HistoryView, ApiError> {
    let (state, caller) = context().await?;
    services::history::view(&state, &caller, query)
        .await
        .map_err(respond)
}
