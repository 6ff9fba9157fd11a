//! Every answer under `/api/` is JSON: an unknown route is a 404 `{code, message}`, a wrong
//! method a 405 with `Allow`, and any other error the framework answers in plain text or HTML
//! (axum's empty 405, the page's 404) gets the same JSON shape with its status kept.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};

use crate::api_error::ApiError;
use crate::refusal::Refusal;

pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Fallback route for `/api/{*rest}`: no such API route (the page is never rendered for it).
pub async fn api_route_not_found() -> Response {
    not_json_error(StatusCode::NOT_FOUND).into_response()
}

/// Middleware: turns a non-JSON error answer under `/api/` into the JSON error of its status,
/// keeping its headers (`Allow`, `Retry-After`).
pub async fn json_errors_under_api(req: Request, next: Next) -> Response {
    if !is_api_path(req.uri().path()) {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let json = not_json_error(status).into_response();
    parts.headers.remove(CONTENT_LENGTH);
    for (name, value) in json.headers() {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, json.into_body())
}

/// The JSON error for a status the framework answered without a body of ours.
fn not_json_error(status: StatusCode) -> ApiError {
    let (reason, message) = match status {
        StatusCode::NOT_FOUND => (
            Refusal::NotFound,
            "There is no API route at this path; the README lists them.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            Refusal::MethodNotAllowed,
            "This API route does not take this method; `Allow` says which it takes.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            Refusal::UnsupportedMediaType,
            "Send the request body as JSON (Content-Type: application/json).",
        ),
        s if s.is_client_error() => (Refusal::InvalidRequest, "The request is not valid."),
        _ => (
            Refusal::Internal,
            "Something went wrong on the server; it has been logged.",
        ),
    };
    // The status the framework chose (a 4xx it answered is kept as it is).
    let mut err = ApiError::refused(reason, message);
    err.status = status.as_u16();
    err
}
