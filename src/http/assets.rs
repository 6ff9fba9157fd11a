//! Delivery of the browser bundle and the pages' caching rules.
//!
//! - `/pkg/…` (the wasm, its JS glue, the stylesheet) is served from the built site with the
//!   brotli or gzip file cargo-leptos precompressed next to it (`--precompress`), whichever the
//!   browser accepts. With content-hashed file names (`hash-files`) those answers are
//!   `Cache-Control: public, max-age=31536000, immutable`: a new build has new names. Without
//!   hashes (tests, `cargo leptos watch`) they are `no-cache` (revalidated by `Last-Modified`).
//! - HTML pages are `no-cache`: always the newest page, naming the newest bundle.

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use tower_http::services::ServeDir;

/// A year: hashed assets never change under their name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Whether this server's bundle has content-hashed names: cargo-leptos wrote `hash_file` next
/// to the binary, where Leptos reads it when it renders the page's links.
pub fn bundle_is_hashed(hash_file: &str) -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(hash_file)))
        .is_some_and(|path| path.is_file())
}

/// `/pkg/…` from `site_root/pkg_dir`, precompressed where possible, with its caching rule.
pub fn bundle<S: Clone + Send + Sync + 'static>(
    site_root: &str,
    pkg_dir: &str,
    hashed: bool,
) -> Router<S> {
    let dir = std::path::Path::new(site_root).join(pkg_dir);
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let rule = HeaderValue::from_static(if hashed { IMMUTABLE } else { REVALIDATE });
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let rule = rule.clone();
                async move {
                    let mut res = next.run(req).await;
                    // Only what was found may be kept: a 404 during a deploy must not stick.
                    let value =
                        if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
                            rule
                        } else {
                            HeaderValue::from_static("no-store")
                        };
                    res.headers_mut().insert(CACHE_CONTROL, value);
                    res
                }
            },
        ))
}

/// Middleware: an HTML answer without a caching rule gets `no-cache`.
pub async fn html_not_cached(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !res.headers().contains_key(CACHE_CONTROL) {
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    }
    res
}
