//! The one error shape every API answer uses: `{code, message, fields?}` with a matching HTTP
//! status. Server functions return it too, so the browser gets the same fields as `curl` does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    pub needed_role: Option<crate::identity::roles::Role>,
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

    pub fn unauthenticated() -> Self {
        Self::new(
            401,
            "unauthenticated",
            "Sign in first: open the dashboard in a browser, or send the identity header for this \
             server's AUTH_MODE.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", message)
    }

    /// 400 with one message per offending field.
    pub fn invalid_fields(fields: BTreeMap<String, String>) -> Self {
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let mut err = Self::bad_request(format!("Check these fields: {}.", names.join(", ")));
        err.fields = fields;
        err
    }

    /// 503 that tells the caller when to try again.
    pub fn unavailable(
        code: impl Into<String>,
        message: impl Into<String>,
        retry_after: u64,
    ) -> Self {
        let mut err = Self::new(503, code, message);
        err.retryable = Some(true);
        err.retry_after_seconds = Some(retry_after);
        err
    }

    /// An unexpected failure: the details go to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(
            500,
            "internal",
            "Something went wrong on the server; it has been logged.",
        )
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
            E::Request(msg) => ApiError::new(
                0,
                "network",
                with_detail("The server could not be reached", msg),
            ),
            E::Response(msg) => ApiError::new(
                0,
                "network",
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

/// Storage failures reach the client as a retryable 503; the details go to the log.
#[cfg(feature = "ssr")]
impl From<crate::storage::StorageError> for ApiError {
    fn from(err: crate::storage::StorageError) -> Self {
        tracing::error!(error = %err, "storage unavailable");
        ApiError::unavailable(
            "storage_unavailable",
            "The job store is not answering, so nothing was changed. Try again in a few seconds.",
            5,
        )
    }
}

#[cfg(feature = "ssr")]
impl From<crate::storage::JobAccessError> for ApiError {
    fn from(err: crate::storage::JobAccessError) -> Self {
        use crate::storage::JobAccessError;
        match err {
            JobAccessError::NotFound => ApiError::not_found("No such provision."),
            JobAccessError::Forbidden => {
                ApiError::forbidden("This provision belongs to another user.")
            }
            JobAccessError::Storage(e) => e.into(),
        }
    }
}

/// How long a user over the in-flight cap is asked to wait before trying again.
#[cfg(feature = "ssr")]
const TOO_MANY_RETRY_AFTER_SECONDS: u64 = 30;

#[cfg(feature = "ssr")]
impl From<crate::storage::CreateJobError> for ApiError {
    fn from(err: crate::storage::CreateJobError) -> Self {
        use crate::storage::CreateJobError;
        match err {
            CreateJobError::ClusterBusy => {
                let mut api = ApiError::new(
                    409,
                    "cluster_busy",
                    "A provision of this cluster is already in flight (yours or a colleague's); \
                     watch it on the dashboard, or stop it first.",
                );
                api.fields.insert(
                    "cluster_name".into(),
                    "A create of this cluster is already in progress.".into(),
                );
                api
            }
            CreateJobError::TooManyInFlight { max_in_flight } => {
                let mut api = ApiError::new(
                    429,
                    "too_many_provisions",
                    format!(
                        "You already have {max_in_flight} provisions queued or running; wait for \
                         one to finish (or stop one) and try again."
                    ),
                );
                api.retryable = Some(true);
                api.retry_after_seconds = Some(TOO_MANY_RETRY_AFTER_SECONDS);
                api
            }
            CreateJobError::ScopeFull { max_in_flight } => {
                let mut api = ApiError::new(
                    429,
                    "too_many_provisions_in_scope",
                    format!(
                        "{max_in_flight} provisions are already queued or running in this \
                         subscription and resource group; wait for one to finish and try again."
                    ),
                );
                api.retryable = Some(true);
                api.retry_after_seconds = Some(TOO_MANY_RETRY_AFTER_SECONDS);
                api
            }
            CreateJobError::Storage(e) => e.into(),
        }
    }
}
