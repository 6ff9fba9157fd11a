//! Who is calling, what they may do ([`Role`]), and where ([`scopes`]). The server resolves the
//! caller once per request (see `http::auth`: dev sign-in, Easy Auth, or an OpenID Connect
//! session) and stores it in the request; server functions and handlers read it through
//! [`Caller`]. The page learns who is signed in, and where it works, as a [`SessionInfo`].

pub mod scopes;

#[cfg(feature = "ssr")]
pub mod easyauth;
#[cfg(feature = "ssr")]
pub mod oidc;

pub use crate::domain::role::Role;
pub use scopes::{AllowedScopes, Scope, ScopeChoice};

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;

/// What the page needs to know about this session: who, with what role, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The user's id: what owns their jobs (an Entra object id, a dev user's name).
    pub user_id: String,
    /// The name shown.
    pub user: String,
    pub role: Role,
    /// The scope the page shows.
    pub scope: Scope,
    /// Every scope the user may pick.
    pub scopes: Vec<ScopeChoice>,
    /// The scope the page's address asked for, when the user may not see it (the page shows
    /// `scope` instead, and says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_refused: Option<String>,
    /// `simulator` (the embedded ARM simulator) or `azure`.
    pub arm_mode: String,
    /// Whether signing out ends something (an OpenID Connect session).
    pub can_sign_out: bool,
    /// Where to sign in again when the session ended while the page was open.
    #[serde(default)]
    pub sign_in_again_url: String,
}

/// The signed-in user. `id` owns jobs; it is what every query is scoped by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub id: String,
    /// The name shown (the ID token's `name`, Easy Auth's name claim, a dev user's name).
    pub name: String,
    pub role: Role,
}

impl Caller {
    /// A caller whose name is their id (dev users, API clients without a name).
    pub fn named(id: impl Into<String>, role: Role) -> Self {
        let id = id.into();
        Self {
            name: id.clone(),
            id,
            role,
        }
    }

    /// 403 `forbidden` naming the role needed, unless this caller's role allows it.
    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.role.allows(needed) {
            Ok(())
        } else {
            Err(role_needed(needed, self.role))
        }
    }

    /// 403 `scope_not_allowed` naming `scope`, unless `allowed` lets this caller use it.
    pub fn require_scope(&self, allowed: &AllowedScopes, scope: &Scope) -> Result<(), ApiError> {
        if allowed.allows(scope, self.role) {
            Ok(())
        } else {
            Err(scope_not_allowed(scope))
        }
    }

    /// Whether this caller may act on a job of `owner_id`: their own, or anyone's as an admin.
    pub fn may_act_for(&self, owner_id: &str) -> bool {
        self.id == owner_id || self.role.allows(Role::Admin)
    }
}

/// 403 `forbidden` with the role `needed`, saying which one the caller has.
pub fn role_needed(needed: Role, have: Role) -> ApiError {
    let mut err = ApiError::forbidden(format!(
        "This needs the {} role; you are signed in as {} {}.",
        needed.label(),
        if have == Role::Admin { "an" } else { "a" },
        have.label()
    ));
    err.needed_role = Some(needed);
    err
}

/// 403 `scope_not_allowed`: the dashboard may not work in `scope`.
pub fn scope_not_allowed(scope: &Scope) -> ApiError {
    let mut err = ApiError::refused(
        crate::refusal::Refusal::ScopeNotAllowed,
        format!(
            "{} is not one of the subscriptions and resource groups this dashboard may use \
             (AZURE_SCOPES).",
            scope.path()
        ),
    );
    err.scope = Some(scope.path());
    err
}

/// A user name for dev sign-in: 1–64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub fn is_valid_dev_user(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// How the server knows who calls: the mode, the key that signs dev sessions, the role of a
/// user whose sign-in names none, (OpenID Connect) the provider and the sessions' lifetimes,
/// and (Easy Auth) whether the forwarded ID token is required.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct AuthState {
    pub mode: AuthMode,
    pub key: axum_extra::extract::cookie::Key,
    /// `None` (`DEFAULT_ROLE=none`): a user whose sign-in names no role is let in nowhere.
    pub default_role: Option<Role>,
    /// Dev sign-in on a network address the operator opened on purpose: no `Host` check.
    pub dev_on_network: bool,
    pub oidc: Option<oidc::OidcClient>,
    /// Easy Auth's second line: the ID token App Service forwards, checked against the
    /// tenant's keys (`None`: headers alone, as the operator chose).
    pub easyauth_token: Option<easyauth::TokenCheck>,
    /// A signed-in session ends after this long unused…
    pub session_idle: std::time::Duration,
    /// …and after this long at most, however active.
    pub session_max: std::time::Duration,
    /// The dashboard's address as browsers reach it (sign-out comes back to it).
    pub public_url: String,
    /// Whom a user without a role should ask (`ACCESS_CONTACT`).
    pub access_contact: Option<String>,
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

/// How callers are known (`AUTH_MODE`).
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Everyone is signed in as `dev`; `/auth/dev?user=NAME` switches user (loopback only).
    Dev,
    /// Behind Azure App Service authentication: the caller is `X-MS-CLIENT-PRINCIPAL-ID`.
    Easyauth,
    /// Sign-in with Microsoft Entra ID (OpenID Connect), sessions kept by the dashboard.
    Oidc,
}

#[cfg(feature = "ssr")]
impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Dev => "dev",
            AuthMode::Easyauth => "easyauth",
            AuthMode::Oidc => "oidc",
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
