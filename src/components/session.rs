//! Who is signed in, and where the dashboard works: the session the page is rendered for.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::identity::SessionInfo;

/// The signed-in user and the subscription and resource group the dashboard shows.
#[server(prefix = "/api", endpoint = "session", input = server_fn::codec::GetUrl)]
pub async fn get_session() -> Result<SessionInfo, ApiError> {
    let caller = crate::identity::require_caller().await?;
    let state = expect_context::<crate::state::AppState>();
    Ok(SessionInfo {
        user: caller.id,
        subscription_id: state.config.subscription_id.clone(),
        resource_group: state.config.resource_group.clone(),
        arm_mode: if state.config.arm_endpoint.is_some() {
            "azure"
        } else {
            "simulator"
        }
        .into(),
    })
}

/// "Signed in as …" in the top bar. Rendered on the server only.
#[component]
pub fn SignedInUser(user: String) -> impl IntoView {
    view! {
        <div class="user">
            <span class="user-label">"Signed in as"</span>
            <span class="user-name" data-testid="signed-in-user">
                {user}
            </span>
        </div>
    }
}
