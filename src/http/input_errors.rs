//! Input that cannot be read is a 400 that names its field.
//!
//! Server functions decode their own arguments, and serde says what is wrong ("invalid type:
//! integer `-1`, expected a string", "invalid digit found in string") but not where. So a gate
//! in front of them decodes the same input into the same argument type first (the check the
//! API's route table gives the route, `api::input`), and answers
//! `400 {code, message, fields: {field: problem}}` when it fails. Input the gate accepts is
//! handed on untouched; the server function decodes it again (a few hundred bytes).

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::routes;
use crate::api_error::ApiError;
use crate::http::body_limit::MAX_BODY_BYTES;

/// Middleware: a server function's unreadable input is answered here, naming the field.
pub async fn name_the_field(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let Some(check) = routes::input_check(req.method(), path) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    // The body limit in front has read the body already: this is a copy of bytes in memory.
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::bad_request("The request body could not be read.").into_response();
    };
    if let Err(err) = check(&parts.uri, &bytes) {
        return err.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
