//! Input that cannot be read is a 400 that names its field.
//!
//! Server functions decode their own arguments, and serde says what is wrong ("invalid type:
//! integer `-1`, expected a string", "invalid digit found in string") but not where. So a gate
//! in front of them decodes the same input into the same argument type first, tracking the path
//! (`serde_path_to_error`, as axum's extractors do), and answers
//! `400 {code, message, fields: {field: problem}}` when it fails. Input the gate accepts is
//! handed on untouched; the server function decodes it again (a few hundred bytes).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, Uri};
use serde::de::DeserializeOwned;
use server_fn::ServerFn;

use crate::api_error::ApiError;
use crate::components::cluster_card::{ClusterListHtml, ListClusters};
use crate::components::history_page::LoadHistory;
use crate::components::in_flight::{ActiveProvisions, CancelProvision, GetTaskStatus};
use crate::components::last_failed::{DismissFailedProvision, RecentFailedProvisions};
use crate::components::provision_error_card::DeletePartialCluster;
use crate::components::provision_modal::{EstimateCost, GetAvailableSkus, Preflight, Provision};
use crate::components::session::GetSession;
use crate::domain::ProvisionRequest;
use crate::http::body_limit::MAX_BODY_BYTES;

/// Checks one server function's input: its query string or its JSON body.
type InputCheck = fn(&Uri, &[u8]) -> Result<(), ApiError>;

/// Every server function, by path, with how it reads its input. A new server function is one
/// line here (the hostile-input test finds one that is missing).
fn server_fn_inputs() -> [(&'static str, Method, InputCheck); 14] {
    [
        // These two take the request flattened: serde loses the field's path through
        // `flatten`, so the gate reads the request itself.
        (Provision::PATH, Method::POST, provision_input),
        (LoadHistory::PATH, Method::GET, query::<LoadHistory>),
        (Preflight::PATH, Method::POST, json::<ProvisionRequest>),
        (CancelProvision::PATH, Method::POST, json::<CancelProvision>),
        (
            DismissFailedProvision::PATH,
            Method::POST,
            json::<DismissFailedProvision>,
        ),
        (
            DeletePartialCluster::PATH,
            Method::POST,
            json::<DeletePartialCluster>,
        ),
        (
            RecentFailedProvisions::PATH,
            Method::GET,
            query::<RecentFailedProvisions>,
        ),
        (
            GetAvailableSkus::PATH,
            Method::GET,
            query::<GetAvailableSkus>,
        ),
        (EstimateCost::PATH, Method::GET, query::<EstimateCost>),
        (GetTaskStatus::PATH, Method::GET, query::<GetTaskStatus>),
        (ListClusters::PATH, Method::GET, query::<ListClusters>),
        (ClusterListHtml::PATH, Method::GET, query::<ClusterListHtml>),
        (
            ActiveProvisions::PATH,
            Method::GET,
            query::<ActiveProvisions>,
        ),
        (GetSession::PATH, Method::GET, query::<GetSession>),
    ]
}

/// Middleware: a server function's unreadable input is answered here, naming the field.
pub async fn name_the_field(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let Some(check) = server_fn_inputs()
        .into_iter()
        .find(|(p, method, _)| *p == path && method == req.method())
        .map(|(_, _, check)| check)
    else {
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

fn json<T: DeserializeOwned>(_: &Uri, body: &[u8]) -> Result<(), ApiError> {
    let mut input = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(&mut input)
        .map(drop)
        .map_err(|e| match e.inner().classify() {
            // A value of the wrong type or range: the path says whose.
            serde_json::error::Category::Data => {
                field_error(&e.path().to_string(), e.inner().to_string())
            }
            // Broken JSON belongs to no field, whatever the path had reached.
            _ => {
                ApiError::bad_request(format!("The request body is not valid JSON: {}", e.inner()))
            }
        })?;
    input
        .end()
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))
}

/// A create's body: the request (read on its own, see above), and the fix it was made from.
fn provision_input(uri: &Uri, body: &[u8]) -> Result<(), ApiError> {
    #[derive(serde::Deserialize)]
    struct FixOnly {
        #[serde(default)]
        #[allow(dead_code)]
        applied_fix: Option<crate::domain::AppliedFix>,
    }
    json::<ProvisionRequest>(uri, body)?;
    json::<FixOnly>(uri, body)
}

fn query<T: DeserializeOwned>(uri: &Uri, _: &[u8]) -> Result<(), ApiError> {
    decode_query::<T>(uri).map(drop)
}

/// A query string decoded into `T`, or the 400 that names the parameter.
pub fn decode_query<T: DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    let query = uri.query().unwrap_or_default();
    let input = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(input)
        .map_err(|e| field_error(&e.path().to_string(), e.inner().to_string()))
}

/// The 400 for a decoding error at `path` (`.` when serde knows no field, as for a missing or
/// repeated one, which it names in backquotes instead).
fn field_error(path: &str, problem: String) -> ApiError {
    let field = if path == "." {
        named_in_problem(&problem)
    } else {
        Some(path.to_owned())
    };
    match field {
        Some(field) => {
            let mut fields = BTreeMap::new();
            fields.insert(field, problem);
            ApiError::invalid_fields(fields)
        }
        None => ApiError::bad_request(format!("The request is not valid: {problem}")),
    }
}

/// `missing field `x`` and `duplicate field `x`` name `x`.
fn named_in_problem(problem: &str) -> Option<String> {
    let rest = problem
        .strip_prefix("missing field `")
        .or_else(|| problem.strip_prefix("duplicate field `"))?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // read by serde only
    struct Sample {
        hours: Option<u32>,
        name: String,
    }

    fn uri(query: &str) -> Uri {
        format!("/x?{query}").parse().expect("uri")
    }

    #[test]
    fn a_wrong_type_names_its_field() {
        let err = json::<Sample>(&uri(""), br#"{"hours": "x", "name": "a"}"#).expect_err("bad");
        assert_eq!(err.status, 400);
        assert!(err.fields["hours"].contains("invalid type"), "{err:?}");
        let err = decode_query::<Sample>(&uri("hours=abc&name=a")).expect_err("bad");
        assert!(err.fields.contains_key("hours"), "{err:?}");
    }

    #[test]
    fn missing_and_repeated_fields_are_named() {
        let err = json::<Sample>(&uri(""), br#"{"hours": 1}"#).expect_err("bad");
        assert!(err.fields.contains_key("name"), "{err:?}");
        let err = decode_query::<Sample>(&uri("name=a&name=b")).expect_err("bad");
        assert!(err.fields.contains_key("name"), "{err:?}");
    }

    #[test]
    fn broken_json_is_a_400_without_a_field() {
        let err = json::<Sample>(&uri(""), br#"{"hours": 1, "na"#).expect_err("bad");
        assert_eq!(err.status, 400);
        assert!(err.fields.is_empty(), "{err:?}");
        assert!(json::<Sample>(&uri(""), br#"{"name": "a"} trailing"#).is_err());
        assert!(json::<Sample>(&uri(""), br#"{"name": "a", "extra": [1]}"#).is_ok());
    }
}
