//! The one error shape every API answer uses: `{code, message, fields?}` with a matching HTTP
//! status. Server functions return it too, so the browser gets the same fields as `curl` does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::refusal::Refusal;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Stable, machine-readable code, e.g. `unauthenticated`, `invalid_request`, `not_found`.
    pub code: String,
    /// One sentence a person can act on.
    pub message: String,
    /// Per-field messages for bad input: field name → what rule it broke.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// Present (true) on answers the caller may simply retry, e.g. storage unavailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// With `forbidden`: the least role that may do what was asked (`operator`, `admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needed_role: Option<crate::domain::role::Role>,
    /// With `scope_not_allowed`: the scope asked for, `subscription/resource-group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The HTTP status this error is answered with; not part of the JSON body.
    #[serde(skip, default = "default_status")]
    pub status: u16,
}

fn default_status() -> u16 {
    500
}

impl ApiError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            fields: BTreeMap::new(),
            retryable: None,
            retry_after_seconds: None,
            needed_role: None,
            scope: None,
            status,
        }
    }

    /// The answer refusing a request for `reason`, in `message`'s words.
    pub fn refused(reason: Refusal, message: impl Into<String>) -> Self {
        let mut err = Self::new(reason.status(), reason.code(), message);
        if reason.retryable() {
            err.retryable = Some(true);
        }
        err
    }

    /// Whether this is a refusal for `reason`.
    pub fn is(&self, reason: Refusal) -> bool {
        reason.is(&self.code)
    }

    pub fn unauthenticated() -> Self {
        Self::refused(
            Refusal::Unauthenticated,
            "Sign in first: open the dashboard in a browser, or send the identity header for this \
             server's AUTH_MODE.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::refused(Refusal::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::refused(Refusal::NotFound, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::refused(Refusal::InvalidRequest, message)
    }

    /// 400 with one message per offending field.
    pub fn invalid_fields(fields: BTreeMap<String, String>) -> Self {
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let mut err = Self::bad_request(format!("Check these fields: {}.", names.join(", ")));
        err.fields = fields;
        err
    }

    /// A refusal that tells the caller when to try again.
    pub fn try_again(reason: Refusal, message: impl Into<String>, retry_after: u64) -> Self {
        let mut err = Self::refused(reason, message);
        err.retryable = Some(true);
        err.retry_after_seconds = Some(retry_after.max(1));
        err
    }

    /// Names the field `reason` is about (if it is one field's) with what to do about it.
    pub fn name_field(&mut self, reason: Refusal, text: impl Into<String>) {
        if let Some(field) = reason.field() {
            self.fields.insert(field.to_owned(), text.into());
        }
    }

    /// An unexpected failure: the details go to the log, never to the client.
    pub fn internal() -> Self {
        Self::refused(
            Refusal::Internal,
            "Something went wrong on the server; it has been logged.",
        )
    }
}

impl From<Refusal> for ApiError {
    fn from(reason: Refusal) -> Self {
        ApiError::refused(reason, reason.sentence())
    }
}

/// A sentence and what the error said, if it said anything.
fn with_detail(lead: &str, detail: &str) -> String {
    match detail.trim() {
        "" => format!("{lead}."),
        detail => format!("{lead}: {detail}"),
    }
}

impl server_fn::error::FromServerFnError for ApiError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        let err = match &value {
            E::Args(msg) | E::Deserialization(msg) => {
                ApiError::bad_request(with_detail("The request body is not valid", msg))
            }
            E::Request(msg) => ApiError::refused(
                Refusal::Network,
                with_detail("The server could not be reached", msg),
            ),
            E::Response(msg) => ApiError::refused(
                Refusal::Network,
                with_detail("The server's answer could not be read", msg),
            ),
            E::MissingArg(msg) => {
                ApiError::bad_request(with_detail("A required field is missing", msg))
            }
            _ => ApiError::internal(),
        };
        #[cfg(feature = "ssr")]
        err.set_response_status();
        err
    }
}

#[cfg(feature = "ssr")]
impl ApiError {
    /// Inside a server function: make the HTTP answer carry this error's status.
    pub fn set_response_status(&self) {
        // While a page is rendered, server functions run in-process: their errors are shown on
        // the page and must not become the page's own HTTP status.
        let is_api_call = leptos::prelude::use_context::<http::request::Parts>()
            .is_some_and(|parts| parts.uri.path().starts_with("/api/"));
        if !is_api_call {
            return;
        }
        if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(self.status) {
                opts.set_status(status);
            }
            opts.insert_header(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            if let Some(secs) = self.retry_after_seconds {
                opts.insert_header(http::header::RETRY_AFTER, secs.into());
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        let status = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        if let Some(secs) = self.retry_after_seconds {
            res.headers_mut()
                .insert(http::header::RETRY_AFTER, secs.into());
        }
        res
    }
}
