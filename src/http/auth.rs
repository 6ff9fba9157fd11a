//! Identity and cross-site protection, as middleware in front of every route.
//!
//! - `AUTH_MODE=dev`: `X-Dev-User: NAME` (API clients), else the signed session cookie, else a
//!   page visit signs the visitor in as `dev` at once. `/auth/dev?user=NAME&next=/` switches user.
//! - `AUTH_MODE=easyauth`: Azure App Service authentication sets `X-MS-CLIENT-PRINCIPAL-ID`; it is
//!   trusted only in this mode.
//!
//! `/api/*` without a caller is answered 401 here, so no handler can forget the check.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use http::{HeaderMap, Method, header};
use serde::Deserialize;

use crate::api_error::ApiError;
use crate::config::AuthMode;
use crate::http::input_errors::decode_query;
use crate::http::local_redirect::local_redirect_target;
use crate::identity::{AuthState, Caller, is_valid_dev_user};

pub const SESSION_COOKIE: &str = "aksdash_user";
pub const DEV_USER_HEADER: &str = "x-dev-user";
pub const EASYAUTH_HEADER: &str = "x-ms-client-principal-id";
const DEFAULT_DEV_USER: &str = "dev";

/// Where the caller came from; decides whether the answer must set the session cookie.
enum Resolved {
    Known(Caller),
    /// A page visit in dev mode with no session yet: sign in as `dev` and remember it.
    NewDevSession(Caller),
    Nobody,
}

fn resolve(state: &AuthState, headers: &HeaderMap, path: &str) -> Resolved {
    match state.mode {
        AuthMode::Easyauth => headers
            .get(EASYAUTH_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|id| !id.is_empty() && id.len() <= 128)
            .map(|id| Resolved::Known(Caller { id: id.to_owned() }))
            .unwrap_or(Resolved::Nobody),
        AuthMode::Dev => {
            if let Some(name) = headers.get(DEV_USER_HEADER).and_then(|v| v.to_str().ok()) {
                return if is_valid_dev_user(name) {
                    Resolved::Known(Caller {
                        id: name.to_owned(),
                    })
                } else {
                    Resolved::Nobody
                };
            }
            let jar = SignedCookieJar::from_headers(headers, state.key.clone());
            if let Some(name) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned())
                && is_valid_dev_user(&name)
            {
                return Resolved::Known(Caller { id: name });
            }
            if path.starts_with("/api/") {
                Resolved::Nobody
            } else {
                Resolved::NewDevSession(Caller {
                    id: DEFAULT_DEV_USER.to_owned(),
                })
            }
        }
    }
}

fn session_cookie(user: &str) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, user.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time_days(30))
        .build()
}

fn time_days(days: i64) -> cookie::time::Duration {
    cookie::time::Duration::days(days)
}

/// Middleware: puts the [`Caller`] into the request, or answers 401 for `/api/*`.
pub async fn resolve_caller(
    State(state): State<AuthState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    match resolve(&state, req.headers(), &path) {
        Resolved::Known(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Resolved::NewDevSession(caller) => {
            let jar = SignedCookieJar::new(state.key.clone()).add(session_cookie(&caller.id));
            req.extensions_mut().insert(caller);
            let res = next.run(req).await;
            // A handler that set the session itself (dev sign-in) decides who is signed in.
            if sets_session_cookie(&res) {
                res
            } else {
                (jar, res).into_response()
            }
        }
        Resolved::Nobody if path.starts_with("/api/") => {
            ApiError::unauthenticated().into_response()
        }
        Resolved::Nobody => next.run(req).await,
    }
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

#[derive(Debug, Deserialize)]
pub struct DevSignIn {
    pub user: String,
    #[serde(default)]
    pub next: Option<String>,
}

/// `GET /auth/dev?user=NAME&next=/`: switch the dev session to NAME (dev mode only).
pub async fn dev_sign_in(
    State(state): State<AuthState>,
    uri: http::Uri,
) -> Result<Response, ApiError> {
    if state.mode != AuthMode::Dev {
        return Err(ApiError::not_found(
            "Dev sign-in exists only with AUTH_MODE=dev.",
        ));
    }
    let q: DevSignIn = decode_query(&uri)?;
    if !is_valid_dev_user(&q.user) {
        let mut fields = std::collections::BTreeMap::new();
        fields.insert(
            "user".to_owned(),
            "1–64 characters: letters, digits, '.', '_', '-', '@'.".to_owned(),
        );
        return Err(ApiError::invalid_fields(fields));
    }
    let next = q
        .next
        .as_deref()
        .and_then(local_redirect_target)
        .unwrap_or("/");
    tracing::info!(user = %q.user, "dev sign-in");
    let jar = SignedCookieJar::new(state.key.clone()).add(session_cookie(&q.user));
    Ok((jar, Redirect::to(next)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

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
