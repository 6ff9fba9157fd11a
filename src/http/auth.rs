//! Identity and cross-site protection, as middleware in front of every route.
//!
//! - `AUTH_MODE=dev`: `X-Dev-User: NAME` (and `X-Dev-Roles`) for API clients, else the signed
//!   dev session cookie, else a page visit signs the visitor in as `dev` at once;
//!   `/auth/dev?user=NAME&roles=R&next=/` switches user. Loopback only: a request whose `Host`
//!   is not `localhost`, `127.0.0.1` or `[::1]` is answered 421, one that came through a proxy
//!   (`Forwarded`, `X-Forwarded-*`) 403 — so a page that rebinds its DNS name to this machine
//!   cannot act as anyone (unless the operator opened dev sign-in to the network on purpose).
//! - `AUTH_MODE=easyauth`: Azure App Service authentication (`identity::easyauth`).
//! - `AUTH_MODE=oidc`: the server-side session a sign-in with Entra ID made (`/auth/login`,
//!   `/auth/callback`, `/auth/logout`; `identity::oidc`). A session ends after
//!   `SESSION_IDLE_MINUTES` unused (each use moves the end, written at most once a minute) and
//!   after `SESSION_MAX_HOURS` however active, when the user signs in again and the role is read
//!   again; a sign-in that never comes back ends after 10 minutes.
//!
//! `/api/*` without a caller is answered 401 here, so no handler can forget the check; a page
//! without one in OIDC mode goes to the sign-in. A signed-in user without a role under
//! `DEFAULT_ROLE=none` gets 403 `no_role` from `/api/*` and a page saying whom to ask.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use http::{HeaderMap, Method, StatusCode, header};
use serde::Deserialize;
use tower_sessions::{Expiry, Session};

use crate::api::input::decode_query;
use crate::api_error::ApiError;
use crate::clock::wall_seconds;
use crate::config::AuthMode;
use crate::http::auth_pages::{self, sign_in_failed};
use crate::http::local_redirect::local_redirect_target;
use crate::identity::oidc::{PendingSignIn, SignedIn};
use crate::identity::{AuthState, Caller, Role, easyauth, is_valid_dev_user};

pub const SESSION_COOKIE: &str = "aksdash_user";
/// The cookie of OpenID Connect sessions (its value is the session's id)…
pub const OIDC_SESSION_COOKIE: &str = "aksdash_session";
/// …and its name on https: a `__Host-` cookie is `Secure`, for this host only, path `/`.
pub const OIDC_SESSION_COOKIE_HTTPS: &str = "__Host-aksdash_session";
pub const DEV_USER_HEADER: &str = "x-dev-user";
pub const DEV_ROLES_HEADER: &str = "x-dev-roles";
const DEFAULT_DEV_USER: &str = "dev";
/// A dev user given no role.
const DEV_DEFAULT_ROLE: Role = Role::Operator;

/// What an OpenID Connect session keeps.
const SIGNED_IN_KEY: &str = "signed_in";
const PENDING_KEY: &str = "pending_sign_in";
/// When the session was last seen in use (Unix seconds): its idle end moves when this does.
const SEEN_KEY: &str = "seen_at";
/// A session's idle end moves at most this often (each move is a write).
const SEEN_EVERY_SECONDS: i64 = 60;
/// A sign-in that never comes back from the identity provider ends after this long.
pub const PENDING_SIGN_IN_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Where the caller came from; decides whether the answer must set the session cookie.
enum Resolved {
    Known(Caller),
    /// A page visit in dev mode with no session yet: sign in as `dev` and remember it.
    NewDevSession(Caller),
    /// Signed in, with no role, where `DEFAULT_ROLE=none` lets such a user in nowhere.
    NoRole {
        name: String,
    },
    /// The request carries an identity that does not hold (Easy Auth's token), and why.
    Refused(String),
    Nobody,
}

/// The caller a sign-in names: their role from its claims, else the default one; `NoRole` under
/// `DEFAULT_ROLE=none`.
fn resolved_from(signed_in: SignedIn, default_role: Option<Role>) -> Resolved {
    match Role::from_claims(signed_in.roles.iter().map(String::as_str)).or(default_role) {
        Some(role) => Resolved::Known(Caller {
            id: signed_in.id,
            name: signed_in.name,
            role,
        }),
        None => Resolved::NoRole {
            name: signed_in.name,
        },
    }
}

/// A dev session's cookie value: `name` or `name:role`.
fn dev_cookie_value(caller: &Caller) -> String {
    format!("{}:{}", caller.id, caller.role.as_str())
}

fn dev_caller_from_cookie(value: &str) -> Option<Caller> {
    let (name, role) = match value.split_once(':') {
        Some((name, role)) => (name, Role::parse(role)?),
        None => (value, DEV_DEFAULT_ROLE),
    };
    is_valid_dev_user(name).then(|| Caller::named(name, role))
}

/// A dev caller's role from a comma list (`X-Dev-Roles`, `?roles=`): the highest named, an
/// operator when none is; `Err` names what is not a role.
fn dev_role(roles: Option<&str>) -> Result<Role, String> {
    let Some(list) = roles.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(DEV_DEFAULT_ROLE);
    };
    let names: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    if let Some(unknown) = names.iter().find(|r| Role::parse(r).is_none()) {
        return Err(format!(
            "{unknown:?} is not a role: reader, operator or admin."
        ));
    }
    Ok(Role::from_claims(names).unwrap_or(DEV_DEFAULT_ROLE))
}

fn resolve_dev(state: &AuthState, headers: &HeaderMap, path: &str) -> Resolved {
    if let Some(name) = headers.get(DEV_USER_HEADER).and_then(|v| v.to_str().ok()) {
        let roles = headers.get(DEV_ROLES_HEADER).and_then(|v| v.to_str().ok());
        return match (is_valid_dev_user(name), dev_role(roles)) {
            (true, Ok(role)) => Resolved::Known(Caller::named(name, role)),
            _ => Resolved::Nobody,
        };
    }
    let jar = SignedCookieJar::from_headers(headers, state.key.clone());
    if let Some(caller) = jar
        .get(SESSION_COOKIE)
        .and_then(|c| dev_caller_from_cookie(c.value()))
    {
        return Resolved::Known(caller);
    }
    if path.starts_with("/api/") {
        Resolved::Nobody
    } else {
        Resolved::NewDevSession(Caller::named(DEFAULT_DEV_USER, DEV_DEFAULT_ROLE))
    }
}

async fn resolve_oidc(state: &AuthState, session: Option<&Session>) -> Resolved {
    let Some(session) = session else {
        return Resolved::Nobody;
    };
    let Ok(Some(signed_in)) = session.get::<SignedIn>(SIGNED_IN_KEY).await else {
        return Resolved::Nobody;
    };
    let now = wall_seconds();
    if now.saturating_sub(signed_in.signed_in_at) >= state.session_max.as_secs() as i64 {
        // Past its absolute lifetime: sign in again (and the role is read again).
        tracing::info!(user = %signed_in.id, "session reached its maximum lifetime");
        if let Err(e) = session.flush().await {
            tracing::warn!(error = %e, "cannot end the session");
        }
        return Resolved::Nobody;
    }
    // In use: the idle end moves (the session is written, and its cookie sent again).
    let seen: Option<i64> = session.get(SEEN_KEY).await.ok().flatten();
    if seen.is_none_or(|at| now.saturating_sub(at) >= SEEN_EVERY_SECONDS)
        && let Err(e) = session.insert(SEEN_KEY, now).await
    {
        tracing::debug!(error = %e, "cannot note the session's use");
    }
    resolved_from(signed_in, state.default_role)
}

fn session_cookie(value: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time_days(30))
        .build()
}

fn time_days(days: i64) -> cookie::time::Duration {
    cookie::time::Duration::days(days)
}

/// Dev sign-in trusts whoever asks; it answers only requests made to this machine by name, with
/// no proxy in between. `None`: the request may go on.
fn dev_request_refusal(headers: &HeaderMap) -> Option<Response> {
    let proxied = headers.contains_key("forwarded")
        || headers
            .keys()
            .any(|k| k.as_str().starts_with("x-forwarded-"));
    if proxied {
        return Some(
            ApiError::forbidden(
                "Dev sign-in answers only requests made on this machine, not through a proxy \
                 (Forwarded / X-Forwarded-* headers).",
            )
            .into_response(),
        );
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if is_loopback_host(host) {
        None
    } else {
        let err = ApiError::refused(
            crate::refusal::Refusal::MisdirectedRequest,
            "Dev sign-in answers only requests for localhost, 127.0.0.1 or [::1].",
        );
        Some(err.into_response())
    }
}

/// `localhost`, `127.0.0.1` or `[::1]`, with any port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']')
            .map(|(inside, _)| format!("[{inside}]"))
    } else {
        Some(host.split(':').next().unwrap_or_default().to_owned())
    };
    matches!(
        name.as_deref().map(str::to_ascii_lowercase).as_deref(),
        Some("localhost" | "127.0.0.1" | "[::1]")
    )
}

/// Middleware: puts the [`Caller`] into the request, or answers 401 for `/api/*` (and in OIDC
/// mode sends a page visit to the sign-in).
pub async fn resolve_caller(
    State(state): State<AuthState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let resolved = match state.mode {
        AuthMode::Dev => {
            if !state.dev_on_network
                && let Some(refused) = dev_request_refusal(req.headers())
            {
                return refused;
            }
            resolve_dev(&state, req.headers(), &path)
        }
        AuthMode::Easyauth => {
            match easyauth::principal(req.headers(), state.easyauth_token.as_ref()).await {
                Ok(Some(principal)) => resolved_from(principal, state.default_role),
                Ok(None) => Resolved::Nobody,
                Err(why) => {
                    tracing::warn!(path = %path, %why, "Easy Auth identity refused");
                    Resolved::Refused(why)
                }
            }
        }
        AuthMode::Oidc => resolve_oidc(&state, req.extensions().get::<Session>()).await,
    };
    match resolved {
        Resolved::Known(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Resolved::NewDevSession(caller) => {
            let jar = SignedCookieJar::new(state.key.clone())
                .add(session_cookie(dev_cookie_value(&caller)));
            req.extensions_mut().insert(caller);
            let res = next.run(req).await;
            // A handler that set the session itself (dev sign-in) decides who is signed in.
            if sets_session_cookie(&res) {
                res
            } else {
                (jar, res).into_response()
            }
        }
        Resolved::NoRole { .. } if path.starts_with("/api/") => no_role().into_response(),
        Resolved::NoRole { name } if !path.starts_with("/auth/") && !is_public_path(&path) => {
            auth_pages::no_role(&name, state.access_contact.as_deref(), state.oidc.is_some())
        }
        Resolved::Refused(why) if path.starts_with("/api/") => {
            let mut err = ApiError::unauthenticated();
            err.message = format!("Not signed in: {why}.");
            err.into_response()
        }
        Resolved::Refused(why) if !is_public_path(&path) => {
            sign_in_failed(StatusCode::UNAUTHORIZED, &format!("Not signed in: {why}."))
        }
        Resolved::Nobody if path.starts_with("/api/") => {
            ApiError::unauthenticated().into_response()
        }
        Resolved::Nobody
            if state.mode == AuthMode::Oidc
                && req.method() == Method::GET
                && !path.starts_with("/auth/")
                && !is_public_path(&path) =>
        {
            let here = req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".into());
            let next = local_redirect_target(&here).unwrap_or("/");
            let mut target = String::from("/auth/login?next=");
            target.extend(form_urlencoded::byte_serialize(next.as_bytes()));
            Redirect::to(&target).into_response()
        }
        Resolved::Nobody | Resolved::NoRole { .. } | Resolved::Refused(_) => next.run(req).await,
    }
}

/// 403 `no_role`: signed in, but given no role in this dashboard (`DEFAULT_ROLE=none`).
fn no_role() -> ApiError {
    ApiError::refused(
        crate::refusal::Refusal::NoRole,
        "You are signed in, but have no role in this dashboard: ask for the Reader, Operator or \
         Admin app role.",
    )
}

/// What is served to everyone: the bundle, the icon, health.
fn is_public_path(path: &str) -> bool {
    path.starts_with("/pkg/")
        || matches!(
            path,
            "/favicon.svg" | "/favicon.ico" | "/healthz" | "/readyz" | "/metrics"
        )
}

fn sets_session_cookie(res: &Response) -> bool {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(SESSION_COOKIE.as_bytes()))
}

/// Middleware: a state-changing request from another site is refused (403). Browsers send
/// `Sec-Fetch-Site`; older ones at least `Origin`. Requests with neither (curl, server-to-server)
/// carry no ambient browser credentials worth protecting and pass.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if is_cross_site_mutation(req.method(), req.headers()) {
        tracing::warn!(path = %req.uri().path(), "refused a cross-site request");
        return ApiError::forbidden("Cross-site requests cannot change anything here.")
            .into_response();
    }
    next.run(req).await
}

pub fn is_cross_site_mutation(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or("");
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
            origin == "null" || origin_host != host.to_str().unwrap_or("")
        }
        (Some(_), None) => true,
        _ => false,
    }
}

/// Whether the browser says this navigation came from another site (a link or a form there).
fn came_from_another_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site")
}

#[derive(Debug, Deserialize)]
pub struct DevSignIn {
    pub user: String,
    #[serde(default)]
    pub roles: Option<String>,
    #[serde(default)]
    pub next: Option<String>,
}

/// `GET /auth/dev?user=NAME&roles=R&next=/`: switch the dev session to NAME (dev mode only; a
/// link on another site cannot do it).
pub async fn dev_sign_in(
    State(state): State<AuthState>,
    headers: HeaderMap,
    uri: http::Uri,
) -> Result<Response, ApiError> {
    if state.mode != AuthMode::Dev {
        return Err(ApiError::not_found(
            "Dev sign-in exists only with AUTH_MODE=dev.",
        ));
    }
    if came_from_another_site(&headers) {
        return Err(ApiError::forbidden(
            "Dev sign-in cannot be switched from another site's link; open the address yourself.",
        ));
    }
    let q: DevSignIn = decode_query(&uri)?;
    let mut fields = std::collections::BTreeMap::new();
    if !is_valid_dev_user(&q.user) {
        fields.insert(
            "user".to_owned(),
            "1–64 characters: letters, digits, '.', '_', '-', '@'.".to_owned(),
        );
    }
    let role = dev_role(q.roles.as_deref()).map_err(|why| {
        fields.insert("roles".to_owned(), why);
    });
    let (Ok(role), true) = (role, fields.is_empty()) else {
        return Err(ApiError::invalid_fields(fields));
    };
    let next = q
        .next
        .as_deref()
        .and_then(local_redirect_target)
        .unwrap_or("/");
    let caller = Caller::named(&q.user, role);
    tracing::info!(user = %caller.id, role = %caller.role, "dev sign-in");
    let jar =
        SignedCookieJar::new(state.key.clone()).add(session_cookie(dev_cookie_value(&caller)));
    Ok((jar, Redirect::to(next)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    pub next: Option<String>,
}

/// `GET /auth/login?next=/`: sends the browser to the identity provider (OIDC mode only).
pub async fn login(State(state): State<AuthState>, session: Session, uri: http::Uri) -> Response {
    let Some(oidc) = state.oidc.as_ref().filter(|_| state.mode == AuthMode::Oidc) else {
        return ApiError::not_found("Sign-in with an identity provider needs AUTH_MODE=oidc.")
            .into_response();
    };
    let next = decode_query::<LoginQuery>(&uri)
        .ok()
        .and_then(|q| q.next)
        .and_then(|n| local_redirect_target(&n).map(str::to_owned))
        .unwrap_or_else(|| "/".into());
    match oidc.begin(&next).await {
        Ok((url, pending)) => {
            // A sign-in that never comes back ends soon (a signed-in session keeps its own end).
            let signed_in = matches!(session.get::<SignedIn>(SIGNED_IN_KEY).await, Ok(Some(_)));
            if !signed_in {
                let lifetime = PENDING_SIGN_IN_LIFETIME.min(state.session_idle);
                let ends = time::OffsetDateTime::now_utc() + lifetime;
                session.set_expiry(Some(Expiry::AtDateTime(ends)));
            }
            if let Err(e) = session.insert(PENDING_KEY, &pending).await {
                tracing::error!(error = %e, "cannot keep the sign-in in the session");
                return sign_in_failed(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The session store is not answering; try again in a moment.",
                );
            }
            Redirect::to(&url).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot start a sign-in");
            sign_in_failed(
                StatusCode::BAD_GATEWAY,
                &format!("The sign-in could not start: {e}."),
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    /// Read so that the link is taken as it comes, never shown: anyone can write it.
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_uri: Option<String>,
    /// Entra ID adds these to its answers.
    #[serde(default)]
    pub session_state: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
}

/// Our words for the OAuth 2.0 / OpenID Connect error codes a provider sends back (RFC 6749
/// §4.1.2.1, OpenID Connect Core §3.1.2.6); anything else is one general sentence.
fn provider_error_words(code: &str) -> &'static str {
    match code {
        "access_denied" => {
            "The sign-in was cancelled, or your account may not use this dashboard. Try again, \
             or ask for access."
        }
        "consent_required"
        | "interaction_required"
        | "login_required"
        | "account_selection_required" => {
            "The identity provider needs you to sign in (or consent) on its page. Try again."
        }
        "invalid_request"
        | "invalid_scope"
        | "unsupported_response_type"
        | "unauthorized_client"
        | "invalid_client"
        | "request_not_supported"
        | "request_uri_not_supported"
        | "registration_not_supported" => {
            "The identity provider refused this dashboard's sign-in request: its app \
             registration needs a look. Tell the dashboard's operators."
        }
        "server_error" | "temporarily_unavailable" => {
            "The identity provider could not sign you in just now. Try again in a moment."
        }
        _ => {
            "The identity provider refused the sign-in. Try again, or tell the dashboard's \
              operators."
        }
    }
}

/// `GET /auth/callback?code=…&state=…`: the identity provider sends the browser back; the code
/// is redeemed, the ID token checked, and the session becomes a signed-in one (with a new id).
pub async fn callback(
    State(state): State<AuthState>,
    session: Session,
    uri: http::Uri,
) -> Response {
    let Some(oidc) = state.oidc.as_ref().filter(|_| state.mode == AuthMode::Oidc) else {
        return ApiError::not_found("Sign-in with an identity provider needs AUTH_MODE=oidc.")
            .into_response();
    };
    let q: CallbackQuery = match decode_query(&uri) {
        Ok(q) => q,
        Err(e) => return sign_in_failed(StatusCode::BAD_REQUEST, &e.message),
    };
    let pending: Option<PendingSignIn> = session.remove(PENDING_KEY).await.ok().flatten();
    if let Some(error) = q.error {
        tracing::info!(error = %error.chars().take(64).collect::<String>(), "the identity provider refused a sign-in");
        return sign_in_failed(StatusCode::UNAUTHORIZED, provider_error_words(&error));
    }
    let (Some(pending), Some(code), Some(returned_state)) = (pending, q.code, q.state) else {
        return sign_in_failed(
            StatusCode::BAD_REQUEST,
            "This sign-in answer does not belong to a sign-in started in this browser.",
        );
    };
    match oidc.finish(&pending, &code, &returned_state).await {
        Ok(signed_in) => {
            // A new id for the signed-in session: one fixed before sign-in is worth nothing.
            if let Err(e) = session.cycle_id().await {
                tracing::error!(error = %e, "cannot renew the session id");
                return sign_in_failed(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The session store is not answering; try again in a moment.",
                );
            }
            if let Err(e) = session.insert(SIGNED_IN_KEY, &signed_in).await {
                tracing::error!(error = %e, "cannot keep the signed-in session");
                return sign_in_failed(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The session store is not answering; try again in a moment.",
                );
            }
            tracing::info!(user = %signed_in.id, name = %signed_in.name, "signed in");
            Redirect::to(&pending.next).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in refused");
            sign_in_failed(
                StatusCode::UNAUTHORIZED,
                &format!("The sign-in was refused: {e}."),
            )
        }
    }
}

/// `GET /auth/logout`: a small page with the Sign out button (signing out is a POST, so that
/// no other site's link or image can sign anyone out).
pub async fn logout_page() -> Response {
    auth_pages::sign_out_page()
}

/// `POST /auth/logout`: ends the session (OIDC, and the provider's own session when it names an
/// `end_session_endpoint`, coming back to `PUBLIC_URL/`) or the dev session.
pub async fn logout(State(state): State<AuthState>, session: Session) -> Response {
    match state.mode {
        AuthMode::Oidc => {
            let id_token = session
                .get::<SignedIn>(SIGNED_IN_KEY)
                .await
                .ok()
                .flatten()
                .and_then(|s| s.id_token);
            if let Err(e) = session.flush().await {
                tracing::warn!(error = %e, "cannot end the session");
            }
            let after = format!("{}/", state.public_url.trim_end_matches('/'));
            let at_provider = match &state.oidc {
                Some(oidc) => oidc.sign_out_url(id_token.as_deref(), &after).await,
                None => None,
            };
            match at_provider {
                Some(url) => Redirect::to(&url).into_response(),
                None => auth_pages::signed_out(),
            }
        }
        AuthMode::Dev => {
            let jar = SignedCookieJar::new(state.key.clone())
                .remove(Cookie::build(SESSION_COOKIE).path("/").build());
            (jar, Redirect::to("/")).into_response()
        }
        AuthMode::Easyauth => Redirect::to("/.auth/logout").into_response(),
    }
}

/// `GET /auth/signed-in`: where a sign-in started from an open page (its session had ended)
/// lands: that page carries on; this tab can be closed.
pub async fn signed_in_page() -> Response {
    auth_pages::signed_in_again()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_mode_answers_only_loopback_hosts() {
        for host in [
            "localhost",
            "localhost:3000",
            "127.0.0.1:8080",
            "[::1]:3000",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:3000",
            "127.0.0.1.evil.example",
            "",
            "[::2]:80",
            "localhost.evil",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn a_dev_request_through_a_proxy_or_for_another_host_is_refused() {
        assert!(dev_request_refusal(&headers(&[("host", "127.0.0.1:3000")])).is_none());
        let proxied = dev_request_refusal(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-for", "203.0.113.9"),
        ]))
        .expect("refused");
        assert_eq!(proxied.status(), StatusCode::FORBIDDEN);
        let rebound =
            dev_request_refusal(&headers(&[("host", "attacker.example")])).expect("refused");
        assert_eq!(rebound.status(), StatusCode::MISDIRECTED_REQUEST);
    }

    #[test]
    fn a_dev_session_keeps_its_role() {
        let ana = Caller::named("ana", Role::Admin);
        assert_eq!(dev_caller_from_cookie(&dev_cookie_value(&ana)), Some(ana));
        // A cookie from before roles were kept: an operator.
        assert_eq!(
            dev_caller_from_cookie("bob").map(|c| c.role),
            Some(Role::Operator)
        );
        assert_eq!(dev_caller_from_cookie("bob:owner"), None);
        assert_eq!(dev_role(None), Ok(Role::Operator));
        assert_eq!(dev_role(Some("reader")), Ok(Role::Reader));
        assert_eq!(dev_role(Some("reader,admin")), Ok(Role::Admin));
        assert!(dev_role(Some("superuser")).is_err());
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_posts_are_refused_and_same_origin_ones_pass() {
        assert!(is_cross_site_mutation(
            &Method::POST,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
        assert!(is_cross_site_mutation(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-site")])
        ));
        assert!(!is_cross_site_mutation(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-origin")])
        ));
        assert!(!is_cross_site_mutation(
            &Method::GET,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
        assert!(is_cross_site_mutation(
            &Method::POST,
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:3000")
            ])
        ));
        assert!(!is_cross_site_mutation(
            &Method::POST,
            &headers(&[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ])
        ));
        assert!(!is_cross_site_mutation(&Method::POST, &headers(&[])));
    }
}
