//! The request body limit: at most [`MAX_BODY_BYTES`], whatever the framing. A body announced
//! larger by `Content-Length` is refused before it is read; a chunked one as soon as the bytes
//! read pass the limit. Either way the answer is 413 with the JSON error, not the 400 a handler
//! would give for a body cut short.

use std::future::poll_fn;
use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_LENGTH;

use crate::api_error::ApiError;

/// Request bodies larger than this are refused with 413. The API's bodies are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Middleware: reads the whole body (it is small) and hands it on, or answers 413.
pub async fn limit_request_body(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match read_at_most(body, MAX_BODY_BYTES).await {
        Ok(Some(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(None) => too_large(),
        Err(e) => {
            tracing::debug!(error = %e, "request body could not be read");
            ApiError::bad_request("The request body could not be read.").into_response()
        }
    }
}

fn too_large() -> Response {
    ApiError::refused(
        crate::refusal::Refusal::PayloadTooLarge,
        format!(
            "The request body is larger than {} KB.",
            MAX_BODY_BYTES / 1024
        ),
    )
    .into_response()
}

/// The body's bytes, or `None` as soon as there are more than `limit`.
async fn read_at_most(mut body: Body, limit: usize) -> Result<Option<Bytes>, axum::Error> {
    let mut collected = Vec::new();
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        // Trailers carry nothing the API reads.
        if let Ok(data) = frame?.into_data() {
            if collected.len() + data.len() > limit {
                return Ok(None);
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(Some(Bytes::from(collected)))
}
