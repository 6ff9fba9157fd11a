//! Who is calling. The server resolves the caller once per request (see `http::auth`) and
//! stores it in the request; server functions and handlers read it through [`Caller`]. The page
//! learns who is signed in, and where it works, as a [`SessionInfo`].

use serde::{Deserialize, Serialize};

/// What the page needs to know about this session: who, and which resource group it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: String,
    pub subscription_id: String,
    pub resource_group: String,
    /// `simulator` (the embedded ARM simulator) or `azure`.
    pub arm_mode: String,
}

/// The signed-in user. `id` owns jobs; it is what every query is scoped by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub id: String,
}

/// A user name for dev sign-in: 1–64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub fn is_valid_dev_user(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// How the server knows who calls: the mode, and the key that signs its session cookie.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct AuthState {
    pub mode: crate::config::AuthMode,
    pub key: axum_extra::extract::cookie::Key,
}

#[cfg(feature = "ssr")]
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = crate::api_error::ApiError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(crate::api_error::ApiError::unauthenticated)
    }
}

/// Inside a server function: the caller, or 401.
#[cfg(feature = "ssr")]
pub async fn require_caller() -> Result<Caller, crate::api_error::ApiError> {
    let parts: http::request::Parts = leptos_axum::extract()
        .await
        .map_err(|_| crate::api_error::ApiError::internal())?;
    match parts.extensions.get::<Caller>() {
        Some(caller) => Ok(caller.clone()),
        None => {
            let err = crate::api_error::ApiError::unauthenticated();
            err.set_response_status();
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_user_names_follow_the_rule() {
        assert!(is_valid_dev_user("alice"));
        assert!(is_valid_dev_user("a.b_c-d@example.com"));
        assert!(!is_valid_dev_user(""));
        assert!(!is_valid_dev_user("has space"));
        assert!(!is_valid_dev_user("<script>"));
        assert!(!is_valid_dev_user(&"x".repeat(65)));
    }
}
