//! `GET /api/session`: who is signed in and where the dashboard works for them.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::identity::SessionInfo;

/// The signed-in user, their role, and where the dashboard works for them: the scope asked for
/// (`subscription/resource-group`, from the page's address) when they may use it, else their
/// default one, and every scope they may pick.
#[server(prefix = "/api", endpoint = "session", input = server_fn::codec::GetUrl)]
pub async fn get_session(scope: Option<String>) -> Result<SessionInfo, ApiError> {
    let caller = crate::identity::require_caller().await?;
    let state = expect_context::<crate::state::AppState>();
    let shown = state
        .scopes
        .shown(scope.as_deref(), caller.role)
        .ok_or_else(|| {
            let err = ApiError::forbidden(
                "No subscription and resource group of this dashboard is open to your role.",
            );
            err.set_response_status();
            err
        })?;
    let scope_refused = scope
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && crate::identity::Scope::parse(s).as_ref() != Some(&shown));
    Ok(SessionInfo {
        scope_refused,
        user_id: caller.id,
        user: caller.name,
        role: caller.role,
        scopes: state.scopes.choices_for(caller.role),
        scope: shown,
        arm_mode: if state.config.arm_endpoint.is_some() {
            "azure"
        } else {
            "simulator"
        }
        .into(),
        can_sign_out: state.auth.mode == crate::config::AuthMode::Oidc,
        sign_in_again_url: sign_in_again_url(state.auth.mode),
    })
}

/// Where an open page whose session ended sends the user (in a new tab) to sign in again; they
/// land on a page that says to go back.
#[cfg(feature = "ssr")]
fn sign_in_again_url(mode: crate::config::AuthMode) -> String {
    use crate::config::AuthMode;
    match mode {
        AuthMode::Oidc => "/auth/login?next=%2Fauth%2Fsigned-in",
        AuthMode::Easyauth => "/.auth/login/aad?post_login_redirect_uri=%2Fauth%2Fsigned-in",
        // A page visit signs in as `dev` again.
        AuthMode::Dev => "/auth/signed-in",
    }
    .to_owned()
}
