//! Security headers on every answer. The page gets a Content-Security-Policy whose script
//! source is a nonce made for that answer (Leptos puts it on its hydration scripts, see
//! `app::shell`); every other answer (JSON, files) gets a policy that allows nothing at all.
//!
//! - `script-src 'nonce-…' 'wasm-unsafe-eval'`: only the scripts this answer wrote, and the
//!   WebAssembly bundle they load; no other inline script, no `eval`.
//! - `style-src-attr 'unsafe-inline'`: style attributes only (the progress bar's width, set on
//!   the server); they cannot run code. Style sheets still come from this site only.
//! - `frame-ancestors 'none'`: the dashboard is never framed (clickjacking on Stop / Delete).
//! - `Referrer-Policy: same-origin`: Azure portal links get no referrer. Not `no-referrer`:
//!   with it, browsers send `Origin: null` on same-site POSTs, which the cross-site check refuses.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};

/// For answers that are not the page: nothing may load, nothing may frame it.
const NOTHING_ALLOWED: &str = "default-src 'none'; frame-ancestors 'none'";

/// The page's policy for one answer. `extra_connect` adds a source to `connect-src` (the
/// live-reload socket in watch mode); `sign_out_to` adds the identity provider to `form-action`:
/// the Sign out form's answer continues there (a redirect after a form is held to the form's
/// policy).
pub fn page_policy(nonce: &str, extra_connect: Option<&str>, sign_out_to: &[String]) -> String {
    let connect = match extra_connect {
        Some(source) => format!("'self' {source}"),
        None => "'self'".to_owned(),
    };
    let form_action = std::iter::once("'self'")
        .chain(sign_out_to.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
         connect-src {connect}; object-src 'none'; base-uri 'none'; form-action {form_action}; \
         frame-ancestors 'none'"
    )
}

/// Where the live-reload script of `cargo leptos watch` connects: the page's own host (any, as
/// the script uses `location.hostname`) on the reload port.
pub fn live_reload_source(reload_port: u32) -> String {
    format!("ws://*:{reload_port} wss://*:{reload_port}")
}

/// Middleware: adds the headers; keeps a policy the page already set. `/api` answers hold
/// Azure's error texts and who did what: no cache keeps them (`no-store`, unless the route set
/// its own policy).
pub async fn add_security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if api {
        headers
            .entry(http::header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // For browsers that predate `frame-ancestors`.
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(NOTHING_ALLOWED));
    res
}

/// Middleware for a dashboard served over https (`PUBLIC_URL`): browsers keep to https for a
/// year (`Strict-Transport-Security`).
pub async fn strict_transport(
    axum::extract::State(https): axum::extract::State<bool>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    if https {
        res.headers_mut().insert(
            http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_only_this_answers_scripts() {
        let policy = page_policy("abc123", None, &[]);
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("connect-src 'self';"));
        assert!(policy.contains("form-action 'self';"));
        let watching = page_policy("abc123", Some(&live_reload_source(3001)), &[]);
        assert!(watching.contains("connect-src 'self' ws://*:3001 wss://*:3001;"));
        let signing_out = page_policy(
            "abc123",
            None,
            &["https://login.microsoftonline.com".to_owned()],
        );
        assert!(signing_out.contains("form-action 'self' https://login.microsoftonline.com;"));
    }
}
